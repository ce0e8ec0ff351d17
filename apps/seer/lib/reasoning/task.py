"""Whether a request is a question about a structure rather than a request for its mask.

"what is the density of the liver?", "is the liver fatty?", "why is the spleen enlarged?" name an organ but ask for
a value, a finding or an explanation: a mask would answer something nobody asked, so the front end refuses them.
Requests worded as questions stay requests: "can you segment the spleen?" (a segmentation word, checked by the
caller), "where is the gallbladder?", "which one is the left kidney?", "liver?", "what about the spleen?" (no value,
finding or reason is asked). The words are data (language files: `question_words`, `measure_words`,
`condition_words`, with `findings_words`, `normal_words`, `comparatives`, `threshold_words`); this module only
holds the shapes of such questions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Iterable

Phrase = tuple[str, ...]

# How many words may stand before the word that opens a question ("hi, what is ...", "ok so is the ..."): only
# lead words of the language files (greetings, "ok", "so", "and"), hesitation and punctuation ("the patient has
# splenomegaly" is a statement, "the organ that does ..." a description).
LEAD = 3
# How many words may stand between a predicate and the condition it states in a question said by intonation:
# "el higado es graso?", "the kidney has a stone?", "is it fatty?" ("rene dx e sx con cisti?" is a list).
PREDICATE_GAP = 1
# The tokens that end a sentence; "?" also marks it a question
BREAKS = frozenset({".", "?", "!", ";", ":"})
QUESTION_MARK = "?"
# A word must be this much longer than a finding suffix to be read as a finding ("steatosis", "pancreatitis")
SUFFIX_STEM = 3


class Phrases:
    """Phrases as token tuples, found by their first token (a request is read in well under a millisecond)."""

    def __init__(self, words: Iterable[str], tokenize: Callable[[str], list[str]]):
        self.by_first: dict[str, list[Phrase]] = {}
        for word in words:
            if not word.startswith("_") and (key := tuple(tokenize(word))):
                self.by_first.setdefault(key[0], []).append(key)
        for found in self.by_first.values():
            found.sort(key=len, reverse=True)

    def __or__(self, other: "Phrases") -> "Phrases":
        joined = Phrases((), str.split)
        for table in (self, other):
            for first, found in table.by_first.items():
                joined.by_first.setdefault(first, []).extend(found)
        for found in joined.by_first.values():
            found.sort(key=len, reverse=True)
        return joined

    def at(self, tokens: list[str], k: int) -> Phrase | None:
        """The longest phrase that starts at token k."""
        for phrase in self.by_first.get(tokens[k], ()) if k < len(tokens) else ():
            if tuple(tokens[k:k + len(phrase)]) == phrase:
                return phrase
        return None


@dataclass(frozen=True)
class QuestionWords:
    value: Phrases  # "what", "which", "how": a question about a value when it names a measure
    reason: Phrases  # "why", "what does": asks for an explanation, never for a mask
    yes_no: Phrases  # "is", "does", "is there": a yes/no question when it names a condition
    yes_no_asked: Phrases  # "any": the same, said with a question mark ("any stones in the gallbladder?")
    request: Phrases  # "is it possible", "is there a way": a polite request, though it opens with a yes/no word
    predicate: Phrases  # "is", "has", "es", "tiene": states a condition inside a question
    measures: Phrases  # "density", "diameter", "adc"
    conditions: Phrases  # "fatty", "stone", "normal"
    suffixes: tuple[str, ...]  # "itis", "osis": a word built on them names a condition
    comparisons: Phrases  # "larger", "or more": a size comparison or threshold picks a structure
    relatives: Phrases  # "that", "which", "whichever", "the one with": a relative clause or a choice describes a target
    heads: frozenset[str]  # "organ", "vessel", "structure": a description's head noun
    leads: frozenset[str]  # "ok", "so", "hi", "um": may stand before the word that opens a question

    @cached_property
    def blockers(self) -> Phrases:
        """Relative and question words: "the organ that is enlarged?", "which organ is enlarged?" describe a target."""
        return self.relatives | self.value | self.reason


def _first(tokens: list[str], table: Phrases) -> tuple[int, Phrase] | None:
    for k in range(len(tokens)):
        if (phrase := table.at(tokens, k)) is not None:
            return k, phrase
    return None


def _opener(clause: list[str], table: Phrases, leads: frozenset[str]) -> tuple[int, Phrase] | None:
    """A phrase of `table` that opens the clause (where it starts, the phrase), after at most LEAD lead words."""
    for k in range(min(LEAD + 1, len(clause))):
        if (phrase := table.at(clause, k)) is not None:
            return k, phrase
        if clause[k] not in leads and clause[k].isalnum():
            return None
    return None


def sentences(tokens: list[str]) -> list[tuple[list[str], bool]]:
    """The sentences of a request, each with whether it ends with a question mark."""
    out, current = [], []
    for token in tokens:
        if token in BREAKS:
            if current:
                out.append((current, token == QUESTION_MARK))
            elif out and token == QUESTION_MARK:  # "liver??": the run of marks still asks
                out[-1] = (out[-1][0], True)
            current = []
        else:
            current.append(token)
    if current:
        out.append((current, False))
    return out


def _condition(clause: list[str], words: QuestionWords, start: int = 0, end: int | None = None) -> str | None:
    end = len(clause) if end is None else end
    for k in range(start, min(end, len(clause))):
        if (phrase := words.conditions.at(clause, k)) is not None:
            return " ".join(phrase)
        if any(clause[k].endswith(s) and len(clause[k]) >= len(s) + SUFFIX_STEM for s in words.suffixes):
            return clause[k]
    return None


def _stated_condition(clause: list[str], words: QuestionWords) -> str | None:
    """"the liver is fatty?", "el higado es graso?": a predicate that a condition follows closely, with no relative
    or question word before it (that would make it a description: "the kidney that has a stone?")."""
    for k in range(len(clause)):
        if words.blockers.at(clause, k) is not None:
            return None
        if (predicate := words.predicate.at(clause, k)) is not None:
            after = k + len(predicate)
            if (found := _condition(clause, words, after, after + PREDICATE_GAP + 1)) is not None:
                return found
    return None


def _measure(clause: list[str], words: QuestionWords, names: set[str], value: tuple[int, Phrase] | None) -> str | None:
    """The measure a sentence asks about: "what is the density of the liver", "liver volume?". Not one said inside
    a description ("which vessel runs the length of the spine?", "the muscle along the length of the spine?": a head
    noun or relative word comes first) nor in a comparison or threshold ("which kidney has the larger volume?")."""
    found = _first(clause, words.measures)
    if found is None or _first(clause, words.comparisons) is not None:
        return None
    start = 0
    if value is not None:
        start = value[0] + len(value[1])
        if start < len(clause) and (clause[start] in words.heads or clause[start] in names):
            return None  # "which organ has ...", "what kidney is ...": asks which structure, a request
    elif any(t in words.heads for t in clause):
        return None  # "high signal structure?": a description said as a question
    before = clause[start:found[0]]
    if any(t in words.heads for t in before) or _first(before, words.relatives) is not None:
        return None
    return " ".join(found[1])


def asked_question(clause: list[str], asking: bool, words: QuestionWords, is_name: Callable[[str], bool]) -> str | None:
    """What makes one sentence a question for something other than a mask (the word that shows it), or None.
    `is_name` tells a word that names a structure ("liver", "kidney"; not "of", "the")."""
    names = {t for t in clause if is_name(t)}
    if (reason := _opener(clause, words.reason, words.leads)) is not None:
        return " ".join(reason[1])
    value = _opener(clause, words.value, words.leads)
    yes_no = None
    if _opener(clause, words.request, words.leads) is None:  # "is it possible to ..." asks for a mask
        yes_no = _opener(clause, words.yes_no, words.leads) or (
            _opener(clause, words.yes_no_asked, words.leads) if asking else None)
    if (value or yes_no or asking) and (measure := _measure(clause, words, names, value)) is not None:
        return measure
    if yes_no is not None and (found := _condition(clause, words)) is not None:
        return found
    if asking:
        return _stated_condition(clause, words)
    return None


def other_question(tokens: list[str], words: QuestionWords, is_name: Callable[[str], bool]) -> str | None:
    """The word that shows the request asks a question instead of asking for a mask, or None. A sentence after the
    question that names a structure and asks nothing is the request ("Is there a stone? Left kidney please."); the
    sentences before it are context."""
    found = None
    for clause, asking in sentences(tokens):
        question = asked_question(clause, asking, words, is_name)
        if question is not None:
            found = found or question
        elif found is not None and any(is_name(t) for t in clause):
            return None
    return found
