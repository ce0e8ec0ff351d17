"""The vista3d backbone on the CPU with random weights: loading, prompts, geometry, refusals, reuse of a map.

Random weights give arbitrary masks, so nothing here measures accuracy: the tests assert geometry, dtypes, call
counts and statuses. The network is the real vista3d132 (real state-dict shapes); `SEER_VISTA3D_ROI=32` and a
small crop of the sample CT keep each forward to one or a few 32^3 windows.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import SimpleITK as sitk
import torch

from helpers import REPO, write_dicom_series
from lib.backbones import vista3d
from lib.backbones.base import BackboneError, Point
from lib.backbones.vista3d import NOT_IN_EVERYTHING, PARENT_LABELS, UNSUPPORTED_LABELS, Vista3DBackbone
from lib.points import PointError, points_from_request
from lib.records import TargetSpec
from lib.settings import SeerSettings
from lib.volume import read_volume, write_everything_map

TEST_ROI = "32"
CROP = (slice(44, 60), slice(30, 46), slice(8, 18))  # (i, j, k) of example_ct_sm: 16 x 16 x 10 voxels at 3 mm


@pytest.fixture(autouse=True)
def small_windows(monkeypatch):
    monkeypatch.setenv(vista3d.ROI_ENV, TEST_ROI)


@functools.lru_cache(maxsize=1)
def random_network() -> torch.nn.Module:
    """The real vista3d132 with random weights (seeded), built once per test process (also for
    test_vista3d_bundle.py)."""
    torch.manual_seed(0)
    return vista3d.build_network().eval()


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    """A state dict of the real vista3d132 shapes, random (seeded), saved like a plain .pt file (~870 MB)."""
    path = tmp_path_factory.mktemp("weights") / "vista3d_random.pt"
    torch.save(random_network().state_dict(), path)
    yield path
    vista3d.release_networks()


@pytest.fixture(scope="module")
def small_ct(ct_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "small_ct.nii.gz"
    sitk.WriteImage(sitk.ReadImage(str(ct_path))[CROP], str(path))
    return path


def settings_for(weights, **overrides) -> SeerSettings:
    return SeerSettings(**{"backbone": "vista3d", "vocab": "vista3d", "vista3d_weights": str(weights),
                           "device": "cpu", "embeddings": False, **overrides})


@pytest.fixture(scope="module")
def pipeline(weights_file, tmp_path_factory):
    from lib.pipeline import build_pipeline

    os.environ[vista3d.ROI_ENV] = TEST_ROI  # module scope: the autouse fixture is not active yet
    try:
        return build_pipeline(settings_for(weights_file, model_dir=str(tmp_path_factory.mktemp("model"))))
    finally:
        del os.environ[vista3d.ROI_ENV]


class ForwardCounter:
    """Counts network forwards (each sliding window or point window is one) and the classes each prompts."""

    def __init__(self, network: torch.nn.Module):
        self.calls = 0
        self.classes: list[int] = []  # class prompts per forward (0: clicks only)
        self._handle = network.register_forward_pre_hook(self._count, with_kwargs=True)

    def _count(self, module, args, kwargs):
        self.calls += 1
        class_vector = kwargs.get("class_vector")
        self.classes.append(0 if class_vector is None else len(class_vector))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.remove()


# ---- weights --------------------------------------------------------------------------------------------------

def test_state_dict_file_loads_into_the_real_architecture(ontology, weights_file):
    vista3d.release_networks()
    backbone = Vista3DBackbone(ontology, settings_for(weights_file))
    saved = torch.load(weights_file, map_location="cpu", weights_only=True)
    for key in ("image_encoder.encoder.conv_init.weight", "class_head.class_embeddings.weight"):
        assert torch.equal(backbone.network.state_dict()[key], saved[key]), key
    assert backbone.model_version == vista3d.weights_version(weights_file)
    assert backbone.model_version.startswith("vista3d-") and len(backbone.model_version) == len("vista3d-") + 12
    # One network per weights file and device in the process.
    assert Vista3DBackbone(ontology, settings_for(weights_file)).network is backbone.network


def test_bundle_folder_loads_models_model_pt(ontology, weights_file, tmp_path):
    bundle = tmp_path / "vista3d"
    (bundle / "models").mkdir(parents=True)
    (bundle / "models" / "model.pt").symlink_to(weights_file)
    assert vista3d.resolve_weights(str(bundle)) == bundle / "models" / "model.pt"
    vista3d.release_networks()
    backbone = Vista3DBackbone(ontology, settings_for(bundle))
    saved = torch.load(weights_file, map_location="cpu", weights_only=True)
    key = "image_encoder.encoder.layers.4.blocks.3.conv2.weight"
    assert torch.equal(backbone.network.state_dict()[key], saved[key])


def test_mismatched_state_dict_names_the_setting_and_the_key(ontology, tmp_path):
    bad = tmp_path / "bad.pt"
    torch.save({"image_encoder.encoder.conv_init.weight": torch.zeros(3)}, bad)
    with pytest.raises(BackboneError) as error:
        Vista3DBackbone(ontology, settings_for(bad))
    message = str(error.value)
    assert "image_encoder.encoder.conv_init.weight" in message and "(3,)" in message
    assert "--conf vista3d_weights" in message and "--weights" in message


@pytest.mark.parametrize("case", ["empty", "missing", "not_a_checkpoint", "folder_without_model"])
def test_unusable_weights_setting_gets_a_clear_error(ontology, tmp_path, case):
    value = {"empty": "", "missing": str(tmp_path / "nope.pt"), "not_a_checkpoint": str(tmp_path / "text.pt"),
             "folder_without_model": str(tmp_path)}[case]
    (tmp_path / "text.pt").write_text("not weights")
    with pytest.raises(BackboneError, match="vista3d_weights"):
        Vista3DBackbone(ontology, settings_for(value))


# ---- vocabulary and refusals ----------------------------------------------------------------------------------

def test_vocabulary_leaves_out_parent_and_unsupported_classes(pipeline):
    backbone = pipeline.backbone
    labels = set(backbone.label_to_concept())
    assert not labels & (PARENT_LABELS | UNSUPPORTED_LABELS)
    assert len(backbone.vocabulary()) == len(labels) == 132 - len(PARENT_LABELS | UNSUPPORTED_LABELS)
    assert not set(backbone.everything_labels()) & NOT_IN_EVERYTHING


@pytest.mark.parametrize("label", sorted(UNSUPPORTED_LABELS))
def test_a_target_the_released_model_cannot_segment_is_refused(pipeline, ontology, small_ct, label):
    name = ontology[ontology.label_map("vista3d")[label]].name
    with ForwardCounter(pipeline.backbone.network) as counter:
        result = pipeline.run(read_volume(small_ct), f"segment the {name.lower()}")
    assert result.spec.status == "rejected", (name, result.spec.message)
    assert result.labels is None and counter.calls == 0


# ---- class prompts, geometry ----------------------------------------------------------------------------------

def test_class_prompt_from_free_text_gives_a_mask_on_the_input_grid(pipeline, small_ct):
    volume = read_volume(small_ct)
    assert pipeline.backbone.everything(volume) is None  # cheap evidence: no segment-everything forward
    with ForwardCounter(pipeline.backbone.network) as counter:
        result = pipeline.run(volume, "the left kidney")
    assert result.spec.status == "ok" and result.spec.targets == ["kidney_left"], result.spec.message
    assert counter.calls >= 1 and result.fresh_everything is None
    value = pipeline.backbone.label_of("kidney_left")
    assert result.label_names == {"kidney_left": value}
    assert result.labels.shape == volume.array.shape and result.labels.dtype == np.uint8
    assert set(np.unique(result.labels)) <= {0, value}
    assert 0.0 <= result.mask_confidence <= 1.0


def test_without_a_map_evidence_comes_from_cheap_image_cues(pipeline, ct_path):
    with ForwardCounter(pipeline.backbone.network) as counter:
        evidence = pipeline.evidence_for(read_volume(ct_path))
    assert counter.calls == 0
    assert evidence.present is None  # presence unknown: a plausible target is segmented, not refused
    assert evidence.modality == "CT" and evidence.region == ["abdomen"]


def test_dicom_series_in_lps_comes_back_on_its_own_grid_and_agrees_in_space(pipeline, small_ct, tmp_path):
    lps = tmp_path / "lps.nii.gz"
    sitk.WriteImage(sitk.DICOMOrient(sitk.ReadImage(str(small_ct)), "LPS"), str(lps))
    dicom = read_volume(write_dicom_series(lps, tmp_path / "series"))
    nifti = read_volume(small_ct)
    assert dicom.orientation == "LPS" and nifti.orientation == "RAS"
    spec = TargetSpec(status="ok", targets=["liver", "kidney_left"])
    from_dicom = pipeline.backbone.segment(dicom, spec)
    from_nifti = pipeline.backbone.segment(nifti, spec)
    for target in spec.targets:
        mask = from_dicom[target].voxels
        assert mask.shape == dicom.array.shape and mask.dtype == bool
        # The same physical voxels, whatever the storage order: bring the DICOM mask onto the NIfTI grid.
        image = sitk.GetImageFromArray(mask.astype(np.uint8))
        image.CopyInformation(dicom.image)
        moved = sitk.GetArrayFromImage(sitk.Resample(image, nifti.image, sitk.Transform(),
                                                     sitk.sitkNearestNeighbor, 0))
        agreement = (moved.astype(bool) == from_nifti[target].voxels).mean()
        assert agreement > 0.99, f"{target}: {agreement:.4f}"


# ---- point prompts --------------------------------------------------------------------------------------------

def test_point_prompt_refines_one_target(pipeline, small_ct):
    volume = read_volume(small_ct)
    points = points_from_request({"points": [[8, 8, 5], [2, 3, 4]], "point_labels": [1, 0]})
    with ForwardCounter(pipeline.backbone.network) as counter:
        result = pipeline.run(volume, "the left kidney", points)
    assert result.spec.status == "ok" and result.labels.shape == volume.array.shape
    assert counter.calls == 2  # as the bundle: one window centred on each click, no class-prompt pass


def test_clicks_for_several_structures_are_refused_before_the_network(pipeline, small_ct):
    points = points_from_request({"points": [[8, 8, 5]], "point_labels": [1]})
    with ForwardCounter(pipeline.backbone.network) as counter:
        result = pipeline.run(read_volume(small_ct), "the liver and the spleen", points)
    assert result.spec.status == "rejected" and "one structure" in result.spec.message, result.spec.message
    assert result.labels is None and counter.calls == 0
    with pytest.raises(BackboneError, match="one structure"):
        pipeline.backbone.segment(read_volume(small_ct), TargetSpec(status="ok", targets=["liver", "spleen"]),
                                  points)


def test_clicks_map_to_the_same_network_voxel_from_any_storage_order(pipeline, small_ct, tmp_path):
    ras = read_volume(small_ct)
    lps_path = tmp_path / "lps.nii.gz"
    sitk.WriteImage(sitk.DICOMOrient(ras.image, "LPS"), str(lps_path))
    lps = read_volume(lps_path)
    ijk = (3.0, 5.0, 7.0)
    physical = ras.image.TransformContinuousIndexToPhysicalPoint(ijk)
    same_place = lps.image.TransformPhysicalPointToContinuousIndex(physical)
    backbone = pipeline.backbone
    from_ras = backbone.network_space_points(backbone._prepare(ras), [Point(ijk)])
    from_lps = backbone.network_space_points(backbone._prepare(lps), [Point(tuple(same_place))])
    np.testing.assert_allclose(from_ras, from_lps, atol=1e-4)
    # 3 mm voxels become 1.5 mm ones: one step of i in the input is two in the network's (RAS) space.
    step = backbone.network_space_points(backbone._prepare(ras), [Point((4.0, 5.0, 7.0))]) - from_ras
    np.testing.assert_allclose(step, [[2.0, 0.0, 0.0]], atol=1e-4)


def test_points_from_request_reads_ohif_and_slicer_keys():
    assert points_from_request({"prompt": "liver"}) is None
    ohif = points_from_request({"points": "[[1, 2, 3], [4, 5, 6], [0, 0, 0]]", "point_labels": [1, 0, -1],
                                "label_prompt": [1]})
    assert ohif == [Point((1.0, 2.0, 3.0), True), Point((4.0, 5.0, 6.0), False)]
    slicer = points_from_request({"foreground": [[1, 2, 3]], "background": [[7, 8, 9]]})
    assert slicer == [Point((1.0, 2.0, 3.0), True), Point((7.0, 8.0, 9.0), False)]
    assert points_from_request({"points": [[1, 2, 3]], "point_labels": [3]})[0].positive
    for bad in ({"points": [[1, 2]], "point_labels": [1]}, {"points": [[1, 2, 3]], "point_labels": [1, 0]},
                {"foreground": "not json"}, {"points": [[1, 2, 3]], "point_labels": [5]}):
        with pytest.raises(PointError):
            points_from_request(bad)


# ---- segment everything: computed once, persisted, reused -----------------------------------------------------

def test_second_request_reuses_the_persisted_map_without_the_network(weights_file, small_ct, tmp_path):
    """With the `masks_from_map` departure, a persisted map answers later requests with no forward at all; by
    default (the bundle's answer) it feeds the evidence and the request runs its own class prompt."""
    from lib.pipeline import build_pipeline

    settings = settings_for(weights_file, evidence="everything", vista3d_departures="masks_from_map",
                            model_dir=str(tmp_path / "model"))
    pipeline = build_pipeline(settings)
    volume = read_volume(small_ct)
    with ForwardCounter(pipeline.backbone.network) as counter:
        first = pipeline.run(volume, "the liver")
    assert first.spec.status in ("ok", "rejected")  # random weights: the liver may be absent from the map
    assert counter.calls >= 1 and first.fresh_everything is not None
    assert first.fresh_everything.shape == volume.array.shape

    # What the infer task does with a fresh map: persist it on the image grid, naming its vocabulary, so that
    # it is read in VISTA3D ids even where `vocab` names another vocabulary for precomputed maps.
    persisted = tmp_path / "everything.nii.gz"
    write_everything_map(first.fresh_everything, volume.image, persisted, pipeline.backbone.vocab)
    pipeline.backbone.settings = replace(pipeline.backbone.settings, vocab="total")

    again = read_volume(small_ct)
    again.everything_path = str(persisted)
    present = [pipeline.backbone.label_to_concept()[label]
               for label in np.unique(first.fresh_everything) if label]
    with ForwardCounter(pipeline.backbone.network) as counter:
        second = pipeline.run(again, "the liver")
        masks = pipeline.backbone.segment(again, TargetSpec(status="ok", targets=present[:1]))
    assert counter.calls == 0
    assert second.spec.status == first.spec.status and second.fresh_everything is None
    if second.spec.status == "ok":
        np.testing.assert_array_equal(second.labels, first.labels)
    label = pipeline.backbone.label_of(present[0])
    np.testing.assert_array_equal(masks[present[0]].voxels, first.fresh_everything == label)
    assert masks[present[0]].confidence == 1.0

    pipeline.backbone.departures = frozenset()  # the default
    with ForwardCounter(pipeline.backbone.network) as counter:
        masks = pipeline.backbone.segment(again, TargetSpec(status="ok", targets=present[:1]))
    assert counter.calls >= 1 and set(counter.classes) == {1}, counter.classes  # its own prompt, no everything


def test_a_map_in_another_vocabulary_is_translated_by_concept(ontology, weights_file, ct_path, ct_map_path):
    backbone = Vista3DBackbone(ontology, settings_for(weights_file, vocab="total"))
    volume = read_volume(ct_path)
    volume.everything_path = str(ct_map_path)
    with ForwardCounter(backbone.network) as counter:
        everything = backbone.everything(volume)
    total_label = {c: v for v, c in ontology.label_map("total").items()}["kidney_left"]
    reference = sitk.GetArrayFromImage(sitk.ReadImage(str(ct_map_path))) == total_label
    np.testing.assert_array_equal(everything == backbone.label_of("kidney_left"), reference)
    assert counter.calls == 0


# ---- the command line -----------------------------------------------------------------------------------------

def test_cli_segment_with_vista3d_writes_the_label_map_on_the_image_grid(weights_file, small_ct, tmp_path):
    out = tmp_path / "out.nii.gz"
    command = [sys.executable, str(REPO / "apps" / "seer" / "cli.py"), "segment", "--backbone", "vista3d",
               "--weights", str(weights_file), "--image", str(small_ct), "--prompt", "the left kidney",
               "--out", str(out), "--device", "cpu", "--no-embeddings", "--compact"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**os.environ, vista3d.ROI_ENV: TEST_ROI})
    assert done.returncode == 0, done.stderr[-2000:]
    spec = json.loads(done.stdout.strip().splitlines()[-1])
    assert spec["status"] == "ok" and spec["targets"] == ["kidney_left"]
    written, image = sitk.ReadImage(str(out)), sitk.ReadImage(str(small_ct))
    assert written.GetSize() == image.GetSize()
    np.testing.assert_allclose(written.GetOrigin(), image.GetOrigin(), atol=1e-4)
    np.testing.assert_allclose(written.GetSpacing(), image.GetSpacing(), atol=1e-6)
    np.testing.assert_allclose(written.GetDirection(), image.GetDirection(), atol=1e-6)


def test_cli_segment_without_weights_names_the_flag(small_ct, tmp_path):
    command = [sys.executable, str(REPO / "apps" / "seer" / "cli.py"), "segment", "--backbone", "vista3d",
               "--image", str(small_ct), "--prompt", "the left kidney", "--device", "cpu", "--no-embeddings"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "--weights" in done.stderr, done.stderr[-2000:]


def test_infer_task_persists_the_map_in_the_datastore_and_reuses_it(weights_file, small_ct, tmp_path):
    """The infer task's side of map reuse, with MONAI Label's real local datastore: the first request computes the
    everything-map and saves it as the image's `labelmap_tag` label; the next request finds it there (lib/maps.py)
    and runs no everything pass."""
    import shutil

    from monailabel.datastore.local import LocalDatastore

    from lib.infers.seer import SeerInfer
    from lib.maps import locate_everything
    from lib.pipeline import build_pipeline

    studies = tmp_path / "studies"
    studies.mkdir()
    shutil.copy(small_ct, studies / "small.nii.gz")
    store = LocalDatastore(str(studies), extensions=("*.nii.gz",), auto_reload=False)
    settings = settings_for(weights_file, evidence="everything", model_dir=str(tmp_path / "model"))
    pipeline = build_pipeline(settings)
    backbone = pipeline.backbone
    task = SeerInfer(
        pipeline,
        locate_everything=lambda volume: locate_everything(store, volume.id, settings, backbone.model_version),
        persist_everything=lambda volume, path: store.save_label(volume.id, path, settings.labelmap_tag,
                                                                 {"model_version": backbone.model_version}))
    request = {"image": store.get_image_uri("small"), "image_id": "small", "prompt": "the liver"}
    with ForwardCounter(backbone.network) as first:
        task(dict(request))
    assert max(first.classes) == len(backbone.everything_labels())  # the everything pass
    assert store.get_label_by_image_id("small", settings.labelmap_tag)
    with ForwardCounter(backbone.network) as second:
        _, reply = task(dict(request))
    # The persisted map gives the evidence: no everything pass; the mask, if any, is the liver's own prompt.
    assert max(second.classes, default=0) <= 1, "the persisted map was not reused"
    assert reply["status"] in ("ok", "rejected")  # random weights: the liver may be absent from the map


# ---- model_version, departures, what the map cannot hold ------------------------------------------------------

def test_model_version_digests_the_whole_file_once_per_path_size_and_mtime(tmp_path):
    path = tmp_path / "w.pt"
    data = bytearray(3 * 2**20)
    path.write_bytes(bytes(data))
    first = vista3d.weights_version(path)
    stat = path.stat()
    data[-1] = 1  # past the first MiB, same size
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert vista3d.weights_version(path) == first  # same path, size and mtime: the cached digest
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    changed = vista3d.weights_version(path)
    assert changed != first and changed.startswith("vista3d-")
    assert changed == "vista3d-" + __import__("hashlib").sha256(bytes(data)).hexdigest()[:12]


def test_unknown_departure_is_refused_at_start_up(tmp_path):
    from lib.settings import SettingsError

    settings = SeerSettings.from_conf({"vista3d_departures": "linear_inverse, bf16"}, str(tmp_path))
    assert settings.vista3d_departures == "linear_inverse, bf16"
    with pytest.raises(SettingsError, match="linear_inverse"):
        SeerSettings.from_conf({"vista3d_departures": "linear_inverse,faster"}, str(tmp_path))


def test_a_lesion_is_not_absent_for_lack_of_a_voxel_in_the_map_unless_its_organ_is(ontology, ct_path, ct_map_path,
                                                                                   tmp_path):
    """The everything-map never holds lesions, hepatic vessels or the airway; the evidence counts them present where
    the organ they lie in (`within` in concepts.json) is, so the reasoning segments them, and refuses a lesion of
    an absent organ. No forward runs: the map is a persisted TotalSegmentator map."""
    from lib.pipeline import SeerPipeline, build_pipeline

    settings = SeerSettings(backbone="vista3d", vocab="total", device="cpu", embeddings=False)
    engine = build_pipeline(replace(settings, backbone="labelmap")).engine
    with torch.device("meta"):  # reasoning only: the network never runs
        network = vista3d.build_network()
    backbone = Vista3DBackbone(ontology, settings, network=network.to_empty(device="cpu"))
    cannot = backbone.map_cannot_hold()
    assert {backbone.label_of(c) for c in cannot} == set(NOT_IN_EVERYTHING)
    assert all(ontology[c].within for c in cannot)
    total = {c: v for v, c in ontology.label_map("total").items()}
    reference = sitk.ReadImage(str(ct_map_path))
    without_liver = sitk.GetArrayFromImage(reference)
    without_liver[without_liver == total["liver"]] = 0
    no_liver = sitk.GetImageFromArray(without_liver)
    no_liver.CopyInformation(reference)
    sitk.WriteImage(no_liver, str(tmp_path / "no_liver.nii.gz"))
    for map_path, expected in ((ct_map_path, "ok"), (tmp_path / "no_liver.nii.gz", "rejected")):
        pipeline = SeerPipeline(engine, backbone)
        volume = read_volume(ct_path)
        volume.everything_path = str(map_path)
        evidence = pipeline.evidence_for(volume)
        spec = engine.understand("the hepatic tumor", evidence)
        assert spec.status == expected, (map_path, spec.message)
        if expected == "ok":
            assert spec.targets == ["hepatic_tumor"] and evidence.present["hepatic_tumor"].voxels == 0
        else:
            assert "not in this image" in spec.message and "hepatic_tumor" not in evidence.present
