"""Backbone `vista3d`: MONAI's VISTA3D network (`monai.networks.nets.vista3d132`), as the released bundle runs it.

Spec in, voxels out, like every backbone; it knows no words. What it adds over `labelmap`:
- class prompts: each target id becomes its VISTA3D label index through the ontology; several prompts give one
  label per voxel (the bundle's arg-max);
- point prompts: foreground/background clicks (original-image voxel indices) for one target;
- segment everything: one pass over the bundle's `everything_labels`, only when `settings.evidence ==
  "everything"` or when a caller asks (`compute_everything`); a map persisted by the caller
  (`volume.everything_path`) is read instead, with no forward at all. By default the map feeds the evidence only:
  a requested class runs its own class prompt, as the bundle would answer that request.

Equal to the released bundle by default (model-zoo `models/vista3d`, version `BUNDLE_VERSION`): the same MONAI
transforms with the same values, the same inferers, the same post-transform and the same inverse; every value
below names the bundle file it comes from. `settings.vista3d_departures` names the deliberate departures
(`DEPARTURES`), each off by default; the README gives the measured difference of each.

The network is built once per process and weights file; forwards are serialised by one lock, so concurrent
requests queue instead of exhausting the GPU's memory.

`SEER_VISTA3D_ROI` (e.g. "32" or "32,32,48") overrides the window size: for tests on tiny volumes with the real
architecture and for small GPUs. Each side must be a multiple of 16 (the encoder halves it 4 times).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import SimpleITK as sitk
import torch

from ..records import TargetSpec
from ..volume import Volume, VolumeError, align_label_map, map_vocabulary
from .base import BackboneError, Mask, Point

SETTING_HINT = "--conf vista3d_weights PATH on the server, --weights PATH on the CLI"
BUNDLE_WEIGHTS = Path("models") / "model.pt"  # where a MONAI bundle keeps its weights
ROI_ENV = "SEER_VISTA3D_ROI"

# ---- the released bundle ----------------------------------------------------------------------------------------
# model-zoo models/vista3d, configs/metadata.json "version". The transform values were read in configs/inference.json
# of 0.5.4 (model-zoo commit 9d35f9ad) and the inferers in scripts/inferer.py of the 0.5.7+ line (commit b4aefe0e,
# "change sw padding mode to replicate"); the changelog up to 0.6.0 changes no inference value after that.
BUNDLE_VERSION = "0.6.0"
# configs/inference.json: "resample_spacing", Spacingd mode "bilinear".
SPACING_MM = 1.5
# configs/inference.json: ScaleIntensityRanged a_min / a_max -> b_min 0 / b_max 1, clip true.
INTENSITY_MIN_HU = -963.8247715525971
INTENSITY_MAX_HU = 1053.678477684517
# configs/inference.json: CropForegroundd margin 10, allow_smaller true, source the image (MONAI's default select_fn
# keeps voxels > 0, in HU, since the crop runs before the intensity window).
CROP_MARGIN = 10
# configs/inference.json: "patch_size".
PATCH_SIZE = (128, 128, 128)
# configs/inference.json: the inferer's "overlap", used only by the point-window inferer (scripts/inferer.py); class
# prompts run SlidingWindowInfererAdapt with its defaults (overlap 0.25, constant blending) and replicate padding.
POINT_OVERLAP = 0.3
CLASS_PADDING = "replicate"
# configs/inference.json "subclass": a parent label stands for these labels (bone leaves out S1, 127, and L6, 131).
SUBCLASS = {"2": [14, 5], "20": [28, 29, 30, 31, 32],
            "21": list(range(33, 57)) + list(range(63, 98)) + [114, 120, 122]}
PARENT_LABELS = frozenset(int(k) for k in SUBCLASS)
# scripts/evaluator.py check_prompts_format: labels the released model was never trained on.
UNSUPPORTED_LABELS = frozenset({16, 18, 129, 130, 131})
# configs/inference.json "everything_labels" leaves these out besides the parents and the unsupported: the lesions,
# the hepatic vessels and the airway. The everything-map never holds them; a request for one runs the network.
NOT_IN_EVERYTHING = frozenset({23, 24, 25, 26, 27, 128, 132})
# monai.apps.vista3d.transforms.VistaPreTransformd's default `special_index` (the bundle passes none): clicks for
# these prompts become 2/3 instead of 0/1.
SPECIAL_POINT_LABELS = (25, 26, 27, 28, 29, 117)
# configs/inference.json postprocessing: Lambdad nan_to_num(nan=255) after Invertd; voxels outside every click
# window have no prediction and get this value.
NO_PREDICTION = 255
# configs/inference.json: "amp": true; scripts/evaluator.py runs torch.amp.autocast("cuda") with no dtype: fp16.
AMP_DTYPE = torch.float16

# Deliberate departures from the bundle, each off by default (`--conf vista3d_departures a,b`).
DEPARTURES = {
    "linear_inverse": "logits go back to the input grid by linear interpolation and the labels are taken there, "
                      "instead of the bundle's nearest-neighbour inverse of the label map",
    "bf16": "bf16 autocast on CUDA instead of the bundle's fp16",
    "masks_from_map": "a class in a persisted or fresh everything-map is cut from it with no forward, instead of "
                      "running its own class prompt",
}

# Window batch: values do not depend on it (the windows are the same, blending is per window). sw batch 4 on CUDA
# was measured in issue 8 (1.59 s -> 1.12 s on an H200); the bundle's "sw_batch_size" is 1.
CUDA_SW_BATCH = 4
CPU_SW_BATCH = 1
# Everything-map logits for all classes at once can outgrow memory (117 classes x 22 M voxels x 4 B = 10 GB);
# classes run in chunks so the stitched logits stay under this many bytes. Each class's logits do not depend on
# the others, so the chunked arg-max equals the bundle's single pass.
EVERYTHING_BUFFER_BYTES = {"cuda": 24 * 2**30, "cpu": 2 * 2**30}
FRESH_MAPS_KEPT = 2
DIGEST_CHUNK_BYTES = 2**24
LPS_TO_RAS_4 = np.diag([-1.0, -1.0, 1.0, 1.0])


@dataclass(frozen=True)
class Preprocessing:
    """The released bundle's inference values; `roi` may be shrunk for tests (see `SEER_VISTA3D_ROI`)."""

    spacing_mm: float = SPACING_MM
    intensity_min_hu: float = INTENSITY_MIN_HU
    intensity_max_hu: float = INTENSITY_MAX_HU
    crop_margin: int = CROP_MARGIN
    roi: tuple[int, int, int] = PATCH_SIZE
    point_overlap: float = POINT_OVERLAP


def default_preprocessing() -> Preprocessing:
    raw = os.environ.get(ROI_ENV, "").strip()
    if not raw:
        return Preprocessing()
    try:
        sides = [int(v) for v in raw.replace("x", ",").split(",")]
    except ValueError:
        raise BackboneError(f"{ROI_ENV}={raw!r}: use one size or three, e.g. 128 or 96,96,128") from None
    roi = tuple(sides * 3 if len(sides) == 1 else sides)
    if len(roi) != 3 or any(s <= 0 or s % 16 for s in roi):
        raise BackboneError(f"{ROI_ENV}={raw!r}: each side must be a positive multiple of 16")
    return Preprocessing(roi=roi)  # type: ignore[arg-type]


def parse_departures(raw: str) -> frozenset[str]:
    """`linear_inverse,bf16` -> the set; an unknown name is an error that lists the known ones."""
    names = frozenset(n.strip() for n in raw.split(",") if n.strip())
    unknown = sorted(names - set(DEPARTURES))
    if unknown:
        raise BackboneError(f"--conf vista3d_departures: unknown {unknown}; known: {sorted(DEPARTURES)}")
    return names


def bundle_transforms(preprocessing: Preprocessing, device: torch.device):
    """The bundle's `preprocessing_transforms` after LoadImaged/EnsureChannelFirstd, in its order and with its
    values (configs/inference.json). The same object later inverts the prediction (Invertd)."""
    from monai.apps.vista3d.transforms import VistaPreTransformd
    from monai.transforms import (CastToTyped, Compose, CropForegroundd, EnsureTyped, Orientationd,
                                  ScaleIntensityRanged, Spacingd)

    return Compose([
        EnsureTyped(keys="image", device=device, track_meta=True),
        Spacingd(keys="image", pixdim=[preprocessing.spacing_mm] * 3, mode="bilinear"),
        CropForegroundd(keys="image", source_key="image", margin=preprocessing.crop_margin, allow_smaller=True),
        VistaPreTransformd(keys="image", subclass=SUBCLASS),
        ScaleIntensityRanged(keys="image", a_min=preprocessing.intensity_min_hu, a_max=preprocessing.intensity_max_hu,
                             b_min=0.0, b_max=1.0, clip=True),
        Orientationd(keys="image", axcodes="RAS"),
        CastToTyped(keys="image", dtype=torch.float32),
    ])


def image_metatensor(volume: Volume):
    """The image as MONAI's LoadImaged + EnsureChannelFirstd give it: (1, I, J, K) float32 in the file's own axis
    order, with the RAS affine (ITK's LPS geometry flipped in x and y) as `affine` and `original_affine`."""
    from monai.data import MetaTensor

    image = volume.image
    if image.GetNumberOfComponentsPerPixel() != 1 or image.GetDimension() != 3:
        raise VolumeError(f"{volume.source}: VISTA3D needs a 3D single-channel image")
    affine = np.eye(4)
    affine[:3, :3] = np.array(image.GetDirection()).reshape(3, 3) * np.array(image.GetSpacing())
    affine[:3, 3] = image.GetOrigin()
    affine = LPS_TO_RAS_4 @ affine
    array = sitk.GetArrayViewFromImage(image).transpose(2, 1, 0)  # (k, j, i) -> MONAI's (i, j, k)
    tensor = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))[None]
    return MetaTensor(tensor, affine=torch.as_tensor(affine, dtype=torch.float64),
                      meta={"original_affine": affine, "space": "RAS", "filename_or_obj": volume.source,
                            "spatial_shape": np.array(array.shape)})


@dataclass
class Prepared:
    """One image in the network's space.

    Args:
        data: the bundle's dictionary after its preprocessing: "image" is the (1, I, J, K) MetaTensor (RAS, 1.5 mm,
            cropped, 0..1) that carries the applied transforms for the inverse.
        transforms: the Compose that made it, which inverts predictions.
        input_shape: the input image's array shape.
    """

    data: dict
    transforms: object
    input_shape: tuple[int, int, int]  # (z, y, x) of the input image, where predictions go back to
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def tensor(self) -> torch.Tensor:
        """(1, 1, I, J, K), as the bundle's data loader batches it."""
        return self.data["image"].as_tensor()[None]


def resolve_device(setting: str) -> torch.device:
    if setting == "cpu":
        return torch.device("cpu")
    if setting == "cuda" and not torch.cuda.is_available():
        raise BackboneError("--conf device cuda (CLI --device cuda): no CUDA device is available; use auto or cpu")
    return torch.device("cuda" if torch.cuda.is_available() and setting in ("auto", "cuda") else "cpu")


def resolve_weights(setting: str) -> Path:
    """The weights file a setting names: a bundle folder (its models/model.pt) or a state-dict file."""
    if not setting:
        raise BackboneError(f"the vista3d backbone needs weights: set {SETTING_HINT} (a MONAI bundle folder or a "
                            "state-dict file; `cli.py weights fetch vista3d --out DIR` downloads the released one)")
    path = Path(setting).expanduser()
    if path.is_dir():
        if not (path / BUNDLE_WEIGHTS).is_file():
            raise BackboneError(f"vista3d weights {path}: a folder must be a MONAI bundle holding {BUNDLE_WEIGHTS} "
                                f"(set {SETTING_HINT})")
        return path / BUNDLE_WEIGHTS
    if not path.is_file():
        raise BackboneError(f"vista3d weights {path}: no such file or folder (set {SETTING_HINT})")
    return path


_VERSIONS: dict[tuple[str, int, int], str] = {}
_VERSIONS_LOCK = threading.Lock()


def weights_version(path: Path) -> str:
    """A digest of the whole weight file, so maps persisted by other weights are not reused. Reading 870 MB takes a
    second or two, so it is computed once per (resolved path, size, mtime) in the process."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    key = (str(resolved), stat.st_size, stat.st_mtime_ns)
    with _VERSIONS_LOCK:
        if key not in _VERSIONS:
            digest = hashlib.sha256()
            with open(resolved, "rb") as f:
                while chunk := f.read(DIGEST_CHUNK_BYTES):
                    digest.update(chunk)
            _VERSIONS[key] = "vista3d-" + digest.hexdigest()[:12]
        return _VERSIONS[key]


def build_network() -> torch.nn.Module:
    from monai.networks.nets import vista3d132

    return vista3d132(in_channels=1)  # configs/inference.json "network_def"


def load_state_dict(path: Path, network: torch.nn.Module) -> None:
    """Load a state dict into `network`, or say which key of which file does not fit and how to fix it."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for a file that is not a checkpoint
        raise BackboneError(f"vista3d weights {path}: not a PyTorch state dict ({type(error).__name__}: "
                            f"{str(error).strip().splitlines()[0][:200]}); set {SETTING_HINT}") from None
    for wrapper in ("model", "state_dict", "network"):  # CheckpointLoader / Lightning style wrappers
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict):
        raise BackboneError(f"vista3d weights {path}: holds a {type(state).__name__}, not a state dict; "
                            f"set {SETTING_HINT}")
    state = {k.removeprefix("module."): v for k, v in state.items()}  # saved from DistributedDataParallel
    expected = network.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    if missing or unexpected or wrong:
        if wrong:
            key = wrong[0]
            detail = f"key {key!r} has shape {tuple(state[key].shape)}, vista3d132 needs {tuple(expected[key].shape)}"
        elif missing:
            detail = f"key {missing[0]!r} is missing"
        else:
            detail = f"key {unexpected[0]!r} is not part of vista3d132"
        raise BackboneError(f"vista3d weights {path} do not fit monai.networks.nets.vista3d132: {detail} "
                            f"({len(missing)} missing, {len(unexpected)} unexpected, {len(wrong)} of another "
                            f"shape); set {SETTING_HINT} to the released VISTA3D bundle")
    # assign: a network built on the meta device takes the loaded tensors as they are (no random init, no copy).
    network.load_state_dict(state, strict=True, assign=True)


# One network per (weights, device) in the process, whatever the number of backbones or pipelines; forwards of all
# of them go through one lock (a second request waits instead of doubling the GPU memory).
_NETWORKS: dict[tuple[str, str], torch.nn.Module] = {}
_NETWORKS_LOCK = threading.Lock()
FORWARD_LOCK = threading.Lock()


def shared_network(path: Path, version: str, device: torch.device) -> torch.nn.Module:
    key = (version, str(device))
    with _NETWORKS_LOCK:
        if key not in _NETWORKS:
            with torch.device("meta"):  # shapes only: the weights file fills every tensor
                network = build_network()
            load_state_dict(path, network)
            _NETWORKS[key] = network.to(device).eval()
        return _NETWORKS[key]


def release_networks() -> None:
    """Drop the process's networks (tests that load several weight files)."""
    with _NETWORKS_LOCK:
        _NETWORKS.clear()


class Vista3DBackbone:
    name = "vista3d"
    vocab = "vista3d"  # the label ids of the maps it computes

    def __init__(self, ontology, settings, *, network: torch.nn.Module | None = None,
                 model_version: str = "random-weights", preprocessing: Preprocessing | None = None):
        """
        Args:
            ontology: the loaded ontology; VISTA3D label indices come from its `vista3d` vocabulary.
            settings: `SeerSettings`; reads `vista3d_weights`, `device`, `evidence`, `vista3d_departures` and
                `vocab` (the vocabulary of persisted maps handed in as `volume.everything_path`).
            network: an already built network instead of `settings.vista3d_weights` (random weights for `perf`
                and tests); `model_version` then names it.
            preprocessing: the bundle's values by default (`SEER_VISTA3D_ROI` may shrink the window).
        """
        self.ontology = ontology
        self.settings = settings
        self.device = resolve_device(settings.device)
        self.departures = parse_departures(getattr(settings, "vista3d_departures", ""))
        self.preprocessing = preprocessing or default_preprocessing()
        self._labels = {label: concept for label, concept in ontology.label_map("vista3d").items()
                        if label not in PARENT_LABELS | UNSUPPORTED_LABELS}
        self._label_of = {concept: label for label, concept in self._labels.items()}
        if network is None:
            path = resolve_weights(settings.vista3d_weights)
            self.model_version = weights_version(path)
            self.network = shared_network(path, self.model_version, self.device)
        else:
            self.model_version = model_version
            self.network = network.to(self.device).eval()
        self.sw_batch_size = CUDA_SW_BATCH if self.device.type == "cuda" else CPU_SW_BATCH
        self.last_timings: dict[str, float] = {}  # seconds of the last network run, by stage (for `perf`)
        self._fresh: OrderedDict[tuple, tuple[np.ndarray, dict[int, float]]] = OrderedDict()
        self._persisted: dict[tuple, np.ndarray] = {}
        self._maps_lock = threading.Lock()  # two requests on one new image compute its everything-map once

    # ---- vocabulary ------------------------------------------------------------------------------------------
    def vocabulary(self) -> list[str]:
        return [self._labels[label] for label in sorted(self._labels)]

    def label_to_concept(self) -> dict[int, str]:
        return dict(self._labels)

    def label_of(self, concept_id: str) -> int:
        """The VISTA3D label index a concept is prompted with."""
        if concept_id not in self._label_of:
            raise BackboneError(f"{concept_id}: not in the vocabulary the released VISTA3D model supports")
        return self._label_of[concept_id]

    def everything_labels(self) -> list[int]:
        return [label for label in sorted(self._labels) if label not in NOT_IN_EVERYTHING]

    def map_cannot_hold(self) -> list[str]:
        """Concept ids this backbone segments on request but never puts in its everything-map: the map's lack of
        them is no evidence of absence."""
        return [self._labels[label] for label in sorted(self._labels) if label in NOT_IN_EVERYTHING]

    def _translation(self, vocab: str) -> np.ndarray:
        """Lookup table from a persisted map's label ids (in `vocab`) to ours; ids we cannot name become 0."""
        source = self.ontology.label_map(vocab)
        table = np.zeros(max(source) + 1, dtype=np.uint16)
        for label, concept in source.items():
            table[label] = self._label_of.get(concept, 0)
        return table

    # ---- segment everything ----------------------------------------------------------------------------------
    def everything(self, volume: Volume) -> np.ndarray | None:
        if volume.everything_path:
            return self._read_persisted(volume)
        if self.settings.evidence != "everything":
            return None
        return self.compute_everything(volume)

    def _read_persisted(self, volume: Volume) -> np.ndarray:
        path = Path(volume.everything_path)
        if not path.is_file():
            raise BackboneError(f"segment-everything map {path}: no such file")
        key = (volume.source, str(path), path.stat().st_mtime_ns)
        if key not in self._persisted:
            try:
                label_map = sitk.ReadImage(str(path))
            except RuntimeError as error:
                raise VolumeError(f"{path}: not a readable label map ({str(error).strip().splitlines()[-1]})") from None
            aligned = align_label_map(label_map, volume.image)
            self._persisted.clear()  # one study at a time; a new array also refreshes the pipeline's evidence
            # A map this backbone persisted says it is in VISTA3D ids; any other is in `settings.vocab`.
            table = self._translation(map_vocabulary(label_map) or self.settings.vocab)
            self._persisted[key] = table[np.clip(aligned, 0, len(table) - 1)]
        return self._persisted[key]

    @staticmethod
    def _volume_key(volume: Volume) -> tuple:
        image = volume.image
        return (volume.source, image.GetSize(), image.GetOrigin(), image.GetSpacing(), image.GetDirection())

    def compute_everything(self, volume: Volume) -> np.ndarray:
        """The bundle's segment-everything (no prompt: its `everything_labels`): uint16 (z, y, x) on the volume's
        grid, VISTA3D label ids. Kept in memory per image, so evidence and a later request share one forward."""
        key = self._volume_key(volume)
        with self._maps_lock:
            if key in self._fresh:
                return self._fresh[key][0]
            labels = self.everything_labels()
            prepared = self._prepare(volume)
            started = time.perf_counter()
            label_map, confidences = self._everything_labels(prepared.tensor, labels)
            network_s = time.perf_counter() - started
            started = time.perf_counter()
            everything = self._to_array(prepared, self._invert(prepared, label_map, nearest=True)).astype(np.uint16)
            self.last_timings = {**prepared.timings, "network_s": network_s,
                                 "resample_s": time.perf_counter() - started}
            while len(self._fresh) >= FRESH_MAPS_KEPT:
                self._fresh.popitem(last=False)
            self._fresh[key] = (everything, confidences)
            return everything

    def _everything_labels(self, tensor: torch.Tensor, labels: list[int]) -> tuple[torch.Tensor, dict[int, float]]:
        """VistaPostTransformd's arg-max over `labels` (0 where no logit is above 0), computed in chunks of classes
        that fit memory: (1, I, J, K) float label ids, and the mean foreground probability of each label."""
        voxels = int(np.prod(tensor.shape[-3:]))
        budget = EVERYTHING_BUFFER_BYTES[self.device.type]
        chunk = max(1, min(len(labels), budget // (voxels * 4)))
        best_logit = best_label = None
        for start in range(0, len(labels), chunk):
            part = labels[start:start + chunk]
            logits = self._class_logits(tensor, part)[0]  # (B, I, J, K)
            value, index = logits.max(dim=0)  # the first of equal maxima, as torch.argmax in the post-transform
            label = torch.as_tensor(part, device=logits.device)[index]
            if best_logit is None:
                best_logit, best_label = value, label
            else:
                better = value > best_logit  # an earlier chunk keeps a tie, as one arg-max over all would
                best_logit = torch.where(better, value, best_logit)
                best_label = torch.where(better, label, best_label)
            del logits
        best_label = torch.where(best_logit > 0, best_label, torch.zeros_like(best_label))
        confidences = self._confidences(best_label, torch.sigmoid(best_logit.float()), labels)
        return best_label.float()[None], confidences

    @staticmethod
    def _confidences(label_map: torch.Tensor, probability: torch.Tensor, labels: list[int]) -> dict[int, float]:
        """Mean foreground probability over each label's voxels (network space); 0.0 for a label with none."""
        out = {}
        for label in labels:
            inside = label_map == label
            out[label] = round(float(probability[inside].mean()), 4) if bool(inside.any()) else 0.0
        return out

    # ---- class and point prompts -----------------------------------------------------------------------------
    def segment(self, volume: Volume, spec: TargetSpec, points: list[Point] | None = None) -> dict[str, Mask]:
        ids = list(dict.fromkeys([*spec.targets, *spec.exclude]))
        labels = [self.label_of(c) for c in ids]
        if points:
            if len(ids) != 1:
                # The bundle takes clicks with one label prompt only (scripts/evaluator.py check_prompts_format).
                raise BackboneError(f"clicks refine one structure; this request names {len(ids)}: {', '.join(ids)}")
            label_map, confidences = self._segment_with_points(volume, labels[0], points)
        else:
            if "masks_from_map" in self.departures and not set(labels) & NOT_IN_EVERYTHING:
                cut = self._cut_from_map(volume, ids)
                if cut is not None:
                    return cut
            label_map, confidences = self._segment_with_network(volume, labels)
        return {c: Mask(voxels=label_map == labels[n], confidence=confidences[labels[n]]) for n, c in enumerate(ids)}

    def _cut_from_map(self, volume: Volume, ids: list[str]) -> dict[str, Mask] | None:
        """Masks from a persisted map (no uncertainty of its own: 1.0) or from this process's fresh one."""
        if volume.everything_path:
            everything, confidences = self._read_persisted(volume), None
        elif self._volume_key(volume) in self._fresh:
            everything, confidences = self._fresh[self._volume_key(volume)]
        else:
            return None
        masks = {}
        for concept in ids:
            label = self._label_of[concept]
            voxels = everything == label
            confidence = 1.0 if confidences is None else confidences.get(label, 0.0)
            masks[concept] = Mask(voxels=voxels, confidence=confidence if voxels.any() else 0.0)
        return masks

    def _segment_with_network(self, volume: Volume, labels: list[int]) -> tuple[np.ndarray, dict[int, float]]:
        """Class prompts as the bundle runs them: one (z, y, x) label map on the input grid (one label per voxel),
        and each label's confidence."""
        prepared = self._prepare(volume)
        started = time.perf_counter()
        logits = self._class_logits(prepared.tensor, labels)[0]  # (B, I, J, K)
        network_space = self._post(logits.clone(), labels)
        confidences = self._confidences(network_space[0], torch.sigmoid(logits).max(dim=0).values, labels)
        network_s = time.perf_counter() - started
        started = time.perf_counter()
        label_map = self._on_input_grid(prepared, logits, network_space, labels)
        self.last_timings = {**prepared.timings, "network_s": network_s, "resample_s": time.perf_counter() - started}
        return label_map, confidences

    def _segment_with_points(self, volume: Volume, label: int, points: list[Point]
                             ) -> tuple[np.ndarray, dict[int, float]]:
        """Clicks for one label, as the bundle's evaluator and inferer handle them: the clicks go into network space
        through the preprocessing's affine, VistaPreTransformd turns 0/1 into 2/3 for its special labels, and one
        window centred on each click runs with the class and the clicks; voxels outside every window have no
        prediction (NO_PREDICTION in the label map, so outside the mask)."""
        from monai.apps.vista3d.inferer import point_based_window_inferer

        positives = [1 if p.positive else 0 for p in points]
        prepared = self._prepare(volume, {"label_prompt": [label], "points": [list(p.ijk) for p in points],
                                          "point_labels": positives})
        coords = torch.from_numpy(self.network_space_points(prepared, points)[None]).to(self.device)  # (1, N, 3)
        point_labels = torch.as_tensor([prepared.data["point_labels"]], device=self.device)
        prompt = torch.as_tensor([[label]], device=self.device)
        # scripts/inferer.py: a label the class head does not know (> last_supported) is a zero-shot prompt.
        class_vector = None if label > self.network.point_head.last_supported else prompt
        started = time.perf_counter()
        with FORWARD_LOCK, torch.no_grad(), self._autocast():
            logits = point_based_window_inferer(
                inputs=prepared.tensor.to(self.device), roi_size=self.preprocessing.roi,
                sw_batch_size=self.sw_batch_size, transpose=True, with_coord=True, predictor=self.network,
                mode="gaussian", sw_device=self.device, device=self.device, overlap=self.preprocessing.point_overlap,
                point_coords=coords, point_labels=point_labels, class_vector=class_vector, prompt_class=prompt,
                prev_mask=None, labels=None, label_set=None)
        logits = torch.as_tensor(logits).float().to(self.device)[0]  # (1, I, J, K), NaN outside the windows
        network_space = self._post(logits.clone(), [label])
        confidences = self._confidences(network_space[0], torch.sigmoid(logits[0]), [label])
        network_s = time.perf_counter() - started
        started = time.perf_counter()
        label_map = self._on_input_grid(prepared, logits, network_space, [label])
        self.last_timings = {**prepared.timings, "network_s": network_s, "resample_s": time.perf_counter() - started}
        return label_map, confidences

    @property
    def precision(self) -> str:
        """What the network computes in: fp16 autocast on CUDA as the bundle, bf16 as a departure, fp32 on the CPU."""
        if self.device.type != "cuda":
            return "fp32"
        return "bf16 autocast" if "bf16" in self.departures else "fp16 autocast"

    def _autocast(self):
        # The bundle's evaluator autocasts on CUDA only (fp16); on the CPU it runs in fp32.
        if self.device.type != "cuda":
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=torch.bfloat16 if "bf16" in self.departures else AMP_DTYPE)

    def _class_logits(self, tensor: torch.Tensor, labels: list[int]) -> torch.Tensor:
        """Class-prompt logits as scripts/inferer.py computes them: SlidingWindowInfererAdapt with its default overlap
        and blending, replicate padding and the window coordinates; (1, B, I, J, K) float32."""
        from monai.inferers import SlidingWindowInfererAdapt

        class_vector = torch.as_tensor(labels, device=self.device).unsqueeze(-1)
        inferer = SlidingWindowInfererAdapt(roi_size=self.preprocessing.roi, sw_batch_size=self.sw_batch_size,
                                            with_coord=True, padding_mode=CLASS_PADDING)
        with FORWARD_LOCK, torch.no_grad(), self._autocast():
            logits = inferer(tensor.to(self.device), self.network, transpose=True, point_coords=None,
                             point_labels=None, class_vector=class_vector, prompt_class=class_vector, prev_mask=None,
                             labels=None, label_set=None)
        return torch.as_tensor(logits).float()

    def _post(self, logits: torch.Tensor, labels: list[int]) -> torch.Tensor:
        """VistaPostTransformd: (B, ...) logits -> (1, ...) label ids (float; NaN stays NaN). It writes into
        `logits`."""
        from monai.apps.vista3d.transforms import VistaPostTransformd

        prompt = torch.as_tensor(labels, device=logits.device).unsqueeze(-1)
        return VistaPostTransformd(keys="pred")({"pred": logits, "label_prompt": prompt})["pred"]

    def network_space_points(self, prepared: Prepared, points: list[Point]) -> np.ndarray:
        """Original-image (i, j, k) -> continuous (i, j, k) in the network tensor: the evaluator's
        inv(affine after preprocessing) @ original_affine, in float64."""
        for point in points:
            if point.frame != "image_ijk":
                raise BackboneError(f"point frame {point.frame!r}: only image_ijk is understood")
        image = prepared.data["image"]
        to_network = np.linalg.inv(image.affine.cpu().numpy()) @ np.asarray(image.meta["original_affine"])
        homogeneous = np.array([[*map(float, p.ijk), 1.0] for p in points]).T
        return (to_network @ homogeneous)[:3].T

    # ---- to and from the network's space ---------------------------------------------------------------------
    def _prepare(self, volume: Volume, prompts: dict | None = None) -> Prepared:
        """The bundle's preprocessing (RAS, 1.5 mm, foreground crop, CT window) with MONAI's own transforms."""
        started = time.perf_counter()
        transforms = bundle_transforms(self.preprocessing, self.device)
        data = transforms({"image": image_metatensor(volume), **(prompts or {})})
        return Prepared(data=data, transforms=transforms, input_shape=tuple(volume.array.shape),
                        timings={"preprocess_s": time.perf_counter() - started})

    def _invert(self, prepared: Prepared, prediction: torch.Tensor, nearest: bool) -> torch.Tensor:
        """(C, I, J, K) in network space -> (C, X, Y, Z) on the input grid, through MONAI's Invertd of the
        preprocessing (nearest neighbour, as the bundle does for its label map, or the forward modes)."""
        from monai.data import MetaTensor
        from monai.transforms import Invertd

        if not isinstance(prediction, MetaTensor):  # Invertd takes the image's transforms only onto a MetaTensor
            prediction = MetaTensor(prediction)
        invert = Invertd(keys="pred", transform=prepared.transforms, orig_keys="image", nearest_interp=nearest,
                         to_tensor=True)
        return invert({"image": prepared.data["image"], "pred": prediction})["pred"]

    def _on_input_grid(self, prepared: Prepared, logits: torch.Tensor, network_space: torch.Tensor,
                       labels: list[int]) -> np.ndarray:
        """The label map on the input grid: the bundle inverts the (1, I, J, K) label map by nearest neighbour; the
        `linear_inverse` departure inverts the (B, I, J, K) logits linearly and takes the labels there."""
        if "linear_inverse" in self.departures:
            return self._to_array(prepared, self._post(self._invert(prepared, logits, nearest=False), labels))
        return self._to_array(prepared, self._invert(prepared, network_space, nearest=True))

    @staticmethod
    def _to_array(prepared: Prepared, label_map: torch.Tensor) -> np.ndarray:
        """(1, X, Y, Z) label ids on the input grid -> int32 (z, y, x), NaN -> 255 as the bundle's
        nan_to_num(nan=255)."""
        back = torch.nan_to_num(label_map.as_tensor() if hasattr(label_map, "as_tensor") else label_map,
                                nan=NO_PREDICTION)
        back = back[0].cpu().numpy().transpose(2, 1, 0)  # (i, j, k) -> (z, y, x)
        if back.shape != prepared.input_shape:
            raise BackboneError(f"vista3d output {back.shape} does not match the input grid {prepared.input_shape}")
        return np.rint(back).astype(np.int32)

    def bare_forward(self, volume: Volume, labels: list[int]) -> tuple[Prepared, float]:
        """Preprocess, then time the sliding-window network alone on that tensor (for `perf`)."""
        prepared = self._prepare(volume)
        tensor = prepared.tensor.to(self.device)
        self._synchronise()
        started = time.perf_counter()
        self._class_logits(tensor, labels)
        self._synchronise()
        return prepared, time.perf_counter() - started

    def _synchronise(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

