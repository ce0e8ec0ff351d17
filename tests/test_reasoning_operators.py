"""Property tests: every relation, comparison and series operator, run against random sets of present structures
taken from the real maps (the shared CT and MR), never raises and answers only with what was offered to it; and a
part of the reasoning that raises never fails the request."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

OPERATORS = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def maps(engine, ontology, ct_evidence, mr_path, mr_map_path):
    from lib.backbones.labelmap import LabelmapBackbone
    from lib.pipeline import SeerPipeline
    from lib.volume import read_volume

    volume = read_volume(str(mr_path))
    volume.everything_path = str(mr_map_path)
    mr = SeerPipeline(engine, LabelmapBackbone(ontology, "total_mr")).evidence_for(volume)
    return {"ct": ct_evidence, "mr": mr}


def _subset(evidence, keep: list[str]):
    """The same image as if its map held only `keep`."""
    return evidence.model_copy(update={"present": {c: evidence.present[c] for c in keep}})


def _relations(engine) -> list[str]:
    return sorted(set(engine.words.relations.values()) | {"between", "same_side", "opposite_side", "contact",
                                                          "around", "medial", "lateral"})


def _measures(engine) -> list[dict]:
    return [dict(m) for m in {tuple(sorted(v.items())) for v in engine.words.comparatives.values()}
            for m in [dict(m)]]


@st.composite
def present_sets(draw, evidence_by_name):
    name = draw(st.sampled_from(sorted(evidence_by_name)))
    evidence = evidence_by_name[name]
    ids = sorted(evidence.present)
    keep = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=min(12, len(ids)), unique=True))
    return evidence, keep


@OPERATORS
@given(data=st.data())
def test_every_relation_on_random_present_sets(engine, ontology, maps, data):
    from lib.reasoning import readers

    evidence, keep = data.draw(present_sets(maps))
    relation = data.draw(st.sampled_from(_relations(engine)))
    landmarks = data.draw(st.lists(st.sampled_from(keep), min_size=1, max_size=2, unique=True))
    pool = [c for c in keep if c not in landmarks]
    finding = readers.spatial(relation, landmarks, pool, _subset(evidence, keep), ontology)
    assert set(finding.ids) <= set(pool) and set(finding.question) <= set(pool), (relation, landmarks, finding)
    assert not (finding.ids and finding.question)


@OPERATORS
@given(data=st.data())
def test_every_comparison_on_random_present_sets(engine, ontology, maps, data):
    from lib.reasoning import readers

    evidence, keep = data.draw(present_sets(maps))
    measure = data.draw(st.sampled_from(_measures(engine)))
    landmark = data.draw(st.sampled_from(keep)) if measure["measure"] == "distance" else None
    rank, count = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    finding = readers.compare(keep, measure, rank, count, _subset(evidence, keep), data.draw(st.booleans()),
                              None, landmark)
    assert set(finding.ids) <= set(keep) and set(finding.question) <= set(keep)
    assert landmark not in finding.ids
    assert len(finding.ids) in (0, count)


@OPERATORS
@given(data=st.data())
def test_every_series_operator_on_random_present_sets(engine, ontology, maps, data):
    from lib.reasoning import readers

    evidence, keep = data.draw(present_sets(maps))
    sub = _subset(evidence, keep)
    vocabulary = set(evidence.vocabulary)
    members = [ontology[c] for c in ontology.concepts if ontology[c].series and not ontology[c].members
               and c in vocabulary]
    if not members:
        return
    landmark = data.draw(st.sampled_from(members))
    other = data.draw(st.sampled_from(members))
    relation = data.draw(st.sampled_from(["superior", "inferior"]))
    step = readers.series_step(landmark.id, relation, data.draw(st.integers(1, 4)), ontology, sub, engine.words,
                               vocabulary)
    assert step is None or all(ontology[c].series == landmark.series for c in step.ids)
    between = readers.series_between(landmark.id, other.id, ontology, vocabulary)
    assert between is None or all(ontology[c].series == landmark.series for c in between.ids)
    pool = [c for c in members if c.series == landmark.series]
    end = data.draw(st.sampled_from(["first", "last", None]))
    threshold = data.draw(st.one_of(st.none(), st.tuples(st.sampled_from(["ge", "le", "gt", "lt"]),
                                                         st.integers(0, 13))))
    ids, why = readers.pick_ordinal(pool, sub, end, data.draw(st.integers(0, 5)), threshold, data.draw(st.booleans()))
    assert set(ids) <= {c.id for c in pool} and isinstance(why, str)


def test_between_two_landmarks_is_answered(engine, ontology, ct_evidence):
    """The crash of issue 13: "between" with two landmarks reached a line only the one-landmark branch prepared."""
    from lib.reasoning import readers

    pool = [c for c in ct_evidence.present if c not in ("liver", "spleen")]
    finding = readers.spatial("between", ["liver", "spleen"], pool, ct_evidence, ontology)
    assert finding.ids or finding.question
    spec = engine.understand("the organ between the liver and the spleen", ct_evidence)
    assert spec.status in ("ok", "clarify", "rejected")
    assert not any("failed" in line for line in spec.trace.rationale), spec.trace.rationale


def test_a_part_that_raises_never_fails_the_request(engine, ct_evidence, monkeypatch, caplog):
    """A bug in one part is logged with the request; the answer is a refusal, never an exception or a mask."""
    def broken(self, request):
        raise ZeroDivisionError("injected")

    monkeypatch.setattr(type(engine), "_read_relation", broken)
    with caplog.at_level("ERROR", logger="seer.reasoning"):
        spec = engine.understand("the kidney below the spleen", ct_evidence)
    assert spec.status in ("rejected", "clarify") and not spec.targets, spec
    assert any("the kidney below the spleen" in r.getMessage() for r in caplog.records)
    assert any("relation" in line and "failed" in line for line in spec.trace.rationale)
    monkeypatch.undo()
    assert engine.understand("the kidney below the spleen", ct_evidence).status == "ok"
