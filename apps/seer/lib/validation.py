"""The output validation layer: what any reasoner (the rule engine, a later language model) proposes is checked
before it reaches a backbone. This is the prompt-injection boundary: whatever text a reasoner was fed, it can only
ever yield a refusal or known concepts within the backbone's vocabulary.

- `validate_spec` lets only known concept ids within the backbone's vocabulary through, and bounds the reply's size;
  anything else becomes a refusal.
- `spec_from_untrusted` does the same for raw model output (JSON text or a dict); what does not parse is a refusal.

No HTTP and no MONAI Label here: the pipeline, the CLI and the tests use it as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from pydantic import ValidationError

from .records import TargetSpec, Trace

# Reply bounds: a reply must never grow with the input.
MAX_MESSAGE_CHARS = 600
MAX_RATIONALE_LINES = 40
MAX_LINE_CHARS = 300
REFUSED_BY_GUARD = "The reasoner's answer was refused: it named ids outside the ontology or this backbone's vocabulary."


def _bounded_trace(trace: Trace) -> Trace:
    lines: list[str] = []
    for line in trace.rationale:
        line = line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + "..."
        if not lines or lines[-1] != line:  # repeated clauses add nothing to the explanation
            lines.append(line)
    if len(lines) > MAX_RATIONALE_LINES:
        lines = lines[:MAX_RATIONALE_LINES - 1] + [f"... {len(lines) - MAX_RATIONALE_LINES + 1} more steps"]
    return trace.model_copy(update={"rationale": lines})


def _refusal(spec: TargetSpec, why: str) -> TargetSpec:
    refusal = spec.refused(REFUSED_BY_GUARD, f"validation: {why}"[:MAX_LINE_CHARS])
    # An output that failed validation vouches for nothing it named: not its skill, nor its candidates.
    return refusal.model_copy(update={"skill": None, "candidates": [], "trace": _bounded_trace(refusal.trace)})


def validate_spec(spec: TargetSpec, ontology, vocabulary: Iterable[str]) -> TargetSpec:
    """Let a reasoner's spec through only when every id in it is a concept of the ontology that this backbone can
    segment (targets, exclusions) or that has parts it can segment (a question's candidates); otherwise a refusal.
    The message and trace are bounded, so the reply's size does not grow with the request.

    Args:
        spec: what the reasoner (rule engine or language model) proposed.
        ontology: the loaded ontology.
        vocabulary: concept ids the backbone can segment.
    """
    allowed = set(vocabulary)
    segmentable = [*spec.targets, *spec.exclude]
    bad = [i for i in segmentable if not isinstance(i, str) or i not in ontology or i not in allowed]
    bad += [c for c in spec.candidates if not isinstance(c, str) or c not in ontology
            or not ontology.leaves(c, allowed)]
    if bad:
        return _refusal(spec, f"unknown or unsupported ids {[str(b)[:40] for b in bad[:5]]}")
    if spec.status == "ok" and not spec.targets:
        return _refusal(spec, "an answer without targets")
    if spec.status != "ok" and segmentable:
        return _refusal(spec, f"a {spec.status} answer that still names targets")
    if spec.status == "clarify" and not spec.candidates:
        # one candidate is a yes-or-no question ("the heart is not in this image: the liver alone?")
        return _refusal(spec, "a question without a candidate to choose")
    if spec.skill is not None and len(spec.skill) > MAX_LINE_CHARS:
        return _refusal(spec, "a skill id that is not one")
    message = spec.message if len(spec.message) <= MAX_MESSAGE_CHARS else spec.message[:MAX_MESSAGE_CHARS] + "..."
    return spec.model_copy(update={"message": message, "trace": _bounded_trace(spec.trace)})


def spec_from_untrusted(raw: str | dict, ontology, vocabulary: Iterable[str]) -> TargetSpec:
    """A spec from a language model's raw output (JSON text or a dict): parsed, typed, then `validate_spec`.
    Anything that does not parse as a TargetSpec is a refusal, never an exception."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        spec = TargetSpec.model_validate(data)
    except (ValueError, TypeError, ValidationError) as error:
        return _refusal(TargetSpec(status="rejected"), f"the reasoner's output is not a TargetSpec ({type(error).__name__})")
    return validate_spec(spec, ontology, vocabulary)
