"""Backbone `vista3d`: MONAI's VISTA3D network (`monai.networks.nets.vista3d132`), class and point prompts.

Spec in, voxels out, like every backbone; it knows no words. What it adds over `labelmap`:
- class prompts: each target id becomes its VISTA3D label index through the ontology;
- point prompts: foreground/background clicks (original-image voxel indices) refine the first target;
- segment everything: one forward with all supported classes, only when `settings.evidence == "everything"`
  or when a caller asks (`compute_everything`); a map persisted by the caller (`volume.everything_path`) is read
  instead, with no forward at all.

Preprocessing follows the released bundle (model-zoo `models/vista3d/configs/inference.json`): RAS, 1.5 mm
spacing (linear), crop to the foreground (HU > 0, 10 voxel margin), the CT window -963.8..1053.7 HU -> 0..1
(clipped), sliding windows of 128^3 with overlap 0.3 and gaussian blending. It is done with SimpleITK, in
physical space, so any input orientation (a DICOM series in LPS included) comes back on its own grid.

The network is built once per process and weights file; forwards are serialised by one lock, so concurrent
requests queue instead of exhausting the GPU's memory.

`SEER_VISTA3D_ROI` (e.g. "32" or "32,32,48") overrides the sliding-window size: for tests on tiny volumes with
the real architecture and for small GPUs. Each side must be a multiple of 16 (the encoder halves it 4 times).
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

# Label indices of the released model (model-zoo vista3d, shared/data/README.md). Parent classes stand for their
# subclasses and are expanded by the reasoning through the ontology's groups; the unsupported ones were never
# trained. Neither may reach the network, so neither is in `vocabulary()` and the reasoning refuses them.
PARENT_LABELS = frozenset({2, 20, 21})
UNSUPPORTED_LABELS = frozenset({16, 18, 129, 130, 131})
# The bundle's `everything_labels` also leave out the lesion classes and the airway: they are segmented on request
# only, never in the everything map.
NOT_IN_EVERYTHING = frozenset({23, 24, 25, 26, 27, 128, 132})

CUDA_SW_BATCH = 4  # measured on an H200 (issue 8): 1.59 s -> 1.12 s with bf16 at sw batch 4
CPU_SW_BATCH = 1
FOREGROUND_PROBABILITY = 0.5  # sigmoid threshold of the released bundle (logit > 0)
# Everything-map logits for all classes at once can outgrow memory (117 classes x 22 M voxels x 4 B = 10 GB);
# classes are run in chunks so the stitched logits stay under this many bytes.
EVERYTHING_BUFFER_BYTES = {"cuda": 24 * 2**30, "cpu": 2 * 2**30}
FRESH_MAPS_KEPT = 2
VERSION_DIGEST_BYTES = 2**20  # model_version hashes the first MiB and the size: cheap, and changes with the file


@dataclass(frozen=True)
class Preprocessing:
    """The released bundle's inference settings; `roi` may be shrunk for tests (see `SEER_VISTA3D_ROI`)."""

    spacing_mm: float = 1.5
    intensity_min_hu: float = -963.8247715525971
    intensity_max_hu: float = 1053.678477684517
    foreground_hu: float = 0.0  # the bundle's CropForegroundd keeps voxels > 0 (HU, before scaling)
    crop_margin: int = 10
    roi: tuple[int, int, int] = (128, 128, 128)
    overlap: float = 0.3


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


@dataclass
class Prepared:
    """One image in the network's space.

    Args:
        tensor: (1, 1, I, J, K) float32 in 0..1, RAS, `spacing_mm`, cropped to the foreground (MONAI axis order).
        grid: the resampled RAS image before the crop; its geometry takes the output back to the input.
        crop_start: (i, j, k) of the crop inside `grid`.
    """

    tensor: torch.Tensor
    grid: sitk.Image
    crop_start: tuple[int, int, int]
    timings: dict[str, float] = field(default_factory=dict)


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


def weights_version(path: Path) -> str:
    """A short digest that changes with the weights, so maps persisted by other weights are not reused."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        digest.update(f.read(VERSION_DIGEST_BYTES))
    digest.update(str(path.stat().st_size).encode())
    return "vista3d-" + digest.hexdigest()[:12]


def build_network() -> torch.nn.Module:
    from monai.networks.nets import vista3d132

    return vista3d132(in_channels=1)


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
    network.load_state_dict(state, strict=True)


# One network per (weights, device) in the process, whatever the number of backbones or pipelines; forwards of all
# of them go through one lock (a second request waits instead of doubling the GPU memory).
_NETWORKS: dict[tuple[str, str], torch.nn.Module] = {}
_NETWORKS_LOCK = threading.Lock()
FORWARD_LOCK = threading.Lock()


def shared_network(path: Path, version: str, device: torch.device) -> torch.nn.Module:
    key = (version, str(device))
    with _NETWORKS_LOCK:
        if key not in _NETWORKS:
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
            settings: `SeerSettings`; reads `vista3d_weights`, `device`, `evidence` and `vocab` (the vocabulary of
                persisted maps handed in as `volume.everything_path`).
            network: an already built network instead of `settings.vista3d_weights` (random weights for `perf`
                and tests); `model_version` then names it.
            preprocessing: the bundle's settings by default (`SEER_VISTA3D_ROI` may shrink the window).
        """
        self.ontology = ontology
        self.settings = settings
        self.device = resolve_device(settings.device)
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
        """All supported classes in one pass: uint16 (z, y, x) on the volume's grid, VISTA3D label ids. Kept in
        memory per image, so evidence and the masks of the same request share one forward."""
        key = self._volume_key(volume)
        with self._maps_lock:
            if key in self._fresh:
                return self._fresh[key][0]
            labels = self.everything_labels()
            prepared = self._prepare(volume)
            started = time.perf_counter()
            best_label, confidences = self._everything_logits(prepared.tensor, labels)
            network_s = time.perf_counter() - started
            started = time.perf_counter()
            everything = self._to_input_grid(best_label, prepared, volume, sitk.sitkUInt16)
            self.last_timings = {**prepared.timings, "network_s": network_s,
                                 "resample_s": time.perf_counter() - started}
            while len(self._fresh) >= FRESH_MAPS_KEPT:
                self._fresh.popitem(last=False)
            self._fresh[key] = (everything, confidences)
            return everything

    def _everything_logits(self, tensor: torch.Tensor, labels: list[int]) -> tuple[np.ndarray, dict[int, float]]:
        """Arg-max label over `labels` (0 where no class is above threshold), in chunks that fit memory."""
        voxels = int(np.prod(tensor.shape[-3:]))
        budget = EVERYTHING_BUFFER_BYTES[self.device.type]
        chunk = max(1, min(len(labels), budget // (voxels * 4)))
        best_logit = best_label = None
        for start in range(0, len(labels), chunk):
            part = labels[start:start + chunk]
            logits = self._class_logits(tensor, part)[0]  # (B, I, J, K) on the device
            value, index = logits.max(dim=0)
            label = torch.as_tensor(part, device=logits.device)[index]
            if best_logit is None:
                best_logit, best_label = value, label
            else:
                better = value > best_logit
                best_logit = torch.where(better, value, best_logit)
                best_label = torch.where(better, label, best_label)
            del logits
        best_label = torch.where(best_logit > 0, best_label, torch.zeros_like(best_label))
        probability = torch.sigmoid(best_logit.float())
        confidences = {}
        for label in torch.unique(best_label).tolist():
            if label:
                confidences[int(label)] = round(float(probability[best_label == label].mean()), 4)
        return best_label.to(torch.int32).cpu().numpy(), confidences

    # ---- class and point prompts -----------------------------------------------------------------------------
    def segment(self, volume: Volume, spec: TargetSpec, points: list[Point] | None = None) -> dict[str, Mask]:
        ids = list(dict.fromkeys([*spec.targets, *spec.exclude]))
        labels = [self.label_of(c) for c in ids]
        if not points:
            cut = self._cut_from_map(volume, ids)
            if cut is not None:
                return cut
        voxels, confidences = self._segment_with_network(volume, labels, points or [])
        return {c: Mask(voxels=voxels[n], confidence=confidences[n]) for n, c in enumerate(ids)}

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

    def _segment_with_network(self, volume: Volume, labels: list[int], points: list[Point]
                              ) -> tuple[list[np.ndarray], list[float]]:
        prepared = self._prepare(volume)
        started = time.perf_counter()
        logits = self._class_logits(prepared.tensor, labels)  # (1, B, I, J, K)
        if points:
            logits[:, :1] = self._point_logits(prepared, volume, labels[0], points, logits[:, :1])
        probability = torch.sigmoid(logits[0].float())
        foreground = probability > FOREGROUND_PROBABILITY
        confidences = [round(float(probability[b][foreground[b]].mean()), 4) if foreground[b].any() else 0.0
                       for b in range(len(labels))]
        probability = probability.cpu().numpy()
        network_s = time.perf_counter() - started
        started = time.perf_counter()
        voxels = self._masks_to_input_grid(probability, prepared, volume)
        self.last_timings = {**prepared.timings, "network_s": network_s, "resample_s": time.perf_counter() - started}
        return voxels, confidences

    def _autocast(self):
        # bf16 halves the time on an H200 (issue 8); CPU autocast is slower than fp32, so fp32 there.
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _class_logits(self, tensor: torch.Tensor, labels: list[int]) -> torch.Tensor:
        """Sliding-window class-prompt logits, (1, B, I, J, K) float32 on the device."""
        from monai.inferers import sliding_window_inference

        class_vector = torch.as_tensor(labels, device=self.device).unsqueeze(-1)
        with FORWARD_LOCK, torch.no_grad(), self._autocast():
            logits = sliding_window_inference(
                tensor.to(self.device), roi_size=self.preprocessing.roi, sw_batch_size=self.sw_batch_size,
                predictor=self.network, overlap=self.preprocessing.overlap, mode="gaussian", transpose=True,
                class_vector=class_vector, point_coords=None, point_labels=None, prompt_class=None)
        return torch.as_tensor(logits).float()

    def network_space_points(self, prepared: Prepared, volume: Volume, points: list[Point]) -> np.ndarray:
        """Original-image (i, j, k) -> continuous (i, j, k) in the cropped network tensor, via physical space."""
        shape = np.array(prepared.tensor.shape[-3:])
        out = []
        for point in points:
            if point.frame != "image_ijk":
                raise BackboneError(f"point frame {point.frame!r}: only image_ijk is understood")
            physical = volume.image.TransformContinuousIndexToPhysicalPoint([float(v) for v in point.ijk])
            index = np.array(prepared.grid.TransformPhysicalPointToContinuousIndex(physical))
            out.append(np.clip(index - np.array(prepared.crop_start), 0, shape - 1))  # a click off the crop: its edge
        return np.array(out)

    def _point_logits(self, prepared: Prepared, volume: Volume, label: int, points: list[Point],
                      prev_logits: torch.Tensor) -> torch.Tensor:
        """Refine one class with clicks: windows centred on the clicks, the class prompt's logits elsewhere."""
        from monai.apps.vista3d.inferer import point_based_window_inferer

        coords = torch.as_tensor(self.network_space_points(prepared, volume, points), dtype=torch.float32,
                                 device=self.device).unsqueeze(0)  # (1, N, 3)
        point_labels = torch.as_tensor([[1 if p.positive else 0 for p in points]], device=self.device)
        # Special classes (lesions, vessels) take 3/2 instead of 1/0; the network knows which.
        point_labels = self.network.convert_point_label(point_labels, label_set=[label])
        prompt = torch.as_tensor([[label]], device=self.device)
        with FORWARD_LOCK, torch.no_grad(), self._autocast():
            logits = point_based_window_inferer(
                tensor_on(prepared.tensor, self.device), roi_size=self.preprocessing.roi, predictor=self.network,
                point_coords=coords, point_labels=point_labels, class_vector=prompt, prompt_class=prompt,
                prev_mask=prev_logits, transpose=True)
        return torch.as_tensor(logits).float().to(prev_logits.device)

    # ---- to and from the network's space ---------------------------------------------------------------------
    def _prepare(self, volume: Volume) -> Prepared:
        """RAS, `spacing_mm`, foreground crop and the CT window, as the released bundle does before its network."""
        settings = self.preprocessing
        started = time.perf_counter()
        image = sitk.DICOMOrient(sitk.Cast(volume.image, sitk.sitkFloat32), "RAS")
        spacing = np.array(image.GetSpacing())
        size = np.maximum(1, np.round(np.array(image.GetSize()) * spacing / settings.spacing_mm)).astype(int)
        # Keep the first voxel's corner, not its centre, where it was: the grids cover the same box.
        corner = np.array(image.GetOrigin()) - np.array(image.GetDirection()).reshape(3, 3) @ (spacing / 2)
        origin = corner + np.array(image.GetDirection()).reshape(3, 3) @ np.full(3, settings.spacing_mm / 2)
        grid = sitk.Image([int(s) for s in size], sitk.sitkUInt8)
        grid.SetSpacing([settings.spacing_mm] * 3)
        grid.SetDirection(image.GetDirection())
        grid.SetOrigin([float(v) for v in origin])
        background = float(sitk.GetArrayViewFromImage(image).min())
        resampled = sitk.Resample(image, grid, sitk.Transform(), sitk.sitkLinear, background, sitk.sitkFloat32)
        array = sitk.GetArrayViewFromImage(resampled).transpose(2, 1, 0)  # (k, j, i) -> MONAI's (i, j, k)
        foreground = np.argwhere(array > settings.foreground_hu)
        start = np.zeros(3, int)
        stop = np.array(array.shape)
        if len(foreground):
            start = np.maximum(foreground.min(axis=0) - settings.crop_margin, 0)
            stop = np.minimum(foreground.max(axis=0) + 1 + settings.crop_margin, array.shape)
        cropped = array[start[0]:stop[0], start[1]:stop[1], start[2]:stop[2]]
        low, high = settings.intensity_min_hu, settings.intensity_max_hu
        scaled = np.clip((cropped - low) / (high - low), 0.0, 1.0).astype(np.float32)
        tensor = torch.from_numpy(np.ascontiguousarray(scaled))[None, None]
        return Prepared(tensor=tensor, grid=grid, crop_start=tuple(int(v) for v in start),
                        timings={"preprocess_s": time.perf_counter() - started})

    def _to_input_grid(self, labels_ijk: np.ndarray, prepared: Prepared, volume: Volume, pixel: int,
                       interpolator: int = sitk.sitkNearestNeighbor) -> np.ndarray:
        """A (I, J, K) array of the cropped network space -> (z, y, x) on the input grid, in physical space."""
        full = np.zeros(prepared.grid.GetSize()[::-1], dtype=labels_ijk.dtype)  # (k, j, i)
        i, j, k = prepared.crop_start
        ni, nj, nk = labels_ijk.shape
        full[k:k + nk, j:j + nj, i:i + ni] = labels_ijk.transpose(2, 1, 0)
        image = sitk.GetImageFromArray(full)
        image.CopyInformation(prepared.grid)
        back = sitk.GetArrayFromImage(sitk.Resample(image, volume.image, sitk.Transform(), interpolator, 0, pixel))
        if back.shape != volume.array.shape:
            raise BackboneError(f"vista3d output {back.shape} does not match the input grid {volume.array.shape}")
        return back

    def _masks_to_input_grid(self, probability: np.ndarray, prepared: Prepared, volume: Volume
                             ) -> list[np.ndarray]:
        """(B, I, J, K) foreground probabilities -> B bool (z, y, x) masks on the input grid.

        The probability is resampled linearly and then thresholded, rather than the mask by nearest neighbour:
        going from 1.5 mm back to e.g. 3 mm puts every input voxel centre halfway between two network voxels,
        and nearest neighbour would break those ties by storage order, so an LPS and a RAS copy of one image
        would get different masks. Overlapping targets stay independent."""
        masks = []
        for channel in probability:
            back = self._to_input_grid(channel, prepared, volume, sitk.sitkFloat32, sitk.sitkLinear)
            masks.append(back > FOREGROUND_PROBABILITY)
        return masks

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


def tensor_on(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    return tensor if tensor.device == device else tensor.to(device)
