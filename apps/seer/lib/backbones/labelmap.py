"""Backbone `labelmap`: reads a precomputed segment-everything map (TotalSegmentator or VISTA3D output).

Free text becomes a mask in milliseconds. The map may sit on another grid or orientation than the image; it is
resampled onto the image in physical space.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from ..records import TargetSpec
from ..volume import Volume, VolumeError, align_label_map
from .base import BackboneError

# Aligned maps kept in memory, by (image source, map path, map mtime); a study session asks many questions.
CACHE_SIZE = 8


class LabelmapBackbone:
    name = "labelmap"

    def __init__(self, ontology, vocab: str, locate_map: Callable[[Volume], str | Path | None]):
        """
        Args:
            ontology: the loaded ontology.
            vocab: the map's vocabulary: `total`, `total_mr` or `vista3d`.
            locate_map: finds the map file for an image (a datastore label, or a path given on the CLI).
        """
        self.ontology = ontology
        self.vocab = ontology.vocabulary_key(vocab)
        self._labels = ontology.label_map(self.vocab)
        self._label_of = {concept: label for label, concept in self._labels.items()}
        self._locate_map = locate_map
        self._cache: dict[tuple, np.ndarray] = {}

    def vocabulary(self) -> list[str]:
        return self.ontology.vocabulary(self.vocab)

    def label_to_concept(self) -> dict[int, str]:
        return dict(self._labels)

    def everything(self, volume: Volume) -> np.ndarray:
        path = self._locate_map(volume)
        if path is None or not Path(path).exists():
            raise BackboneError(f"no segment-everything map for {volume.source}: save one as a datastore label "
                                f"with the tag named by the `labelmap_tag` option, or pass --labelmap")
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

    def segment(self, volume: Volume, spec: TargetSpec, points: list | None = None) -> dict[str, np.ndarray]:
        everything = self.everything(volume)
        masks = {}
        for concept_id in [*spec.targets, *spec.exclude]:
            if concept_id not in self._label_of:
                raise BackboneError(f"{concept_id} is not in the {self.vocab} vocabulary of this label map")
            masks[concept_id] = everything == self._label_of[concept_id]
        return masks
