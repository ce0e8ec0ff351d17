"""Stages 2-5 on the real sample CT's evidence: parse, ground and decide, one feature per test."""

import pytest

from lib.records import Evidence


def ask(engine, evidence, prompt):
    return engine.understand(prompt, evidence)


@pytest.mark.parametrize("prompt,targets", [
    ("left kidney", ["kidney_left"]),
    ("L kidney", ["kidney_left"]),            # a lone L beside a noun is a side...
    ("L1", ["vertebrae_L1"]),                  # ...but L1 is a vertebra
    ("Plz segmnt the lft kidny", ["kidney_left"]),
    ("kidney (R)", ["kidney_right"]),
    ("kidney, right-hand side", ["kidney_right"]),
    ("the patient's right kidney", ["kidney_right"]),
    ("ren sinister", ["kidney_left"]),
    ("sinistral adrenal", ["adrenal_gland_left"]),
    ("  LEFT\u00a0 KIDNEY  ", ["kidney_left"]),
    ("both kidneys", ["kidney_left", "kidney_right"]),
    ("left lung", ["lung_upper_lobe_left", "lung_lower_lobe_left"]),
    ("spleen and pancreas", ["spleen", "pancreas"]),
    ("T12 to L2", ["vertebrae_T12", "vertebrae_L1", "vertebrae_L2"]),
    ("right ribs 10–12", ["rib_right_10", "rib_right_11", "rib_right_12"]),
    ("the kidneys except the left one", ["kidney_right"]),
    ("kidneys, no left", ["kidney_right"]),
    ("lumbar vertebrae", ["vertebrae_L1", "vertebrae_L2"]),
    ("ROI = stomach", ["stomach"]),
    ("the organ that stores bile", ["gallbladder"]),
    ("hepar", ["liver"]),
    ("IVC", ["inferior_vena_cava"]),
])
def test_request_resolves_to_targets(engine, ct_evidence, prompt, targets):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok", spec.message
    assert spec.targets == targets


def test_all_ribs_expands_to_the_ribs_in_the_image(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "all ribs")
    assert len(spec.targets) == 12 and all(t.startswith("rib_") for t in spec.targets)
    assert any("outside the image" in line for line in spec.trace.rationale)


@pytest.mark.parametrize("prompt", ["segment the brain", "heart", "left femur", "urinary bladder"])
def test_absent_structures_are_refused_with_the_evidence(engine, ct_evidence, prompt):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "rejected"
    assert "not in this image" in spec.message and "T11–L2" in spec.message
    assert spec.targets == []


@pytest.mark.parametrize("prompt", ["asdfgh", "what's for lunch", "segment the happiness"])
def test_nonsense_is_refused(engine, ct_evidence, prompt):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "rejected" and spec.targets == []


def test_bare_paired_noun_asks_back_when_both_sides_are_visible(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "kidney")
    assert spec.status == "clarify"
    assert set(spec.candidates) == {"kidney_left", "kidney_right"}
    assert spec.confidence < 0.6


def test_bare_paired_noun_takes_the_only_side_present(engine, ct_evidence):
    only_left = ct_evidence.model_copy(update={"present": {k: v for k, v in ct_evidence.present.items()
                                                           if k != "kidney_right"}})
    spec = ask(engine, only_left, "kidney")
    assert spec.status == "ok" and spec.targets == ["kidney_left"]


def test_without_presence_evidence_only_vocabulary_limits(engine, ontology):
    evidence = Evidence(vocabulary=ontology.vocabulary("total"))
    assert ask(engine, evidence, "brain").targets == ["brain"]


def test_trace_has_the_paper_shape(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "lt kidny")
    assert spec.trace.evidence["modality"] == "CT"
    assert "kidney_left" in spec.trace.evidence["present"]
    assert any("kidney_left" in line for line in spec.trace.rationale)
    assert spec.trace.answer["targets"] == ["kidney_left"]
    assert spec.confidence < ask(engine, ct_evidence, "left kidney").confidence  # a repair costs confidence


@pytest.mark.parametrize("prompt,targets", [
    # only the clause that asks counts; the rest is context
    ("SBRT pancreas: contour duodenum and stomach as OARs", ["duodenum", "stomach"]),
    ("pancreatic SBRT OARs: duodenum, stomach", ["duodenum", "stomach"]),
    ("Please segment the first lumbar vertebra; we are measuring bone density.", ["vertebrae_L1"]),
    # a part named inside its whole, and a bare noun that refers back
    ("the right lower lobe of the lung", ["lung_lower_lobe_right"]),
    ("upper lobe, left lung", ["lung_upper_lobe_left"]),
    ("IMPRESSION: Left 11th rib fracture. Segment the fractured rib.", ["rib_left_11"]),
    ("FINDINGS: Right 8th rib fracture. Segment R8.", ["rib_right_8"]),
    # numbers, ordinals, ranges and series ends
    ("vertebrae from the 11th thoracic to the 1st lumbar", ["vertebrae_T11", "vertebrae_T12", "vertebrae_L1"]),
    ("L1-3", ["vertebrae_L1", "vertebrae_L2"]),
    ("rib R9", ["rib_right_9"]),
    ("costa XII sinistra", ["rib_left_12"]),
    ("the lowest rib on the left", ["rib_left_12"]),
    # exclusions by side and number without a noun
    ("all right ribs except 11 and 12", ["rib_right_7", "rib_right_8", "rib_right_9", "rib_right_10"]),
    ("iliopsoas, not the right one", ["iliopsoas_left"]),
    # a side said once after a list applies to each bare noun
    ("psoas and erector spinae, both sides", ["iliopsoas_left", "iliopsoas_right", "autochthon_left",
                                               "autochthon_right"]),
    # descriptions: landmarks are not answers
    ("the big artery running down in front of the spine", ["aorta"]),
    # shorthand, procedure stems, glued words, real words that complete a term
    ("R adrenalectomy planning", ["adrenal_gland_right"]),
    ("portal v.", ["portal_vein_and_splenic_vein"]),
    ("segmentthepancreas", ["pancreas"]),
    ("inferior vena cave", ["inferior_vena_cava"]),
    ("colin", ["colon"]),
])
def test_harder_phrasings(engine, ct_evidence, prompt, targets):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok", f"{spec.status}: {spec.message} {spec.trace.rationale}"
    assert sorted(spec.targets) == sorted(targets), spec.trace.rationale


@pytest.mark.parametrize("prompt", ["rib eye steak recipe", "kidney beans recipe"])
def test_anatomy_words_in_off_topic_text_are_refused(engine, ct_evidence, prompt):
    assert ask(engine, ct_evidence, prompt).status == "rejected"


def test_real_words_are_not_forced_into_anatomy(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "gastric ca staging, stomach please")
    assert spec.targets == ["stomach"]
    assert not any("staging" in line and "->" in line for line in spec.trace.rationale)


def test_description_side_is_checked_against_the_image(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "the organ in the upper left belly that gets big with mono")
    assert spec.targets == ["spleen"], spec.trace.rationale  # the liver lies on the right in this image
