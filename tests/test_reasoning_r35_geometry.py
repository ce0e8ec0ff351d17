"""Reasoning round 35 (issue 13), helper G: comparisons whose side is said once for the whole list, one of named
structures picked by side, a vessel placed beside or along another, and a count said of a series. Phrasings
written for this test; in-process on the real CT and MR maps with the one session engine."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("prompt, targets", [
    ("the smaller of the kidney and adrenal on the left", ["adrenal_gland_left"]),
    ("which is smaller, kidney or adrenal, on the left side", ["adrenal_gland_left"]),
    ("of the left kidney and adrenal, the smaller", ["adrenal_gland_left"]),
    ("of the left kidney and adrenal, the bigger", ["kidney_left"]),
    ("the lower one of rib 7 and rib 12 on the right", ["rib_right_12"]),
    ("the higher of rib 7 and rib 12 on the right", ["rib_right_7"]),
    ("le plus petit du rein et de la surrénale à gauche", ["adrenal_gland_left"]),
    ("das kleinere von Niere und Nebenniere links", ["adrenal_gland_left"]),
    ("el más pequeño del riñón y la suprarrenal a la izquierda", ["adrenal_gland_left"]),
    ("il più piccolo tra rene e surrene a sinistra", ["adrenal_gland_left"]),
])
def test_a_side_said_once_is_said_of_every_candidate(engine, ct_evidence, prompt, targets):
    """'the smaller of the kidney and adrenal on the left' gave both: the side was read of the adrenal alone."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == targets, spec.trace.rationale


def test_a_list_without_a_side_still_asks_between_close_candidates(engine, ct_evidence):
    spec = engine.understand("the lower of rib 7 and rib 12", ct_evidence)
    assert spec.status == "clarify" and spec.targets == [], spec.trace.rationale


@pytest.mark.parametrize("evidence", ["ct", "mr"])
@pytest.mark.parametrize("prompt, targets", [
    ("of aorta and IVC, the one on the patient's right", ["inferior_vena_cava"]),
    ("of the aorta and the IVC, the one on the patient's left", ["aorta"]),
    ("aorta or IVC, whichever is on the right", ["inferior_vena_cava"]),
    ("which of the aorta and the vena cava lies on the left?", ["aorta"]),
    ("de l'aorte et de la veine cave inférieure, celle qui est à droite", ["inferior_vena_cava"]),
    ("de la aorta y la vena cava inferior, la que está a la derecha", ["inferior_vena_cava"]),
    ("tra aorta e vena cava inferiore, quella a sinistra", ["aorta"]),
])
def test_one_of_named_structures_picked_by_side(engine, ct_evidence, mr_evidence, evidence, prompt, targets):
    spec = engine.understand(prompt, ct_evidence if evidence == "ct" else mr_evidence)
    assert spec.status == "ok" and spec.targets == targets, spec.trace.rationale


@pytest.mark.parametrize("prompt", ["the aorta and the IVC on the left", "the aorta and the IVC that lie on the left"])
def test_a_side_said_of_both_named_picks_neither(engine, ct_evidence, prompt):
    """Without a word that picks one ('the one', 'which'), the side is said of both: no choice is made."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.targets != ["aorta"], spec.trace.rationale


@pytest.mark.parametrize("evidence", ["ct", "mr"])
@pytest.mark.parametrize("prompt, targets", [
    ("the vein next to the aorta", ["inferior_vena_cava"]),
    ("the aorta and the vein beside it", ["aorta", "inferior_vena_cava"]),
    ("la veine à côté de l'aorte", ["inferior_vena_cava"]),
    ("la vena junto a la aorta", ["inferior_vena_cava"]),
])
def test_the_vein_beside_the_aorta(engine, ct_evidence, mr_evidence, evidence, prompt, targets):
    """On the MR nothing touches the aorta (fat planes): the vein lying squarely beside it at its level is the IVC;
    the portal confluence spans it in front."""
    spec = engine.understand(prompt, ct_evidence if evidence == "ct" else mr_evidence)
    assert spec.status == "ok" and spec.targets == targets, spec.trace.rationale


@pytest.mark.parametrize("evidence", ["ct", "mr"])
@pytest.mark.parametrize("prompt, targets", [
    ("pancreas and the vein along its back", ["pancreas", "portal_vein_and_splenic_vein"]),
    ("the pancreas and the vein running along its back", ["pancreas", "portal_vein_and_splenic_vein"]),
    ("the vein along the back of the pancreas", ["portal_vein_and_splenic_vein"]),
    ("la veine le long de la face postérieure du pancréas", ["portal_vein_and_splenic_vein"]),
    ("la vena a lo largo de la cara posterior del páncreas", ["portal_vein_and_splenic_vein"]),
])
def test_the_vein_along_the_back_of_the_pancreas(engine, ct_evidence, mr_evidence, evidence, prompt, targets):
    """'along its back' went to the encoder, which gave the IVC: the vein that lies against the pancreas, on its
    back side, is the splenic vein (the IVC lies behind it, but apart)."""
    spec = engine.understand(prompt, ct_evidence if evidence == "ct" else mr_evidence)
    assert spec.status == "ok" and spec.targets == targets, spec.trace.rationale


@pytest.mark.parametrize("prompt", ["the kidney next to the spleen", "the spleen and the kidney next to it"])
def test_nearness_still_outweighs_lying_squarely_beside(engine, mr_evidence, prompt):
    """The right kidney lies squarely beside the spleen at its level, across the body: never 'next to' it."""
    spec = engine.understand(prompt, mr_evidence)
    assert spec.status == "ok" and "kidney_left" in spec.targets, spec.trace.rationale


VERTEBRAE = ["vertebrae_T11", "vertebrae_T12", "vertebrae_L1", "vertebrae_L2"]


@pytest.mark.parametrize("prompt, targets", [
    ("the four vertebrae", VERTEBRAE),
    ("spinal cord and the four vertebrae", ["spinal_cord", *VERTEBRAE]),
    ("the spinal cord and the 4 vertebrae", ["spinal_cord", *VERTEBRAE]),
    ("la moelle épinière et les quatre vertèbres", ["spinal_cord", *VERTEBRAE]),
    ("la médula espinal y las cuatro vértebras", ["spinal_cord", *VERTEBRAE]),
])
def test_a_count_that_matches_what_is_shown(engine, ct_evidence, prompt, targets):
    """'four vertebrae' is four of them, never C4 (which the CT does not show)."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(targets), spec.trace.rationale


@pytest.mark.parametrize("prompt", ["the three vertebrae", "the six vertebrae", "spinal cord and the three vertebrae"])
def test_a_count_that_does_not_match_asks(engine, ct_evidence, prompt):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status != "ok" and spec.targets == [], spec.trace.rationale
