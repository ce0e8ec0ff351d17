"""The grounded reasoning chain, composed: normalize -> parse -> ground -> (evidence) -> decide.

`ReasoningEngine.understand(prompt, evidence)` is the one entry point; the infer task, the CLI and the
benchmark all call it. It knows nothing of MONAI Label or of any backbone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..ontology import load_language, load_ontology
from ..records import Evidence, TargetSpec
from .decide import (CONFIDENCE_CLARIFY, CONFIDENCE_REFUSE_UNKNOWN, CONFIDENCE_REFUSE_UNSURE, PENALTY_PER_REPAIR, Reading, decide, finish,
                     refuse_unrecognised)
from .discourse import Discourse, DiscourseReader, _clause_start
from .ground import Grounding, ground_mention
from .languages import language_names, load_languages, merge_language, name_terms, unsupported_scripts
from .normalize import NormalizedText, Normalizer, tokenize
from .parse import Item, Mention, ParsedRequest, Term, TermIndex, parse_items
from . import readers as spatial

MENTION = ("concept", "singular")

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
# A description naming a kind ("vessel", "gland") must lead the best other present structure of that kind by this.
DESCRIPTION_CATEGORY_MARGIN = 0.08
SIDE_TOLERANCE_MM = 20.0  # how far past the midline a structure may reach and still be "on the other side"
PENALTY_LENIENT = 0.15
# A relation that leaves a few candidates: the request's words pick one when they fit it this well and this
# clearly better than the next.
RELATION_DESCRIPTION_ACCEPT = 0.6
RELATION_DESCRIPTION_MARGIN = 0.15
RELATION_WORDS_DISAGREE = 0.1  # the words fit another candidate this much better: ask
CONFIDENCE_UNNAMED = 0.8  # the thing a relation places is a word we do not know
# Below this similarity to every concept, a request that would be answered with a question is off topic.
OFF_TOPIC_SIMILARITY = 0.5
# A request at least this similar to a learned trigger phrase uses that skill when no term matched.
SKILL_SIMILARITY = 0.8
# Confidence of readings that rest on something weaker than an exact lexicon hit.
POSSESSION_WINDOW = 3  # "with the large cyst": how far after "with" the finding word may come
CONFIDENCE_REFERENCE = 0.88  # an antecedent found from context ("the affected organ")
CONFIDENCE_UNSURE = 0.85  # every word was read, but some that change the meaning were not used
CONFIDENCE_NOTHING_LEFT = 0.95  # every mention was negated or withdrawn
# The readers, in order. Each may settle the request (return a spec) or leave it to the next.
READERS = ("script", "discourse", "comparative", "relation", "ordinal", "reference", "lexicon", "description", "skill", "fallback")


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
        self._categories = self._load_categories()
        self.common_stop = {"is", "are", "was", "be", "lies", "lie", "sits", "sit", "located", "found", "seen"}
        self._word_sets = {key: {" ".join(tokenize(w)) for w in self.language.get(key, ())}
                           for key in ("findings_words", "normal_words", "affected_words", "other_words", "same_side_words",
                                       "both_words", "universal_words", "additive_words", "negation_words",
                                       "possession_words")}
        self.discourse = DiscourseReader(self.language, self._noun_of, self._word_sets["additive_words"],
                                         self._word_sets["negation_words"],
                                         {w for w in self._word_sets["negation_words"] if len(w.split()) == 1
                                          and w in ("no", "nein", "non", "nee", "nao")})
        self.set_learned([])

    def _load_categories(self) -> dict[str, set[str]]:
        """Kinds of structure ("gland", "solid organ") -> concept ids: the `categories` table of the concepts file,
        plus every concept whose name, or whose group's name, carries the category word."""
        import json

        from ..ontology import CONCEPTS_FILE

        with open(CONCEPTS_FILE, encoding="utf-8") as f:
            table = json.load(f).get("categories", {})
        out = {key: {c for c in ids if c in self.ontology} for key, ids in table.items() if not key.startswith("_")}
        for category in set(self.words.categories.values()):
            out.setdefault(category, set()).update(c for c, words in self._name_words.items() if category in words)
        return out

    def in_category(self, concept_id: str, category: str) -> bool:
        return concept_id in self._categories.get(category, ())

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

    def _read_comparative(self, request: Request) -> TargetSpec | None:
        """"the higher of the two kidneys", "the lower adrenal", "the second largest solid organ", "the adrenal
        closer to the liver", "the kidney whose upper pole reaches higher": one structure of a set, picked by a
        measure read from the map (centroid or extent along an axis, volume, distance to a landmark). A margin
        too small to tell them apart makes it a question (`readers.COMPARE_*`)."""
        items, evidence = request.items, request.evidence
        if evidence.present is None:
            return None
        words = self.words
        hits = [k for k, item in enumerate(items) if item.text in words.comparatives and self._compares(items, k)]
        if not hits:
            return None
        used: set[int] = set()
        findings: list[spatial.Finding] = []
        for k in hits:
            measure = words.comparatives[items[k].text]
            start = _clause_start(items, k)
            end = next((j for j in range(k, len(items)) if items[j].term.kind == "break"), len(items))
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
            mentions = [j for j in range(start, end) if items[j].term.kind in MENTION and j not in used]
            following = [j for j in mentions if k < j <= k + 5]
            preceding = [j for j in mentions if j < k]
            head = following[0] if following else (preceding[-1] if preceding else None)
            if head is not None:
                used.add(head)
                concept = str(items[head].term.value)
                pool = sorted(c for c in self.ontology.descendants(concept) | {concept}
                              if not self.ontology[c].members or c in evidence.present)
                sides = {str(items[j].term.value) for j in range(max(start, min(k, head) - 2), max(k, head) + 1)
                         if items[j].term.kind == "side"} & {"left", "right"}
                if len(sides) == 1:
                    pool = [c for c in pool if self.ontology[c].laterality in (*sides, None)]
            else:
                category = self._category_after(items, k, end)
                if category is None:
                    return None
                pool = sorted(c for c in evidence.present if self.in_category(c, category))
            pool = [c for c in pool if c in evidence.present]
            if all(self.ontology[c].series for c in pool):
                return None  # order within a series is the ordinal reader's
            previous = items[k - 1] if k > 0 else None
            rank, count = 1, 1
            if previous is not None and (number := words.number(previous)) is not None:
                if previous.text.isdigit() or previous.text in words.cardinals:
                    count = number
                else:
                    rank = number
            reach = any(items[j].text in words.reach for j in range(start, k))
            part = next((words.parts[items[j].text] for j in range(start, end) if items[j].text in words.parts), None)
            finding = spatial.compare(pool, measure, rank, count, evidence, reach, part, landmark)
            if not finding.ids and not finding.question:
                return None
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
        following = items[k + 1:k + 3]
        if not following:
            return False
        first = following[0]
        if first.term.kind == "concept" and self.ontology[str(first.term.value)].members:
            return False  # "the lower back muscles": a group named in the plural is asked for whole
        if first.term.kind in MENTION or first.text in ("one", "ones", "of") or first.text in words.categories:
            return True
        return len(following) > 1 and first.term.kind == "unknown" and (
            f"{first.text} {following[1].text}" in words.categories or following[1].text in words.categories)

    def _category_after(self, items: list[Item], k: int, end: int) -> str | None:
        for j in range(k + 1, end):
            pair = f"{items[j].text} {items[j + 1].text}" if j + 1 < end else None
            if pair in self.words.categories:
                return self.words.categories[pair]
            if items[j].text in self.words.categories:
                return self.words.categories[items[j].text]
        return None

    def _read_relation(self, request: Request) -> TargetSpec | None:
        """"the vein behind the pancreas", "one level above L2", "the rib under the left eighth": a head, a relation
        word and a landmark, resolved against the map's centroids, extents, contacts and series order. Also: the
        landmark said before the relation ("the organ the gallbladder is attached to": the relation is turned
        round), "on the spleen's side", a landmark that is a group ("next to the spine": the union of its parts),
        and a landmark said by a pronoun or a finding ("the vertebra above the fracture": the finding's site)."""
        items, evidence = request.items, request.evidence
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
        heads = [i for i in head_items if i.term.kind in MENTION]
        head = heads[-1] if heads else None
        landmarks = self._mentions_of(tail)
        also: list[Grounding] = []  # "the broken vertebra and the one below": the landmark is asked for too
        reading = request.reading
        tail_words = {i.text for i in tail}
        pronoun = bool(tail_words & set(self.words.pronouns))
        finding_word = bool(tail_words & self._word_sets["findings_words"])
        if not landmarks and not any(self.words.number(i) is not None for i in tail):
            generic = [k for k, i in enumerate(head_items) if i.term.kind == "head" or i.text in self.words.generic
                       or i.text in self.words.categories]
            mention_at = [k for k, i in enumerate(head_items) if i.term.kind in MENTION]
            earlier = [ground_mention(m, self.ontology) for m in self._mentions_of(head_items[:mention_at[-1]])] \
                if mention_at else []
            if mention_at and generic and generic[-1] > mention_at[-1] and (pronoun or not tail_words):
                # "the lobe and the organ right below it", "the broken vertebra and the one below"
                landmarks = self._mentions_of([head_items[mention_at[-1]]])
                joined = any(i.term.kind == "conjunction" for i in head_items[mention_at[-1]:generic[-1]])
                head_items, head = head_items[mention_at[-1] + 1:], None
                if joined:
                    also = self._resolve_references([ground_mention(m, self.ontology) for m in landmarks],
                                                    request.context + earlier, reading)
            elif pronoun and len(mention_at) >= 2:
                # "T12 wedge fracture; segment the vertebra below it": "it" is the mention before the head
                landmarks = self._mentions_of([head_items[mention_at[-2]]])
                reading.rationale.append(f'relation: "it" is "{head_items[mention_at[-2]].text}"')
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
        count = 1
        for k, item in enumerate(head_items):
            number = self.words.number(item)
            if number is not None and (k + 1 == len(head_items) or head_items[k + 1].text in self.words.levels
                                       or head_items[k + 1].term.kind in MENTION):
                count = number
        vocabulary = set(evidence.vocabulary)
        head_sides = [str(i.term.value) for i in head_items if i.term.kind == "side"]
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
                finding = spatial.compare(pool, {"measure": "xyz"[axis], "sign": sign}, 1, 1, evidence, False)
                return self._answer(request, finding, f"relation ({relation}, against the other)")
        grounded = [ground_mention(m, self.ontology) for m in landmarks]
        if any(g.options for g in grounded):
            before = [ground_mention(m, self.ontology) for m in self._mentions_of(items[:start])]
            grounded = self._resolve_references(grounded, request.context + before + request.dropped, reading)
        anchors = [g.ids[0] for g in grounded if len(g.ids) == 1 and not g.options]
        if not anchors or len(anchors) < len(grounded):
            return None  # an unclear landmark: the description reader reads it
        groups = {a: [c for c in self.ontology.leaves(a, vocabulary) if evidence.present and c in evidence.present]
                  for a in anchors if self.ontology[a].members and a not in (evidence.present or {})}
        finding = None
        unnamed = False
        if relation == "between" and len(anchors) >= 2 and not groups:
            finding = spatial.series_between(anchors[0], anchors[1], self.ontology, vocabulary)
        elif relation in ("superior", "inferior") and not groups and self.ontology[anchors[0]].series and (
                head is None or self._in_series(str(head.term.value), self.ontology[anchors[0]].series)
                or any(i.text in self.words.levels for i in head_items)):
            finding = spatial.series_step(anchors[0], relation, count, self.ontology, evidence, self.words, vocabulary)
        if finding is None:
            if evidence.present is None:
                return None
            refused = {self.words.categories[items[k + 1].text] for k in range(len(items) - 1)
                       if items[k].term.kind == "exclusion" and items[k + 1].text in self.words.categories}
            if head is not None and head.term.kind == "concept" and not also:
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
            pool = [c for c in pool if c not in anchors and c not in parts_of
                    and (self._family(c) not in excluded or head is not None)]
            sides = set(head_sides)
            if sides & {"left", "right"}:
                side = next(iter(sides & {"left", "right"}))
                pool = [c for c in pool if self.ontology[c].laterality in (side, None)
                        and evidence.lies_on(side, evidence.present[c].centroid_ras_mm[0], -SIDE_TOLERANCE_MM) is not False]
            finding = spatial.spatial(relation, anchors, pool, evidence, self.ontology, part, groups)
        if unnamed and not finding.ids and self.embeddings is not None:
            ranked = self.embeddings.rank(" ".join(request.text.tokens), allowed=set(finding.question), top=2) \
                if finding.question else []
            if not (len(ranked) == 2 and ranked[0][1] >= RELATION_DESCRIPTION_ACCEPT
                    and ranked[0][1] - ranked[1][1] >= RELATION_DESCRIPTION_MARGIN):
                return None  # "the little cap on top of the left kidney": the description reader reads it
        if unnamed:
            reading.cap("the thing placed by the relation is not a known word", CONFIDENCE_UNNAMED)
        said_after = [i for i in tail[1:] if i.term.kind == "unknown" and i.text.isalpha()] if landmarks else []
        # "the big organ above the right kidney": words we cannot read said of the head must fit the answer too
        said_after += [i for i in head_items if i.term.kind == "unknown" and i.text.isalpha()
                       and i.text not in self.common_stop]
        if said_after and finding.ids and len(finding.ranked) > 1 and self.embeddings is not None:
            # "the organ medial to the spleen that holds food": what is said after the landmark must fit too
            ranked = self.embeddings.rank(" ".join(request.text.tokens), allowed=set(finding.ranked), top=None)
            mine = next((score for c, score in ranked if c == finding.ids[0]), 0.0)
            if ranked and ranked[0][0] != finding.ids[0] and ranked[0][1] - mine >= RELATION_WORDS_DISAGREE:
                finding.why.append(f"the words fit {ranked[0][0]} ({ranked[0][1]:.2f}) better than {finding.ids[0]}")
                finding.question = list(dict.fromkeys([finding.ids[0], ranked[0][0]]))
                finding.ids = []
        described = [i for i in items[start:] if i.term.kind == "unknown" and i.text.isalpha()
                     and i.text not in self.common_stop]
        if finding.question and described and self.embeddings is not None:
            # The relation narrowed it down; the words of the request may tell the rest apart
            # ("the small pouch under the liver that stores bile": gallbladder, not duodenum).
            ranked = self.embeddings.rank(" ".join(request.text.tokens), allowed=set(finding.question), top=2)
            if len(ranked) == 2 and ranked[0][1] >= RELATION_DESCRIPTION_ACCEPT \
                    and ranked[0][1] - ranked[1][1] >= RELATION_DESCRIPTION_MARGIN:
                finding.why.append(f"of these, the words fit {ranked[0][0]} best ({ranked[0][1]:.2f} vs "
                                   f"{ranked[1][0]} {ranked[1][1]:.2f})")
                finding.ids, finding.question = [ranked[0][0]], []
                finding.confidence = min(finding.confidence, DESCRIPTION_CONFIDENCE)
        plural = any(i.text in self.words.plural_heads for i in head_items)
        if plural and finding.question and len(finding.question) >= 2:
            first, second = finding.question[:2]
            if self.ontology[first].pair == second:
                # "the muscles behind the spine", "the little glands on top of the kidneys": a plural head asks
                # for both members of the pair that fit equally
                finding.why.append(f"a plural noun: both {first} and {second}")
                finding.ids, finding.question, finding.explicit = [first, second], [], False
        if also and finding.ids:
            finding.ids = list(dict.fromkeys([c for g in also for c in g.ids] + finding.ids))
            finding.explicit = False
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
            # a singular noun names one structure: "the vertebra behind the aorta" is never the whole spine
            return [c for c in present if c in members and not (head.term.kind == "singular"
                                                                 and self.ontology[c].members)]
        words = [i.text for i in head_items if i.term.kind in ("head", "filler", "anaphora", "unknown")]
        category = next((self.words.categories[w] for w in reversed(words) if w in self.words.categories), None)
        if category is not None and category not in self.words.generic:
            return [c for c in present if self.in_category(c, category)]
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
            spec = TargetSpec(status="rejected", confidence=CONFIDENCE_REFUSE_UNSURE,
                              message=f"Nothing in this image fits: {finding.why[-1] if finding.why else reader}.")
            return finish(spec, reading, evidence, self.ontology)
        mention = Mention(concept=finding.ids[0], form="concept", text=", ".join(finding.ids), source=reader)
        reading.include = [Grounding(mention=mention, ids=list(finding.ids), explicit=finding.explicit,
                                     rule=f"{reader} -> {', '.join(finding.ids)}")]
        reading.cap(f"{reader} read from the image", finding.confidence)
        self._add_exclusions(request)
        spec = decide(reading, evidence, self.ontology)
        if spec.status == "rejected":
            spec.confidence = min(spec.confidence, CONFIDENCE_REFUSE_UNSURE)  # reasoned our way to a refusal
        return spec

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
        named = self.ontology[mention.concept]
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
        if present_only and mention.numbers and not (mention.extreme or end or penultimate or threshold_word):
            # "the third left rib present in this image", "the first 2 ribs ... that are in the image": counted
            # from the top over what this image shows
            mention.extreme = "first"
            if len(mention.numbers) == 2 and mention.numbers[0] == 1:
                mention.numbers = mention.numbers[1:]
            else:
                end = "first"
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
        def pick(pool: list) -> spatial.Finding | None:
            """The members of `pool` the order words name."""
            numbers = [n for n in mention.numbers]
            if threshold_word:
                if not numbers:
                    return None
                ids, why = spatial.pick_ordinal(pool, evidence, None, 0, (threshold_word, numbers[-1]), False)
                finding = spatial.Finding(ids=ids, why=[why], explicit=False, confidence=spatial.CONFIDENCE_SERIES)
                if not ids:
                    finding.why.append("no member of the series carries such a number")
                return finding
            cardinals = set(self.language.get("cardinals", ()))
            counted = [i for i in items if i.term.kind in ("number", "anaphora")
                       and (i.text.isdigit() or i.text in cardinals)]
            if mention.extreme and numbers and counted and not end and not penultimate:
                chosen = []
                for k in range(numbers[0]):
                    ids, why = spatial.pick_ordinal(pool, evidence, mention.extreme, k, None, present_only)
                    chosen += ids
                return spatial.Finding(ids=chosen, why=[f"the {numbers[0]} at the {mention.extreme} end: "
                                                        f"{', '.join(chosen)}"],
                                       explicit=False, confidence=spatial.CONFIDENCE_SERIES)
            if penultimate:
                chosen_end, offset = penultimate, 1
            elif end:
                chosen_end, offset = end, (numbers[0] - 1 if numbers else 0)
            else:
                chosen_end, offset = mention.extreme, (numbers[0] - 1 if numbers else 0)
            ids, why = spatial.pick_ordinal(pool, evidence, chosen_end, offset, None, present_only)
            return spatial.Finding(ids=ids, why=[why], confidence=spatial.CONFIDENCE_SERIES)

        lateralities = sorted({c.laterality for c in pool} - {None})
        if len(lateralities) > 1 and not threshold_word:
            # Counted within each side: "the last two ribs on each side" takes both, otherwise ask which side,
            # offering each side's answer.
            per_side = [pick([c for c in pool if c.laterality in (lat, None)]) for lat in lateralities]
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
                spec = TargetSpec(status="clarify", candidates=[a[0] for a in answers], confidence=CONFIDENCE_CLARIFY,
                                  message="Which side do you mean: "
                                          + " or ".join(self.ontology[a[0]].name for a in answers) + "?")
            else:
                spec = TargetSpec(status="rejected", confidence=CONFIDENCE_CLARIFY,
                                  message="Which side do you mean: left or right? Say the side in the request.")
            return finish(spec, request.reading, evidence, self.ontology)
        finding = pick(pool)
        if finding is None:
            return None
        return self._answer(request, finding, "ordinal")

    def _names_by_finding(self, texts: list[str]) -> bool:
        """"the kidney with the cyst", "the organ containing the stones": a structure picked out by the finding
        said of it, which makes it a reference to that finding's site."""
        stems = tuple(self.language.get("stem_suffixes", ()))
        for k, text in enumerate(texts):
            if text in self._word_sets["possession_words"]:
                following = texts[k + 1:k + 1 + POSSESSION_WINDOW]
                if any(w in self._word_sets["findings_words"] or (w.isalpha() and w.endswith(stems))
                       for w in following):
                    return True
        return False

    def _read_reference(self, request: Request) -> TargetSpec | None:
        """"the affected organ", "that gland", "the other one", "the ipsilateral adrenal", "both": resolve to an
        antecedent said before (a finding's site first), never to a negated or withdrawn one unless it is the only
        noun there is ("not the left kidney, the other one")."""
        items, parsed = request.items, request.parsed
        texts = [i.text for i in items]
        sets = self._word_sets
        if self._read_normal(request):
            return None
        other = any(t in sets["other_words"] for t in texts)
        same = any(t in sets["same_side_words"] for t in texts)
        affected = any(t in sets["affected_words"] for t in texts) or self._names_by_finding(texts)
        both = any(t in sets["both_words"] for t in texts) and not parsed.include
        if not (other or same or affected or both):
            return None
        antecedents = self._antecedents(request)
        if not antecedents and (other or same) and parsed.include:
            # "Fracture of the left tenth rib; segment the same rib on the opposite side", "Right adrenal adenoma;
            # segment the contralateral gland": the antecedent is in the same sentence, before the reference
            said = [k for k, i in enumerate(items) if i.term.kind in MENTION]
            last = items[said[-1]]
            bare = last.term.kind == "singular" and not (said[-1] > 0 and items[said[-1] - 1].term.kind == "side")
            position = said[-1] if bare and len(said) > 1 else said[-1] + 1
            before = self._mentions_of(items[:position])
            after = [last] if bare and len(said) > 1 else []
            heads = [i.text for i in items[position:] if i.term.kind == "head"]
            ref_at = next((k for k, i in enumerate(items) if i.text in sets["other_words"]
                           or i.text in sets["same_side_words"]), len(items))
            context_only = any(i.text in sets["findings_words"] for i in items[:ref_at])
            asked_heads = [i.text for i in items[said[0] + 1:] if i.term.kind == "head" and i.text not in self.words.generic]
            if len(asked_heads) > (0 if after else 1):
                heads, after, before = [], [], []  # another noun is asked for too: not only a reference
            grounded = [ground_mention(m, self.ontology) for m in before]
            grounded = [g for g in grounded if len(g.ids) == 1 and not g.options and self.ontology[g.ids[0]].pair]
            fits = grounded and (after or any(self.in_category(grounded[-1].ids[0], self.words.categories.get(h, h))
                                              or h in self._name_words[grounded[-1].ids[0]] for h in heads))
            if fits and len(parsed.include) == len(before) + len(after):
                antecedents = grounded
                if context_only:  # said of a finding: context, not a target
                    parsed.include = [m for m in parsed.include if m.text in {i.text for i in after}]
                reading_note = f'reference: the antecedent "{grounded[-1].mention.text}" is said before it'
                request.reading.rationale.append(reading_note)
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
                or any(self.in_category(c, category) for c in g.ids)]
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

    def _read_normal(self, request: Request) -> bool:
        """"Left kidney: mass. Right kidney normal. Segment the normal one.": a request that names no structure
        and asks for the normal one takes the structure said to be normal before (and only one may be)."""
        normal = self._word_sets["normal_words"]
        clauses: list[list[Item]] = [[]]
        for item in request.items:
            if item.term.kind == "break":
                clauses.append([])
            else:
                clauses[-1].append(item)
        asking = [c for c in clauses if any(i.term.kind == "action" for i in c) and any(i.text in normal for i in c)
                  and not any(i.term.kind in MENTION for i in c)]
        if not asking:
            return False
        said = [m for c in clauses if c not in asking and any(i.text in normal for i in c)
                for m in self._mentions_of(c)]
        grounded = [ground_mention(m, self.ontology) for m in said]
        grounded = [g for g in grounded if len(g.ids) == 1 and not g.options]
        if len(grounded) != 1:
            return False
        request.reading.rationale.append(f'reference: "the normal one" -> "{grounded[0].mention.text}", said to be normal')
        request.reading.cap("target found by reference to an antecedent", CONFIDENCE_REFERENCE)
        request.include = grounded
        return True

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
        if not include and request.context:
            include = self._head_refers_back(request)
        if not include:
            return None
        reading.include = self._resolve_references(include, request.context, reading)
        self._add_exclusions(request)
        worst = max((g.penalty for g in reading.include), default=0.0)
        reading.adjust("the words disagree or a side does not apply", -worst)
        unsure = self._unsure_reading(request)
        if unsure:
            reading.cap(unsure, CONFIDENCE_UNSURE)
        spec = decide(reading, evidence, self.ontology)
        if unsure and spec.status == "rejected":
            spec.confidence = min(spec.confidence, CONFIDENCE_REFUSE_UNSURE)  # a refusal of a reading we doubt
        if spec.status == "clarify" and parsed.unknown and self._off_topic(request.text.tokens, reading):
            return refuse_unrecognised(reading, evidence, self.ontology, request.prompt)
        return spec

    def _head_refers_back(self, request: Request) -> list[Grounding]:
        """"6 mm nodule in the left lower lobe. Segment the lobe.": a head noun with no structure of its own
        names the structure said before whose name or kind it is."""
        heads = [i.text for i in request.items if i.term.kind == "head" and i.text not in self.words.generic]
        for g in reversed(request.context):
            if len(g.ids) != 1 or g.options:
                continue
            concept = g.ids[0]
            for head in heads:
                category = self.words.categories.get(head)
                if head in self._name_words[concept] or (category and self.in_category(concept, category)):
                    request.reading.rationale.append(f'"{head}" refers back to "{g.mention.text}"')
                    request.reading.cap("target found by reference to an antecedent", CONFIDENCE_REFERENCE)
                    return [g]
        return []

    def _read_description(self, request: Request) -> TargetSpec | None:
        tokens = request.text.tokens
        if not self._is_description(tokens):
            return None
        self._ambiguous = []
        sides = {str(i.term.value) for i in request.items if i.term.kind == "side"} | {
            self.ontology[str(i.term.value)].laterality for i in request.items
            if i.term.kind == "concept" and self.ontology[str(i.term.value)].laterality}
        described = self._describe(tokens, request.reading, request.evidence, request.context, sides or None)
        if described is None and self._ambiguous:
            finding = spatial.Finding(question=self._ambiguous, why=["the description fits these about equally"])
            return self._answer(request, finding, "description")
        if described is not None:
            ordinals, cardinals = self.language.get("ordinals", {}), set(self.language.get("cardinals", ()))
            numbers = [int(ordinals[i.text]) for i in request.items if i.text in ordinals and i.text not in cardinals]
            if len(numbers) == 1 and not described.numbers and self.ontology[described.concept].members \
                    and any(self.ontology[c].series for c in self.ontology.descendants(described.concept)):
                # "the second bone of the lower back": the description names the series, the number its member
                described.numbers = numbers
                request.reading.rationale.append(f"description: member {numbers[0]} of {described.concept}")
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
        # A landmark's words ("the lobe resting on top of the liver") say where the target is, not what it is.
        landmark_words = {t for g in request.context for t in tokenize(g.mention.text)}
        return self._fallback(request.prompt, request.text.tokens, request.reading, request.evidence, landmark_words)

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

    def _noun_of(self, concept_id: str) -> str:
        """The noun a correction keeps when it only changes the side or number ("right 8th rib. Correction:
        right 7th" keeps "rib"): the pair group, or for a numbered member of a series the smallest group of both
        sides in which its count from the top is still its number (the ribs, not the false ribs)."""
        concept = self.ontology[concept_id]
        if not (concept.series and concept.pair):
            return self._family(concept_id)

        def rank(group: str) -> int | None:
            same_side = sorted((self.ontology[c] for c in self.ontology.descendants(group)
                                if self.ontology[c].series == concept.series and not self.ontology[c].members
                                and self.ontology[c].laterality == concept.laterality), key=lambda c: c.order)
            ids = [c.id for c in same_side]
            return ids.index(concept_id) + 1 if concept_id in ids else None

        whole = spatial.series_members(self.ontology, concept.series, concept.laterality)
        number = [c.id for c in whole].index(concept_id) + 1
        groups = [g for g in self.ontology.concepts if self.ontology[g].members
                  and {concept_id, concept.pair} <= self.ontology.descendants(g) and rank(g) == number]
        return min(groups, key=lambda g: len(self.ontology.descendants(g))) if groups else self._family(concept_id)

    def _family(self, concept_id: str) -> str:
        """A lateral structure and its pair are one answer to "what is described"; the side is read from words."""
        concept = self.ontology[concept_id]
        if concept.pair:
            for group in concept.groups:
                if concept.pair in self.ontology[group].members:
                    return group
        return concept_id

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
        ranked = [(c, s) for c, s in everything[:12]
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
        category = self._category_in(tokens)
        if category is not None and evidence.present is not None:
            # "a big blood vessel in the belly": the description must single out one of its kind in this image
            kin = [(c, s) for c, s in everything if c in evidence.present and self._family(c) not in ruled_out
                   and self._on_side(c, sides, evidence) and self.in_category(c, category)
                   and self._family(c) != family]
            if kin and score - kin[0][1] < DESCRIPTION_CATEGORY_MARGIN and self.in_category(best, category):
                reading.rationale.append(f"description: {best} {score:.2f} and {kin[0][0]} {kin[0][1]:.2f} are both "
                                         f"a {category} and fit about equally")
                self._ambiguous = [best] + [c for c, _ in kin[:CLARIFY_TOP - 1]]
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

    def _category_in(self, tokens: list[str]) -> str | None:
        """The kind of structure a description names ("vessel", "solid organ"), from the category words."""
        for k, token in enumerate(tokens):
            pair = f"{token} {tokens[k + 1]}" if k + 1 < len(tokens) else None
            if pair in self.words.categories:
                return self.words.categories[pair]
            if token in self.words.categories and self.words.categories[token] not in self.words.generic:
                return self.words.categories[token]
        return None

    def _refusal_confidence(self, tokens: list[str]) -> float:
        """A request that reads like a description of a structure ("the organ that ...") but that nothing fitted is
        refused without confidence: we may have misread it. Nonsense is refused with confidence."""
        if self._is_description(tokens) or any(t in self.words.categories for t in tokens):
            return CONFIDENCE_REFUSE_UNSURE
        return CONFIDENCE_REFUSE_UNKNOWN

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
                                           or t in sets["affected_words"] - {"that", "this", "it", "said", "same"}
                                           or t in self.words.comparatives for t in texts):
            return "words of reference or comparison were not used"
        content = [i for i in request.items if i.term.kind not in ("filler", "action", "break", "conjunction")]
        if content and content[0].term.kind == "unknown" and content[0].text.isalpha() \
                and any(i.term.kind in MENTION for i in content[1:]):
            return f'"{content[0].text}" is not a known word and comes before the structure named'
        return None

    def _on_side(self, concept_id: str, sides: set[str], evidence: Evidence) -> bool:
        """An unpaired structure said to be on one side must lie on that side of the midline in this image."""
        side = next(iter(sides)) if len(sides) == 1 else None
        concept = self.ontology[concept_id]
        if side not in ("left", "right") or concept.laterality or concept.pair or evidence.present is None \
                or concept_id not in evidence.present:
            return True
        return evidence.lies_on(side, evidence.present[concept_id].centroid_ras_mm[0], -SIDE_TOLERANCE_MM) is not False

    def _fallback(self, prompt: str, tokens: list[str], reading: Reading, evidence: Evidence,
                  landmark_words: set[str] = frozenset()) -> TargetSpec:
        """No term matched: ask the sentence encoder, but let it decide alone only when it is clearly right."""
        content = [t for t in tokens if t.isalpha() and t not in self._function_words]
        if self.embeddings is None or not content:
            reading.rationale.append("no anatomical term recognised")
            return refuse_unrecognised(reading, evidence, self.ontology, prompt, self._refusal_confidence(tokens))
        ranked = self.embeddings.rank(" ".join(tokens), top=CLARIFY_TOP + 1)
        (best, score), runner_up = ranked[0], ranked[1][1]
        shared = sorted((set(content) - set(landmark_words)) & self._concept_words[best])
        reading.rationale.append(f"embedding: nearest {', '.join(f'{c} {s:.2f}' for c, s in ranked[:CLARIFY_TOP])}"
                                 + (f"; shared words {shared}" if shared else "; no shared words"))
        clear = score >= EMBED_ACCEPT and score - runner_up >= EMBED_MARGIN
        if clear and (shared or (score >= EMBED_STRONG and score - runner_up >= EMBED_STRONG_MARGIN)):
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
            reading.cap("nearest concept by the encoder alone", min(EMBED_CONFIDENCE_CAP, score + 0.2))
            return decide(reading, evidence, self.ontology)
        if score >= EMBED_CLARIFY and shared:
            candidates = [c for c, _ in ranked[:CLARIFY_TOP]]
            names = " or ".join(self.ontology[c].name for c in candidates)
            spec = TargetSpec(status="clarify", candidates=candidates, confidence=CONFIDENCE_CLARIFY * score,
                              message=f"I am not sure what you mean. Did you mean {names}?")
            return finish(spec, reading, evidence, self.ontology)
        return refuse_unrecognised(reading, evidence, self.ontology, prompt, self._refusal_confidence(tokens))
