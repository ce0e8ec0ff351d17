"""Reasoning round 19 (issue 13), the lead's part: comparisons of structures the scan cuts alike, "or" in lists and
series, and numbered parts of structures with no numbered parts. Phrasings written for this test; in-process on the
real CT and MR maps with the one session engine."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("prompt", [
    "which kidney reaches lower",
    "the kidney that extends further down",
    "welche Niere reicht tiefer",
])
def test_ends_the_scan_cuts_alike_are_compared_by_the_ends_it_shows(engine, mr_evidence, prompt):
    """The MR cuts both kidneys at its lowest slice, so their lower ends tie at the scan's face (both 29 mm): that
    tie asked back. The upper ends the scan shows whole (59 vs 71 mm) tell which kidney lies lower."""
    present = mr_evidence.present
    assert present["kidney_left"].extent_ras_mm[2] == present["kidney_right"].extent_ras_mm[2]
    spec = engine.understand(prompt, mr_evidence)
    assert spec.status == "ok" and spec.targets == ["kidney_left"], spec.trace.rationale
    assert any("other ends" in line for line in spec.trace.rationale), spec.trace.rationale


@pytest.mark.parametrize("prompt", ["die tiefer liegende Niere", "il rene situato più in basso"])
def test_a_position_participle_after_the_comparative_belongs_to_it(engine, mr_evidence, prompt):
    """'die tiefer liegende Niere' asked which kidney: the participle stood between the comparative and its noun."""
    spec = engine.understand(prompt, mr_evidence)
    assert spec.status == "ok" and spec.targets == ["kidney_left"], spec.trace.rationale


def test_ends_that_differ_are_still_compared_as_asked(engine, ct_evidence):
    spec = engine.understand("which kidney reaches higher", ct_evidence)
    assert not any("other ends" in line for line in spec.trace.rationale), spec.trace.rationale


@pytest.mark.parametrize("prompt", [
    "welche ist größer, Aorta oder Zorplex?",
    "the liver or the zorple",
])
def test_an_unread_last_choice_between_structures_is_no_mask(engine, ct_evidence, prompt):
    """'Aorta oder Hohlvene' gave the aorta at 0.85: the last entry, which we did not read, was dropped."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status != "ok" and spec.targets == [], (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt, targets", [
    ("Outline the gallbladder wall and lumen.", ["gallbladder"]),
    ("check http://pacs.local/study/7 then outline the left kidney", ["kidney_left"]),
])
def test_an_unread_word_after_and_is_not_taken_for_a_structure(engine, ct_evidence, prompt, targets):
    """After "and" a word we do not know is as often a part or a property ("wall and lumen") as a structure."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == targets, spec.trace.rationale


@pytest.mark.parametrize("prompt, targets", [
    ("welche ist größer, Aorta oder Hohlvene?", ["inferior_vena_cava"]),
    ("laquelle est la plus grosse, l'aorte ou la veine cave ?", ["inferior_vena_cava"]),
])
def test_the_vena_cava_in_the_singular_in_other_languages(engine, ct_evidence, prompt, targets):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == targets, spec.trace.rationale


@pytest.mark.parametrize("prompt, targets", [
    ("10th or 11th left rib", ["rib_left_10", "rib_left_11"]),
    ("la 10e ou la 11e côte gauche", ["rib_left_10", "rib_left_11"]),
    ("T11 or 12", ["vertebrae_T11", "vertebrae_T12"]),
    ("rib 9 oder 10 links", ["rib_left_10", "rib_left_9"]),
])
def test_a_number_joined_by_or_to_a_series_member_is_another_member(engine, ct_evidence, prompt, targets):
    """'10th or 11th left rib' gave rib 11 alone at 0.97: the 10th was taken as a second number of rib 11. Both are
    read; since round 21 a choice that nothing decides is a question between them, not both (r21_lead)."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "clarify" and sorted(spec.candidates) == targets, spec.trace.rationale


def test_an_unread_word_between_a_member_and_a_number_is_no_mask(engine, ct_evidence):
    spec = engine.understand("T11 blorf 12", ct_evidence)
    assert spec.status != "ok" and spec.targets == [], spec.trace.rationale


@pytest.mark.parametrize("prompt", [
    "liver segment 7",
    "segment VII of the liver",
    "le segment VII du foie",
    "segment 8 of the liver please",
    "the liver, segment 4",
])
def test_a_numbered_part_of_a_structure_without_numbered_parts_is_refused(engine, ct_evidence, prompt):
    """'liver segment 7' gave the whole liver at 0.97: the number was dropped."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "rejected" and spec.targets == [], spec.trace.rationale
    assert "I cannot segment part" in spec.message


@pytest.mark.parametrize("prompt, targets", [
    ("s/p resection of liver segment 6. Please segment the liver.", ["liver"]),
    ("the 2 kidneys", ["kidney_left", "kidney_right"]),
    ("segment 4 lesion, segment the liver", ["liver"]),
])
def test_a_number_elsewhere_does_not_refuse_the_whole(engine, ct_evidence, prompt, targets):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == targets, spec.trace.rationale


def test_the_map_records_the_share_of_a_surface_each_structure_faces(mr_evidence):
    """The gallbladder lies in its fossa: a large share of its surface faces the liver; the liver's own surface is
    mostly elsewhere. Shares are fractions of one structure's surface, so they never sum above one."""
    gallbladder, liver = mr_evidence.present["gallbladder"], mr_evidence.present["liver"]
    assert gallbladder.surface_share["liver"] > 0.1
    assert liver.surface_share["gallbladder"] < gallbladder.surface_share["liver"]
    assert all(sum(s.surface_share.values()) <= 1.0 for s in mr_evidence.present.values())


@pytest.mark.parametrize("prompt, targets", [
    ("the organ the gallbladder is attached to", ["liver"]),
    ("el órgano del que cuelga la vesícula", ["liver"]),
    ("the liver plus the organ hanging under it", ["gallbladder", "liver"]),
])
def test_a_relation_left_open_is_settled_by_the_surface_shared(engine, mr_evidence, prompt, targets):
    """On the MR the duodenum and the colon touch the gallbladder too, and the centroids left these a question."""
    spec = engine.understand(prompt, mr_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == targets, spec.trace.rationale
    assert spec.confidence < 0.9


def test_a_surface_shared_with_a_rival_about_as_much_is_never_the_rival(engine, ct_evidence):
    """On the CT the right adrenal faces the liver with about as large a share of its surface as the gallbladder, so
    the surface alone asked. Since round 35 the gallbladder's own description (it hangs from the liver's underside)
    decides it; the adrenal never comes back."""
    spec = engine.understand("the liver plus the organ hanging under it", ct_evidence)
    assert spec.status != "ok" and spec.targets == [] or sorted(spec.targets) == ["gallbladder", "liver"], \
        spec.trace.rationale


@pytest.mark.parametrize("prompt", [
    "das Organ, in dem die Gallenblase liegt",
    "the organ in which the gallbladder nests",
    "l'organe où se loge la vésicule",
])
def test_a_structure_named_inside_a_clause_describing_another_is_not_the_answer(engine, mr_evidence, prompt):
    """'das Organ, in dem die Gallenblase liegt' gave the gallbladder at 0.97: the organ asked for is the one the
    gallbladder lies in."""
    spec = engine.understand(prompt, mr_evidence)
    assert spec.status != "ok" and spec.targets == [], (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt", [
    "the organ that is the gallbladder",
    "the organ that stores bile, the gallbladder",
])
def test_a_naming_or_an_apposition_still_answers(engine, mr_evidence, prompt):
    spec = engine.understand(prompt, mr_evidence)
    assert spec.status == "ok" and spec.targets == ["gallbladder"], spec.trace.rationale


@pytest.mark.parametrize("prompt", [
    "the lymph nodes near the aorta",  # gave the vena cava at 0.75: "aorta" alone made the words fit a vessel
    "the shock absorbers between the vertebrae",  # gave the cord at 0.8; the CT's map has no discs
])
def test_a_thing_we_cannot_name_is_described_by_its_own_words_not_its_landmark(engine, ct_evidence, prompt):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status != "ok" and spec.targets == [], (spec.targets, spec.trace.rationale)


def test_a_thing_we_cannot_name_still_answers_where_the_image_has_it(engine, mr_evidence):
    spec = engine.understand("the shock absorbers between the vertebrae", mr_evidence)
    assert spec.status == "ok" and spec.targets == ["intervertebral_discs"], spec.trace.rationale


@pytest.mark.parametrize("prompt, targets", [
    ("the spleen, the kidney below the liver", ["kidney_right", "spleen"]),
    ("la rate, le rein sous le foie", ["kidney_right", "spleen"]),
])
def test_a_name_then_a_comma_then_another_name_placed_by_a_relation_is_a_list(engine, ct_evidence, prompt, targets):
    """'the spleen, the kidney below the liver' gave the right kidney alone at 0.88: the first part was dropped."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == targets, spec.trace.rationale


def test_a_side_after_an_unpaired_landmark_is_the_kind_named_before_it(engine, ct_evidence):
    """'the muscle behind the spine on the left': the spine has no left; the muscle does."""
    spec = engine.understand("the muscle behind the spine on the left", ct_evidence)
    assert spec.status == "ok" and spec.targets == ["autochthon_left"], spec.trace.rationale


def test_where_nothing_touches_the_landmark_every_structure_near_it_is_a_rival(engine, mr_evidence):
    """On the MR nothing touches the pancreas but its vein; the small bowel and the duodenum both lie near it, and
    the small bowel's nearer centroid gave it at 0.85 for 'the bowel loop hugging the pancreatic head'."""
    spec = engine.understand("the bowel loop hugging the pancreatic head", mr_evidence)
    assert spec.status != "ok" and spec.targets == [], (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt", [
    "Right hydronephrosis. Left kidney normal. both kidneys please",
    "Rechte Hydronephrose, linke Niere normal. Beide Nieren bitte.",
])
def test_a_whole_said_with_both_is_never_reduced_to_a_part_named_before(engine, ct_evidence, prompt):
    """It gave the left kidney alone at 0.97: the pair was read as the whole of the part the report named."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == ["kidney_left", "kidney_right"], spec.trace.rationale


def test_a_plural_on_one_side_holds_every_one_on_that_side(engine, ct_evidence):
    spec = engine.understand("the lung lobes on the same side as the spleen", ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == ["lung_lower_lobe_left", "lung_upper_lobe_left"], \
        spec.trace.rationale


def test_a_side_relation_to_a_paired_group_is_never_every_member(engine, ct_evidence):
    """'the ribs on the same side as the liver' gave every rib, left and right, at 0.85. It asked from round 19; since
    round 39 a group on a landmark's side is its members there (the right ribs)."""
    spec = engine.understand("the ribs on the same side as the liver", ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(f"rib_right_{n}" for n in range(7, 13)), \
        (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt, targets", [
    ("the gallbladder and the organ it hangs under", ["gallbladder", "liver"]),
    ("the pancreas and the organ it lies behind", ["pancreas", "stomach"]),
])
def test_a_relation_whose_landmark_is_the_clauses_subject_reads_the_other_way(engine, ct_evidence, prompt, targets):
    """'the organ it hangs under' is above it: it gave the duodenum, below the gallbladder."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == targets, spec.trace.rationale
