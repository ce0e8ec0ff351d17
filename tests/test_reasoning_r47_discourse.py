"""Reasoning round 47 (issue 13), discourse: chains of corrections with hesitations ("ugh") and a trailing
"sorry, typo", and "scrap that" as a withdrawal. Phrasings written for this test; in-process on the real CT map."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("prompt, target", [
    ("stomach. no, duodenum. ugh, I mean stomach after all", "stomach"),
    ("liver, ugh, spleen", "spleen"),
    ("gallbladder — er, pancreas, sorry typo", "pancreas"),
    ("spleen - pancreas, typo", "pancreas"),
    ("gallbladder, scrap that, the liver", "liver"),
])
def test_the_last_correction_wins(engine, ct_evidence, prompt, target):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == [target], spec.trace.rationale
