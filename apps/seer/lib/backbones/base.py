"""The one interface every backbone implements: a spec in, voxels out. Backbones know no words."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..records import TargetSpec
from ..volume import Volume


class BackboneError(RuntimeError):
    """The backbone cannot run: a missing map or weight file, named with the setting that fixes it."""


class Backbone(Protocol):
    name: str

    def vocabulary(self) -> list[str]:
        """Concept ids this backbone can segment."""

    def everything(self, volume: Volume) -> np.ndarray | None:
        """A multi-label map of everything, on the volume's (z, y, x) grid, labelled with concept indices of
        `label_to_concept()`; None when the backbone has no such map."""

    def label_to_concept(self) -> dict[int, str]:
        """Label id in `everything()` -> concept id."""

    def segment(self, volume: Volume, spec: TargetSpec, points: list | None = None) -> dict[str, np.ndarray]:
        """One boolean (z, y, x) mask per id in `spec.targets + spec.exclude`."""
