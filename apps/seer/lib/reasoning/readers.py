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
from .thresholds import T

MENTION = ("concept", "singular")
# A relation read the other way round, for a landmark said before the relation word ("the organ the gallbladder
# is tucked underneath": the organ is above the gallbladder). What a landmark wraps around lies within it: the
# one-landmark "between" ("the organ the duodenum curves around": within the duodenum's extent, touching it).
INVERSE = {"superior": "inferior", "inferior": "superior", "anterior": "posterior", "posterior": "anterior",
           "left": "right", "right": "left", "medial": "lateral", "lateral": "medial", "around": "between",
           "inside": "around"}
INVERSE |= {f"{a}_contact": f"{b}_contact" for a, b in list(INVERSE.items()) if a in ("superior", "inferior", "anterior",
                                                                                 "posterior", "left", "right")}
AXIS = {"superior": (2, 1.0), "inferior": (2, -1.0), "anterior": (1, 1.0), "posterior": (1, -1.0), "left": (0, -1.0),
        "right": (0, 1.0)}
# The numbers that decide (margins, ratios, tolerances) live in thresholds.json, commented there.
AMBIGUOUS_RATIO = T.relation.ambiguous_ratio
RELATION_MARGIN_MM = T.relation.margin_mm
MIN_OFFSET_MM = T.relation.min_offset_mm
MIDLINE_MM = T.midline_tolerance_mm
MIN_DIRECTION_COSINE = T.relation.min_direction_cosine
STACKED_OVERLAP = T.relation.stacked_overlap
BETWEEN_T = tuple(T.relation.between_t)
CONTACT_BONUS = T.relation.contact_bonus
OBLIQUE_RATIO = T.relation.oblique_ratio
SIDEWAYS_SQUARE = T.relation.sideways_square_cosine
SIDEWAYS_RIVAL = T.relation.sideways_rival_cosine
CONFIDENCE_OBLIQUE = T.confidence.oblique
CONFIDENCE_RELATION = T.confidence.relation
CONFIDENCE_SERIES = T.confidence.series
COMPARE_MARGIN_MM = T.compare.margin_mm
COMPARE_IGNORE_MM = T.compare.ignore_mm
COMPARE_VOLUME_RATIO = T.compare.volume_ratio
COMPARE_DISTANCE_RATIO = T.compare.distance_ratio
COMPARE_DISTANCE_MM = T.compare.distance_mm
CONFIDENCE_COMPARATIVE = T.confidence.comparative


@dataclass
class Finding:
    ids: list[str] = field(default_factory=list)  # the answer (present or not: decide checks presence)
    question: list[str] = field(default_factory=list)  # ask back among these
    why: list[str] = field(default_factory=list)
    confidence: float = CONFIDENCE_RELATION
    explicit: bool = True  # a named single structure: absence is a refusal
    ranked: list[str] = field(default_factory=list)  # every candidate that fits the relation, best first
    margin: str = ""  # by how much the answer beat the next candidate (or why none did)


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
        self.plural_heads = {_key(w) for w in language.get("plural_heads", [])}
        self.body = {_key(w) for w in language.get("body_words", [])}
        self.side_nouns = {_key(w) for w in language.get("side_nouns", [])}
        self.side_lead = {_key(w) for w in language.get("side_lead_words", [])}
        self.pronouns = [_key(w) for w in language.get("pronouns", [])]
        self.comparatives = {_key(k): v for k, v in language.get("comparatives", {}).items()}
        followers = {_key(w) for w in language.get("comparison_followers", [])}
        for phrase in map(_key, language.get("series_extremes", {})):
            # "le plus bas de": an end word the lexicon holds with its "of" compares as its stem does
            stem, _, last = phrase.rpartition(" ")
            if last in followers and stem in self.comparatives:
                self.comparatives.setdefault(phrase, self.comparatives[stem])
        self.reach = {_key(w) for w in language.get("reach_words", [])}
        self.cardinals = {_key(w) for w in language.get("cardinals", [])}
        self.sizes = {_key(k): v for k, v in language.get("size_words", {}).items() if not k.startswith("_")}

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


def _spans_midline(evidence: Evidence, extent) -> bool:
    """Whether a structure lies as much across the midline as on one side of it (the colon, the small bowel): its
    centroid may fall on one side, but it has no side (`relation.midline_span_*`)."""
    if not extent:
        return False
    low, high = _side_offset(evidence, extent[0]), _side_offset(evidence, extent[3])
    across = min(max(0.0, -low), max(0.0, high))
    return across >= T.relation.midline_span_mm and across >= T.relation.midline_span_fraction * (high - low)


def _union(evidence: Evidence, parts: list[str]):
    """A group landmark ("the spine") as one structure: volume-weighted centroid, joint extent, joint contacts."""
    from ..records import PresentStructure

    present = evidence.present
    volumes = np.array([present[c].volume_ml for c in parts], float)
    centroid = (np.array([present[c].centroid_ras_mm for c in parts], float) * volumes[:, None]).sum(0) / volumes.sum()
    extents = [present[c].extent_ras_mm for c in parts if present[c].extent_ras_mm]
    extent = (tuple(min(e[k] for e in extents) for k in range(3)) + tuple(max(e[k] for e in extents) for k in range(3, 6))
              if extents else None)
    touches = sorted({t for c in parts for t in present[c].touches} - set(parts))
    near = sorted({t for c in parts for t in present[c].near} - set(parts))
    return PresentStructure(id="+".join(parts), voxels=sum(present[c].voxels for c in parts),
                            volume_ml=float(volumes.sum()), centroid_ras_mm=tuple(float(v) for v in centroid),
                            extent_ras_mm=extent, touches=touches, near=near)


def _stacked(extent: list | None, other: list | None, axis: int) -> bool:
    """Two extents overlap across the two axes other than `axis` by at least STACKED_OVERLAP of the narrower."""
    if not extent or not other:
        return False
    for k in range(3):
        if k == axis:
            continue
        overlap = min(extent[k + 3], other[k + 3]) - max(extent[k], other[k])
        narrower = min(extent[k + 3] - extent[k], other[k + 3] - other[k])
        if narrower <= 0 or overlap < STACKED_OVERLAP * narrower:
            return False
    return True


def _overlap(extent: list, other: list, axis: int) -> float:
    """The share of the narrower extent along `axis` that the two extents have in common."""
    overlap = min(extent[axis + 3], other[axis + 3]) - max(extent[axis], other[axis])
    narrower = min(extent[axis + 3] - extent[axis], other[axis + 3] - other[axis])
    return max(0.0, overlap) / narrower if narrower > 0 else 0.0


def _beside(offset: np.ndarray, extent: list | None, other: list | None) -> float:
    """How squarely a structure lies beside the landmark, 0..1: the sideways share of its offset in the axial
    plane, when the two lie at one level (their heights overlap) and side by side (their left-right extents do
    not mostly overlap: the portal-splenic confluence spans the aorta from side to side, so it is not "to the
    right of" it, whatever its centroid says); 0 otherwise."""
    if not extent or not other or _overlap(extent, other, 2) < STACKED_OVERLAP \
            or _overlap(extent, other, 0) >= STACKED_OVERLAP:
        return 0.0
    return abs(float(offset[0])) / max(float(np.hypot(offset[0], offset[1])), 1e-6)


def spatial(relation: str, landmarks: list[str], pool: list[str], evidence: Evidence, ontology,
            part: list | None = None, groups: dict[str, list[str]] | None = None) -> Finding:
    """Among `pool` (present structures), the one in `relation` to the landmark(s), nearest first.

    Args:
        groups: landmarks that are groups, with their present parts: each is read as the union of its parts.
    """
    if relation.endswith("_contact"):
        # "the vein along the back of the pancreas": next to it, among those on that side of its centre; where
        # nothing on that side touches it (a group landmark, whose parts' contacts the map does not join: "the
        # muscle along the front of the lumbar spine"), the side alone
        direction = relation.removesuffix("_contact")
        found = spatial("contact", landmarks, _on_side_of(direction, landmarks, pool, evidence, groups), evidence,
                        ontology, part, groups)
        if found.ids or found.question:
            return found
        return spatial(direction, landmarks, pool, evidence, ontology, part, groups)
    groups = {g: parts for g, parts in (groups or {}).items() if parts}
    if relation == "between" and len(landmarks) == 1 and len(groups.get(landmarks[0], ())) == 2:
        # "both kidneys and the big artery between them": between the two of a pair, as between two landmarks
        # (not within a group's extent, touching its parts: "the discs between the vertebral bodies")
        landmarks = list(groups.pop(landmarks[0]))
    if groups:
        present = dict(evidence.present or {})
        for group, parts in groups.items():
            present[group] = _union(evidence, parts)
        evidence = evidence.model_copy(update={"present": present})
    present = evidence.present or {}
    landmarks = [l for l in landmarks if l in present]
    if not landmarks:
        return Finding(why=["the landmark is not in this image"])
    # (a group landmark's own parts are no candidates: "in front of the back muscles" is not one back muscle)
    parts_of_landmarks = {p for parts in groups.values() for p in parts}
    pool = [c for c in pool if c in present and c not in landmarks and c not in parts_of_landmarks]
    names = ", ".join(landmarks)
    scored: list[tuple[float, str, str, float]] = []
    # Filled by the one-landmark branch only; every later line reads them, so both branches start from empty.
    oblique: list[tuple[float, str]] = []  # in the direction asked, but mostly off to one side
    touching: set[str] = set()
    near: set[str] = set()
    square: dict[str, float] = {}  # left/right: the sideways share of each candidate's offset, 0 when off the level
    beside: dict[str, float] = {}  # the same for "next to" where nothing of the kind touches the landmark
    if relation == "inside" or relation == "between" and len(landmarks) == 1:
        # "the discs between the vertebral bodies", "the cord inside the spine": inside the landmark's extent and
        # touching it (near is not enough: the aorta and the psoas lie near the spine's box, not in it)
        union = present[landmarks[0]]
        inside = [c for c in pool if union.extent_ras_mm and c in union.touches and all(
            union.extent_ras_mm[k] <= present[c].centroid_ras_mm[k] <= union.extent_ras_mm[k + 3] for k in range(3))]
        if len(inside) == 1:
            return Finding(ids=inside, why=[f"{inside[0]} lies within {landmarks[0]}'s extent and touches it"])
        if inside:
            return Finding(question=inside[:3], why=[f"{', '.join(inside)} all lie between the parts of {landmarks[0]}"])
        return Finding(why=[f"nothing of the kind asked lies between the parts of {landmarks[0]}"])
    if relation == "between" and len(landmarks) >= 2:
        a, b = _centroid(evidence, landmarks[0]), _centroid(evidence, landmarks[1])
        span = b - a
        for c in pool:
            p = _centroid(evidence, c)
            t = float(np.dot(p - a, span) / max(np.dot(span, span), 1e-6))
            if BETWEEN_T[0] < t < BETWEEN_T[1]:
                distance = float(np.linalg.norm(p - (a + t * span)))
                scored.append((distance, c, f"{c} lies between them (t = {t:.2f}, {distance:.0f} mm off the line)",
                               distance))
    else:
        anchor = landmarks[0]
        origin = _point(evidence, anchor, part)
        if relation in ("same_side", "opposite_side") and (abs(_side_offset(evidence, origin[0])) < MIDLINE_MM
                                                           or _spans_midline(evidence, present[anchor].extent_ras_mm)):
            # "the kidney on the same side as the spine": a landmark on the midline has no side to share
            return Finding(why=[f"{anchor} lies on or across the midline ({origin[0]:.0f} mm, midline "
                                f"{evidence.midline_x_ras_mm}): it has no side"])
        side = ontology[anchor].laterality if anchor in ontology.concepts else None
        if relation in ("superior", "inferior", "anterior", "posterior") and side in ("left", "right"):
            # "the gland above the left kidney": a paired structure of the other side is never above, below, in
            # front of or behind a structure of this side, however near its centroid lies
            pool = [c for c in pool if c not in ontology.concepts or ontology[c].laterality in (side, None)]
        touching = set(present[anchor].touches)
        near = set(present[anchor].near)
        for c in pool:
            p = _centroid(evidence, c)
            distance = float(np.linalg.norm(p - origin))
            if relation in AXIS:
                axis, sign = AXIS[relation]
                offset = sign * (p[axis] - origin[axis])
                if offset <= MIN_OFFSET_MM:
                    continue
                if offset < MIN_DIRECTION_COSINE * distance and not (
                        c in touching and _stacked(present[c].extent_ras_mm, present[anchor].extent_ras_mm, axis)):
                    oblique.append((distance * (CONTACT_BONUS if c in touching else 1.0), c))  # mostly off to one side: not an answer, but maybe a rival
                    continue
                why = f"{c}: {'xyz'[axis]} {p[axis]:.0f} vs {anchor} {origin[axis]:.0f} mm, {distance:.0f} mm away"
                if axis == 0:
                    square[c] = _beside(p - origin, present[c].extent_ras_mm, present[anchor].extent_ras_mm)
            elif relation in ("medial", "lateral"):
                mine, theirs = _side_offset(evidence, p[0]), _side_offset(evidence, origin[0])
                same_side = mine * theirs > 0
                closer = abs(mine) < abs(theirs)
                on_midline = abs(mine) < MIDLINE_MM
                if not (same_side or (relation == "medial" and on_midline)) or (relation == "medial") != closer:
                    continue
                if relation == "lateral" and (not same_side or _spans_midline(evidence, present[c].extent_ras_mm)):
                    continue  # (the colon's centroid has a side, but the colon is not "lateral to the stomach")
                if abs(abs(mine) - abs(theirs)) < MIN_DIRECTION_COSINE * distance:
                    # "lateral to the left kidney": mostly above or in front of it, only a little farther out, is
                    # off to one side, as for "above" (the lung base is not lateral to the kidney; the spleen is)
                    oblique.append((distance * (CONTACT_BONUS if c in touching else 1.0), c))
                    continue
                why = f"{c}: {abs(mine):.0f} mm from the midline vs {anchor} {abs(theirs):.0f} mm, {distance:.0f} mm away"
            elif relation == "contact":
                if not (touching | near) & set(pool):
                    # a map that draws fat planes (MR) shows no contact at all for the kind asked: "next to" is
                    # then the nearest, by centroid, and the margin rules below still make a close call a question
                    why = f"{c}: nothing of the kind touches {anchor}; centroids {distance:.0f} mm apart"
                    beside[c] = _beside(p - origin, present[c].extent_ras_mm, present[anchor].extent_ras_mm)
                elif c not in touching and not (c in near and not touching & set(pool)):
                    continue  # touching first; on a coarse map, near when nothing of the kind touches
                else:
                    why = f"{c} {'touches' if c in touching else 'is near'} {anchor}, centroids {distance:.0f} mm apart"
            elif relation in ("same_side", "opposite_side"):
                mine, theirs = _side_offset(evidence, p[0]), _side_offset(evidence, origin[0])
                if (mine * theirs > 0) != (relation == "same_side") or abs(mine) < MIDLINE_MM \
                        or _spans_midline(evidence, present[c].extent_ras_mm):
                    continue  # (a candidate on the midline is on neither side: "the vertebrae on the liver's side")
                why = f"{c}: x {p[0]:.0f} mm, {anchor} x {origin[0]:.0f} mm (midline {evidence.midline_x_ras_mm})"
            elif relation == "around":
                extent = present[c].extent_ras_mm
                if not extent or not all(extent[k] <= origin[k] <= extent[k + 3] for k in range(3)):
                    continue
                why = f"{c}'s extent encloses {anchor}'s centre"
                # the snuggest wrapping first: the colon's extent encloses most of the abdomen, the duodenum's
                # C-loop only the pancreatic head ("the bowel curving around the pancreas"); the size of the box
                # stands for the distance
                distance = float(np.prod(np.subtract(extent[3:], extent[:3]))) ** (1 / 3)
            else:
                continue
            # Structures in contact with the landmark come first: adjacency is what "behind the pancreas" means.
            scored.append((distance * (CONTACT_BONUS if c in touching else 1.0), c, why, distance))
    if not scored and relation in AXIS and oblique:
        near = [c for _, c in sorted(oblique)[:3]]
        ordered = sorted(oblique)
        if len(ordered) == 1 or ordered[1][0] >= ordered[0][0] * OBLIQUE_RATIO:
            # "the kidney tucked under the liver": nothing lies squarely below, but one candidate is clearly the
            # nearest of those that lie below at all; an answer, kept below the sure band
            margin = (f"next {ordered[1][1]} {ordered[1][0]:.0f} vs {ordered[0][0]:.0f} (x{ordered[1][0] / max(ordered[0][0], 1e-6):.2f})"
                      if len(ordered) > 1 else "the only candidate")
            return Finding(ids=[ordered[0][1]], ranked=[c for _, c in ordered], confidence=CONFIDENCE_OBLIQUE,
                           why=[f"nothing lies squarely {relation} {names}; {ordered[0][1]} is clearly the nearest of "
                                f"those that lie {relation} of it at all"], margin=margin)
        return Finding(question=near, ranked=near,
                       why=[f"nothing lies squarely {relation} {names}; {', '.join(near)} lie obliquely so"])
    if not scored:
        return Finding(why=[f"no structure of the kind asked lies {relation} {names} in this image"])
    if any(v >= SIDEWAYS_SQUARE for v in square.values()):
        # "the vein to the right of the aorta": one squarely beside it at its level answers; one a little nearer
        # that lies mostly in front of it, or spans it from side to side, is neither an answer nor a rival
        scored = [s for s in scored if square.get(s[1], 0.0) >= SIDEWAYS_RIVAL]
        oblique = []
    scored.sort()
    ranked = [s[1] for s in scored]
    best = scored[0]
    # A rival: close to the winner by score (contact counts) or by plain distance, or a structure lying nearer
    # that is only obliquely in the direction asked.
    rivals = [s for s in scored[1:] if s[0] <= best[0] * AMBIGUOUS_RATIO or s[0] - best[0] < RELATION_MARGIN_MM
              or s[3] <= best[3] * AMBIGUOUS_RATIO]
    if relation == "contact":
        # every structure that touches the landmark is "next to" it, however far apart the centroids are
        rivals += [s for s in scored[1:] if s not in rivals and s[1] in touching and best[1] in touching]
        # ... and where nothing of the kind touches it (fat planes on MR), every one near it: the centroid of a
        # long loop of bowel says little about which loop lies against it
        if not touching & set(pool):
            rivals += [s for s in scored[1:] if s not in rivals and s[1] in near and best[1] in near]
    rivals += [(d, c, f"{c} lies {d:.0f} mm away, but mostly off to one side", d)
               for d, c in sorted(oblique) if d < best[3] or c in touching]
    ranked += [c for _, c in sorted(oblique)]
    if rivals and (squarely := _squarely_beside([best[1]] + [r[1] for r in rivals], beside)) is not None:
        # "the vein next to the aorta" on a map with fat planes: of candidates about as near, the one lying squarely
        # beside it at its level (the IVC; the portal confluence spans it in front) is next to it as "beside" means
        return Finding(ids=[squarely], ranked=ranked, confidence=CONFIDENCE_OBLIQUE,
                       why=[best[2]] + [r[2] for r in rivals[:2]] + [f"{squarely} alone lies squarely beside {names}"],
                       margin=", ".join(f"{c} {beside.get(c, 0.0):.2f} sideways" for c in [best[1]] + [r[1] for r in rivals]))
    if rivals:
        return Finding(question=[best[1]] + [r[1] for r in rivals[:2]], ranked=ranked,
                       why=[best[2]] + [r[2] for r in rivals[:2]] + ["these fit about equally"])
    runner = f"; next {scored[1][2]}" if len(scored) > 1 else ""
    margin = (f"next {scored[1][1]} scores {scored[1][0]:.0f} vs {best[0]:.0f} (x{scored[1][0] / max(best[0], 1e-6):.2f},"
              f" +{scored[1][0] - best[0]:.0f} mm)") if len(scored) > 1 else "the only candidate"
    return Finding(ids=[best[1]], ranked=ranked, why=[f"{relation} {names}: {best[2]}{runner}"], margin=margin)


def _on_side_of(direction: str, landmarks: list[str], pool: list[str], evidence: Evidence,
                groups: dict[str, list[str]] | None) -> list[str]:
    """The candidates whose centre lies on `direction`'s side of the (first, whole) landmark's centre."""
    present = evidence.present or {}
    if not landmarks or landmarks[0] not in present or (groups or {}).get(landmarks[0]):
        return []
    axis, sign = AXIS[direction]
    origin = _centroid(evidence, landmarks[0])
    return [c for c in pool if c in present and sign * (_centroid(evidence, c)[axis] - origin[axis]) > 0]


def _squarely_beside(candidates: list[str], beside: dict[str, float]) -> str | None:
    """The one candidate squarely beside the landmark (`SIDEWAYS_SQUARE`) where every other is not even a rival
    by that measure (`SIDEWAYS_RIVAL`), else None."""
    square = [c for c in candidates if beside.get(c, 0.0) >= SIDEWAYS_SQUARE]
    if len(square) != 1 or any(beside.get(c, 0.0) >= SIDEWAYS_RIVAL for c in candidates if c != square[0]):
        return None
    return square[0]


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


def _cut_alike(pool: list[str], kind: str, sign: float, present: dict) -> bool:
    """Whether every candidate reaches the scan's face in the direction asked and ends there at the same place
    ("the kidney that reaches lower" on an MR that cuts both kidneys): those ends are the scan's, not theirs."""
    if kind not in ("x", "y", "z"):
        return False
    axis = "xyz".index(kind)
    extents = [present[c].extent_ras_mm for c in pool]
    if any(e is None for e in extents) or not all(present[c].at_edge for c in pool):
        return False
    ends = [e[axis + 3] if sign > 0 else e[axis] for e in extents]
    return max(ends) - min(ends) < COMPARE_IGNORE_MM


def compare(pool: list[str], measure: dict, rank: int, count: int, evidence: Evidence, reach: bool,
            part: list | None = None, landmark: str | None = None) -> Finding:
    """The `rank`-th (1 = the most) of `pool` by `measure` ({"measure": "z"|"y"|"x"|"volume"|"distance"|"lateral",
    "sign": +1 or -1}), or the first `count` of them; a question when the margin to the next one is too small.

    Args:
        reach: compare the extent's end in the direction asked ("the one that reaches highest"), not the centroid.
        part: a part word's (axis, end) ("whose upper pole reaches higher").
        landmark: for "distance", the structure distances are measured to.
    """
    present = evidence.present or {}
    pool = [c for c in pool if c in present and c != landmark]
    kind, sign = measure["measure"], float(measure["sign"])
    if len(pool) < 2 or rank + count - 1 > len(pool):
        return Finding(why=[f"only {len(pool)} candidate(s) in this image to compare"], question=pool[:3] if pool else [])

    cut = _cut_alike(pool, kind, sign, present) if reach and not part else False

    def value(c: str) -> tuple[float, float | None, str]:
        """(primary value, secondary value or None, unit); bigger means "more" of what was asked."""
        structure = present[c]
        if kind == "volume":
            return sign * structure.volume_ml, None, "ml"
        if kind == "distance":
            d = float(np.linalg.norm(_centroid(evidence, c) - _centroid(evidence, landmark)))
            return sign * d, None, "mm"
        if kind == "lateral":  # "the more lateral of X and Y": farther from the midline, whichever side
            return sign * abs(_side_offset(evidence, structure.centroid_ras_mm[0])), None, "mm"
        axis = "xyz".index(kind)
        extent = structure.extent_ras_mm
        end = None
        if extent:
            end = extent[axis + 3] if sign > 0 else extent[axis]
            if part and part[0] == kind:
                end = extent[axis + 3] if part[1] == "max" else extent[axis]
        if cut and extent:
            # both ends asked about are the scan's face, not the structures': the ends the scan shows whole order them
            return sign * (extent[axis] if sign > 0 else extent[axis + 3]), None, "mm"
        if (reach or part) and end is not None:
            return sign * end, None, "mm"
        return sign * structure.centroid_ras_mm[axis], (sign * end if end is not None else None), "mm"

    values = {c: value(c) for c in pool}
    ordered = sorted(pool, key=lambda c: -values[c][0])
    chosen = ordered[rank - 1:rank - 1 + count]
    neighbours = [ordered[k] for k in (rank - 2, rank - 1 + count) if 0 <= k < len(ordered)]
    unit = values[chosen[0]][2]
    lines = ", ".join(f"{c} {abs(values[c][0]):.1f} {unit}" for c in ordered[:4])
    why = [f"{kind} ({'+' if sign > 0 else '-'}): {lines}"]
    if cut:
        why.append(f"the scan cuts {', '.join(pool)} at the same face: compared by their other ends")
    margins: list[str] = []
    for a, b in ((chosen[0], n) for n in neighbours):
        high, low = (a, b) if values[a][0] >= values[b][0] else (b, a)
        gap = values[high][0] - values[low][0]
        if kind == "volume":
            big, small = sorted((abs(values[high][0]), abs(values[low][0])), reverse=True)
            clear = big >= COMPARE_VOLUME_RATIO * small  # the same ratio whether the larger or smaller is asked
        elif kind == "distance":
            near, far = abs(values[high][0]), abs(values[low][0])
            if sign < 0:
                clear = far >= COMPARE_DISTANCE_RATIO * near and far - near >= COMPARE_DISTANCE_MM
            else:
                clear = near >= COMPARE_DISTANCE_RATIO * far and near - far >= COMPARE_DISTANCE_MM
        else:
            clear = gap >= COMPARE_MARGIN_MM
            second_high, second_low = values[high][1], values[low][1]
            if second_high is not None and second_low is not None and second_low - second_high > COMPARE_IGNORE_MM:
                clear = False  # the centroids and the extents disagree
                why.append(f"{high} and {low}: centroids and extents disagree")
        if not clear:
            return Finding(question=[high, low], why=why + [f"{high} and {low} are too close to tell apart"],
                           margin=f"{high} vs {low}: {gap:.1f} {unit}, under the margin")
        margins.append(f"{high} vs {low}: {gap:.1f} {unit}")
    return Finding(ids=chosen, confidence=CONFIDENCE_COMPARATIVE, explicit=count == 1, why=why,
                   margin="; ".join(margins) or "no neighbour")
