"""The ontology data file agrees with the vocabularies and codes it was built from."""

import csv
import json

import pytest

from lib.ontology import Ontology, OntologyError


def test_ids_unique_and_members_exist(ontology):
    ids = list(ontology.concepts)
    assert len(ids) == len(set(ids))
    for concept in ontology.concepts.values():
        for member in concept.members:
            assert member in ontology, f"{concept.id} lists unknown member {member}"


@pytest.mark.parametrize("task,vocab", [("total", "totalseg"), ("total_mr", "totalseg_mr")])
def test_every_totalsegmentator_index_resolves(ontology, maps_dir, task, vocab):
    class_map = json.loads((maps_dir / "totalsegmentator_v2_class_map.json").read_text())[task]
    ours = ontology.label_map(vocab)
    assert len(ours) == len(class_map)
    for index, class_name in class_map.items():
        assert ours[int(index)] == class_name, f"{task} {index}: {ours.get(int(index))} != {class_name}"


def test_every_vista3d_label_resolves(ontology, maps_dir):
    labels = json.loads((maps_dir / "vista3d_labels.json").read_text())
    ours = ontology.label_map("vista3d")
    assert sorted(ours) == sorted(labels.values())
    assert ours[labels["left kidney"]] == "kidney_left"
    assert ours[labels["vertebrae T12"]] == "vertebrae_T12"


def test_snomed_codes_come_from_the_mapping(ontology, maps_dir):
    with open(maps_dir / "totalsegmentator_snomed_mapping.csv", newline="") as f:
        rows = {row["Structure"]: row for row in csv.DictReader(f)}
    checked = 0
    for concept in ontology.concepts.values():
        row = rows.get(concept.id)
        if row is None:
            assert concept.snomed_type is None, f"{concept.id} has a SNOMED code with no source row"
            continue
        assert concept.snomed_type.value == row["SegmentedPropertyTypeCodeSequence.CodeValue"]
        assert concept.snomed_category.value == row["SegmentedPropertyCategoryCodeSequence.CodeValue"]
        checked += 1
    assert checked >= 100


def test_lexicon_terms_are_unambiguous(ontology):
    owner = {}
    for concept in ontology.concepts.values():
        for term in (*concept.lexicon, *concept.singular):
            assert owner.setdefault(term, concept.id) == concept.id, f"{term!r}: {owner[term]} and {concept.id}"


def test_pairs_are_symmetric(ontology):
    for concept in ontology.concepts.values():
        if concept.pair:
            other = ontology[concept.pair]
            assert other.pair == concept.id
            assert {concept.laterality, other.laterality} in ({"left", "right"}, {None})


def test_group_expansion_follows_the_vocabulary(ontology):
    total = set(ontology.vocabulary("total"))
    total_mr = set(ontology.vocabulary("total_mr"))
    assert ontology.leaves("lung_left", total) == ["lung_upper_lobe_left", "lung_lower_lobe_left"]
    assert ontology.leaves("lung_left", total_mr) == ["lung_left"]
    assert len(ontology.leaves("ribs", total)) == 24


def test_inconsistent_file_is_refused():
    raw = {"version": 1, "vocabularies": {"totalseg": ""}, "regions": ["abdomen"],
           "concepts": [{"id": "a", "kind": "group", "name": "a", "region": "abdomen", "description": "",
                         "members": ["missing"]}]}
    with pytest.raises(OntologyError, match="missing"):
        Ontology(raw)
