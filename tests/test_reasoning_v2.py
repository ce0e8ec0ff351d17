"""Reasoning v2: discourse roles, languages, references, relations and order read from the image, skill safety.

Written from the kinds in issue 7, not from benchmark rows. The image-grounded cases use the sample CT's evidence,
and are checked again on the same map in LPS, which must give the same answers.
"""

import pytest

from lib.reasoning.engine import LearnedTrigger
from lib.reasoning.languages import load_languages
from lib.reasoning.normalize import tokenize
from lib.ontology import load_language


def ask(engine, evidence, prompt):
    return engine.understand(prompt, evidence)


# --- 1. safety: negated and withdrawn mentions are never targets ---------------------------------------------------

@pytest.mark.parametrize("prompt", ["no liver", "do not segment the liver", "Please don't contour the spleen.",
                                    "everything except the liver", "neither the liver nor the spleen",
                                    "the spleen, scratch that", "skip the pancreas"])
def test_only_negated_mentions_give_no_mask(engine, ct_evidence, prompt):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status in ("rejected", "clarify") and spec.targets == [], spec.trace.rationale
    assert spec.trace.answer["targets"] == []


@pytest.mark.parametrize("prompt,targets", [
    ("the spleen - sorry, I meant the pancreas", ["pancreas"]),
    ("Not the gallbladder; the liver", ["liver"]),
    ("not the liver but the spleen", ["spleen"]),
    ("segment the pancreas instead of the spleen", ["pancreas"]),
    ("instead of the spleen, segment the pancreas", ["pancreas"]),
    ("the liver, actually no, the stomach", ["stomach"]),
    ("spleen, no wait, pancreas, sorry I mean liver", ["liver"]),  # the last correction wins
    ("both kidneys - actually just the left one", ["kidney_left"]),
    ("not the left kidney, the right one", ["kidney_right"]),
    ("do not segment the spleen, only the liver", ["liver"]),
    ("don't forget the spleen", ["spleen"]),
    ("liver and spleen, actually also the pancreas", ["liver", "spleen", "pancreas"]),  # additive, not a correction
    # exclusions keep working
    ("the kidneys but not the left one", ["kidney_right"]),
    ("kidneys, no left", ["kidney_right"]),
    ("Segment both kidneys. Do not include the left kidney.", ["kidney_right"]),
])
def test_corrections_and_negations(engine, ct_evidence, prompt, targets):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok", (spec.message, spec.trace.rationale)
    assert sorted(spec.targets) == sorted(targets), spec.trace.rationale


def test_a_denied_finding_is_not_an_exclusion(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "IMPRESSION: Cholelithiasis without cholecystitis. Segment: gallbladder")
    assert spec.targets == ["gallbladder"], spec.trace.rationale


def test_a_refusal_carries_no_targets_anywhere(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "segment the brain")
    assert spec.status == "rejected" and spec.targets == [] and spec.exclude == []
    assert spec.trace.answer["status"] == "rejected" and spec.trace.answer["targets"] == []


def test_learned_skill_never_crosses_sides(ontology, encoder, embed_cache_dir):
    from lib.reasoning.engine import ReasoningEngine

    engine = ReasoningEngine(ontology, encoder=encoder, cache_dir=embed_cache_dir)
    engine.set_learned([LearnedTrigger(phrase="lkid", concept="kidney_left", skill_id="s1")])
    from lib.records import Evidence

    evidence = Evidence(vocabulary=ontology.vocabulary("total"))
    assert engine.understand("lkid", evidence).targets == ["kidney_left"]
    for prompt in ("rkid", "pls do rkid", "rkid for volumetry", "right lkid"):
        spec = engine.understand(prompt, evidence)
        assert "kidney_left" not in spec.targets, (prompt, spec.trace.rationale)


def test_repair_never_swaps_a_side_letter(engine):
    engine.set_learned([LearnedTrigger(phrase="lkid", concept="kidney_left", skill_id="s1")])
    try:
        assert "lkid" not in engine.normalizer.normalize("rkid").tokens
    finally:
        engine.set_learned([])


def test_a_description_that_fits_a_group_asks_back(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "the big blood vessel in the belly")
    assert spec.status == "clarify" and spec.targets == []


def test_the_trace_has_a_confidence_ledger(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "lt kidny")
    assert spec.trace.ledger and all(isinstance(reason, str) and change < 0 for reason, change in spec.trace.ledger)


# --- 2. languages ----------------------------------------------------------------------------------------------------

def test_one_data_file_per_language():
    assert {"en", "de", "fr", "es", "it", "pt", "nl"} <= set(load_languages())


def test_no_word_is_a_side_in_one_language_and_something_else_in_another():
    languages = load_languages()
    base = load_language()
    sides: dict[str, str] = {}
    for data in [base, *languages.values()]:
        for side, words in data["side_words"].items():
            if side not in ("left", "right"):
                continue  # "both" is a quantity as much as a side
            for word in words:
                key = " ".join(tokenize(word))
                assert sides.setdefault(key, side) == side, f"{word!r} is both {sides[key]} and {side}"
    others: dict[str, str] = {}
    for code, data in [("base", base), *languages.items()]:
        tables = {k: v for k, v in data.items() if k not in ("side_words", "side_phrases")}
        tables.update(data.get("function_words", {}))
        for key, value in tables.items():
            if key in ("_why", "code", "name", "function_words", "abbreviations", "elisions", "side_phrases",
                       "intensifying_sides"):
                continue  # side phrases are side words (a language file may add them under function_words); the
                # side words that may only intensify a relation ("right on top of") name side words on purpose
            words = value.keys() if isinstance(value, dict) else value if isinstance(value, list) else []
            if key in ("names", "singular"):
                words = [w for phrases in value.values() for w in phrases]
            for word in words:
                others.setdefault(" ".join(tokenize(str(word))), f"{code}:{key}")
    clashes = {w: (sides[w], others[w]) for w in sides if w in others}
    assert not clashes, clashes


@pytest.mark.parametrize("prompt,targets", [
    ("die Leber", ["liver"]), ("la vésicule biliaire", ["gallbladder"]), ("el bazo", ["spleen"]),
    ("la milza", ["spleen"]), ("o fígado", ["liver"]), ("de milt", ["spleen"]), ("linke Niere", ["kidney_left"]),
    ("le rein droit", ["kidney_right"]), ("los riñones sin el izquierdo", ["kidney_right"]),
    ("l'estomac", ["stomach"]), ("kidneys sin the left one", ["kidney_right"]),
])
def test_other_languages(engine, ct_evidence, prompt, targets):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(targets), spec.trace.rationale


@pytest.mark.parametrize("prompt", ["печень", "肝臓", "ήπαρ"])
def test_an_unsupported_script_is_refused_by_name(engine, ct_evidence, prompt):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "rejected" and "German" in spec.message and "script" in spec.message


def test_tokenizer_keeps_letters_of_any_script():
    assert tokenize("печень") == ["печень"]


# --- 3. context and reference ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("prompt,targets", [
    ("hepatomegaly", ["liver"]),
    ("splenomegaly, please segment", ["spleen"]),
    ("Left renal mass. Segment the ipsilateral adrenal.", ["adrenal_gland_left"]),
    ("Left renal mass. Segment the contralateral kidney.", ["kidney_right"]),
    ("Lesion in the right kidney. Segment the affected organ.", ["kidney_right"]),
    ("IMPRESSION: Left 11th rib fracture. Segment the fractured rib.", ["rib_left_11"]),
    # a structure picked out by the finding said of it
    ("Right renal cyst. Contour the kidney containing the cyst.", ["kidney_right"]),
    ("Small left adrenal nodule; segment the gland with the nodule", ["adrenal_gland_left"]),
])
def test_references_resolve_to_antecedents(engine, ct_evidence, prompt, targets):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(targets), spec.trace.rationale


# --- 4. relations and order, from the image ---------------------------------------------------------------------------

RELATIONS = [
    ("the vertebra one level above L2", ["vertebrae_L1"]),
    ("two levels below T11", ["vertebrae_L1"]),
    ("the rib under the left eighth", ["rib_left_9"]),
    ("the rib two below the right 7th", ["rib_right_9"]),
    ("the vertebra between T12 and L2", ["vertebrae_L1"]),
    ("the little gland sitting on top of the right kidney", ["adrenal_gland_right"]),
    ("the topmost lumbar vertebra shown", ["vertebrae_L1"]),
    ("the third rib from the bottom on the left", ["rib_left_10"]),
    ("the penultimate rib on the right", ["rib_right_11"]),
    ("the lumbar vertebrae numbered 2 or higher", ["vertebrae_L2"]),
    ("the last two ribs on the left", ["rib_left_11", "rib_left_12"]),
    ("the top two vertebrae in the image", ["vertebrae_T11", "vertebrae_T12"]),
    # counted within each side; the side said as "on the right side of this scan"
    ("the lowest two ribs on both sides", ["rib_left_11", "rib_left_12", "rib_right_11", "rib_right_12"]),
    ("the lowest rib on the left side of this image", ["rib_left_12"]),
]


@pytest.mark.parametrize("prompt", ["the topmost rib shown", "the penultimate rib"])
def test_an_order_without_a_side_asks_which_side_with_both_answers(engine, ct_evidence, prompt):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "clarify" and spec.targets == [] and len(spec.candidates) == 2, spec.trace.rationale
    assert {engine.ontology[c].laterality for c in spec.candidates} == {"left", "right"}


@pytest.mark.parametrize("prompt,wrong", [("the lobe resting on top of the liver", "gallbladder")])
def test_a_landmark_word_alone_never_names_the_target(engine, ct_evidence, prompt, wrong):
    spec = ask(engine, ct_evidence, prompt)
    assert wrong not in spec.targets, spec.trace.rationale


def test_a_question_offers_only_what_the_backbone_can_segment(engine, ct_evidence, ontology):
    from lib.validation import validate_spec

    spec = ask(engine, ct_evidence, "! portal")
    if spec.status == "clarify":
        assert len(spec.candidates) >= 2
        assert all(ontology.leaves(c, set(ct_evidence.vocabulary)) for c in spec.candidates), spec.candidates
    assert validate_spec(spec, ontology, ct_evidence.vocabulary).status == spec.status


@pytest.mark.parametrize("prompt,targets", RELATIONS)
def test_relations_and_order(engine, ct_evidence, prompt, targets):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(targets), spec.trace.rationale


def test_a_level_outside_the_image_is_refused(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "four levels above L1")
    assert spec.status == "rejected" and "T9" in spec.message.replace("vertebra ", "").upper() or spec.targets == []


def test_the_trace_cites_the_numbers_that_decided(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "the vein behind the pancreas")
    assert any("mm" in line for line in spec.trace.rationale), spec.trace.rationale


@pytest.fixture(scope="module")
def lps_evidence(engine, ontology, ct_path, ct_map_path, tmp_path_factory):
    """The sample CT and its map, rewritten in LPS order, through the same pipeline."""
    from helpers import reorient
    from lib.backbones.labelmap import LabelmapBackbone
    from lib.pipeline import SeerPipeline
    from lib.volume import read_volume

    folder = tmp_path_factory.mktemp("lps")
    volume = read_volume(str(reorient(ct_path, folder / "ct.nii.gz", "LPS")))
    volume.everything_path = str(reorient(ct_map_path, folder / "map.nii.gz", "LPS"))
    return SeerPipeline(engine, LabelmapBackbone(ontology, "total")).evidence_for(volume)


@pytest.mark.parametrize("prompt,targets", RELATIONS + [("the vein behind the pancreas", None)])
def test_relations_agree_in_any_orientation(engine, ct_evidence, lps_evidence, prompt, targets):
    ras, lps = ask(engine, ct_evidence, prompt), ask(engine, lps_evidence, prompt)
    assert (ras.status, sorted(ras.targets)) == (lps.status, sorted(lps.targets)), (ras.trace.rationale,
                                                                                    lps.trace.rationale)


def test_relations_evidence_has_extents_and_contacts(ct_evidence):
    kidney = ct_evidence.present["kidney_left"]
    assert kidney.extent_ras_mm is not None and kidney.extent_ras_mm[0] < kidney.centroid_ras_mm[0] < kidney.extent_ras_mm[3]
    assert ct_evidence.present["gallbladder"].touches and "liver" in ct_evidence.present["gallbladder"].touches


# --- Reasoning v2, second pass: comparisons, landmarks read from context, slivers, safety margins ---------------

COMPARISONS_AND_LANDMARKS = [
    ("the higher kidney", ["kidney_left"]),  # centroid z 122 vs 118 mm, upper poles 160 vs 148 mm
    ("the most anterior of the left lung lobes", ["lung_upper_lobe_left"]),
    ("the largest solid organ", ["liver"]),
    ("the adrenal nearer to the liver", ["adrenal_gland_right"]),
    ("the back muscle on the spleen's side", ["autochthon_left"]),
    ("the psoas on the opposite side to the liver", ["iliopsoas_left"]),
    ("L2 fracture. Segment the vertebra above the fracture.", ["vertebrae_L1"]),
    ("T12 collapse; segment the vertebra below it", ["vertebrae_L1"]),
    ("hepatosplenomegaly: outline both organs", ["liver", "spleen"]),
    ("Right kidney: cyst. Left kidney normal. Segment the normal one.", ["kidney_left"]),
    ("the kidney the spleen sits against", ["kidney_left"]),  # the landmark said first: read the other way
]


@pytest.mark.parametrize("prompt,targets", COMPARISONS_AND_LANDMARKS)
def test_comparisons_and_landmarks_from_context(engine, ct_evidence, prompt, targets):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(targets), spec.trace.rationale


@pytest.mark.parametrize("prompt", ["the larger of the left 9th rib and the left 10th rib",  # 5.75 vs 5.67 ml
                                    "the intestine",  # one of several bowel segments, which?
                                    "the organ next to the spleen"])  # several organs touch it
def test_a_reading_without_a_clear_margin_asks_back(engine, ct_evidence, prompt):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "clarify" and not spec.targets and len(spec.candidates) >= 2, spec.trace.rationale


def test_a_sliver_at_the_edge_of_the_field_of_view_counts_as_absent(engine, mr_evidence):
    """The sample MR's map holds 0.16 ml of right lung in its top slice: not something one can segment."""
    assert "lung_right" not in mr_evidence.present
    assert ask(engine, mr_evidence, "segment the right lung").status == "rejected"


@pytest.mark.parametrize("prompt", ["the vertebra behind the aorta", "L2", "the vertebra above the left kidney",
                                    "the lowest vertebra"])
def test_a_level_on_a_map_without_levels_never_returns_the_whole_spine(engine, mr_evidence, prompt):
    spec = ask(engine, mr_evidence, prompt)
    assert spec.status in ("rejected", "clarify") and not spec.targets, spec.trace.rationale


def test_discs_between_the_vertebrae_on_mr(engine, mr_evidence):
    spec = ask(engine, mr_evidence, "the soft cushions between the vertebrae")
    assert spec.status == "ok" and spec.targets == ["intervertebral_discs"], spec.trace.rationale
