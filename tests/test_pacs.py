"""SEER Label on a real PACS: Orthanc with DICOMweb, and the real MONAI Label server started by `make run` with
STUDIES set to Orthanc's DICOMweb address. Nothing is downloaded (no dcmqi from GitHub, no sample).

The CT series are written by the project from the shared sample CT, in three orientations, and uploaded to Orthanc;
their segment-everything maps are given through `--conf labelmap_dir`, or as a DICOM SEG in the study.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest
import requests
import SimpleITK as sitk
from requests_toolbelt.multipart import decoder

from conftest import APP, reference_mask
from helpers import REPO, reorient, running_server, write_dicom_series
from lib.dicom_seg import display_name, label_map_to_seg, read_series_geometry
from orthanc import upload_series

LIVER_TOTAL, KIDNEY_LEFT_TOTAL = 5, 3
SEG_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
TRAIN_TIMEOUT_S = 300
# "RAS": as the sample NIfTI lies (a non-identity direction); "LPS": DICOM's usual axial; "RIP": coronal slices.
ORIENTATIONS = ("RAS", "LPS", "RIP")


@pytest.fixture(scope="module")
def pacs(orthanc, ct_path, ct_map_path, ontology, tmp_path_factory):
    """Series uploaded to Orthanc: one per orientation with a map in labelmap_dir, one without any map, one
    whose map is a DICOM SEG in its study, and one for the correction loop."""
    root = tmp_path_factory.mktemp("pacs-series")
    maps = tmp_path_factory.mktemp("labelmap_dir")
    series: dict[str, dict] = {}
    for name in (*ORIENTATIONS, "nomap", "segmap", "correction"):
        orientation = name if name in ORIENTATIONS and name != "RAS" else None
        folder = write_dicom_series(ct_path, root / name, orientation=orientation, description=f"CT {name}")
        series[name] = {**upload_series(orthanc["url"], folder), "folder": folder}
    for name in (*ORIENTATIONS, "correction"):
        # The map may lie in another orientation than the series: it is aligned in physical space.
        target = maps / f"{series[name]['series']}.nii.gz"
        if name == "RAS":
            reorient(ct_map_path, target, "LPS")
        else:
            shutil.copy(ct_map_path, target)
    # (c) of the lookup: the map stored as a DICOM SEG in the study, SeriesDescription = labelmap_tag.
    grid = read_series_geometry(series["segmap"]["folder"])
    everything = sitk.GetArrayFromImage(sitk.Resample(sitk.ReadImage(str(ct_map_path)), grid, sitk.Transform(),
                                                      sitk.sitkNearestNeighbor, 0, sitk.sitkUInt16))
    names = {concept: label for label, concept in ontology.label_map("total").items() if (everything == label).any()}
    seg_folder = root / "segmap-seg"
    seg_folder.mkdir()
    label_map_to_seg(everything, names, series["segmap"]["folder"], ontology, seg_folder / "seg.dcm", "everything")
    map_seg = upload_series(orthanc["url"], seg_folder)
    return {"series": series, "maps": maps, "orthanc": orthanc, "map_seg": map_seg["series"]}


@pytest.fixture(scope="module")
def server(pacs, tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("model")
    cache = tmp_path_factory.mktemp("dicomweb-cache")
    # Without the venv's bin on PATH (as `make run` from a plain shell): the app itself must point MONAI Label at
    # the dcmqi wheel's itkimage2segimage, or MONAI Label tries to download dcmqi and fails offline.
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if Path(p).resolve() != (REPO / ".venv" / "bin").resolve())
    with running_server(tmp_path_factory, f"--conf labelmap_dir {pacs['maps']}", model_dir=model_dir,
                        studies=pacs["orthanc"]["dicomweb"],
                        env={"MONAI_LABEL_DICOMWEB_CACHE_PATH": str(cache), "PATH": path}) as running:
        print(f"\nserver on DICOMweb answered /info/ after {running['started_s']:.1f} s")
        running["cache"] = cache
        yield running


def infer(server, image: str, prompt: str, output: str = "json", **extra) -> requests.Response:
    started = time.perf_counter()
    answer = requests.post(f"{server['url']}/infer/seer", params={"image": image, "output": output},
                           files={"params": (None, json.dumps({"prompt": prompt, **extra}))}, timeout=300)
    print(f"infer {prompt!r} output={output} on {image[-12:]}: {answer.status_code} "
          f"in {time.perf_counter() - started:.2f} s")
    return answer


def decode_seg(seg: pydicom.Dataset, series_folder: Path) -> dict[int, sitk.Image]:
    """Each segment as a mask on the source series' grid, decoded with pydicom alone (not with the code under
    test), checking each frame's geometry against the source slice it derives from."""
    sources = {}
    for path in series_folder.glob("*.dcm"):
        header = pydicom.dcmread(path, stop_before_pixels=True)
        sources[header.SOPInstanceUID] = header
    some_source = next(iter(sources.values()))
    assert seg.FrameOfReferenceUID == some_source.FrameOfReferenceUID
    shared = seg.SharedFunctionalGroupsSequence[0]
    np.testing.assert_allclose([float(v) for v in shared.PlaneOrientationSequence[0].ImageOrientationPatient],
                               [float(v) for v in some_source.ImageOrientationPatient], atol=1e-4)
    np.testing.assert_allclose([float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing],
                               [float(v) for v in some_source.PixelSpacing], atol=1e-4)
    grid = read_series_geometry(series_folder)
    frames = seg.pixel_array.reshape(int(seg.NumberOfFrames), seg.Rows, seg.Columns)
    masks: dict[int, np.ndarray] = {}
    for index, frame in enumerate(seg.PerFrameFunctionalGroupsSequence):
        number = int(frame.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        position = [float(v) for v in frame.PlanePositionSequence[0].ImagePositionPatient]
        source_uid = frame.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        np.testing.assert_allclose(position, [float(v) for v in sources[source_uid].ImagePositionPatient],
                                   atol=1e-3, err_msg=f"frame {index + 1} is not where its source slice is")
        i, j, k = grid.TransformPhysicalPointToIndex(position)
        assert (i, j) == (0, 0), f"frame {index + 1} starts at {(i, j)} of its slice, not at its corner"
        mask = masks.setdefault(number, np.zeros(sitk.GetArrayViewFromImage(grid).shape, np.uint8))
        mask[k] = frames[index]
    images = {}
    for number, mask in masks.items():
        images[number] = sitk.GetImageFromArray(mask)
        images[number].CopyInformation(grid)
    return images


def on_nifti_grid(mask: sitk.Image, ct_path: Path) -> np.ndarray:
    resampled = sitk.Resample(mask, sitk.ReadImage(str(ct_path)), sitk.Transform(), sitk.sitkNearestNeighbor, 0)
    return sitk.GetArrayFromImage(resampled) > 0


def test_server_starts_on_dicomweb_without_downloading_dcmqi(server):
    info = requests.get(f"{server['url']}/info/", timeout=30)
    assert info.status_code == 200 and "seer" in info.json()["models"]
    # MONAI Label would download dcmqi into <app>/bin unless it finds itkimage2segimage on PATH.
    assert not (APP / "bin" / "itkimage2segimage").exists()


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_the_liver_as_dicom_seg_coded_from_the_ontology(server, pacs, ontology, ct_path, ct_map_path,
                                                        orientation):
    series = pacs["series"][orientation]
    answer = infer(server, series["series"], "the liver", output="dicom_seg")  # no label_info
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/dicom")
    seg = pydicom.dcmread(io.BytesIO(answer.content))
    assert seg.SOPClassUID == SEG_STORAGE and seg.Modality == "SEG"
    assert seg.StudyInstanceUID == series["study"]
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == series["series"]
    assert len(seg.SegmentSequence) == 1
    segment = seg.SegmentSequence[0]
    liver = ontology["liver"]
    assert segment.SegmentLabel == display_name(liver)
    kind = segment.SegmentedPropertyTypeCodeSequence[0]
    assert (kind.CodingSchemeDesignator, kind.CodeValue) == ("SCT", "10200004")
    category = segment.SegmentedPropertyCategoryCodeSequence[0]
    assert (category.CodingSchemeDesignator, category.CodeValue) == (liver.snomed_category.scheme,
                                                                     liver.snomed_category.value)
    assert len(segment.RecommendedDisplayCIELabValue) == 3
    masks = decode_seg(seg, series["folder"])
    np.testing.assert_array_equal(on_nifti_grid(masks[segment.SegmentNumber], ct_path),
                                  reference_mask(ct_map_path, [LIVER_TOTAL]))


def test_laterality_is_coded_as_a_modifier(server, pacs, ontology):
    answer = infer(server, pacs["series"]["LPS"]["series"], "lt kidney", output="dicom_seg")
    assert answer.status_code == 200, answer.text
    segment = pydicom.dcmread(io.BytesIO(answer.content)).SegmentSequence[0]
    kidney = ontology["kidney_left"]
    assert segment.SegmentLabel == display_name(kidney)
    modifier = segment.SegmentedPropertyTypeCodeSequence[0].SegmentedPropertyTypeModifierCodeSequence[0]
    assert modifier.CodeValue == kidney.snomed_modifier.value


def test_unknown_study_and_seg_uids_get_404_with_a_reason(server, pacs):
    unknown = infer(server, "1.2.3.4.5.6.7.8.9", "liver")
    assert unknown.status_code == 404 and "no series" in unknown.json()["detail"]
    study = pacs["series"]["RAS"]["study"]
    answer = infer(server, study, "liver", output="dicom_seg")
    assert answer.status_code == 404 and "is a study, not a series" in answer.json()["detail"]
    seg = infer(server, pacs["map_seg"], "liver")
    assert seg.status_code == 404 and "is a SEG series, not an image" in seg.json()["detail"]


def test_a_series_without_a_map_is_refused_with_what_is_missing(server, pacs):
    uid = pacs["series"]["nomap"]["series"]
    for output in ("json", "dicom_seg"):
        answer = infer(server, uid, "liver", output=output)
        assert 400 <= answer.status_code < 500, answer.text
        detail = answer.json()["detail"]
        assert "no segment-everything map" in detail and "labelmap_dir" in detail, detail


def test_a_refused_request_for_a_dicom_seg_gets_a_reason(server, pacs):
    uid = pacs["series"]["RAS"]["series"]
    answer = infer(server, uid, "segment the brain", output="dicom_seg")
    assert answer.status_code == 422, answer.text
    assert "rejected" in answer.json()["detail"] and "not in this image" in answer.json()["detail"]
    as_json = infer(server, uid, "segment the brain")  # JSON readers still get the answer itself
    assert as_json.status_code == 200 and as_json.json()["status"] == "rejected"


def test_the_map_can_be_a_dicom_seg_in_the_study(server, pacs, ct_path, ct_map_path):
    answer = infer(server, pacs["series"]["segmap"]["series"], "left kidney", output="image")
    assert answer.status_code == 200, answer.text
    path = server["log"].parent / "segmap.nii.gz"
    path.write_bytes(answer.content)
    np.testing.assert_array_equal(on_nifti_grid(sitk.ReadImage(str(path)) == KIDNEY_LEFT_TOTAL, ct_path),
                                  reference_mask(ct_map_path, [KIDNEY_LEFT_TOTAL]))


def slicer_params(server, prompt: str) -> dict:
    """The params the 3D Slicer module sends (MONAILabel.py `getParamsFromConfig` + `infer`, client.py
    `_update_client_id`): the model's config with lists reduced to their first entry, the user's option, the
    result format, and the client id."""
    config = requests.get(f"{server['url']}/info/", timeout=30).json()["models"]["seer"]["config"]
    params = {k: v[0] if isinstance(v, list) else v for k, v in config.items()}
    params["prompt"] = prompt
    params["result_extension"] = ".nrrd"
    params["result_dtype"] = "uint8"
    params["client_id"] = "user-xyz"
    return params


def test_the_request_3d_slicer_sends(server, pacs, ct_path, ct_map_path):
    uid = pacs["series"]["RAS"]["series"]
    answer = requests.post(f"{server['url']}/infer/seer", params={"image": uid},
                           files={"params": (None, json.dumps(slicer_params(server, "lt kidney")))}, timeout=300)
    assert answer.status_code == 200, answer.text
    parts = decoder.MultipartDecoder(answer.content, answer.headers["content-type"]).parts
    by_name = {part.headers[b"Content-Disposition"].decode().split('name="')[1].split('"')[0]: part for part in parts}
    assert set(by_name) == {"params", "image"}
    result = json.loads(by_name["params"].content)
    assert result["label_names"] == {"kidney_left": KIDNEY_LEFT_TOTAL}
    disposition = by_name["image"].headers[b"Content-Disposition"].decode()
    assert disposition.split('filename="')[1].rstrip('"').endswith(".nrrd")  # as Slicer asks (result_extension)
    path = server["log"].parent / "slicer.nrrd"
    path.write_bytes(by_name["image"].content)
    returned = sitk.ReadImage(str(path))
    np.testing.assert_array_equal(on_nifti_grid(returned == KIDNEY_LEFT_TOTAL, ct_path),
                                  reference_mask(ct_map_path, [KIDNEY_LEFT_TOTAL]))

    # A refusal and a question back reach Slicer as an HTTP error, whose reply text its error dialog shows.
    refused = requests.post(f"{server['url']}/infer/seer", params={"image": uid},
                            files={"params": (None, json.dumps(slicer_params(server, "the brain")))}, timeout=300)
    assert refused.status_code == 422 and "not in this image" in refused.json()["detail"]
    asked = requests.post(f"{server['url']}/infer/seer", params={"image": uid},
                          files={"params": (None, json.dumps(slicer_params(server, "kidney")))}, timeout=300)
    assert asked.status_code == 422 and asked.json()["detail"].startswith("clarify"), asked.text


def test_a_correction_stored_in_the_pacs_teaches_a_shorthand(server, pacs, ontology, ct_map_path, tmp_path):
    series = pacs["series"]["correction"]
    before = infer(server, series["series"], "lkid for volumetry").json()
    assert not (before["status"] == "ok" and before["targets"] == ["kidney_left"])  # unknown shorthand

    reference = sitk.ReadImage(str(ct_map_path))
    mask = sitk.GetImageFromArray((sitk.GetArrayFromImage(reference) == KIDNEY_LEFT_TOTAL).astype(np.uint8))
    mask.CopyInformation(reference)
    path = tmp_path / "final.nii.gz"
    sitk.WriteImage(mask, str(path))
    # As 3D Slicer saves a label: its segment names in label_info (here one the user typed).
    label_info = {"label_info": [{"name": "Left kidney", "idx": 1}]}
    with open(path, "rb") as f:
        saved = requests.put(f"{server['url']}/datastore/label", params={"image": series["series"], "tag": "final"},
                             files={"label": (path.name, f), "params": (None, json.dumps(label_info))}, timeout=120)
    assert saved.status_code == 200, saved.text
    assert saved.json()["seer_paired_request"] == before["request_id"]
    study_url = f"{pacs['orthanc']['dicomweb']}/studies/{series['study']}"
    stored = requests.get(f"{study_url}/series", params={"Modality": "SEG"}, timeout=30).json()
    assert len(stored) == 1, "the final label was not stored in the PACS as a DICOM SEG"
    seg_uid = stored[0]["0020000E"]["Value"][0]
    metadata = requests.get(f"{study_url}/series/{seg_uid}/metadata", timeout=30).json()[0]
    stored_seg = pydicom.Dataset.from_json(metadata, bulk_data_uri_handler=lambda *args: b"")  # headers only
    segment = stored_seg.SegmentSequence[0]  # coded from the ontology, not MONAI Label's "unknown" Spleen code
    assert segment.SegmentLabel == display_name(ontology["kidney_left"])
    assert segment.SegmentedPropertyTypeCodeSequence[0].CodeValue == ontology["kidney_left"].snomed_type.value

    # Learn from the SEG in the PACS itself: drop the server's cached copy of the label first.
    cached = list(server["cache"].glob(f"*/labels/final/{series['series']}.*"))
    assert cached, "MONAI Label's DICOMweb datastore kept no local copy of the label"
    for path in cached:
        path.unlink()

    # In the server's process (MONAI Label's run_sync): the round reads the correction back from the PACS either
    # way; OHIF's background round on a PACS runs in tests/test_ohif_loop.py.
    trained = requests.post(f"{server['url']}/train/seer", params={"run_sync": True}, json={},
                            timeout=TRAIN_TIMEOUT_S)
    assert trained.status_code == 200, trained.text
    stats = requests.get(f"{server['url']}/info/", timeout=30).json()["train_stats"]["seer"]
    assert stats["harvested"] == 1 and stats["dice_after"] == 1.0, stats

    after = infer(server, series["series"], "lkid").json()["spec"]
    assert after["status"] == "ok" and after["targets"] == ["kidney_left"], after["trace"]["rationale"]
