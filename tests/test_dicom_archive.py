"""DICOM as archives hold it (issue 19): compressed series, localizers and other images in a series, gaps, tilted
gantries and enhanced multi-frame images.

Two layers:
- `lib.dicom_series.read_series` on folders written here from the shared sample CT, each stored form made by
  Debian's gdcmconv (`make pacs-deps`);
- the real server on a real Orthanc that has no GDCM plugin (it cannot transcode JPEG 2000, so a plain WADO-RS
  fetch of such a series fails): the same CT stored uncompressed, as JPEG 2000, JPEG-LS and RLE gives the same
  "liver" DICOM SEG, with and without a localizer in the series.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import numpy as np
import pydicom
import pytest
import requests
import SimpleITK as sitk
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.uid import generate_uid

from conftest import reference_mask
from helpers import (add_localizer, gdcm_encode, new_series_uids, running_server, write_dicom_series,
                     write_enhanced_series)
from processes import serving
from lib.dicom_series import DECODED, SeriesRecord, fetch_series, read_record, read_series, series_geometry
from lib.guards import RequestRefused
from orthanc import DICOMWEB_PLUGIN, upload_series

LIVER_TOTAL = 5
# gdcmconv option set -> the transfer syntax it writes.
ENCODED_AS = {
    "jpeg2000": "1.2.840.10008.1.2.4.90",
    "jpeg2000-lossy": "1.2.840.10008.1.2.4.91",
    "jpegls": "1.2.840.10008.1.2.4.80",
    "jpegls-near": "1.2.840.10008.1.2.4.81",
    "jpeg-lossless": "1.2.840.10008.1.2.4.70",
    "rle": "1.2.840.10008.1.2.5",
    "deflated": "1.2.840.10008.1.2.1.99",
    "implicit": "1.2.840.10008.1.2",
}
LOSSLESS = {"jpeg2000", "jpegls", "jpeg-lossless", "rle", "deflated", "implicit"}
HTJ2K = "1.2.840.10008.1.2.4.201"
FEW_SLICES = 4  # enough for a volume, few enough that encoding every form takes a second


# --- reading folders --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def raw_series(ct_path, tmp_path_factory) -> Path:
    return write_dicom_series(ct_path, tmp_path_factory.mktemp("archive") / "raw")


@pytest.fixture(scope="module")
def few_slices(raw_series, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("few")
    for path in sorted(raw_series.glob("*.dcm"))[10:10 + FEW_SLICES]:
        shutil.copy(path, folder / path.name)
    return folder


def copy_series(folder: Path, out: Path) -> Path:
    shutil.copytree(folder, out)
    return out


def as_array(image: sitk.Image) -> np.ndarray:
    return sitk.GetArrayFromImage(image)


def test_the_sample_series_reads_as_the_sample(raw_series, ct_path):
    series = read_series(raw_series)
    reference = sitk.ReadImage(str(ct_path))
    assert series.image.GetSize() == reference.GetSize()
    np.testing.assert_allclose(series.image.GetOrigin(), reference.GetOrigin(), atol=1e-3)
    np.testing.assert_allclose(series.image.GetDirection(), reference.GetDirection(), atol=1e-6)
    np.testing.assert_allclose(series.image.GetSpacing(), reference.GetSpacing(), atol=1e-4)
    np.testing.assert_array_equal(as_array(series.image), np.rint(as_array(reference)))
    assert series.record.dropped == [] and len(series.record.used) == reference.GetSize()[2]
    assert series.record.modality == "CT" and series.record.transfer_syntaxes == ["Explicit VR Little Endian"]


@pytest.mark.parametrize("encoding", sorted(ENCODED_AS))
def test_each_stored_form_is_decoded_locally(few_slices, tmp_path, encoding):
    encoded = gdcm_encode(few_slices, tmp_path / encoding, encoding)
    stored = pydicom.dcmread(next(encoded.glob("*.dcm")), stop_before_pixels=True).file_meta.TransferSyntaxUID
    assert stored == ENCODED_AS[encoding]
    plain, series = as_array(read_series(few_slices).image), read_series(encoded)
    decoded = as_array(series.image)
    assert decoded.shape == plain.shape
    error = np.abs(decoded.astype(float) - plain)
    if encoding in LOSSLESS:
        assert error.max() == 0, f"{encoding}: lossless, yet {int((error > 0).sum())} voxels differ"
    elif encoding == "jpegls-near":
        assert error.max() <= 2, f"JPEG-LS near-lossless with allowed error 2 differs by {error.max()}"
    else:
        assert error.mean() < 25, f"{encoding}: mean error {error.mean():.1f} HU"
    assert series.record.transfer_syntaxes == [DECODED[ENCODED_AS[encoding]]]


def test_explicit_big_endian(few_slices, tmp_path):
    """The retired big-endian syntax, written by pydicom with the pixel bytes swapped."""
    folder = tmp_path / "big-endian"
    folder.mkdir()
    for path in few_slices.glob("*.dcm"):
        ds = pydicom.dcmread(path)
        values = ds.pixel_array
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRBigEndian
        ds.is_little_endian, ds.is_implicit_VR = False, False
        ds.PixelData = values.astype(">i2").tobytes()
        ds.save_as(folder / path.name, write_like_original=False)
    series = read_series(folder)
    np.testing.assert_array_equal(as_array(series.image), as_array(read_series(few_slices).image))
    assert series.record.transfer_syntaxes == ["Explicit VR Big Endian"]


@pytest.mark.parametrize("bits", [8, 12])
def test_lossy_jpeg_baseline_and_extended(few_slices, tmp_path, bits):
    """JPEG baseline holds 8-bit images and JPEG extended 12-bit ones: written as such, then compressed."""
    folder = tmp_path / f"bits{bits}"
    folder.mkdir()
    for path in few_slices.glob("*.dcm"):
        ds = pydicom.dcmread(path)
        values = ds.pixel_array.astype(np.int32)
        if bits == 8:
            values = np.clip((values - 864) * 255 // 400, 0, 255).astype(np.uint8)
            ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
        else:
            values = np.clip(values, 0, 4095).astype(np.uint16)
            ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
        ds.PixelRepresentation = 0
        ds.PixelData = values.tobytes()
        ds.save_as(folder / path.name)
    plain = as_array(read_series(folder).image).astype(float)
    encoded = gdcm_encode(folder, tmp_path / f"jpeg{bits}", "jpeg-lossy")
    stored = pydicom.dcmread(next(encoded.glob("*.dcm")), stop_before_pixels=True).file_meta.TransferSyntaxUID
    assert stored == {8: "1.2.840.10008.1.2.4.50", 12: "1.2.840.10008.1.2.4.51"}[bits]
    error = np.abs(as_array(read_series(encoded).image) - plain)
    assert np.median(error) <= 8, f"JPEG {bits}-bit: median error {np.median(error)}"


def test_a_localizer_in_the_series_is_dropped_and_named(raw_series, tmp_path):
    folder = copy_series(raw_series, tmp_path / "with-localizer")
    uid = add_localizer(folder, name="aaa-first-by-name.dcm")
    plain, series = read_series(raw_series), read_series(folder)
    np.testing.assert_array_equal(as_array(series.image), as_array(plain.image))
    assert [d.instance for d in series.record.dropped] == [uid]
    assert "localizer" in series.record.dropped[0].reason
    assert uid not in series.record.used and uid in json.dumps(series.record.trace())


def test_slices_are_sorted_by_position_not_by_number_or_name(raw_series, tmp_path):
    folder = tmp_path / "shuffled"
    folder.mkdir()
    files = sorted(raw_series.glob("*.dcm"))
    order = np.random.default_rng(7).permutation(len(files))
    for new_index, old_index in enumerate(order):
        ds = pydicom.dcmread(files[old_index])
        ds.InstanceNumber = int(order[(new_index + 5) % len(order)]) + 1  # numbers that say nothing
        ds.save_as(folder / f"img{new_index:03d}.dcm")
    np.testing.assert_array_equal(as_array(read_series(folder).image), as_array(read_series(raw_series).image))


def test_other_images_in_the_series_are_dropped_with_reasons(raw_series, tmp_path):
    folder = copy_series(raw_series, tmp_path / "mixed")
    first = pydicom.dcmread(sorted(folder.glob("*.dcm"))[0])
    # a derived image (a MIP) beside the originals, at a position of its own
    derived = first.copy()
    derived.SOPInstanceUID = derived.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    derived.ImageType = ["DERIVED", "SECONDARY", "MIP"]
    derived.save_as(folder / "derived.dcm")
    # a dose screen (secondary capture)
    capture = first.copy()
    capture.SOPClassUID = capture.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    capture.SOPInstanceUID = capture.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    capture.save_as(folder / "dose.dcm")
    # an image of another size, axial like the others
    small = pydicom.dcmread(sorted(folder.glob("*.dcm"))[5])
    small.SOPInstanceUID = small.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    small.Rows, small.Columns = 64, 64
    small.PixelData = np.zeros((64, 64), np.int16).tobytes()
    small.save_as(folder / "small.dcm")
    # a copy of an instance under another file name
    shutil.copy(sorted(folder.glob("slice*.dcm"))[3], folder / "copy.dcm")
    series = read_series(folder)
    reasons = {d.instance: d.reason for d in series.record.dropped}
    assert "derived" in reasons[str(derived.SOPInstanceUID)]
    assert "secondary capture" in reasons[str(capture.SOPInstanceUID)]
    assert "64 x 64 pixels" in reasons[str(small.SOPInstanceUID)]
    assert any("second copy" in r for r in reasons.values())
    np.testing.assert_array_equal(as_array(series.image), as_array(read_series(raw_series).image))


def test_a_missing_slice_is_refused_naming_the_gap(raw_series, tmp_path):
    folder = copy_series(raw_series, tmp_path / "gap")
    files = sorted(folder.glob("*.dcm"))
    before, after = (pydicom.dcmread(files[i], stop_before_pixels=True).SOPInstanceUID for i in (11, 13))
    files[12].unlink()
    with pytest.raises(RequestRefused) as refused:
        read_series(folder)
    assert refused.value.status == 422
    detail = refused.value.detail
    assert "gap of 6.00 mm" in detail and "1 missing slice" in detail and "3.00 mm apart" in detail, detail
    assert str(before) in detail and str(after) in detail


@pytest.mark.parametrize("damage", ["short", "truncated"])
def test_a_slice_with_too_few_pixel_bytes_is_dropped_and_named(raw_series, tmp_path, damage):
    folder = copy_series(raw_series, tmp_path / damage)
    files = sorted(folder.glob("*.dcm"))
    damaged = pydicom.dcmread(files[12])
    if damage == "short":  # a header that says half the bytes: GDCM would decode it without a word
        damaged.PixelData = damaged.PixelData[: len(damaged.PixelData) // 2]
        damaged.save_as(files[12])
    else:  # the file cut off in the middle of its pixels
        files[12].write_bytes(files[12].read_bytes()[:-1000])
    with pytest.raises(RequestRefused) as refused:
        read_series(folder)
    detail = refused.value.detail
    assert refused.value.status == 422 and "1 missing slice" in detail, detail  # the gap it leaves is named...
    assert "PixelData holds" in detail and "damaged or truncated" in detail, detail  # ...and why it was dropped
    scanned = read_series(copy_series(raw_series, tmp_path / "intact"))  # the same series, undamaged, reads
    assert scanned.record.dropped == []


def test_two_volumes_in_one_series_are_refused(raw_series, tmp_path):
    folder = copy_series(raw_series, tmp_path / "two-phases")
    for path in sorted(folder.glob("*.dcm")):
        ds = pydicom.dcmread(path)
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.PixelData = (ds.pixel_array + 100).astype(np.int16).tobytes()  # another phase: other values
        ds.save_as(folder / f"phase2-{path.name}")
    with pytest.raises(RequestRefused) as refused:
        read_series(folder)
    assert refused.value.status == 422 and "more than one volume" in refused.value.detail


def test_a_tilted_gantry_is_resampled_in_physical_space_and_says_so(raw_series, tmp_path):
    """Each slice shifted along its column direction in proportion to its height (a 10° tilt): the volume is
    read in physical space, so a point of the anatomy keeps its value."""
    folder = copy_series(raw_series, tmp_path / "tilted")
    shift_per_mm = np.tan(np.radians(10))
    first_z = None
    for path in sorted(folder.glob("*.dcm")):
        ds = pydicom.dcmread(path)
        position = np.array([float(v) for v in ds.ImagePositionPatient])
        first_z = position[2] if first_z is None else first_z
        column = np.array([float(v) for v in ds.ImageOrientationPatient[3:]])
        position = position + column * (position[2] - first_z) * shift_per_mm
        ds.ImagePositionPatient = [f"{v:.6f}" for v in position]
        ds.GantryDetectorTilt = "10"
        ds.save_as(path)
    series = read_series(folder)
    assert series.record.tilted and "gantry tilt of 10.0 degrees" in series.record.notes[0]
    direction = np.array(series.image.GetDirection()).reshape(3, 3)
    np.testing.assert_allclose(direction.T @ direction, np.eye(3), atol=1e-9)  # an orthogonal grid
    # The grid's planes are the slices' planes: a grid point of plane k takes slice k's value at that physical
    # place (bilinear between its pixels; the volume is int16, so within 1 HU).
    k = 15
    ds = pydicom.dcmread(sorted(folder.glob("*.dcm"))[k])
    row, column = (np.array([float(v) for v in ds.ImageOrientationPatient[i:i + 3]]) for i in (0, 3))
    spacing_y, spacing_x = (float(v) for v in ds.PixelSpacing)
    origin = np.array([float(v) for v in ds.ImagePositionPatient])
    pixels = ds.pixel_array.astype(float) + float(ds.RescaleIntercept)
    for i, j in ((60, 50), (30, 70), (90, 20)):
        point = np.array(series.image.TransformIndexToPhysicalPoint((i, j, k)))
        u, v = (point - origin) @ row / spacing_x, (point - origin) @ column / spacing_y
        assert abs((point - origin) @ np.cross(row, column)) < 1e-3, "grid plane off the slice's plane"
        u0, v0 = int(np.floor(u)), int(np.floor(v))
        du, dv = u - u0, v - v0
        expected = (pixels[v0, u0] * (1 - du) * (1 - dv) + pixels[v0, u0 + 1] * du * (1 - dv)
                    + pixels[v0 + 1, u0] * (1 - du) * dv + pixels[v0 + 1, u0 + 1] * du * dv)
        assert abs(series.image[i, j, k] - expected) <= 1, (i, j, series.image[i, j, k], expected)
    with pytest.raises(RequestRefused, match="gantry-tilted") as refused:  # no SEG frames can lie on its slices
        series_geometry(folder)
    assert "output=image" in refused.value.detail


def test_a_small_table_drift_keeps_an_orthogonal_grid(raw_series, tmp_path):
    """Positions that drift in-plane by 0.002 mm a slice (rounding in a scanner's decimal strings) are no tilt:
    the grid stays orthogonal, as NIfTI needs, and the volume is the same."""
    folder = copy_series(raw_series, tmp_path / "drift")
    for index, path in enumerate(sorted(folder.glob("*.dcm"))):
        ds = pydicom.dcmread(path)
        position = [float(v) for v in ds.ImagePositionPatient]
        ds.ImagePositionPatient = [f"{position[0] + 0.002 * index:.6f}", f"{position[1]:.6f}", f"{position[2]:.6f}"]
        ds.save_as(path)
    series = read_series(folder)
    direction = np.array(series.image.GetDirection()).reshape(3, 3)
    np.testing.assert_allclose(direction.T @ direction, np.eye(3), atol=1e-12)
    assert not series.record.tilted and series.record.notes == []
    np.testing.assert_array_equal(as_array(series.image), as_array(read_series(raw_series).image))


@pytest.mark.parametrize("modality", ["CT", "MR"])
def test_an_enhanced_multi_frame_image_reads_as_the_same_volume(raw_series, ct_path, tmp_path, modality):
    folder = write_enhanced_series(ct_path, tmp_path / "enhanced", modality=modality)
    enhanced, plain = read_series(folder), read_series(raw_series)
    assert enhanced.record.modality == modality
    np.testing.assert_array_equal(as_array(enhanced.image), as_array(plain.image))
    np.testing.assert_allclose(enhanced.image.GetOrigin(), plain.image.GetOrigin(), atol=1e-4)
    np.testing.assert_allclose(enhanced.image.GetSpacing(), plain.image.GetSpacing(), atol=1e-4)
    assert len(enhanced.record.used) == 30 and enhanced.record.used[0].endswith(" frame 1")


def store_as_htj2k(folder: Path, out: Path) -> Path:
    """JPEG 2000 codestreams labelled High-Throughput JPEG 2000 (1.2.840.10008.1.2.4.201), a transfer syntax this
    stack has no decoder for: pydicom 2.4 cannot write it, so the file meta is written by hand."""
    out.mkdir()
    for path in sorted(folder.glob("*.dcm")):
        ds = pydicom.dcmread(path)
        body = DicomBytesIO()
        body.is_little_endian, body.is_implicit_VR = True, False
        write_dataset(body, ds)
        ds.file_meta.TransferSyntaxUID = HTJ2K
        head = DicomBytesIO()
        head.is_little_endian, head.is_implicit_VR = True, False
        head.write(b"\0" * 128 + b"DICM")
        write_file_meta_info(head, ds.file_meta, enforce_standard=True)
        (out / path.name).write_bytes(head.getvalue() + body.getvalue())
    return out


def test_a_transfer_syntax_without_a_decoder_is_a_422_naming_it(few_slices, tmp_path):
    j2k = gdcm_encode(few_slices, tmp_path / "j2k", "jpeg2000")
    with pytest.raises(RequestRefused) as refused:
        read_series(store_as_htj2k(j2k, tmp_path / "htj2k"))
    assert refused.value.status == 422
    detail = refused.value.detail
    assert "High-Throughput JPEG 2000" in detail and HTJ2K in detail and "pylibjpeg-openjpeg" in detail, detail


def test_the_record_round_trips(raw_series, tmp_path):
    folder = copy_series(raw_series, tmp_path / "record")
    add_localizer(folder)
    record = read_series(folder).record
    assert SeriesRecord.from_json(record.to_json()) == record


# --- through the server, on an Orthanc without the GDCM plugin -------------------------------------------------

FORMS = ("uncompressed", "jpeg2000", "jpegls", "rle")


@pytest.fixture(scope="module")
def archive(orthanc, ct_path, ct_map_path, tmp_path_factory):
    """The sample CT stored in Orthanc in each form (each its own series), the JPEG 2000 one again with a
    localizer, an enhanced multi-frame version and an HTJ2K-labelled one; each series' map in labelmap_dir."""
    config = json.loads(Path(orthanc["config"]).read_text())
    assert config["Plugins"] == [str(DICOMWEB_PLUGIN)], "the test PACS must not load the GDCM plugin"
    root = tmp_path_factory.mktemp("archive-series")
    maps = tmp_path_factory.mktemp("archive-maps")
    raw = write_dicom_series(ct_path, root / "raw", description="CT archive")
    folders = {}
    for form in FORMS:
        plain = new_series_uids(copy_series(raw, root / f"{form}-plain"), f"CT {form}")
        folders[form] = plain if form == "uncompressed" else gdcm_encode(plain, root / form, form)
    with_localizer = new_series_uids(copy_series(raw, root / "localizer-plain"), "CT with localizer")
    folders["localizer"] = gdcm_encode(with_localizer, root / "localizer", "jpeg2000")
    localizer_uid = add_localizer(folders["localizer"], name="000-localizer.dcm")
    # The SEG is checked against the slices it must lie on: the series' own files without the localizer.
    without_localizer = copy_series(folders["localizer"], root / "localizer-slices")
    (without_localizer / "000-localizer.dcm").unlink()
    folders["enhanced"] = write_enhanced_series(ct_path, root / "enhanced")
    folders["htj2k"] = store_as_htj2k(gdcm_encode(new_series_uids(copy_series(raw, root / "ht-plain")),
                                                  root / "ht-j2k", "jpeg2000"), root / "htj2k")
    series = {}
    for name, folder in folders.items():
        series[name] = {**upload_series(orthanc["url"], folder), "folder": folder}
        series[name]["slices"] = without_localizer if name == "localizer" else folder
        shutil.copy(ct_map_path, maps / f"{series[name]['series']}.nii.gz")
    return {"series": series, "maps": maps, "orthanc": orthanc, "localizer": localizer_uid}


@pytest.fixture(scope="module")
def server(archive, tmp_path_factory):
    cache = tmp_path_factory.mktemp("archive-cache")
    with running_server(tmp_path_factory, f"--conf labelmap_dir {archive['maps']}",
                        studies=archive["orthanc"]["dicomweb"],
                        env={"MONAI_LABEL_DICOMWEB_CACHE_PATH": str(cache)}) as running:
        running["cache"] = cache
        yield running


def infer(server, uid: str, output: str = "json", prompt: str = "the liver") -> requests.Response:
    return requests.post(f"{server['url']}/infer/seer", params={"image": uid, "output": output},
                         files={"params": (None, json.dumps({"prompt": prompt}))}, timeout=300)


def liver_on_the_sample_grid(answer: requests.Response, folder: Path, ct_path: Path) -> np.ndarray:
    from test_pacs import decode_seg, on_nifti_grid

    seg = pydicom.dcmread(io.BytesIO(answer.content))
    assert [s.SegmentLabel for s in seg.SegmentSequence] == ["Liver"]
    return on_nifti_grid(decode_seg(seg, folder)[1], ct_path)


def test_the_pacs_cannot_transcode_jpeg2000(archive):
    """The premise: a plain WADO-RS request (MONAI Label's own fetch) for the JPEG 2000 series fails here."""
    series = archive["series"]["jpeg2000"]
    url = f"{archive['orthanc']['dicomweb']}/studies/{series['study']}/series/{series['series']}"
    plain = requests.get(url, headers={"Accept": 'multipart/related; type="application/dicom"'}, timeout=60)
    assert plain.status_code >= 400
    stored = requests.get(url, headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'},
                          timeout=60)
    assert stored.status_code == 200


@contextlib.contextmanager
def pacs_without_wildcard(dicomweb: str):
    """A PACS that does not honour `transfer-syntax=*`: a loopback proxy in front of the real Orthanc that answers
    406 to it and forwards every other request unchanged. (Orthanc itself honours `*`; a proxy is the one way to
    meet a PACS that does not on this machine.)"""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            accept = self.headers.get("Accept", "")
            if "transfer-syntax=*" in accept:
                self.send_response(406)
                self.end_headers()
                return
            upstream = requests.get(dicomweb.rsplit("/dicom-web", 1)[0] + self.path, headers={"Accept": accept},
                                    timeout=60)
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", upstream.headers.get("Content-Type", "application/octet-stream"))
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)

        def log_message(self, *args):
            pass

    with serving(Handler) as url:
        yield f"{url}/dicom-web"


def test_a_pacs_that_refuses_the_wildcard_is_asked_for_a_syntax_decoded_here(archive, tmp_path):
    from dicomweb_client import DICOMwebClient

    series = archive["series"]["jpeg2000"]
    with pacs_without_wildcard(archive["orthanc"]["dicomweb"]) as url:
        how = fetch_series(DICOMwebClient(url), series["series"], tmp_path / "fetched")
    # This Orthanc cannot transcode JPEG 2000: the list and explicit VR little endian fail, JPEG 2000 is sent.
    assert how.startswith("30 instances, as JPEG 2000 Lossless") and "refused" in how, how
    np.testing.assert_array_equal(as_array(read_series(tmp_path / "fetched").image),
                                  as_array(read_series(series["folder"]).image))


def test_every_stored_form_gives_the_same_liver_seg(server, archive, ct_path, ct_map_path):
    expected = reference_mask(ct_map_path, [LIVER_TOTAL])
    for form in (*FORMS, "localizer"):
        series = archive["series"][form]
        answer = infer(server, series["series"], output="dicom_seg")
        assert answer.status_code == 200, f"{form}: {answer.status_code} {answer.text[:500]}"
        liver = liver_on_the_sample_grid(answer, series["slices"], ct_path)
        assert liver.sum() == expected.sum() and np.array_equal(liver, expected), \
            f"{form}: {int((liver != expected).sum())} voxels differ from the reference liver"


def test_the_trace_names_the_dropped_localizer(server, archive):
    series = archive["series"]["localizer"]
    answer = infer(server, series["series"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ok" and body["label_names"] == {"liver": LIVER_TOTAL}, body["message"]
    read = body["spec"]["trace"]["evidence"]["series"]
    assert [d["instance"] for d in read["dropped"]] == [archive["localizer"]]
    assert "localizer" in read["dropped"][0]["reason"]
    assert len(read["used"]) == 30 and archive["localizer"] not in read["used"]
    assert "transfer-syntax=*" in read["fetched"] and "JPEG 2000" in read["summary"]
    # The cached series keeps only what was used, so the SEG cannot reference the localizer.
    cached = [p for p in server["cache"].glob(f"*/{series['series']}/*") if p.is_file()]  # <cache>/<url hash>/
    assert len(cached) == 30
    seg = infer(server, series["series"], output="dicom_seg")
    referenced = {item.ReferencedSOPInstanceUID for item in
                  pydicom.dcmread(io.BytesIO(seg.content)).ReferencedSeriesSequence[0].ReferencedInstanceSequence}
    assert archive["localizer"] not in referenced and len(referenced) == 30
    record = read_record(next(server["cache"].glob(f"*/{series['series']}.nii.gz")))
    assert record is not None and record.dropped[0].instance == archive["localizer"]


def test_an_enhanced_multi_frame_series_is_read_and_its_seg_refused_clearly(server, archive):
    series = archive["series"]["enhanced"]
    answer = infer(server, series["series"], output="image")
    assert answer.status_code == 200, answer.text
    seg = infer(server, series["series"], output="dicom_seg")
    assert seg.status_code == 422, seg.text
    assert "multi-frame" in seg.json()["detail"] and "output=image" in seg.json()["detail"]


def test_an_undecodable_transfer_syntax_is_a_422_naming_it_and_the_package(server, archive):
    answer = infer(server, archive["series"]["htj2k"]["series"])
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert "High-Throughput JPEG 2000" in detail and HTJ2K in detail and "pylibjpeg-openjpeg" in detail, detail
