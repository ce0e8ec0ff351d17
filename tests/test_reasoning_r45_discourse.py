"""Reasoning round 45 (issue 13), discourse: self-repairs after a hesitation, steps along a tract said after the
first part, and report context before a reference. Phrasings written for this test; in-process on the real CT map
with the one session engine."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("prompt, expected", [
    ("right adrenal, err, left", ["adrenal_gland_left"]),
    ("the right kidney er the left", ["kidney_left"]),
    ("the left kidney, um, the right one", ["kidney_right"]),
    ("rein gauche, euh, droit", ["kidney_right"]),
    ("linke Niere, äh, rechte", ["kidney_right"]),
    ("riñón izquierdo, eh, derecho", ["kidney_right"]),
    ("rene sinistro, ehm, destro", ["kidney_right"]),
    ("rim esquerdo, hum, direito", ["kidney_right"]),
    ("linker nier, eh, rechter", ["kidney_right"]),
    ("L1 err L2", ["vertebrae_L2"]),
    ("left adrenal err right adrenal", ["adrenal_gland_right"]),
])
def test_a_side_or_name_after_a_hesitation_replaces_the_one_before(engine, ct_evidence, prompt, expected):
    """'rein gauche, euh, droit' gave both kidneys at 0.97: the side said alone after the hesitation was read as a
    second side of the same noun, not as a self-repair."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == expected, spec.trace.rationale


@pytest.mark.parametrize("prompt", ["liver and, um, left kidney"])
def test_a_hesitation_after_a_joining_word_is_only_a_pause(engine, ct_evidence, prompt):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == ["liver", "kidney_left"], spec.trace.rationale


@pytest.mark.parametrize("prompt, expected", [
    ("el estómago y el segmento intestinal justo después", ["stomach", "duodenum"]),
    ("o estômago e o segmento intestinal logo depois", ["stomach", "duodenum"]),
    ("the stomach and the bowel segment immediately after", ["stomach", "duodenum"]),
    ("l'estomac et le segment intestinal immédiatement après", ["stomach", "duodenum"]),
    ("el duodeno y el segmento justo antes", ["duodenum", "stomach"]),
])
def test_a_later_part_said_right_after_the_first_is_its_neighbour_along_the_tract(engine, ct_evidence, prompt,
                                                                                  expected):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == expected, spec.trace.rationale
