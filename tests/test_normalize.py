"""Stage 1: folding, tokenizing and spelling repair."""

import pytest

from lib.reasoning.normalize import SpellingRepairer, fold, normalize, tokenize


def test_fold_unicode_case_and_whitespace():
    assert fold("  LEFT\u00a0Kidney\t\u201cplease\u201d ") == 'left kidney "please"'
    assert fold("ｌｉｖｅｒ") == "liver"  # full-width
    assert fold("Vesícula  biliar") == "vesicula biliar"


def test_tokens_keep_levels_and_ordinals_whole():
    assert tokenize("T12–L2") == ["t12", "-", "l2"]
    assert tokenize("11th rib (R)") == ["11th", "rib", "(", "r", ")"]
    assert tokenize("patient's left") == ["patient's", "left"]


@pytest.fixture(scope="module")
def repairer():
    return SpellingRepairer({"left", "kidney", "segment", "pancreas", "spleen", "liver", "l", "lt"})


@pytest.mark.parametrize("typed,expected", [("kidny", "kidney"), ("segmnt", "segment"), ("pancraes", "pancreas"),
                                            ("splen", "spleen")])
def test_repairs_typos_within_edit_distance(repairer, typed, expected):
    assert repairer.repair(typed) == expected


def test_short_or_distant_tokens_are_not_repaired(repairer):
    assert repairer.repair("lt") is None  # too short to guess
    assert repairer.repair("happiness") is None


def test_glued_words_are_split(repairer):
    assert normalize("leftkidney", repairer).tokens == ["left", "kidney"]
    assert normalize("lkidney", repairer).tokens == ["l", "kidney"]
