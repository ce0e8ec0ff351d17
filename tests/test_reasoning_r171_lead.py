"""Reasoning rounds 171 and 175 (issue 13), the lead's part: an acronym spelt like another language's function
word, a side placed by a reference ("on the unaffected side"), a same-side phrase in a correction, a member word
before "ones", a list after a group that mixes an adjective with names, a plural kind around a landmark, "each kidney
with its adrenal", the end of a landmark beyond the scan, a restriction after a contrast, a list after an exception
from everything, a member and a direction ("from T12 down"), a count before a plural group, a request after a
signature delimiter, a landmark no map draws (the hemidiaphragm), and an answer placed where the report says a
structure was removed. Phrasings written for this test; in-process on the real CT and MR maps with the one
session engine."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("prompt", [
    "left psoas, right psoas, left ES, right ES",
    "left kidney and left EL",
])
def test_an_acronym_spelt_like_a_foreign_function_word_is_not_passed_over(engine, ct_evidence, prompt):
    """"ES" (erector spinae) folded to the Spanish "es" and was read as a filler: the psoas alone came back at 0.97."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status != "ok", (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt, expected", [
    ("LEFT kidney ONLY", ["kidney_left"]),  # an English word in capitals is still that word
    ("el HIGADO y el BAZO", ["liver", "spleen"]),
    ("segment the kidney that is NOT the left one", ["kidney_right"]),
])
def test_words_in_capitals_of_the_requests_own_language_keep_their_reading(engine, ct_evidence, prompt, expected):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == expected, (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt, expected", [
    ("History: left renal mass. Please segment the kidney on the unaffected side.", ["kidney_right"]),
    ("Report: right renal cyst. Outline the kidney on the healthy side", ["kidney_left"]),
])
def test_a_side_placed_by_a_reference_is_no_relation(engine, ct_evidence, prompt, expected):
    """"on the unaffected side" was read as a relation ("on") to nothing, and the affected kidney came back."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == expected, (spec.targets, spec.trace.rationale)


def test_a_report_reference_to_a_group_takes_the_part_the_image_shows(engine, ct_evidence):
    """The right lung is only its lower lobe on this CT: named, it is that lobe; by a reference it was refused."""
    spec = engine.understand("Right-sided pleural effusion with basal atelectasis. Segment the lung on the affected "
                             "side", ct_evidence)
    assert spec.status == "ok" and spec.targets == ["lung_lower_lobe_right"], spec.trace.rationale


@pytest.mark.parametrize("prompt, expected", [
    ("left psoas, sorry i meant erector spinae, same side", ["autochthon_left"]),
    ("right psoas - no wait, the erector spinae on the same side", ["autochthon_right"]),
    ("right kidney - no, the adrenal, same side", ["adrenal_gland_right"]),
])
def test_a_same_side_phrase_in_a_correction_keeps_the_withdrawn_side(engine, ct_evidence, prompt, expected):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == expected, (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt, expected", [
    ("vertebrae, the lumbar ones", ["vertebrae_L1", "vertebrae_L2"]),
    ("the thoracic ones", ["vertebrae_T11", "vertebrae_T12"]),
])
def test_a_member_word_before_a_plural_pro_form_is_the_whole_group(engine, ct_evidence, prompt, expected):
    """"the lumbar ones" read "lumbar" as one lumbar vertebra and asked which."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == expected, (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt", [
    "the bowel (small, duodenum and colon)",
    "todo el intestino (delgado, duodeno y colon)",
    "all bowel: small, duodenum, colon",
])
def test_a_list_after_a_group_may_mix_an_adjective_with_names(engine, ct_evidence, prompt):
    """The adjective ("small", "delgado") was dropped and the names kept: the small bowel was missing at 0.97."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == ["colon", "duodenum", "small_bowel"], spec.trace.rationale


def test_a_list_after_a_group_still_needs_two_entries(engine, ct_evidence):
    spec = engine.understand("the bowel, small", ct_evidence)
    assert spec.targets != ["small_bowel"] or spec.confidence < 0.9


def test_a_plural_kind_around_a_landmark_is_every_one_that_rings_it(engine, ct_evidence):
    """"the vertebrae around the cord" took the one whose box holds the cord's centre (L1). T11 is cut by the field
    of view to its body, which does not ring the cord here."""
    spec = engine.understand("the vertebrae around the spinal cord", ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == ["vertebrae_L1", "vertebrae_L2", "vertebrae_T12"]
    single = engine.understand("the vertebra around the spinal cord", ct_evidence)
    assert single.targets == ["vertebrae_L1"]


@pytest.mark.parametrize("prompt", ["each kidney together with its adrenal", "each kidney with its adrenal gland"])
def test_one_of_a_pair_possessed_by_a_pair_said_on_both_sides_is_on_both_sides(engine, ct_evidence, prompt):
    """"its adrenal" after "each kidney" asked which adrenal."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == [
        "adrenal_gland_left", "adrenal_gland_right", "kidney_left", "kidney_right"], spec.trace.rationale


def test_a_possession_of_one_side_keeps_that_side(engine, ct_evidence):
    spec = engine.understand("left kidney with its adrenal", ct_evidence)
    assert sorted(spec.targets) == ["adrenal_gland_left", "kidney_left"]


@pytest.mark.parametrize("prompt", ["the lung lobe right above the dome of the liver",
                                    "the lung lobe sitting directly on top of the liver dome"])
def test_an_end_of_the_landmark_beyond_the_scan_places_by_the_whole(engine, ct_evidence, prompt):
    """The scan cuts the liver at its top: its dome is not in the image, and nothing lay above the cut. Placed by
    the whole liver instead, below the sure band."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == ["lung_lower_lobe_right"] and spec.confidence < 0.9


def test_a_relation_word_that_ends_a_conjunct_takes_the_structure_before(engine, ct_evidence):
    """"on top" (no "of") was no relation word: "left kidney" was reported unread."""
    spec = engine.understand("left kidney and the gland on top", ct_evidence)
    assert spec.status == "ok" and spec.targets == ["kidney_left", "adrenal_gland_left"], spec.trace.rationale


@pytest.mark.parametrize("prompt, expected", [
    ("vertebrae, not ribs - the lumbar ones", ["vertebrae_L1", "vertebrae_L2"]),
    ("vertebrae, not ribs, the lumbar ones", ["vertebrae_L1", "vertebrae_L2"]),
    ("vertebrae except L1, the lumbar ones", ["vertebrae_T11", "vertebrae_T12"]),  # a subtraction goes on
])
def test_a_restriction_after_a_contrast_is_said_of_what_is_asked(engine, ct_evidence, prompt, expected):
    """"not ribs" sets the kind apart (ribs are no part of the vertebrae): "the lumbar ones" after it restricts the
    vertebrae; it had been excluded with the ribs (T11 and T12 at 0.97)."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == expected, (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt", ["all organs except the liver, the spleen",
                                    "everything except the liver, the spleen"])
def test_a_list_after_an_exception_from_everything_goes_on(engine, ct_evidence, prompt):
    """The spleen, the second exception, came back alone at 0.97."""
    spec = engine.understand(prompt, ct_evidence)
    assert "spleen" not in spec.targets, (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt, expected", [
    ("vertebrae from T12 down", ["vertebrae_T12", "vertebrae_L1", "vertebrae_L2"]),
    ("T12 and below", ["vertebrae_T12", "vertebrae_L1", "vertebrae_L2"]),
    ("vertebrae from L1 up", ["vertebrae_T11", "vertebrae_T12", "vertebrae_L1"]),
    ("left ribs from 10 downwards", ["rib_left_10", "rib_left_11", "rib_left_12"]),
    ("vertebrae from T12 down plus the spinal cord", ["vertebrae_T12", "vertebrae_L1", "vertebrae_L2", "spinal_cord"]),
])
def test_a_member_and_a_direction_run_to_that_end_of_the_series(engine, ct_evidence, prompt, expected):
    """"from T12 down" gave T12 alone at 0.97: the direction word was a filler."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == expected, (spec.targets, spec.trace.rationale)


def test_a_direction_after_a_structure_of_no_series_is_no_range(engine, ct_evidence):
    spec = engine.understand("the liver and below", ct_evidence)
    assert spec.confidence < 0.9


@pytest.mark.parametrize("prompt, expected", [
    ("T11 to L2 excluding the two thoracic ones", ["vertebrae_L1", "vertebrae_L2"]),
    ("all vertebrae except the two lumbar vertebrae", ["vertebrae_T11", "vertebrae_T12"]),
])
def test_a_cardinal_before_a_plural_group_counts_it(engine, ct_evidence, prompt, expected):
    """"the two thoracic ones" was read as T2 (not in the image): nothing was excluded, at 0.97."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == expected, (spec.targets, spec.trace.rationale)


def test_a_count_the_image_does_not_show_is_asked_about(engine, ct_evidence):
    spec = engine.understand("vertebrae minus the three lumbar ones", ct_evidence)
    assert spec.status == "clarify" and sorted(spec.candidates) == ["vertebrae_L1", "vertebrae_L2"]


@pytest.mark.parametrize("prompt, expected", [
    ("the psoas, not the erector spinae, left side", ["iliopsoas_left"]),
    ("kidneys, not the liver, the left one", ["kidney_left"]),
])
def test_a_side_after_a_contrast_is_the_asked_structures(engine, ct_evidence, prompt, expected):
    """The side went to the excluded muscle, and which psoas was asked."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == expected, (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt", ["os vasos, menos a veia porta/esplênica", "los vasos, menos la vena porta",
                                    "i vasi tranne la vena porta"])
def test_the_one_word_name_of_the_vessels_in_other_languages(engine, mr_evidence, prompt):
    """"vessels" names the blood vessels in English; "vasos" and "vasi" named nothing, so only the exception was read."""
    spec = engine.understand(prompt, mr_evidence)
    assert spec.status == "ok" and spec.targets == ["aorta", "inferior_vena_cava"], spec.trace.rationale


def test_a_count_of_steps_after_a_member_is_no_open_range(engine, ct_evidence):
    spec = engine.understand("L1 - two down", ct_evidence)
    assert spec.status != "ok"


def test_a_request_after_a_signature_delimiter_is_read_when_nothing_before_it_asks(engine, ct_evidence):
    """The text after "--" is dropped as a signature; put first, the signature left nothing to read."""
    spec = engine.understand("Sent from my iPhone\n--\nstomach seg pls", ct_evidence)
    assert spec.status == "ok" and spec.targets == ["stomach"] and spec.confidence < 0.9
    signed = engine.understand("liver please\n--\nDr Smith, ext 4432", ct_evidence)
    assert signed.targets == ["liver"]  # (a signature after the request still asks for nothing)


@pytest.mark.parametrize("prompt, expected", [
    ("the organ tucked under the left hemidiaphragm, lateral to the stomach", ["spleen"]),
    ("the lung lobe sitting on top of the right hemidiaphragm", ["lung_lower_lobe_right"]),
    ("das Organ unter dem linken Zwerchfell", ["spleen"]),
    ("il lobo polmonare sopra l'emidiaframma destro", ["lung_lower_lobe_right"]),
])
def test_a_landmark_no_map_draws_is_placed_by_what_lies_across_it(engine, ct_evidence, prompt, expected):
    """The hemidiaphragm is in no map: under it is under the lung of its side, above it is above the organs under
    it (`bounds` in concepts.json). It had been refused or asked about in 18 rows of the blind suites."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == expected and spec.confidence < 0.9, spec.trace.rationale


@pytest.mark.parametrize("prompt", ["segment the diaphragm", "the left hemidiaphragm"])
def test_a_landmark_no_map_draws_is_never_segmented(engine, ct_evidence, prompt):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "rejected" and "vocabulary" in spec.message


def test_a_relation_to_such_a_landmark_that_its_bounds_do_not_place_is_refused(engine, ct_evidence):
    spec = engine.understand("the organ next to the diaphragm", ct_evidence)
    assert spec.status != "ok"


@pytest.mark.parametrize("prompt", ["Splenectomy 2010. Outline the organ below the left lung.",
                                    "Splenectomy 2010. Outline the organ under the left hemidiaphragm."])
def test_an_answer_placed_where_the_report_says_a_structure_was_removed_is_refused(engine, ct_evidence, prompt):
    """The relation reader gave the spleen the report says was taken out (the map of this CT still draws one)."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status != "ok" and "removed" in spec.message
