"""Run a target expression (`expression.py`) against an image's evidence: pure geometry and numbering, no words.

Evidence gives presence, centroids, extents, volumes, contact (all from the segment-everything map, in RAS mm)
and the ontology gives numbering within series. Each evaluated node is recorded with what decided it and by what
margin; the records go into the trace. The geometry itself lives in `readers.py` (relations, comparisons, series).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Evidence
from . import readers as geometry
from .expression import (Along, Compare, Concept, Count, Expr, First, Group, Last, Middle, Nth, Range, Relation,
                         SetOp, Side, show)
from . import tract
from .relations import NEAR_MM

EDGE_MM = 2.0  # an end this close to the farthest any structure reaches is at the scan's face
ACROSS = {"inferior": "superior", "superior": "inferior"}  # under a landmark is under what lies above it


def shown_across(ontology, landmark: str, relation: str, evidence: Evidence, vocabulary: set[str]) -> list[str]:
    """What the image shows across `landmark` (a concept with `bounds`, drawn by no map) from where `relation` puts
    the answer: for "under the left hemidiaphragm", the left lung's lobes; for "above", what lies below it. [] for
    a relation its bounds do not place."""
    present = evidence.present or {}
    return [c for b in ontology[landmark].bounds.get(ACROSS.get(relation), ())
            for c in ontology.leaves(b, vocabulary) if c in present]
from .thresholds import T


@dataclass
class Evaluation:
    """The answer of an expression: concepts, or a question among a few, with every node's record."""

    finding: geometry.Finding
    nodes: list[dict] = field(default_factory=list)


# Relations along one axis that `_settle` may decide when the centroids leave them open; left and right keep the
# "squarely beside" rule of `readers.spatial` alone.
SQUARE_AXES = ("superior", "inferior", "anterior", "posterior")
# The axis and sign (as a comparison measures them) of each relation along one axis.
AXIS_OF_RELATION = {"superior": ("z", 1), "inferior": ("z", -1), "anterior": ("y", 1), "posterior": ("y", -1)}


def _open_ended(expr: Range) -> bool:
    """Whether a range ends at an end of what the image shows ("to the last one"), not at a number."""
    return isinstance(expr.start, str) or isinstance(expr.stop, str)


class Evaluator:
    def __init__(self, ontology, evidence: Evidence, words: geometry.Vocabulary, series_only: bool = False):
        """`series_only`: a relation is read along its anchor's series or not at all (the reader then places it
        by geometry with its own pool)."""
        self.series_only = series_only
        self.ontology = ontology
        self.evidence = evidence
        self.words = words
        self.vocabulary = set(evidence.vocabulary)
        self.nodes: list[dict] = []

    # --- sets -----------------------------------------------------------------------------------------------------

    def _present(self, concept_id: str) -> bool:
        return self.evidence.present is None or concept_id in self.evidence.present

    def leaves(self, concept_id: str) -> list[str]:
        return self.ontology.leaves(concept_id, self.vocabulary) or [concept_id]

    def members(self, expr: Expr, present: bool = True) -> list[str]:
        """The leaf structures an expression stands for: present ones (for pools), or every member the backbone
        can segment (for order within a series, which counts members the image may not show)."""
        if isinstance(expr, Concept):
            # a structure the map holds whole stays whole (total_mr's one "vertebrae" label)
            ids = [expr.id] if self.evidence.present and expr.id in self.evidence.present else self.leaves(expr.id)
        elif isinstance(expr, Group):
            ids = self.leaves(expr.id)
        elif isinstance(expr, Side):
            ids = [c for c in self.members(expr.of, present) if self._on(c, expr.side, present)]
        elif isinstance(expr, SetOp):
            sets = [self.members(e, present) for e in expr.items]
            if expr.op == "union":
                ids = list(dict.fromkeys(c for s in sets for c in s))
            elif expr.op == "difference":
                ids = [c for c in sets[0] if not any(c in s for s in sets[1:])]
            else:
                ids = [c for c in sets[0] if all(c in s for s in sets[1:])]
        else:
            ids = [c for c in self.run(expr).ids for c in self.leaves(c)]
        return [c for c in ids if self._present(c)] if present else ids

    def _on(self, concept_id: str, side: str, present: bool) -> bool:
        laterality = self.ontology[concept_id].laterality
        if laterality is not None or not present or self.evidence.present is None \
                or concept_id not in self.evidence.present:
            return laterality in (side, None)
        x = self.evidence.present[concept_id].centroid_ras_mm[0]
        return self.evidence.lies_on(side, x, -T.midline_tolerance_mm) is not False

    def _series_pool(self, expr: Expr) -> list:
        """Members of a series that `expr` names, whether the image shows them or not: numbering counts them."""
        side = None
        if isinstance(expr, Side):
            side, expr = expr.side, expr.of
        if isinstance(expr, (Concept, Group)):
            ids = self.ontology.descendants(expr.id) | {expr.id}
            pool = [self.ontology[c] for c in ids if self.ontology[c].series and not self.ontology[c].members
                    and (c in self.vocabulary or not self.vocabulary)]
        else:
            pool = [self.ontology[c] for c in self.members(expr, present=False) if self.ontology[c].series]
        return [c for c in pool if side is None or c.laterality in (side, None)]

    # --- operators ------------------------------------------------------------------------------------------------

    def run(self, expr: Expr) -> geometry.Finding | None:
        finding = self._run(expr)
        if finding is None:
            return None
        self.nodes.append({"node": show(expr), "ids": list(finding.ids), "question": list(finding.question),
                           "decided_by": finding.why[-1] if finding.why else "",
                           "margin": finding.margin})
        return finding

    def _run(self, expr: Expr) -> geometry.Finding | None:
        if isinstance(expr, (Concept, Group, Side, SetOp)):
            ids = self.members(expr, present=False) if isinstance(expr, Group) else None
            if isinstance(expr, Concept):
                ids = [expr.id]
            elif ids is None:
                ids = self.members(expr)
            shown = [c for c in ids if self._present(c)]
            why = (f"{len(shown)} of {len(ids)} present in the map" if self.evidence.present is not None
                   else "presence unknown (no map)")
            return geometry.Finding(ids=ids, why=[why], confidence=T.confidence.exact,
                                    explicit=isinstance(expr, Concept), margin="presence")
        if isinstance(expr, (Nth, First, Last, Count)):
            return self._order(expr)
        if isinstance(expr, Middle):
            return self._middle(expr)
        if isinstance(expr, Range):
            pool = sorted(self._series_pool(expr.of), key=lambda c: c.order)
            shown = [k for k, c in enumerate(pool, start=1) if self._present(c.id)]
            if not shown and _open_ended(expr):
                return geometry.Finding(why=["no member of the series is in the image"], margin="numbering")
            # "from the 10th to the last one": an end word is that end of what the image shows
            ends = [shown[0] if v == "first" else shown[-1] if v == "last" else v for v in (expr.start, expr.stop)]
            beyond = [v for v in (expr.start, expr.stop) if isinstance(v, int) and shown and (
                "last" in (expr.start, expr.stop) and v > shown[-1] or "first" in (expr.start, expr.stop) and v < shown[0])]
            if beyond:
                # "from L3 down" where L2 is the last one shown: L3 and all after it lie outside the image
                return geometry.Finding(why=[f"member {beyond[0]} lies beyond the end of the series the image shows"],
                                        margin="numbering")
            low, high = sorted(ends)
            ids = [c.id for k, c in enumerate(pool, start=1) if low <= k <= high]
            return geometry.Finding(ids=ids, explicit=False, confidence=T.confidence.series,
                                    why=[f"numbered {low} to {high}: {', '.join(ids) or 'none'}"], margin="numbering")
        if isinstance(expr, Relation):
            return self._relation(expr)
        if isinstance(expr, Along):  # order along a tract is ontology data (`tract.py`)
            anchor = expr.of.id if isinstance(expr.of, (Concept, Group)) else self.run(expr.of).ids[0]
            return tract.along(self.ontology, self.evidence, anchor, expr.direction, list(expr.within))
        if isinstance(expr, Compare):
            pool = self.members(expr.candidates)
            landmark = self.run(expr.landmark).ids[0] if expr.landmark is not None else None
            measure = {"measure": expr.metric, "sign": expr.sign}
            named = self._named_position(pool, expr)
            if named is not None:
                return named
            return geometry.compare(pool, measure, expr.rank, expr.count, self.evidence, expr.reach,
                                    list(expr.part) if expr.part else None, landmark)
        raise TypeError(f"not an expression: {expr!r}")

    def _position_in_name(self, concept_id: str, axis: str) -> int | None:
        """The sign of the one position word along `axis` that a structure's own name carries ("left *upper*
        lobe": +1 along z), or None. Such a name is anatomy: it holds whatever part of the structure a scan shows
        (an upper lobe cut to its lingula still sits above its lower lobe)."""
        name = self.ontology[concept_id].name.lower().split()
        signs = {int(m["sign"]) for w in name if (m := self.words.comparatives.get(w)) and m["measure"] == axis}
        return signs.pop() if len(signs) == 1 else None

    def _named_position(self, pool: list[str], expr: Compare) -> geometry.Finding | None:
        """"the lower of the two left lobes": when every candidate's name says its place along the axis asked and
        exactly one says the place asked, the names answer, not the centroids of what the scan shows of them."""
        if expr.metric not in ("x", "y", "z") or expr.rank != 1 or expr.count != 1 or expr.landmark is not None \
                or expr.part or len(pool) < 2:
            return None
        if expr.reach:
            return self._reach_against_numbers(pool, expr)
        if expr.metric == "z" and (numbered := self._numbered_height(pool, expr.sign)) is not None:
            return numbered
        signs = {c: self._position_in_name(c, expr.metric) for c in pool}
        chosen = [c for c, s in signs.items() if s == expr.sign]
        if None in signs.values() or len(chosen) != 1:
            return None
        return geometry.Finding(ids=chosen, confidence=T.confidence.exact, explicit=True, margin="name",
                                why=[f"{expr.metric} ({'+' if expr.sign > 0 else '-'}): the names place them "
                                     f"({', '.join(pool)}): {chosen[0]}"])

    def _reach_against_numbers(self, pool: list[str], expr: Compare) -> geometry.Finding | None:
        """"which rib sits lower, left 11 or left 12": the rib that reaches lower (11, longer) is not the one
        numbered lower (12); where the reach and the numbers disagree, which was meant is asked."""
        numbered = self._numbered_height(pool, expr.sign) if expr.metric == "z" else None
        if numbered is None:
            return None
        reached = geometry.compare(pool, {"measure": expr.metric, "sign": expr.sign}, 1, 1, self.evidence, True)
        if not reached.ids or reached.ids == numbered.ids:
            return None
        return geometry.Finding(question=[*numbered.ids, *reached.ids], margin="numbering vs reach",
                                why=[f"{numbered.ids[0]} is numbered {'higher' if expr.sign > 0 else 'lower'}, "
                                     f"{reached.ids[0]} reaches {'higher' if expr.sign > 0 else 'lower'}"])

    def _numbered_height(self, pool: list[str], sign: int) -> geometry.Finding | None:
        """"the lower rib of left 9 and left 10": members of one series on one side are placed by their numbers
        (the series' step says which way the numbers run), not by centroids a curved rib can bring level."""
        members = [self.ontology[c] for c in pool]
        if len({m.series for m in members}) != 1 or members[0].series is None \
                or len({m.laterality for m in members}) != 1 or len({m.order for m in members}) != len(members) \
                or any(m.order is None for m in members):
            return None
        down = int(self.words.steps.get("inferior", 1))
        chosen = max(members, key=lambda m: -sign * down * m.order).id
        return geometry.Finding(ids=[chosen], confidence=T.confidence.series, explicit=True, margin="numbering",
                                why=[f"z ({'+' if sign > 0 else '-'}): numbered in the {members[0].series} series: "
                                     f"{chosen} of {', '.join(pool)}"])

    def _named_partner(self, anchor: str, kind: str, pool: list[str]) -> geometry.Finding | None:
        """"the lobe above the left lower lobe": a landmark whose name places it along the relation's axis, and a
        candidate named the same but for the opposite place ("left upper lobe"), is that candidate by anatomy,
        whatever the scan cuts of either (the spatial reader would compare the parts it shows)."""
        axis, sign = AXIS_OF_RELATION.get(kind, (None, 0))
        if axis is None or self._position_in_name(anchor, axis) != -sign:
            return None
        stem = self._name_without_position(anchor, axis)
        partners = [c for c in pool if c != anchor and self._position_in_name(c, axis) == sign
                    and self._name_without_position(c, axis) == stem]
        if len(partners) != 1:
            return None
        return geometry.Finding(ids=partners, confidence=T.confidence.relation, explicit=True, margin="name",
                                why=[f"{partners[0]} is named {anchor}'s counterpart {kind}"])

    def _name_without_position(self, concept_id: str, axis: str) -> list[str]:
        return [w for w in self.ontology[concept_id].name.lower().split()
                if (self.words.comparatives.get(w) or {}).get("measure") != axis]

    def _order(self, expr) -> geometry.Finding:
        pool = self._series_pool(expr.of)
        if isinstance(expr, Count):
            ids, why = geometry.pick_ordinal(pool, self.evidence, None, 0, (expr.compare, expr.k), False)
            finding = geometry.Finding(ids=ids, why=[why], explicit=False, confidence=T.confidence.series,
                                       margin="numbering")
            if not ids:
                finding.why.append("no member of the series carries such a number")
            return finding
        if isinstance(expr, Nth):
            ids, why = geometry.pick_ordinal(pool, self.evidence, expr.end, expr.k - 1, None, expr.present_only)
            return geometry.Finding(ids=ids, why=[why], confidence=T.confidence.series, margin="numbering")
        end = "first" if isinstance(expr, First) else "last"
        chosen: list[str] = []
        for k in range(expr.n):
            ids, _ = geometry.pick_ordinal(pool, self.evidence, end, k, None, expr.present_only)
            chosen += ids
        if len(chosen) < expr.n:
            # "the nine lowest right ribs shown" with six shown: fewer than asked is no answer, never a part of one
            return geometry.Finding(why=[f"{expr.n} asked at the {end} end, only {len(chosen)} counted: "
                                         f"{', '.join(chosen) or 'none'}"], margin="numbering")
        return geometry.Finding(ids=chosen, explicit=False, confidence=T.confidence.series, margin="numbering",
                                why=[f"the {expr.n} at the {end} end: {', '.join(chosen)}"])

    def _middle(self, expr: Middle) -> geometry.Finding:
        """The `n` central members of what the image shows of a series, in the series' order. Every member the map
        holds counts as shown, however little of it the scan covers (a sliver at the scan's edge is still a member
        the image shows, and the numbering runs through it). No single middle (an odd number left over on the two
        sides) or fewer members than asked is a question among the central ones, never a mask."""
        if self.evidence.present is None:
            return geometry.Finding(why=["presence unknown: no map to count the members shown"], margin="numbering")
        shown = [c.id for c in sorted(self._series_pool(expr.of), key=lambda c: c.order) if self._present(c.id)]
        left = len(shown) - expr.n
        if left < 2 or left % 2:
            # the candidates that could be meant: the n + 1 central ones (one more than asked, straddling the middle)
            start = max(0, (len(shown) - expr.n - 1) // 2)
            central = shown[start:start + expr.n + 1]
            why = f"no single middle {expr.n} of the {len(shown)} shown: {', '.join(shown) or 'none'}"
            return geometry.Finding(question=central, ranked=shown, margin="numbering", why=[why])
        ids = shown[left // 2:left // 2 + expr.n]
        why = f"the middle {expr.n} of the {len(shown)} shown ({', '.join(shown)}): {', '.join(ids)}"
        slivers = self._slivers(shown)
        if slivers:
            # without the slivers the middle shifts or is not single: right as counted, but not sure
            why += f"; {', '.join(slivers)} only a sliver at the scan's edge"
            return geometry.Finding(ids=ids, explicit=False, confidence=T.confidence.unsure, why=[why],
                                    margin=f"counting {', '.join(slivers)}")
        return geometry.Finding(ids=ids, explicit=False, confidence=T.confidence.series, margin="numbering",
                                why=[why])

    def _slivers(self, shown: list[str]) -> list[str]:
        """Members shown that reach the scan's edge with a small share (`series.sliver_share`) of the median volume
        of the others shown: whether such a member counts as "visible" is the reader's call, not the map's."""
        present = self.evidence.present or {}
        out = []
        for c in shown:
            others = sorted(present[o].volume_ml for o in shown if o != c)
            small = bool(others) and present[c].volume_ml < T.series.sliver_share * others[len(others) // 2]
            if small and present[c].at_edge:
                out.append(c)
        return out

    def _relation(self, expr: Relation) -> geometry.Finding | None:
        # (one landmark said twice, "in the C-loop of the duodenum", is one landmark)
        anchors = list(dict.fromkeys(a.id if isinstance(a, (Concept, Group)) else self.run(a).ids[0]
                                     for a in expr.anchors))
        present = self.evidence.present
        # A group landmark that the map does not hold whole ("next to the spine") is the union of its parts.
        groups = {a: [c for c in self.ontology.leaves(a, self.vocabulary) if present and c in present]
                  for a in anchors if self.ontology[a].members and a not in (present or {})}
        # "under the left hemidiaphragm": a landmark no map draws is the union of what lies across it
        for a in anchors:
            if self.ontology[a].bounds and a not in (present or {}):
                groups[a] = shown_across(self.ontology, a, expr.kind, self.evidence, self.vocabulary)
        if expr.kind == "between" and len(anchors) >= 2 and not groups:
            found = geometry.series_between(anchors[0], anchors[1], self.ontology, self.vocabulary)
            if found is not None:
                found.margin = found.margin or "numbering"
                return found
            pool = self.members(expr.pool) if expr.pool is not None else None
            if all(tract.on_a_tract(self.ontology, a) for a in anchors[:2]) \
                    and (found := tract.between(self.ontology, anchors[0], anchors[1], pool)) is not None:
                return found  # (a lumen's order is its tract, not where its centroid falls)
        if expr.steps and not groups:
            found = geometry.series_step(anchors[0], expr.kind, expr.steps, self.ontology, self.evidence, self.words,
                                         self.vocabulary)
            if found is not None:
                found.margin = found.margin or "numbering"
                return found
        if self.series_only:
            return None
        if present is None:
            return geometry.Finding(why=["presence unknown: no map to place structures"])
        pool = self.members(expr.pool) if expr.pool is not None else list(present)
        if expr.pool is not None and len(anchors) == 1 and not groups \
                and (partner := self._named_partner(anchors[0], expr.kind, pool)) is not None:
            return partner
        pair = self.ontology[anchors[0]].pair if len(anchors) == 1 and anchors[0] in self.ontology.concepts else None
        if expr.kind == "opposite_side" and expr.pool is not None and pair in pool:
            # "the muscle on the opposite side from the right autochthon": a kind that holds the landmark's own
            # pair means that pair (the mirror), not the nearest of the kind on that side
            return geometry.Finding(ids=[pair], confidence=T.confidence.relation, explicit=True, margin="pair",
                                    why=[f"{pair} is {anchors[0]}'s pair on the opposite side"])
        if expr.many and expr.kind == "contact" and len(anchors) == 1 and not groups and anchors[0] in present \
                and (touching := [c for c in pool if c in present[anchors[0]].touches and c != anchors[0]]):
            # "L1 and the vertebrae touching it": a plural kind asks for every one that touches, never which one
            return geometry.Finding(ids=touching, confidence=T.confidence.relation, margin="contact in the map",
                                    why=[f"{', '.join(touching)} touch {anchors[0]} (a plural kind: every one)"])
        if expr.many and expr.kind == "around" and len(anchors) == 1 and not groups and anchors[0] in present \
                and (ringing := self._ringing(anchors[0], pool)):
            return geometry.Finding(ids=ringing, confidence=T.confidence.relation, margin="extent and contact",
                                    why=[f"{', '.join(ringing)} enclose {anchors[0]} and lie against it (a plural kind: "
                                         "every one)"])
        part = list(expr.part) if expr.part else None
        beyond = bool(part) and len(anchors) == 1 and self._beyond_the_scan(anchors[0], part)
        if beyond:
            part = None  # ("above the dome of the liver" where the scan cuts the liver: the dome is not in it)
        found = geometry.spatial(expr.kind, anchors, pool, self.evidence, self.ontology, part, groups)
        if beyond and found.ids:
            found.confidence = min(found.confidence, T.confidence.unsure)
            found.why.append(f"{anchors[0]}'s {expr.part[0]} {expr.part[1]} end lies beyond the scan: placed by "
                             "the whole")
        if found.question and anchors and not groups:
            # (along one axis the spatial reader places by the first landmark; so does the settling)
            found = self._settle(found, expr.kind, anchors[0], part)
            return self._by_shared_surface(found, expr.kind, anchors[0]) if found.question else found
        if expr.kind == "around" and len(found.ids) == 1 and anchors and not groups and anchors[0] in present:
            return self._wraps(found, anchors[0], pool)
        return found

    def _beyond_the_scan(self, anchor: str, part: list) -> bool:
        """Whether the end of `anchor` that `part` names is where the scan stops: the map shows it at a face of the
        volume (as far along that axis as any structure reaches), so its true end lies outside the image."""
        present = self.evidence.present or {}
        shown = present.get(anchor)
        if shown is None or not shown.at_edge or not shown.extent_ras_mm or part[1] not in ("min", "max"):
            return False
        axis = "xyz".index(part[0])
        ends = [s.extent_ras_mm[axis + 3] if part[1] == "max" else -s.extent_ras_mm[axis]
                for s in present.values() if s.extent_ras_mm]
        mine = shown.extent_ras_mm[axis + 3] if part[1] == "max" else -shown.extent_ras_mm[axis]
        return mine >= max(ends) - EDGE_MM

    def _ringing(self, anchor: str, pool: list[str]) -> list[str]:
        """"the vertebrae around the cord": each candidate that encloses the landmark where the two overlap along
        the body (its axial extent holds the landmark's centre in plane; a long landmark passes through several)
        and lies against it."""
        present = self.evidence.present
        landmark = present[anchor]
        centre, reach = landmark.centroid_ras_mm, landmark.extent_ras_mm
        ringing = []
        for c in pool:
            extent = present[c].extent_ras_mm if c in present and c != anchor else None
            if not extent or not reach:
                continue
            in_plane = all(extent[k] <= centre[k] <= extent[k + 3] for k in (0, 1))
            overlapping = extent[2] <= reach[5] and reach[2] <= extent[5]
            against = c in landmark.touches or landmark.gaps_mm.get(c, T.relation.settle.far_gap_mm) <= NEAR_MM
            if in_plane and overlapping and against:
                ringing.append(c)
        return ringing

    def _wraps(self, found: geometry.Finding, anchor: str, pool: list[str]) -> geometry.Finding:
        """"the bowel loop wrapping around the pancreatic head": an extent that encloses the landmark's centre is
        not enough (the colon's frame encloses half the abdomen); what wraps a structure lies against it. An
        answer whose surface stays farther than the near band from the landmark's is asked about, together with
        the candidates that do lie against it."""
        landmark = self.evidence.present[anchor]
        answer = found.ids[0]

        def gap(c: str) -> float:
            return 0.0 if c in landmark.touches else landmark.gaps_mm.get(c, T.relation.settle.far_gap_mm)

        if gap(answer) <= NEAR_MM:
            return found
        against = sorted((c for c in pool if c != answer and c != anchor and c in self.evidence.present
                          and gap(c) <= NEAR_MM), key=gap)
        why = f"{answer}'s extent encloses {anchor}'s centre, but its surface lies {gap(answer):.0f} mm from it"
        if not against:
            return geometry.Finding(why=found.why + [why + "; nothing of the kind lies against it"],
                                    margin=f"gap {gap(answer):.0f} mm")
        return geometry.Finding(question=[answer] + against[:2], ranked=[answer] + against,
                                why=found.why + [why + f"; {', '.join(against[:2])} lie against it"],
                                margin=f"gap {gap(answer):.0f} mm vs " + ", ".join(f"{c} {gap(c):.0f} mm" for c in against[:2]))

    def _by_shared_surface(self, found: geometry.Finding, kind: str, anchor: str) -> geometry.Finding:
        """A question the centroids and the settling leave open ("the organ hanging under the liver", "the organ the
        gallbladder is attached to"), settled by the surface each candidate shares with the landmark: one that faces
        it (or that it faces) with a large share of its surface, several times any rival's, lies against it the way
        those words mean. Along an axis it must also lie on the side asked. Otherwise the question stands."""
        present = self.evidence.present or {}
        if anchor not in present or any(c not in present for c in found.question):
            return found
        a = T.relation.attached

        def shared(c: str) -> float:
            return max(present[c].surface_share.get(anchor, 0.0), present[anchor].surface_share.get(c, 0.0))

        rivals = list(dict.fromkeys([*found.question, *(c for c in found.ranked if c in present and shared(c) > 0)]))
        ordered = sorted(rivals, key=shared, reverse=True)
        best = ordered[0]
        runner = shared(ordered[1]) if len(ordered) > 1 else 0.0
        if shared(best) < a.min_share or shared(best) < a.ratio * runner:
            return found
        if kind in geometry.AXIS:
            axis, sign = geometry.AXIS[kind]
            if sign * (present[best].centroid_ras_mm[axis] - present[anchor].centroid_ras_mm[axis]) <= 0:
                return found
        margin = f"{best} shares {shared(best):.0%} of a surface with {anchor}; next {runner:.0%}"
        return geometry.Finding(ids=[best], ranked=ordered, confidence=T.confidence.oblique, margin=margin,
                                why=found.why + [f"settled by the surface it shares: {margin}"])

    def _settle(self, found: geometry.Finding, kind: str, anchor: str, part: list | None) -> geometry.Finding:
        """A relation the centroids leave open ("these fit about equally", "nothing lies squarely behind it"),
        settled by what a reader of the image weighs: how squarely each candidate lies in the direction asked (the
        share of its offset along that axis) and how close its surface comes to the landmark's (the gap between
        the two in the map). One candidate that beats every other on one of the two without losing much on the
        other answers, kept below the sure band; candidates close in both stay a question."""
        if kind not in SQUARE_AXES or anchor not in (self.evidence.present or {}):
            return found
        present = self.evidence.present
        landmark = present[anchor]
        axis, sign = geometry.AXIS[kind]
        origin = list(landmark.centroid_ras_mm)
        if part and landmark.extent_ras_mm and part[1] in ("max", "min"):
            k = "xyz".index(part[0])
            origin[k] = landmark.extent_ras_mm[k + 3] if part[1] == "max" else landmark.extent_ras_mm[k]
        s = T.relation.settle

        def gap_of(c: str) -> float:
            return 0.0 if c in landmark.touches else landmark.gaps_mm.get(c, s.far_gap_mm)

        # the question names at most three; any other candidate whose surface lies about as close is a rival too
        if any(c not in present for c in found.question):
            return found
        reach = max(gap_of(c) for c in found.question) + s.gap_margin_mm
        rivals = list(found.question) + [c for c in found.ranked if c not in found.question and c in present
                                         and gap_of(c) <= reach]
        facts: dict[str, tuple[float, float, float]] = {}  # candidate -> (direction share, surface gap, distance)
        for c in rivals:
            offset = [a - b for a, b in zip(present[c].centroid_ras_mm, origin)]
            distance = max(sum(v * v for v in offset) ** 0.5, 1e-6)
            facts[c] = (sign * offset[axis] / distance, gap_of(c), distance)

        def beats(a: str, b: str) -> str | None:
            (da, ga, xa), (db, gb, xb) = facts[a], facts[b]
            if da < T.relation.min_direction_cosine:
                return None  # only obliquely in the direction asked: never the answer here
            if da >= db + s.direction_margin and ga <= gb + s.gap_tolerance_mm:
                return f"more squarely {kind} ({da:.2f} vs {db:.2f} of the offset) and as close (gap {ga:.0f} vs {gb:.0f} mm)"
            if ga + s.gap_margin_mm <= gb and da >= db - s.direction_slack:
                return f"its surface much closer (gap {ga:.0f} vs {gb:.0f} mm), as squarely {kind} ({da:.2f} vs {db:.2f})"
            return None

        for best in found.question:
            reasons = [(other, beats(best, other)) for other in rivals if other != best]
            if all(why for _, why in reasons):
                margin = "; ".join(f"vs {other}: {why}" for other, why in reasons)
                return geometry.Finding(ids=[best], ranked=[best] + [c for c in found.ranked if c != best],
                                        confidence=T.confidence.oblique, margin=margin,
                                        why=found.why + [f"settled by direction and contact: {best} ({margin})"])
        found.margin = found.margin or "; ".join(
            f"{c}: {d:.2f} of the offset {kind}, gap {g:.0f} mm" for c, (d, g, _) in facts.items())
        return found


def evaluate(expr: Expr, evidence: Evidence, ontology, words: geometry.Vocabulary,
             series_only: bool = False) -> Evaluation | None:
    """Evaluate `expr`; the finding of its root, and every node's record (innermost first). None only when
    `series_only` and the relation is not one along a series."""
    evaluator = Evaluator(ontology, evidence, words, series_only)
    finding = evaluator.run(expr)
    if finding is None:
        return None
    return Evaluation(finding=finding, nodes=evaluator.nodes)
