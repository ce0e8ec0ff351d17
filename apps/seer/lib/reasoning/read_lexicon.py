"""The lexicon's reading (named structures with sides, numbers, ranges and exclusions), and the readers by
meaning (descriptions, learned skills, the encoder fallback) for what the lexicon cannot name."""

from __future__ import annotations

from ..records import Evidence, TargetSpec
from .decide import Reading, ask, decide, refuse, refuse_unrecognised
from .ground import Grounding, ground_mention
from .normalize import tokenize
from .parse import Item, Mention, unless_negated
from . import readers as spatial
from . import tract
from .expression import Along, Concept, Relation, of_ids
from .request import MENTION, LearnedTrigger, Request, asking_clauses, scope_of
from .thresholds import T


# A noun of a kind ("vein") needs this many further content words before they count as describing which one.
DESCRIBING_WORDS = 2
# A description read clause by clause has at most this many clauses (each costs one encoder call).
MAX_CLAUSES = 4
# A function verb's object is among the next this many words ("stores and concentrates the bile").
VERB_REACH = 4


class LexiconReaders:
    """Mixed into `ReasoningEngine`; reads its lexicon, language tables and ontology."""

    def _answer(self, request: Request, finding: spatial.Finding, reader: str) -> TargetSpec | None:
        """Turn a reader's finding into the spec, through the one decision."""
        reading, evidence = request.reading, request.evidence
        named = request.named_aside
        if named and finding.ids and set(finding.ids) != set(named):
            # a name set off in brackets beside the description ("the vein along its back (splenic vein)") and an
            # answer that is not it: which one is meant is asked
            finding.why.append(f"the name in brackets ({', '.join(named)}) is not the answer")
            finding.question, finding.ids = list(dict.fromkeys([*finding.ids, *named])), []
        reading.rationale.extend(f"{reader}: {line}" for line in finding.why)
        if finding.question:
            return ask(finding.question, reading, evidence, self.ontology)
        if not finding.ids:
            return refuse(f"Nothing in this image fits: {finding.why[-1] if finding.why else reader}.",
                          T.confidence.refuse_unsure, reading, evidence, self.ontology)
        mention = Mention(concept=finding.ids[0], form="concept", text=", ".join(finding.ids), source=reader)
        reading.include = [Grounding(mention=mention, ids=list(finding.ids), explicit=finding.explicit,
                                     rule=f"{reader} -> {', '.join(finding.ids)}")]
        reading.cap(f"{reader} read from the image", finding.confidence)
        self._add_exclusions(request)
        spec = decide(reading, evidence, self.ontology)
        if spec.status == "rejected":
            spec.confidence = min(spec.confidence, T.confidence.refuse_unsure)  # reasoned our way to a refusal
        return spec

    def _add_exclusions(self, request: Request) -> None:
        reading, parsed = request.reading, request.parsed
        reading.exclude = [ground_mention(m, self.ontology) for m in [*parsed.exclude, *self._negated_mentions(request)]]
        reading.exclude_refs = parsed.exclude_refs

    def _negated_mentions(self, request: Request) -> list:
        """The structures the discourse negated or withdrew ("leave out the psoas"), as mentions."""
        findings = self._word_sets["findings_words"]
        stems = tuple(self.language.get("stem_suffixes", ()))
        # "without cholecystitis", "no fracture of the rib": a finding denied, not a structure excluded
        return [m for chunk in (request.discourse.negated if request.discourse else [])
                if not any(w in findings or w.endswith(stems) for w in request.discourse.clause_words(chunk))
                for m in self._mentions_of(chunk)]

    def _read_tract(self, request: Request) -> TargetSpec | None:
        """"the bowel segment the stomach empties into", "the part just before the rectum": along(anchor, next |
        previous), its order the ontology's `continues_into` (`tract.py`), run by the evaluator like every operator.
        None when the request makes no tract call it can read whole."""
        call = tract.find_call(request.items or [], request.text.tokens, self.ontology,
                               self.language.get("sequence_words") or {}, self.language.get("passage_words") or {},
                               self.words.relations, self._modifies)
        if call is None:
            return None
        expr = Along(Concept(call.anchor), call.direction, tuple(call.pool)) if call.far_end is None else \
            Relation("between", (Concept(call.anchor), Concept(call.far_end)), of_ids(call.pool) if call.pool else None)
        finding = self._evaluate(request, expr)
        request.reading.rationale.append(f'"{call.phrase}" places the target {call.direction} along the tract of '
                                         f"{call.anchor}")
        return self._answer(request, finding, "tract")

    def _modifies(self, token: str) -> bool:
        """Whether a word after a structure's name makes the name its modifier ("stomach resection", "bowel
        surgery"): a finding or procedure word, or a word no language file or lexicon explains."""
        return token in self._word_sets["findings_words"] or (token.isalpha() and token not in self._known)

    def _read_lexicon(self, request: Request) -> TargetSpec | None:
        """The lexicon's reading: named structures with their sides, numbers, ranges and exclusions."""
        parsed, reading, evidence = request.parsed, request.reading, request.evidence
        if request.include is not None:
            reading.include = request.include
            self._add_exclusions(request)
            return decide(reading, evidence, self.ontology)
        if not parsed.include and not parsed.bare_refs and (kind := self._every_of_a_kind(request)):
            reading.include = kind
            self._add_exclusions(request)
            return decide(reading, evidence, self.ontology)
        if not parsed.include and not parsed.bare_refs and request.discourse.dropped:
            names = ", ".join(g.mention.text for g in request.dropped) or "the structures named"
            reading.rationale.append("every structure named was negated or withdrawn: nothing to segment")
            return refuse(f"Nothing to segment: the request only says what not to segment ({names}). "
                          "Name the structure you want.", T.confidence.nothing_left, reading, evidence, self.ontology)
        if self._is_description(request.text.tokens):
            return None  # the description reader goes first; the lexicon reads it after, if it declines
        return self._lexicon_answer(request)

    def _every_of_a_kind(self, request: Request) -> list[Grounding]:
        """"all the muscles except the psoas", "every gland": a word for all before the plural noun of a kind
        (a category of the language file, not a group of the ontology) names every structure of that kind the
        image shows."""
        items = request.items
        for k, item in enumerate(items[1:], start=1):
            before = items[k - 1]
            # ("every gland": a plural marker makes the singular noun all of its kind too)
            if item.term.kind != "head" or item.text not in self.words.categories or not (
                    before.term.kind == "plural" or item.text in self.words.plural_heads
                    and before.text in self._word_sets["universal_words"]):
                continue
            category = self.words.categories[item.text]
            if category in self.words.generic:
                return []
            shown = [c for c in (request.evidence.present or {}) if self.in_category(c, category)]
            if not shown:
                return []
            mention = Mention(concept=shown[0], form="concept", text=f"{before.text} {item.text}", source="category")
            return [Grounding(mention=mention, ids=shown, explicit=False,
                              rule=f'"{before.text} {item.text}": every {category} in the image')]
        return []

    def _lexicon_answer(self, request: Request) -> TargetSpec | None:
        parsed, reading, evidence = request.parsed, request.reading, request.evidence
        # "paraspinals and psoas, leave out the psoas": one of a pair said in the singular, then left out in the same
        # words, is out whole: never a question of which side, since neither is asked for
        whole_out = {m.concept for m in [*parsed.exclude, *self._negated_mentions(request)]
                     if not m.sides and not m.numbers}
        kept = [m for m in parsed.include if not (m.form == "singular" and not m.sides and not m.numbers
                                                  and m.concept in whole_out)]
        if kept and len(kept) < len(parsed.include):
            parsed.include = kept
        places = self._places_by_genitive(request)
        include = [self._along_tract(request, m, ground_mention(m, self.ontology)) for m in parsed.include
                   if (m.concept, m.text) not in places]
        include += self._resolve_bare(parsed.bare_refs, request.context + request.dropped, reading) if not include else []
        if not include and request.context:
            include = self._head_refers_back(request)
        if not include:
            return None
        said = f" {' '.join(request.text.tokens)} "
        # "small and large bowel including the duodenum": the part named after an inclusion word is added to
        # its whole, not the part asked for inside it
        inclusion = any(f" {' '.join(tokenize(w))} " in said for w in self.language.get("inclusion_words", ()))
        reading.include = self._resolve_references(include, self._ordered_context(request), reading,
                                                   keep_wholes=inclusion, items=request.items)
        self._narrow_by_size(request)
        self._narrow_by_description(request)
        self._whole_group_by_its_name(request)
        self._add_exclusions(request)
        # both sides of one single structure, when it is all that is asked ("the left and right stomach"); with
        # more asked, "both" is said of the list ("both the liver and the spleen")
        contradicted = [g for g in reading.include if g.ignored_side and g.ids and (
            len(reading.include) == 1 if g.ignored_side == "both"
            else evidence.present is None or g.ids[0] in evidence.present)]
        if contradicted:
            # "the right spleen", "the left pancreas", "the left spleen": an unpaired structure with no sided part in
            # the ontology, said to be on a side. Either the words contradict the image, or the side names a part (the
            # left of an organ that crosses the midline) we have no mask for, or it says of the whole what is true
            # of it anyway and may stand for something else ("left spleen" for a splenule): ask. (One absent from
            # the image is refused as absent.)
            g = contradicted[0]
            name = self.ontology[g.ids[0]].name
            if g.ignored_side == "both":
                reading.rationale.append(f'"{g.mention.text}" is said on the left and the right, but the {name} is a '
                                         "single structure")
                return ask([g.ids[0]], reading, evidence, self.ontology,
                           message=f"The {name} is a single structure, with no left and right of its own. Did you "
                                   f"mean the whole {name}?")
            wholly = self._wholly_on_side(g.ids[0], g.ignored_side, evidence)
            where = f"lies on the {g.ignored_side}" if wholly else f"does not lie wholly on the {g.ignored_side}"
            reading.rationale.append(f'"{g.mention.text}" is said to be on the {g.ignored_side}, but the {name} is '
                                     f"unpaired and {where} in this image")
            # the question offers the structure itself and the nearest in meaning that does lie on that side
            nearest = [c for c, _ in (self.embeddings.rank(" ".join(request.text.tokens), top=None)
                                      if self.embeddings is not None else [])
                       if c != g.ids[0] and evidence.present is not None and c in evidence.present
                       and not self.ontology[c].members and self.ontology[c].laterality in (g.ignored_side, None)
                       and self._on_side(c, {g.ignored_side}, evidence)][:1]
            return ask([g.ids[0], *nearest], reading, evidence, self.ontology,
                       message=f"The {name} is a single structure and {where} in this image. Did you mean the "
                               f"whole {name}"
                               + "".join(f", or the {self.ontology[c].name}" for c in nearest) + "?")
        if (numbered := self._numbered_part(request)) is not None:
            # "liver segment 7", "segment VII of the liver": a numbered part of a structure with no numbered parts in
            # the ontology; the whole structure is not what was asked
            name, number = numbered
            return refuse(f"I cannot segment part {number} of the {name}, only the whole {name}. Ask for the whole "
                          f"{name} if that is what you need.", T.confidence.clarify, reading, evidence, self.ontology,
                          why=f"a numbered part of the {name}, which has no numbered parts")
        worst = max((g.penalty for g in reading.include), default=0.0)
        reading.adjust("the words disagree or a side does not apply", -worst)
        unsure = self._unsure_reading(request)
        if unsure:
            reading.cap(unsure, T.confidence.unsure)
        spec = decide(reading, evidence, self.ontology)
        if spec.status == "ok" and (counted := self._both_miscounted(spec.targets, reading, request.items)):
            # "both big vessels" where the group holds three in this image: "both" says two, so which two is asked
            return ask(counted, reading, evidence, self.ontology,
                       f'"both" says two, but {len(counted)} structures of the group named are in the image')
        if unsure and spec.status == "rejected":
            spec.confidence = min(spec.confidence, T.confidence.refuse_unsure)  # a refusal of a reading we doubt
        if spec.status == "clarify" and parsed.unknown and self._off_topic(request.text.tokens, reading):
            return refuse_unrecognised(reading, evidence, self.ontology, request.prompt)
        items = request.items
        unused = spec.status == "ok" and request.include is None and self._comparison_said(items)
        if unused and len(spec.targets) >= 2:
            # "which is bigger, X or Y" that no comparison could decide: one of them is meant, never both
            return ask(spec.targets, reading, evidence, self.ontology,
                       "a comparison word was not used: one of the structures named is meant")
        if unused and any(i.term.kind == "number" for i in items):
            # "of the two lumbar vertebrae, the upper one": the count read as a member's number gave L2
            refusal = spec.refused("I could not decide the comparison in this request. Please name the structure "
                                   "you want.", "a comparison word was not used, and a number was read instead")
            refusal.confidence = T.confidence.clarify
            return refusal
        return spec

    def _places_by_genitive(self, request: Request, say: bool = True) -> set[tuple[str, str]]:
        """(concept, text) of each structure named only as the place of the one before it: "the spinal canal of
        these vertebrae", "the portal vein of the liver", "el conducto del páncreas", "the discs in the spine". Only
        a single structure is placed so (a group said of a place, "the discs of the lumbar spine", is narrowed by
        it, not read here), and only by a structure it is no part of ("the lobes of the lung" are read by their
        whole)."""
        containers = self._phrase_table("container_words")
        genitive = {tuple(w.split()) for w in [*self._phrase_table("genitive_words"), *containers]}
        named = [k for k, i in enumerate(request.items or []) if i.term.kind in MENTION
                 and str(i.term.value) in self.ontology]
        places = set()
        for a, b in zip(named, named[1:]):
            first, second = request.items[a], request.items[b]
            between = request.items[a + 1:b]
            # "the kidneys on both sides of the spine": what the sides are of only places them, a group too
            flanks = len(between) > 1 and between[0].term.kind == "side" and between[0].term.value == "both"
            between = between[1:] if flanks else between
            words = tuple(t for i in between for t in i.text.split())
            if not between or any(i.term.kind != "filler" and i.text not in containers for i in between) \
                    or not any(words[:len(g)] == g for g in genitive):
                continue
            owner, place = str(first.term.value), str(second.term.value)
            related = scope_of(self.ontology, [owner]) & scope_of(self.ontology, [place])
            if not flanks and (self.ontology[owner].members or related):
                continue
            places.add((place, second.text))
            if say:
                request.reading.rationale.append(f'"{second.text}" only places "{first.text}"')
        return places

    def _along_tract(self, request: Request, mention: Mention, g: Grounding) -> Grounding:
        """A range along a tract is every structure on it between its ends ("stomach to colon": the duodenum and
        the small bowel too; "the GI tract from the stomach onward": to its end), never only the ends named; the
        tract named with it ("the bowel from the duodenum on") bounds it."""
        end = mention.range_end
        if tract.on_a_tract(self.ontology, mention.concept):
            if end is not None:
                span = tract.stretch(self.ontology, mention.concept, end.concept) \
                    if tract.on_a_tract(self.ontology, end.concept) else None
                said = f'"{mention.text}" to "{end.text}"'
            else:
                span, said = self._onward(request, mention), f'"{mention.text}" onward'
            vocabulary = set(request.evidence.vocabulary)
            # a structure between the ends the backbone cannot segment is passed over, as a group's member is
            span = [c for c in span or () if c in (mention.concept, getattr(end, "concept", None))
                    or not vocabulary or self.ontology.leaves(c, vocabulary)]
            present = request.evidence.present
            said_absent = present is not None and any(
                not any(leaf in present for leaf in self.ontology.leaves(c, vocabulary) or [c])
                for c in (mention.concept, getattr(end, "concept", mention.concept)))
            if len(span) > 1 and not said_absent:  # an end said but not in the image is reported as such
                g.ids, g.options, g.explicit = span, [], False
                g.rule = f"{said} along its tract: {', '.join(span)}"
                request.reading.rationale.append(g.rule)
        return g

    def _onward(self, request: Request, mention: Mention) -> list[str] | None:
        """The structures from a named one to the end of its tract, within the tract or group named with it."""
        item = next((i for i in request.items or [] if i.term.kind in MENTION and i.text == mention.text
                     and str(i.term.value) == mention.concept), None)
        wholes = [str(i.term.value) for i in request.items or [] if i.term.kind in MENTION
                  and mention.concept in self.ontology.descendants(str(i.term.value))]
        if item is None or not tract.runs_onward(item, request.text.tokens,
                                                 self.language.get("tract_onward_words") or {}, bool(wholes)):
            return None
        span = tract.downstream(self.ontology, mention.concept)
        bound = set().union(*(self.ontology.descendants(w) for w in wholes)) if wholes else None
        return [c for c in span if bound is None or c in bound] if len(span) > 1 else None

    def _read_description(self, request: Request) -> TargetSpec | None:
        tokens = request.text.tokens
        if not self._is_description(tokens):
            return None
        if any(m.range_end is not None and tract.on_a_tract(self.ontology, m.concept)
               and tract.on_a_tract(self.ontology, m.range_end.concept) for m in request.parsed.include):
            # "everything along the gut from the stomach through to the colon": the structures named are the ends
            # of a range along their tract, never landmarks that a description places its answer against
            return self._lexicon_answer(request)
        kinds = [i.term.kind for i in request.items]
        first = next((k for k, kind in enumerate(kinds) if kind in MENTION), None)
        if first is not None and not {"head", "unknown"} & set(kinds[:first]) \
                and self._places_by_genitive(request, say=False):
            return self._lexicon_answer(request)  # "the cord of the thoracic spine": a structure and its place
        self._ambiguous = []
        # "the muscle that isn't the left one": a negated side is the other one (`parse.unless_negated`)
        sides = {unless_negated(request.items, k, str(i.term.value)) for k, i in enumerate(request.items)
                 if i.term.kind == "side"} | {
            self.ontology[str(i.term.value)].laterality for i in request.items
            if i.term.kind == "concept" and self.ontology[str(i.term.value)].laterality}
        clauses = self._clause_readings(request, sides or None)
        families = list(dict.fromkeys(self._family(c) for _, c in clauses))
        # a clause that names a group and another that names one of its members agree on the member ("the big
        # vein that carries blood from the belly ... up to the heart")
        families = [f for f in families if not any(f != o and o in self.ontology.descendants(f) for o in families)]
        if clauses:
            # the clauses describe one structure: the request is never split into a union of its clauses (the
            # union `FrontEnd._union_of_parts` keeps on the request is set to "no union")
            request.parts_union, request.parts_read = None, True
        if len(families) > 1:
            # "the gland that makes insulin and stores bile": each clause clearly describes another structure
            finding = spatial.Finding(question=[c for _, c in clauses][:T.embedding.clarify_top],
                                      why=["the clauses of the description describe different structures: "
                                           + "; ".join(f'"{t}" -> {c}' for t, c in clauses)])
            return self._answer(request, finding, "description")
        # a tie the lexicon names ("organ that holds bile" is a lexicon phrase) is left to the lexicon, exactly; the
        # verb breaks a tie even where a structure is named ("the big organ under the right ribs that makes bile")
        described = self._describe(tokens, request.reading, request.evidence, request.context, sides or None)
        if described is None and len(clauses) > 1 and len(families) == 1 \
                and (not self._ambiguous or families[0] in {self._family(c) for c in self._ambiguous}):
            # "the thing that filters blood and makes urine": the whole sentence fits two structures about
            # equally, but each clause alone clearly describes the same one
            family = families[0]
            best = next(c for _, c in clauses if self._family(c) == family)
            self._ambiguous = []
            request.reading.rationale.append("description: every clause describes " + family + ": "
                                             + "; ".join(f'"{t}" -> {c}' for t, c in clauses))
            request.reading.cap("read as a description by the encoder, clause by clause", T.confidence.description)
            described = Mention(concept=best, form="concept", text=" ".join(tokens), source="description",
                                sides=set(sides or ()) if self.ontology[best].members else set()) \
                if family == best else Mention(concept=family, form="singular", text=" ".join(tokens),
                                               source="description", sides=set(sides or ()))
        if described is None and self._ambiguous:
            finding = spatial.Finding(question=self._ambiguous, why=["the description fits these about equally"])
            return self._answer(request, finding, "description")
        kinds = [i.term.kind for i in request.items]
        if described is None and self.embeddings is not None and "head" in kinds \
                and not any(k in MENTION for k in kinds[:kinds.index("head")]) \
                and any(k in MENTION for k in kinds[kinds.index("head"):]):
            # "the tube that carries food to the stomach": every structure named comes after the head noun. When
            # the description fits something else well (it failed only on its margin), what it names are its
            # landmarks, never its answer: ask among what it fits
            ranked = self.embeddings.rank(" ".join(tokens), top=T.embedding.clarify_top)
            named = {self._family(str(i.term.value)) for i in request.items if i.term.kind in MENTION
                     and str(i.term.value) in self.ontology}
            parts = any(i.term.kind in MENTION and str(i.term.value) in self.ontology
                        and self._names_own_part(i.text, str(i.term.value))
                        for i in request.items)  # "the organ with the loops of Henle": a named part is its whole
            if ranked and ranked[0][1] >= T.description.accept and self._family(ranked[0][0]) not in named \
                    and not parts:
                finding = spatial.Finding(question=[c for c, _ in ranked],
                                          why=["the description did not single out one structure, and what it "
                                               "names are its landmarks"])
                return self._answer(request, finding, "description")
        if described is None and (done := self._verb_of_no_structure_named(request)) is not None:
            return self._answer(request, done, "description")
        if described is None and (kin := self._kind_placed_by_landmarks(request)) is not None:
            return self._answer(request, kin, "description")
        if described is not None:
            ordinals, cardinals = self.language.get("ordinals", {}), set(self.language.get("cardinals", ()))
            numbers = [int(ordinals[i.text]) for i in request.items if i.text in ordinals and i.text not in cardinals]
            if len(numbers) == 1 and not described.numbers and self.ontology[described.concept].members \
                    and any(self.ontology[c].series for c in self.ontology.descendants(described.concept)):
                # "the second bone of the lower back": the description names the series, the number its member
                described.numbers = numbers
                request.reading.rationale.append(f"description: member {numbers[0]} of {described.concept}")
            elif self._one_of_a_pair_described(described, request):
                # "Adrenal incidentaloma. Segment the gland in question.": one gland, and the words say no side
                described.form = "singular"
                request.reading.rationale.append(f"description: one of {described.concept}, the head noun singular")
            request.parsed.include, request.parsed.exclude = [described], []
        return self._lexicon_answer(request)

    def _one_of_a_pair_described(self, described: Mention, request: Request) -> bool:
        """Whether a description read as a pair's group ("adrenal glands") asks for one of the two: its head
        nouns are all singular, and no side, count or "both" is said."""
        concept = self.ontology[described.concept]
        members = [self.ontology[c] for c in concept.members]
        heads = [i.text for i in request.items if i.term.kind in ("head", "singular")]
        return described.form == "concept" and len(members) == 2 and all(m.laterality for m in members) \
            and bool(heads) and not any(h in self.words.plural_heads for h in heads) and not described.sides \
            and not any(i.term.kind in ("side", "number") or i.text in self._word_sets["both_words"]
                        for i in request.items)

    def _verb_of_no_structure_named(self, request: Request) -> spatial.Finding | None:
        """"the tube carrying urine from the right kidney": a kind of thing doing something (carry urine) to the
        structures named after it. When no structure named does that (the kidney makes urine, it does not carry
        it), they are the verb's landmarks, never the answer: the structures whose own words say that verb and
        object are asked among, and with none (the ureter is not in the ontology) the request is refused."""
        kinds = [i.term.kind for i in request.items]
        if "head" not in kinds or any(k in MENTION for k in kinds[:kinds.index("head")]):
            return None
        said = self._frames_of(request.text.tokens)
        named = [str(i.term.value) for i in request.items if i.term.kind in MENTION
                 and str(i.term.value) in self.ontology]
        if not said or not named:
            return None
        family = {c for n in named for c in scope_of(self.ontology, [n]) | set(self.ontology.ancestors(n))}
        if any(said & self._concept_frames(c) for c in family):
            return None  # a structure named does what is said: it may well be the answer
        head = request.items[kinds.index("head")].text
        category = self.words.categories.get(head)
        if category and any(self._of_kind(n, category) for n in named):
            return None  # "the gland that carries the islets of Langerhans": the gland named is of the kind said
        if any(i.term.kind in MENTION and self._names_a_part(i, str(i.term.value))
               for i in request.items if str(i.term.value) in self.ontology):
            return None  # "the thing carrying the islets of Langerhans": a part said is its whole, the answer
        doers = [c for c in self.ontology.concepts if c not in family and said & self._concept_frames(c)]
        what = ", ".join(f"{verb} {word}" for verb, word in sorted(said))
        if doers:
            return spatial.Finding(question=doers[:T.embedding.clarify_top],
                                   why=[f"no structure named does what is said ({what}): they are its landmarks"])
        return spatial.Finding(why=[f"no structure in the ontology does what is said ({what}) beside the "
                                    f"{', '.join(self.ontology[n].name for n in named)}"])

    def _kind_placed_by_landmarks(self, request: Request) -> spatial.Finding | None:
        """"la glande sur le rein droit": a head noun of a kind ("gland") said before every structure named, none
        of them of that kind, is placed by them: they are landmarks, and the lexicon would answer the landmark.
        Asks among the structures of that kind in the image (none: nothing fits). None when a structure named is
        of the kind ("the gland called the pancreas") or no kind is said."""
        kinds = [i.term.kind for i in request.items]
        if "head" not in kinds or any(k in MENTION for k in kinds[:kinds.index("head")]):
            return None
        category = self._category_in(request.text.tokens)
        named = [str(i.term.value) for i in request.items if i.term.kind in MENTION
                 and str(i.term.value) in self.ontology]
        if category is None or not named or any(self.in_category(d, category) for c in named
                                                for d in {c, *self.ontology.descendants(c)}):
            return None
        kin = [c for c in (request.evidence.present or {}) if self.in_category(c, category)]
        why = f"the {category} described is placed by {', '.join(named)}, which are no {category}: landmarks"
        return spatial.Finding(question=kin[:T.embedding.clarify_top], why=[why], explicit=False)

    def _clause_readings(self, request: Request, sides: set[str] | None) -> list[tuple[str, str]]:
        """What each clause of a description of several clauses ("the gland that makes insulin and stores bile",
        "the thing that filters blood, the one on the left") clearly describes on its own: (clause, concept) for
        each clause that a named description ("organ that makes bile") or the encoder (its head noun with the
        clause's words) reads clearly. A clause with no word of its own beyond structures, sides and function words
        ("the one on the left", "and the spleen") describes nothing alone and gives no reading."""
        items = request.items or []
        tokens = request.text.tokens
        head = next((t for t in tokens if t in self._heads), None)
        if head is None or self.embeddings is None:
            return []
        clauses: list[list] = [[]]
        for item in items:
            if item.term.kind in ("conjunction", "break"):
                clauses.append([])
            else:
                clauses[-1].append(item)
        clauses = [c for c in clauses if c]
        if not 2 <= len(clauses) <= MAX_CLAUSES:
            return []  # one clause is the whole description; many are a report or a list, not one description
        landmarks = {self._family(c) for g in request.context or [] for c in (*g.ids, g.mention.concept)
                     if c in self.ontology}
        readings: list[tuple[str, str]] = []
        for number, clause in enumerate(clauses):
            words = [i.text for i in clause]
            if number and any(i.term.kind == "head" and i.text not in self._pointers or i.term.kind in MENTION
                              and set(tokenize(i.text)) & (self._heads - self._pointers) for i in clause):
                return []  # "the gland that makes insulin and the organ that stores bile": two things, not clauses
            named = [str(i.term.value) for i in clause if i.term.kind in MENTION
                     and str(i.term.value) in self.ontology and set(tokenize(i.text)) & self._heads]
            if named:  # "gland that makes insulin": a description the lexicon names
                readings.append((" ".join(words), named[0]))
                continue
            own = [i.text for i in clause if i.term.kind == "unknown" and i.text.isalpha()
                   and i.text not in self._function_words and i.text not in self.common_stop]
            if not own:
                continue
            ruled_out = landmarks | {self._family(str(i.term.value)) for i in clause if i.term.kind in MENTION
                                     and str(i.term.value) in self.ontology}
            text = " ".join(words if head in words else [head, *words])
            ranked = [(c, s) for c, s in self.embeddings.rank(text, top=12)
                      if self._family(c) not in ruled_out and self._on_side(c, sides or set(), request.evidence)]
            if not ranked:
                continue
            best, score = ranked[0]
            runner = next((s for c, s in ranked[1:] if self._family(c) != self._family(best)), 0.0)
            request.reading.rationale.append(f'description clause "{text}": nearest {best} {score:.2f} '
                                             f"(next {runner:.2f})")
            # a clause alone is short and the encoder reads few words: only a strong, clear reading counts
            if score >= T.embedding.strong and score - runner >= T.embedding.strong_margin:
                readings.append((text, best))
        return readings if len(readings) > 1 else []

    def _describe(self, tokens: list[str], reading: Reading, evidence: Evidence,
                  landmarks: list[Grounding], sides: set[str] | None = None) -> Mention | None:
        """Read a description by meaning. Two checks keep the encoder honest: a landmark the description is
        placed against is not its answer ("the cap on top of the left kidney" is not the kidney), and a side in
        the words must agree with where the candidate lies in this image."""
        if self.embeddings is None:
            return None
        if sides is None:
            sides = {self._side_of[t] for t in tokens if t in self._side_of}
        ruled_out = {self._family(c) for g in landmarks for c in (*g.ids, *g.options, g.mention.concept)}
        everything = self.embeddings.rank(" ".join(tokens), top=None)
        kind = self._category_in(tokens)
        # "the muscle that lifts the thigh": the kind the words name rules out the other kinds (the thigh bone),
        # which the encoder, reading the function words, may rank as high
        ranked = [(c, s) for c, s in everything[:12]
                  if self._family(c) not in ruled_out and self._on_side(c, sides, evidence)
                  and (kind is None or self._of_kind(c, kind))]
        if len(ranked) < 2:
            return None
        best, score = ranked[0]
        family = self._family(best)
        runner_up, runner_score = next(((c, s) for c, s in ranked[1:] if self._family(c) != family), ("-", 0.0))
        reading.rationale.append(f"description: nearest {family} {score:.2f} (next {runner_up} {runner_score:.2f})"
                                 + (f"; landmarks ruled out: {sorted(ruled_out)}" if ruled_out else ""))
        if score >= T.description.accept and score - runner_score < T.description.margin:
            # "the organ that keeps the bile": a tie the verb decides (it stores bile; the other makes it)
            settled = self._frame_decides(tokens, best, runner_up, runner_score, reading)
            if settled is not None:
                best, score = settled, (score if settled == best else runner_score)
                family = self._family(best)
                runner_score = score - T.description.margin
        if score < T.description.accept or score - runner_score < T.description.margin:
            return None
        category = self._category_in(tokens)
        if category is not None and evidence.present is not None:
            # "a big blood vessel in the belly": the description must single out one of its kind in this image
            kin = [(c, s) for c, s in everything if c in evidence.present and self._family(c) not in ruled_out
                   and self._on_side(c, sides, evidence) and self.in_category(c, category)
                   and self._family(c) != family]
            if kin and score - kin[0][1] < T.description.category_margin \
                    and self._frame_decides(tokens, best, kin[0][0], kin[0][1], reading) == best:
                kin = kin[1:]  # "the organ that keeps the bile": its verb and object rule the close kin out
            if kin and score - kin[0][1] < T.description.category_margin and self.in_category(best, category):
                reading.rationale.append(f"description: {best} {score:.2f} and {kin[0][0]} {kin[0][1]:.2f} are both "
                                         f"a {category} and fit about equally")
                self._ambiguous = [best] + [c for c, _ in kin[:T.embedding.clarify_top - 1]]
                return None
        if runner_up in self.ontology and best in self.ontology.descendants(runner_up) \
                and score - runner_score < T.description.group_margin and evidence.present is not None:
            # "the big blood vessel in the belly": it fits the whole group about as well as its best member, so
            # it does not single out one member
            members = [c for c, _ in ranked if c in self.ontology.descendants(runner_up) and c in evidence.present
                       and not self.ontology[c].members]
            if len(members) > 1:
                reading.rationale.append(f"description fits the group {runner_up} about as well as {best}: "
                                         f"{', '.join(members[:T.embedding.clarify_top])} all fit")
                self._ambiguous = members[:T.embedding.clarify_top]
                return None
        reading.cap("read as a description by the encoder", T.confidence.description)
        # The encoder is weak on left and right; the side words are not.
        if family == best:
            return Mention(concept=best, form="concept", text=" ".join(tokens), source="description",
                           sides=sides if self.ontology[best].members else set())
        return Mention(concept=family, form="singular", text=" ".join(tokens), source="description", sides=sides)

    def _frames_of(self, tokens: list[str]) -> set[tuple[str, str]]:
        """(verb class, object) for each function verb of the words ("stores ... bile" -> (store, bile)): the
        verb's class from the language files (`function_verbs`), its objects the content words up to the next
        verb or break, within VERB_REACH words."""
        verbs = self._phrase_table("function_verbs")
        frames = set()
        for k, token in enumerate(tokens):
            kind = verbs.get(token)
            if kind is None:
                continue
            for word in tokens[k + 1:k + 1 + VERB_REACH]:
                if word in verbs or not word.isalnum():
                    break
                if word.isalpha() and len(word) >= 3 and word not in self._function_words \
                        and word not in self.common_stop:
                    frames.add((kind, word[:-1] if word.endswith("s") and len(word) > 4 else word))
        return frames

    def _concept_frames(self, concept_id: str) -> set[tuple[str, str]]:
        """A concept's (verb class, object) frames, read from its ontology description and lexicon (once)."""
        cache = vars(self).setdefault("_frames_cache", {})
        if concept_id not in cache:
            concept = self.ontology[concept_id]
            cache[concept_id] = set().union(*(self._frames_of(tokenize(text))
                                              for text in (concept.description, *concept.lexicon)))
        return cache[concept_id]

    def _frame_decides(self, tokens: list[str], best: str, runner: str, runner_score: float,
                       reading: Reading) -> str | None:
        """Break an encoder tie by the description's verb and object: the one candidate whose own frames hold the
        request's frame (the same verb class on the same object), and the other's do not. The encoder weighs
        "keeps bile" and "makes bile" alike; the ontology's words do not. None when the frames do not decide."""
        said = self._frames_of(tokens)
        if not said or runner not in self.ontology:
            return None
        mine, theirs = said & self._concept_frames(best), said & self._concept_frames(runner)
        if bool(mine) == bool(theirs):
            return None
        chosen = best if mine else runner
        if chosen == runner and runner_score < T.description.accept:
            return None
        reading.rationale.append(f"description: {sorted(mine or theirs)} is said of {chosen}, not of "
                                 f"{runner if chosen == best else best}: the verb decides the tie")
        return chosen

    def _size_named(self) -> dict[tuple[str, str], set[str]]:
        """(group, size) -> the members one of whose names is that size word with a word naming the group:
        ("bowel", "small") -> {small_bowel} from "small intestine", ("bowel", "large") -> {colon} from "large bowel".
        Built from the term index (ontology names and the language files' names), once per index."""
        if getattr(self, "_size_named_for", None) is self.index:
            return self._size_names
        sizes = self.words.sizes
        table: dict[tuple[str, str], set[str]] = {}
        for key, term in self.index.phrases.items():
            if term.kind != "concept" or len(key) != 2 or str(term.value) not in self.ontology:
                continue
            for size_word, head in (key, key[::-1]):
                group = self.index.phrases.get((head,))
                if size_word not in sizes or group is None or group.kind not in MENTION \
                        or str(group.value) not in self.ontology:
                    continue
                if str(term.value) in self.ontology.descendants(str(group.value)):
                    table.setdefault((str(group.value), sizes[size_word]), set()).add(str(term.value))
        self._size_names, self._size_named_for = table, self.index
        return table

    def _narrow_by_size(self, request: Request) -> None:
        """"the little guts", "le gros intestin", "intestino pequeno": a size word beside the name of a group some of
        whose members are named by a size ("small bowel", "large bowel") picks the member named by that size. A
        size word that picks none of them ("the medium bowel") is not dropped: the group's members are asked
        about. Groups whose members no size names ("the small kidneys") are left alone: the size is a finding."""
        reading = request.reading
        table = self._size_named()
        if not table:
            return
        sizes = self.words.sizes
        items = request.items or []
        for g in reading.include:
            group = g.mention.concept
            if g.mention.source in ("description", "embedding") or g.mention.numbers \
                    or not any(k[0] == group for k in table):
                continue
            at = next((k for k, i in enumerate(items) if i.term.kind in MENTION and str(i.term.value) == group
                       and i.text == " ".join(tokenize(g.mention.text))), None)
            if at is None:
                continue
            before = items[at - 1].text if at > 0 else ""
            after = items[at + 1].text if at + 1 < len(items) else ""
            # before the noun ("petit intestin"), or after it as Romance languages place it ("intestino pequeno")
            size = sizes.get(before) or sizes.get(after)
            if size is None:
                continue
            word = before if before in sizes else after
            said = f"{word} {g.mention.text}" if word == before else f"{g.mention.text} {word}"
            present = request.evidence.present
            chosen = sorted(table.get((group, size), set()))
            if len(chosen) == 1:
                g.ids, g.options, g.explicit = chosen, [], True
                g.rule += f'; "{word}" names the {size} member: {chosen[0]}'
                reading.rationale.append(f'"{said}": the member of {group} named by its size '
                                         f"({size}) is {chosen[0]}")
                reading.cap("a size word picked the member of a group", T.confidence.unsure)
                continue
            members = chosen or [m for m in self.ontology.descendants(group) if not self.ontology[m].members]
            g.ids, g.options = [], [m for m in members if present is None or m in present]
            g.rule += f'; "{word}" names no one member of {group} by its size: which is asked'
            reading.rationale.append(f'"{word}" ({size}) said of {group} picks no one member named by that size')

    def _narrow_by_description(self, request: Request) -> None:
        """"the vein draining the intestines into the liver": a noun that names one of a kind without saying
        which ("vein"), followed by words that describe it. The encoder picks among the kind's structures in this
        image when the description fits one of them clearly; otherwise the question stands."""
        reading, evidence, tokens = request.reading, request.evidence, request.text.tokens
        open_ = [g for g in reading.include if g.options and not g.ids]
        if self.embeddings is None or len(open_) != 1 or len(reading.include) != 1:
            return
        g = open_[0]
        said = set(tokenize(g.mention.text))
        rest = [t for t in tokens if t.isalpha() and t not in said and t not in self._function_words
                and t not in self.common_stop and t not in self._side_of]
        if len(rest) < DESCRIBING_WORDS:
            return
        present = [o for o in g.options if evidence.present is None or o in evidence.present]
        ranked = self.embeddings.rank(" ".join(tokens), allowed=set(present), top=2)
        if not ranked:
            return
        (best, score), runner = ranked[0], (ranked[1][1] if len(ranked) > 1 else 0.0)
        reading.rationale.append(f'description of "{g.mention.text}": nearest {best} {score:.2f} (next {runner:.2f})')
        if len(ranked) > 1 and score - runner < 2 * T.description.margin:
            # "the bowel segment receiving bile": a close call the verb and its object decide, either way
            settled = self._frame_decides(tokens, best, ranked[1][0], runner, reading)
            if settled is not None and settled != best:
                (best, score), runner = ranked[1], score
        if score < T.description.accept or score - runner < T.description.margin:
            return
        g.ids, g.options = [best], []
        g.rule += f"; the words describe {best}"
        reading.cap("read as a description by the encoder", T.confidence.description)

    def _whole_group_by_its_name(self, request: Request) -> None:
        """"the bowel excluding the colon": a group whose own name is a singular noun (a mass noun) is the whole
        group when an exclusion narrows it, since only a whole has parts to leave out. Said alone ("the bowel")
        it may be the whole or one part, so the question offers the whole first. A relation ("the bowel right of
        the pancreas") was read before this and picks one member."""
        reading, parsed = request.reading, request.parsed
        narrowed = bool(parsed.exclude) or bool(request.discourse and request.discourse.negated)
        for g in reading.include:
            mention = g.mention
            if g.options and not g.ids and mention.form == "singular" and not mention.sides \
                    and not mention.numbers and mention.concept in self.ontology \
                    and tokenize(mention.text)[-1:] == tokenize(self.ontology[mention.concept].name):
                if narrowed:
                    g.ids, g.options, g.explicit = [mention.concept], [], False
                    g.rule += f"; the group's own name, narrowed by an exclusion: the whole {mention.text}"
                elif mention.concept not in g.options:
                    g.options = [mention.concept, *g.options]

    def _of_kind(self, concept_id: str, category: str) -> bool:
        """A structure of that kind, or a group all of whose structures are ("the kidneys" are organs)."""
        if self.in_category(concept_id, category):
            return True
        leaves = [d for d in self.ontology.descendants(concept_id) if not self.ontology[d].members]
        return bool(leaves) and all(self.in_category(d, category) for d in leaves)

    def _read_skill(self, request: Request) -> TargetSpec | None:
        parsed = request.parsed
        if parsed.include or parsed.bare_refs:
            return None
        parsed.include = self._learned_by_similarity(request.text.tokens, request.reading)
        if not parsed.include:
            return None
        request.reading.skill = parsed.include[0].source.split(":", 1)[1]
        return self._lexicon_answer(request)

    def _learned_by_similarity(self, tokens: list[str], reading: Reading) -> list[Mention]:
        """Skill retrieval by meaning: a request close to a learned trigger phrase uses that skill."""
        if not self.learned or self.encoder is None:
            return []
        if self._learned_matrix is None:
            self._learned_matrix = self.encoder.encode([t.phrase for t in self.learned])
        scores = self._learned_matrix @ self.encoder.encode([" ".join(tokens)])[0]
        best = int(scores.argmax())
        if scores[best] < T.embedding.skill:
            return []
        trigger = self.learned[best]
        conflict = self._changes_meaning(tokens, trigger)
        if conflict:
            reading.rationale.append(f'skill {trigger.skill_id} not used: "{" ".join(tokens)}" is close to its trigger '
                                     f'"{trigger.phrase}" ({scores[best]:.2f}) but {conflict}')
            return []
        reading.rationale.append(f'skill {trigger.skill_id}: "{" ".join(tokens)}" is close to its trigger '
                                 f'"{trigger.phrase}" ({scores[best]:.2f}); sides and numbers agree')
        sides = {self._side_of[t] for t in tokens if t in self._side_of}
        return [Mention(concept=trigger.concept, form=trigger.form, text=trigger.phrase,
                        source=f"skill:{trigger.skill_id}", sides=sides if trigger.form == "singular" else set())]

    def _changes_meaning(self, tokens: list[str], trigger: LearnedTrigger) -> str | None:
        """Why a request that is merely similar to a trigger must not use its skill: it says another side or
        another number ("rkid" is not "lkid", "rib 9" is not "rib 8"). None when they agree."""
        said = [t for t in tokens if t.isalnum()]
        taught = tokenize(trigger.phrase)
        side_words = {t: s for t, s in self._side_of.items() if s in ("left", "right")}

        def sides(words: list[str]) -> set[str]:
            return {side_words[w] for w in words if w in side_words}

        def numbers(words: list[str]) -> set[str]:
            return {w for w in words if any(ch.isdigit() for ch in w)} | {w for w in words if w in self.words.numbers}

        mine, theirs = sides(said), sides(taught)
        concept = self.ontology[trigger.concept]
        if trigger.form == "concept" and concept.laterality:
            theirs |= {concept.laterality}
        if mine and theirs and mine != theirs:
            return f"it says {sorted(mine)} where the skill means {sorted(theirs)}"
        if numbers(said) != numbers(taught) and (numbers(said) or numbers(taught)):
            return "its numbers differ from the trigger's"
        # glued side letters: "rkid" against "lkid", "kidr" against "kidl"
        for a in said:
            for b in taught:
                if a == b or len(a) != len(b) or len(a) < 2:
                    continue
                for x, y, rest_a, rest_b in ((a[0], b[0], a[1:], b[1:]), (a[-1], b[-1], a[:-1], b[:-1])):
                    if rest_a == rest_b and side_words.get(x) and side_words.get(y) and side_words[x] != side_words[y]:
                        return f'"{a}" and "{b}" differ only in a side letter'
        return None

    def _read_fallback(self, request: Request) -> TargetSpec:
        # A landmark's words ("the lobe resting on top of the liver") say where the target is, not what it is.
        landmark_words = {t for g in request.context for t in tokenize(g.mention.text)}
        # (the words as scanned: the discourse may have consumed a contrast word already)
        return self._fallback(request.prompt, request.text.tokens, request.reading, request.evidence, landmark_words,
                              self.index.scan(request.text.tokens))

    def _fallback(self, prompt: str, tokens: list[str], reading: Reading, evidence: Evidence,
                  landmark_words: set[str] = frozenset(), request_items: list = ()) -> TargetSpec:
        """No term matched: ask the sentence encoder, but let it decide alone only when it is clearly right."""
        content = [t for t in tokens if t.isalpha() and t not in self._function_words]
        if self.embeddings is None or not content:
            reading.rationale.append("no anatomical term recognised")
            return refuse_unrecognised(reading, evidence, self.ontology, prompt, self._refusal_confidence(tokens))
        ranked = self.embeddings.rank(" ".join(tokens), top=T.embedding.clarify_top + 1)
        (best, score), runner_up = ranked[0], ranked[1][1]
        shared = sorted((set(content) - set(landmark_words)) & self._concept_words[best])
        reading.rationale.append(f"embedding: nearest {', '.join(f'{c} {s:.2f}' for c, s in ranked[:T.embedding.clarify_top])}"
                                 + (f"; shared words {shared}" if shared else "; no shared words"))
        # The encoder reads the words as a bag: "all lobes except the right lower" is nearest the excluded lobe. With
        # an exclusion, a contrast or a correction said, it may only ask.
        excluding = any(i.term.kind in ("exclusion", "contrast", "correction", "withdraw") for i in request_items)
        clear = score >= T.embedding.accept and score - runner_up >= T.embedding.margin and not excluding
        if clear and (shared or (score >= T.embedding.strong and score - runner_up >= T.embedding.strong_margin)):
            sides = {self._side_of[t] for t in tokens if t in self._side_of} & {"left", "right"}
            family = self._family(best)
            if len(sides) == 1 and self.ontology[family].members and self.ontology[family].laterality is None \
                    and all(self.ontology[m].laterality for m in self.ontology[family].members):
                # "the organ on my right side ... that makes urine": the encoder names the pair, the words the side
                mention = Mention(concept=family, form="singular", text=" ".join(content), source="embedding",
                                  sides=sides)
            else:
                mention = Mention(concept=best, form="concept", text=" ".join(content), source="embedding")
            reading.include = [ground_mention(mention, self.ontology)]
            reading.cap("nearest concept by the encoder alone", min(T.confidence.embed_cap, score + 0.2))
            return decide(reading, evidence, self.ontology)
        if score >= T.embedding.clarify and shared:
            candidates = [c for c, _ in ranked[:T.embedding.clarify_top]]
            names = " or ".join(self.ontology[c].name for c in candidates)
            return ask(candidates, reading, evidence, self.ontology, confidence=T.confidence.clarify * score,
                       message=f"I am not sure what you mean. Did you mean {names}?")
        return refuse_unrecognised(reading, evidence, self.ontology, prompt, self._refusal_confidence(tokens))

    def _off_topic(self, tokens: list[str], reading: Reading) -> bool:
        """"rib eye steak recipe": an anatomy word inside text that, as a whole, is about something else. Asking
        back which rib would be absurd, so such a request is refused."""
        if self.embeddings is None:
            return False
        (best, score), = self.embeddings.rank(" ".join(tokens), top=1)
        if score < T.embedding.off_topic:
            reading.rationale.append(f"the request as a whole is not about anatomy (nearest {best} {score:.2f})")
            return True
        return False

    def _refusal_confidence(self, tokens: list[str]) -> float:
        """A request that reads like a description of a structure ("the organ that ...") but that nothing fitted is
        refused without confidence: we may have misread it. Nonsense is refused with confidence."""
        if self._is_description(tokens) or any(t in self.words.categories for t in tokens):
            return T.confidence.refuse_unsure
        if any(t in self._heads or t in self.words.body for t in tokens):
            return T.confidence.refuse_unsure  # "the tummy", "the big gut": about the body, in words we lack
        if any(t.isalpha() and 2 <= len(t) <= 3 and t not in self._known and t not in self.common_words for t in tokens):
            return T.confidence.refuse_unsure  # "RV", "LPV": shorthand we do not know may still be anatomy
        return T.confidence.refuse_unknown

    def _unsure_reading(self, request: Request) -> str | None:
        """Why an answer should stay below the exact band although every word was read: words that change the
        meaning (a reference, a comparison, a correction) that no reader used, or an unknown noun before the first
        structure ("the gristle connecting the ribs": the ribs may only be where it is)."""
        said = request.discourse
        if said is not None and said.withdrawn:
            return "a correction was read"
        sets = self._word_sets
        texts = [i.text for i in request.items]
        if request.include is None and any(t in sets["other_words"] or t in sets["same_side_words"]
                                           or t in sets["affected_words"] - sets["weak_reference_words"]
                                           or t in self.words.comparatives for t in texts):
            return "words of reference or comparison were not used"
        content = [i for i in request.items if i.term.kind not in ("filler", "action", "break", "conjunction")]
        if content and content[0].term.kind == "unknown" and content[0].text.isalpha() \
                and any(i.term.kind in MENTION for i in content[1:]):
            return f'"{content[0].text}" is not a known word and comes before the structure named'
        return None

    def _both_miscounted(self, targets: list[str], reading: Reading, items: list[Item]) -> list[str]:
        """The targets of a group said with "both" ("both big vessels", "die beiden großen Gefäße") when they are not
        a left and right pair: "both" counts two, so any other number of unpaired members means the group's name
        is wider than what was meant. [] when "both" fits (a pair group, or lateral members on both sides)."""
        if len(targets) == 2:
            return []  # "Liver and spleen cysts. Segment both organs.": two in all, whatever each mention holds
        if all(i.text in self._word_sets["plural_markers"] for i in items
               if i.term.kind == "side" and i.term.value == "both"):
            return []  # "each blood vessel in the image": "each" is both sides of a pair, or every member
        for g in reading.include:
            if "both" not in g.mention.sides or not any(self.ontology[i].members for i in g.ids):
                continue  # only a group's name can be wider than the two meant
            under = {c for i in g.ids for c in self.ontology.descendants(i) | {i}}
            mine = [c for c in targets if c in under]
            unpaired = [c for c in mine if self.ontology[c].laterality not in ("left", "right")]
            # "both ribs on the left": two of that side's six (an exclusion may leave fewer than "both" counted)
            one_side = len(g.mention.sides - {"both"}) == 1 and not (reading.exclude or reading.exclude_refs)
            if (unpaired or one_side) and len(mine) != 2:
                return mine
        return []

    def _numbered_part(self, request: Request) -> tuple[str, int] | None:
        """(name, number) when a level word with a number ("segment 7", "Segment VII") is said right beside a
        structure asked for that has nothing numbered in it (neither a series member nor a group of one), else
        None. A number said elsewhere (a rib in the history, "12345", "seg kidney 4 volumetry") is not its part."""
        items = request.items or []
        asked = {c for g in request.reading.include for c in g.ids}
        plain = [i.term.kind == "filler" or i.text == "," for i in items]
        # in a pasted report only the clauses with an action ask: "HCC in segment 7. Please outline the liver." puts
        # the number on the finding, not on what is asked ("segment" before a number is the part, no action)
        clause, asking = asking_clauses(items)
        beside: dict[int, tuple[str, int]] = {}  # mention position -> (its name, the part number said beside it)
        for k, item in enumerate(items[:-1]):
            if item.text not in self.words.levels or items[k + 1].term.kind != "number":
                continue
            before = next((j for j in range(k - 1, max(-1, k - 3), -1) if not plain[j]), None)
            after = next((j for j in range(k + 2, min(len(items), k + 5)) if not plain[j]), None)
            for j in (before, after):
                if j is None or items[j].term.kind not in MENTION:
                    continue
                concept = str(items[j].term.value)
                if asking and clause[j] not in asking:
                    continue
                if concept in asked and concept in self.ontology and not self.ontology[concept].members \
                        and not self.ontology[concept].series:
                    beside[j] = (self.ontology[concept].name, int(items[k + 1].term.value))
        # a mention of the same structure with no number beside it asks for the whole ("s/p resection of liver
        # segment 6. Please segment the liver.")
        whole = {str(i.term.value) for j, i in enumerate(items) if i.term.kind in MENTION and j not in beside}
        return next((found for j, found in beside.items() if str(items[j].term.value) not in whole), None)

    def _wholly_on_side(self, concept_id: str, side: str, evidence: Evidence) -> bool:
        """Whether a side said of an unpaired structure without sided parts is true of all of it: its whole extent
        on that side of the midline ("the left spleen"). One that reaches across ("the left pancreas", "the left
        colon") has a part on each side, and the side then names a part the ontology has no mask for. Without an
        extent, its centre decides (`_on_side`)."""
        concept = self.ontology[concept_id]
        if side not in ("left", "right") or concept.laterality or concept.pair or evidence.present is None \
                or concept_id not in evidence.present:
            return True
        extent = evidence.present[concept_id].extent_ras_mm
        if extent is None:
            return self._on_side(concept_id, {side}, evidence)
        # the edge nearest the other side (RAS: the patient's left is -x, so a left structure's far edge is x max),
        # with no tolerance across: a thin structure on the midline ("the left spinal cord") has no left of its own
        # that we could mask, so its side is a question, not a word to drop
        return evidence.lies_on(side, extent[3] if side == "left" else extent[0], 0.0) is not False

    def _on_side(self, concept_id: str, sides: set[str], evidence: Evidence) -> bool:
        """An unpaired structure said to be on one side must lie on that side of the midline in this image."""
        side = next(iter(sides)) if len(sides) == 1 else None
        concept = self.ontology[concept_id]
        if side not in ("left", "right") or concept.laterality or concept.pair or evidence.present is None \
                or concept_id not in evidence.present:
            return True
        # its centre on that side of the midline, with no tolerance across: a stomach whose centre lies 17 mm left
        # of the midline is no "right-sided stomach", however far its antrum reaches over
        return evidence.lies_on(side, evidence.present[concept_id].centroid_ras_mm[0]) is not False
