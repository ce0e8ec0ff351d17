"""Stage 1: folding, tokenizing, shorthand and spelling repair."""

import pytest

from lib.reasoning.normalize import Normalizer, fold, tokenize


def test_fold_unicode_case_and_whitespace():
    assert fold("  LEFT\u00a0Kidney\t\u201cplease\u201d ") == 'left kidney "please"'
    assert fold("ｌｉｖｅｒ") == "liver"  # full-width
    assert fold("Vesícula  biliar") == "vesicula biliar"
    assert fold("kid\u200bney") == "kidney"  # zero-width space


def test_tokens_keep_levels_and_ordinals_whole():
    assert tokenize("T12–L2") == ["t12", "-", "l2"]
    assert tokenize("11th rib (R)") == ["11th", "rib", "(", "r", ")"]
    assert tokenize("patient's left") == ["patient's", "left"]


@pytest.fixture(scope="module")
def normalizer():
    anatomy = {"kidney": {"kidneys"}, "pancreas": {"pancreas"}, "spleen": {"spleen"}, "splenic": {"spleen"},
               "liver": {"liver"}, "hips": {"hips"}, "rib": {"ribs"}, "t12": {"vertebrae_T12"},
               "duodenum": {"duodenum"}, "duodenal": {"duodenum"}}
    sides = {"left", "right", "l", "r", "lt"}
    known = set(anatomy) | sides | {"segment"}
    return Normalizer(known, anatomy, sides, {"lwr": "lower"}, common_words={"staging", "tips", "score"})


@pytest.mark.parametrize("typed,expected", [("kidny", "kidney"), ("pancraes", "pancreas"), ("splen", "spleen"),
                                            ("livr", "liver"), ("ribb", "rib"), ("lefft", "left")])
def test_repairs_typos_within_edit_distance(normalizer, typed, expected):
    assert normalizer.normalize(typed).tokens == [expected]


@pytest.mark.parametrize("word", ["staging", "tips", "score", "happiness"])
def test_real_words_and_distant_tokens_are_left_alone(normalizer, word):
    assert normalizer.normalize(word).tokens == [word]


def test_short_tokens_are_not_guessed(normalizer):
    assert normalizer.repair("lt") is None
    assert normalizer.repair("hipz") is None or normalizer.repair("hipz") == "hips"


def test_glued_words_are_split(normalizer):
    assert normalizer.normalize("leftkidney").tokens == ["left", "kidney"]
    assert normalizer.normalize("lkidney").tokens == ["l", "kidney"]


def test_shorthand_prefixes_and_levels(normalizer):
    assert normalizer.normalize("lwr").tokens == ["lower"]
    assert normalizer.normalize("duod").tokens[0] in ("duodenum", "duodenal")  # both name the duodenum
    assert normalizer.normalize("T 12").tokens == ["t12"]
    assert normalizer.normalize("rib R9").tokens == ["rib", "r", "9"]
    text = normalizer.normalize("lt kidny")
    assert text.repairs == [("kidny", "kidney")]
