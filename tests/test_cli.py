"""The command line, run as a user runs it: a subprocess, JSON on stdout, exit codes."""

import json
import subprocess
import sys

import numpy as np
import pytest
import SimpleITK as sitk

from conftest import APP, reference_mask
from helpers import reorient, write_dicom_series

KIDNEY_LEFT_TOTAL = 3


def run_cli(*args):
    completed = subprocess.run([sys.executable, str(APP / "cli.py"), *map(str, args)], capture_output=True, encoding="utf-8",
                               text=True, timeout=300)
    return completed


def test_segment_left_kidney_matches_the_reference(ct_path, ct_map_path, tmp_path):
    out = tmp_path / "left_kidney.nii.gz"
    done = run_cli("segment", "--image", ct_path, "--labelmap", ct_map_path, "--prompt", "left kidney", "--out", out)
    assert done.returncode == 0, done.stderr
    spec = json.loads(done.stdout)
    assert spec["status"] == "ok" and spec["targets"] == ["kidney_left"]
    written = sitk.ReadImage(str(out))
    assert written.GetPixelID() == sitk.sitkUInt8
    assert written.GetSize() == sitk.ReadImage(str(ct_path)).GetSize()
    assert spec["label_names"] == {"kidney_left": KIDNEY_LEFT_TOTAL}
    np.testing.assert_array_equal(sitk.GetArrayFromImage(written) == KIDNEY_LEFT_TOTAL,
                                  reference_mask(ct_map_path, [KIDNEY_LEFT_TOTAL]))


def test_segment_brain_is_refused_without_a_mask(ct_path, ct_map_path, tmp_path):
    out = tmp_path / "brain.nii.gz"
    done = run_cli("segment", "--image", ct_path, "--labelmap", ct_map_path, "--prompt", "segment the brain",
                   "--out", out)
    assert done.returncode == 0, done.stderr
    spec = json.loads(done.stdout)
    assert spec["status"] == "rejected"
    assert "not in this image" in spec["message"]
    assert not out.exists()


@pytest.mark.parametrize("args,needle", [
    (["--image", "/no/such/file.nii.gz"], "no such file"),
    (["--prompt", "   "], "prompt is empty"),
    (["--labelmap", "/no/such/map.nii.gz"], "--labelmap"),
])
def test_bad_input_exits_2_with_one_line(ct_path, ct_map_path, args, needle):
    base = {"--image": str(ct_path), "--labelmap": str(ct_map_path), "--prompt": "liver"}
    base.update(dict(zip(args[::2], args[1::2])))
    done = run_cli("segment", *[x for pair in base.items() for x in pair])
    assert done.returncode == 2
    assert done.stdout == ""
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and needle in lines[0], done.stderr


def test_unreadable_image_exits_2(ct_map_path, tmp_path):
    junk = tmp_path / "junk.nii.gz"
    junk.write_bytes(b"not an image")
    done = run_cli("segment", "--image", junk, "--labelmap", ct_map_path, "--prompt", "liver")
    assert done.returncode == 2 and "not a readable image" in done.stderr


def test_dicom_series_with_a_map_in_another_orientation(ct_path, ct_map_path, tmp_path):
    series = write_dicom_series(ct_path, tmp_path / "dicom")
    assert len(list(series.glob("*.dcm"))) == sitk.ReadImage(str(ct_path)).GetDepth()
    lps_map = reorient(ct_map_path, tmp_path / "map_lps.nii.gz", "LPS")
    out = tmp_path / "out.nii.gz"
    done = run_cli("segment", "--image", series, "--labelmap", lps_map, "--prompt", "Plz segmnt the lft kidny",
                   "--out", out)
    assert done.returncode == 0, done.stderr
    spec = json.loads(done.stdout)
    assert spec["targets"] == ["kidney_left"]
    assert spec["trace"]["evidence"]["modality"] == "CT"
    # Compare in physical space: bring our output back onto the NIfTI grid before comparing voxels.
    ours = sitk.Resample(sitk.ReadImage(str(out)), sitk.ReadImage(str(ct_path)), sitk.Transform(),
                         sitk.sitkNearestNeighbor, 0)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(ours) == KIDNEY_LEFT_TOTAL,
                                  reference_mask(ct_map_path, [KIDNEY_LEFT_TOTAL]))
