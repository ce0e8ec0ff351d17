"""Stage 1, normalize: fold case and unicode, tokenize, and repair spelling against the known vocabulary."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

# Characters people paste from word processors, mapped to what they mean here.
_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2192": "->",
})
# Words, numbers and ordinals stay whole ("l1", "t12", "11th", "patient's"); punctuation that carries meaning
# (ranges, lists, side in brackets) becomes its own token; everything else is dropped.
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|->|[-+&,;/()=:.?!]")

# A token this short is too ambiguous to repair ("lt", "rt", "gb" must be known exactly).
MIN_REPAIR_LENGTH = 4
# Largest edit distance (with transpositions) accepted for a repair, by token length.
MAX_EDITS_SHORT, MAX_EDITS_LONG, LONG_TOKEN = 1, 2, 7


@dataclass
class NormalizedText:
    original: str
    text: str
    tokens: list[str]
    repairs: list[tuple[str, str]] = field(default_factory=list)  # (typed, repaired)


def fold(text: str) -> str:
    """Unicode-compatible lower case with one space between words (full-width letters become ASCII)."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


class SpellingRepairer:
    """Edit-distance repair of unknown tokens against a fixed vocabulary (lexicon and function words)."""

    def __init__(self, known_tokens: set[str]):
        self.known = known_tokens
        self._choices = sorted(t for t in known_tokens if len(t) >= MIN_REPAIR_LENGTH - 1 and t.isalpha())

    def max_edits(self, token: str) -> int:
        return MAX_EDITS_LONG if len(token) >= LONG_TOKEN else MAX_EDITS_SHORT

    def repair(self, token: str) -> str | None:
        if token in self.known or len(token) < MIN_REPAIR_LENGTH or not token.isalpha():
            return None
        best = process.extractOne(token, self._choices, scorer=OSA.distance, score_cutoff=self.max_edits(token))
        return best[0] if best else None

    def split_glued(self, token: str) -> list[str] | None:
        """"leftkidney" -> ["left", "kidney"]: both halves known (the longer half may be repaired)."""
        if token in self.known or len(token) < 2 * 2 or not token.isalpha():
            return None
        for cut in range(1, len(token) - 1):
            head, tail = token[:cut], token[cut:]
            if head in self.known and (tail in self.known or (len(tail) >= MIN_REPAIR_LENGTH and self.repair(tail))):
                return [head, tail if tail in self.known else self.repair(tail)]
        return None


def normalize(prompt: str, repairer: SpellingRepairer) -> NormalizedText:
    """Fold and tokenize `prompt`, then repair tokens the vocabulary does not know."""
    folded = fold(prompt)
    tokens: list[str] = []
    repairs: list[tuple[str, str]] = []
    for token in _TOKEN.findall(folded):
        if token in repairer.known or not token.isalpha():
            tokens.append(token)
            continue
        glued = repairer.split_glued(token)
        if glued:
            tokens.extend(glued)
            repairs.append((token, " ".join(glued)))
            continue
        fixed = repairer.repair(token)
        if fixed:
            repairs.append((token, fixed))
        tokens.append(fixed or token)
    return NormalizedText(original=prompt, text=folded, tokens=tokens, repairs=repairs)
