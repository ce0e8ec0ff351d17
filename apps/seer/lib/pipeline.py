"""One request from words to voxels: evidence -> reasoning -> backbone -> postprocess.

The infer task, the CLI and the benchmark all go through `SeerPipeline.run`, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .backbones.base import Backbone
from .reasoning.engine import ReasoningEngine
from .reasoning.evidence import gather_evidence
from .records import Evidence, TargetSpec
from .volume import Volume

# A lateral structure whose centroid lies within this distance of the midline cannot be called left or right.
LATERALITY_TOLERANCE_MM = 5.0


@dataclass
class SegmentationResult:
    spec: TargetSpec
    labels: np.ndarray | None  # uint8 (z, y, x): value k for the k-th target; None unless status is ok
    evidence: Evidence


def check_laterality(spec: TargetSpec, masks: dict[str, np.ndarray], volume: Volume, evidence: Evidence,
                     ontology) -> list[str]:
    """Lateral targets whose mask centroid is not on the requested side of the patient's midline."""
    if evidence.midline_x_ras_mm is None:
        return []
    wrong = []
    for target in spec.targets:
        side = ontology[target].laterality
        mask = masks[target]
        if side is None or not mask.any():
            continue
        centroid_x = volume.index_to_ras(np.argwhere(mask).mean(axis=0, keepdims=True))[0][0]
        if not evidence.lies_on(side, centroid_x, LATERALITY_TOLERANCE_MM):
            wrong.append(target)
    return wrong


def compose_label_map(spec: TargetSpec, masks: dict[str, np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """Targets in order become values 1..n; excluded structures are carved out of all of them."""
    labels = np.zeros(shape, dtype=np.uint8)
    for value, target in enumerate(spec.targets, start=1):
        labels[masks[target]] = value
    for excluded in spec.exclude:
        labels[masks[excluded]] = 0
    return labels


# The labelmap backbone copies a finished segment-everything map: its masks carry no uncertainty of their own.
# A network backbone reports its own (e.g. mean foreground probability).
LABELMAP_MASK_CONFIDENCE = 1.0
EVIDENCE_CACHE_SIZE = 16


class SeerPipeline:
    def __init__(self, engine: ReasoningEngine, backbone: Backbone):
        self.engine = engine
        self.backbone = backbone
        self.backbone_confidence = getattr(backbone, "mask_confidence", LABELMAP_MASK_CONFIDENCE)
        self._evidence: dict[tuple, Evidence] = {}

    def evidence_for(self, volume: Volume) -> Evidence:
        everything = self.backbone.everything(volume)
        # Keyed by the map object too: the backbone hands out a new array when the map file changes.
        key = (volume.source, id(everything))
        if key not in self._evidence:
            if len(self._evidence) >= EVIDENCE_CACHE_SIZE:
                self._evidence.pop(next(iter(self._evidence)))
            self._evidence[key] = gather_evidence(
                image=volume.array, everything=everything, label_to_concept=self.backbone.label_to_concept(),
                vocabulary=self.backbone.vocabulary(), ontology=self.engine.ontology,
                index_to_ras=volume.index_to_ras, voxel_ml=volume.voxel_volume_ml,
                orientation=volume.orientation, modality=volume.modality)
        return self._evidence[key]

    def union_mask(self, volume: Volume, ids: list[str]) -> np.ndarray:
        """The backbone's voxels for all of `ids` together, (z, y, x) bool."""
        masks = self.backbone.segment(volume, TargetSpec(status="ok", targets=list(ids)))
        return np.logical_or.reduce(list(masks.values())) if masks else np.zeros(volume.array.shape, bool)

    def run(self, volume: Volume, prompt: str, points: list | None = None) -> SegmentationResult:
        evidence = self.evidence_for(volume)
        spec = self.engine.understand(prompt, evidence)
        if spec.status != "ok":
            return SegmentationResult(spec=spec, labels=None, evidence=evidence)
        masks = self.backbone.segment(volume, spec, points)
        wrong_side = check_laterality(spec, masks, volume, evidence, self.engine.ontology)
        if wrong_side:
            spec = spec.model_copy(update={
                "status": "rejected", "confidence": 0.0,
                "message": f"Laterality check failed for {', '.join(wrong_side)}: the mask lies on the other side "
                           "of the patient's midline. Check the image orientation and the label map."})
            spec.trace.rationale.append(f"laterality check failed: {wrong_side}")
            return SegmentationResult(spec=spec, labels=None, evidence=evidence)
        spec.trace.rationale.append("laterality check passed" if any(self.engine.ontology[t].laterality
                                                                      for t in spec.targets) else "no lateral target")
        return SegmentationResult(spec=spec, labels=compose_label_map(spec, masks, volume.array.shape),
                                  evidence=evidence)
