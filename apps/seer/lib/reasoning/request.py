"""What the parts of the reasoning share about one request, and the trigger phrases the skill bank teaches."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Evidence, TargetSpec
from .decide import Reading
from .discourse import Discourse
from .ground import Grounding
from .normalize import NormalizedText
from .parse import Item, ParsedRequest

MENTION = ("concept", "singular")


@dataclass
class Request:
    """What the readers share about one request."""

    prompt: str
    evidence: Evidence
    reading: Reading
    text: NormalizedText | None = None
    items: list[Item] | None = None  # after discourse: negated and withdrawn mentions removed
    discourse: Discourse | None = None
    parsed: ParsedRequest | None = None
    context: list[Grounding] | None = None
    dropped: list[Grounding] | None = None  # negated and withdrawn mentions: antecedents, never targets
    include: list[Grounding] | None = None  # set by a reader that resolved the targets
    unexplained: list[str] = field(default_factory=list)  # content words no language file explains
    context_words: frozenset[str] = frozenset()  # folded words the caller explained (identifiers), see understand
    # What a reader worked out once and a later reading of the same request reuses:
    parts_read: bool = False  # the parts were read on their own (`FrontEnd._union_of_parts`), or ruled out
    parts_union: TargetSpec | None = None  # their union; None: no union ("the gland that makes insulin and ...")
    named_aside: list[str] = field(default_factory=list)  # a name in brackets beside a description: the answer
    pair_count: bool = False  # "both" said of a series without sides: a count of two from the end said
    middle_base_read: bool = False  # what "the middle one" chooses among was read on its own ...
    middle_whole: TargetSpec | None = None  # ... and this is that reading
    ends_base_read: bool = False  # what "minus the top and bottom vertebra" takes its ends from was read on its own


@dataclass(frozen=True)
class LearnedTrigger:
    """A phrase the skill bank taught us: it means `concept` (the bank decides which triggers are live)."""

    phrase: str
    concept: str
    skill_id: str
    form: str = "concept"  # "singular": names one member of the pair group `concept`; a side word picks it


def scope_of(ontology, concepts) -> set[str]:
    """The concepts and everything under them."""
    out: set[str] = set()
    for concept_id in concepts:
        out |= ontology.descendants(concept_id) | {concept_id}
    return out


def asking_clauses(scanned) -> tuple[list[int], set[int]]:
    """Each item's clause number, and the clauses that hold an action word ("segment", "contour"): in a pasted
    report only those ask; the others are findings. An action word before a number is a part's name ("HCC in
    segment 7. Outline the liver.": the first clause asks nothing)."""
    clause = [0] * len(scanned)
    for k in range(1, len(scanned)):
        clause[k] = clause[k - 1] + (scanned[k - 1].term.kind == "break")
    return clause, {clause[k] for k, i in enumerate(scanned) if i.term.kind == "action"
                    and not (k + 1 < len(scanned) and scanned[k + 1].term.kind == "number")}
