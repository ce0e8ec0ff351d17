"""Reasoning rounds 45-46 (issue 13), the lead's part: "none" as a negation word, and adjectives made from a region's
or an organ's name said beside another structure's name. Phrasings written for this test; in-process on the real CT
and MR maps with the one session engine."""

from __future__ import annotations

import pytest

LEFT_RIBS = [f"rib_left_{n}" for n in range(7, 13)]


@pytest.mark.parametrize("prompt", ["ribs; none on the right", "all the ribs, none from the right side please"])
def test_none_negates_what_follows_it(engine, ct_evidence, prompt):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(LEFT_RIBS), spec.trace.rationale


@pytest.mark.parametrize("prompt, target", [
    ("contour the thoracic aorta", "aorta"),
    ("lumbar spinal cord as an organ at risk", "spinal_cord"),
    ("the suprarenal abdominal aorta", "aorta"),
    ("hepatic portal vein", "portal_vein_and_splenic_vein"),
    ("la médula espinal torácica", "spinal_cord"),  # the adjective follows the name in Spanish
    ("l'aorte abdominale", "aorta"),
    ("il midollo spinale toracico", "spinal_cord"),
])
def test_a_region_adjective_beside_another_name_only_places_it(engine, ct_evidence, prompt, target):
    """"thoracic" alone is one of the thoracic vertebrae and "suprarenal" an adrenal: beside the aorta or the cord
    they asked which vertebra or which adrenal."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == [target], spec.trace.rationale


@pytest.mark.parametrize("prompt", ["the renal arteries", "segment the renal vein", "hepatic veins please"])
def test_an_organ_adjective_beside_a_group_noun_is_not_the_organ_and_the_group(engine, ct_evidence, prompt):
    """A renal artery is neither a kidney nor the aorta ("renal arteries" gave both kidneys and the aorta at 0.97)."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status != "ok" and spec.targets == [], (spec.status, spec.targets)


@pytest.mark.parametrize("prompt, targets", [
    ("thoracic vertebrae and spinal cord", ["vertebrae_T11", "vertebrae_T12", "spinal_cord"]),
    ("lumbar and thoracic vertebrae", ["vertebrae_T11", "vertebrae_T12", "vertebrae_L1", "vertebrae_L2"]),
    ("all abdominal vessels except the aorta", ["inferior_vena_cava", "portal_vein_and_splenic_vein"]),
    ("renal and splenic", None),
])
def test_an_adjective_apart_from_a_name_keeps_its_reading(engine, ct_evidence, prompt, targets):
    spec = engine.understand(prompt, ct_evidence)
    if targets is None:  # "renal" alone names a kidney without its side
        assert spec.status == "clarify", (spec.status, spec.targets)
    else:
        assert spec.status == "ok" and sorted(spec.targets) == sorted(targets), spec.trace.rationale


@pytest.mark.parametrize("prompt, targets", [
    ("the splenoportal axis, i.e. the portal vein and splenic vein", ["portal_vein_and_splenic_vein"]),
    ("L.K. and R.K.", ["kidney_left", "kidney_right"]),
])
def test_letters_with_their_dots_are_one_abbreviation(engine, ct_evidence, prompt, targets):
    """"i.e." was read as two sentences of one letter each, so the apposition after it was never seen."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(targets), spec.trace.rationale


@pytest.mark.parametrize("prompt, targets", [
    ("aorta; IVC; portal+splenic vein", ["aorta", "inferior_vena_cava", "portal_vein_and_splenic_vein"]),
    ("portal & splenic vein", ["portal_vein_and_splenic_vein"]),
    ("aorta, ivc, portal/splenic", ["aorta", "inferior_vena_cava", "portal_vein_and_splenic_vein"]),  # not the spleen
    ("the big veins: IVC plus portal/splenic", ["inferior_vena_cava", "portal_vein_and_splenic_vein"]),
])
def test_a_word_joined_to_a_longer_name_shares_its_head(engine, ct_evidence, prompt, targets):
    """"portal" alone is no name; "portal vein" is."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(targets), spec.trace.rationale


@pytest.mark.parametrize("prompt, status, targets", [
    ("segmentiere die Vene", "clarify", []),  # German: one vein, which one?
    ("die große Vene hinter der Leber", "ok", ["inferior_vena_cava"]),
    ("segmenta tutte le vene", "ok", ["inferior_vena_cava", "portal_vein_and_splenic_vein"]),  # Italian: the veins
    ("le vertebre lombari", "ok", ["vertebrae_L1", "vertebrae_L2"]),
    # read as "the veins" its relation was unread (round 8 made it ask); as one vein it is placed
    ("die Vene rechts neben der Aorta", "ok", ["inferior_vena_cava"]),
])
def test_a_name_two_languages_read_differently_takes_the_requests_language(engine, ct_evidence, prompt, status,
                                                                           targets):
    """German "Vene" (a vein) was read as the Italian plural "vene" (every vein)."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == status and sorted(spec.targets) == sorted(targets), spec.trace.rationale


def test_language_of_needs_a_lead_of_two_own_words():
    from lib.reasoning.normalize import language_of
    words = {"de": {"und", "zwischen", "die"}, "it": {"tutte", "dell"}}
    assert language_of(["die", "vene", "zwischen", "leber", "und", "milz"], words) == "de"
    assert language_of(["vene"], words) is None
    assert language_of(["tutte", "die"], words) is None


@pytest.mark.parametrize("prompt", ["el órgano que cubre los riñones", "l'organe qui couvre les reins"])
def test_an_unread_verb_relating_a_kind_to_the_answer_is_never_dropped(engine, ct_evidence, prompt):
    """Spanish "cubre" was repaired into the Italian "cuore" (heart); unrepaired, it was dropped and the kidneys came
    back. The verb says how the organ asked for relates to the kidneys, so the kidneys are not the answer."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status != "ok" and spec.targets == [], (spec.status, spec.targets)
    assert "heart" not in str(spec.trace.rationale)


@pytest.mark.parametrize("prompt, target", [("el hígdo", "liver"), ("segmenta il fegto", "liver"), ("die Lebr", "liver")])
def test_a_misspelt_name_is_still_repaired_in_its_own_language(engine, ct_evidence, prompt, target):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == [target], spec.trace.rationale


@pytest.mark.parametrize("prompt, status, targets", [
    ("the right floating rib", "clarify", []),
    ("the left lung lobe", "clarify", []),
    ("the twelfth rib on the right, floating one", "ok", ["rib_right_12"]),  # the apposition picks it
    ("the left floating ribs", "ok", ["rib_left_11", "rib_left_12"]),
    ("aorta plus the vessel to its right", "ok", ["aorta", "inferior_vena_cava"]),
])
def test_one_of_a_kind_on_a_side_is_one_structure_not_all_on_that_side(engine, ct_evidence, prompt, status, targets):
    """"the right floating rib" gave both right floating ribs at 0.97."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == status and sorted(spec.targets) == sorted(targets), spec.trace.rationale


@pytest.mark.parametrize("prompt", ["L psoas / R psoas / L blorfus / R blorfus", "left kidney + right gizmo + spleen"])
def test_a_list_entry_of_a_side_and_an_unread_word_is_never_dropped(engine, ct_evidence, prompt):
    """"L psoas / R psoas / L erector / R erector" gave the left psoas alone at 0.85: the unread entry's side went to
    the psoas before it, and that psoas, with both sides, was taken for the whole of the left one."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status != "ok" and spec.targets == [], (spec.status, spec.targets)
