"""`cli.py perf` on the CPU, small: it runs, prints the stage table and ends with one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import SimpleITK as sitk

from helpers import REPO
from lib.perf import STAGES, synthetic_ct


def test_perf_json_on_cpu_reports_every_stage():
    command = [sys.executable, str(REPO / "apps" / "seer" / "cli.py"), "perf", "--json", "--device", "cpu",
               "--shape", "48", "48", "32", "--inputs", "synthetic", "--roi", "32"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    report = json.loads(lines[-1])
    assert "random weights" in report["weights"] and "random weights" in done.stdout.split("\n{")[0]
    assert report["device"] == "cpu" and report["cold_start_s"] > 0
    (case,) = report["cases"]
    assert case["shape_xyz"] == [48, 48, 32] and case["classes"] == 1
    for key in ("first_request_s", *STAGES, "end_to_end_s", "bare_network_s", "ratio_end_to_end_to_bare",
                "peak_rss_gib"):
        assert isinstance(case[key], (int, float)) and case[key] >= 0, key
    assert case["end_to_end_s"] >= case["network_s"]
    assert any(line.startswith("synthetic 48x48x32") for line in lines[:-1])  # the table row


def test_synthetic_ct_has_ct_geometry_and_a_body():
    image = synthetic_ct((40, 30, 8))
    array = sitk.GetArrayFromImage(image)
    assert image.GetSize() == (40, 30, 8) and image.GetSpacing() == (0.8, 0.8, 1.5)
    assert array.min() < -900 and np.median(array[:, 15, 15:25]) > 0
