"""The one interface every backbone implements: a spec in, voxels out. Backbones know no words.

Backbones never reach into MONAI Label's datastore: the caller (infer task, CLI, benchmark) locates a persisted
segment-everything map and hands it in as `Volume.everything_path`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from ..records import TargetSpec
from ..volume import Volume


class BackboneError(RuntimeError):
    """The backbone cannot run: a missing map or weight file, named with the setting that fixes it."""


@dataclass(frozen=True)
class Point:
    """One click. `ijk` is a voxel index of the ORIGINAL input image, in SimpleITK order (i, j, k) = (x, y, z),
    the frame the OHIF and Slicer MONAI Label clients send; a backbone maps it into its own space."""

    ijk: tuple[float, float, float]
    positive: bool = True  # foreground click; False: background click
    frame: Literal["image_ijk"] = "image_ijk"


@dataclass
class Mask:
    """One target's voxels on the input volume's grid, with the backbone's confidence in them."""

    voxels: np.ndarray  # bool, (z, y, x) like Volume.array
    confidence: float  # 0..1; a copied precomputed map has no uncertainty of its own and reports 1.0


class Backbone(Protocol):
    name: str
    model_version: str  # persisted everything-maps made by another version are not reused
    vocab: str  # the vocabulary of the label ids in `everything()`

    def vocabulary(self) -> list[str]:
        """Concept ids this backbone can segment."""

    def everything(self, volume: Volume) -> np.ndarray | None:
        """A multi-label map of everything, on the volume's (z, y, x) grid, labelled with the ids of
        `label_to_concept()`; None when there is none (and computing one is not enabled)."""

    def label_to_concept(self) -> dict[int, str]:
        """Label id in `everything()` -> concept id."""

    def map_cannot_hold(self) -> list[str]:
        """Concept ids of `vocabulary()` that `everything()` never holds: their absence from it says nothing."""

    def segment(self, volume: Volume, spec: TargetSpec, points: list[Point] | None = None) -> dict[str, Mask]:
        """One mask per id in `spec.targets + spec.exclude`."""
