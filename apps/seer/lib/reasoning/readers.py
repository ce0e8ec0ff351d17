"""Readers that answer from the image's evidence: relations between structures and order within a series.

Each reader is a small function over the scanned items and the evidence. It returns a `Finding` (the concepts it
settled on, or a question, with the numbers that decided), or None when the request is not of its kind. Words come
from the language files (`relations`, `level_words`, `from_end_words`, ...); geometry from `Evidence` in RAS mm,
so any image orientation gives the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..records import Evidence
from .normalize import tokenize
from .parse import Item

MENTION = ("concept", "singular")
AXIS = {"superior": (2, 1.0), "inferior": (2, -1.0), "anterior": (1, 1.0), "posterior": (1, -1.0), "left": (0, -1.0),
        "right": (0, 1.0)}
# A second candidate within this factor of the best one's distance makes the answer a question.
AMBIGUOUS_RATIO = 1.2
MIN_OFFSET_MM = 0.0  # a candidate must lie at least this far in the stated direction
BETWEEN_T = (0.05, 0.95)  # "between X and Y": the projection onto the segment X-Y falls inside it
CONFIDENCE_RELATION = 0.92
CONFIDENCE_SERIES = 0.95


@dataclass
class Finding:
    ids: list[str] = field(default_factory=list)  # the answer (present or not: decide checks presence)
    question: list[str] = field(default_factory=list)  # ask back among these
    why: list[str] = field(default_factory=list)
    confidence: float = CONFIDENCE_RELATION
    explicit: bool = True  # a named single structure: absence is a refusal


def _key(phrase: str) -> str:
    return " ".join(tokenize(phrase))


class Vocabulary:
    """The language files' relation and order words, keyed by their token text."""

    def __init__(self, language: dict):
        self.relations = {_key(k): v for k, v in language.get("relations", {}).items()}
        self.levels = {_key(w) for w in language.get("level_words", [])}
        self.from_end = {_key(k): v for k, v in language.get("from_end_words", {}).items()}
        self.penultimate = {_key(k): v for k, v in language.get("penultimate_words", {}).items()}
        self.thresholds = {_key(k): v for k, v in language.get("threshold_words", {}).items()}
        self.present = {_key(w) for w in language.get("present_words", [])}
        self.generic = {_key(w) for w in language.get("generic_heads", [])}
        self.categories = {_key(k): v for k, v in language.get("category_heads", {}).items()}
        self.parts = {_key(k): v for k, v in language.get("part_words", {}).items()}
        self.numbers = {_key(k): v for key in ("ordinals", "roman_numerals") for k, v in language.get(key, {}).items()}
        self.between = {_key(w) for w in language.get("between_words", [])}
        self.steps = language.get("series_step", {"superior": -1, "inferior": 1})

    def number(self, item: Item) -> int | None:
        if item.term.kind == "number":
            return int(item.term.value)
        return self.numbers.get(item.text)


def _centroid(evidence: Evidence, concept_id: str) -> np.ndarray:
    return np.array(evidence.present[concept_id].centroid_ras_mm, float)


def _point(evidence: Evidence, concept_id: str, part: list | None) -> np.ndarray:
    """The landmark's centroid, or one end of its extent ("the upper pole")."""
    point = _centroid(evidence, concept_id)
    extent = evidence.present[concept_id].extent_ras_mm
    if part and extent:
        axis = "xyz".index(part[0])
        if part[1] in ("max", "min"):
            point[axis] = extent[axis + 3] if part[1] == "max" else extent[axis]
    return point


def _side_offset(evidence: Evidence, x: float) -> float:
    """Signed distance from the midline: positive on the patient's right (RAS)."""
    return x - (evidence.midline_x_ras_mm or 0.0)


def spatial(relation: str, landmarks: list[str], pool: list[str], evidence: Evidence, ontology,
            part: list | None = None) -> Finding:
    """Among `pool` (present structures), the one in `relation` to the landmark(s), nearest first."""
    present = evidence.present or {}
    landmarks = [l for l in landmarks if l in present]
    if not landmarks:
        return Finding(why=["the landmark is not in this image"])
    pool = [c for c in pool if c in present and c not in landmarks]
    names = ", ".join(landmarks)
    scored: list[tuple[float, str, str]] = []
    if relation == "between" and len(landmarks) >= 2:
        a, b = _centroid(evidence, landmarks[0]), _centroid(evidence, landmarks[1])
        span = b - a
        for c in pool:
            p = _centroid(evidence, c)
            t = float(np.dot(p - a, span) / max(np.dot(span, span), 1e-6))
            if BETWEEN_T[0] < t < BETWEEN_T[1]:
                distance = float(np.linalg.norm(p - (a + t * span)))
                scored.append((distance, c, f"{c} lies between them (t = {t:.2f}, {distance:.0f} mm off the line)"))
    else:
        anchor = landmarks[0]
        origin = _point(evidence, anchor, part)
        touching = set(present[anchor].touches)
        for c in pool:
            p = _centroid(evidence, c)
            distance = float(np.linalg.norm(p - origin))
            if relation in AXIS:
                axis, sign = AXIS[relation]
                offset = sign * (p[axis] - origin[axis])
                if offset <= MIN_OFFSET_MM:
                    continue
                why = f"{c}: {'xyz'[axis]} {p[axis]:.0f} vs {anchor} {origin[axis]:.0f} mm, {distance:.0f} mm away"
            elif relation in ("medial", "lateral"):
                mine, theirs = _side_offset(evidence, p[0]), _side_offset(evidence, origin[0])
                same_side = mine * theirs > 0
                closer = abs(mine) < abs(theirs)
                if not same_side and relation == "lateral" or (relation == "medial") != closer:
                    continue
                if relation == "lateral" and not same_side:
                    continue
                why = f"{c}: {abs(mine):.0f} mm from the midline vs {anchor} {abs(theirs):.0f} mm, {distance:.0f} mm away"
            elif relation == "contact":
                if touching and c not in touching:
                    continue
                why = f"{c} {'touches' if c in touching else 'is near'} {anchor}, centroids {distance:.0f} mm apart"
            elif relation in ("same_side", "opposite_side"):
                mine, theirs = _side_offset(evidence, p[0]), _side_offset(evidence, origin[0])
                if (mine * theirs > 0) != (relation == "same_side"):
                    continue
                why = f"{c}: x {p[0]:.0f} mm, {anchor} x {origin[0]:.0f} mm (midline {evidence.midline_x_ras_mm})"
            elif relation == "around":
                extent = present[c].extent_ras_mm
                if not extent or not all(extent[k] <= origin[k] <= extent[k + 3] for k in range(3)):
                    continue
                why = f"{c}'s extent encloses {anchor}'s centre"
            else:
                continue
            # Structures in contact with the landmark come first: adjacency is what "behind the pancreas" means.
            scored.append((distance * (0.6 if c in touching else 1.0), c, why))
    if not scored:
        return Finding(why=[f"no structure of the kind asked lies {relation} {names} in this image"])
    scored.sort()
    best = scored[0]
    rivals = [s for s in scored[1:] if s[0] <= best[0] * AMBIGUOUS_RATIO]
    if rivals:
        return Finding(question=[best[1]] + [r[1] for r in rivals[:2]],
                       why=[best[2]] + [r[2] for r in rivals[:2]] + ["these fit about equally"])
    runner = f"; next {scored[1][2]}" if len(scored) > 1 else ""
    return Finding(ids=[best[1]], why=[f"{relation} {names}: {best[2]}{runner}"])


def series_members(ontology, series: str, side: str | None) -> list:
    return sorted((c for c in ontology.concepts.values() if c.series == series and not c.members
                   and (side is None or c.laterality == side)), key=lambda c: c.order)


def series_step(landmark: str, relation: str, count: int, ontology, evidence: Evidence,
                vocabulary: Vocabulary, in_vocabulary: set[str]) -> Finding | None:
    """"one level above L2", "the rib under the left eighth": `count` steps along the landmark's series."""
    concept = ontology[landmark]
    if not concept.series or relation not in vocabulary.steps:
        return None
    members = [c for c in series_members(ontology, concept.series, concept.laterality)
               if c.id in in_vocabulary or not in_vocabulary]
    orders = [c.order for c in members]
    if concept.order not in orders:
        return None
    position = orders.index(concept.order) + vocabulary.steps[relation] * count
    if not 0 <= position < len(members):
        return Finding(why=[f"{count} level(s) {relation} {landmark} leaves the {concept.series} series"])
    target = members[position].id
    where = ""
    if evidence.present and landmark in evidence.present and target in evidence.present:
        where = (f" (z = {evidence.present[target].centroid_ras_mm[2]:.0f} vs "
                 f"{evidence.present[landmark].centroid_ras_mm[2]:.0f} mm)")
    return Finding(ids=[target], confidence=CONFIDENCE_SERIES,
                   why=[f"{target} is {count} level(s) {relation} {landmark} in the {concept.series} series{where}"])


def series_between(first: str, second: str, ontology, in_vocabulary: set[str]) -> Finding | None:
    a, b = ontology[first], ontology[second]
    if not a.series or a.series != b.series:
        return None
    low, high = sorted((a.order, b.order))
    ids = [c.id for c in series_members(ontology, a.series, a.laterality or b.laterality)
           if low < c.order < high and (c.id in in_vocabulary or not in_vocabulary)]
    if not ids:
        return Finding(why=[f"nothing lies between {first} and {second} in the {a.series} series"])
    return Finding(ids=ids, confidence=CONFIDENCE_SERIES, explicit=len(ids) == 1,
                   why=[f"{', '.join(ids)} lie(s) between {first} and {second} (orders {low} < n < {high})"])


def pick_ordinal(pool: list, evidence: Evidence, end: str | None, offset: int, threshold: tuple[str, int] | None,
                 present_only: bool) -> tuple[list[str], str]:
    """Members of a series by position: from one end (`offset` 0 is the end itself), or by number threshold.

    Args:
        pool: concepts of one series (already filtered by group and side), any order.
        end: "first" (top) or "last" (bottom), or None.
        present_only: count only what this image shows ("the topmost lumbar vertebra shown").
    """
    anatomical = sorted(pool, key=lambda c: c.order)
    numbered = {c.id: k + 1 for k, c in enumerate(anatomical)}
    present = evidence.present
    if threshold is not None:
        comparison, number = threshold
        test = {"ge": lambda n: n >= number, "le": lambda n: n <= number, "gt": lambda n: n > number,
                "lt": lambda n: n < number}[comparison]
        ids = [c.id for c in anatomical if test(numbered[c.id])]
        return ids, f"numbered {comparison} {number}: {', '.join(ids) or 'none'}"
    ordered = anatomical if end == "first" else anatomical[::-1]
    if present is not None:
        shown = [c for c in ordered if c.id in present]
        end_absent = bool(ordered) and ordered[0].id not in present
        if (present_only or end_absent) and shown:
            ordered = shown
    if offset >= len(ordered):
        return [], f"there are only {len(ordered)}"
    chosen = ordered[offset]
    where = ""
    if present is not None and chosen.id in present:
        where = f" (z = {present[chosen.id].centroid_ras_mm[2]:.0f} mm)"
    counted = "present in this image" if present is not None and all(c.id in present for c in ordered) else "in the series"
    return [chosen.id], f"{chosen.id} is number {offset + 1} from the {'top' if end == 'first' else 'bottom'} of those {counted}{where}"
