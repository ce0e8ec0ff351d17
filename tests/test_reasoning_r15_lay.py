"""Reasoning round 15, lay words: a size word on a group's lay name, descriptions of several clauses, and words
spelt by ear or texted. Phrasings written for this test, in several languages; all in-process on the real maps
with the one session engine."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("prompt, target", [
    ("the little guts", "small_bowel"),
    ("segment the tiny intestines please", "small_bowel"),
    ("the big guts", "colon"),
    ("petit intestin", "small_bowel"),
    ("le gros intestin", "colon"),
    ("der kleine Darm", "small_bowel"),
    ("die großen Därme", "colon"),
    ("intestino pequeño", "small_bowel"),
    ("l'intestino piccolo", "small_bowel"),
    ("het kleine darm", "small_bowel"),
    ("i want the little bowels", "small_bowel"),
    ("huge guts", "colon"),
    ("gros intestin et foie", "colon"),
    ("sml bwl", "small_bowel"),  # texted without vowels: "small" has one "l" in a skeleton
])
def test_a_size_word_on_a_group_name_picks_the_member_that_size_names(engine, ct_evidence, prompt, target):
    """The size word was dropped and the whole bowel came back (0.85, or 0.97 for "intestino pequeño")."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets[:1] == [target], (spec.targets, spec.trace.rationale)
    assert len(spec.targets) == 1 + ("foie" in prompt) and (spec.confidence < 0.9 or prompt == "sml bwl")


@pytest.mark.parametrize("prompt, target", [
    ("the small bowel", "small_bowel"),
    ("the large intestine", "colon"),
    ("Dünndarm", "small_bowel"),
    ("intestino grueso", "colon"),
])
def test_names_that_carry_a_size_are_unchanged(engine, ct_evidence, prompt, target):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and spec.targets == [target] and spec.confidence >= 0.9, spec.trace.rationale


@pytest.mark.parametrize("prompt", ["the small kidney", "the big lung"])
def test_a_size_word_on_a_pair_still_asks(engine, ct_evidence, prompt):
    """No member of a pair is named by a size: the size picks nothing and the side is asked."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "clarify" and spec.targets == [], (spec.targets, spec.trace.rationale)


def test_a_size_word_inside_a_description_of_something_else(engine, ct_evidence):
    spec = engine.understand("the little cap on top of the left kidney", ct_evidence)
    assert spec.status == "ok" and spec.targets == ["adrenal_gland_left"], spec.trace.rationale


@pytest.mark.parametrize("prompt", [
    "the gland that makes insulin and stores bile",
    "the organ that stores bile and makes urine",
])
def test_clauses_that_describe_different_structures_ask(engine, ct_evidence, prompt):
    """Each clause was read as its own target: pancreas and gallbladder came back together (0.7)."""
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "clarify" and spec.targets == [], (spec.targets, spec.trace.rationale)
    assert len(spec.candidates) >= 2


@pytest.mark.parametrize("prompt, targets", [
    ("the thing that filters blood and makes urine, on the right side", ["kidney_right"]),
    ("the organ that makes urine, the one on the left", ["kidney_left"]),
    ("the gland that makes insulin and the organ that stores bile", ["pancreas", "gallbladder"]),
])
def test_clauses_that_agree_or_two_descriptions_still_answer(engine, ct_evidence, prompt, targets):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(targets), (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt, target", [
    ("segment the stomak", "stomach"),  # "ch" sounds "k"
    ("stomack plz", "stomach"),
    ("the spleen and the stomac", "stomach"),
    ("gllbldr", "gallbladder"),  # texted, one letter of each double
])
def test_words_spelt_by_ear(engine, ct_evidence, prompt, target):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok" and target in spec.targets, (spec.targets, spec.trace.rationale)


def test_a_finding_spelt_by_ear_is_read_as_the_finding(engine):
    text = engine.normalizer.normalize("the livr with sirosis")
    assert text.tokens[-1] == "cirrhosis" and "liver" in text.tokens


@pytest.mark.parametrize("prompt", ["the fat peripancreatic", "peripancreatic fat"])
def test_a_word_around_an_organ_is_not_the_organ(engine, ct_evidence, prompt):
    spec = engine.understand(prompt, ct_evidence)
    """"peri-" + the organ's adjective is around the organ: never the organ itself (today a refusal)."""
    assert "pancreas" not in spec.targets, spec.trace.rationale


@pytest.mark.parametrize("prompt", ["the peri-pancreatic fat", "peri pancreatic fat"])
def test_a_place_prefix_written_apart_is_not_the_organ(engine, ct_evidence, prompt):
    """"peri" apart from "pancreatic" was dropped and the pancreas came back (0.85)."""
    spec = engine.understand(prompt, ct_evidence)
    assert "pancreas" not in spec.targets, spec.trace.rationale


@pytest.mark.parametrize("prompt, target", [
    ("para vertebral muscles", "autochthons"),
    ("supra renal gland left", "adrenal_gland_left"),
    ("para el higado", "liver"),  # Spanish "para" ("for") before an article is no prefix
])
def test_a_prefix_joined_to_a_known_word_still_reads(engine, ct_evidence, prompt, target):
    spec = engine.understand(prompt, ct_evidence)
    assert spec.status == "ok", spec.trace.rationale
    assert target in spec.targets or all(t.startswith("autochthon") for t in spec.targets), spec.targets
