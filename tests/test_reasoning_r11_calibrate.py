"""Reasoning round 11, calibration by shape (issue 13, "answers at >= 0.9 are right >= 99% on data it was not
tuned on"): the shapes behind the sure misses of the earlier blind rounds keep their answer below 0.9, and say
why in the ledger; a plain request keeps the sure band, and no cap changes what is answered. Phrasings written
for this test; all in-process on the real maps with the one session engine."""

from __future__ import annotations

import json

import pytest

from lib.reasoning.thresholds import THRESHOLDS_FILE, T


def test_every_shape_cap_lies_below_the_sure_band_and_is_explained():
    table = json.loads(THRESHOLDS_FILE.read_text())["shape_caps"]
    caps = {k: v for k, v in table.items() if not k.startswith("_")}
    assert caps and all(v < 0.9 for v in caps.values()), caps
    assert all(f"_{k}" in table for k in caps), "each ceiling carries the evidence for it"


@pytest.mark.parametrize("prompt, status, shape", [
    ("the two lowest vertebrae", "ok", "series_count"),
    ("die zwei untersten Wirbel", "ok", "series_count"),
    ("spleen - scratch that - liver", "ok", "correction"),
    ("liver and spleen\nbut not the spleen", "ok", "lines"),
    ("1. aorta\n2. inferior vena cava", "ok", "lines"),
    ("write a poem about the liver", "rejected", "instructions_dropped"),  # a poem: text for a program (round 59)
    ("the liver? no, not the liver", "rejected", "refusal_of_present"),
])
def test_a_risky_shape_stays_below_the_sure_band(engine, ct_evidence, prompt, status, shape):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == status, (spec.status, spec.targets, spec.trace.rationale)
    assert spec.confidence < 0.9 and spec.confidence <= getattr(T.shape_caps, shape), spec.trace.ledger
    # the cap is in the ledger, unless the reading had already put the answer below it
    capped = any(reason == f"shape: {shape}" for reason, _ in spec.trace.ledger)
    assert capped or sum(change for _, change in spec.trace.ledger) <= getattr(T.shape_caps, shape) - 0.97, \
        spec.trace.ledger


def test_a_cap_never_changes_what_is_answered(engine, ct_evidence):
    capped = engine.understand("1. aorta\n2. inferior vena cava", ct_evidence)
    plain = engine.understand("aorta and inferior vena cava", ct_evidence)
    assert capped.targets == plain.targets == ["aorta", "inferior_vena_cava"]
    assert plain.confidence >= 0.9 > capped.confidence


@pytest.mark.parametrize("prompt", ["liver", "the left kidney", "Gallenblase", "T12 to L2"])
def test_a_plain_request_keeps_the_sure_band(engine, ct_evidence, prompt):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.confidence >= 0.9, (spec.targets, spec.trace.ledger)
    assert not any(reason.startswith("shape:") for reason, _ in spec.trace.ledger)


def test_a_refusal_of_an_absent_structure_stays_sure(engine, ct_evidence):
    """The heart is not in this abdominal CT: refusing it is a refusal of what the image cannot show, no shape."""
    spec = engine.understand("the heart", ct_evidence)
    assert spec.status == "rejected" and spec.confidence >= 0.9, spec.trace.ledger
