"""DICOM SEG written and read through dcmqi, coded from the ontology, on CT series in three orientations (no server)."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from helpers import write_dicom_series
from lib.dicom_seg import (PRIVATE_SCHEME, DicomSegError, display_name, label_map_to_seg, read_series_geometry,
                           saved_label_to_seg, seg_to_label_map)

TOTAL = {"liver": 5, "kidney_left": 3}


@pytest.fixture(scope="module", params=["RAS", "LPS", "RIP"])
def series(request, ct_path, ct_map_path, tmp_path_factory):
    """A CT series in one orientation, and the reference map on its grid."""
    orientation = None if request.param == "RAS" else request.param
    folder = write_dicom_series(ct_path, tmp_path_factory.mktemp(f"ct-{request.param}"), orientation=orientation)
    grid = read_series_geometry(folder)
    labels = sitk.GetArrayFromImage(sitk.Resample(sitk.ReadImage(str(ct_map_path)), grid, sitk.Transform(),
                                                  sitk.sitkNearestNeighbor, 0, sitk.sitkUInt16))
    return folder, grid, labels


def test_segments_are_named_and_coded_from_the_ontology(series, ontology, tmp_path):
    folder, grid, labels = series
    out = label_map_to_seg(labels, TOTAL, folder, ontology, tmp_path / "seg.dcm")
    seg = pydicom.dcmread(out)
    source = pydicom.dcmread(next(folder.glob("*.dcm")), stop_before_pixels=True)
    assert seg.Modality == "SEG" and seg.ReferencedSeriesSequence[0].SeriesInstanceUID == source.SeriesInstanceUID
    assert seg.StudyInstanceUID == source.StudyInstanceUID and seg.PatientID == source.PatientID
    assert [s.SegmentLabel for s in seg.SegmentSequence] == [display_name(ontology[c]) for c in TOTAL]
    for segment, concept_id in zip(seg.SegmentSequence, TOTAL):
        concept = ontology[concept_id]
        kind = segment.SegmentedPropertyTypeCodeSequence[0]
        assert (kind.CodingSchemeDesignator, kind.CodeValue) == (concept.snomed_type.scheme, concept.snomed_type.value)
        modifiers = getattr(kind, "SegmentedPropertyTypeModifierCodeSequence", [])
        assert [m.CodeValue for m in modifiers] == ([concept.snomed_modifier.value] if concept.snomed_modifier else [])
        assert len(segment.RecommendedDisplayCIELabValue) == 3

    back, names = seg_to_label_map(out, grid, ontology, vocab="total")
    assert names == TOTAL
    for value in TOTAL.values():
        np.testing.assert_array_equal(back == value, labels == value)


def test_a_concept_without_snomed_code_round_trips_through_a_private_code(series, ontology, tmp_path):
    folder, grid, labels = series
    uncoded = next(c.id for c in ontology.concepts.values() if c.kind == "structure" and c.snomed_type is None)
    mask = (labels == TOTAL["liver"]).astype(np.uint8) * 7
    seg = pydicom.dcmread(label_map_to_seg(mask, {uncoded: 7}, folder, ontology, tmp_path / "seg.dcm"))
    kind = seg.SegmentSequence[0].SegmentedPropertyTypeCodeSequence[0]
    assert kind.CodingSchemeDesignator == PRIVATE_SCHEME and len(kind.CodeValue) <= 16
    back, names = seg_to_label_map(tmp_path / "seg.dcm", grid, ontology)
    assert list(names) == [uncoded]
    np.testing.assert_array_equal(back > 0, mask > 0)


def test_a_saved_final_label_is_named_from_the_client_or_the_vocabulary(series, ontology, tmp_path):
    folder, grid, labels = series
    final = sitk.GetImageFromArray(np.where(labels == TOTAL["kidney_left"], 1, 0).astype(np.uint8))
    final.CopyInformation(grid)
    sitk.WriteImage(final, str(tmp_path / "slicer.nii.gz"))
    # 3D Slicer sends its segment names in label_info; the i-th smallest value is the i-th entry.
    seg = pydicom.dcmread(saved_label_to_seg(str(folder), str(tmp_path / "slicer.nii.gz"),
                                             [{"name": "Left kidney", "idx": 1}], ontology))
    assert seg.SegmentSequence[0].SegmentLabel == display_name(ontology["kidney_left"])
    # Without label_info: the values our infer returned keep their names; a one-value mask correcting a
    # one-target answer is that target; anything else is a numbered segment, never a vocabulary guess.
    ours = sitk.GetImageFromArray(np.where(np.isin(labels, list(TOTAL.values())), labels, 0).astype(np.uint8))
    ours.CopyInformation(grid)
    sitk.WriteImage(ours, str(tmp_path / "ours.nii.gz"))
    seg = pydicom.dcmread(saved_label_to_seg(str(folder), str(tmp_path / "ours.nii.gz"), None, ontology, TOTAL))
    assert sorted(s.SegmentLabel for s in seg.SegmentSequence) == sorted(display_name(ontology[c]) for c in TOTAL)
    seg = pydicom.dcmread(saved_label_to_seg(str(folder), str(tmp_path / "slicer.nii.gz"), None, ontology,
                                             {"kidney_left": TOTAL["kidney_left"]}))
    assert seg.SegmentSequence[0].SegmentLabel == display_name(ontology["kidney_left"])
    seg = pydicom.dcmread(saved_label_to_seg(str(folder), str(tmp_path / "slicer.nii.gz"), None, ontology, {}))
    assert seg.SegmentSequence[0].SegmentLabel == "segment 1"
    assert seg.SegmentSequence[0].SegmentedPropertyTypeCodeSequence[0].CodingSchemeDesignator == PRIVATE_SCHEME


def test_an_empty_label_map_is_refused_with_a_reason(series, ontology, tmp_path):
    folder, grid, labels = series
    with pytest.raises(DicomSegError, match="empty"):
        label_map_to_seg(np.zeros_like(labels), TOTAL, folder, ontology, tmp_path / "seg.dcm")
    with pytest.raises(DicomSegError, match="does not match"):
        label_map_to_seg(labels[:-1], TOTAL, folder, ontology, tmp_path / "seg.dcm")
