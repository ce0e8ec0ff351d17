"""Reasoning round 21 (issue 13), the lead's part: a noun said again as "ones" after a modifier, relations whose
landmark no file explains, relations no operator applied checked against the image, and relations to a pronoun.
Phrasings written for this test; in-process on the real CT and MR maps with the one session engine."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("prompt, targets", [
    ("right ribs except the floating ones", ["rib_right_7", "rib_right_8", "rib_right_9", "rib_right_10"]),
    ("all the ribs but not the floating ones", [f"rib_{s}_{n}" for s in ("left", "right") for n in (7, 8, 9, 10)]),
    ("left ribs, leave out the floating ones", ["rib_left_7", "rib_left_8", "rib_left_9", "rib_left_10"]),
])
def test_a_modifier_and_a_pro_form_name_the_noun_said_before(engine, ct_evidence, prompt, targets):
    """"minus the floating ones" was an unexplained word beside a series: "ones" stands for "ribs" said before."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(targets), spec.trace.rationale


def test_a_pro_form_after_a_side_keeps_its_own_reading(engine, ct_evidence):
    spec = engine.understand("the kidneys, only the left one", ct_evidence)
    assert spec.status == "ok" and spec.targets == ["kidney_left"], spec.trace.rationale


@pytest.mark.parametrize("prompt", [
    "the muscle along the spine on the left, in front of the transverse processes",
    "the right muscle lying behind the zygapophyseal joints",
])
def test_a_relation_to_a_landmark_no_file_explains_is_not_answered(engine, ct_evidence, prompt):
    """The landmark is unknown, so the relation that would choose among the muscles cannot be checked."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status != "ok" and spec.targets == [], (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt, targets", [
    ("Would you mind outlining the spleen? We want to track its volume over time.", ["spleen"]),
    ("Contour the inferior vena cava over the imaged extent.", ["inferior_vena_cava"]),
    ("aortic aneurysm under surveillance, outline that vessel", ["aorta"]),
])
def test_loose_relation_words_place_nothing(engine, ct_evidence, prompt, targets):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == targets, spec.trace.rationale


@pytest.mark.parametrize("prompt", [
    "the tube behind the aorta",
    "the vessel behind the aorta, the big vein",
])
def test_an_unapplied_relation_the_image_contradicts_is_a_question(engine, ct_evidence, prompt):
    """Read by its words the answer was the vena cava, which lies to the right of the aorta, not behind it."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status != "ok" and spec.targets == [], (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt, targets", [
    ("the spleen above the left kidney", ["spleen"]),
    ("the little sac under the liver where bile is stored", ["gallbladder"]),
])
def test_an_unapplied_relation_the_image_confirms_keeps_the_answer(engine, ct_evidence, prompt, targets):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == targets, spec.trace.rationale


@pytest.mark.parametrize("prompt", [
    "pancreas and the bowel loop hugging its head",
    "the stomach plus the bowel right beside it",
])
def test_an_unread_relation_to_a_pronoun_does_not_give_the_whole_group(engine, mr_evidence, prompt):
    """"the bowel loop hugging its head" gave all three bowel parts: the relation would have chosen one."""
    spec = engine.understand(prompt, mr_evidence)
    assert not (spec.status == "ok" and {"small_bowel", "colon", "duodenum"} <= set(spec.targets)), spec.trace.rationale


@pytest.mark.parametrize("prompt", ["spinal cord, discs, ribs", "the liver and the ribs", "aorta, IVC and the ribs"])
def test_a_list_with_a_part_the_backbone_cannot_segment_offers_the_rest(engine, mr_evidence, prompt):
    """The MR map has no ribs or lungs: the whole list was refused, where a part outside the scan offers the rest."""
    spec = engine.understand(prompt, mr_evidence)
    assert spec.status == "clarify" and spec.targets == [] and spec.candidates, (spec.message, spec.trace.rationale)
    assert "vocabulary" in spec.message


def test_a_structure_the_backbone_cannot_segment_alone_is_refused(engine, mr_evidence):
    spec = engine.understand("ribs", mr_evidence)
    assert spec.status == "rejected" and spec.targets == [], spec.trace.rationale
