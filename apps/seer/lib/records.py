"""The typed records that cross stage boundaries. Each concept has exactly one definition, here.

`Skill` lives with the skill bank (`lib/skills/bank.py`); `Concept` with the ontology.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["ok", "rejected", "clarify"]


class PresentStructure(BaseModel):
    """One structure seen in the image's segment-everything map."""

    id: str
    voxels: int
    volume_ml: float
    centroid_ras_mm: tuple[float, float, float]
    # (x_min, y_min, z_min, x_max, y_max, z_max) in RAS mm, and the structures within a few mm of it: filled from
    # the map by `reasoning.relations`, None / empty when unknown.
    extent_ras_mm: tuple[float, float, float, float, float, float] | None = None
    touches: list[str] = Field(default_factory=list)
    near: list[str] = Field(default_factory=list)  # within a centimetre or so (reasoning.relations.NEAR_MM)
    # the gap between its voxels and each other structure's within a few cm, in mm (reasoning.relations)
    gaps_mm: dict[str, float] = Field(default_factory=dict)
    # the share of its surface (by area) that faces each other structure it touches (reasoning.relations): the
    # gallbladder in its fossa faces the liver with a fifth of its surface, a loop of bowel that merely touches it
    # with a hundredth
    surface_share: dict[str, float] = Field(default_factory=dict)
    # the map shows it reaching a face of the image volume: it may go on beyond the scan ("the lowest vertebra
    # lying completely inside the scan" is one that does not); None when unknown
    at_edge: bool | None = None


class Evidence(BaseModel):
    """What the image says, as plain data (the reasoning never touches voxels)."""

    modality: str = "unknown"  # CT, MR or unknown
    modality_source: str = "unknown"  # metadata, intensity or unknown
    orientation: str = "unknown"  # axis codes of the array, e.g. RAS or LPS
    region: list[str] = Field(default_factory=list)  # body regions covered, largest first
    vertebral_levels: str | None = None  # e.g. "T11–L2"
    vocabulary: list[str] = Field(default_factory=list)  # concept ids the backbone can segment
    present: dict[str, PresentStructure] | None = None  # None: presence unknown (no segment-everything map)
    midline_x_ras_mm: float | None = None  # sagittal midline, RAS x (patient's left is -x)

    def lies_on(self, side: str, x_ras_mm: float, margin_mm: float = 0.0) -> bool | None:
        """Whether a point is on the patient's `side` of the midline by at least `margin_mm` (a negative margin
        lets it reach that far across). None when the midline is unknown. In RAS the patient's left is -x."""
        if self.midline_x_ras_mm is None:
            return None
        offset = x_ras_mm - self.midline_x_ras_mm
        return -offset >= margin_mm if side == "left" else offset >= margin_mm

    def describe_coverage(self) -> str:
        parts = []
        if self.region:
            parts.append("the " + ", ".join(r.replace("_", " ") for r in self.region))
        if self.vertebral_levels:
            parts.append(self.vertebral_levels)
        return ", ".join(parts) if parts else "an unknown region"


class Trace(BaseModel):
    """The paper's output shape: what was seen, why this target, and the executable answer."""

    evidence: dict = Field(default_factory=dict)
    rationale: list[str] = Field(default_factory=list)
    answer: dict = Field(default_factory=dict)
    ledger: list[tuple[str, float]] = Field(default_factory=list)  # (reason, confidence change), in order
    # The target expression (reasoning/expression.py) as JSON, each evaluated node with what decided it and its
    # margin, and the content words no language file explains (they lower confidence).
    expression: dict | None = None
    nodes: list[dict] = Field(default_factory=list)
    unexplained: list[str] = Field(default_factory=list)


class TargetSpec(BaseModel):
    """The canonical, executable target of a request."""

    status: Status
    targets: list[str] = Field(default_factory=list)  # canonical leaf ids, in order
    exclude: list[str] = Field(default_factory=list)  # ids subtracted from the mask
    candidates: list[str] = Field(default_factory=list)  # ranked, for clarify
    message: str = ""
    confidence: float = 0.0  # calibrated: low means likely wrong
    skill: str | None = None  # id of the skill used, if any
    trace: Trace = Field(default_factory=Trace)

    def refused(self, message: str, reason: str) -> "TargetSpec":
        """This spec turned into a refusal by a check that ran after the reasoning (laterality, validation): no
        targets or exclusions anywhere, the reason added to the trace, and the trace's answer rewritten to match.
        The skill and candidates stay, so that training can still audit what the reading used."""
        trace = self.trace.model_copy(deep=True)
        trace.rationale.append(reason)
        trace.answer = {"status": "rejected", "targets": [], "exclude": [], "message": message}
        return self.model_copy(update={"status": "rejected", "targets": [], "exclude": [], "message": message,
                                       "confidence": 0.0, "trace": trace})


class RequestRecord(BaseModel):
    """One infer call, kept so that a later correction can be paired with the request that produced it."""

    request_id: str
    image_id: str
    prompt: str
    spec: TargetSpec
    backbone: str
    time: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    mask_digest: str | None = None  # sha256 of the label map's bytes
    mask_confidence: float | None = None
    # A candidate picked from a question back (OHIF's candidate buttons): the question's request id and the
    # concept chosen, so the log shows which questions annotators answered, and how.
    answers: str | None = None
    choice: str | None = None
