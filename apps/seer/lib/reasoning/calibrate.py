"""Stage 6, calibrate: keep answers of shapes that go wrong on new wording below the sure band.

The readers' confidences say how well a request was read. They cannot say how often a reading of that shape is
right on wording nobody tuned to. That was measured: on the first (blind) scores of rounds 5 to 10, 18 of the
answers at >= 0.9 were wrong, and 17 of them had one of the shapes below. Each shape has a ceiling in
`thresholds.json` ("shape_caps"). A ceiling moves an answer below 0.9; it never changes what is answered.
"""

from __future__ import annotations

from ..records import TargetSpec
from .expression import json_nodes, operators_in
from .request import MENTION, Request
from .thresholds import T

# Operators whose answer depends on counting the members of a series that the image shows: a member barely
# inside the scan is counted or not, and "the middle two", "the three lowest present" shift with it.
SERIES_OPERATORS = {"nth", "first", "last", "range", "count", "middle"}


def _counts_steps(expression) -> bool:
    """A relation that counts several steps along a series ("two levels above L2")."""
    return any(node["op"] == "relation" and (node.get("steps") or 0) >= 2 for node in json_nodes(expression))


def _names_a_present_structure(request: Request, ontology) -> bool:
    scanned = request.discourse.scanned if request.discourse is not None else request.items or []
    vocabulary = set(request.evidence.vocabulary)
    present = request.evidence.present
    for item in scanned:
        if item.term.kind in MENTION and item.term.value in ontology:
            leaves = ontology.leaves(item.term.value, vocabulary)
            if present is None or any(leaf in present for leaf in leaves):
                return True
    return False


def shapes(request: Request, spec: TargetSpec, ontology) -> list[str]:
    """The risky shapes of this request and its answer (names of `shape_caps` entries)."""
    found: list[str] = []
    expression = spec.trace.expression if spec.trace else None
    if spec.status == "ok" and (SERIES_OPERATORS & operators_in(expression) or _counts_steps(expression)):
        found.append("series_count")
    said = request.discourse
    if said is not None and said.withdrawn:
        found.append("correction")
    if sum(1 for line in request.prompt.splitlines() if line.strip()) > 1:
        found.append("lines")
    if request.text is not None and request.text.cut_for_program:  # "ignore previous instructions", "system:"
        found.append("instructions_dropped")
    if spec.status == "rejected" and _names_a_present_structure(request, ontology):
        found.append("refusal_of_present")
    return found


def calibrate(request: Request, spec: TargetSpec, ontology) -> TargetSpec:
    """Cap the confidence by the request's shapes; the cap and its reason go into the trace's ledger."""
    if spec.status == "clarify":
        return spec
    for shape in shapes(request, spec, ontology):
        ceiling = getattr(T.shape_caps, shape)
        if spec.confidence > ceiling:
            if spec.trace is not None:
                spec.trace.ledger.append((f"shape: {shape}", round(ceiling - spec.confidence, 3)))
            spec.confidence = ceiling
    return spec
