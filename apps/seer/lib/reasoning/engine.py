"""The grounded reasoning chain, composed: normalize -> parse -> ground -> (evidence) -> decide.

`ReasoningEngine.understand(prompt, evidence)` is the one entry point; the infer task, the CLI and the
benchmark all call it. It knows nothing of MONAI Label or of any backbone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..ontology import load_language, load_ontology
from ..records import Evidence, TargetSpec
from .decide import (CONFIDENCE_CLARIFY, CONFIDENCE_REFUSE_UNKNOWN, PENALTY_PER_REPAIR, Reading, decide, finish,
                     refuse_unrecognised)
from .discourse import Discourse, DiscourseReader
from .ground import Grounding, ground_mention
from .languages import language_names, load_languages, merge_language, name_terms, unsupported_scripts
from .normalize import NormalizedText, Normalizer, tokenize
from .parse import Item, Mention, ParsedRequest, Term, TermIndex, parse_items
from . import readers as spatial

# Embedding fallback (only when no term matched): accept the nearest concept above EMBED_ACCEPT when it leads
# the runner-up by EMBED_MARGIN and the request shares a content word with it; ask back above EMBED_CLARIFY
# under the same condition; refuse otherwise.
EMBED_ACCEPT = 0.55
EMBED_MARGIN = 0.03
EMBED_CLARIFY = 0.45
EMBED_CONFIDENCE_CAP = 0.8
# Without a shared word the encoder may still decide, but only when it is sure and far ahead.
EMBED_STRONG = 0.78
EMBED_STRONG_MARGIN = 0.08
CLARIFY_TOP = 3
# A description ("the little gland on top of the left kidney") names its target by what it is and does; the
# organs it mentions are landmarks. Such a request goes to the encoder first, and its answer stands when it
# is this close and this clear; otherwise the terms found in the text decide.
DESCRIPTION_ACCEPT = 0.62
DESCRIPTION_MARGIN = 0.04
DESCRIPTION_WINDOW = 3  # a head noun followed within this many tokens by a linking word
DESCRIPTION_CONFIDENCE = 0.75
# A description whose best member leads its own group by less than this names the group, not the member.
DESCRIPTION_GROUP_MARGIN = 0.08
SIDE_TOLERANCE_MM = 20.0  # how far past the midline a structure may reach and still be "on the other side"
PENALTY_LENIENT = 0.15
# Below this similarity to every concept, a request that would be answered with a question is off topic.
OFF_TOPIC_SIMILARITY = 0.5
# A request at least this similar to a learned trigger phrase uses that skill when no term matched.
SKILL_SIMILARITY = 0.8
# Confidence of readings that rest on something weaker than an exact lexicon hit.
CONFIDENCE_REFERENCE = 0.9  # an antecedent found from context ("the affected organ")
CONFIDENCE_NOTHING_LEFT = 0.95  # every mention was negated or withdrawn
# The readers, in order. Each may settle the request (return a spec) or leave it to the next.
READERS = ("script", "discourse", "relation", "ordinal", "reference", "lexicon", "description", "skill", "fallback")


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


@dataclass(frozen=True)
class LearnedTrigger:
    """A phrase the skill bank taught us: it means `concept` (the bank decides which triggers are live)."""

    phrase: str
    concept: str
    skill_id: str
    form: str = "concept"  # "singular": names one member of the pair group `concept`; a side word picks it


def _scope(ontology, concepts) -> set[str]:
    out: set[str] = set()
    for concept_id in concepts:
        out |= ontology.descendants(concept_id) | {concept_id}
    return out


class ReasoningEngine:
    def __init__(self, ontology=None, language: dict | None = None, encoder=None, cache_dir: str | None = None,
                 common_words: set[str] | None = None):
        """
        Args:
            ontology: the loaded ontology (default: the packaged data file).
            language: function words (default: the packaged language file).
            encoder: a `TextEncoder` for descriptions and the fallback, or None to run on the lexicon alone.
            cache_dir: where concept embeddings are cached.
            common_words: ordinary words never to be "repaired" (default: the encoder's vocabulary).
        """
        from .embed import common_words as encoder_words

        self.ontology = ontology or load_ontology()
        self.languages = load_languages()
        self.language = merge_language(language or load_language(), self.languages)
        self.encoder = encoder
        self.cache_dir = cache_dir
        self.common_words = encoder_words() if common_words is None else common_words
        self._embeddings = None
        self._embeddings_lock = threading.Lock()
        self._concept_words = {c.id: set(tokenize(" ".join((c.name, c.description, *c.lexicon, *c.singular))))
                               for c in self.ontology.concepts.values()}
        # What a structure is called (its name and the groups it belongs to): "gland", "muscle", "vein"
        self._name_words = {c.id: set(tokenize(" ".join([c.name, *(self.ontology[g].name for g in c.groups)])))
                            for c in self.ontology.concepts.values()}
        # Words that carry no anatomy: they may not count as evidence that a request and a concept agree.
        self._function_words = {t for key, words in self.language.items() if isinstance(words, list)
                                for w in words for t in tokenize(w)}
        self._function_words |= {t for words in self.language["side_words"].values() for w in words for t in tokenize(w)}
        self._function_words |= set(self.language["descriptive_heads"])
        self._heads = set(self.language["descriptive_heads"])
        self._links = set(self.language["descriptive_links"])
        self._side_of = {w: side for side, words in self.language["side_words"].items() for w in words}
        self.words = spatial.Vocabulary(self.language)
        self._word_sets = {key: {" ".join(tokenize(w)) for w in self.language.get(key, ())}
                           for key in ("findings_words", "affected_words", "other_words", "same_side_words",
                                       "both_words", "universal_words", "additive_words", "negation_words")}
        self.discourse = DiscourseReader(self.language, self._family, self._word_sets["additive_words"],
                                         self._word_sets["negation_words"],
                                         {w for w in self._word_sets["negation_words"] if len(w.split()) == 1
                                          and w in ("no", "nein", "non", "nee", "nao")})
        self.set_learned([])

    def set_learned(self, triggers: list[LearnedTrigger]) -> None:
        """Install the skill bank's triggers; they join the lexicon as phrases of their own source."""
        self.learned = [t for t in triggers if t.concept in self.ontology]
        self._learned_matrix = None
        names = [(phrase, Term(kind, concept, f"lang:{code}")) for phrase, kind, concept, code in name_terms(self.languages)
                 if concept in self.ontology]
        extra = [(t.phrase, Term("singular" if t.form == "singular" else "concept", t.concept, f"skill:{t.skill_id}"))
                 for t in self.learned]
        self.index = TermIndex.build(self.ontology, self.language, names + extra)
        sides = {t for words in self.language["side_words"].values() for w in words for t in tokenize(w)}
        standalone = {key[0] for key, term in self.index.phrases.items()
                      if len(key) == 1 and term.kind in ("concept", "singular")}
        bigrams = {pair for key, term in self.index.phrases.items() if term.kind in ("concept", "singular")
                   for pair in zip(key, key[1:])}
        suffixes = list(dict.fromkeys([*self.language["organ_suffixes"], *self.language.get("stem_suffixes", [])]))
        self.normalizer = Normalizer(self.index.known_tokens, self.index.anatomy_tokens, sides,
                                     self.language["abbreviations"], self.common_words, suffixes, standalone, bigrams,
                                     stems=self.language.get("stems", {}), elisions=set(self.language.get("elisions", [])),
                                     side_of={t: side for side, words in self.language["side_words"].items()
                                              for w in words for t in tokenize(w) if side in ("left", "right")})

    @property
    def embeddings(self):
        with self._embeddings_lock:  # a warm-up thread and a request may both ask first
            return self._load_embeddings()

    def _load_embeddings(self):
        if self._embeddings is None and self.encoder is not None:
            from .embed import ConceptEmbeddings

            phrases = []
            for concept in self.ontology.concepts.values():
                phrases.append((concept.id, concept.name))
                phrases.append((concept.id, f"{concept.name}: {concept.description}"))
                phrases.extend((concept.id, term) for term in (*concept.lexicon, *concept.singular)
                               if len(term.split()) >= 3)
            self._embeddings = ConceptEmbeddings(self.encoder, phrases, self.cache_dir)
        return self._embeddings

    def understand(self, prompt: str, evidence: Evidence) -> TargetSpec:
        """Run the readers in order (`READERS`); the first that settles the request answers it."""
        request = Request(prompt=prompt, evidence=evidence, reading=Reading())
        for name in READERS:
            spec = getattr(self, f"_read_{name}")(request)
            if spec is not None:
                return spec
        raise AssertionError("the fallback reader always answers")

    # --- readers -------------------------------------------------------------------------------------------------

    def _read_script(self, request: Request) -> TargetSpec | None:
        """A request in a script no language file covers is refused by name, never read as an empty request."""
        scripts = unsupported_scripts(request.prompt)
        if not scripts:
            return None
        text = self.normalizer.normalize(request.prompt)
        if any(t in self.index.anatomy_tokens for t in text.tokens):
            return None  # mixed: the words we can read carry the request
        names = ", ".join(language_names(self.languages))
        reading = request.reading
        reading.rationale.append(f"written in {', '.join(sorted(scripts)).title()} script, which no language file covers")
        spec = TargetSpec(status="rejected", confidence=CONFIDENCE_REFUSE_UNKNOWN,
                          message=f"I cannot read requests written in {', '.join(sorted(s.title() for s in scripts))} "
                                  f"script yet. Supported languages: {names}.")
        return finish(spec, reading, request.evidence, self.ontology)

    def _read_discourse(self, request: Request) -> TargetSpec | None:
        """Normalize, scan, give each clause its role (target, context, negated, withdrawn), then parse."""
        reading = request.reading
        text = self.normalizer.normalize(request.prompt)
        said, parsed = self._parse(text, reading)
        if not parsed.include and not parsed.bare_refs and not said.dropped \
                and not any(i.term.kind in ("concept", "singular") for i in said.items):
            # Nothing anatomical at all: a real word may be the typo ("colin"). Read once more, leniently.
            lenient = self.normalizer.normalize(request.prompt, lenient=True)
            lenient_reading = Reading()
            said2, reparsed = self._parse(lenient, lenient_reading)
            if reparsed.include:
                text, said, parsed = lenient, said2, reparsed
                reading.rationale.extend(lenient_reading.rationale)
                reading.rationale.append("no anatomy as typed; the lenient reading is the only one that names any")
                reading.adjust("lenient second reading", -PENALTY_LENIENT)
        if text.repairs:
            reading.rationale.append("read as: " + ", ".join(f"{a} -> {b}" for a, b in text.repairs))
            reading.adjust(f"{len(text.repairs)} spelling repair(s)", -PENALTY_PER_REPAIR * len(text.repairs))
        request.text, request.discourse, request.parsed, request.items = text, said, parsed, said.items
        skills = sorted({m.source.split(":", 1)[1] for m in parsed.include if m.source.startswith("skill:")})
        if skills:
            reading.skill = skills[0]
            reading.rationale.append("skill used: " + ", ".join(skills))
        if parsed.context:
            reading.rationale.append("context, not asked for: " + ", ".join(m.text for m in parsed.context))
        request.context = [ground_mention(m, self.ontology) for m in parsed.context]
        request.dropped = [ground_mention(m, self.ontology) for chunk in said.dropped
                           for m in self._mentions_of(chunk)]
        return None

    def _parse(self, text: NormalizedText, reading: Reading) -> tuple[Discourse, ParsedRequest]:
        said = self.discourse.read(self.index.scan(text.tokens), [(b, a) for a, b in text.repairs])
        reading.rationale.extend(said.rationale)
        return said, parse_items(said.items, self.ontology)

    def _mentions_of(self, chunk: list[Item]) -> list[Mention]:
        parsed = parse_items(chunk, self.ontology)
        return parsed.include + parsed.context

    def _read_relation(self, request: Request) -> TargetSpec | None:
        """"the vein behind the pancreas", "one level above L2", "the rib under the left eighth": a head, a relation
        word and a landmark, resolved against the map's centroids, extents, contacts and series order."""
        items, evidence = request.items, request.evidence
        position = next((k for k, i in enumerate(items) if i.term.kind == "locative"
                         and i.text in self.words.relations), None)
        if position is None:
            return None
        relation = self.words.relations[items[position].text]
        head_items = items[:position]
        tail = items[position + 1:]
        tail = tail[:next((k for k, i in enumerate(tail) if i.term.kind == "break"), len(tail))]
        heads = [i for i in head_items if i.term.kind in ("concept", "singular")]
        head = heads[-1] if heads else None
        landmarks = self._mentions_of(tail)
        count = 1
        for k, item in enumerate(head_items):
            number = self.words.number(item)
            if number is not None and (k + 1 == len(head_items) or head_items[k + 1].text in self.words.levels
                                       or head_items[k + 1].term.kind in ("concept", "singular")):
                count = number
        reading = request.reading
        vocabulary = set(evidence.vocabulary)
        head_series = self.ontology[str(head.term.value)] if head is not None else None
        # A landmark said by side and number alone takes the head's series ("the rib under the left eighth").
        if not landmarks and head is not None:
            sides = [str(i.term.value) for i in tail if i.term.kind == "side"] or \
                [str(i.term.value) for i in head_items if i.term.kind == "side"]
            numbers = [n for n in (self.words.number(i) for i in tail) if n is not None]
            if numbers:
                landmarks = [Mention(concept=str(head.term.value), form=head.term.kind, text=" ".join(i.text for i in tail),
                                     source="relation", sides=set(sides[:1]), numbers=numbers[:1])]
        grounded = [ground_mention(m, self.ontology) for m in landmarks]
        anchors = [g.ids[0] for g in grounded if len(g.ids) == 1 and not g.options]
        if not anchors or len(anchors) < len(grounded) or any(self.ontology[a].members for a in anchors):
            return None  # a landmark that is a group or unclear: the description reader reads it
        finding = None
        if relation == "between" and len(anchors) >= 2:
            finding = spatial.series_between(anchors[0], anchors[1], self.ontology, vocabulary)
        elif relation in ("superior", "inferior") and self.ontology[anchors[0]].series and (
                head is None or self._in_series(str(head.term.value), self.ontology[anchors[0]].series)
                or any(i.text in self.words.levels for i in head_items)):
            finding = spatial.series_step(anchors[0], relation, count, self.ontology, evidence, self.words, vocabulary)
        if finding is None:
            if evidence.present is None:
                return None
            pool = self._pool(head, head_items, evidence)
            if pool is None:
                return None
            part = next((self.words.parts[i.text] for i in tail if i.text in self.words.parts), None)
            excluded = {self._family(a) for a in anchors}
            pool = [c for c in pool if c not in anchors and (self._family(c) not in excluded or head is not None)]
            sides = {str(i.term.value) for i in head_items if i.term.kind == "side"}
            if sides & {"left", "right"}:
                side = next(iter(sides & {"left", "right"}))
                pool = [c for c in pool if self.ontology[c].laterality in (side, None)
                        and evidence.lies_on(side, evidence.present[c].centroid_ras_mm[0], -SIDE_TOLERANCE_MM) is not False]
            finding = spatial.spatial(relation, anchors, pool, evidence, self.ontology, part)
        return self._answer(request, finding, f"relation ({relation})")

    def _series_of(self, concept_id: str) -> str | None:
        found = {self.ontology[d].series for d in self.ontology.descendants(concept_id) | {concept_id}} - {None}
        return next(iter(found)) if len(found) == 1 else None

    def _in_series(self, concept_id: str, series: str) -> bool:
        concept = self.ontology[concept_id]
        return concept.series == series or any(self.ontology[d].series == series
                                               for d in self.ontology.descendants(concept_id))

    def _pool(self, head: Item | None, head_items: list[Item], evidence: Evidence) -> list[str] | None:
        """The present structures a head noun allows: a group's members ("vein"), a category ("gland"), or
        anything ("the structure"). None when the request has no head at all."""
        present = list(evidence.present or {})
        if head is not None:
            concept = str(head.term.value)
            members = self.ontology.descendants(concept) | {concept}
            return [c for c in present if c in members]
        words = [i.text for i in head_items if i.term.kind in ("head", "filler", "anaphora", "unknown")]
        category = next((self.words.categories[w] for w in reversed(words) if w in self.words.categories), None)
        if category is not None and category not in self.words.generic:
            return [c for c in present if category in self._name_words[c]]
        if any(w in self.words.generic for w in words):
            return present
        return None

    def _answer(self, request: Request, finding: spatial.Finding, reader: str) -> TargetSpec | None:
        """Turn a reader's finding into the spec, through the one decision."""
        reading, evidence = request.reading, request.evidence
        reading.rationale.extend(f"{reader}: {line}" for line in finding.why)
        if finding.question:
            spec = TargetSpec(status="clarify", candidates=finding.question, confidence=CONFIDENCE_CLARIFY,
                              message="Which one do you mean: "
                                      + " or ".join(self.ontology[c].name for c in finding.question) + "?")
            return finish(spec, reading, evidence, self.ontology)
        if not finding.ids:
            spec = TargetSpec(status="rejected", confidence=CONFIDENCE_REFUSE_UNKNOWN,
                              message=f"Nothing in this image fits: {finding.why[-1] if finding.why else reader}.")
            return finish(spec, reading, evidence, self.ontology)
        mention = Mention(concept=finding.ids[0], form="concept", text=", ".join(finding.ids), source=reader)
        reading.include = [Grounding(mention=mention, ids=list(finding.ids), explicit=finding.explicit,
                                     rule=f"{reader} -> {', '.join(finding.ids)}")]
        reading.cap(f"{reader} read from the image", finding.confidence)
        self._add_exclusions(request)
        return decide(reading, evidence, self.ontology)

    def _add_exclusions(self, request: Request) -> None:
        reading, parsed = request.reading, request.parsed
        reading.exclude = [ground_mention(m, self.ontology) for m in parsed.exclude]
        negated = request.discourse.negated if request.discourse else []
        findings = self._word_sets["findings_words"]
        stems = tuple(self.language.get("stem_suffixes", ()))
        for chunk in negated:
            # "without cholecystitis", "no fracture of the rib": a finding denied, not a structure excluded
            if any(w in findings or w.endswith(stems) for w in request.discourse.clause_words(chunk)):
                continue
            reading.exclude += [ground_mention(m, self.ontology) for m in self._mentions_of(chunk)]
        reading.exclude_refs = parsed.exclude_refs

    def _read_ordinal(self, request: Request) -> TargetSpec | None:
        """"the third rib from the bottom on the left", "the penultimate lumbar vertebra", "the topmost lumbar
        vertebra shown", "lumbar vertebrae numbered 3 or higher": order within a series, counted over what this
        image shows when asked to, or when the series' own end is not in the image."""
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
        cardinal_words = set(self.language.get("cardinals", ()))
        has_count = mention.extreme and mention.numbers and any(i.text.isdigit() or i.text in cardinal_words for i in items)
        if not (end or penultimate or threshold_word or (present_only and mention.extreme) or has_count):
            return None
        pool = [self.ontology[c] for c in self.ontology.descendants(mention.concept) | {mention.concept}
                if self.ontology[c].series and not self.ontology[c].members
                and (c in evidence.vocabulary or not evidence.vocabulary)]
        side = mention.side
        if side in ("left", "right"):
            pool = [c for c in pool if c.laterality in (side, None)]
        if not pool:
            return None
        if len({c.laterality for c in pool} - {None}) > 1 and not threshold_word:
            spec = TargetSpec(status="clarify", candidates=[], confidence=CONFIDENCE_CLARIFY,
                              message="Which side do you mean: left or right?")
            request.reading.rationale.append("ordinal: the series has a left and a right member at that position")
            return finish(spec, request.reading, evidence, self.ontology)
        numbers = [n for n in mention.numbers]
        if threshold_word:
            if not numbers:
                return None
            ids, why = spatial.pick_ordinal(pool, evidence, None, 0, (threshold_word, numbers[-1]), False)
            finding = spatial.Finding(ids=ids, why=[why], explicit=False, confidence=spatial.CONFIDENCE_SERIES)
            if not ids:
                finding.why.append("no member of the series carries such a number")
            return self._answer(request, finding, "ordinal")
        cardinals = set(self.language.get("cardinals", ()))
        counted = [i for i in items if i.term.kind in ("number", "anaphora") and (i.text.isdigit() or i.text in cardinals)]
        if mention.extreme and numbers and counted and not end and not penultimate:
            chosen = []
            for k in range(numbers[0]):
                ids, why = spatial.pick_ordinal(pool, evidence, mention.extreme, k, None, present_only)
                chosen += ids
            finding = spatial.Finding(ids=chosen, why=[f"the {numbers[0]} at the {mention.extreme} end: {', '.join(chosen)}"],
                                      explicit=False, confidence=spatial.CONFIDENCE_SERIES)
            return self._answer(request, finding, "ordinal")
        if penultimate:
            chosen_end, offset = penultimate, 1
        elif end:
            chosen_end, offset = end, (numbers[0] - 1 if numbers else 0)
        else:
            chosen_end, offset = mention.extreme, (numbers[0] - 1 if numbers else 0)
        ids, why = spatial.pick_ordinal(pool, evidence, chosen_end, offset, None, present_only)
        return self._answer(request, spatial.Finding(ids=ids, why=[why], confidence=spatial.CONFIDENCE_SERIES), "ordinal")

    def _read_reference(self, request: Request) -> TargetSpec | None:
        """"the affected organ", "that gland", "the other one", "the ipsilateral adrenal", "both": resolve to an
        antecedent said before (a finding's site first), never to a negated or withdrawn one unless it is the only
        noun there is ("not the left kidney, the other one")."""
        items, parsed = request.items, request.parsed
        texts = [i.text for i in items]
        sets = self._word_sets
        other = any(t in sets["other_words"] for t in texts)
        same = any(t in sets["same_side_words"] for t in texts)
        affected = any(t in sets["affected_words"] for t in texts)
        both = any(t in sets["both_words"] for t in texts) and not parsed.include
        if not (other or same or affected or both):
            return None
        antecedents = self._antecedents(request)
        if not antecedents:
            return None
        reading = request.reading
        lateral = [g for g in antecedents if len(g.ids) == 1 and self.ontology[g.ids[0]].laterality]
        if parsed.include:
            # "the ipsilateral adrenal", "the contralateral kidney", "the affected kidney": a bare paired noun
            # takes its side from the antecedent.
            changed = False
            for mention in parsed.include:
                if mention.form != "singular" or mention.sides or not lateral:
                    continue
                scope = _scope(self.ontology, {mention.concept})
                if not other and any(set(g.ids) <= scope for g in antecedents if g.ids):
                    continue  # "Left 11th rib fracture. Segment the fractured rib.": the lexicon refers back
                side = self.ontology[lateral[-1].ids[0]].laterality
                if other:
                    side = "left" if side == "right" else "right"
                elif not (same or affected):
                    continue
                mention.sides.add(side)
                source = self.ontology[lateral[-1].ids[0]]
                if source.series and not mention.numbers and source.series == self._series_of(mention.concept):
                    members = spatial.series_members(self.ontology, source.series, source.laterality)
                    mention.numbers = [[c.id for c in members].index(source.id) + 1]
                reading.rationale.append(f'reference: "{mention.text}" takes side {side} from '
                                         f'"{lateral[-1].mention.text}"')
                changed = True
            if changed:
                reading.cap("side taken from an antecedent", CONFIDENCE_REFERENCE)
            return None
        if parsed.bare_refs and not both:
            return None
        category = next((self.words.categories[t] for t in texts if t in self.words.categories), None)
        pool = [g for g in antecedents if category is None or category in self.words.generic
                or any(category in self._name_words[c] for c in g.ids)]
        if not pool:
            return None
        referent = pool[-1]
        ids = list(referent.ids)
        if other or both:
            target = [c for c in ids if self.ontology[c].pair]
            if not target:
                return None
            pairs = [self.ontology[c].pair for c in target]
            ids = pairs if other else list(dict.fromkeys(target + pairs))
        reading.rationale.append(f'reference: -> "{referent.mention.text}"'
                                 + (" (its pair)" if other else " and its pair" if both else ""))
        reading.cap("target found by reference to an antecedent", CONFIDENCE_REFERENCE)
        mention = Mention(concept=ids[0], form="concept", text=referent.mention.text, source="reference")
        request.include = [Grounding(mention=mention, ids=ids, explicit=len(ids) == 1, rule=f"reference -> {ids}")]
        return None

    def _antecedents(self, request: Request) -> list[Grounding]:
        """Earlier mentions a reference may point to, the likeliest last: context first, the sites of findings
        over plain mentions, and negated or withdrawn mentions only when nothing else is there."""
        findings = self._finding_sites(request)
        context = [g for g in request.context if g.ids and not g.options]
        plain = [g for g in context if g.mention.text not in findings]
        with_finding = [g for g in context if g.mention.text in findings]
        if context:
            return plain + with_finding
        return [g for g in request.dropped if g.ids and not g.options]

    def _finding_sites(self, request: Request) -> set[str]:
        """Mention texts said in the same clause as a findings word ("left renal mass")."""
        sites: set[str] = set()
        clause: list[Item] = []
        findings = self._word_sets["findings_words"]
        stems = tuple(self.language.get("stem_suffixes", ()))
        typed = {b for a, b in request.text.repairs if a.endswith(stems)} if request.text else set()
        for item in [*request.items, Item(0, 0, Term("break", "."), ".")]:
            if item.term.kind == "break":
                if any(i.text in findings for i in clause) or any(i.text in typed for i in clause):
                    sites |= {i.text for i in clause if i.term.kind in ("concept", "singular")}
                clause = []
            else:
                clause.append(item)
        return sites

    def _read_lexicon(self, request: Request) -> TargetSpec | None:
        """The lexicon's reading: named structures with their sides, numbers, ranges and exclusions."""
        parsed, reading, evidence = request.parsed, request.reading, request.evidence
        if request.include is not None:
            reading.include = request.include
            self._add_exclusions(request)
            return decide(reading, evidence, self.ontology)
        if not parsed.include and not parsed.bare_refs and request.discourse.dropped:
            names = ", ".join(g.mention.text for g in request.dropped) or "the structures named"
            reading.rationale.append("every structure named was negated or withdrawn: nothing to segment")
            spec = TargetSpec(status="rejected", confidence=CONFIDENCE_NOTHING_LEFT,
                              message=f"Nothing to segment: the request only says what not to segment ({names}). "
                                      "Name the structure you want.")
            return finish(spec, reading, evidence, self.ontology)
        if self._is_description(request.text.tokens):
            return None  # the description reader goes first; the lexicon reads it after, if it declines
        return self._lexicon_answer(request)

    def _lexicon_answer(self, request: Request) -> TargetSpec | None:
        parsed, reading, evidence = request.parsed, request.reading, request.evidence
        include = [ground_mention(m, self.ontology) for m in parsed.include]
        include += self._resolve_bare(parsed.bare_refs, request.context + request.dropped, reading) if not include else []
        if not include:
            return None
        reading.include = self._resolve_references(include, request.context, reading)
        self._add_exclusions(request)
        worst = max((g.penalty for g in reading.include), default=0.0)
        reading.adjust("the words disagree or a side does not apply", -worst)
        spec = decide(reading, evidence, self.ontology)
        if spec.status == "clarify" and parsed.unknown and self._off_topic(request.text.tokens, reading):
            return refuse_unrecognised(reading, evidence, self.ontology, request.prompt)
        return spec

    def _read_description(self, request: Request) -> TargetSpec | None:
        tokens = request.text.tokens
        if not self._is_description(tokens):
            return None
        self._ambiguous = []
        described = self._describe(tokens, request.reading, request.evidence, request.context)
        if described is None and self._ambiguous:
            finding = spatial.Finding(question=self._ambiguous, why=["the description fits these about equally"])
            return self._answer(request, finding, "description")
        if described is not None:
            request.parsed.include, request.parsed.exclude = [described], []
        return self._lexicon_answer(request)

    def _read_skill(self, request: Request) -> TargetSpec | None:
        parsed = request.parsed
        if parsed.include or parsed.bare_refs:
            return None
        parsed.include = self._learned_by_similarity(request.text.tokens, request.reading)
        if not parsed.include:
            return None
        request.reading.skill = parsed.include[0].source.split(":", 1)[1]
        return self._lexicon_answer(request)

    def _read_fallback(self, request: Request) -> TargetSpec:
        return self._fallback(request.prompt, request.text.tokens, request.reading, request.evidence)

    def _off_topic(self, tokens: list[str], reading: Reading) -> bool:
        """"rib eye steak recipe": an anatomy word inside text that, as a whole, is about something else. Asking
        back which rib would be absurd, so such a request is refused."""
        if self.embeddings is None:
            return False
        (best, score), = self.embeddings.rank(" ".join(tokens), top=1)
        if score < OFF_TOPIC_SIMILARITY:
            reading.rationale.append(f"the request as a whole is not about anatomy (nearest {best} {score:.2f})")
            return True
        return False

    def _resolve_references(self, include: list[Grounding], context: list[Grounding],
                            reading: Reading) -> list[Grounding]:
        """Drop a vaguer mention when a more specific one names part of it.

        "the right lower lobe of the lung": the lobe, not both lungs. "Left 11th rib fracture. Segment the
        fractured rib.": the bare "rib" refers back to the rib named before.
        """
        # "upper lobe, left lung": a bare noun whose alternatives fall inside another mention takes that one,
        # and the container is then only the place it was said to be.
        containers: set[int] = set()
        for g in include:
            for h in include:
                if g.options and h is not g and h.ids and not h.options:
                    inside = [o for o in g.options if o in _scope(self.ontology, h.ids)]
                    if len(inside) == 1:
                        reading.rationale.append(f'"{g.mention.text}" in "{h.mention.text}" -> {inside[0]}')
                        g.ids, g.options = inside, []
                        containers.add(id(h))
        include = [g for g in include if id(g) not in containers]
        kept: list[Grounding] = []
        for g in include:
            vague = bool(g.options) or any(self.ontology[c].members for c in g.ids)
            if not vague:
                kept.append(g)
                continue
            scope = _scope(self.ontology, {g.mention.concept, *g.ids, *g.options})
            inside = [h for h in include if h is not g and h.ids and not h.options and set(h.ids) <= scope
                      and set(h.ids) != set(g.ids)]
            earlier = [h for h in context if h.ids and not h.options and set(h.ids) <= scope] if g.options else []
            if inside:
                reading.rationale.append(f'"{g.mention.text}" is the whole of which "{inside[0].mention.text}" '
                                         "is the part asked for")
            elif earlier:
                referent = earlier[-1]
                reading.rationale.append(f'"{g.mention.text}" refers back to "{referent.mention.text}"')
                kept.append(referent)
            else:
                kept.append(g)
        return kept

    def _learned_by_similarity(self, tokens: list[str], reading: Reading) -> list[Mention]:
        """Skill retrieval by meaning: a request close to a learned trigger phrase uses that skill."""
        if not self.learned or self.encoder is None:
            return []
        if self._learned_matrix is None:
            self._learned_matrix = self.encoder.encode([t.phrase for t in self.learned])
        scores = self._learned_matrix @ self.encoder.encode([" ".join(tokens)])[0]
        best = int(scores.argmax())
        if scores[best] < SKILL_SIMILARITY:
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

    def side_of(self, token: str) -> str | None:
        return self._side_of.get(token)

    def family(self, concept_id: str) -> str:
        return self._family(concept_id)

    def core_phrase(self, tokens: list[str]) -> str:
        """The request without its leading and trailing function words: "pls do niere links" -> "niere links"."""
        words = [t for t in tokens if t.isalnum() or "'" in t]
        while words and words[0] in self._function_words and self.side_of(words[0]) is None:
            words.pop(0)
        while words and words[-1] in self._function_words and self.side_of(words[-1]) is None:
            words.pop()
        return " ".join(words)

    def _resolve_bare(self, references, context: list[Grounding], reading: Reading) -> list[Grounding]:
        """"Right 8th rib fracture. Segment R8.": a side and number alone name the structure said before."""
        found: list[Grounding] = []
        for reference in references:
            for g in reversed(context):
                concept = self.ontology[g.ids[0]] if len(g.ids) == 1 else None
                if concept is not None and reference.side in ("left", "right") and concept.pair \
                        and concept.laterality not in (None, reference.side) and not reference.numbers:
                    # "not the left kidney, the right one": the side names the pair of the noun said before
                    pair = ground_mention(Mention(concept=concept.pair, form="concept", text=g.mention.text,
                                                  source="reference"), self.ontology)
                    reading.rationale.append(f'"{reference.side}" names the pair of "{g.mention.text}"')
                    found.append(pair)
                    break
                if concept is None or (reference.side and concept.laterality != reference.side) \
                        or (reference.numbers and not (concept.series and concept.order in reference.numbers)):
                    continue
                reading.rationale.append(f'"{reference.side or ""} {reference.numbers or ""}" refers back to '
                                         f'"{g.mention.text}"')
                found.append(g)
                break
        return found

    def _is_description(self, tokens: list[str]) -> bool:
        for position, token in enumerate(tokens):
            if token in self._heads and any(t in self._links for t in tokens[position + 1:position + 1 + DESCRIPTION_WINDOW]):
                return True
        return False

    def _family(self, concept_id: str) -> str:
        """A lateral structure and its pair are one answer to "what is described"; the side is read from words."""
        concept = self.ontology[concept_id]
        if concept.pair:
            for group in concept.groups:
                if concept.pair in self.ontology[group].members:
                    return group
        return concept_id

    def _describe(self, tokens: list[str], reading: Reading, evidence: Evidence,
                  landmarks: list[Grounding]) -> Mention | None:
        """Read a description by meaning. Two checks keep the encoder honest: a landmark the description is
        placed against is not its answer ("the cap on top of the left kidney" is not the kidney), and a side in
        the words must agree with where the candidate lies in this image."""
        if self.embeddings is None:
            return None
        sides = {self._side_of[t] for t in tokens if t in self._side_of}
        ruled_out = {self._family(c) for g in landmarks for c in (*g.ids, *g.options, g.mention.concept)}
        ranked = [(c, s) for c, s in self.embeddings.rank(" ".join(tokens), top=12)
                  if self._family(c) not in ruled_out and self._on_side(c, sides, evidence)]
        if len(ranked) < 2:
            return None
        best, score = ranked[0]
        family = self._family(best)
        runner_up, runner_score = next(((c, s) for c, s in ranked[1:] if self._family(c) != family), ("-", 0.0))
        reading.rationale.append(f"description: nearest {family} {score:.2f} (next {runner_up} {runner_score:.2f})"
                                 + (f"; landmarks ruled out: {sorted(ruled_out)}" if ruled_out else ""))
        if score < DESCRIPTION_ACCEPT or score - runner_score < DESCRIPTION_MARGIN:
            return None
        if runner_up in self.ontology and best in self.ontology.descendants(runner_up) \
                and score - runner_score < DESCRIPTION_GROUP_MARGIN and evidence.present is not None:
            # "the big blood vessel in the belly": it fits the whole group about as well as its best member, so
            # it does not single out one member
            members = [c for c, _ in ranked if c in self.ontology.descendants(runner_up) and c in evidence.present
                       and not self.ontology[c].members]
            if len(members) > 1:
                reading.rationale.append(f"description fits the group {runner_up} about as well as {best}: "
                                         f"{', '.join(members[:CLARIFY_TOP])} all fit")
                self._ambiguous = members[:CLARIFY_TOP]
                return None
        reading.cap("read as a description by the encoder", DESCRIPTION_CONFIDENCE)
        # The encoder is weak on left and right; the side words are not.
        if family == best:
            return Mention(concept=best, form="concept", text=" ".join(tokens), source="description",
                           sides=sides if self.ontology[best].members else set())
        return Mention(concept=family, form="singular", text=" ".join(tokens), source="description", sides=sides)

    def _on_side(self, concept_id: str, sides: set[str], evidence: Evidence) -> bool:
        """An unpaired structure said to be on one side must lie on that side of the midline in this image."""
        side = next(iter(sides)) if len(sides) == 1 else None
        concept = self.ontology[concept_id]
        if side not in ("left", "right") or concept.laterality or concept.pair or evidence.present is None \
                or concept_id not in evidence.present:
            return True
        return evidence.lies_on(side, evidence.present[concept_id].centroid_ras_mm[0], -SIDE_TOLERANCE_MM) is not False

    def _fallback(self, prompt: str, tokens: list[str], reading: Reading, evidence: Evidence) -> TargetSpec:
        """No term matched: ask the sentence encoder, but let it decide alone only when it is clearly right."""
        content = [t for t in tokens if t.isalpha() and t not in self._function_words]
        if self.embeddings is None or not content:
            reading.rationale.append("no anatomical term recognised")
            return refuse_unrecognised(reading, evidence, self.ontology, prompt)
        ranked = self.embeddings.rank(" ".join(tokens), top=CLARIFY_TOP + 1)
        (best, score), runner_up = ranked[0], ranked[1][1]
        shared = sorted(set(content) & self._concept_words[best])
        reading.rationale.append(f"embedding: nearest {', '.join(f'{c} {s:.2f}' for c, s in ranked[:CLARIFY_TOP])}"
                                 + (f"; shared words {shared}" if shared else "; no shared words"))
        clear = score >= EMBED_ACCEPT and score - runner_up >= EMBED_MARGIN
        if clear and (shared or (score >= EMBED_STRONG and score - runner_up >= EMBED_STRONG_MARGIN)):
            mention = Mention(concept=best, form="concept", text=" ".join(content), source="embedding")
            reading.include = [ground_mention(mention, self.ontology)]
            reading.cap("nearest concept by the encoder alone", min(EMBED_CONFIDENCE_CAP, score + 0.2))
            return decide(reading, evidence, self.ontology)
        if score >= EMBED_CLARIFY and shared:
            candidates = [c for c, _ in ranked[:CLARIFY_TOP]]
            names = " or ".join(self.ontology[c].name for c in candidates)
            spec = TargetSpec(status="clarify", candidates=candidates, confidence=CONFIDENCE_CLARIFY * score,
                              message=f"I am not sure what you mean. Did you mean {names}?")
            return finish(spec, reading, evidence, self.ontology)
        return refuse_unrecognised(reading, evidence, self.ontology, prompt)
