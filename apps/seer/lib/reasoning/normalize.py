"""Stage 1, normalize: fold case and unicode, tokenize, expand shorthand and repair spelling.

Repair is deliberately narrow: only tokens that are neither in our vocabulary nor ordinary English words are
touched, and only towards anatomy terms and side words. "staging" must never become "sparing".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

# Characters people paste from word processors, mapped to what they mean here.
_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "", "\u2192": "->",
})
# Words, numbers and ordinals stay whole ("l1", "t12", "11th", "patient's"); punctuation that carries meaning
# (ranges, lists, clause ends, a side in brackets) becomes its own token; everything else is dropped.
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|->|[-+&,;/()=:.?!]")
_LETTERS_DIGITS = re.compile(r"([a-z]+)(\d+)")

# Shortest token we try to repair; 4-letter tokens may only have lost a letter ("livr"), longer ones may have
# one edit, and long ones two.
MIN_REPAIR_LENGTH = 4
ONE_EDIT_FROM, TWO_EDITS_FROM = 5, 9
REPAIR_CANDIDATES = 8
MIN_PREFIX = 3  # "duod", "stom", "liv": shorthand by truncation


@dataclass
class NormalizedText:
    original: str
    text: str
    tokens: list[str]
    repairs: list[tuple[str, str]] = field(default_factory=list)  # (typed, read as)


def fold(text: str) -> str:
    """Unicode-compatible lower case without accents, one space between words (full-width becomes ASCII)."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


class Normalizer:
    """Turns typed text into tokens the term index knows, recording every change it makes."""

    def __init__(self, known: set[str], anatomy: dict[str, set[str]], sides: set[str],
                 abbreviations: dict[str, str], common_words: set[str] = frozenset()):
        """
        Args:
            known: every token of every phrase in the term index.
            anatomy: token -> concept ids whose terms use it (repair and prefix targets).
            sides: side words ("left", "lt", "l", ...).
            abbreviations: shorthand -> expansion ("lwr" -> "lower").
            common_words: ordinary words of the language; never "repaired" into anatomy.
        """
        self.known = known
        self.anatomy = anatomy
        self.sides = sides
        self.abbreviations = {k: tokenize(v) for k, v in abbreviations.items()}
        self.common_words = common_words
        self._targets = sorted(t for t in set(anatomy) | sides if t.isalpha() and len(t) >= MIN_REPAIR_LENGTH - 1)
        self._anatomy_sorted = sorted(t for t in anatomy if t.isalpha())

    def _max_edits(self, token: str) -> int:
        return 2 if len(token) >= TWO_EDITS_FROM else 1

    def repair(self, token: str) -> str | None:
        if token in self.known or token in self.common_words or len(token) < MIN_REPAIR_LENGTH or not token.isalpha():
            return None
        near = process.extract(token, self._targets, scorer=OSA.distance, score_cutoff=self._max_edits(token),
                               limit=REPAIR_CANDIDATES)
        for candidate, _, _ in sorted(near, key=lambda hit: hit[1]):
            if len(token) >= ONE_EDIT_FROM or self._lost_or_doubled_letter(token, candidate):
                return candidate
        return None

    @staticmethod
    def _lost_or_doubled_letter(token: str, candidate: str) -> bool:
        """A 4-letter typo is trusted only as a dropped letter ("livr") or a doubled one ("ribb"):
        "tips" is not "hips"."""
        if len(candidate) == len(token) + 1:
            return True
        return len(candidate) == len(token) - 1 and any(a == b for a, b in zip(token, token[1:]))

    def expand_prefix(self, token: str) -> str | None:
        """"duod" -> "duodenum": every anatomy word starting with it names the same concept."""
        if len(token) < MIN_PREFIX or token in self.common_words:
            return None
        candidates = [t for t in self._anatomy_sorted if t.startswith(token) and len(t) >= len(token) + 2]
        if not candidates:
            return None
        shared = set.intersection(*(self.anatomy[c] for c in candidates))
        return min(candidates, key=len) if shared else None

    def split_glued(self, token: str) -> list[str] | None:
        """"leftkidney" -> ["left", "kidney"]: a side or anatomy word glued to an anatomy word."""
        for cut in range(1, len(token) - MIN_REPAIR_LENGTH + 1):
            head, tail = token[:cut], token[cut:]
            if (head in self.sides or head in self.anatomy) and tail in self.anatomy and len(tail) >= MIN_REPAIR_LENGTH:
                return [head, tail]
        return None

    def normalize(self, prompt: str) -> NormalizedText:
        folded = fold(prompt)
        raw = _TOKEN.findall(folded)
        tokens: list[str] = []
        repairs: list[tuple[str, str]] = []

        def read_as(typed: str, parts: list[str]) -> None:
            tokens.extend(parts)
            repairs.append((typed, " ".join(parts)))

        skip = False
        for position, token in enumerate(raw):
            if skip:
                skip = False
                continue
            following = raw[position + 1] if position + 1 < len(raw) else ""
            if token in self.known:
                tokens.append(token)
            elif token in self.abbreviations:
                read_as(token, self.abbreviations[token])
            elif len(token) == 1 and following.isdigit() and token + following in self.known:
                read_as(f"{token} {following}", [token + following])  # "T 12" -> "t12"
                skip = True
            elif (match := _LETTERS_DIGITS.fullmatch(token)) and match.group(1) in self.known:
                read_as(token, [match.group(1), match.group(2)])  # "rib R9" -> "r 9", "rib10" -> "rib 10"
            elif not token.isalpha() or token in self.common_words:
                tokens.append(token)
            elif glued := self.split_glued(token):
                read_as(token, glued)
            elif fixed := (self.repair(token) or self.expand_prefix(token)):
                read_as(token, [fixed])
            else:
                tokens.append(token)
        return NormalizedText(original=prompt, text=folded, tokens=tokens, repairs=repairs)
