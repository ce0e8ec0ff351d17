"""Reasoning round 39 (issue 13), discourse: a side refused before a contrast word ("not the right but the left
kidney"), a correction marker that adds ("actually add the adrenals too") and "both" said after "the other side".
Phrasings written for this test; in-process on the real CT map with the one session engine."""

from __future__ import annotations

import pytest

KIDNEYS = ["kidney_left", "kidney_right"]
ADRENALS = ["adrenal_gland_left", "adrenal_gland_right"]


@pytest.mark.parametrize("prompt, targets", [
    ("not the right but the left kidney", ["kidney_left"]),
    ("not the left, but the right adrenal", ["adrenal_gland_right"]),
    ("nicht die linke, sondern die rechte Nebenniere", ["adrenal_gland_right"]),
    ("pas le gauche mais le rein droit", ["kidney_right"]),
    ("no el izquierdo sino el riñón derecho", ["kidney_right"]),
    ("non il destro ma il rene sinistro", ["kidney_left"]),
    ("não o direito mas o rim esquerdo", ["kidney_left"]),
    ("niet de rechter maar de linker nier", ["kidney_left"]),
    ("not the 11th but the 12th left rib", ["rib_left_12"]),
    ("pas la 11e mais la 12e côte gauche", ["rib_left_12"]),
])
def test_a_side_refused_before_a_contrast_is_no_side_of_what_follows(engine, ct_evidence, prompt, targets):
    """'nicht die rechte, sondern die linke Niere' gave both kidneys: the refused side was read as a second side of
    the noun named after the contrast word."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == targets, spec.trace.rationale


@pytest.mark.parametrize("prompt", ["not the right but the kidney", "not the right but the right kidney",
                                    "not the 11th but the 11th left rib"])
def test_a_contrast_that_names_no_other_side_is_no_mask(engine, ct_evidence, prompt):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status != "ok" and spec.targets == [], (spec.status, spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt", [
    "the kidneys; actually the adrenals as well",
    "both kidneys; actually add the adrenals",
    "beide Nieren; eigentlich ergänze die Nebennieren",
    "les deux reins; en fait ajoute les surrénales",
    "ambos riñones; en realidad añade también las suprarrenales",
])
def test_a_correction_marker_with_an_additive_word_adds(engine, ct_evidence, prompt):
    """'both kidneys; actually add both adrenals too' gave the adrenals only: the additive word after the name
    was not read."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(KIDNEYS + ADRENALS), spec.trace.rationale


def test_a_correction_marker_without_an_additive_word_still_replaces(engine, ct_evidence):
    spec = engine.understand("the liver; actually, make that the spleen", ct_evidence)
    assert spec.status == "ok" and spec.targets == ["spleen"], spec.trace.rationale


@pytest.mark.parametrize("prompt, targets", [
    ("Right hydronephrosis. Look at the opposite side as well: segment both.", KIDNEYS),
    ("Fracture of the left 10th rib. The opposite side: segment both.", ["rib_left_10", "rib_right_10"]),
    ("Linke Hydronephrose. Vergleich mit der Gegenseite: beide segmentieren.", KIDNEYS),
])
def test_both_after_the_other_side_is_the_pair(engine, ct_evidence, prompt, targets):
    """'Left hydronephrosis. Compare with the contralateral side: segment both.' gave the right kidney only."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(targets), spec.trace.rationale


def test_the_other_side_alone_is_still_the_other_side(engine, ct_evidence):
    spec = engine.understand("Left hydronephrosis. Segment the contralateral kidney.", ct_evidence)
    assert spec.status == "ok" and spec.targets == ["kidney_right"], spec.trace.rationale
