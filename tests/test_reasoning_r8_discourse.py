"""Reasoning round 8, discourse and words (issue 13): corrections said after a pause ("..., other side"), a list
line that removes an entry by its side, "both" said of a group that is no pair, a request that refuses a mask, a
report's lesion read as a finding in its organ, MR sequence words that are no vertebra, and texting shorthand.
Each capability is asserted with phrasings written for these tests (never copied from a suite), in several of the
seven languages, on the real CT's and MR's maps, in-process."""

from __future__ import annotations

import pytest


def ask(engine, evidence, prompt):
    return engine.understand(prompt, evidence)


@pytest.mark.parametrize("prompt, expected", [
    ("the left psoas - the other side", ["iliopsoas_right"]),
    ("linke Niere... andere Seite", ["kidney_right"]),
    ("rein gauche, non, l'autre côté", ["kidney_right"]),
    ("right kidney. wait, the opposite side", ["kidney_left"]),
    ("il rene destro... l'altro lato", ["kidney_left"]),
    ("the right adrenal... the other one", ["adrenal_gland_left"]),
])
def test_other_side_after_a_pause_corrects_the_side(engine, mr_evidence, prompt, expected):
    """The other side said alone after a pause or a correction flips the side of the structure said before it;
    the uncorrected side is never the answer."""
    spec = ask(engine, mr_evidence, prompt)
    assert spec.status == "ok" and spec.targets == expected, spec.trace.rationale


def test_other_side_joined_by_a_conjunction_is_no_correction(engine, mr_evidence):
    spec = ask(engine, mr_evidence, "left kidney and the other side")
    assert spec.targets != ["kidney_right"]


@pytest.mark.parametrize("prompt, expected", [
    ("1. liver\n2. right kidney\n3. left kidney\nremove the left", ["liver", "kidney_right"]),
    ("spleen, left adrenal, right adrenal - drop the right one", ["spleen", "adrenal_gland_left"]),
    ("- rein gauche\n- rein droit\n- supprimer le droit", ["kidney_left"]),
    ("left kidney, right kidney. remove left", ["kidney_right"]),
    ("the kidneys. remove left", ["kidney_right"]),
])
def test_a_removal_by_side_removes_that_entry(engine, ct_evidence, prompt, expected):
    """A later line that removes only a side removes the entry said on that side (or that member of a pair)."""
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(expected), spec.trace.rationale


@pytest.mark.parametrize("prompt", ["both big vessels", "abdominal aorta, scratch that, both big vessels"])
def test_both_said_of_a_wider_group_asks(engine, mr_evidence, prompt):
    """"both" counts two: a group of three unpaired structures in the image is asked about, never all given."""
    spec = ask(engine, mr_evidence, prompt)
    assert spec.status == "clarify" and len(spec.candidates) > 2


@pytest.mark.parametrize("prompt, expected", [
    ("both kidneys", ["kidney_left", "kidney_right"]),
    ("beide großen Gefäße", ["aorta", "inferior_vena_cava"]),
    ("les deux gros vaisseaux", ["aorta", "inferior_vena_cava"]),
])
def test_both_that_fits_still_answers(engine, ct_evidence, prompt, expected):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and spec.targets == expected


@pytest.mark.parametrize("prompt", [
    "liver volume please, no mask needed",
    "Wie groß ist die Leber? Nur die Zahl, keine Maske.",
    "densité moyenne du foie, sans masque",
    "the spleen: average attenuation only, without a mask",
])
def test_a_request_that_refuses_a_mask_gets_none(engine, ct_evidence, prompt):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status != "ok" and not spec.targets


def test_a_negated_action_with_an_object_still_negates_the_object(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "do not segment the spleen, only the liver")
    assert spec.status == "ok" and spec.targets == ["liver"]


@pytest.mark.parametrize("prompt, expected", [
    ("Left kidney cyst. Right kidney unremarkable. Outline the abnormal kidney.", ["kidney_left"]),
    ("Impression: cyst of the left kidney, right kidney normal. Segment the normal one.", ["kidney_right"]),
    ("Befund: Nierenzyste rechts, linke Niere unauffällig. Bitte die betroffene Niere segmentieren.",
     ["kidney_right"]),
    ("Renal cysts on both sides, nothing else. Contour both.", ["kidney_left", "kidney_right"]),
])
def test_a_reported_lesion_is_a_finding_in_its_organ(engine, mr_evidence, prompt, expected):
    """A lesion the image cannot show ("right renal cyst") is a finding at its organ: the affected, normal or
    both references pick among the organs."""
    spec = ask(engine, mr_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(expected), spec.trace.rationale
    assert spec.confidence < 0.9


def test_an_mr_sequence_is_no_vertebra(engine, mr_evidence):
    spec = ask(engine, mr_evidence, "Degenerated discs with low T2-weighted signal. Segment the degenerated structures.")
    assert spec.status == "ok" and spec.targets == ["intervertebral_discs"], spec.trace.rationale


@pytest.mark.parametrize("prompt, expected", [
    ("both kids pls", ["kidney_left", "kidney_right"]),
    ("lt UL lung", ["lung_upper_lobe_left"]),
    ("the left ll", ["lung_lower_lobe_left"]),
])
def test_texting_shorthand(engine, ct_evidence, prompt, expected):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and spec.targets == expected and spec.confidence < 0.97


@pytest.mark.parametrize("prompt, expected", [
    ("left 9th rib, sorry, right", ["rib_right_9"]),
    ("the right 11th rib... the other side", ["rib_left_11"]),
])
def test_a_side_correction_keeps_the_number(engine, ct_evidence, prompt, expected):
    """A numbered rib corrected only in its side is the same rib on the other side, never the whole side."""
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and spec.targets == expected, spec.trace.rationale


@pytest.mark.parametrize("prompt", ["the colon should not be segmented", "Leber bitte nicht segmentieren",
                                    "de lever niet segmenteren"])
def test_a_negated_action_after_its_object_still_negates_it(engine, ct_evidence, prompt):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status != "ok" and not spec.targets


@pytest.mark.parametrize("prompt, expected", [
    ("- Niere links\n- Niere rechts\n- rechts entfernen", ["kidney_left"]),
    ("Leber, Milz, rechte Niere. Die Milz entfernen.", ["liver", "kidney_right"]),
    ("- lever\n- milt\n- milt verwijderen", ["liver"]),
])
def test_a_removal_verb_said_last_removes_its_object(engine, ct_evidence, prompt, expected):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(expected), spec.trace.rationale


@pytest.mark.parametrize("prompt", ["the right kidney and the spleen. remove the left",
                                    "Leber, rechte Niere. links entfernen"])
def test_a_removal_that_cannot_be_applied_asks(engine, ct_evidence, prompt):
    """A removal seen but not applicable (no entry on that side) is a question, never the uncorrected mask."""
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "clarify" and not spec.targets


@pytest.mark.parametrize("prompt", [
    "Hypervascular nodule in segment 4a. Outline the affected organ.",
    "Läsion im Segment VI. Bitte das betroffene Organ segmentieren.",
    "Lésion du segment VIII. Segmenter l'organe atteint.",
    "Lesión en el segmento II. Segmentar el órgano afectado.",
])
def test_a_numbered_liver_segment_locates_a_finding_in_the_liver(engine, ct_evidence, prompt):
    """Couinaud's numbered segments (language data) are a finding's site: the organ that holds it is the liver."""
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and spec.targets == ["liver"] and spec.confidence < 0.9, spec.trace.rationale


@pytest.mark.parametrize("prompt", ["the spleen... other side", "left kidney, right kidney... other side"])
def test_an_other_side_correction_that_cannot_apply_gives_no_mask(engine, mr_evidence, prompt):
    """"other side" said as a correction of a structure with no side, or of two, is never answered as if unsaid."""
    spec = ask(engine, mr_evidence, prompt)
    assert spec.status != "ok" and not spec.targets
