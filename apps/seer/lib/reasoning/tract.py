"""Order along a tract: "the segment the stomach empties into", "the part just before the rectum", "where the
small bowel leads". The order is ontology data (each lumen's `continues_into`); the words are language-file data
(`sequence_words` for "after" / "before", `passage_words` for "empties into", "leads", "receives ... from").

`find_call` reads which structure the words place the target against and in which direction, `along` evaluates
`along(anchor, next|previous)` against the image: one structure is the answer (absent: a refusal that says why),
a tract that branches there is a question, and an end of a tract is a refusal."""

from __future__ import annotations

from dataclasses import dataclass

from .normalize import tokenize
from .readers import Finding
from .request import MENTION
from .thresholds import T

# Tokens ("the", "del", "dem") allowed between a sequence or passage phrase and the structure it is said of.
GAP = 2
# A passage phrase's kinds (language-file values): "into": the target lies after a structure said before the phrase
# ("the stomach empties into") and before one said after it ("empties into the duodenum"); "onward": only the
# first ("where the small bowel leads": a bare verb said after a structure, "leads the stomach" means nothing);
# "from": the target lies after a structure said after the phrase ("receives food from the stomach"); "subject": a
# bare verb whose subject may stand on either side of it ("in cui si svuota lo stomaco", "in den sich der Magen
# entleert"): the target lies after it.
# "between": the target lies between the two structures said after it ("the segment joining the stomach to the
# jejunum").
PASSAGE_KINDS = ("into", "onward", "from", "subject", "between")


@dataclass
class TractCall:
    anchor: str  # the structure the target is placed against
    direction: str  # "next" or "previous"
    phrase: str  # the words that said it
    pool: list[str]  # the kind named ("the bowel ..."): the answer must be one of these ([]: any)
    far_end: str | None = None  # for "between": the second structure


def neighbours(ontology, concept_id: str, direction: str) -> list[str]:
    """The structures right after (`next`) or right before (`previous`) one along its tract, by the ontology's
    `continues_into`; a group stands for its members (the kidneys pass into the bladder)."""
    own = [concept_id, *sorted(ontology.descendants(concept_id))]
    if direction == "next":
        found = [n for c in own for n in ontology[c].continues_into]
    else:
        found = [c.id for c in ontology.concepts.values() if set(c.continues_into) & set(own)]
    return [c for c in dict.fromkeys(found) if c not in own]


# Tokenized phrase tables, by the table's identity and the kinds asked (the engine's tables live as long as it).
_PHRASES: dict[tuple[int, tuple[str, ...]], tuple[dict, list]] = {}


_ON_A_TRACT: dict[int, tuple[object, dict[str, bool]]] = {}


def on_a_tract(ontology, concept_id: str) -> bool:
    """Whether the concept (or a member of it) has a neighbour along a tract; kept per ontology."""
    kept = _ON_A_TRACT.get(id(ontology))
    if kept is None or kept[0] is not ontology:
        kept = _ON_A_TRACT[id(ontology)] = (ontology, {})
    known = kept[1]
    if concept_id not in known:
        known[concept_id] = bool(neighbours(ontology, concept_id, "next")
                                 or neighbours(ontology, concept_id, "previous"))
    return known[concept_id]


def _relation_phrases(relations: dict) -> list[tuple[list[str], str]]:
    """The relation phrases of two or more words, tokenized, longest first (kept per table)."""
    key = (id(relations), ("relation",))
    cached = _PHRASES.get(key)
    if cached is None or cached[0] is not relations:
        phrases = sorted(((tokenize(r), "relation") for r in relations if " " in r), key=lambda p: -len(p[0]))
        cached = _PHRASES[key] = (relations, [p for p in phrases if len(p[0]) > 1])
    return cached[1]


def _phrases(table: dict, kinds: tuple[str, ...]) -> list[tuple[list[str], str]]:
    """(tokens, kind) for each phrase of a language-file table whose kind is one of `kinds`, longest first; a phrase
    ending in a short preposition ("después de", "prima di") is also read without it ("después del")."""
    key = (id(table), kinds)
    cached = _PHRASES.get(key)
    if cached is not None and cached[0] is table:
        return cached[1]
    out: list[tuple[list[str], str]] = []
    own = {tuple(tokenize(p)) for p in table if isinstance(p, str)}
    for phrase, kind in table.items():
        if not isinstance(phrase, str) or phrase.startswith("_") or kind not in kinds:
            continue
        words = tokenize(phrase)
        if not words:
            continue
        out.append((words, kind))
        if len(words) >= 2 and len(words[-1]) <= 3 and len(words[-2]) >= 4 and tuple(words[:-1]) not in own:
            out.append((words[:-1], kind))
    out.sort(key=lambda p: -len(p[0]))
    _PHRASES[key] = (table, out)  # the table itself is kept, so its id is never reused while cached
    return out


def _spans(tokens: list[str], phrases: list[tuple[list[str], str]],
           taken: set[int] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each phrase found in the tokens, longest first, never overlapping each other nor the
    positions already `taken`."""
    taken = set(taken or ())
    found = []
    for words, kind in phrases:
        size = len(words)
        for k in range(len(tokens) - size + 1):
            if tokens[k:k + size] == words and not taken & set(range(k, k + size)):
                found.append((k, k + size, kind))
                taken |= set(range(k, k + size))
    return sorted(found)


def sequence_spans(tokens: list[str], sequence_words: dict, relations: dict | None = None) -> list[tuple[int, int, str]]:
    """(start, end, "next" | "previous") of each sequence phrase ("right after", "before") in the tokens, outside
    every relation phrase that holds one ("next to the aorta" is beside it, "direct boven L1" above it)."""
    phrases = _phrases(sequence_words, ("next", "previous"))
    sequence = _spans(tokens, phrases)
    if sequence and relations:  # (the relation phrases are many: searched only when a sequence word is there)
        beside = {k for a, b, _ in _spans(tokens, _relation_phrases(relations)) for k in range(a, b)}
        sequence = _spans(tokens, phrases, beside)
    return sequence


def find_call(items, tokens: list[str], ontology, sequence_words: dict, passage_words: dict,
              relations: dict | None = None, modifier=lambda token: False) -> TractCall | None:
    """The tract call the request makes, or None when it makes none that can be read whole: a sequence phrase
    ("right after") followed by a structure on a tract, or a passage phrase ("empties into") with the structure it
    is said of next to it. Every other structure the request names must be the kind asked for (a group: "the
    bowel segment ..."); a request that names another single structure is left to the other readers, and so is
    one whose structure modifies the word after it ("after the stomach surgery": `modifier` says which words)."""
    mentions = [i for i in items if i.term.kind in MENTION and str(i.term.value) in ontology]
    if not any(on_a_tract(ontology, str(i.term.value)) for i in mentions):
        return None
    sequence = sequence_spans(tokens, sequence_words, relations)
    passage = _spans(tokens, _phrases(passage_words, PASSAGE_KINDS))

    def after(end: int) -> object | None:
        return next((i for i in mentions if end <= i.start <= end + GAP), None)

    def before(start: int) -> object | None:
        # the structure is the verb's subject only right before it ("the stomach empties into"; "where food goes"
        # after the stomach is said of the food)
        return next((i for i in reversed(mentions) if start - GAP <= i.end <= start), None)

    call = None
    far_end = None
    for start, end, kind in sequence:
        anchor = after(end)
        # ("the next bowel segment downstream of the stomach": a kind after "next" is what is asked, no anchor)
        if anchor is not None and on_a_tract(ontology, str(anchor.term.value)) \
                and not ontology[str(anchor.term.value)].members:
            call = (anchor, kind, " ".join(tokens[start:end]))
            break
    for start, end, kind in passage if call is None else ():
        following, preceding = after(end), before(start)
        if kind == "between":
            second = after(following.end) if following is not None else None
            if second is not None and all(on_a_tract(ontology, str(i.term.value)) for i in (following, second)):
                call, far_end = (following, "between", " ".join(tokens[start:end])), second
        elif kind == "subject" and (preceding or following) is not None:
            near = following if following is not None else preceding
            if on_a_tract(ontology, str(near.term.value)):
                call = (near, "next", " ".join(tokens[start:end]))
        elif kind in ("into", "from") and following is not None \
                and on_a_tract(ontology, str(following.term.value)):
            call = (following, "previous" if kind == "into" else "next", " ".join(tokens[start:end]))
        elif kind in ("into", "onward") and preceding is not None and (following is None or kind == "onward") \
                and on_a_tract(ontology, str(preceding.term.value)):
            call = (preceding, "next", " ".join(tokens[start:end]))
        if call is not None:
            break
    if call is None:
        return None
    anchor, direction, phrase = call
    anchor_id = str(anchor.term.value)
    if anchor.end < len(tokens) and modifier(tokens[anchor.end]):
        return None  # "after the stomach resection": a time, not a place along the tract
    pool: list[str] = []
    for other in mentions:
        if other is anchor or other is far_end:
            continue
        concept = str(other.term.value)
        if not ontology[concept].members:
            return None  # another single structure is named: this is not (only) a tract call
        pool += [concept, *sorted(ontology.descendants(concept))]
    return TractCall(anchor=anchor_id, direction=direction, phrase=phrase, pool=list(dict.fromkeys(pool)),
                     far_end=str(far_end.term.value) if far_end is not None else None)


def downstream(ontology, concept_id: str) -> list[str]:
    """The structure and everything after it along its tract, in order ("the GI tract from the stomach onward")."""
    found, frontier = [concept_id], [concept_id]
    while frontier:
        frontier = [n for c in frontier for n in neighbours(ontology, c, "next") if n not in found]
        found += list(dict.fromkeys(frontier))
    return found


def stretch(ontology, start: str, end: str) -> list[str] | None:
    """The structures from one to the other along a tract, both ends included ("stomach to colon": the duodenum
    and the small bowel between them too), in either order; None when neither follows the other."""
    for first, last in ((start, end), (end, start)):
        after = downstream(ontology, first)
        if last in after or set(ontology.descendants(last)) & set(after):
            return [c for c in after if c == last or last in downstream(ontology, c)
                    or set(ontology.descendants(last)) & set(downstream(ontology, c))]
    return None


def runs_onward(item, tokens: list[str], onward_words: dict, in_named_tract: bool) -> bool:
    """Whether a structure's name is said to run on to the end of its tract: an "after" phrase right after it
    ("stomach onward", "dal stomaco in poi"); a "last" phrase right after it that ends the clause ("from the
    stomach on": "on the left" is a place); or, where the tract itself is named too, a "from" phrase right before
    it ("the GI tract starting at the stomach", "der Darm ab dem Duodenum"): a bare "from" is never enough ("the
    tube carrying urine from the kidney" is not the kidney onward)."""
    for start, end, kind in _spans(tokens, _phrases(onward_words, ("after", "last", "from"))):
        if kind == "from" and in_named_tract and item.start - GAP <= end <= item.start:
            return True
        if kind in ("after", "last") and item.end <= start <= item.end + GAP:
            ends_clause = end >= len(tokens) or not tokens[end].isalpha()
            if kind == "after" or ends_clause:
                return True
    return False


def along(ontology, evidence, anchor: str, direction: str, pool: list[str] | None = None) -> Finding:
    """Evaluate along(anchor, direction): one structure -> the answer (decide refuses it when absent), several
    (a tract that branches) -> a question among those present, none -> a refusal that says why."""
    where = "after" if direction == "next" else "before"
    found = neighbours(ontology, anchor, direction)
    if pool:
        outside = [c for c in found if c not in pool]
        found = [c for c in found if c in pool]
        if outside and not found:
            return Finding(why=[f"what lies {where} the {ontology[anchor].name} along its tract "
                                f"({', '.join(ontology[c].name for c in outside)}) is not of the kind named"],
                           margin="tract order")
    if not found:
        return Finding(why=[f"the ontology records nothing {where} the {ontology[anchor].name} along a tract"],
                       margin="tract order")
    if len(found) == 1:
        return Finding(ids=found, explicit=True, confidence=T.confidence.relation,
                       why=[f"the {ontology[found[0]].name} comes right {where} the {ontology[anchor].name} "
                            "along its tract (continues_into)"], margin="tract order")
    present = evidence.present
    shown = [c for c in found if present is None or c in present
             or any(d in present for d in ontology.descendants(c))]
    if not shown:
        return Finding(why=[f"the tract branches {where} the {ontology[anchor].name} "
                            f"({', '.join(ontology[c].name for c in found)}) and none of them is in this image"],
                       margin="tract order")
    return Finding(question=shown, why=[f"the tract branches {where} the {ontology[anchor].name}: "
                                        f"{', '.join(shown)}"], margin="tract branches")


def between(ontology, start: str, end: str, pool: list[str] | None = None) -> Finding | None:
    """"the bowel between the stomach and the jejunum", "the segment joining the stomach to the small bowel": the
    structures strictly inside the stretch of a tract from one to the other (their centroids may place a loop of
    colon between them); None when the two do not lie along one tract."""
    run = stretch(ontology, start, end)
    if run is None:
        return None
    ends = {start, end} | ontology.descendants(start) | ontology.descendants(end)
    inside = [c for c in run if c not in ends and not ends & ontology.descendants(c)]
    if pool:
        inside = [c for c in inside if c in pool]
    names = f"the {ontology[start].name} and the {ontology[end].name}"
    if not inside:
        return Finding(why=[f"nothing of the kind asked lies between {names} along their tract"], margin="tract order")
    if len(inside) > 1:  # "the gut between stomach and colon, the long twisty one": which of them is asked
        return Finding(question=inside, ranked=inside, margin="tract order",
                       why=[f"{', '.join(inside)} lie between {names} along their tract: which one is meant"])
    return Finding(ids=inside, explicit=True, confidence=T.confidence.relation, margin="tract order",
                   why=[f"the {ontology[inside[0]].name} lies between {names} along their tract (continues_into)"])
