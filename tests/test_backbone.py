"""The labelmap backbone and the pipeline around it: physical-space alignment, masks and laterality."""

import numpy as np
import pytest
import SimpleITK as sitk

from conftest import reference_mask
from helpers import reorient
from lib.backbones.base import BackboneError
from lib.backbones.labelmap import LabelmapBackbone
from lib.pipeline import SeerPipeline
from lib.records import TargetSpec
from lib.volume import align_label_map, read_volume

KIDNEY_LEFT_TOTAL = 3


@pytest.mark.parametrize("orientation", ["LPS", "RAI", "PIL"])
def test_map_in_another_orientation_aligns_voxel_for_voxel(ct_path, ct_map_path, tmp_path, orientation):
    flipped = reorient(ct_map_path, tmp_path / "map.nii.gz", orientation)
    assert sitk.ReadImage(str(flipped)).GetDirection() != sitk.ReadImage(str(ct_map_path)).GetDirection()
    aligned = align_label_map(sitk.ReadImage(str(flipped)), read_volume(ct_path).image)
    expected = sitk.GetArrayFromImage(sitk.ReadImage(str(ct_map_path)))
    np.testing.assert_array_equal(aligned, expected)


def test_map_on_a_coarser_grid_is_resampled_by_position(ct_path, ct_map_path):
    label_map = sitk.ReadImage(str(ct_map_path))
    shrunk = sitk.Shrink(label_map, [2, 2, 1])  # 6 mm in-plane: positions still agree, voxels do not
    aligned = align_label_map(shrunk, read_volume(ct_path).image)
    reference = sitk.GetArrayFromImage(label_map) == KIDNEY_LEFT_TOTAL
    overlap = (aligned == KIDNEY_LEFT_TOTAL) & reference
    dice = 2 * overlap.sum() / ((aligned == KIDNEY_LEFT_TOTAL).sum() + reference.sum())
    assert dice > 0.8, f"dice {dice:.3f}"


def test_segment_returns_reference_voxels(ontology, ct_volume, ct_map_path):
    backbone = LabelmapBackbone(ontology, "total")
    masks = backbone.segment(ct_volume, TargetSpec(status="ok", targets=["kidney_left", "spleen"]))
    np.testing.assert_array_equal(masks["kidney_left"].voxels, reference_mask(ct_map_path, [KIDNEY_LEFT_TOTAL]))
    assert masks["spleen"].voxels.sum() > 1000
    assert masks["kidney_left"].confidence == 1.0


def test_missing_map_names_the_setting(ontology, ct_volume):
    backbone = LabelmapBackbone(ontology, "total")
    volume = read_volume(ct_volume.source)  # no everything_path
    with pytest.raises(BackboneError, match="labelmap_tag"):
        backbone.everything(volume)


def test_pipeline_orders_targets_under_their_vocabulary_values(ct_pipeline, ct_volume, ct_map_path):
    result = ct_pipeline.run(ct_volume, "spleen and left kidney")
    assert result.spec.targets == ["spleen", "kidney_left"]
    # Values are the vocabulary's stable label ids (what /info lists), not 1..n: viewers name them from /info.
    assert result.label_names == {"spleen": 1, "kidney_left": KIDNEY_LEFT_TOTAL}
    np.testing.assert_array_equal(result.labels == KIDNEY_LEFT_TOTAL, reference_mask(ct_map_path, [KIDNEY_LEFT_TOTAL]))


def test_laterality_check_catches_a_mirrored_map(engine, ontology, ct_volume, ct_map_path, tmp_path):
    # A map whose array was flipped left-right without fixing its geometry: the "left kidney" label now sits on
    # the patient's right. The check must refuse rather than return a confident wrong mask.
    label_map = sitk.ReadImage(str(ct_map_path))
    mirrored = sitk.GetImageFromArray(sitk.GetArrayFromImage(label_map)[:, :, ::-1].copy())
    mirrored.CopyInformation(label_map)
    sitk.WriteImage(mirrored, str(tmp_path / "mirrored.nii.gz"))
    pipeline = SeerPipeline(engine, LabelmapBackbone(ontology, "total"))
    volume = read_volume(ct_volume.source)
    volume.everything_path = str(tmp_path / "mirrored.nii.gz")
    result = pipeline.run(volume, "left kidney")
    assert result.spec.status == "rejected" and "Laterality check failed" in result.spec.message
    assert result.labels is None
    # The refusal is consistent: no targets, no label names, and the trace's answer says rejected too.
    assert result.spec.targets == [] and result.label_names == {}
    assert result.spec.trace.answer["status"] == "rejected"
