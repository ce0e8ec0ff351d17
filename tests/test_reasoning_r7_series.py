"""Reasoning round 7 (issue 13), series operators and comparisons: an order word after an exclusion names what
is taken away ("drop the lowest"), a count word with an end word is a count ("the three lowest-numbered"), a
middle position removes the central member(s) of what was asked (or asks back when there is none), and a size
comparison over a pair named as one structure picks one (or asks), never both. Phrasings written for these
tests, in several languages; all in-process, on the real CT's and MR's maps."""

from __future__ import annotations

import pytest


def ask(engine, evidence, prompt):
    return engine.understand(prompt, evidence)


def shown(evidence, prefix):
    """The present members of a series, top first (the map's own order of names is not the body's)."""
    return [c for c in evidence.present if c.startswith(prefix)]


@pytest.mark.parametrize("prompt, removed", [
    ("vertebrae in the scan, drop the bottom one", "last"),
    ("the vertebrae present except the lowest", "last"),
    ("all vertebrae visible, leave out the topmost", "first"),
    ("die Wirbel im Bild ohne den untersten", "last"),
])
def test_an_end_word_after_an_exclusion_names_what_is_removed(engine, ct_evidence, prompt, removed):
    spec = ask(engine, ct_evidence, prompt)
    vertebrae = sorted(shown(ct_evidence, "vertebrae_"), key=lambda c: engine.ontology[c].order)
    gone = vertebrae[-1] if removed == "last" else vertebrae[0]
    assert spec.status == "ok", spec.trace.rationale
    assert sorted(spec.targets) == sorted(c for c in vertebrae if c != gone), spec.trace.rationale


@pytest.mark.parametrize("prompt, count", [
    ("the three lowest-numbered left ribs present", 3),
    ("the two vertebrae from the bottom present", 2),
    ("die drei obersten linken Rippen im Bild", 3),
])
def test_a_count_word_with_an_end_word_is_a_count_not_an_ordinal(engine, ct_evidence, prompt, count):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and len(spec.targets) == count, spec.trace.rationale


@pytest.mark.parametrize("prompt, expected", [
    ("T12, L1, L2 minus the middle one", ["vertebrae_T12", "vertebrae_L2"]),
    ("T11 T12 L1 except the central one", ["vertebrae_T11", "vertebrae_L1"]),
    ("T12, L1 und L2 ohne den mittleren", ["vertebrae_T12", "vertebrae_L2"]),
    ("T12, L1, L2 sans celle du milieu", ["vertebrae_T12", "vertebrae_L2"]),
    ("left ribs 7 to 12 without the middle two", ["rib_left_7", "rib_left_8", "rib_left_11", "rib_left_12"]),
    ("liver, spleen and stomach, leave out the middle one", ["liver", "stomach"]),
])
def test_the_middle_of_what_was_asked_is_removed(engine, ct_evidence, prompt, expected):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == sorted(expected), spec.trace.rationale
    assert spec.confidence < 0.9  # a position in what was said: below the sure band


@pytest.mark.parametrize("prompt", [
    "T11, T12, L1, L2 minus the middle one",  # four with one taken away: no single middle
    "T12, L1, L2: the middle one",  # a middle word not after an exclusion: asked, never all three
])
def test_a_middle_that_cannot_be_told_is_a_question(engine, ct_evidence, prompt):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status != "ok" and not spec.targets, spec.trace.rationale


def test_middle_inside_a_name_is_still_the_name(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "the right middle lobe")
    assert "lung_middle_lobe_right" in spec.candidates + spec.targets or spec.status == "rejected"
    assert not any(line.startswith("middle:") for line in spec.trace.rationale)


@pytest.mark.parametrize("prompt, measure", [
    ("die größere der beiden Nieren", 1),
    ("die kleinere der zwei Nieren", -1),
    ("el mayor de los dos riñones", 1),
    ("o menor dos dois rins", -1),
])
def test_a_size_comparison_over_a_pair_picks_one(engine, ct_evidence, prompt, measure):
    spec = ask(engine, ct_evidence, prompt)
    volumes = {c: ct_evidence.present[c].volume_ml for c in ("kidney_left", "kidney_right")}
    chosen = max(volumes, key=lambda c: measure * volumes[c])
    assert spec.status == "ok" and spec.targets == [chosen], spec.trace.rationale


@pytest.mark.parametrize("prompt, measure", [
    ("the bigger erector spinae", 1),
    ("the smaller erector spinae muscle", -1),
    ("der größere Rückenstrecker", 1),
])
def test_a_pair_named_as_one_structure_is_compared_never_both(engine, mr_evidence, prompt, measure):
    spec = ask(engine, mr_evidence, prompt)
    volumes = {c: mr_evidence.present[c].volume_ml for c in ("autochthon_left", "autochthon_right")}
    assert len(spec.targets) <= 1, spec.trace.rationale
    if spec.status == "ok":
        assert spec.targets == [max(volumes, key=lambda c: measure * volumes[c])]


@pytest.mark.parametrize("prompt", ["the bigger lung", "die größere Lunge"])
def test_a_comparison_over_groups_of_parts_asks(engine, ct_evidence, prompt):
    """'the bigger lung': each lung is its lobes; a lobe's volume would pick a lobe, never a lung."""
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status != "ok" and not spec.targets, spec.trace.rationale
