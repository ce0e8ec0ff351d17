"""Reasoning round 7 (issue 13), relations and report context: a vessel placed beside another by side is the one
squarely beside it at its level (not one a little nearer that lies in front of it or spans it from side to side),
in several languages; a structure said to be normal is never "the affected organ"; a finding that names its organ
(from the `finding_sites` data of the language files) is the report's site; an unpaired organ said to lie on the
side it does not lie on is asked back. Phrasings written for these tests. All in-process, on the real CT and MR
maps (the session fixtures of conftest)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["ct", "mr"])
def evidence(request, ct_evidence, mr_evidence):
    return ct_evidence if request.param == "ct" else mr_evidence


@pytest.mark.parametrize("prompt, expected", [
    ("the vein lying right of the aorta", "inferior_vena_cava"),
    ("segment the vessel just to the right of the aorta", "inferior_vena_cava"),
    ("la veine à droite de l'aorte", "inferior_vena_cava"),
    ("el vaso a la derecha de la aorta", "inferior_vena_cava"),
    ("the large vessel left of the ivc", "aorta"),
    ("la arteria a la izquierda de la vena cava inferior", "aorta"),
])
def test_a_vessel_beside_another_is_the_one_squarely_beside_it(engine, evidence, prompt, expected):
    """The portal-splenic confluence lies about as near as the IVC, but in front of the aorta and across it from
    side to side: it is no rival for "to the right of"."""
    spec = engine.understand(prompt, evidence)
    assert spec.status == "ok" and spec.targets == [expected], spec.trace.rationale
    assert spec.confidence < 0.9


@pytest.mark.parametrize("prompt", [
    "Pancreas normal. Please segment the affected organ.",
    "MRI: several stones in the common duct, pancreas unremarkable. Segment the affected organ.",
])
def test_an_organ_said_to_be_normal_is_never_the_affected_one(engine, evidence, prompt):
    spec = engine.understand(prompt, evidence)
    assert spec.status != "ok" and not spec.targets, spec.trace.rationale


@pytest.mark.parametrize("prompt, expected", [
    ("US: multiple gallstones, pancreas normal. Segment the affected organ.", "gallbladder"),
    ("Sonography: cholecystolithiasis, liver normal. Outline the stone-containing organ.", "gallbladder"),
    ("Befund: Gallensteine, Pankreas unauffällig. Bitte das betroffene Organ segmentieren.", "gallbladder"),
    ("Findings: gastritis; spleen normal. Contour the affected organ.", "stomach"),
    ("CT: acute pancreatitis, liver unremarkable. Please segment the inflamed organ.", "pancreas"),
])
def test_a_finding_that_names_its_organ_is_the_reports_site(engine, evidence, prompt, expected):
    spec = engine.understand(prompt, evidence)
    assert spec.status == "ok" and spec.targets == [expected], spec.trace.rationale
    assert spec.confidence < 0.9


@pytest.mark.parametrize("prompt", ["the right-sided stomach", "right sided stomach pls", "el estómago derecho",
                                    "the left-sided liver"])
def test_an_unpaired_organ_on_the_wrong_side_is_asked_back(engine, evidence, prompt):
    spec = engine.understand(prompt, evidence)
    assert spec.status == "clarify" and not spec.targets, spec.trace.rationale


def test_finding_sites_name_concepts_of_the_ontology(engine):
    """Every finding site in every language file is a concept id (a typo would silently read nothing)."""
    from lib.reasoning.languages import load_languages

    for code, language in load_languages().items():
        for finding, site in language.get("function_words", {}).get("finding_sites", {}).items():
            if not finding.startswith("_"):
                assert site in engine.ontology.concepts, (code, finding, site)
