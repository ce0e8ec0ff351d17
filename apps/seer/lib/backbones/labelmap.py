"""Backbone `labelmap`: reads a precomputed segment-everything map (TotalSegmentator or VISTA3D output).

Free text becomes a mask in milliseconds. The map may sit on another grid or orientation than the image; it is
resampled onto the image in physical space.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from ..records import TargetSpec
from ..volume import Volume, VolumeError, align_label_map
from .base import BackboneError, Mask, Point

# Aligned maps kept in memory, by (image source, map path, map mtime); a study session asks many questions.
CACHE_SIZE = 8
# A copied finished map carries no uncertainty of its own; a network backbone reports its own.
COPIED_MAP_CONFIDENCE = 1.0


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
                raise VolumeError(f"{path}: not a readable label map ({str(error).strip().splitlines()[-1]})") from None
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = align_label_map(label_map, volume.image)
        return self._cache[key]

    def segment(self, volume: Volume, spec: TargetSpec, points: list[Point] | None = None) -> dict[str, Mask]:
        """Cut each id's voxels out of the map; clicks cannot refine a finished map and are ignored."""
        everything = self.everything(volume)
        masks = {}
        for concept_id in [*spec.targets, *spec.exclude]:
            if concept_id not in self._label_of:
                raise BackboneError(f"{concept_id} is not in the {self.vocab} vocabulary of this label map")
            masks[concept_id] = Mask(everything == self._label_of[concept_id], COPIED_MAP_CONFIDENCE)
        return masks
