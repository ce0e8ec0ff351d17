"""Stage 3, ground: turn each parsed mention into ontology concepts, using its side, numbers and range."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .parse import Mention
from .thresholds import T

# Confidence lost when the words fight each other ("left kidney (R)") or a side is said of an unpaired organ.
PENALTY_SIDE_CONFLICT = T.penalty.side_conflict
PENALTY_SIDE_IGNORED = T.penalty.side_ignored


@dataclass
class Grounding:
    """What one mention resolves to before the image is consulted."""

    mention: Mention
    ids: list[str] = field(default_factory=list)  # concepts asked for (may be groups)
    options: list[str] = field(default_factory=list)  # a side or number was needed: the alternatives
    explicit: bool = True  # a single named structure (absence is an error), not a group or range
    rule: str = ""
    penalty: float = 0.0  # how much less sure this reading is than an exact lexicon hit
    # a side said of an unpaired structure ("the right spleen"): the image decides whether it is merely
    # redundant (the spleen does lie on the left) or contradicts where the structure lies
    ignored_side: str | None = None


def _top_lateral(ontology, concept_id: str, side: str) -> list[str]:
    """The highest concepts under `concept_id` on `side` ("left lung" -> lung_left, not its lobes)."""
    found: list[str] = []
    for member in ontology[concept_id].members:
        if ontology[member].laterality == side:
            found.append(member)
        elif ontology[member].laterality is None:
            found.extend(_top_lateral(ontology, member, side))
    return found


def _series_members(ontology, concept_id: str) -> list[str]:
    return [c for c in sorted(ontology.descendants(concept_id)) if ontology[c].series and ontology[c].order]


def _options(ontology, concept_id: str) -> list[str]:
    """What a bare singular noun may mean: one side of a pair group ("kidney"), else any structure of the group
    ("vein")."""
    members = [ontology[m] for m in ontology[concept_id].members]
    if members and all(m.laterality in ("left", "right") for m in members):
        return [m.id for m in members]
    return sorted(d for d in ontology.descendants(concept_id) if not ontology[d].members)


def _pick_in_series(ontology, pool: list[str], numbers: list[int], extreme: str | None) -> list[str]:
    """Members of a series by number ("ribs 10-12"), by position ("the first lumbar vertebra"), or at an end
    ("the lowest rib")."""
    orders = sorted({ontology[c].order for c in pool})
    if extreme:
        wanted = {orders[-1] if extreme == "last" else orders[0]}
    else:  # numbers count within the group: the 11th thoracic vertebra is T11, the 10th left rib is rib 10
        wanted = {orders[n - 1] for n in numbers if 0 < n <= len(orders)}
    return [c for c in pool if ontology[c].order in wanted]


def ground_mention(mention: Mention, ontology) -> Grounding:
    concept = ontology[mention.concept]
    side = mention.side
    if side == "both" and len(said := mention.sides - {"both"}) == 1 and concept.members \
            and len(_top_lateral(ontology, concept.id, next(iter(said)))) == 2:
        side = next(iter(said))  # "both floating ribs on the right": "both" counts the two of that side
    g = Grounding(mention=mention, rule=f'"{mention.text}" -> {concept.id} ({mention.source})')

    if mention.range_end is not None:
        start = ground_mention(replace(mention, range_end=None), ontology)
        end = ground_mention(mention.range_end, ontology)
        ends = [ontology[c] for c in (*start.ids, *end.ids)]
        if len(start.ids) == len(end.ids) == 1 and ends[0].series and ends[0].series == ends[1].series:
            low, high = sorted((ends[0].order, ends[1].order))
            sides = {side} if side in ("left", "right") else {c.laterality for c in ends} - {None}
            g.ids = [c.id for c in sorted(ontology.concepts.values(), key=lambda c: c.order or 0)
                     if c.series == ends[0].series and not c.members and low <= (c.order or 0) <= high
                     and (not sides or c.laterality in sides)]
            g.explicit = False
            g.rule = f'range "{mention.text}" .. "{mention.range_end.text}": {ends[0].id} to {ends[1].id}'
            return g
        # Not a range within one series: both ends are simply asked for.
        start.ids += end.ids
        start.options += end.options
        start.explicit = start.explicit and end.explicit
        return start

    pool = _series_members(ontology, concept.id) if (mention.numbers or mention.extreme) else []
    if side in ("left", "right"):
        pool = [c for c in pool if ontology[c].laterality in (side, None)]
    if pool:
        chosen = _pick_in_series(ontology, pool, mention.numbers, mention.extreme)
        lateral = {ontology[c].laterality for c in chosen} - {None}
        if mention.form == "singular" and side is None and len(lateral) > 1:
            g.options, g.rule = chosen, f'"{mention.text}" {mention.numbers or mention.extreme}: side not given'
            return g
        g.ids, g.explicit = chosen, len(chosen) == 1
        g.rule = f'"{mention.text}" {mention.extreme or mention.numbers}' + (f", {side}" if side else "")
        return g

    if side in ("left", "right"):
        if concept.laterality == side:
            g.ids, g.explicit = [concept.id], not concept.members
            return g
        if concept.laterality and concept.laterality != side:
            # "left kidney (R)": the words contradict each other, so ask.
            g.options = [c for c in (concept.id, concept.pair) if c]  # a lateral concept may have no pair
            g.rule = f'"{mention.text}" contradicts side "{side}"'
            g.penalty = PENALTY_SIDE_CONFLICT
            return g
        lateral = _top_lateral(ontology, concept.id, side) if concept.members else []
        if mention.form == "singular" and len(lateral) == 1 and (numbered := _series_members(ontology, lateral[0])):
            # "la costilla izquierda": one rib of the left ones, not all of them ("the left lung" is one lung whole:
            # its lobes are not a numbered series)
            g.options, g.rule = numbered, f'"{mention.text}" + side {side} names one of {len(numbered)} without saying which'
            return g
        if mention.form == "singular" and len(lateral) > 1 and not any(ontology[c].members for c in lateral) \
                and all(ontology[c].laterality for c in ontology.descendants(concept.id) if not ontology[c].members):
            # "the right floating rib", "the left lung lobe": one of the structures on that side, not all of them
            # (a kind with midline members, "the vessel to its right", is placed by its relation instead)
            g.options, g.rule = lateral, f'"{mention.text}" + side {side} names one of {len(lateral)} without saying which'
            return g
        if lateral:
            g.ids = lateral
            g.explicit = mention.form == "singular" and len(lateral) == 1 and not ontology[lateral[0]].members
            g.rule = f'"{mention.text}" + side {side} -> {", ".join(lateral)}'
            return g
        g.ids, g.penalty, g.ignored_side = [concept.id], PENALTY_SIDE_IGNORED, side
        g.rule += f'; side "{side}" does not apply and was ignored'
        return g

    if side == "both" and not concept.pair and not concept.members and not concept.laterality:
        # "the left and right stomach": a single structure has no two sides (but "both the liver and the spleen"
        # says "both" of a list: the lexicon reader tells them apart by what else is asked)
        g.ids, g.ignored_side = [concept.id], "both"
        return g
    if side == "both":
        g.ids = [concept.id, concept.pair] if concept.pair and not concept.members else [concept.id]
        g.explicit = False
        return g

    if mention.form == "singular":
        options = _options(ontology, concept.id)
        g.options, g.rule = options, f'"{mention.text}" names one of {len(options)} without saying which'
        return g

    g.ids = [concept.id]
    g.explicit = not concept.members
    return g
