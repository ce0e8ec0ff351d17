"""Property-based fuzzing of the reasoning stages with Hypothesis: whatever the text, normalize, parse and ground
raise nothing and name only concepts of the ontology, and the chain ends in a valid TargetSpec whose targets the
backbone can segment (after the validation layer, lib/guards.py)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Per stage. 1000 in `make test` keeps the whole suite inside its time budget; a deeper run is
# `SEER_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz.py` (README, Development).
EXAMPLES = int(os.environ.get("SEER_FUZZ_EXAMPLES", "1000"))
# No example database: it would write .hypothesis/ into the checkout. Derandomized: CI runs the same examples.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
# The whole chain calls the text encoder for most random text (the fallback), so it gets fewer examples.
CHAIN = settings(FUZZ, max_examples=500)


@pytest.fixture(scope="module")
def fuzz_engine(ontology, encoder, embed_cache_dir):
    """One engine for the module, with the shared embedding cache (built by `make install`)."""
    from lib.reasoning.engine import ReasoningEngine

    return ReasoningEngine(ontology, encoder=encoder, cache_dir=embed_cache_dir)


@pytest.fixture(scope="module")
def fuzz_evidence(fuzz_engine, ontology, ct_volume):
    from lib.backbones.labelmap import LabelmapBackbone
    from lib.pipeline import SeerPipeline

    pipeline = SeerPipeline(fuzz_engine, LabelmapBackbone(ontology, "total"))
    return pipeline.evidence_for(ct_volume), pipeline.backbone.vocabulary()


def _words() -> list[str]:
    """Words the stages react to: lexicon tokens, function words (sides, ranges, negation), numbers, noise."""
    from lib.ontology import load_language, load_ontology
    from lib.reasoning.normalize import tokenize

    ontology, language = load_ontology(), load_language()
    words: set[str] = set()
    for concept in ontology.concepts.values():
        for term in (concept.name, *concept.lexicon[:4]):
            words.update(tokenize(term))
    for value in language.values():
        items = value if isinstance(value, list) else (
            [w for ws in value.values() for w in (ws if isinstance(ws, list) else [ws])] if isinstance(value, dict)
            else [])
        for item in items:
            if isinstance(item, str):
                words.update(tokenize(item))
    return sorted(words) + ["1", "2", "7", "12", "13", "0", "99", "-", ",", "to", "and", "not", "(R)", "L", "lt",
                            "rt", "bilat", "T12", "L2", "C7", "&", "/", "?", "!"]


WORDS = _words()
TYPO = st.tuples(st.sampled_from(WORDS), st.integers(0, 12), st.sampled_from(["", "x", "e", "  ", "-"])).map(
    lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1:])
SOUP = st.lists(st.one_of(st.sampled_from(WORDS), TYPO, st.text(max_size=6)), max_size=14).map(" ".join)
TEXT = st.one_of(SOUP, st.text(max_size=120),
                 st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))


def _mentions(parsed):
    for mention in (*parsed.include, *parsed.exclude, *parsed.context):
        while mention is not None:
            yield mention
            mention = mention.range_end


@FUZZ
@given(text=TEXT)
def test_normalize_never_fails_and_gives_plain_tokens(fuzz_engine, text):
    for lenient in (False, True):
        normalized = fuzz_engine.normalizer.normalize(text, lenient=lenient)
        assert all(isinstance(t, str) and t and not t.isspace() for t in normalized.tokens), normalized.tokens
        assert all(isinstance(a, str) and isinstance(b, str) for a, b in normalized.repairs)


@FUZZ
@given(text=TEXT)
def test_parse_names_only_concepts_of_the_ontology(fuzz_engine, ontology, text):
    from lib.reasoning.parse import parse

    parsed = parse(fuzz_engine.normalizer.normalize(text).tokens, fuzz_engine.index, ontology)
    for mention in _mentions(parsed):
        assert mention.concept in ontology, mention
        assert mention.form in ("concept", "singular")


@FUZZ
@given(text=TEXT)
def test_ground_gives_only_ids_of_the_ontology(fuzz_engine, ontology, text):
    from lib.reasoning.ground import ground_mention
    from lib.reasoning.parse import parse

    parsed = parse(fuzz_engine.normalizer.normalize(text).tokens, fuzz_engine.index, ontology)
    for mention in (*parsed.include, *parsed.exclude, *parsed.context):
        grounding = ground_mention(mention, ontology)
        assert all(i in ontology for i in (*grounding.ids, *grounding.options)), grounding


@CHAIN
@given(text=TEXT)
def test_the_chain_always_ends_in_a_valid_spec_within_the_vocabulary(fuzz_engine, fuzz_evidence, ontology, text):
    from lib.validation import validate_spec
    from lib.records import TargetSpec

    evidence, vocabulary = fuzz_evidence
    raw = fuzz_engine.understand(text, evidence)
    assert all(i in ontology for i in (*raw.targets, *raw.exclude, *raw.candidates)), raw
    spec = validate_spec(raw, ontology, vocabulary)
    # The rule engine's answers pass the validation layer unchanged (only bounded in size).
    assert (spec.status, spec.targets, spec.exclude, spec.candidates) == (raw.status, raw.targets, raw.exclude,
                                                                          raw.candidates)
    TargetSpec.model_validate(spec.model_dump())
    assert set(spec.targets) <= set(vocabulary) and set(spec.exclude) <= set(vocabulary)
    assert (spec.status == "ok") == bool(spec.targets)
    assert len(spec.model_dump_json()) < 20_000
