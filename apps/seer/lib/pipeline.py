"""One request from words to voxels: evidence -> reasoning -> backbone -> postprocess.

`build_pipeline(settings)` is the one factory: the infer task, the CLI, the benchmark and `perf` all build the
pipeline through it and run requests through `SeerPipeline.run`, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .backbones.base import Backbone, Mask, Point
from .privacy import identifier_words
from .validation import validate_spec
from .reasoning.engine import ReasoningEngine
from .reasoning.evidence import gather_evidence
from .reasoning.thresholds import T
from .records import Evidence, PresentStructure, TargetSpec
from .settings import SeerSettings
from .volume import Volume


@dataclass
class SegmentationResult:
    spec: TargetSpec
    labels: np.ndarray | None  # uint8 (z, y, x): each target under its vocabulary value; None unless status is ok
    evidence: Evidence
    label_names: dict[str, int]  # target id -> its value in `labels`; empty unless status is ok
    mask_confidence: float | None = None  # the least confident target's mask confidence; None unless ok
    fresh_everything: np.ndarray | None = None  # a map the backbone computed for this request: persist it


def check_laterality(spec: TargetSpec, masks: dict[str, Mask], volume: Volume, evidence: Evidence,
                     ontology) -> list[str]:
    """Lateral targets whose mask centroid is not on the requested side of the patient's midline."""
    if evidence.midline_x_ras_mm is None:
        return []
    wrong = []
    for target in spec.targets:
        side = ontology[target].laterality
        mask = masks[target].voxels
        if side is None or not mask.any():
            continue
        centroid_x = volume.index_to_ras(np.argwhere(mask).mean(axis=0, keepdims=True))[0][0]
        if not evidence.lies_on(side, centroid_x, T.mask_side_margin_mm):
            wrong.append(target)
    return wrong


def compose_label_map(spec: TargetSpec, masks: dict[str, Mask], shape: tuple[int, ...],
                      values: dict[str, int]) -> np.ndarray:
    """Each target under its value in `values`; excluded structures are carved out of all of them.

    The values are the vocabulary's stable label ids, as listed in `/info`: the OHIF panel names returned values
    from that list, not from the reply, so a left kidney must come back as the left kidney's value.
    """
    labels = np.zeros(shape, dtype=np.uint8)
    for target in spec.targets:
        labels[masks[target].voxels] = values[target]
    for excluded in spec.exclude:
        labels[masks[excluded].voxels] = 0
    return labels


EVIDENCE_CACHE_SIZE = 16
# A description, so that warm-up runs the encoder path as well as the lexicon.
WARM_UP_PROMPT = "the organ that stores bile"


class SeerPipeline:
    def __init__(self, engine: ReasoningEngine, backbone: Backbone):
        self.engine = engine
        self.backbone = backbone
        self.label_values = {concept: label for label, concept in backbone.label_to_concept().items()}
        self._evidence: dict[tuple, Evidence] = {}
        self._fresh: dict[str, np.ndarray] = {}  # computed maps not yet persisted, by volume source

    def evidence_for(self, volume: Volume) -> Evidence:
        everything = self.backbone.everything(volume)
        if everything is not None and not volume.everything_path:
            self._fresh[volume.source] = everything
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
            self._add_what_the_map_cannot_hold(self._evidence[key])
        return self._evidence[key]

    def _add_what_the_map_cannot_hold(self, evidence: Evidence) -> None:
        """Classes the backbone segments on request but never puts in its everything-map (VISTA3D's lesions, hepatic
        vessels, airway): the map's lack of them is no evidence of absence. Each counts as present where a
        structure it lies in (the ontology's `within`) is present, with that structure's place and extent and no
        voxels of its own, so a lesion of an absent organ is still refused."""
        if evidence.present is None:
            return
        ontology = self.engine.ontology
        vocabulary = set(self.backbone.vocabulary())
        for concept_id in self.backbone.map_cannot_hold():
            hosts = [leaf for host in ontology[concept_id].within for leaf in ontology.leaves(host, vocabulary)
                     if leaf in evidence.present]
            if concept_id in evidence.present or not hosts:
                continue
            host = max((evidence.present[h] for h in hosts), key=lambda structure: structure.voxels)
            evidence.present[concept_id] = PresentStructure(
                id=concept_id, voxels=0, volume_ml=0.0, centroid_ras_mm=host.centroid_ras_mm,
                extent_ras_mm=host.extent_ras_mm)

    def warm_up(self) -> None:
        """Load what the first request would otherwise wait for: the concept embeddings (computed once, then
        cached on disk), the encoder's first forward, and ITK's NIfTI writer."""
        import tempfile

        import SimpleITK as sitk

        self.engine.embeddings
        self.engine.understand(WARM_UP_PROMPT, Evidence())
        with tempfile.TemporaryDirectory() as scratch:
            sitk.WriteImage(sitk.Image(4, 4, 4, sitk.sitkUInt8), f"{scratch}/warm.nii.gz", useCompression=True)

    def union_mask(self, volume: Volume, ids: list[str]) -> np.ndarray:
        """The backbone's voxels for all of `ids` together, (z, y, x) bool."""
        masks = self.backbone.segment(volume, TargetSpec(status="ok", targets=list(ids)))
        voxels = [mask.voxels for mask in masks.values()]
        return np.logical_or.reduce(voxels) if voxels else np.zeros(volume.array.shape, bool)

    def run(self, volume: Volume, prompt: str, points: list[Point] | None = None) -> SegmentationResult:
        evidence = self.evidence_for(volume)
        fresh = self._fresh.pop(volume.source, None)
        # Whatever reasoned (rules now, a language model later), only known ids this backbone can segment pass.
        # A patient's name or record number pasted with the request is context, not a word the reasoning missed:
        # the answer must not change with it (issue 17).
        spec = validate_spec(self.engine.understand(prompt, evidence, frozenset(identifier_words(prompt))),
                             self.engine.ontology, self.backbone.vocabulary())
        if spec.status != "ok":
            return SegmentationResult(spec=spec, labels=None, evidence=evidence, label_names={},
                                      fresh_everything=fresh)
        if points and len(spec.targets) + len(spec.exclude) > 1:
            # Clicks belong to one structure (the VISTA3D bundle takes them with one label prompt only).
            names = ", ".join(self.engine.ontology[c].name for c in [*spec.targets, *spec.exclude])
            spec = spec.refused(f"Clicks refine one structure, and this request names several ({names}). Ask for "
                                "one structure with the clicks, or ask without clicks.",
                                "clicks given for more than one structure")
            return SegmentationResult(spec=spec, labels=None, evidence=evidence, label_names={},
                                      fresh_everything=fresh)
        masks = self.backbone.segment(volume, spec, points)
        wrong_side = check_laterality(spec, masks, volume, evidence, self.engine.ontology)
        if wrong_side:
            spec = spec.refused(f"Laterality check failed for {', '.join(wrong_side)}: the mask lies on the other "
                                "side of the patient's midline. Check the image orientation and the label map.",
                                f"laterality check failed: {wrong_side}")
            return SegmentationResult(spec=spec, labels=None, evidence=evidence, label_names={},
                                      fresh_everything=fresh)
        spec.trace.rationale.append("laterality check passed" if any(self.engine.ontology[t].laterality
                                                                      for t in spec.targets) else "no lateral target")
        return SegmentationResult(
            spec=spec, labels=compose_label_map(spec, masks, volume.array.shape, self.label_values),
            evidence=evidence, label_names={t: self.label_values[t] for t in spec.targets},
            mask_confidence=min(masks[t].confidence for t in spec.targets), fresh_everything=fresh)


def default_cache_dir() -> str:
    """Derived data that any model_dir may share (concept embeddings, keyed by their phrases' digest)."""
    import os
    from pathlib import Path

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "seer-label")


def build_pipeline(settings: SeerSettings, ontology=None) -> SeerPipeline:
    """The pipeline that `settings` describe: the one place that picks a backbone and wires the engine."""
    from .ontology import load_ontology

    ontology = ontology or load_ontology()
    encoder = None
    cache_dir = settings.cache_dir or default_cache_dir()  # the concept embeddings and the encoder's trace
    if settings.embeddings:
        from .reasoning.embed import TextEncoder

        encoder = TextEncoder(settings.encoder_dir or None, cache_dir=cache_dir)
    engine = ReasoningEngine(ontology, encoder=encoder, cache_dir=cache_dir)
    if settings.backbone == "vista3d":
        from .backbones.vista3d import Vista3DBackbone  # torch-heavy: imported only when chosen

        backbone: Backbone = Vista3DBackbone(ontology, settings)
    else:
        from .backbones.labelmap import LabelmapBackbone

        backbone = LabelmapBackbone(ontology, settings.vocab)
    return SeerPipeline(engine, backbone)
