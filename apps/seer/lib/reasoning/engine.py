"""The grounded reasoning chain, composed: normalize -> parse -> ground -> (evidence) -> decide.

`ReasoningEngine.understand(prompt, evidence)` is the one entry point; the infer task, the CLI and the
benchmark all call it. It knows nothing of MONAI Label or of any backbone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..ontology import load_language, load_ontology
from ..records import Evidence, TargetSpec
from .decide import CONFIDENCE_CLARIFY, PENALTY_PER_REPAIR, Reading, decide, finish, refuse_unrecognised
from .ground import Grounding, ground_mention
from .normalize import Normalizer, tokenize
from .parse import Mention, Term, TermIndex, parse

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
SIDE_TOLERANCE_MM = 20.0  # how far past the midline a structure may reach and still be "on the other side"
PENALTY_LENIENT = 0.15
# Below this similarity to every concept, a request that would be answered with a question is off topic.
OFF_TOPIC_SIMILARITY = 0.5
# A request at least this similar to a learned trigger phrase uses that skill when no term matched.
SKILL_SIMILARITY = 0.8


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
        self.language = language or load_language()
        self.encoder = encoder
        self.cache_dir = cache_dir
        self.common_words = encoder_words() if common_words is None else common_words
        self._embeddings = None
        self._embeddings_lock = threading.Lock()
        self._concept_words = {c.id: set(tokenize(" ".join((c.name, c.description, *c.lexicon, *c.singular))))
                               for c in self.ontology.concepts.values()}
        # Words that carry no anatomy: they may not count as evidence that a request and a concept agree.
        self._function_words = {t for key, words in self.language.items() if isinstance(words, list)
                                for w in words for t in tokenize(w)}
        self._function_words |= {t for words in self.language["side_words"].values() for w in words for t in tokenize(w)}
        self._function_words |= set(self.language["descriptive_heads"])
        self._heads = set(self.language["descriptive_heads"])
        self._links = set(self.language["descriptive_links"])
        self._side_of = {w: side for side, words in self.language["side_words"].items() for w in words}
        self.set_learned([])

    def set_learned(self, triggers: list[LearnedTrigger]) -> None:
        """Install the skill bank's triggers; they join the lexicon as phrases of their own source."""
        self.learned = [t for t in triggers if t.concept in self.ontology]
        self._learned_matrix = None
        extra = [(t.phrase, Term("singular" if t.form == "singular" else "concept", t.concept, f"skill:{t.skill_id}"))
                 for t in self.learned]
        self.index = TermIndex.build(self.ontology, self.language, extra)
        sides = {t for words in self.language["side_words"].values() for w in words for t in tokenize(w)}
        standalone = {key[0] for key, term in self.index.phrases.items()
                      if len(key) == 1 and term.kind in ("concept", "singular")}
        bigrams = {pair for key, term in self.index.phrases.items() if term.kind in ("concept", "singular")
                   for pair in zip(key, key[1:])}
        self.normalizer = Normalizer(self.index.known_tokens, self.index.anatomy_tokens, sides,
                                     self.language["abbreviations"], self.common_words,
                                     self.language["organ_suffixes"], standalone, bigrams)

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
        text = self.normalizer.normalize(prompt)
        parsed = parse(text.tokens, self.index, self.ontology)
        reading = Reading()
        if not parsed.include and not parsed.bare_refs:
            # Nothing anatomical at all: a real word may be the typo ("colin"). Read once more, leniently.
            lenient = self.normalizer.normalize(prompt, lenient=True)
            reparsed = parse(lenient.tokens, self.index, self.ontology)
            if reparsed.include:
                text, parsed = lenient, reparsed
                reading.rationale.append("no anatomy as typed; the lenient reading is the only one that names any")
                reading.confidence -= PENALTY_LENIENT
        if text.repairs:
            reading.rationale.append("read as: " + ", ".join(f"{a} -> {b}" for a, b in text.repairs))
            reading.confidence -= PENALTY_PER_REPAIR * len(text.repairs)
        skills = sorted({m.source.split(":", 1)[1] for m in parsed.include if m.source.startswith("skill:")})
        if skills:
            reading.skill = skills[0]
            reading.rationale.append("skill used: " + ", ".join(skills))
        if parsed.context:
            reading.rationale.append("context, not asked for: " + ", ".join(m.text for m in parsed.context))
        context = [ground_mention(m, self.ontology) for m in parsed.context]
        if self._is_description(text.tokens):
            described = self._describe(text.tokens, reading, evidence, context)
            if described is not None:
                parsed.include, parsed.exclude = [described], []
        if not parsed.include and not parsed.bare_refs:
            parsed.include = self._learned_by_similarity(text.tokens, reading)
            if parsed.include:
                reading.skill = parsed.include[0].source.split(":", 1)[1]
        include = [ground_mention(m, self.ontology) for m in parsed.include]
        include += self._resolve_bare(parsed.bare_refs, context, reading) if not include else []
        if not include:
            return self._fallback(prompt, text.tokens, reading, evidence)
        reading.include = self._resolve_references(include, context, reading)
        reading.exclude = [ground_mention(m, self.ontology) for m in parsed.exclude]
        reading.exclude_refs = parsed.exclude_refs
        reading.confidence -= max((g.penalty for g in reading.include), default=0.0)
        spec = decide(reading, evidence, self.ontology)
        if spec.status == "clarify" and parsed.unknown and self._off_topic(text.tokens, reading):
            return refuse_unrecognised(reading, evidence, self.ontology, prompt)
        return spec

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
        reading.rationale.append(f'skill {trigger.skill_id}: "{" ".join(tokens)}" is close to its trigger '
                                 f'"{trigger.phrase}" ({scores[best]:.2f})')
        sides = {self._side_of[t] for t in tokens if t in self._side_of}
        return [Mention(concept=trigger.concept, form=trigger.form, text=trigger.phrase,
                        source=f"skill:{trigger.skill_id}", sides=sides if trigger.form == "singular" else set())]

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
        reading.confidence = min(reading.confidence, DESCRIPTION_CONFIDENCE)
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
            reading.confidence = min(EMBED_CONFIDENCE_CAP, score + 0.2)
            return decide(reading, evidence, self.ontology)
        if score >= EMBED_CLARIFY and shared:
            candidates = [c for c, _ in ranked[:CLARIFY_TOP]]
            names = " or ".join(self.ontology[c].name for c in candidates)
            spec = TargetSpec(status="clarify", candidates=candidates, confidence=CONFIDENCE_CLARIFY * score,
                              message=f"I am not sure what you mean. Did you mean {names}?")
            return finish(spec, reading, evidence, self.ontology)
        return refuse_unrecognised(reading, evidence, self.ontology, prompt)
