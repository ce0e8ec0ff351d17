"""Stage 2, parse: find concept mentions in the tokens, with their side, numbers, ranges and exclusions.

The term index holds every phrase we know (ontology lexicon, group nouns, function words, learned skill
triggers). Matching is longest-phrase-first over tokens, so "l1" is a vertebra while "l kidney" is a side and
a noun.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalize import tokenize

# When a phrase is both an anatomy term and a function word, anatomy wins; among function words, the order here.
KIND_PRIORITY = ["concept", "singular", "side", "exclusion", "range", "conjunction", "plural", "extreme",
                 "locative", "action", "break", "anaphora", "number", "head", "filler"]
MAX_PHRASE_TOKENS = 10


@dataclass(frozen=True)
class Term:
    kind: str  # one of KIND_PRIORITY
    value: str | int
    source: str = "lexicon"  # "lexicon", "language" or "skill:<skill_id>"


@dataclass
class Item:
    start: int
    end: int
    term: Term
    text: str


class TermIndex:
    """Phrase (as a token tuple) -> what it means."""

    def __init__(self) -> None:
        self.phrases: dict[tuple[str, ...], Term] = {}
        self.known_tokens: set[str] = set()
        self.anatomy_tokens: dict[str, set[str]] = {}  # token -> concepts whose terms use it

    def add(self, phrase: str, term: Term) -> None:
        key = tuple(tokenize(phrase))
        if not key or len(key) > MAX_PHRASE_TOKENS:
            return
        current = self.phrases.get(key)
        if current is None or KIND_PRIORITY.index(term.kind) < KIND_PRIORITY.index(current.kind):
            self.phrases[key] = term
        self.known_tokens.update(key)
        if term.kind in ("concept", "singular"):
            for token in key:
                self.anatomy_tokens.setdefault(token, set()).add(str(term.value))

    @classmethod
    def build(cls, ontology, language: dict, extra: list[tuple[str, Term]] = ()) -> "TermIndex":
        index = cls()
        for concept in ontology.concepts.values():
            for phrase in (concept.name, concept.id.replace("_", " "), *concept.lexicon):
                index.add(phrase, Term("concept", concept.id))
            for phrase in concept.singular:
                index.add(phrase, Term("singular", concept.id))
        for side, words in language["side_words"].items():
            for word in words:
                index.add(word, Term("side", side, "language"))
        for side, phrases in language["side_phrases"].items():
            for phrase in phrases:
                index.add(phrase, Term("side", side, "language"))
        for kind, key in (("exclusion", "exclusion_words"), ("conjunction", "conjunctions"),
                          ("range", "range_connectors"), ("anaphora", "anaphora"), ("filler", "filler_words"),
                          ("filler", "report_headers"), ("plural", "plural_markers"), ("action", "action_words"),
                          ("break", "clause_breaks"), ("locative", "locatives"), ("head", "descriptive_heads")):
            for word in language[key]:
                index.add(word, Term(kind, word, "language"))
        for word, end in language["series_extremes"].items():
            index.add(word, Term("extreme", end, "language"))
        for key in ("ordinals", "roman_numerals"):
            for word, number in language[key].items():
                index.add(word, Term("number", number, "language"))
        for phrase, term in extra:
            index.add(phrase, term)
        return index

    def scan(self, tokens: list[str]) -> list[Item]:
        items: list[Item] = []
        i = 0
        while i < len(tokens):
            for length in range(min(MAX_PHRASE_TOKENS, len(tokens) - i), 0, -1):
                key = tuple(tokens[i:i + length])
                term = self.phrases.get(key)
                if term is not None:
                    items.append(Item(i, i + length, term, " ".join(key)))
                    i += length
                    break
            else:
                token = tokens[i]
                term = Term("number", int(token), "language") if token.isdigit() else Term("unknown", token)
                items.append(Item(i, i + 1, term, token))
                i += 1
        return items


@dataclass
class Mention:
    """One thing the request names, with the modifiers that belong to it."""

    concept: str
    form: str  # "concept": the term names this concept; "singular": one member of this group, side unsaid
    text: str
    source: str
    sides: set[str] = field(default_factory=set)
    numbers: list[int] = field(default_factory=list)
    range_to: str | None = None  # concept id at the far end of a range in the same series
    extreme: str | None = None  # "first" or "last" member of a series ("the lowest rib")

    @property
    def side(self) -> str | None:
        if "both" in self.sides or {"left", "right"} <= self.sides:
            return "both"
        return next(iter(self.sides)) if self.sides else None


@dataclass
class ExclusionRef:
    """An exclusion without a noun: it picks from the targets by side, by number, or both ("the right 7th")."""

    side: str | None = None
    numbers: list[int] = field(default_factory=list)


@dataclass
class ParsedRequest:
    include: list[Mention] = field(default_factory=list)
    exclude: list[Mention] = field(default_factory=list)
    exclude_refs: list["ExclusionRef"] = field(default_factory=list)  # "except the left one", "except 11 and 12"
    context: list[Mention] = field(default_factory=list)  # named, but not asked for ("SBRT pancreas: ...")
    unknown: list[str] = field(default_factory=list)  # tokens nobody knows
    items: list[Item] = field(default_factory=list)


def _split(items: list[Item], kind: str) -> list[list[Item]]:
    parts: list[list[Item]] = [[]]
    for item in items:
        if item.term.kind == kind:
            parts.append([])
        else:
            parts[-1].append(item)
    return parts


def _has_mention(chunk: list[Item]) -> bool:
    return any(item.term.kind in ("concept", "singular") for item in chunk)


def _merge_bare_chunks(chunks: list[list[Item]]) -> list[list[Item]]:
    """A chunk that names nothing ("..., left side") belongs to its neighbour that does."""
    merged: list[list[Item]] = []
    pending: list[Item] = []
    for chunk in chunks:
        if _has_mention(chunk):
            merged.append(pending + chunk)
            pending = []
        elif merged:
            merged[-1].extend(chunk)
        else:
            pending.extend(chunk)
    if pending:
        merged.append(pending)
    return merged


def _expand_numbers(chunk: list[Item]) -> list[int]:
    numbers: list[int] = []
    for position, item in enumerate(chunk):
        if item.term.kind != "number":
            continue
        value = int(item.term.value)
        previous = chunk[position - 1] if position >= 1 else None
        before = chunk[position - 2] if position >= 2 else None
        if previous is not None and previous.term.kind == "range" and before is not None \
                and before.term.kind == "number" and numbers and numbers[-1] < value:
            numbers.extend(range(numbers[-1] + 1, value + 1))
        elif value not in numbers:
            numbers.append(value)
    return numbers


def _sibling_in_series(concept_id: str, number: int, ontology) -> str | None:
    """"l1-3": the concept whose id differs from `concept_id` only in its trailing number."""
    candidate = re.sub(r"\d+$", str(number), concept_id)
    return candidate if candidate != concept_id and candidate in ontology else None


def _parse_chunk(chunk: list[Item], ontology) -> list[Mention]:
    mentions: list[Mention] = []
    positions: list[int] = []
    skip_next_number = False
    for position, item in enumerate(chunk):
        kind = item.term.kind
        if kind not in ("concept", "singular"):
            continue
        previous = chunk[position - 1] if position else None
        before = chunk[position - 2] if position >= 2 else None
        concept = ontology[item.term.value]
        # "T12 to L2": a second member of the same series closes the range opened by the first.
        if (previous is not None and previous.term.kind == "range" and mentions and before is not None
                and before.term.kind == "concept" and concept.series
                and ontology[mentions[-1].concept].series == concept.series and mentions[-1].range_to is None):
            mentions[-1].range_to = concept.id
            continue
        mentions.append(Mention(concept=concept.id, form="concept" if kind == "concept" else "singular",
                                text=item.text, source=item.term.source))
        positions.append(position)
    if not mentions:
        return []
    # "L1-3": a range ending in a bare number after a series member.
    for position, item in enumerate(chunk[:-2]):
        if item.term.kind == "concept" and chunk[position + 1].term.kind == "range" \
                and chunk[position + 2].term.kind == "number":
            for mention in mentions:
                if mention.text == item.text and ontology[mention.concept].series:
                    mention.range_to = _sibling_in_series(mention.concept, int(chunk[position + 2].term.value),
                                                          ontology)
                    skip_next_number = mention.range_to is not None
    # Each side word belongs to the nearest mention in its chunk.
    for position, item in enumerate(chunk):
        if item.term.kind == "side":
            nearest = min(range(len(mentions)), key=lambda m: abs(positions[m] - position))
            mentions[nearest].sides.add(str(item.term.value))
    extremes = [str(i.term.value) for i in chunk if i.term.kind == "extreme"]
    if extremes:
        numbered = [m for m in mentions if ontology.descendants(m.concept)]
        for mention in numbered[:1]:
            mention.extreme = extremes[0]
    if not skip_next_number:
        numbers = _expand_numbers(chunk)
        if numbers:
            numbered = [m for m in mentions if ontology.descendants(m.concept) or ontology[m.concept].series]
            for mention in numbered[:1] or mentions[:1]:
                mention.numbers = numbers
    return mentions


def _clauses(items: list[Item]) -> list[tuple[list[Item], str]]:
    """Split at sentence ends and reason markers; each clause keeps the break that ended it."""
    clauses: list[tuple[list[Item], str]] = []
    current: list[Item] = []
    for item in items:
        if item.term.kind == "break":
            clauses.append((current, item.text))
            current = []
        else:
            current.append(item)
    clauses.append((current, ""))
    return [(c, b) for c, b in clauses if c]


def select_clauses(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """Keep what the request asks for; set aside the context around it.

    "SBRT pancreas: contour duodenum and stomach as OARs" asks for two organs; the pancreas is context. When some
    clause both asks (segment, contour, need, ROI...) and names anatomy, only such clauses count. A header that
    asks and ends in a colon ("OARs: duodenum, stomach") hands the asking to the clause after it.
    Returns (selected items, context items).
    """
    clauses = _clauses(items)
    asking: list[int] = []
    for k, (clause, ended_by) in enumerate(clauses):
        if not any(i.term.kind == "action" for i in clause):
            continue
        if ended_by == ":" and k + 1 < len(clauses) and _has_mention(clauses[k + 1][0]):
            asking.append(k + 1)
        elif _has_mention(clause):
            asking.append(k)
    if not asking:
        return items, []
    selected = [i for k in sorted(set(asking)) for i in clauses[k][0]]
    context = [i for k, (clause, _) in enumerate(clauses) if k not in asking for i in clause]
    return selected, context


def split_landmarks(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """"the big artery in front of the spine": after a target is named or described, anatomy behind a locative ("in front of",
    "on top of", "next to") only says where it is. Returns (items without landmarks, landmark items)."""
    kept: list[Item] = []
    landmarks: list[Item] = []
    named, locating = False, False
    for item in items:
        kind = item.term.kind
        if kind in ("break", "conjunction"):
            named, locating = False, False
        elif kind == "locative" and named:
            locating = True
        elif kind in ("concept", "singular"):
            if locating:
                landmarks.append(item)
                continue
            named = True
        elif kind == "head":  # "the little cap on top of the left kidney": the cap is the target
            named = True
        kept.append(item)
    return kept, landmarks


def _apply_plural_markers(chunk: list[Item]) -> None:
    """"all ribs", "every rib": a singular noun after a plural marker means the whole group."""
    for position, item in enumerate(chunk[1:], start=1):
        if item.term.kind == "singular" and chunk[position - 1].term.kind == "plural":
            chunk[position] = Item(item.start, item.end, Term("concept", item.term.value, item.term.source),
                                   item.text)


def _exclusions_after_a_mention(items: list[Item]) -> list[Item]:
    """"not sure how this works, but outline the stomach": a negation before anything is named negates nothing."""
    out, named = [], False
    for item in items:
        named = named or item.term.kind in ("concept", "singular")
        if item.term.kind == "exclusion" and not named:
            continue
        out.append(item)
    return out


def _spread_trailing_side(segment: list[Item], mentions: list[Mention]) -> None:
    """"psoas and erector spinae, both sides": one side said after every noun applies to each bare noun."""
    sides = [i for i in segment if i.term.kind == "side"]
    named = [i for i in segment if i.term.kind in ("concept", "singular")]
    if len(sides) == 1 and named and sides[0].start > named[-1].start:
        for mention in mentions:
            if mention.form == "singular" and not mention.sides:
                mention.sides.add(str(sides[0].term.value))


def parse(tokens: list[str], index: TermIndex, ontology) -> ParsedRequest:
    items = index.scan(tokens)
    selected, context = select_clauses(items)
    selected, landmarks = split_landmarks(selected)
    context = context + landmarks
    parsed = ParsedRequest(items=items, unknown=[i.text for i in items if i.term.kind == "unknown"])
    for chunk in _merge_bare_chunks(_split(context, "conjunction")):
        parsed.context.extend(_parse_chunk(chunk, ontology))
    for number, segment in enumerate(_split(_exclusions_after_a_mention(selected), "exclusion")):
        chunks = _merge_bare_chunks(_split(segment, "conjunction"))
        previous_side: str | None = None
        segment_mentions: list[Mention] = []
        for chunk in chunks:
            _apply_plural_markers(chunk)
            mentions = _parse_chunk(chunk, ontology)
            segment_mentions.extend(mentions)
            if number == 0:
                for mention in mentions:
                    # "left kidney and adrenal": a bare paired noun takes the side said just before it.
                    if mention.form == "singular" and not mention.sides and previous_side in ("left", "right"):
                        mention.sides.add(previous_side)
                    previous_side = mention.side or previous_side
                parsed.include.extend(mentions)
            elif mentions:
                parsed.exclude.extend(mentions)
            else:
                sides = [str(i.term.value) for i in chunk if i.term.kind == "side"]
                numbers = _expand_numbers(chunk)
                if sides or numbers:
                    parsed.exclude_refs.append(ExclusionRef(side=sides[0] if sides else None, numbers=numbers))
        _spread_trailing_side(segment, segment_mentions)
    return parsed
