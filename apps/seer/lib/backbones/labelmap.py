"""Backbone `labelmap`: reads a precomputed segment-everything map (TotalSegmentator or VISTA3D output).

Free text becomes a mask in milliseconds. The map may sit on another grid or orientation than the image; it is
resampled onto the image in physical space.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from ..records import TargetSpec
from ..volume import Volume, align_label_map
from .base import BackboneError, Mask, Point

logger = logging.getLogger(__name__)

# Aligned maps kept in memory, by (image source, map path, map mtime); a study session asks many questions.
CACHE_SIZE = 8
# A copied finished map carries no uncertainty of its own; a network backbone reports its own.
COPIED_MAP_CONFIDENCE = 1.0
# Vocabulary fit is judged on every FIT_STRIDE-th voxel per axis: centroids need no more, and a 512x512x300 CT
# is read in a fraction of a second.
FIT_STRIDE = 2
SIDE_MARGIN_MM = 5.0  # a left structure must lie this far to the patient's left of its right partner
USER_NAMES = {"totalseg": "total", "totalseg_mr": "total_mr"}  # the names --vocab and --conf vocab take


def _last_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or ["unreadable"])[-1]


def vocabulary_fit(labels: np.ndarray, index_to_ras, ontology) -> dict[str, int]:
    """How well a map's indices read in each vocabulary: +1 for each left/right pair that lies on the right sides
    and each pair of consecutive series members (vertebrae, ribs) in cranio-caudal order, -1 for each that does
    not, and -1 for each index the vocabulary does not define. The indices alone cannot tell `total` from
    `total_mr` (both number from 1), but where the structures lie can.

    Args:
        labels: (z, y, x) integer map.
        index_to_ras: (N, 3) continuous (z, y, x) indices -> RAS millimetres (`Volume.index_to_ras`).
        ontology: the loaded ontology.
    """
    sampled = labels[::FIT_STRIDE, ::FIT_STRIDE, ::FIT_STRIDE].astype(np.int64).ravel()
    counts = np.bincount(sampled)
    present = [int(i) for i in np.nonzero(counts)[0] if i]
    if not present:
        return {}
    grid = np.indices(labels[::FIT_STRIDE, ::FIT_STRIDE, ::FIT_STRIDE].shape).reshape(3, -1) * FIT_STRIDE
    means = np.stack([np.bincount(sampled, weights=axis, minlength=len(counts)) for axis in grid], 1)
    centroids = index_to_ras(means[present] / counts[present, None])
    where = dict(zip(present, centroids))
    scores: dict[str, int] = {}
    for vocab in ontology.vocabularies:
        by_label = ontology.label_map(vocab)
        at = {by_label[i]: where[i] for i in present if i in by_label}
        score = -sum(1 for i in present if i not in by_label)
        for concept_id, xyz in at.items():
            concept = ontology[concept_id]
            if concept.laterality == "left" and concept.pair in at:
                score += 1 if xyz[0] + SIDE_MARGIN_MM < at[concept.pair][0] else -1
        series: dict[str, list[tuple[int, float]]] = {}
        for concept_id, xyz in at.items():
            concept = ontology[concept_id]
            if concept.series and concept.order:
                series.setdefault(concept.series, []).append((concept.order, float(xyz[2])))
        for members in series.values():
            members.sort()
            score += sum(1 if lower[1] < upper[1] else -1 for upper, lower in zip(members, members[1:]))
        scores[vocab] = score
    return scores


class LabelmapBackbone:
    name = "labelmap"
    model_version = "precomputed"

    def __init__(self, ontology, vocab: str):
        """
        Args:
            ontology: the loaded ontology.
            vocab: the map's vocabulary: `total`, `total_mr` or `vista3d`. The map itself arrives with each
                volume, as `Volume.everything_path`.
        """
        self.ontology = ontology
        self.vocab = ontology.vocabulary_key(vocab)
        self._labels = ontology.label_map(self.vocab)
        self._label_of = {concept: label for label, concept in self._labels.items()}
        self._cache: dict[tuple, np.ndarray] = {}

    def vocabulary(self) -> list[str]:
        return self.ontology.vocabulary(self.vocab)

    def label_to_concept(self) -> dict[int, str]:
        return dict(self._labels)

    def map_cannot_hold(self) -> list[str]:
        return []  # it segments nothing but what the map holds

    def everything(self, volume: Volume) -> np.ndarray:
        path = volume.everything_path
        if path is None or not Path(path).exists():
            raise BackboneError(f"no segment-everything map for {volume.id or volume.source}: save one as a "
                                "datastore label with the tag named by `--conf labelmap_tag`, put "
                                "<image id>.nii.gz in `--conf labelmap_dir`, or pass --labelmap on the CLI")
        key = (volume.source, str(path), Path(path).stat().st_mtime_ns)
        if key not in self._cache:
            try:
                label_map = sitk.ReadImage(str(path))
            except RuntimeError as error:
                raise BackboneError(f"{path}: not a readable label map ({_last_line(error)})") from None
            if label_map.GetDimension() != 3 or label_map.GetNumberOfComponentsPerPixel() != 1:
                raise BackboneError(f"{path}: a segment-everything map must be a 3D single-channel label map, "
                                    f"not {label_map.GetDimension()}D with {label_map.GetNumberOfComponentsPerPixel()} "
                                    "channel(s)")
            try:
                aligned = align_label_map(label_map, volume.image)
            except RuntimeError as error:
                raise BackboneError(f"{path}: cannot be put on the image's grid ({_last_line(error)})") from None
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = aligned
            self._warn_on_vocabulary(aligned, volume, str(path))
        return self._cache[key]

    def _warn_on_vocabulary(self, labels: np.ndarray, volume: Volume, path: str) -> None:
        """Say so when the map's indices do not fit the chosen vocabulary, and name the one they fit (a map made
        by TotalSegmentator `total_mr` read as `total` turns muscles into cervical vertebrae, silently)."""
        unknown = sorted(set(np.unique(labels).tolist()) - set(self._labels) - {0})
        if unknown:
            logger.warning(f"seer: map {path} holds indices {unknown[:12]} that the "
                           f"{USER_NAMES.get(self.vocab, self.vocab)} vocabulary does not define; they are ignored")
        scores = vocabulary_fit(labels, volume.index_to_ras, self.ontology)
        if not scores:
            return
        likely = max(scores, key=lambda vocab: (scores[vocab], vocab == self.vocab))
        if likely != self.vocab and scores[likely] > scores.get(self.vocab, 0):
            name = USER_NAMES.get(likely, likely)
            logger.warning(f"seer: map {path} reads better as the {name} vocabulary than as "
                           f"{USER_NAMES.get(self.vocab, self.vocab)} (fit {scores[likely]} vs "
                           f"{scores.get(self.vocab)}: sides of pairs, order of series, unknown indices); if it came "
                           f"from that model, set --vocab {name} (server: --conf vocab {name})")

    def segment(self, volume: Volume, spec: TargetSpec, points: list[Point] | None = None) -> dict[str, Mask]:
        """Cut each id's voxels out of the map; clicks cannot refine a finished map and are ignored."""
        everything = self.everything(volume)
        masks = {}
        for concept_id in [*spec.targets, *spec.exclude]:
            if concept_id not in self._label_of:
                raise BackboneError(f"{concept_id} is not in the {self.vocab} vocabulary of this label map")
            masks[concept_id] = Mask(everything == self._label_of[concept_id], COPIED_MAP_CONFIDENCE)
        return masks
