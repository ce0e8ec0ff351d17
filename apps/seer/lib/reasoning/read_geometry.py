"""Readers that turn order, comparison and relation words into operators of the target expression
(`expression.py`), evaluated against the image's evidence by `evaluate.py`."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

from ..records import Evidence, TargetSpec
from .decide import ask, refuse
from .discourse import _clause_start
from .ground import Grounding, ground_mention
from .normalize import tokenize
from .parse import Item, Mention, Term
from . import readers as spatial
from . import tract
from .request import MENTION, Request
from .evaluate import evaluate, shown_across
from .expression import (Compare, Concept, Count, Expr, First, Group, Last, Middle, Nth, Range, Relation, Side, of_ids,
                         show, to_json, union)
from .thresholds import T


class GeometryReaders:
    """Mixed into `ReasoningEngine`; reads its lexicon, language tables and ontology."""

    @cached_property
    def _steps(self) -> dict[str, str]:
        """"up", "nach unten": the words that give a step along a series its direction (superior|inferior)."""
        return {" ".join(tokenize(k)): v for k, v in self.language.get("step_directions", {}).items()}

    @cached_property
    def _cut_words(self) -> set[str]:
        """"drop", "leave out", "ohne": words that take something away, as exclusions or dismissals."""
        return {" ".join(tokenize(w)) for key in ("exclusion_words", "dismiss_words") for w in self.language.get(key, ())}

    @cached_property
    def _middle_words(self) -> set[str]:
        """"middle", "mittlere", "milieu": the central member(s) of a list or series (data: middle_words)."""
        return {" ".join(tokenize(w)) for w in self.language.get("middle_words", {})}

    def _evaluate(self, request: Request, expr: Expr, series_only: bool = False) -> spatial.Finding | None:
        """Run one operator of the target expression against the image; the trace keeps the expression and
        every evaluated node with what decided it and its margin."""
        evaluated = evaluate(expr, request.evidence, self.ontology, self.words, series_only)
        if evaluated is None:
            return None
        request.reading.expressions.append(to_json(expr))
        request.reading.nodes.extend(evaluated.nodes)
        request.reading.rationale.append(f"expression: {show(expr)}")
        return evaluated.finding

    def _unplaced_landmark(self, items: list[Item], evidence: Evidence) -> bool:
        """A landmark no map draws (`bounds`: the hemidiaphragm) said where its bounds do not place it: with a
        relation other than above or below ("up against the left hemidiaphragm"), or with nothing across it in the
        image (an MR without the lungs). The relation is not read then; the description may be."""
        for k, item in enumerate(items):
            concept = self.ontology.concepts.get(str(item.term.value)) if item.term.kind in MENTION else None
            if concept is None or not concept.bounds:
                continue
            word = next((i for i in reversed(items[:k]) if i.term.kind == "locative"), None)
            kind = self.words.relations.get(word.text) if word is not None else None
            if not shown_across(self.ontology, concept.id, kind, evidence, set(evidence.vocabulary)):
                return True
        return False

    def _drawn_as_a_series(self, group: str, evidence: Evidence) -> bool:
        """The backbone draws `group` as several members of one series (the vertebrae level by level)."""
        leaves = self.ontology.leaves(group, set(evidence.vocabulary))
        return len(leaves) > 1 and len({self.ontology[c].series for c in leaves}) == 1 \
            and self.ontology[leaves[0]].series is not None

    def _read_neighbours(self, request: Request) -> TargetSpec | None:
        """"T12 with its neighbours", "L1 and the levels above and below": a member of a series with the members
        one step away on each side: union(x, relation(superior, x, 1), relation(inferior, x, 1))."""
        texts = {i.text for i in request.items}
        both_ways = self._both_directions(request.items)
        # "right rib 9 with the ribs either side of it": the plural series noun names the neighbours' kind (said
        # with a number and the words up and down, a position of the series: "10th rib both sides ... above and
        # below"; without them "on both sides" is its side: "12th ribs on both sides")
        named = [m for m in request.parsed.include if m.numbers and both_ways or not (
            self.ontology[m.concept].members and self._series_of(m.concept))]
        # "the ribs either side of rib 10", "the vertebrae on either side of L1": the kind said first is what is
        # asked, so the neighbours without the one they flank
        flanked = bool(named) and request.parsed.include[0] is not named[0]
        if not (texts & self._word_sets["neighbour_words"] or both_ways) or len(named) != 1 \
                or any(m.numbers for m in request.parsed.include if m not in named):
            return None  # ("T12 plus the 12th ribs on both sides": the sides of the ribs numbered, not T12's)
        grounded = ground_mention(named[0], self.ontology)
        if len(grounded.ids) == 1 and not grounded.options and not self.ontology[grounded.ids[0]].series \
                and {w for w in texts & self._word_sets["neighbour_words"] if " " not in w} \
                and not texts & self._word_sets["both_words"] \
                and not any(i.term.kind in ("locative", "head", "side") for i in request.items):
            # "the spleen's neighbour": a structure outside any series has no one neighbour; its own mask was given
            name = self.ontology[grounded.ids[0]].name
            return refuse(f"The {name} has several neighbours. Please name the structure you want, or say where "
                          f"it lies against the {name}.", T.confidence.clarify, request.reading, request.evidence,
                          self.ontology, f"a neighbour of {grounded.ids[0]}, which has no series to step along")
        # "the 10th rib on both sides with the ribs above and below": each side's member has its own neighbours
        per_side = not grounded.options and self._one_position(grounded.ids)
        if not per_side and (len(grounded.ids) != 1 or grounded.options or not self.ontology[grounded.ids[0]].series):
            return None
        kinds = self._steps_said(texts)  # "L1's upper neighbour": one of them
        if len(kinds) == 1:
            flanked = True
        ids: list[str] = []
        for anchor in (Concept(c) for c in grounded.ids):
            parts = [self._evaluate(request, Relation(kind, (anchor,), steps=1), series_only=True) for kind in kinds]
            if len(kinds) == 1:
                parts = parts + [None]
            ids += [f.ids[0] for f in parts[:1] if f and f.ids] + ([] if flanked else [anchor.id]) \
                + [f.ids[0] for f in parts[1:] if f and f.ids]
        finding = spatial.Finding(ids=ids, explicit=False, confidence=T.confidence.series, margin="numbering",
                                  why=[f"{' and '.join(grounded.ids)} and the neighbours in the series: "
                                       f"{', '.join(ids)}"])
        return self._answer(request, finding, "neighbours")

    def _both_directions(self, items: list[Item]) -> bool:
        """"L1 plus the vertebra above and the one below", "rib 9 and the ribs directly above and below it": a
        relation word up and one down, joined, with no count of steps, say the neighbours on both sides."""
        kinds = [self.words.relations.get(i.text) or "" for i in items if i.term.kind == "locative"]
        if sorted(kinds) != ["inferior", "superior"]:
            return False
        first = next(k for k, i in enumerate(items) if i.term.kind == "locative")
        between = items[first + 1:]
        # (a member's own number counts no steps: an ordinal before its noun, "10th rib ... above and below", or a
        # number after it, "rib 10"; "2 vertebrae above and below" does count)
        cardinals = set(self.language.get("cardinals", ()))

        def own_number(k: int) -> bool:
            return k > 0 and items[k - 1].term.kind in MENTION or k + 1 < len(items) \
                and items[k + 1].term.kind in MENTION and not items[k].text.isdigit() and items[k].text not in cardinals

        return any(i.term.kind == "conjunction" for i in between) \
            and not any(self._count_of(i) not in (None, 1) for k, i in enumerate(items) if i.term.kind not in MENTION
                        and not own_number(k))

    def _count_of(self, item: Item) -> int | None:
        """The number a word says ("2", "second", "two"), or None."""
        return self.words.number(item)

    def _read_middle(self, request: Request) -> TargetSpec | None:
        """"T12, L1, L2 minus the middle one", "right ribs 7-12 without the middle two": the central member(s) of
        what was asked, taken away: the request before the exclusion is read on its own, ordered (along its
        series, else as listed) and its middle removed. No single middle (an odd count left over), an order that
        cannot be told, or a middle word used any other way beside what was asked is a question, never a mask."""
        items, said = request.items, request.discourse
        if not self._middle_words or said is None or request.text is None:
            return None
        scanned = said.scanned
        at = next((k for k, i in enumerate(scanned) if i.text in self._middle_words and i.term.kind not in MENTION),
                  None)
        if at is None or not any(i.term.kind in MENTION for i in scanned[:at]):
            return None
        stop = next((j for j in range(at, len(scanned)) if scanned[j].term.kind == "break"), len(scanned))
        if any(i.term.kind in MENTION for i in scanned[at + 1:stop]):
            return None  # "the middle of the three ... kidney": the middle word is said of what follows
        cut = next((k for k in range(at - 1, -1, -1) if scanned[k].text in self._cut_words
                    or scanned[k].term.kind == "exclusion"), None)
        if cut is not None and any(i.term.kind in MENTION for i in scanned[cut + 1:at]):
            cut = None
        after = [i for i in scanned[at + 1:stop] if i.term.kind != "filler" or i.text.isalpha()]
        if cut is None and not (len(after) <= 1 and all(i.term.kind == "number" or i.text in
                                                         self._word_sets["comparison_followers"] for i in after)):
            return None  # "running down the middle of the belly": a place in a description, not a position
        if sum(i.term.kind in MENTION for i in scanned[:at]) == 1 and not request.middle_base_read:
            # "the liver, the middle one": no middle of one structure; the word stays unused and keeps it unsure
            request.middle_base_read = True
            whole = self.understand(" ".join(request.text.tokens[:scanned[cut if cut is not None else at].start]),
                                    request.evidence, request.context_words)
            if whole.status != "ok":
                return None
            request.middle_whole = whole
        if (whole := request.middle_whole) is not None and len(whole.targets) == 1:
            whole.trace.unexplained = list(dict.fromkeys([*whole.trace.unexplained, scanned[at].text]))
            whole.confidence = min(whole.confidence, T.confidence.unexplained)
            return whole
        count = next((self.words.number(i) for i in scanned[max(0, at - 2):stop]
                      if self.words.number(i) is not None and i.term.kind == "number"), 1)
        base = request.middle_whole if cut is not None else None
        if cut is not None and not request.middle_base_read:
            request.middle_base_read = True  # the part before the exclusion is read once, without it
            prefix = " ".join(request.text.tokens[:scanned[cut].start])
            base = self.understand(prefix, request.evidence, request.context_words)
        targets = list(base.targets) if base is not None and base.status == "ok" else []
        request.reading.rationale.append(f'middle: "{scanned[at].text}" ({count}) of what was asked'
                                         + (f": {', '.join(targets)}" if targets else ""))
        concepts = [self.ontology[c] for c in targets]
        series = {c.series for c in concepts}
        if len(series) == 1 and None not in series and len({c.laterality for c in concepts}) == 1:
            targets = [c.id for c in sorted(concepts, key=lambda c: c.order)]  # along the series
        elif targets:
            named = [ground_mention(m, self.ontology) for m in request.parsed.include]
            listed = [g.ids[0] for g in named if len(g.ids) == 1 and not g.options]
            targets = listed if sorted(listed) == sorted(targets) else []  # as listed, when each was named
        left = len(targets) - count
        if cut is None or len(targets) < 3 or left < 2 or left % 2:
            why = ("no single middle" if targets and left >= 2 and left % 2 else "the middle of what is not read")
            return ask(targets or [c for c in (base.targets if base else [])], request.reading, request.evidence,
                       self.ontology, why=f"middle: {why}",
                       message=("Which do you mean to leave out? " if targets else "") +
                       "I can take away the middle one(s) only of a list or series with one clear middle; "
                       "please name them.")
        first = left // 2
        kept = targets[:first] + targets[first + count:]
        finding = spatial.Finding(ids=kept, explicit=False, confidence=min(base.confidence, T.confidence.comparative),
                                  margin="position in the list",
                                  why=[f"without the middle {count} ({', '.join(targets[first:first + count])}) of "
                                       f"{', '.join(targets)}: {', '.join(kept)}"])
        request.reading.expressions.append({"op": "difference", "items": [
            {"op": "union", "items": [{"op": "concept", "id": c} for c in targets]},
            {"op": "middle", "of": {"op": "union", "items": [{"op": "concept", "id": c} for c in targets]},
             "count": count}]})
        return self._answer(request, finding, "middle")

    def _read_list_position(self, request: Request) -> TargetSpec | None:
        """"of the liver, spleen and pancreas, the second one", "the last of these: aorta, IVC, portal vein": a
        position in the list the request itself names (not an order in the body): nth(union(list), k)."""
        if (middle := self._read_middle(request)) is not None:
            return middle  # a middle position is this reader's too, read first: "minus the middle two"
        items, parsed = request.items, request.parsed
        if len(parsed.include) < 2:
            return None
        position, at = None, None
        for k, item in enumerate(items):
            following = items[k + 1] if k + 1 < len(items) else None
            if following is not None and following.term.kind in MENTION:
                continue  # "the first rib": an order within a series, the ordinal reader's
            if item.term.kind == "extreme" or (item.term.kind == "number" and not item.text.isdigit()
                                                and item.text not in self.words.cardinals):
                position = (str(item.term.value), 1) if item.term.kind == "extreme" else ("first", int(item.term.value))
                at = k
                break
        listed = any(i.text in self._word_sets["list_words"] or i.text in self.words.generic for i in items)
        if position is None or not listed:
            return None
        grounded = [ground_mention(m, self.ontology) for m in parsed.include]
        if any(len(g.ids) != 1 or g.options for g in grounded):
            return None
        names = [g.ids[0] for g in grounded]
        end, k = position
        if k > len(names):
            return None
        chosen = names[k - 1] if end == "first" else names[-k]
        finding = spatial.Finding(ids=[chosen], confidence=T.confidence.comparative, margin="position in the list",
                                  why=[f"number {k} from the {'start' if end == 'first' else 'end'} of the list "
                                       f"{', '.join(names)}: {chosen}"])
        nth = {"op": "nth", "of": {"op": "union", "items": [{"op": "concept", "id": c} for c in names]}, "k": k,
               "end": end, "by": "position in the request"}
        request.reading.expressions.append(nth)
        if any(i.term.kind == "exclusion" or i.text in self._cut_words for i in items[:at]):
            # "liver, spleen, pancreas minus the last one": the position names what is taken away (a difference);
            # the exclusion's end word must not take it away a second time in `decide`
            kept = [c for c in names if c != chosen]
            finding.why.append(f"without {chosen}: {', '.join(kept)}")
            finding.ids, finding.explicit = kept, False
            request.reading.expressions[-1] = {"op": "difference", "items": [nth["of"], nth]}
            request.parsed.exclude_refs = [r for r in request.parsed.exclude_refs if not r.extreme]
        return self._answer(request, finding, "list position")

    def _read_open_range(self, request: Request) -> TargetSpec | None:
        """"right ribs from the 10th to the last one", "from T12 down to the last vertebra in the scan": a range
        along a series whose one end is a member (by name or by number) and whose other end is an end word, read
        as that end of what the image shows: range(series, a, last)."""
        if (restricted := self._range_on_group(request)) is not None:
            return restricted
        # "von der 9. bis zur letzten": a full stop after a number and before the range word marks an ordinal
        # (German writes "9." for "ninth"); it does not end the clause
        items = [i for k, i in enumerate(request.items) if not (
            i.term.kind == "break" and i.text == "." and 0 < k < len(request.items) - 1
            and request.items[k - 1].term.kind == "number" and request.items[k + 1].term.kind == "range")]
        # "vertebrae from the top of the scan down to L1": a count's starting end is an end of what is shown
        items = [Item(i.start, i.end, Term("extreme", self.words.from_end[i.text], "language"), i.text)
                 if i.text in self.words.from_end and i.term.kind == "filler" else i for i in items]
        for r, item in enumerate(items):
            if item.term.kind != "range":
                continue
            if 0 < r < len(items) - 1 and items[r - 1].term.kind == "number" and items[r + 1].term.kind == "extreme" \
                    and not any(ch.isalpha() for ch in item.text):
                continue  # "the third-highest": one ordinal word, not a range (a range word: "9. bis zur letzten")
            if 0 < r < len(items) - 1 and all(i.term.kind == "number" or i.term.kind in MENTION
                                               for i in (items[r - 1], items[r + 1])):
                continue  # "the lowest of left ribs 8 to 10": a closed range, the end word picks within it
            stop = next((j for j in range(r, len(items)) if items[j].term.kind == "break"), len(items))
            start = _clause_start(items, r)
            before, after = items[start:r], items[r + 1:stop]
            # "ribs 7 to 10 except the first and the last": an end word after an exception is the exception's
            after = after[:next((j for j, i in enumerate(after) if i.term.kind == "exclusion"), len(after))]
            extreme_first = any(i.term.kind == "extreme" for i in before)
            if extreme_first and any(i.term.kind == "extreme" for i in after):
                return self._range_end_to_end(request, items[start:stop], before, after)
            if extreme_first == any(i.term.kind == "extreme" for i in after):
                continue
            if self._end_of_a_part(before if extreme_first else after, after if extreme_first else before):
                continue  # "from the last thoracic to L2": the end word picks a member of the part it names
            end = next(str(i.term.value) for i in (before if extreme_first else after) if i.term.kind == "extreme")
            members = self._range_member(items[start:stop], after if extreme_first else before)
            if not members:
                return None
            ranges = [Range(of, *((end, position) if extreme_first else (position, end))) for of, position in members]
            finding = self._evaluate(request, union(*ranges))
            if finding is None or not finding.ids:
                return None
            return self._answer(request, finding, "range to an end")
        return None

    def _clause_of_its_own(self, tail: list[Item]) -> int | None:
        """Where, after the relation's first landmark, a clause of its own begins: a relative word, a comma or a
        verb we do not read before another name ("... the pancreas that joins the portal vein", "... the stomach,
        draped across the spine"). None when every name after the relation word is its landmark."""
        named = [j for j, i in enumerate(tail) if i.term.kind in MENTION]
        if len(named) < 2:
            return None
        relative = self._word_sets["relative_words"]
        for j in range(named[0] + 1, named[-1]):
            if tail[j].text in relative or tail[j].text == "," or tail[j].term.kind == "unknown" and tail[j].text.isalpha():
                return j
        return None

    def _end_of_a_part(self, said_end: list[Item], other_end: list[Item]) -> bool:
        """Whether the end word is said of a group that is not the other end's series ("the last thoracic" to
        "the second lumbar vertebra"): it names a member of that group, one end of a closed range, not the end of
        what the image shows ("from T12 to the last vertebra": the vertebrae are T12's own series)."""
        at = next(j for j, i in enumerate(said_end) if i.term.kind == "extreme")
        named = [str(i.term.value) for i in said_end[at + 1:at + 2] if i.term.kind in MENTION]
        others = [str(i.term.value) for i in other_end if i.term.kind in MENTION and str(i.term.value) in self.ontology]
        return bool(named and others) and named[0] in self.ontology and bool(self.ontology[named[0]].members) \
            and all(named[0] not in (c, *self.ontology.ancestors(c)) for c in others)

    def _range_end_to_end(self, request: Request, clause: list[Item], before: list[Item], after: list[Item]
                          ) -> TargetSpec | None:
        """"the left ribs from the highest to the lowest": an end word on each side of the range word is the
        whole of what the image shows of the series (each side's, when it has sides and none is said)."""
        ends = [next(str(i.term.value) for i in part if i.term.kind == "extreme") for part in (before, after)]
        groups = list(dict.fromkeys(str(i.term.value) for i in clause if i.term.kind in MENTION
                                    and self.ontology[str(i.term.value)].members
                                    and self._series_of(str(i.term.value))))
        if len(set(ends)) != 2 or len(groups) != 1 or any(i.term.kind in MENTION and str(i.term.value) not in groups
                                                          for i in clause):
            return None
        lateral = sorted({self.ontology[c].laterality for c in self.ontology.descendants(groups[0])
                          if not self.ontology[c].members} - {None})
        sides = sorted({str(i.term.value) for i in clause if i.term.kind == "side"} & set(lateral)) or lateral
        series = [Side(Group(groups[0]), side) for side in sides] if len(lateral) > 1 else [Group(groups[0])]
        finding = self._evaluate(request, union(*(Range(of, *ends) for of in series)))
        if finding is None or not finding.ids:
            return None
        return self._answer(request, finding, "range to an end")

    def _range_on_group(self, request: Request) -> TargetSpec | None:
        """"spinal cord plus the vertebrae around it from T12 to L1": a range of a series said after that series'
        group noun (with a relation between them the front end took the range for a landmark of) restricts the
        group; the group is never answered whole beside it. Anything else named is kept as named."""
        items, parsed = request.items, request.parsed
        ranges = [k for k, i in enumerate(items) if i.term.kind == "range"]
        if len(ranges) != 1 or not parsed.context or request.evidence.present is None:
            return None
        r = ranges[0]
        ends = [next((j for j in span if items[j].term.kind in MENTION), None)
                for span in (range(r - 1, -1, -1), range(r + 1, len(items)))]
        if None in ends or not all(abs(j - r) <= 2 for j in ends):
            return None
        members = [str(items[j].term.value) for j in ends]
        series = {self.ontology[c].series for c in members}
        context = {m.concept for m in parsed.context}
        if len(series) != 1 or None in series or not set(members) <= context \
                or any(self.ontology[c].members for c in members):
            return None
        groups = [m for m in parsed.include if self.ontology[m.concept].members
                  and self._series_of(m.concept) == next(iter(series))]
        named = [m for m in parsed.include if m not in groups]
        if len(groups) != 1 or not named:
            return None
        spans = [self._range_member(items[:ends[0] + 1], [items[ends[0]]]),
                 self._range_member(items[:ends[1] + 1], [items[ends[1]]])]
        if not all(len(s) == 1 for s in spans) or spans[0][0][0] != spans[1][0][0]:
            return None
        finding = self._evaluate(request, Range(spans[0][0][0], spans[0][0][1], spans[1][0][1]))
        others = [ground_mention(m, self.ontology) for m in named]
        if finding is None or not finding.ids or any(g.options or not g.ids for g in others):
            return None
        ids = list(dict.fromkeys([c for g in others for c in g.ids] + finding.ids))
        request.reading.rationale.append(f"the range {', '.join(members)} restricts {groups[0].concept}")
        return self._answer(request, spatial.Finding(ids=ids, explicit=False, confidence=finding.confidence,
                                                     why=finding.why, margin=finding.margin), "range of a group")

    def _range_member(self, clause: list[Item], part: list[Item]) -> list[tuple[Expr, int]]:
        """The series and the position in it of a range's named end: a member said by name ("T12") or by number
        after its group ("right ribs from the 10th"; each side's, when no side is said); none when the clause
        names no series member."""
        mentions = [i for i in clause if i.term.kind in MENTION]
        numbers = [n for n in (self.words.number(i) for i in part) if n is not None]
        named = [i for i in part if i.term.kind in MENTION and self.ontology[str(i.term.value)].series
                 and not self.ontology[str(i.term.value)].members]
        sides = {str(i.term.value) for i in clause if i.term.kind == "side"} & {"left", "right"}
        if named:
            concept = self.ontology[str(named[0].term.value)]
            groups = [g for g in self.ontology.concepts if self.ontology[g].members
                      and concept.id in self.ontology.descendants(g) and self._series_of(g) == concept.series]
            said = [str(i.term.value) for i in mentions if str(i.term.value) in groups]
            if not groups:
                return []
            group = said[0] if said else max(groups, key=lambda g: len(self.ontology.descendants(g)))
            of: Expr = Group(group)
            if concept.laterality:
                of = Side(of, concept.laterality)
            pool = sorted((c for c in self.ontology.descendants(group) if self.ontology[c].series == concept.series
                           and not self.ontology[c].members
                           and self.ontology[c].laterality in (concept.laterality, None)),
                          key=lambda c: self.ontology[c].order)
            return [(of, pool.index(concept.id) + 1)]
        groups = list(dict.fromkeys(str(i.term.value) for i in mentions if self.ontology[str(i.term.value)].members
                                    and self._series_of(str(i.term.value))))
        if len(groups) > 1:
            # "right ribs from rib 9": the group said again by a wider name; the narrowest, when it lies in the rest
            narrow = min(groups, key=lambda g: len(self.ontology.descendants(g)))
            if all(g == narrow or narrow in self.ontology.descendants(g) for g in groups):
                groups = [narrow]
        if len(numbers) != 1 or len(groups) != 1:
            return []
        lateral = {self.ontology[c].laterality for c in self.ontology.descendants(groups[0])
                   if not self.ontology[c].members} - {None}
        if len(lateral) <= 1:
            return [(Group(groups[0]), numbers[0])]
        # numbered within each side: the side said, or both ("ribs from the 10th to the last")
        return [(Side(Group(groups[0]), side), numbers[0]) for side in sorted(sides or lateral)]

    def _read_step(self, request: Request) -> TargetSpec | None:
        """"L1, wait, one level higher", "T12. no, one level lower": a step along the series from the member said
        before, when the clause with the step names nothing itself: relation(superior|inferior, x, n)."""
        said = request.discourse
        if said is None or self._both_directions(request.items) \
                or {i.text for i in request.items} & self._word_sets["neighbour_words"]:
            return None  # (a step up and one down from one member are its neighbours)
        scanned = said.scanned
        for k, item in enumerate(scanned):
            if item.text not in self.words.levels:
                continue
            direction = next((self._direction(j.text) for j in scanned[k + 1:k + 3] + scanned[max(0, k - 1):k]
                              if self._direction(j.text)), None)
            start = k
            while start > 0 and scanned[start - 1].term.kind not in ("break", "correction", "conjunction"):
                start -= 1
            end = next((j for j in range(k, len(scanned)) if scanned[j].term.kind == "break"), len(scanned))
            if direction is None or any(i.term.kind in MENTION for i in scanned[k:end]):
                continue
            own = [j for j in range(start, k) if scanned[j].term.kind in MENTION]
            if len(own) > 1:
                continue
            if own:  # "L2 one level up": the member the step starts from, said in the step's own clause
                start = own[0] + 1
            before = [i for i in scanned[:start] if i.term.kind in MENTION]
            if not before:
                return None
            grounded = ground_mention(self._mentions_of([before[-1]])[0], self.ontology)
            if len(grounded.ids) != 1 or not self.ontology[grounded.ids[0]].series:
                return None
            count = next((self.words.number(i) for i in scanned[start:k] if self.words.number(i)), 1)
            finding = self._evaluate(request, Relation(direction, (Concept(grounded.ids[0]),), steps=count),
                                     series_only=True)
            if finding is None:
                return None
            between = scanned[scanned.index(before[-1]) + 1:start]
            # "L2, one level up please": set off by a comma alone, the step says where the target is; a word that
            # joins ("L1 and one level above") asks for both
            replaces = any(i.term.kind in ("correction", "exclusion", "break") for i in between) \
                or not any(i.term.kind == "conjunction" and i.is_word for i in between)
            if not replaces and finding.ids:
                # "L1 and one level above": the step is asked for beside its anchor
                finding.ids = list(dict.fromkeys([grounded.ids[0], *finding.ids]))
                finding.explicit = False
            request.reading.rationale.append(f'a step from "{before[-1].text}", said before')
            return self._answer(request, finding, "step")
        return None

    def _direction(self, text: str) -> str | None:
        """"higher", "above", "up": superior or inferior, from the relation and comparison words."""
        relation = self.words.relations.get(text) or self._steps.get(text)  # "one level up": a step's own words
        if relation in ("superior", "inferior"):
            return relation
        measure = self.words.comparatives.get(text)
        if measure and measure["measure"] == "z":
            return "superior" if measure["sign"] > 0 else "inferior"
        return None

    def _read_comparative(self, request: Request) -> TargetSpec | None:
        """"the higher of the two kidneys", "the lower adrenal", "the second largest solid organ", "the adrenal
        closer to the liver", "the kidney whose upper pole reaches higher": one structure of a set, picked by a
        measure read from the map (centroid or extent along an axis, volume, distance to a landmark). A margin
        too small to tell them apart makes it a question (`readers.COMPARE_*`)."""
        items, evidence = request.items, request.evidence
        if evidence.present is None:
            return None
        if (by_side := self._read_side_choice(request)) is not None:
            return by_side
        if (by_volume := self._read_volume_threshold(request)) is not None:
            return by_volume
        words = self.words
        hits = [k for k, item in enumerate(items) if item.text in words.comparatives and self._compares(items, k)]
        if hits and (trimmed := self._read_ends_taken_away(request)) is not None:
            return trimmed  # "la columna sin la vértebra más alta y la más baja": the ends of what was asked
        cut = self._cut_after_mention(items)
        if not hits or (cut is not None and self._said_both_ends(items[cut + 1:])):
            return None  # "ribs 7-12 minus the top and bottom ones": both ends taken away, not one compared
        used: set[int] = set()
        findings: list[spatial.Finding] = []
        for k in hits:
            measure = words.comparatives[items[k].text]
            start, end = self._comparison_span(items, k)
            landmark = None
            if measure["measure"] == "distance":
                after = [j for j in range(k + 1, end) if items[j].term.kind in MENTION]
                if not after:
                    return None
                grounded = ground_mention(self._mentions_of([items[after[0]]])[0], self.ontology)
                if len(grounded.ids) != 1 or grounded.options or grounded.ids[0] not in evidence.present:
                    return None
                landmark = grounded.ids[0]
                used.add(after[0])
            mentions = [j for j in range(start, end) if items[j].term.kind in MENTION and j not in used
                        and not self._added_after(items, k, j)]
            # ("the biggest gland above the kidneys": a structure after a relation word is where the compared lie,
            # never one of them)
            placed = {j for j in mentions if j > k and any(items[m].term.kind == "locative"
                                                          and items[m].text in self.words.relations for m in range(k + 1, j))}
            following = [j for j in mentions if k < j <= k + 5 and j not in placed] \
                or self._compared_of(items, k, [j for j in mentions if j not in placed])
            preceding = [j for j in mentions if j < k]
            head = following[0] if following else (preceding[-1] if preceding else None)
            later = [h for h in hits if h > k]
            after = [j for j in mentions if k < j < (later[0] if later else end)]
            named_from = self._without_kind(items, mentions)  # the mentions the candidates were named by
            if any(items[j].term.kind == "range"
                   for j in range(min(named_from, default=k), max(named_from, default=k))):
                return None  # "T11 to L2 minus the top one": the named are a range's ends, not the candidates
            if self._compares_named(items, k):
                named = self._named_candidates(items, named_from, evidence)
            elif k + 1 < end and self._of_follows(items, k):
                named_from = self._without_kind(items, after)
                named = self._named_candidates(items, named_from, evidence)  # "the larger of X and Y"
            else:
                named = None
            others = [j for j in mentions if j != head]
            if named is None and head is not None and len(others) >= 2 \
                    and items[head].term.kind == "singular" and measure["measure"] != "distance":
                # "the bigger vessel: aorta or IVC": a kind named in the singular, then the candidates of that
                # kind; any candidate not of the kind makes it something else (a relation, a list)
                kind = str(items[head].term.value)
                candidates = self._named_candidates(items, others, evidence)
                within = self.ontology.descendants(kind) | {kind}
                if candidates and all(c in within for c in candidates):
                    named, named_from = candidates, others
            if named is None and len(after) >= 2 and measure["measure"] != "distance" \
                    and (category := self._category_after(items, k, min(k + 3, end))) is not None:
                # "the bigger organ, pancreas or spleen?": a kind word (not a structure), then the candidates of it
                candidates = self._named_candidates(items, after, evidence)
                if candidates and all(self.in_category(c, category) for c in candidates):
                    named, named_from = candidates, after
            named_ids: list[str] = []
            named_expr: Expr | None = None
            for j in (named_from if named is not None else []):
                # the expression keeps the names said ("the kidneys", not its two members), so the trace and the
                # word accounting see every named structure used; the evaluator expands them to present parts
                grounded = ground_mention(self._mention_at(items, j), self.ontology)
                named_ids += [c for c in (grounded.ids or grounded.options) if c not in named_ids]
            if named is not None:
                # "the larger of the liver and the spleen", "which is smaller, X or Y": the candidates are the
                # structures named around the comparison, each a set of its present parts
                used |= set(mentions)
                pool = named
                # "which is smaller on the right, adrenal or kidney", "the smaller of the kidney and adrenal on the
                # left", "of the left kidney and adrenal": one side said once is said of every candidate
                side = self._one_side_said(items, start, end) or self._side_of_named(items, named_from)
                if side is not None:
                    pool = [c for c in pool if self.ontology[c].laterality in (side, None)]
                    named_expr = self._named_on_side(items, named_from, side)
                    if len(pool) < 2:
                        return None
            elif head is not None:
                used.add(head)
                concept = self._sided_subgroup(str(items[head].term.value), items, start, end, k)
                if measure["measure"] != "distance" and not self._series_of(concept) and (subgroups := [
                        m for m in self.ontology[concept].members if self.ontology[m].members]) \
                        and not self._parts_named(concept, items[head + 1:head + 2]):
                    # "the bigger lung": the candidates may be groups of parts (each lung its lobes) or the parts
                    # ("lobe" grounds to the same group); a measure of one part could pick a lobe for a lung: ask
                    return ask(subgroups, request.reading, evidence, self.ontology,
                               why=f"comparison: {concept} is made of groups ({', '.join(subgroups)}); not compared")
                pool = sorted(c for c in self.ontology.descendants(concept) | {concept}
                              if not self.ontology[c].members or c in evidence.present)
                # the side said just before, or just after the noun ("the smallest rib on the left")
                near = range(max(start, min(k, head) - 2), min(end, max(k, head) + 3))
                sides = {str(items[j].term.value) for j in near if items[j].term.kind == "side"
                         and not any(items[m].term.kind in MENTION for m in range(head + 1, j))} & {"left", "right"}
                offered = {str(items[j].term.value) for j in range(start, end) if items[j].term.kind == "side"}
                if len(sides) == 1 and not {"left", "right"} <= offered:
                    # (both sides offered, "which kidney is bigger, the left or the right": the pair is compared)
                    pool = [c for c in pool if self.ontology[c].laterality in (*sides, None)]
                if numbered := self._numbered_members(request, str(items[head].term.value)):
                    # "the more cranial rib of left 8 and left 11": the members named by number are the candidates
                    pool = named = named_ids = numbered
            elif measure["measure"] == "volume" and any(self._anything_head(items[j])
                                                       for j in range(max(start, k - 2), min(k + 3, end))):
                # "the three biggest structures in this scan": every structure the image shows is a candidate (by
                # size only: "the lowest structure" has no one answer, a long bowel loop or a cut bone)
                pool = sorted(evidence.present)
            else:
                category = self._category_after(items, k, end) or self._category_before(items, start, k)
                if category is None:
                    return None
                pool = sorted(c for c in evidence.present if self.in_category(c, category))
            pool = [c for c in pool if c in evidence.present]
            if all(self.ontology[c].series for c in pool) and measure["measure"] != "volume" and named is None:
                return None  # order within a series is the ordinal reader's (its size is not)
            previous = items[k - 1] if k > 0 else None
            if previous is not None and previous.text == "-" and k > 1:
                previous = items[k - 2]  # "second-largest": the hyphen joins the rank to its comparative
            rank, count = 1, 1
            if previous is not None and (number := words.number(previous)) is not None:
                if previous.text.isdigit() or previous.text in words.cardinals:
                    count = number
                else:
                    rank = number
            reach = any(items[j].text in words.reach for j in range(start, k))
            part = next((words.parts[items[j].text] for j in range(start, end) if items[j].text in words.parts), None)
            finding = self._evaluate(request, Compare(
                measure["measure"], int(measure["sign"]), named_expr or of_ids(
                    named_ids if named is not None and named_ids else pool), rank, count,
                Concept(landmark) if landmark else None, reach, tuple(part) if part else None))
            if not finding.ids and not finding.question:
                return None
            if any(items[j].term.kind == "exclusion" for j in range(start, k)) and finding.ids:
                # "both kidneys minus the bigger one", "the adrenals except the lower": the set without the one
                # the comparison picks (a difference), never the one it picks
                kept = [c for c in pool if c not in finding.ids]
                finding.why.append(f"without {', '.join(finding.ids)}: {', '.join(kept) or 'nothing'}")
                request.reading.expressions[-1] = {"op": "difference", "items": [
                    {"op": "union", "items": [{"op": "concept", "id": c} for c in pool]}, request.reading.expressions[-1]]}
                finding.ids, finding.explicit = kept, len(kept) == 1
                if not kept:
                    return None
                request.parsed.exclude_refs = [r for r in request.parsed.exclude_refs if not r.extreme]
            findings.append(finding)
        asked = [j for j, item in enumerate(items) if item.term.kind in MENTION and j not in used]
        if asked:
            return None  # other structures are asked for too: not a comparison alone
        questions = [c for f in findings for c in f.question]
        finding = spatial.Finding(ids=[c for f in findings for c in f.ids], question=questions,
                                  why=[line for f in findings for line in f.why],
                                  confidence=spatial.CONFIDENCE_COMPARATIVE,
                                  explicit=all(f.explicit for f in findings))
        if questions:
            finding.ids = []
        return self._answer(request, finding, "comparative")

    @cached_property
    def _volume_units(self) -> dict[str, float]:
        """"ml", "cc", "cm3": a number followed by one is a volume, in ml times the factor (data: volume_units)."""
        return {" ".join(tokenize(k)): float(v) for k, v in self.language.get("volume_units", {}).items()
                if not k.startswith("_")}

    def _volume_said(self, items: list[Item]) -> tuple[int, int, float] | None:
        """(position of the size word, its sign, the volume in ml) for "larger than 100 ml", "over 50 cc",
        "kleiner als 20 ml"; None when no size word is followed, a few words on, by a number and a volume unit."""
        than = {" ".join(tokenize(w)) for w in self.language.get("comparison_than", ())}
        for k, item in enumerate(items):
            head, _, last = item.text.rpartition(" ")
            word = head if last in than and head in self.words.comparatives else item.text  # "größer als"
            measure = self.words.comparatives.get(word, {})
            relation = self.words.relations.get(item.text) if item.term.kind == "locative" else None
            sign = measure.get("sign") if measure.get("measure") == "volume" else \
                {"superior": 1, "inferior": -1}.get(relation or "")
            volume = next((v for j in range(k + 1, min(k + 4, len(items))) if (v := self._volume_at(items, j))), None)
            if sign is not None and volume is not None:
                return k, int(sign), volume
        return None

    def _size_unread(self, items: list[Item], j: int) -> bool:
        """Whether the words just before the volume at `j` (back to a structure's name) hold one we could not read, or
        a word the scan dropped ("reins plus grands que 80 ml", "riñones de más de 80 ml"); "a cyst of 20 ml" does
        not: it describes, with nothing unread."""
        start = j
        while start > 0 and j - start < 3 and items[start - 1].term.kind not in MENTION:
            start -= 1
        before = items[start:j]
        gap = any(b.start - a.end > 0 for a, b in zip(items[start - 1:j], items[start:j + 1]) if start > 0)
        return gap or any(i.term.kind in ("unknown", "conjunction") or i.text in self.words.comparatives
                          for i in before)

    def _volume_at(self, items: list[Item], j: int) -> float | None:
        """The volume in ml said at `j` ("100 ml", "100ml"), or None."""
        text = items[j].text
        digits = len(text) - len(text.lstrip("0123456789"))
        if 0 < digits < len(text) and text[digits:] in self._volume_units:
            return int(text[:digits]) * self._volume_units[text[digits:]]
        if items[j].term.kind == "number" and text.isdigit() and j + 1 < len(items) \
                and items[j + 1].text in self._volume_units:
            return int(text) * self._volume_units[items[j + 1].text]
        return None

    def _read_volume_threshold(self, request: Request) -> TargetSpec | None:
        """"kidneys larger than 100 ml", "organs smaller than 20 cc": the structures asked whose volume in this image
        lies beyond the number said. One within the comparison's margin of it (`compare.volume_ratio`) cannot be
        told either way: a question, never a guess."""
        items, evidence = request.items, request.evidence
        said = self._volume_said(items)
        if said is None and any(self._volume_at(items, j) and self._size_unread(items, j) for j in range(len(items))) \
                and request.parsed.include:
            # "riñones de más de 80 ml": a volume said with a word of size we could not read; answering without
            # it would give every structure, whatever its size
            candidates = [c for m in request.parsed.include for c in ground_mention(m, self.ontology).ids]
            return ask(candidates, request.reading, evidence, self.ontology, why="volume: its comparison not read",
                       message="I could not read what the volume you gave says (larger or smaller than it?). "
                               "Which do you want?")
        if said is None:
            return None
        k, sign, threshold = said
        present = evidence.present
        pool: list[str] = []
        for mention in request.parsed.include:
            grounded = ground_mention(mention, self.ontology)
            pool += [leaf for c in (grounded.ids or grounded.options)
                     for leaf in self.ontology.leaves(c, set(evidence.vocabulary)) if leaf in present
                     and leaf not in pool]
        if not request.parsed.include:
            category = self._category_after(items, max(-1, k - 3), len(items))
            if category is not None:
                pool = sorted(c for c in present if self.in_category(c, category))
            elif any(self._anything_head(i) for i in items[:k]):
                pool = sorted(present)
        if not pool:
            return None
        volumes = {c: present[c].volume_ml for c in pool}
        ratio = T.compare.volume_ratio
        close = [c for c in pool if max(volumes[c], threshold) < ratio * min(volumes[c], threshold)]
        kept = [c for c in pool if sign * (volumes[c] - threshold) > 0 and c not in close]
        word = "larger" if sign > 0 else "smaller"
        lines = ", ".join(f"{c} {volumes[c]:.1f} ml" for c in sorted(pool, key=lambda c: -volumes[c])[:6])
        request.reading.expressions.append({"op": "compare", "metric": "volume", "sign": sign,
                                            "threshold_ml": threshold, "candidates": {"op": "union", "items": [
                                                {"op": "concept", "id": c} for c in pool]}})
        request.reading.rationale.append(f"volume {word} than {threshold:g} ml: {lines}")
        if close:
            names = ", ".join(f"{self.ontology[c].name} ({volumes[c]:.0f} ml)" for c in close)
            return ask(list(dict.fromkeys(close + kept)), request.reading, evidence, self.ontology,
                       why=f"volume: {', '.join(close)} too close to {threshold:g} ml to tell",
                       message=f"In this image {names} is too close to {threshold:g} ml to tell whether it is "
                               f"{word}. Which do you want?")
        finding = spatial.Finding(ids=kept, explicit=False, confidence=T.confidence.comparative,
                                  margin=f"nearest to {threshold:g} ml: " + ", ".join(
                                      f"{c} {volumes[c]:.1f}" for c in sorted(pool, key=lambda c: abs(
                                          volumes[c] - threshold))[:2]),
                                  why=[f"{word} than {threshold:g} ml: {', '.join(kept) or 'none'}"])
        return self._answer(request, finding, "comparative")

    @cached_property
    def _pick_words(self) -> set[str]:
        """"the one", "whichever", "which", "celle", "diejenige": words that pick one of a set said before."""
        values = {w for w, roles in self.language.get("question_words", {}).items()
                  if isinstance(roles, list) and "value" in roles}
        # single words only: a phrase's words ("the one with") are each too common to pick on their own
        return {tokenize(w)[0] for w in (*self._word_sets["choice_words"], *self.language.get("pointer_words", ()),
                                         *values) if len(tokenize(w)) == 1}

    def _read_side_choice(self, request: Request) -> TargetSpec | None:
        """"of the aorta and the IVC, the one on the patient's right", "which of aorta and IVC lies on the left":
        one of two or more named unpaired structures, picked by the side said once for the choice; the one that
        lies further to that side, with the comparison's margin (too close: a question)."""
        items, evidence = request.items, request.evidence
        sides = [j for j, i in enumerate(items) if i.term.kind == "side"]
        if len(sides) != 1 or str(items[sides[0]].term.value) not in ("left", "right"):
            return None
        if not any(i.term.kind == "anaphora" or i.text in self._pick_words for i in items[:sides[0]]):
            return None  # "the aorta and the IVC on the left" says where both are, never which one
        mentions = [j for j, i in enumerate(items) if i.term.kind in MENTION]
        before = [j for j in mentions if j < sides[0]]
        if len(before) < 2 or any(i.term.kind not in ("filler", "conjunction", "unknown", "anaphora", "break")
                                  for k, i in enumerate(items) if k not in mentions and k != sides[0]
                                  and not self._leads_to(items, k, sides[0])):
            return None
        candidates: list[str] = []
        said: list[Expr] = []  # the names as said ("the vena cava"), so the word accounting sees each one used
        for j in self._without_kind(items, mentions):
            mention = self._mention_at(items, j)
            grounded = ground_mention(mention, self.ontology)
            shown = [c for i in grounded.ids or grounded.options
                     for c in self.ontology.leaves(i, set(evidence.vocabulary)) or [i] if c in evidence.present]
            if len(shown) != 1 or self.ontology[shown[0]].laterality is not None:
                return None  # a paired or a group name: the side may be its own, not the choice's
            candidates += [c for c in shown if c not in candidates]
            said.append(Concept(shown[0]) if mention.numbers else Concept(mention.concept))
        if len(candidates) < 2:
            return None
        side = str(items[sides[0]].term.value)
        finding = self._evaluate(request, Compare("x", -1 if side == "left" else 1, union(*dict.fromkeys(said))))
        if finding is None or not finding.ids and not finding.question:
            return None
        finding.why.append(f"the one on the {side} of {', '.join(candidates)}")
        return self._answer(request, finding, "comparative")

    def _leads_to(self, items: list[Item], k: int, side: int) -> bool:
        """A locative or filler just before the side word ("on the left", "à droite"): the side's own; or "among"
        opening the set ("tra aorta e cava, quella a sinistra")."""
        if items[k].text in self.words.between and all(i.term.kind == "filler" for i in items[:k]):
            return True
        return k < side and all(i.term.kind in ("locative", "filler") or self._side_preposition(items, j)
                                for j, i in enumerate(items[k:side], start=k))

    def _side_preposition(self, items: list[Item], j: int) -> bool:
        """A one-letter range word ("a") just before a side word: a preposition ("a destra", "a la derecha"),
        not a range."""
        following = next((i for i in items[j + 1:] if i.term.kind != "filler"), None)
        return items[j].term.kind == "range" and len(items[j].text) == 1 and following is not None \
            and following.term.kind == "side"

    def _mention_at(self, items: list[Item], j: int) -> Mention:
        """The mention at items[j] with the numbers said right after it: "rib 7" names the 7th ribs, not all ribs."""
        end = j + 1
        while end < len(items) and items[end].term.kind == "number":
            end += 1
        return self._mentions_of(items[j:end])[0]

    def _named_sides(self, items: list[Item], j: int) -> set[str | None]:
        grounded = ground_mention(self._mention_at(items, j), self.ontology)
        return {self.ontology[c].laterality for c in grounded.ids or grounded.options}

    def _side_of_named(self, items: list[Item], mentions: list[int]) -> str | None:
        """"of the left kidney and adrenal", "rib 7 and rib 12 on the right": where some candidates carry one side
        and the others none, that side is said of the list; a list that says both sides says neither."""
        said = [sides for j in mentions if len(sides := self._named_sides(items, j)) == 1]
        sides = {side for s in said for side in s} & {"left", "right"}
        bare = any({"left", "right"} <= self._named_sides(items, j) for j in mentions)
        return sides.pop() if len(sides) == 1 and bare else None

    def _named_on_side(self, items: list[Item], mentions: list[int], side: str) -> Expr:
        """The candidates on `side`: a paired name said without a side is kept as said ("the kidney" on the
        left), so the trace and the word accounting see it; the evaluator takes its part on that side."""
        named: list[Expr] = []
        for j in mentions:
            mention = self._mention_at(items, j)
            grounded = ground_mention(mention, self.ontology)
            ids = grounded.ids or grounded.options
            if {"left", "right"} <= {self.ontology[c].laterality for c in ids}:
                named.append(Side(of_ids(ids) if mention.numbers else Concept(mention.concept), side))
            else:
                named += [Concept(c) for c in ids if self.ontology[c].laterality in (side, None)]
        return union(*dict.fromkeys(named))

    def _numbered_members(self, request: Request, concept: str) -> list[str]:
        """The members of `concept` one mention names by two or more numbers ("rib ... left 8 and left 11"),
        each present; empty when not every one named is, or when they are not numbered so."""
        present = request.evidence.present or {}
        single = [m for m in request.parsed.include if m.concept == concept and len(m.numbers) == 1 and not m.sides]
        if len(single) == 1 and len(request.parsed.include) == 1:
            # "the larger 10th rib": one number without a side names the pair at that position
            options = ground_mention(single[0], self.ontology).options
            return options if self._one_position(options) and all(c in present for c in options) else []
        mentions = [m for m in request.parsed.include if m.concept == concept and len(m.numbers) >= 2]
        if len(mentions) != 1:
            return []
        grounded = ground_mention(mentions[0], self.ontology)
        ids = grounded.ids if not grounded.options else []
        if len({self.ontology[c].laterality for c in ids}) > 1:
            return []  # "left 8 and right 11": the one mention keeps one side; which number has which is lost
        leaves = [c for c in ids if not self.ontology[c].members]
        return leaves if len(leaves) >= 2 and len(leaves) == len(ids) and all(c in present for c in leaves) else []

    def _one_side_said(self, items: list[Item], start: int, end: int) -> str | None:
        """The one side (left or right) said as its own word in items[start:end], or None."""
        sides = {str(items[j].term.value) for j in range(start, end) if items[j].term.kind == "side"}
        return sides.pop() if len(sides) == 1 and sides <= {"left", "right"} else None

    def _sided_subgroup(self, concept: str, items: list[Item], start: int, end: int, k: int) -> str:
        """"the lower of the left lung lobes": a group made of one group per side, with one side said in the
        comparison's clause, is that side's group (its parts are the candidates); otherwise the group itself.
        A side just before the comparative may make it a name ("all lobes except the left lower one"), and
        an exclusion may take the side's part away: neither narrows."""
        sides = {str(items[j].term.value) for j in range(start, end) if items[j].term.kind == "side"}
        if len(sides & {"left", "right"}) != 1 or (k > 0 and items[k - 1].term.kind == "side") \
                or any(items[j].term.kind == "exclusion" for j in range(start, end)):
            return concept
        sided = [m for m in self.ontology[concept].members
                 if self.ontology[m].members and self.ontology[m].laterality in sides]
        return sided[0] if len(sided) == 1 else concept

    def _without_kind(self, items: list[Item], mentions: list[int]) -> list[int]:
        """"which vessel is smaller, aorta or IVC": a kind named in the singular beside two or more structures of
        that kind says what they are; it is not itself a candidate."""
        if len(mentions) < 3:
            return mentions
        for j in mentions:
            if items[j].term.kind != "singular":
                continue
            kind = str(items[j].term.value)
            within = self.ontology.descendants(kind) | {kind}
            if all(str(items[m].term.value) in within for m in mentions if m != j):
                return [m for m in mentions if m != j]
        return mentions

    def _compared_of(self, items: list[Item], k: int, mentions: list[int]) -> list[int]:
        """"the lower of the left 9th and 10th ribs": after "of", the numbers and the side said before their noun
        may put it farther from the comparative than a noun it qualifies; the first structure named after "of" is
        the one compared."""
        if not self._of_follows(items, k):
            return []
        return [j for j in mentions if j > k][:1]

    def _added_after(self, items: list[Item], k: int, j: int) -> bool:
        """Whether the structure at `j`, after the comparative at `k`, is said in a conjunct of its own that is
        added to the answer ("the larger of the kidneys plus the spleen") or points back with a possessive ("the
        smaller of the two kidneys and its adrenal"): it goes with what the comparison picks, never among the
        compared, which a list word ("and", "or") joins. (After one structure, "the smaller of the right kidney and
        its adrenal", the possessive's conjunct is the second compared: one alone is no comparison.)"""
        joined = next((m for m in range(j - 1, k, -1) if items[m].term.kind in ("conjunction", "break")), None)
        if joined is None:
            return False
        group_before = any(items[m].term.kind in MENTION and str(items[m].term.value) in self.ontology
                           and self.ontology[str(items[m].term.value)].members for m in range(k + 1, joined))
        return items[joined].text in self._word_sets["additive_words"] or group_before and any(
            items[m].text in self._word_sets["possessive_pronouns"] for m in range(joined + 1, j))

    def _of_follows(self, items: list[Item], k: int) -> bool:
        """Whether "of" follows the comparative at `k`: as a word, or as the start of a name the lexicon holds with
        it ("le plus haut de la rate et du pancréas": "de la rate" is one term)."""
        if k + 1 >= len(items) or items[k].text not in self.words.comparatives:
            return False
        following = items[k + 1]
        if tokenize(items[k].text)[-1:] and tokenize(items[k].text)[-1] in self._word_sets["comparison_followers"]:
            return following.term.kind in MENTION  # "le plus bas de | la rate": the "of" is the end word's own
        return following.text in self._word_sets["comparison_followers"] or (
            following.term.kind in MENTION and tokenize(following.text)[:1] != []
            and tokenize(following.text)[0] in self._word_sets["comparison_followers"])

    def _named_candidates(self, items: list[Item], mentions: list[int], evidence: Evidence) -> list[str] | None:
        """Two or more structures named in the comparison's clause, joined as a list ("the liver and the
        spleen", "X or Y"), each present: the candidates compared, or None when the clause names fewer."""
        if len(mentions) < 2:
            return None
        pool: list[str] = []
        for j in mentions:
            grounded = ground_mention(self._mention_at(items, j), self.ontology)
            ids = grounded.ids or grounded.options
            leaves = [c for i in ids for c in self.ontology.leaves(i, set(evidence.vocabulary))
                      if c in evidence.present] or [i for i in ids if i in evidence.present]
            if not leaves:
                return None
            pool += [c for c in leaves if c not in pool]
        return pool if len(pool) >= 2 else None

    def _compares(self, items: list[Item], k: int) -> bool:
        """Whether the comparative word at `k` compares structures ("the lower kidney", "the higher of the two",
        "the one that reaches highest", "closer to the liver"), not a word inside a description ("in the upper
        right abdomen")."""
        words = self.words
        if words.comparatives[items[k].text]["measure"] == "distance":
            return True
        previous = items[k - 1] if k > 0 else None
        if previous is not None and previous.text in words.reach:
            return True
        # "die tiefer liegende Niere", "the higher-sitting kidney": a position participle between the comparative
        # and its noun belongs to the comparative
        following = [i for i in items[k + 1:k + 4] if i.text not in words.reach and i.text != "-"][:2]
        if self._compares_named(items, k) or self._chosen(items, k):
            return True
        if following and following[0].term.kind == "conjunction" and following[0].is_word:
            # "the largest and the smallest vertebra": two comparatives share the noun after the second
            # ("the largest and second largest organ": a rank before the second)
            later = next((j for j in range(k + 2, len(items)) if items[j].text in words.comparatives
                          or items[j].term.kind not in ("filler", "number") and items[j].text != "-"), None)
            return later is not None and items[later].text in words.comparatives and self._compares(items, later)
        rest = items[k + 1:self._comparison_span(items, k)[1]]
        head = next((i for i in following if i.term.kind != "filler" or self._anything_head(i)), None)
        if head is not None and self._anything_head(head) \
                and words.comparatives[items[k].text]["measure"] == "volume":
            # "die drei größten Strukturen": a plural head word may scan as filler ("the tiniest labelled
            # structure": a filler adjective may come before it)
            return True
        if not following or following[0].term.kind == "break" \
                or all(i.term.kind in ("filler", "side") for i in rest) \
                or following[0].term.kind == "conjunction" and not following[0].is_word:
            # "el riñón más grande", "le rein le plus petit": a comparative after its noun, ending the clause
            # ... or after a relative clause's opening ("the kidney which is more small", "la rate qui est
            # plus petite"): the relative word and the copula stand between the noun and its comparative
            # ("the vertebra with the most volume": a possession word too)
            bridge = self.discourse.relatives | self.common_stop | self._word_sets["possession_words"]
            said = [i for i in items[max(0, k - 4):k] if (i.term.kind != "filler" or self._anything_head(i))
                    and i.text not in bridge]
            # ("which erector spinae is bigger?": a pair named as one is compared by size as well)
            pair = said and said[-1].term.kind == "concept" and len(self.ontology[str(said[-1].term.value)].members) == 2
            # ("el órgano más grande": a kind of structure, like a structure's noun, is compared by any measure)
            return bool(said) and (said[-1].term.kind == "singular" or said[-1].text in words.categories
                                   or (self._anything_head(said[-1]) or pair)
                                   and words.comparatives[items[k].text]["measure"] == "volume")
        first = following[0]
        if first.term.kind == "concept" and self.ontology[str(first.term.value)].members \
                and words.comparatives[items[k].text]["measure"] != "volume":
            # "the lower back muscles": a group named in the plural is asked for whole; a size compares
            # ("the bigger erector spinae": a pair named as one; never both of them)
            return False
        if first.term.kind in MENTION or first.text in self._word_sets["comparison_followers"] \
                or first.text in words.categories or self._anything_head(first):
            return True
        if first.term.kind == "number" and len(following) > 1 and following[1].term.kind == "singular" \
                and words.comparatives[items[k].text]["measure"] == "volume":
            return True  # "the larger 10th rib": the size picks one of the pair at that number
        return len(following) > 1 and first.term.kind == "unknown" and (
            f"{first.text} {following[1].text}" in words.categories or following[1].text in words.categories)

    def _parts_named(self, concept: str, following: list[Item]) -> bool:
        """"the largest lung lobe": a head word right after a group's name that every part of the group is called
        by ("lobe": each lobe's name) says the parts are compared, not the groups made of them."""
        heads = [i.text for i in following if i.term.kind == "head"]
        leaves = [c for c in self.ontology.descendants(concept) if not self.ontology[c].members]
        return bool(heads and leaves) and all(heads[0] in self._name_words[c] for c in leaves)

    def _anything_head(self, item: Item) -> bool:
        """A noun of no kind ("structure", "thing") said as the head of a comparison: it allows any structure. A
        pro-form ("the bigger one") stands for what was said before, never for everything."""
        return item.term.kind in ("head", "filler") and item.text in self.words.generic \
            and item.text not in self.index.pro_forms and item.text not in self._word_sets["object_pronouns"]

    def _compares_named(self, items: list[Item], k: int) -> bool:
        """"which is bigger, the stomach or the pancreas?", "liver or spleen, whichever is larger": a comparative
        set off by punctuation (or ending its clause) in a clause that names two or more structures."""
        start, end = self._comparison_span(items, k)
        if sum(items[j].term.kind in MENTION for j in range(start, end)) < 2:
            return False
        # what follows the comparative; filler that ends the clause ("..., the one with more volume in this
        # scan") is as if nothing followed
        # ("which is bigger here, X or Y": a filler word after the comparative does not follow it)
        # ("which is smaller on the right, X or Y": nor does a side, which is said of the candidates)
        # ("più piccolo a destra": nor does a preposition the side's own, read as a range word)
        after = next((items[j] for j in range(k + 1, end) if items[j].term.kind not in ("filler", "side")
                      and not self._side_preposition(items, j)), None)
        if all(items[j].term.kind in ("filler", "anaphora") for j in range(k + 1, end)):
            after = None  # "of X, Y and Z, the smallest one": the pronoun stands for the named ones
        return after is None or not after.is_word and after.term.kind in ("conjunction", "break") \
            or self._chosen(items, k)

    def _chosen(self, items: list[Item], k: int) -> bool:
        """"X or Y, whichever has more volume in this scan": a choice word before the comparative in its clause
        makes it a pick among what the clause names, whatever follows it."""
        start, _ = self._comparison_span(items, k)
        return any(items[j].text in self._word_sets["choice_words"] for j in range(start, k))

    def _comparison_span(self, items: list[Item], k: int) -> tuple[int, int]:
        """The clause of the comparative at `k`, joined across a colon to the list it introduces or ends
        ("which is smaller: the stomach or the liver?", "stomach, pancreas, gallbladder: the smallest")."""
        def ends(j: int) -> bool:
            return items[j].term.kind == "break" and items[j].text not in self._list_marks

        start = k
        while start > 0 and not ends(start - 1):
            start -= 1
        end = next((j for j in range(k, len(items)) if ends(j)), len(items))
        if start > 0 and not any(items[j].term.kind in MENTION for j in range(start, end)) \
                and all(items[j].term.kind in ("filler", "anaphora") for j in range(k + 1, end)):
            # "gallbladder vs pancreas - segment the larger": a comparative ending a clause that names nothing
            # picks among what the clause before it names
            start -= 1
            while start > 0 and not ends(start - 1):
                start -= 1
        return start, end

    def _kind_of_the_one_before(self, head_items: list[Item], mention_at: list[int]) -> bool:
        """Whether the last two structures said are a structure and then, after a joining word, the bare noun of
        a group that holds it ("L1 and the vertebra", "the fractured vertebra and the vertebra")."""
        if len(mention_at) < 2:
            return False
        name, kind = head_items[mention_at[-2]], head_items[mention_at[-1]]
        joined = any(i.term.kind == "conjunction" and i.is_word for i in head_items[mention_at[-2]:mention_at[-1]])
        group, said = str(kind.term.value), str(name.term.value)
        # (a plural kind too when the structure said is a numbered position of it: "both 10th ribs and the ribs")
        plural_kind = kind.term.kind == "concept" and said == group and mention_at[-2] > 0 \
            and self.words.number(head_items[mention_at[-2] - 1]) is not None
        return joined and (kind.term.kind == "singular" or plural_kind) and name.term.kind in MENTION \
            and group in self.ontology and (said == group or said in self.ontology.descendants(group))

    def _category_after(self, items: list[Item], k: int, end: int) -> str | None:
        for j in range(k + 1, end):
            pair = f"{items[j].text} {items[j + 1].text}" if j + 1 < end else None
            if pair in self.words.categories:
                return self.words.categories[pair]
            if items[j].text in self.words.categories:
                return self.words.categories[items[j].text]
        return None

    def _category_before(self, items: list[Item], start: int, k: int) -> str | None:
        """"el órgano más grande", "l'organe le plus grand": the kind said right before a comparative that follows
        its noun (only fillers between them)."""
        for j in range(k - 1, start - 1, -1):
            if items[j].text in self.words.categories:
                return self.words.categories[items[j].text]
            if items[j].term.kind != "filler":
                return None
        return None

    def _read_series_sequence(self, request: Request) -> TargetSpec | None:
        """"the vertebra right after T12", "the rib before the 10th on the left": a sequence word ("after",
        "before": the language files' `sequence_words`) before a member of a series, with the series' noun asked,
        steps one member along its numbering: next is the one below, previous the one above."""
        mentions = [i for i in request.items if i.term.kind in MENTION and str(i.term.value) in self.ontology]
        if len(mentions) != 2 or not self.ontology[str(mentions[1].term.value)].series:
            return None  # (the phrase search below is costly: most requests are no such shape)
        for start, end, kind in tract.sequence_spans(request.text.tokens, self.language.get("sequence_words") or {},
                                                     self.words.relations):
            anchor = next((i for i in mentions if end <= i.start <= end + tract.GAP), None)
            heads = [i for i in mentions if i.end <= start]
            if anchor is None or len(heads) != 1:
                continue
            member = self.ontology[str(anchor.term.value)]
            if not member.series or member.members or not self._in_series(str(heads[0].term.value), member.series):
                continue
            relation = Relation("inferior" if kind == "next" else "superior", (Concept(member.id),), steps=1)
            finding = self._evaluate(request, relation, series_only=True)
            if finding is not None:
                return self._answer(request, finding, f"{kind} along the series")
        return None

    def _one_position(self, ids: list[str]) -> bool:
        """Whether `ids` are the left and the right member at one position of one series (both 10th ribs)."""
        concepts = [self.ontology[c] for c in ids]
        return len(concepts) == 2 and all(c.series and c.order is not None for c in concepts) \
            and len({(c.series, c.order) for c in concepts}) == 1 \
            and {c.laterality for c in concepts} == {"left", "right"}

    def _read_relation(self, request: Request) -> TargetSpec | None:
        """"the vein behind the pancreas", "one level above L2", "the rib under the left eighth": a head, a relation
        word and a landmark, resolved against the map's centroids, extents, contacts and series order. Also: the
        landmark said before the relation ("the organ the gallbladder is attached to": the relation is turned
        round), "on the spleen's side", a landmark that is a group ("next to the spine": the union of its parts),
        and a landmark said by a pronoun or a finding ("the vertebra above the fracture": the finding's site)."""
        if (along := self._read_tract(request)) is not None:  # "the segment after the stomach" (`tract.py`)
            return along
        if (step := self._read_series_sequence(request)) is not None:  # "the vertebra right after T12"
            return step
        items, evidence = request.items, request.evidence
        if self._unplaced_landmark(items, evidence):
            return None
        position = next((k for k, i in enumerate(items) if i.term.kind == "locative"
                         and i.text in self.words.relations), None)
        side_noun = None
        if position is None:
            # "the kidney on the spleen's side": a mention followed by a side noun is a same-side landmark
            side_noun = next((k for k, i in enumerate(items) if k > 0 and i.text in self.words.side_nouns
                              and items[k - 1].term.kind in MENTION
                              and any(j.term.kind in (*MENTION, "head") for j in items[_clause_start(items, k):k - 1])),
                             None)
            if side_noun is None:
                return None
            relation = "same_side"
            position = side_noun - 1
            start = _clause_start(items, position)
            head_items = [i for i in items[start:position] if i.text not in self.words.side_lead]
            tail = [items[position]]
        else:
            relation = self.words.relations[items[position].text]
            start = _clause_start(items, position)
            head_items = items[start:position]
            tail = items[position + 1:]
            tail = tail[:next((k for k, i in enumerate(tail) if i.term.kind == "break"), len(tail))]
        # "above and lateral to the left kidney": a second relation word joined to the first shares its landmark;
        # the answer must fit both
        joined = [i for i in tail if i.term.kind != "filler"][:2]
        second = self.words.relations[joined[1].text] if len(joined) == 2 and joined[0].term.kind == "conjunction" \
            and joined[1].term.kind == "locative" and joined[1].text in self.words.relations else None
        # "the ribs above and below it": the opposite direction joined cannot narrow the first (nothing lies both
        # above and below); each direction adds its own
        opposite = second if second is not None and spatial.INVERSE.get(relation) == second \
            and relation in spatial.AXIS else None
        second = None if opposite else second
        # "behind the stomach, in front of the left kidney": a second relation with a landmark of its own; the
        # answer must fit both, each against its own landmark
        second_anchors: list[str] = []
        def landmark_follows(k: int) -> bool:  # ("... that touches it", "on its right": no landmark of its own)
            before = [j for j in tail[:k] if j.term.kind != "filler"]
            after = [j for j in tail[k + 1:] if j.term.kind != "filler"]
            return bool(after) and after[0].term.kind in MENTION and before[-1].term.kind in (*MENTION, "conjunction")

        again = next((k for k, i in enumerate(tail) if k > 0 and i.term.kind == "locative"
                      and i.text in self.words.relations and any(j.term.kind in MENTION for j in tail[:k])
                      and landmark_follows(k)), None)
        if again is not None and second is None:
            second = self.words.relations[tail[again].text]
            second_grounded = [ground_mention(m, self.ontology) for m in self._mentions_of(tail[again + 1:])]
            second_anchors = [g.ids[0] for g in second_grounded if len(g.ids) == 1 and not g.options]
            if not second_anchors or len(second_anchors) < len(second_grounded):
                return None  # an unclear second landmark: never half of the description
            tail = tail[:again]
        opened = next((k for k, i in enumerate(tail) if i.text == "(" and any(j.term.kind in MENTION for j in tail[:k])
                       and any(j.term.kind in MENTION for j in tail[k + 1:])), None)
        if opened is not None:
            # "the vein running along its back (splenic vein)": a name in brackets after the landmark names what is
            # described, never a second landmark; the answer must be it (`_answer`)
            aside = [ground_mention(m, self.ontology) for m in self._mentions_of(tail[opened + 1:])]
            request.named_aside = [c for g in aside for c in (g.ids or g.options)]
            tail = tail[:opened]
        heads = [i for i in head_items if i.term.kind in MENTION]
        head = heads[-1] if heads else None
        if relation in spatial.AXIS and (own := self._clause_of_its_own(tail)) is not None:
            # "the vein behind the pancreas that joins the portal vein": a name after a verb we do not read is no
            # second landmark of "behind" (the portal vein is not what the vein lies behind)
            request.reading.rationale.append(f"relation: {' '.join(i.text for i in tail[own:])!r} is a clause of "
                                             f"its own, not a landmark of {relation}")
            tail = tail[:own]
        landmarks = self._mentions_of(tail)
        also: list[Grounding] = []  # "the broken vertebra and the one below": the landmark is asked for too
        reading = request.reading
        # "the rib just above each": a word for both sides after the relation says it of each landmark, no place
        tail_words = {i.text for i in tail} if any(i.term.kind != "side" or i.term.value != "both" for i in tail) \
            else set()
        pronoun = bool(tail_words & set(self.words.pronouns))
        finding_word = bool(tail_words & self._word_sets["findings_words"])
        if not landmarks and not any(self.words.number(i) is not None for i in tail):
            generic = [k for k, i in enumerate(head_items) if i.term.kind == "head" or i.text in self.words.generic
                       or i.text in self.words.categories]
            mention_at = [k for k, i in enumerate(head_items) if i.term.kind in MENTION]
            earlier = [ground_mention(m, self.ontology) for m in self._mentions_of(head_items[:mention_at[-1]])] \
                if mention_at else []
            if mention_at and generic and generic[-1] > mention_at[-1] and (pronoun or not tail_words):
                # "the lobe and the organ right below it", "the broken vertebra and the one below"; a side said
                # after its noun stays with it ("o rim esquerdo e a glândula acima dele")
                at = mention_at[-1]
                landmarks = self._mentions_of(head_items[at:at + 2] if at + 1 < len(head_items)
                                              and head_items[at + 1].term.kind == "side" else [head_items[at]])
                joined = any(i.term.kind == "conjunction" for i in head_items[mention_at[-1]:generic[-1]])
                if not tail_words and any(i.text in self.words.pronouns for i in head_items[generic[-1] + 1:]):
                    # "the gallbladder and the organ it hangs under": the pronoun is the clause's subject, said
                    # before the relation, so the head lies the other way round from it
                    relation = spatial.INVERSE.get(relation, relation)
                    reading.rationale.append(f"relation: its landmark is the subject of the clause; read as {relation}")
                head_items, head = head_items[mention_at[-1] + 1:], None
                if joined:
                    also = self._resolve_references([ground_mention(m, self.ontology) for m in landmarks],
                                                    request.context + earlier, reading)
            elif pronoun and len(mention_at) >= 2:
                # "T12 wedge fracture; segment the vertebra below it": "it" is the mention before the head
                landmarks = self._mentions_of([head_items[mention_at[-2]]])
                if any(i.term.kind == "conjunction" and i.text not in self._clause_breaks
                       for i in head_items[mention_at[-2]:mention_at[-1]]):
                    # "the spleen and the kidney next to it": the landmark is asked for too
                    also = [ground_mention(m, self.ontology) for m in landmarks]
                reading.rationale.append(f'relation: "it" is "{head_items[mention_at[-2]].text}"')
            elif not tail_words and self._kind_of_the_one_before(head_items, mention_at):
                # "L1 e la vertebra subito sopra", "the fractured vertebra and the vertebra just above": a structure,
                # a joining word, then a bare noun of its kind with the relation after it: the relation is from the
                # structure said first, which is asked for too (never "the organ the gallbladder is attached to",
                # turned round: that has no joining word)
                at = mention_at[-2]
                # with the numbers and side said around it ("10th rib on both sides"), up to the joining word
                joint = next(k for k in range(at, mention_at[-1]) if head_items[k].term.kind == "conjunction"
                             and head_items[k].is_word)
                opening = max((k + 1 for k in range(at) if head_items[k].term.kind in ("conjunction", "break")),
                              default=0)
                landmarks = [m for m in self._mentions_of(head_items[opening:joint])
                             if m.concept == str(head_items[at].term.value)][-1:] or self._mentions_of([head_items[at]])
                also = self._resolve_references([ground_mention(m, self.ontology) for m in landmarks],
                                                request.context + earlier[:-1], reading)
                head_items = head_items[mention_at[-1]:]
                heads = [i for i in head_items if i.term.kind in MENTION]
                head = heads[-1] if heads else None
                reading.rationale.append(f'relation: from "{landmarks[0].text}", said before its kind')
            elif mention_at and not tail_words and (len(mention_at) >= 2 or generic):
                # "the organ the gallbladder is attached to", "the organ with the gallbladder tucked underneath":
                # the landmark is said before the relation, which is then read the other way round
                landmarks = self._mentions_of([head_items[mention_at[-1]]])
                head_items = head_items[:mention_at[-1]]
                heads = [i for i in head_items if i.term.kind in MENTION]
                head = heads[-1] if heads else None
                relation = spatial.INVERSE.get(relation, relation)
                reading.rationale.append(f"relation: the landmark is said first; read as {relation}")
            elif pronoun or finding_word:
                antecedents = self._antecedents(request)
                if antecedents:
                    landmarks = [antecedents[-1].mention]
                    reading.rationale.append(f'relation: the landmark is "{antecedents[-1].mention.text}", said before')
                    joint = next((k for k, i in enumerate(head_items) if i.term.kind == "conjunction"
                                  and i.is_word), None)
                    if joint is not None and any(i.term.kind in ("head", "singular") for i in head_items[:joint]):
                        # "Left adrenal adenoma. Segment the affected gland and the kidney below it.": the kind said
                        # before the joint is that landmark, asked for too
                        also = [antecedents[-1]]
        if not landmarks and relation in ("left", "right") and tail_words & (self.words.body | self.words.present):
            # "the kidney on the right side of my body", "the highest rib on the right side of this scan": the
            # patient's side, not a relation to a structure
            for mention in request.parsed.include:
                if head is not None and mention.concept == str(head.term.value) and not mention.sides:
                    mention.sides.add(relation)
                    reading.rationale.append(f'"{items[position].text} ... {" ".join(sorted(tail_words & (self.words.body | self.words.present)))}"'
                                             f" is the patient's {relation} side")
            return None
        extreme = next((str(i.term.value) for i in tail if i.term.kind == "extreme"), None)
        if not landmarks and extreme and head is not None and evidence.present is not None:
            # "the vertebra 1 level below the topmost one": the landmark is the end of the series in this image
            shown = sorted((self.ontology[c] for c in self.ontology.descendants(str(head.term.value))
                            if c in evidence.present and self.ontology[c].series), key=lambda c: c.order)
            if shown:
                end = shown[0] if extreme == "first" else shown[-1]
                landmarks = [Mention(concept=end.id, form="concept", text=end.name, source="relation")]
                reading.rationale.append(f"relation: the landmark is the {'top' if extreme == 'first' else 'bottom'}"
                                         f" of those shown, {end.id}")
        count, cumulative = 1, False
        for k, item in enumerate(head_items):
            number = self.words.number(item)
            if number is not None and (k + 1 == len(head_items) or head_items[k + 1].text in self.words.levels
                                       or head_items[k + 1].term.kind in MENTION):
                count = number
                # "the two vertebrae above it" (a definite article, a number, a plural group) counts members:
                # every step up to two; "two levels above it", "3 ribs below X" are one member, that many steps away
                following = head_items[k + 1] if k + 1 < len(head_items) else None
                articles = [j for j in range(max(0, k - 2), k)
                            if head_items[j].text in self._word_sets["definite_articles"]]
                cumulative = following is not None and following.term.kind == "concept" \
                    and bool(self.ontology[str(following.term.value)].members) and bool(articles)
                # "the two levels above L2" (an article, a number, levels, no structure named before them) counts
                # levels too: T12 and L1; "the vertebra two levels above L2" is one member
                cumulative = cumulative or (following is not None and following.text in self.words.levels
                                            and bool(articles) and not any(head_items[j].term.kind in MENTION
                                                                           for j in range(articles[-1], k)))
        vocabulary = set(evidence.vocabulary)
        head_sides = [str(i.term.value) for i in head_items if i.term.kind == "side"]
        tail_sides = [str(i.term.value) for i in tail if i.term.kind == "side"]
        named_head = head is not None or any(i.term.kind == "head" for i in head_items)  # "the muscle ..." too
        if named_head and not head_sides and len(set(tail_sides)) == 1 and landmarks and all(
                self.ontology[m.concept].laterality is None and not self.ontology[m.concept].pair
                and m.form == "concept" for m in landmarks):
            # "the back muscle behind L1 on the right": a side that cannot be the unpaired landmark's is the head's
            head_sides = tail_sides
            if head is not None and second is None and relation not in ("left", "right") \
                    and tail_sides[0] in ("left", "right"):
                # "the vein beside the aorta on its right": the side is also the head's place against the landmark
                second = tail_sides[0]
        if head is not None and not head_sides:
            leaves = self.ontology.leaves(str(head.term.value), vocabulary) or [str(head.term.value)]
            lateral = {self.ontology[c].laterality for c in leaves}
            if len(lateral) == 1 and None not in lateral:
                head_sides = list(lateral)  # "the right rib between rib 9 and rib 11"
        # A landmark said by side and number alone takes the head's series ("the rib under the left eighth").
        if not landmarks and head is not None:
            sides = [str(i.term.value) for i in tail if i.term.kind == "side"] or head_sides
            numbers = [n for n in (self.words.number(i) for i in tail) if n is not None]
            if numbers:
                landmarks = [Mention(concept=str(head.term.value), form=head.term.kind,
                                     text=" ".join(i.text for i in tail), source="relation", sides=set(sides[:1]),
                                     numbers=[n]) for n in numbers[:2]]
        for mention in landmarks:
            # "the right rib between rib 9 and rib 11": a landmark without a side takes the head's
            if mention.form == "singular" and not mention.sides and len(set(head_sides) & {"left", "right"}) == 1:
                mention.sides = set(head_sides) & {"left", "right"}
        if head is not None and relation in spatial.AXIS and evidence.present is not None \
                and tail_words & self._word_sets["other_words"] and landmarks \
                and all(m.form == "singular" or m.concept == str(head.term.value) for m in landmarks):
            # "the left lung lobe in front of the other left lobe": a comparison between members of one kind
            concept = str(head.term.value)
            pool = [c for c in self.ontology.leaves(concept, vocabulary) if c in evidence.present
                    and (not head_sides or self.ontology[c].laterality in (*head_sides, None))]
            axis, sign = spatial.AXIS[relation]
            if len(pool) >= 2 and relation not in ("left", "right"):
                finding = self._evaluate(request, Compare("xyz"[axis], int(sign), of_ids(pool)))
                return self._answer(request, finding, f"relation ({relation}, against the other)")
        if relation == "inside" and len(landmarks) == 1 and landmarks[0].concept in (evidence.present or {}) \
                and self._names_own_part(" ".join(tokenize(landmarks[0].text)), landmarks[0].concept):
            # "whatever runs inside the spinal canal": a space named by a structure's part is filled by that
            # structure (the canal is the cord's, not a landmark of its own)
            filled = landmarks[0].concept
            request.reading.expressions.append({"op": "relation", "kind": "inside", "anchors": [
                {"op": "concept", "id": filled}], "pool": {"op": "concept", "id": filled}, "steps": 0})
            return self._answer(request, spatial.Finding(ids=[filled], why=[
                f"'{landmarks[0].text}' is a space {filled} fills"]), "relation")
        grounded = [ground_mention(m, self.ontology) for m in landmarks]
        if any(g.options for g in grounded):
            before = [ground_mention(m, self.ontology) for m in self._mentions_of(items[:start])]
            grounded = self._resolve_references(grounded, request.context + before + request.dropped, reading)
        # "both 10th ribs and the rib just above each": a landmark that is one position of a series on each side
        # is a landmark per side, each with its own step along its own side's series
        per_side = relation in ("superior", "inferior") and len(grounded) == 1 and not grounded[0].options \
            and self._one_position(grounded[0].ids)
        anchors = list(grounded[0].ids) if per_side else [g.ids[0] for g in grounded if len(g.ids) == 1
                                                            and not g.options]
        if not anchors or len(anchors) < len(grounded):
            return None  # an unclear landmark: the description reader reads it
        groups = {a: [c for c in self.ontology.leaves(a, vocabulary) if evidence.present and c in evidence.present]
                  for a in anchors if self.ontology[a].members and a not in (evidence.present or {})}
        finding = None
        unnamed = False
        if relation == "between" and len(anchors) >= 2 and not groups and (
                not self.ontology[anchors[0]].series or self._head_fits_series(head, head_items, anchors[0])):
            # (not "the discs between T12 and L2": a head of another kind than the landmarks' series)
            between: Expr = Relation("between", tuple(Concept(a) for a in anchors[:2]))
            if self._ends_included(tail):  # "between T11 and L2 inclusive": the two ends as well
                between = union(between, Concept(anchors[0]), Concept(anchors[1]))
            elif any(r.extreme == "ends" and not r.side for r in request.parsed.exclude_refs):
                # "between T11 and L2, not counting the ends": the ends are the landmarks, already left out
                request.parsed.exclude_refs = [r for r in request.parsed.exclude_refs if r.extreme != "ends"]
                reading.rationale.append("relation (between): its ends, the landmarks, are left out already")
            finding = self._evaluate(request, between, series_only=True)
        elif relation in ("superior", "inferior") and not groups and self.ontology[anchors[0]].series \
                and self._head_fits_series(head, head_items, anchors[0]):
            every = self._every_one_beyond(head_items)
            if every:
                # "all vertebrae below T11", "every left rib below rib 9": all of them that way, not one step
                series = self.ontology[anchors[0]].series
                count, cumulative = sum(c.series == series for c in self.ontology.concepts.values()), True
            steps = [self._evaluate(request, Relation(direction, (Concept(anchor),), steps=n), series_only=True)
                     for direction in (relation, opposite) if direction
                     for anchor in (anchors if per_side else anchors[:1])
                     for n in (range(1, count + 1) if cumulative else (count,))]
            if every:
                steps = [s for s in steps if s is not None and (s.ids or s.question)] or steps[:1]
            missing = [s for s in steps if s is not None and not s.ids and not s.question]
            if missing:
                finding = missing[0]  # "C1 and the two above it": a step past the series' end answers nothing
            elif all(s is not None for s in steps):
                finding = steps[-1] if len(steps) == 1 else spatial.Finding(
                    ids=list(dict.fromkeys(c for s in steps for c in s.ids)), explicit=False,
                    confidence=min(s.confidence for s in steps), margin="numbering",
                    question=[c for s in steps for c in s.question], why=[w for s in steps for w in s.why])
        if finding is None:
            if evidence.present is None:
                return None
            refused = {self.words.categories[items[k + 1].text] for k in range(len(items) - 1)
                       if items[k].term.kind == "exclusion" and items[k + 1].text in self.words.categories}
            # "the vertebrae touching L1": a group said whole, whose own member is the landmark, is the kind the
            # relation chooses from (every one that touches it), not the answer
            # ("the vertebrae around the cord": a series said whole around a landmark is every member that rings
            # it, where the backbone draws them one by one)
            many = head is not None and head.term.kind == "concept" and bool(self.ontology[str(head.term.value)].members) \
                and (relation == "contact" and any(a in self.ontology.descendants(str(head.term.value)) for a in anchors)
                     or relation == "around" and self._drawn_as_a_series(str(head.term.value), evidence))
            if head is not None and head.term.kind == "concept" and not also and not many \
                    and not self._group_by_side(str(head.term.value), relation):
                named = str(head.term.value)
                if len(anchors) == 1 and not groups and relation in spatial.AXIS and named in evidence.present \
                        and self._names_own_part(head.text, named):
                    # "the structure inside the vertebral canal, behind L1": a space or part named as the head
                    # stands for the structure that fills it; the relation after it must confirm it (a
                    # description of the whole phrase could land on the landmark)
                    fits = self._evaluate(request, Relation(relation, (Concept(anchors[0]),), of_ids([named])))
                    if fits is not None and fits.ids == [named]:
                        return self._answer(request, fits, "relation")
                return None  # "the adrenal glands on top of both kidneys": the named structure is the answer
            pool = self._pool(head, head_items, evidence)
            if head is not None and pool == [] and evidence.present is not None:
                concept = str(head.term.value)
                wholes = [c for c in evidence.present if c in self.ontology.descendants(concept) | {concept}
                          and self.ontology[c].members]
                if wholes:  # total_mr's one "vertebrae" label: no level can be told apart
                    why = f"this image's map shows {self.ontology[wholes[0]].name} only as a whole, not one by one"
                    return self._answer(request, spatial.Finding(why=[why]), f"relation ({relation})")
            if pool is None and any(i.term.kind == "unknown" and i.text.isalpha() for i in head_items):
                # "the shock absorbers between the vertebrae": a thing we cannot name, placed by a relation
                pool = list(evidence.present)
                unnamed = True
            if pool is None:
                return None
            pool = [c for c in pool if not any(self.in_category(c, r) for r in refused)]  # "..., not the gland"
            part = next((self.words.parts[i.text] for i in tail if i.text in self.words.parts), None)
            excluded = {self._family(a) for a in anchors}
            parts_of = {c for leaves in groups.values() for c in leaves}
            # (the landmark's own pair stays for "opposite": "the muscle on the opposite side from the right
            # autochthon" is the left one)
            pool = [c for c in pool if c not in anchors and c not in parts_of
                    and (self._family(c) not in excluded or head is not None or relation == "opposite_side")]
            sides = set(head_sides)
            if sides & {"left", "right"}:
                side = next(iter(sides & {"left", "right"}))
                pool = [c for c in pool if self.ontology[c].laterality in (side, None)
                        and evidence.lies_on(side, evidence.present[c].centroid_ras_mm[0], -T.midline_tolerance_mm) is not False]
            if second is not None and second != relation:
                # a filter on the candidates, not an operand of its own: its nodes go into the trace, the
                # expression stays one relation over the candidates that fit both
                fits = evaluate(Relation(second, tuple(Concept(a) for a in second_anchors or anchors), of_ids(pool)),
                                evidence, self.ontology, self.words)
                if fits is not None:
                    reading.nodes.extend(fits.nodes)
                pool = [c for c in pool if fits is not None and c in {*fits.finding.ids, *fits.finding.ranked,
                                                                       *fits.finding.question}]
                against = f" {', '.join(second_anchors)}" if second_anchors else ""
                reading.rationale.append(f"relation: {relation} and {second}{against}; {second} leaves "
                                         f"{', '.join(pool) or 'nothing'}")
            finding = self._evaluate(request, Relation(relation, tuple(Concept(a) for a in anchors), of_ids(pool),
                                                       part=tuple(part) if part else None, many=many))
            if opposite is not None and finding is not None:
                other = self._evaluate(request, Relation(opposite, tuple(Concept(a) for a in anchors), of_ids(pool)))
                finding = _either_way(finding, other)
            if finding is not None and not finding.ids and not finding.question and head is not None \
                    and len(pool) == 1 and not any(a in (evidence.present or {}) for a in anchors):
                # "the big artery in the belly that comes down from the heart" on a scan without the heart: the
                # noun before the relation already names one structure here; the relation cannot be checked
                finding = spatial.Finding(ids=list(pool), confidence=T.confidence.oblique, margin="the only candidate",
                                          why=[f"the landmark is not in this image; {head.text!r} names {pool[0]} "
                                               f"alone of what it shows"])
            if finding is not None and not finding.ids and len(finding.question) == 2 and head is not None \
                    and head.term.kind == "concept" and self.ontology[str(head.term.value)].members \
                    and self.ontology[finding.question[0]].pair == finding.question[1]:
                # "T12 and the ribs attached to it": a noun in the plural asks for both of the pair that fit equally
                finding = spatial.Finding(ids=list(finding.question), confidence=T.confidence.oblique,
                                          margin="a pair, asked in the plural", ranked=finding.ranked,
                                          why=finding.why + [f"{head.text!r} is plural: both of the pair"])
        # a thing we cannot name is described by the words around it, not by the landmark's name: "the lymph nodes
        # near the aorta" fits the vena cava through "aorta" alone
        words = " ".join(i.text for i in items if i.term.kind not in MENTION) if unnamed \
            else " ".join(request.text.tokens)
        if unnamed and not finding.ids and self.embeddings is not None:
            ranked = self.embeddings.rank(words, allowed=set(finding.question), top=2) if finding.question else []
            if not (len(ranked) == 2 and ranked[0][1] >= T.description.relation_accept
                    and ranked[0][1] - ranked[1][1] >= T.description.relation_margin):
                return None  # "the little cap on top of the left kidney": the description reader reads it
        if unnamed and len(finding.ids) == 1 and self.embeddings is not None:
            # "the shock absorbers between the vertebrae" on a map without discs: the one thing the geometry leaves
            # (the cord) is not what the words describe when they fit another structure clearly better
            ranked = self.embeddings.rank(words, top=None)
            mine = next((score for c, score in ranked if c == finding.ids[0]), 0.0)
            if ranked and self._family(ranked[0][0]) != self._family(finding.ids[0]) \
                    and ranked[0][1] >= T.description.relation_accept \
                    and ranked[0][1] - mine >= T.description.relation_margin:
                finding = spatial.Finding(why=finding.why + [
                    f"the words describe {ranked[0][0]} ({ranked[0][1]:.2f}), not {finding.ids[0]} ({mine:.2f})"])
                if relation == "inside" and ranked[0][0] in (evidence.present or {}) and ranked[0][0] not in anchors:
                    # "the nerve cable inside the spine" on an MR whose vertebrae label holds the bodies only: what
                    # lies inside is read from extents, which cannot tell the canal from the disc spaces; the
                    # structure the words describe, present and not the landmark, is the answer
                    finding = spatial.Finding(ids=[ranked[0][0]], why=finding.why)
        if unnamed:
            reading.cap("the thing placed by the relation is not a known word", T.confidence.unnamed)
        said_after = [i for i in tail[1:] if i.term.kind == "unknown" and i.text.isalpha()] if landmarks else []
        # "the big organ above the right kidney": words we cannot read said of the head must fit the answer too
        said_after += [i for i in head_items if i.term.kind == "unknown" and i.text.isalpha()
                       and i.text not in self.common_stop]
        words_disagree = False
        if said_after and finding.ids and len(finding.ranked) > 1 and self.embeddings is not None:
            # "the organ medial to the spleen that holds food": what is said after the landmark must fit too
            ranked = self.embeddings.rank(" ".join(request.text.tokens), allowed=set(finding.ranked), top=None)
            mine = next((score for c, score in ranked if c == finding.ids[0]), 0.0)
            if ranked and ranked[0][0] != finding.ids[0] and ranked[0][1] - mine >= T.description.words_disagree:
                finding.why.append(f"the words fit {ranked[0][0]} ({ranked[0][1]:.2f}) better than {finding.ids[0]}")
                finding.question = list(dict.fromkeys([finding.ids[0], ranked[0][0]]))
                finding.ids, words_disagree = [], True
        described = [i for i in items[start:] if i.term.kind == "unknown" and i.text.isalpha()
                     and i.text not in self.common_stop]
        # "the gland on top of it": a head word alone may still fit one candidate far better (a stricter test: a word
        # like "organ" fits most of them somewhat)
        head_only = not described and any(i.term.kind == "head" for i in head_items)
        accept, margin = (T.description.head_accept, T.description.head_margin) if head_only else \
            (T.description.relation_accept, T.description.relation_margin)
        described += [i for i in head_items if i.term.kind == "head"]
        # (not when the words already disagreed with the relation's answer: they would only overrule it)
        chosen_by_words = False
        if finding.question and described and not words_disagree and self.embeddings is not None:
            # The relation narrowed it down; the words of the request may tell the rest apart
            # ("the small pouch under the liver that stores bile": gallbladder, not duodenum).
            ranked = self.embeddings.rank(words, allowed=set(finding.question), top=2)
            if len(ranked) == 2 and ranked[0][1] >= accept and ranked[0][1] - ranked[1][1] >= margin:
                finding.why.append(f"of these, the words fit {ranked[0][0]} best ({ranked[0][1]:.2f} vs "
                                   f"{ranked[1][0]} {ranked[1][1]:.2f})")
                finding.ids, finding.question = [ranked[0][0]], []
                finding.confidence = min(finding.confidence, T.confidence.description)
                chosen_by_words = True
        if len(finding.ids) == 1 and not chosen_by_words and (doer := self._frame_said_of_another(
                request.text.tokens, finding.ids[0], evidence, landmarks)) is not None:
            # "the gland beside the liver that stores bile": the kind said ("gland") left only the adrenal, but
            # the verb and its object are the gallbladder's: the words and the relation disagree
            finding.why.append(f"what the words say it does is said of {doer}, not of {finding.ids[0]}")
            finding.question, finding.ids = [finding.ids[0], doer], []
        # (also said after the landmark: "the organ right above the left kidney, small and triangular")
        last = max((k for k, i in enumerate(tail) if i.term.kind in MENTION), default=len(tail))
        size = next((self.words.sizes[i.text] for i in [*head_items, *tail[last + 1:]] if i.text in self.words.sizes),
                    None)
        if size and len(finding.ids) == 1 and evidence.present and finding.ids[0] in evidence.present:
            # "the big organ above the right kidney": a size said of the head that another candidate fitting the
            # relation matches far better than the answer makes it a question between them, never a mask
            chosen = evidence.present[finding.ids[0]].volume_ml
            ratio = T.relation.size_ratio
            # (where the words chose among the relation's candidates, only those they left are rivals: "the little
            # pouch under the liver where bile collects" is not a question about a muscle cut small by the scan)
            rivals = finding.ranked if not chosen_by_words else []
            contrary = [c for c in rivals if c != finding.ids[0] and c in evidence.present
                        and (evidence.present[c].volume_ml >= ratio * chosen if size == "large"
                             else evidence.present[c].volume_ml * ratio <= chosen)]
            if contrary:
                finding.why.append(f"said to be {size}, but {contrary[0]} is {size}r than {finding.ids[0]} by more "
                                   f"than x{ratio:g}")
                finding.question, finding.ids = [finding.ids[0], contrary[0]], []
        # ("T12 and the pair of ribs that attach to it": "both" or "pair" said of the head counts two as well)
        plural = any(i.text in self.words.plural_heads or i.text in self._word_sets["both_words"]
                     or i.term.kind == "side" and i.term.value == "both" for i in head_items)
        if plural and finding.question and len(finding.question) >= 2:
            first, second = finding.question[:2]
            if self.ontology[first].pair == second:
                # "the muscles behind the spine", "the little glands on top of the kidneys": a plural head asks
                # for both members of the pair that fit equally
                finding.why.append(f"a plural noun: both {first} and {second}")
                finding.ids, finding.question, finding.explicit = [first, second], [], False
        grouped = plural or any(i.term.kind == "concept" and str(i.term.value) in self.ontology
                                and self.ontology[str(i.term.value)].members for i in head_items)
        if grouped and relation in ("same_side", "opposite_side") and (finding.ids or finding.question) \
                and finding.ranked:
            # "the lung lobes on the same side as the spleen": a side holds every candidate on it, and a plural
            # asks for all of them, not the nearest (so candidates equally near are no question: "the ribs ...")
            finding.ids, finding.explicit = [c for c in pool if c in finding.ranked], False
            finding.question = []
            finding.why.append(f"a plural noun: every one on that side: {', '.join(finding.ids)}")
        if also and finding.ids:
            # (a bare noun asked for too, "the fractured rib and the rib below it", is the landmark it resolved to)
            asked = [c for g in also for c in g.ids] or (list(anchors[:1]) if all(g.options for g in also) else [])
            finding.ids = list(dict.fromkeys(asked + finding.ids))
            finding.explicit = False
        return self._answer(request, finding, f"relation ({relation})")

    def _group_by_side(self, concept: str, relation: str) -> bool:
        """"the kidneys on the same side as the spleen", "the ribs on the other side from the liver": a group named
        whole is the pool a side relation picks its members from, not the answer itself."""
        return relation in ("same_side", "opposite_side") and bool(self.ontology[concept].members)

    def _ends_included(self, tail: list[Item]) -> bool:
        """Whether an inclusion word ("inclusive", "einschließlich") ends a relation's landmarks: said of the
        landmarks themselves, not of a structure after it ("between T11 and L2, including the discs")."""
        words = [" ".join(tokenize(w)) for w in self.language.get("inclusion_words", ())]
        text = [i.text for i in tail]
        for k in range(len(text)):
            if any(" ".join(text[k:k + len(w.split())]) == w for w in words):
                return not any(i.term.kind in MENTION for i in tail[k + 1:])
        return False

    def _pool(self, head: Item | None, head_items: list[Item], evidence: Evidence) -> list[str] | None:
        """The present structures a head noun allows: a group's members ("vein"), a category ("gland"), or
        anything ("the structure"). None when the request has no head at all."""
        present = list(evidence.present or {})
        if head is not None:
            concept = str(head.term.value)
            members = self.ontology.descendants(concept) | {concept}
            # a singular noun names one structure: "the vertebra behind the aorta" is never the whole spine
            return [c for c in present if c in members and not (head.term.kind == "singular"
                                                                 and self.ontology[c].members)]
        words = [i.text for i in head_items if i.term.kind in ("head", "filler", "anaphora", "unknown")]
        category = next((self.words.categories[w] for w in reversed(words) if w in self.words.categories), None)
        if category is not None and category not in self.words.generic:
            return [c for c in present if self.in_category(c, category)]
        # "the lobe underneath the left upper lobe": a head noun that is no category but a word of structures'
        # names is their kind
        nouns = [i.text for i in head_items if i.term.kind == "head" and i.text not in self.words.generic]
        named_kind = [c for c in present if nouns and nouns[-1] in self._name_words[c]]
        if named_kind:
            return named_kind
        if any(w in self.words.generic for w in words):
            return present
        return None

    def _read_ordinal(self, request: Request) -> TargetSpec | None:
        """"the third rib from the bottom on the left", "the penultimate lumbar vertebra", "the topmost lumbar
        vertebra shown", "lumbar vertebrae numbered 3 or higher": order within a series, counted over what this
        image shows when asked to, or when the series' own end is not in the image."""
        if (counted := self._read_counted_series(request)) is not None:
            return counted
        if (trimmed := self._read_ends_taken_away(request)) is not None:
            return trimmed
        items, evidence = request.items, request.evidence
        texts = [i.text for i in items]
        end = next((self.words.from_end[t] for t in texts if t in self.words.from_end), None)
        penultimate = next((self.words.penultimate[t] for t in texts if t in self.words.penultimate), None)
        threshold_word = next((self.words.thresholds[t] for t in texts if t in self.words.thresholds), None)
        present_only = any(t in self.words.present for t in texts)
        mentions = request.parsed.include
        if not mentions or len(mentions) > 1:
            return None
        mention = mentions[0]
        if (among := self._extreme_of_numbered(request, mention, end or penultimate or threshold_word)) is not None:
            return among
        cardinal_words = set(self.language.get("cardinals", ()))
        named = self.ontology[mention.concept]
        middle = next((k for k, t in enumerate(texts) if t in self._middle_words), None)
        if end is None and not mention.extreme and not penultimate and not threshold_word:
            # "the two most caudal vertebrae shown", "die drei untersten ...": a word of height (the comparison
            # words, data) said of a series names one of its ends, exactly as "lowest" does
            # (only before an exclusion: "all vertebrae but the top two" names what is taken away)
            said = items[:next((k for k, i in enumerate(items) if i.term.kind == "exclusion"
                                or i.text in self._cut_words), len(items))]
            heights = {self.words.comparatives[i.text]["sign"] for i in said if i.term.kind != "extreme"
                       and self.words.comparatives.get(i.text, {}).get("measure") == "z"}
            # a count stands before the series' noun ("the 2 lowest vertebrae"); a number after it is a member's
            # own ("lower left ribs 9-12", "the lower rib 9"): that is no end of what is shown
            noun = next((k for k, i in enumerate(items) if i.term.kind in MENTION
                         and str(i.term.value) == mention.concept), len(items))
            counts = [k for k, i in enumerate(items) if self.words.number(i) is not None]
            counted = len(mention.numbers) == 1 and bool(counts) and all(k < noun for k in counts)
            if len(heights) == 1 and (counted or (not mention.numbers and (present_only
                                                                           or mention.form == "singular"))):
                mention.extreme = "first" if heights.pop() > 0 else "last"
        if present_only and named.series and not named.members and not mention.numbers and not mention.extreme \
                and any(t in self.words.numbers for t in tokenize(mention.text)):
            # "the third left rib present in this image": the lexicon named rib 3; count instead over what is shown
            group = next((g for g in named.groups if self._series_of(g) == named.series), None)
            if group is not None:
                members = sorted((self.ontology[c] for c in self.ontology.descendants(group)
                                  if self.ontology[c].series == named.series and not self.ontology[c].members),
                                 key=lambda c: c.order)
                mention = Mention(concept=group, form="concept", text=mention.text, source=mention.source,
                                  numbers=[[c.id for c in members].index(named.id) + 1])
        series_pool = [c for c in self.ontology.descendants(mention.concept) | {mention.concept}
                       if self.ontology[c].series and not self.ontology[c].members]
        if not mention.numbers and (mention.extreme or end) and series_pool \
                and not any(self.ontology[c].laterality for c in series_pool) \
                and (mention.side == "both" or any(i.text in self._word_sets["both_words"] for i in items)):
            # "as duas vértebras mais baixas", "les deux vertèbres les plus basses": "both" said of a series without
            # sides is a count of two from the end said
            mention.numbers = [2]
            request.pair_count = True
        if present_only and mention.numbers and not (mention.extreme or end or penultimate or threshold_word):
            if middle is None and series_pool and any(i.term.kind == "unknown" for i in items):
                # "the three vertebrae più basse shown": an unread word may name the end; counting from the top
                # by default could be the wrong end, so ask
                shown = [c for c in sorted(series_pool, key=lambda c: self.ontology[c].order)
                         if c in (evidence.present or {})]
                unread = ", ".join(f"'{i.text}'" for i in items if i.term.kind == "unknown")
                return ask(shown, request.reading, evidence, self.ontology, why=f"ordinal: unread {unread}",
                           message=f"I did not understand {unread}: which of these do you mean?")
            # "the third left rib present in this image", "the first 2 ribs ... that are in the image": counted
            # from the top over what this image shows
            mention.extreme = "first"
            if len(mention.numbers) == 2 and mention.numbers[0] == 1:
                mention.numbers = mention.numbers[1:]
            elif len(mention.numbers) == 1 and any(i.text in cardinal_words and self.words.number(i) ==
                                                   mention.numbers[0] for i in items):
                pass  # "the three left ribs present": a count of members from the top, not the third one
            else:
                end = "first"
        has_count = mention.extreme and mention.numbers and (request.pair_count or any(
            i.text.isdigit() or i.text in cardinal_words for i in items))
        # "the lowest vertebra lying completely inside the scan": only members the map shows whole count (one
        # that reaches a face of the volume may run on beyond the scan)
        whole = present_only and any(t in self._whole_words for t in texts)
        # "the 2nd highest left rib", "la deuxième côte la plus basse": a rank counted from the end said
        ranked = bool(mention.extreme and len(mention.numbers) == 1) and any(
            self.words.number(i) == mention.numbers[0] and not i.text.isdigit() and i.text not in cardinal_words
            for i in items if i.term.kind == "number")
        ordered = end or penultimate or threshold_word or (present_only and mention.extreme) or has_count or ranked \
            or (self._said_both_ends(items) and not self._counted(mention, items)
                and self._excluded_end(items) is None and not any(i.term.kind == "exclusion" for i in items))
        pool = [self.ontology[c] for c in self.ontology.descendants(mention.concept) | {mention.concept}
                if self.ontology[c].series and not self.ontology[c].members
                and (c in evidence.vocabulary or not evidence.vocabulary)]
        side = mention.side
        if side in ("left", "right"):
            pool = [c for c in pool if c.laterality in (side, None)]
        if middle is not None and pool:
            return self._read_series_middle(request, mention, pool, items, middle)
        if mention.extreme in ("first", "last") and not mention.numbers and pool and evidence.present is not None:
            # "the lowest vertebra" on a scan that ends at L2: the series' own end (S1) is not in the image, so the
            # end of what the image shows is meant, as "the lowest vertebra in the scan" says outright
            book_end = sorted(pool, key=lambda c: c.order)[0 if mention.extreme == "first" else -1]
            ordered = ordered or (book_end.id not in evidence.present
                                  and any(c.id in evidence.present for c in pool))
        if not ordered and not whole:
            return None
        if not pool:
            return self._read_group_order(request, mention, items, end)
        if whole:
            if evidence.present is None:
                return None
            shown = [c.id for c in sorted(pool, key=lambda c: c.order) if c.id in evidence.present]
            if any(evidence.present[c].at_edge is None for c in shown):
                return None  # the map does not say what reaches the scan's edge
            complete = [c for c in shown if not evidence.present[c].at_edge]
            why = (f"shown whole (not reaching the scan's edge): {', '.join(complete) or 'none'}"
                   f" of {', '.join(shown) or 'none'}")
            if not ordered:
                # "the vertebrae fully in the image", "the only vertebra entirely within the scanned range"
                if mention.form == "singular" and len(complete) > 1:
                    return ask(complete, request.reading, evidence, self.ontology)
                return self._answer(request, spatial.Finding(ids=complete, explicit=False, why=[why],
                                                             confidence=T.confidence.series, margin="at_edge"),
                                    "ordinal")
            request.reading.rationale.append(f"ordinal: counted over those {why}")
            edge = {c for c in shown if c not in complete}
            evidence = evidence.model_copy(update={"present": {c: v for c, v in evidence.present.items()
                                                               if c not in edge}})
            request.evidence, outer = evidence, request.evidence
            try:
                return self._read_ordinal_in(request, mention, pool, items, end, penultimate, threshold_word,
                                             present_only)
            finally:
                request.evidence = outer
        return self._read_ordinal_in(request, mention, pool, items, end, penultimate, threshold_word, present_only)

    def _read_ends_taken_away(self, request: Request) -> TargetSpec | None:
        """"the spine minus the top and bottom vertebra", "right ribs without the lowest rib": end words said of
        the series' own noun after an exclusion name the end member(s) of what was asked, never the series' end in
        the book (the sacrum, the first rib): what is asked is read on its own, then its end(s) taken away."""
        items = request.items
        cut = self._cut_after_mention(items)
        if cut is None or request.ends_base_read or request.text is None:
            return None
        after = items[cut + 1:]
        nouns = [i for i in after if i.term.kind in MENTION]
        ends = {str(i.term.value) for i in after if i.term.kind == "extreme"} | {
            "first" for i in after if i.term.kind == "number" and i.term.value == 1 and not i.text.isdigit()}
        numbers = [i for i in after if self.words.number(i) is not None and not (i.term.value == 1
                                                                                 and not i.text.isdigit())]
        if len(nouns) != 1 or not ends or numbers:
            return None
        said = ends.pop() if len(ends) == 1 else ("ends" if self._said_both_ends(after) else None)
        series = self._series_of(str(nouns[0].term.value))
        if said is None or series is None or any(i.term.kind == "side" for i in after):
            return None
        request.ends_base_read = True  # what was asked, read once on its own
        base = self.understand(" ".join(request.text.tokens[:items[cut].start]), request.evidence,
                               request.context_words)
        if base.status != "ok" or len(base.targets) < (3 if said == "ends" else 2) \
                or any(self.ontology[c].series != series for c in base.targets):
            return None
        from .decide import _ends
        from .parse import BareReference
        away = _ends(list(base.targets), BareReference(extreme=said), self.ontology)
        kept = [c for c in base.targets if c not in away]
        finding = spatial.Finding(ids=kept, explicit=False, margin="numbering",
                                  confidence=min(base.confidence, T.confidence.series),
                                  why=[f"without the {said} of {', '.join(base.targets)} ({', '.join(away)}): "
                                       f"{', '.join(kept)}"])
        request.reading.expressions.append({"op": "difference", "items": [
            of_json := {"op": "union", "items": [{"op": "concept", "id": c} for c in base.targets]},
            {"op": "nth", "of": of_json, "k": 1, "end": said, "by": "series order"}]})
        request.parsed.exclude, request.parsed.exclude_refs = [], []
        return self._answer(request, finding, "ordinal")

    def _cut_after_mention(self, items: list[Item]) -> int | None:
        """The position of the first exclusion or dismissal word said after a structure, or None."""
        return next((k for k, i in enumerate(items) if (i.term.kind == "exclusion" or i.text in self._cut_words)
                     and any(j.term.kind in MENTION for j in items[:k])), None)

    def _read_counted_series(self, request: Request) -> TargetSpec | None:
        """"the four vertebrae", "die zwei Nieren" said of a series: a count said before a plural series noun says
        how many members the image shows, never a member's number ("four vertebrae" is not C4). The members
        shown when they are that many; any other count asks which are meant."""
        items, evidence = request.items, request.evidence
        said = [i for i in items if i.term.kind not in ("filler", "side")]
        if evidence.present is None or len(said) != 2 or said[0].term.kind != "number" \
                or not (said[0].text.isdigit() or said[0].text in self.words.cardinals) \
                or said[1].term.kind != "concept" or not self.ontology[str(said[1].term.value)].members \
                or self._series_of(str(said[1].term.value)) is None:
            return None
        sides = {str(i.term.value) for i in items if i.term.kind == "side"} & {"left", "right"}
        if len(sides) > 1 or any(i.term.kind != "side" for i in items[items.index(said[0]) + 1:items.index(said[1])]):
            return None  # ("the two right floating ribs": a side may stand between the count and its noun)
        if any(i.term.kind == "extreme" or i.text in self.words.comparatives or i.text in self.words.from_end
               or i.text in self.words.penultimate or i.text in self.words.thresholds or i.text in self._middle_words
               for i in items):
            return None  # "the two vertebrae from the bottom", "the upper of the two": an order, for the ordinal reader
        group = Group(str(said[1].term.value))
        expr = Side(group, sides.pop()) if sides else group
        finding = self._evaluate(request, expr)
        if finding is None:
            return None
        shown = [c for c in finding.ids if c in evidence.present]
        count = int(said[0].term.value)
        finding.why.append(f"{count} said, {len(shown)} shown: {', '.join(shown) or 'none'}")
        if len(shown) != count:
            # (a map that holds the series as one label cannot count its members: asked, never refused)
            whole = [group.id] if group.id in evidence.present else finding.ids[:count]
            finding.question, finding.ids = shown or whole, []
        else:
            finding.ids = shown
        return self._answer(request, finding, "count")

    def _read_series_middle(self, request: Request, mention: Mention, pool: list, items: list[Item],
                            at: int) -> TargetSpec | None:
        """"the middle two of the visible vertebrae", "die beiden mittleren Wirbel im Bild": the central member(s)
        of what the image shows of a series: middle(series, n), each side's when the series has sides and none is
        said. A middle word said of a series that this reader cannot count (no count for a plural, the middle
        taken away after an exclusion word, several numbers) is a question: never the whole series or one end."""
        cut = next((k for k in range(at - 1, -1, -1) if items[k].text in self._cut_words
                    or items[k].term.kind == "exclusion"), None)
        counts = [n for k, i in enumerate(items) if (n := self.words.number(i)) is not None and abs(k - at) <= 2]
        numbers = counts or mention.numbers
        lateralities = sorted({c.laterality for c in pool} - {None})
        if not lateralities and not numbers and (mention.side == "both"
                                                 or any(i.text in self._word_sets["both_words"] for i in items)):
            numbers = [2]  # "les deux vertèbres du milieu": "both" said of a series without sides is a count of two
        count = numbers[0] if len(set(numbers)) == 1 else 1 if not numbers and mention.form == "singular" else None
        request.reading.rationale.append(f'middle: "{items[at].text}" ({count or "how many?"}) of the series shown')
        if cut is not None or count is None:
            shown = [c.id for c in sorted(pool, key=lambda c: c.order) if c.id in (request.evidence.present or {})]
            return ask(shown, request.reading, request.evidence, self.ontology, why="middle: not counted",
                       message="How many of the middle ones do you mean? Please say the number, or name them.")
        if len(lateralities) > 1 and mention.side not in ("left", "right"):
            found = [self._evaluate(request, Middle(Side(Group(mention.concept), lat), count)) for lat in lateralities]
            if mention.side != "both" or any(f.question or not f.ids for f in found):
                return refuse("Which side do you mean: left or right? Say the side in the request.",
                              T.confidence.clarify, request.reading, request.evidence, self.ontology)
            finding = spatial.Finding(ids=[c for f in found for c in f.ids], why=[w for f in found for w in f.why],
                                      explicit=False, confidence=min(f.confidence for f in found), margin="numbering")
            return self._answer(request, finding, "middle")
        of: Expr = Group(mention.concept)
        if mention.side in ("left", "right"):
            of = Side(of, mention.side)
        return self._answer(request, self._evaluate(request, Middle(of, count)), "middle")

    def _read_group_order(self, request: Request, mention: Mention, items: list[Item],
                          end: str | None) -> TargetSpec | None:
        """"the first of the two kidneys counting from the top", "die zweite Niere von oben": an ordinal over a
        named group whose members have no numbering: its members the image shows, ordered by height from the end
        said: compare(z, rank k). Without an ordinal word, or with two, the other readers decide."""
        concept = self.ontology[mention.concept]
        chosen_end = end or mention.extreme
        cardinals = self.words.cardinals
        ranks = [self.words.number(i) for i in items if self.words.number(i) is not None
                 and not i.text.isdigit() and i.text not in cardinals]
        if not concept.members or chosen_end not in ("first", "last") or len(ranks) != 1:
            return None
        of: Expr = Group(mention.concept)
        if mention.side in ("left", "right"):
            of = Side(of, mention.side)
        finding = self._evaluate(request, Compare("z", 1 if chosen_end == "first" else -1, of, rank=ranks[0]))
        if finding is None:
            return None
        return self._answer(request, finding, "ordinal")

    @cached_property
    def _whole_words(self) -> set[str]:
        return {" ".join(tokenize(w)) for w in self.language.get("whole_words", ())}

    def _extreme_of_a_count(self, items: list[Item], count: Item, extreme: str, n: int) -> tuple[int, str] | None:
        """"the highest of the two lumbar vertebrae", "the lowest of the three lower ribs": an end word, a set opener,
        then a count is ONE member: the end of the counted set. Returns (position, end) for `Nth`, or None when the
        words are not of that shape ("the two highest lumbar vertebrae" are two)."""
        ext = next((k for k, i in enumerate(items) if i.term.kind == "extreme"
                    or self.words.comparatives.get(i.text, {}).get("measure") == "z"), None)
        at = next((k for k, i in enumerate(items) if i is count), None)
        # (or an article alone: the German genitive "der obere der zwei Lendenwirbel")
        openers = {" ".join(o) for o in self._selection_words[0]} | self._word_sets["definite_articles"]
        if ext is None or at is None or not any(items[j].text in openers for j in range(ext + 1, at)):
            return None
        # the set's own end ("the three LOWER ribs"); without one, the set lies at the end the word names
        heights = {self.words.comparatives[i.text]["sign"] for i in items[at + 1:] if i.term.kind != "extreme"
                   and self.words.comparatives.get(i.text, {}).get("measure") == "z"}
        set_end = ("first" if heights.pop() > 0 else "last") if len(heights) == 1 else extreme
        return (1, extreme) if set_end == extreme else (n, set_end)

    def _read_ordinal_in(self, request: Request, mention: Mention, pool: list, items: list[Item], end: str | None,
                         penultimate: str | None, threshold_word: str | None, present_only: bool) -> TargetSpec | None:
        """The ordinal reader's second half: pick the members its order words name, from `pool`."""
        evidence = request.evidence
        side = mention.side
        base: Expr = Group(mention.concept)
        if side in ("left", "right"):
            base = Side(base, side)

        def pick(of: Expr) -> spatial.Finding | None:
            """The members of the series `of` that the order words name, as an operator of the expression."""
            numbers = [n for n in mention.numbers]
            if threshold_word:
                if not numbers:
                    return None
                return self._evaluate(request, Count(of, threshold_word, numbers[-1]))
            cardinals = set(self.language.get("cardinals", ()))
            counted = [i for i in items if i.term.kind in ("number", "anaphora")
                       and (i.text.isdigit() or i.text in cardinals)] or (
                [i for i in items if i.text in self._word_sets["both_words"]] if request.pair_count
                else [])
            if mention.extreme and numbers and counted and not end and not penultimate:
                if (one := self._extreme_of_a_count(items, counted[0], mention.extreme, numbers[0])) is not None:
                    return self._evaluate(request, Nth(of, one[0], one[1], present_only))
                operator = First if mention.extreme == "first" else Last
                return self._evaluate(request, operator(of, numbers[0], present_only))
            if end and numbers and not penultimate and len(numbers) == 1 and any(
                    i.text in cardinals and not i.text.isdigit() and self.words.number(i) == numbers[0]
                    for i in counted):
                # "the three lowest-numbered left ribs present": a number said as a count word with an end word
                # is how many from that end, never the third one
                return self._evaluate(request, (First if end == "first" else Last)(of, numbers[0], present_only))
            if penultimate:
                chosen_end, offset = penultimate, 1
            elif end:
                chosen_end, offset = end, (numbers[0] - 1 if numbers else 0)
            else:
                chosen_end, offset = mention.extreme, (numbers[0] - 1 if numbers else 0)
            return self._evaluate(request, Nth(of, offset + 1, chosen_end, present_only))

        lateralities = sorted({c.laterality for c in pool} - {None})
        if len(lateralities) > 1 and not threshold_word:
            # Counted within each side: "the last two ribs on each side" takes both, otherwise ask which side,
            # offering each side's answer.
            ends = not (end or penultimate or threshold_word or self._counted(mention, items))
            per_side = [self._both_ends(request, mention, items, pick, Side(Group(mention.concept), lat)) if ends
                        else pick(Side(Group(mention.concept), lat)) for lat in lateralities]
            if any(f is None for f in per_side):
                return None
            if side == "both":
                finding = spatial.Finding(ids=[i for f in per_side for i in f.ids],
                                          why=[w for f in per_side for w in f.why],
                                          explicit=all(f.explicit for f in per_side),
                                          confidence=min(f.confidence for f in per_side))
                return self._answer(request, finding, "ordinal")
            request.reading.rationale.append("ordinal: the series has a left and a right member at that position")
            answers = [f.ids for f in per_side]
            if all(len(a) == 1 for a in answers) and len({a[0] for a in answers}) == len(answers):
                return ask([a[0] for a in answers], request.reading, evidence, self.ontology,
                           message="Which side do you mean: " + " or ".join(self.ontology[a[0]].name
                                                                            for a in answers) + "?")
            return refuse("Which side do you mean: left or right? Say the side in the request.",
                          T.confidence.clarify, request.reading, evidence, self.ontology)
        finding = self._both_ends(request, mention, items, pick, base) if not (
            end or penultimate or threshold_word or self._counted(mention, items)) else pick(base)
        if finding is None:
            return None
        cut = self._excluded_end(items)
        if cut is not None and finding.ids:
            # "the vertebrae shown, drop the lowest", "all left ribs present but the top two": the order words
            # name what is taken away from the series present, never what is asked for (a difference)
            if evidence.present is None:
                return None
            shown = [c.id for c in sorted(pool, key=lambda c: c.order) if c.id in evidence.present]
            kept = [c for c in shown if c not in finding.ids]
            if not kept or len(kept) == len(shown):
                return None
            finding.why.append(f"without {', '.join(finding.ids)}: {', '.join(kept)}")
            request.reading.expressions[-1] = {"op": "difference", "items": [
                {"op": "union", "items": [{"op": "concept", "id": c} for c in shown]}, request.reading.expressions[-1]]}
            finding.ids, finding.explicit = kept, False
            # the end is taken away here; the exclusion's end word must not take another member away in `decide`
            request.parsed.exclude_refs = [r for r in request.parsed.exclude_refs if not r.extreme]
        return self._answer(request, finding, "ordinal")

    def _count_before_noun(self, items: list[Item], noun: int) -> bool:
        """Whether a number before the series' noun counts members from the end ("the two lowest of ribs 8 to 12",
        "the lowest two of ...") rather than naming them: after the end word, two or more numbers, or an ordinal,
        are the members' own ("the lowest of the left 9th and 10th ribs", "die unterste der linken 9. und 10.")."""
        said_end = next((k for k, i in enumerate(items) if i.term.kind == "extreme"), noun)
        if any(self.words.number(i) is not None for i in items[:min(said_end, noun)]):
            return True
        after = [i for i in items[said_end:noun] if self.words.number(i) is not None]
        cardinals = set(self.language.get("cardinals", ()))
        return len(after) == 1 and (after[0].text.isdigit() or after[0].text in cardinals)

    def _extreme_of_numbered(self, request: Request, mention: Mention, other_order) -> TargetSpec | None:
        """"the lowest of left ribs 8 to 10", "the highest of T12, L1 and L2": an end word said of members named
        by number picks one of them (never a count of members from the series' end)."""
        items = request.items
        if not mention.extreme or (len(mention.numbers) < 2 and mention.range_end is None) or other_order:
            return None
        noun = next((k for k, i in enumerate(items) if i.term.kind in MENTION), len(items))
        if self._count_before_noun(items, noun):
            return None  # "the two lowest of ribs 8 to 12": a count before the noun
        grounded = ground_mention(replace(mention, extreme=None), self.ontology)
        ids = [] if grounded.options else grounded.ids
        if len(ids) < 2 or any(self.ontology[c].members or not self.ontology[c].series for c in ids) \
                or len({self.ontology[c].laterality for c in ids}) > 1:
            return None
        if not all(c in (request.evidence.present or {}) for c in ids):
            # the comparison sees only what the image shows: the end asked may be outside it ("the highest of
            # left ribs 3 to 8" on a scan from rib 7 down is rib 3, absent), so the numbering says which
            ordered = sorted(ids, key=lambda c: self.ontology[c].order * int(self.words.steps.get("inferior", 1)))
            end_member = ordered[0] if mention.extreme == "first" else ordered[-1]
            return self._answer(request, spatial.Finding(ids=[end_member], explicit=True, margin="numbering",
                                                         confidence=T.confidence.series,
                                                         why=[f"the {mention.extreme} of {', '.join(ids)} by "
                                                              f"number: {end_member}"]), "ordinal")
        finding = self._evaluate(request, Compare("z", 1 if mention.extreme == "first" else -1, of_ids(ids)))
        if finding is None or not finding.ids:
            return None
        return self._answer(request, finding, "ordinal")

    def _counted(self, mention: Mention, items: list[Item]) -> bool:
        """Whether the mention carries numbers other than the "first" of "the first and last"."""
        return bool(mention.numbers) and not (mention.numbers == [1] and self._said_both_ends(items))

    def _said_both_ends(self, items: list[Item]) -> bool:
        """Whether both ends of a series are named, joined ("the top and bottom rib")."""
        said = {str(i.term.value) for i in items if i.term.kind == "extreme"} | {
            "first" for i in items if i.term.kind == "number" and i.term.value == 1 and not i.text.isdigit()}
        return said == {"first", "last"} and any(i.term.kind == "conjunction" for i in items)

    def _both_ends(self, request: Request, mention: Mention, items: list[Item], pick, base: Expr
                   ) -> spatial.Finding | None:
        """"the highest and the lowest vertebra present", "the top and bottom rib on the left": both ends named
        on one noun are two members, one from each end (the mention keeps only the last end word said)."""
        if not self._said_both_ends(items):
            return pick(base)
        if self._excluded_end(items) is not None:
            return None  # "all ribs but the top and bottom one": what is taken away; the difference is not read here
        findings = []
        for extreme in ("first", "last"):
            mention.extreme = extreme
            findings.append(pick(base))
        if any(f is None or not f.ids or f.question for f in findings):
            return None
        ids = [c for f in findings for c in f.ids if c]
        return spatial.Finding(ids=list(dict.fromkeys(ids)), explicit=False, confidence=min(
            f.confidence for f in findings), why=[w for f in findings for w in f.why], margin="numbering")

    def _excluded_end(self, items: list[Item]) -> int | None:
        """The index of an exclusion or dismissal word ("except", "drop", "leave out") that comes after a structure
        and before an end or order word of the same request ("the vertebrae shown, drop the lowest"): the order
        words then name what is removed. None when there is none."""
        away = self._cut_words
        order = {*self.words.from_end, *self.words.penultimate}
        for k, item in enumerate(items):
            if item.text not in away and item.term.kind != "exclusion":
                continue
            if not any(i.term.kind in MENTION for i in items[:k]):
                continue
            if any(i.term.kind == "extreme" or i.text in order for i in items[k + 1:]) \
                    and not any(i.term.kind in MENTION for i in items[k + 1:]):
                return k
        return None

    def _frame_said_of_another(self, tokens: list[str], answer: str, evidence, landmarks: list) -> str | None:
        """The one structure in the image, not a landmark, whose own words hold a verb and object the request says
        ("stores bile") when the answer's words hold none of them; else None."""
        said = self._frames_of(tokens)
        if not said or said & self._concept_frames(answer) or evidence.present is None:
            return None
        placed = {c for m in landmarks for c in (m.concept, *self.ontology.descendants(m.concept))
                  if m.concept in self.ontology}
        doers = [c for c in evidence.present if c in self.ontology and c not in placed
                 and said & self._concept_frames(c)]
        return doers[0] if len(doers) == 1 else None

    def _head_fits_series(self, head, head_items: list, anchor: str) -> bool:
        """Whether what is asked before a relation may be a member of the landmark's series: a head of that series,
        a level word, or no head at all, unless an anatomy word no name read stands there ("the disc below L1":
        "disc" alone is no name here, but it is not a vertebra either)."""
        if head is not None:
            return self._in_series(str(head.term.value), self.ontology[anchor].series) \
                or any(i.text in self.words.levels for i in head_items)
        return not any(i.term.kind == "unknown" and i.text in self.index.anatomy_tokens for i in head_items) \
            or any(i.text in self.words.levels for i in head_items)

    def _every_one_beyond(self, head_items: list) -> bool:
        """Whether a relation along a series asks for every member that way: no count said, and "all" or "every"
        before the relation ("every rib below rib 9", "all vertebrae above L1")."""
        # (a group's name alone is no sign: "der Wirbel", "the bone" name one with the group's own word)
        def opens_with_all(item) -> bool:  # "all left ribs" is one name with "all" in it
            first = self.index.phrases.get(tuple(item.text.split()[:1]))
            return item.term.kind == "plural" or (first is not None and first.kind == "plural")
        return not any(self.words.number(i) is not None for i in head_items) and any(map(opens_with_all, head_items))


def _either_way(first: spatial.Finding, other: spatial.Finding | None) -> spatial.Finding:
    """Both directions' answers ("above and below"); when one direction leaves nothing or asks, that one decides,
    so a half answer is never given as the whole."""
    if other is None or not first.ids or not other.ids:
        return first if other is None or not first.ids or first.question else other
    return spatial.Finding(ids=list(dict.fromkeys(first.ids + other.ids)), confidence=min(first.confidence,
                           other.confidence), explicit=False, margin=first.margin or other.margin,
                           why=first.why + other.why)
