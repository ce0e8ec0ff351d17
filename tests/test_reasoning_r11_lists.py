"""Reasoning round 11, lists and corrections (issue 13): the labels of a lettered, Roman or numbered list name its
entries ("c) forget (a)"), an ordinal names an entry of a list of single structures ("forget the second"), a
correction marker said after the name it confirms ("pancreas I mean"), a step along a series said after a pause
with no level word ("T12 - one lower"), side headings and labelled sections. A list or correction that cannot be
resolved gets no mask. Phrasings are written for these tests (never copied from a suite), in several of the seven
languages, on the real CT's map, in-process with the shared engine."""

from __future__ import annotations

import pytest


def ask(engine, evidence, prompt):
    return engine.understand(prompt, evidence)


@pytest.mark.parametrize("prompt, expected", [
    ("a) left kidney\nb) right kidney\nc) skip (a)", ["kidney_right"]),
    ("A. spleen\nB. liver\nC. leave out B", ["spleen"]),
    ("(a) pancreas (b) stomach (c) drop (b)", ["pancreas"]),
    ("i) aorta\nii) IVC\niii) ignore i)", ["inferior_vena_cava"]),
    ("a) left kidney b) right kidney c) not b", ["kidney_left"]),
    ("a. gallbladder b. pancreas c. duodenum d. drop item b", ["duodenum", "gallbladder"]),
    ("1) liver and spleen 2) pancreas 3) drop 1)", ["pancreas"]),
    ("a) rein gauche\nb) rein droit\nc) oublie (a)", ["kidney_right"]),
    ("a) linke Niere\nb) rechte Niere\nc) (b) streichen", ["kidney_left"]),
    ("a) riñón izquierdo\nb) riñón derecho\nc) quita la b", ["kidney_left"]),
])
def test_a_list_label_names_its_entry(engine, ct_evidence, prompt, expected):
    """A label said again later stands for its whole entry; the entry it removes is never in the answer."""
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == expected, spec.trace.rationale


@pytest.mark.parametrize("prompt, expected", [
    ("a) liver b) spleen", ["liver", "spleen"]),
    ("segment a) the liver and b) the spleen", ["liver", "spleen"]),
    ("take a look at the liver", ["liver"]),
])
def test_labels_that_remove_nothing_change_nothing(engine, ct_evidence, prompt, expected):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == expected, spec.trace.rationale


@pytest.mark.parametrize("prompt", [
    "a) liver\nb) spleen\nc) remove d)",  # no such entry
    "a) liver\nb) spleen\nc) remove c)",  # the entry that says it names no structure
    "1. liver and spleen\n2. pancreas\n3. drop 1",  # the first line holds two structures: line or structure?
    "liver\nribs\nremove the second",  # the second entry, or the second rib?
    "the kidneys. remove the second",  # kidneys have no numbers
])
def test_an_entry_that_cannot_be_resolved_gets_no_mask(engine, ct_evidence, prompt):
    """Never the list as if the removal were unsaid, never a part of it."""
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status != "ok", (spec.targets, spec.trace.rationale)


@pytest.mark.parametrize("prompt, expected", [
    ("- liver\n- spleen\n- pancreas\n- forget the second", ["liver", "pancreas"]),
    ("liver, spleen, pancreas - skip the third", ["liver", "spleen"]),
    ("- Leber\n- Milz\n- Pankreas\n- das zweite streichen", ["liver", "pancreas"]),
    ("- foie\n- la rate\n- pancréas\n- oublie le deuxième", ["liver", "pancreas"]),
])
def test_an_ordinal_names_an_entry_of_a_list(engine, ct_evidence, prompt, expected):
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == expected, spec.trace.rationale


@pytest.mark.parametrize("prompt, expected", [
    ("stomach, sorry, pancreas I mean", ["pancreas"]),
    ("the liver, oh no, spleen I meant", ["spleen"]),
    ("gallbladder - duodenum, I meant", ["duodenum"]),
    ("estomac, pardon, le pancréas je voulais dire", ["pancreas"]),
    ("Magen, Entschuldigung, Pankreas meinte ich", ["pancreas"]),
    ("estómago, perdón, páncreas quería decir", ["pancreas"]),
    ("stomach I mean pancreas", ["pancreas"]),
])
def test_a_correction_marker_after_its_replacement(engine, ct_evidence, prompt, expected):
    """The marker confirms the name before it; the name said earlier is withdrawn, the confirmed one is kept."""
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and spec.targets == expected, spec.trace.rationale


@pytest.mark.parametrize("prompt, expected", [
    ("L1 - one above", ["vertebrae_T12"]),
    ("T12 - one lower", ["vertebrae_L1"]),
    ("L2 - go up one", ["vertebrae_L1"]),
    ("L1... the one above", ["vertebrae_T12"]),
    ("T12, sorry, one further down", ["vertebrae_L1"]),
    ("L1 - eins höher", ["vertebrae_T12"]),
])
def test_a_step_after_a_pause_replaces_the_member(engine, ct_evidence, prompt, expected):
    """A count and a direction said after a pause, with no level word, step along the series from the member
    said before; that member is never the answer."""
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and spec.targets == expected, spec.trace.rationale


def test_a_step_past_the_scan_gets_no_mask(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "L1 - two down")  # L3 is not in the scan
    assert spec.status != "ok" or "vertebrae_L1" not in spec.targets


@pytest.mark.parametrize("prompt, expected", [
    ("Left: kidney\nRight: kidney, erector spinae", ["autochthon_right", "kidney_left", "kidney_right"]),
    ("RIGHT SIDE\n- kidney\n- psoas\nLEFT SIDE\n- kidney", ["iliopsoas_right", "kidney_left", "kidney_right"]),
    ("rechts\n- Niere\n- Psoas\nlinks\n- Niere", ["iliopsoas_right", "kidney_left", "kidney_right"]),
    ("à droite\n- rein\nà gauche\n- rein\n- psoas", ["iliopsoas_left", "kidney_left", "kidney_right"]),
    ("left - kidney, psoas; right - kidney", ["iliopsoas_left", "kidney_left", "kidney_right"]),
    ("Links: Niere, Psoas\nRechts: Niere", ["iliopsoas_left", "kidney_left", "kidney_right"]),
    ("Gauche : rein\nDroite : rein, psoas", ["iliopsoas_right", "kidney_left", "kidney_right"]),
    ("Izquierda: riñón\nDerecha: riñón y psoas", ["iliopsoas_right", "kidney_left", "kidney_right"]),
    ("Include: liver, spleen, stomach\nExclude: spleen", ["liver", "stomach"]),
    ("Segmentieren: Leber, Milz\nNicht segmentieren: Milz", ["liver"]),
    ("Segmentar: hígado, bazo\nExcluir: bazo", ["liver"]),
])
def test_side_headings_and_sections(engine, ct_evidence, prompt, expected):
    """A side heading applies to every entry under it; an exclusion section removes its entries."""
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and sorted(spec.targets) == expected, spec.trace.rationale


@pytest.mark.parametrize("prompt, expected", [
    ("aorta, IVC - keep only IVC", ["inferior_vena_cava"]),
    ("- aorta\n- IVC\n- keep only the IVC", ["inferior_vena_cava"]),
    ("liver, spleen, pancreas. only the spleen please", ["spleen"]),
    ("a) aorta b) IVC c) keep only (b)", ["inferior_vena_cava"]),
    ("Leber und Milz. Nur die Milz", ["spleen"]),
    ("hígado y bazo - solo el hígado", ["liver"]),
    ("fegato e milza. soltanto la milza", ["spleen"]),
    ("liver and kidneys. only the left kidney", ["kidney_left"]),
    ("segment only the liver", ["liver"]),
])
def test_a_later_restriction_keeps_only_its_structures(engine, ct_evidence, prompt, expected):
    """"only X" said after a list keeps X; the other entries are withdrawn, never all given."""
    spec = ask(engine, ct_evidence, prompt)
    assert spec.status == "ok" and spec.targets == expected, spec.trace.rationale


def test_a_restriction_to_something_not_asked_gets_no_mask(engine, ct_evidence):
    spec = ask(engine, ct_evidence, "liver. only the spleen")  # a change, or an addition?
    assert spec.status != "ok", spec.targets
