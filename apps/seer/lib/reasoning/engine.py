"""The grounded reasoning chain, composed: normalize -> parse -> ground -> (evidence) -> decide.

`ReasoningEngine.understand(prompt, evidence)` is the one entry point; the infer task, the CLI and the
benchmark all call it. It knows nothing of MONAI Label or of any backbone.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ontology import load_language, load_ontology
from ..records import Evidence, TargetSpec
from .decide import CONFIDENCE_CLARIFY, PENALTY_PER_REPAIR, Reading, decide, finish, refuse_unrecognised
from .ground import ground_mention
from .normalize import SpellingRepairer, normalize, tokenize
from .parse import Mention, Term, TermIndex, parse

# Embedding fallback (only when no lexicon term or skill matched): accept the nearest concept above
# EMBED_ACCEPT when it leads the runner-up by EMBED_MARGIN and the request shares a content word with it;
# ask back above EMBED_CLARIFY; refuse below.
EMBED_ACCEPT = 0.55
EMBED_MARGIN = 0.03
EMBED_CLARIFY = 0.42
EMBED_CONFIDENCE_CAP = 0.8
CLARIFY_TOP = 3


@dataclass(frozen=True)
class LearnedTrigger:
    """A phrase the skill bank taught us: it means `concept` (the bank decides which triggers are live)."""

    phrase: str
    concept: str
    skill_id: str


class ReasoningEngine:
    def __init__(self, ontology=None, language: dict | None = None, encoder=None, cache_dir: str | None = None):
        """
        Args:
            ontology: the loaded ontology (default: the packaged data file).
            language: function words (default: the packaged language file).
            encoder: a `TextEncoder` for the embedding fallback, or None to run on the lexicon alone.
            cache_dir: where concept embeddings are cached.
        """
        self.ontology = ontology or load_ontology()
        self.language = language or load_language()
        self.encoder = encoder
        self.cache_dir = cache_dir
        self._embeddings = None
        self._concept_words = {c.id: set(tokenize(" ".join((c.name, c.description, *c.lexicon, *c.singular))))
                               for c in self.ontology.concepts.values()}
        self._filler = set(tokenize(" ".join(self.language["filler_words"] + self.language["report_headers"])))
        self.set_learned([])

    def set_learned(self, triggers: list[LearnedTrigger]) -> None:
        """Install the skill bank's triggers; they join the lexicon as phrases of their own source."""
        extra = [(t.phrase, Term("concept", t.concept, f"skill:{t.skill_id}")) for t in triggers
                 if t.concept in self.ontology]
        self.index = TermIndex.build(self.ontology, self.language, extra)
        self.repairer = SpellingRepairer(self.index.known_tokens)

    @property
    def embeddings(self):
        if self._embeddings is None and self.encoder is not None:
            from .embed import ConceptEmbeddings

            phrases = []
            for concept in self.ontology.concepts.values():
                phrases.append((concept.id, concept.name))
                phrases.append((concept.id, f"{concept.name}: {concept.description}"))
                phrases.extend((concept.id, term) for term in concept.lexicon if len(term.split()) >= 3)
            self._embeddings = ConceptEmbeddings(self.encoder, phrases, self.cache_dir)
        return self._embeddings

    def understand(self, prompt: str, evidence: Evidence) -> TargetSpec:
        text = normalize(prompt, self.repairer)
        parsed = parse(text.tokens, self.index, self.ontology)
        reading = Reading()
        if text.repairs:
            reading.rationale.append("spelling repaired: " + ", ".join(f"{a}->{b}" for a, b in text.repairs))
            reading.confidence -= PENALTY_PER_REPAIR * len(text.repairs)
        skills = sorted({m.source.split(":", 1)[1] for m in parsed.include if m.source.startswith("skill:")})
        if skills:
            reading.skill = skills[0]
            reading.rationale.append("skill used: " + ", ".join(skills))
        if not parsed.include:
            return self._fallback(prompt, text.tokens, reading, evidence)
        reading.include = [ground_mention(m, self.ontology) for m in parsed.include]
        reading.exclude = [ground_mention(m, self.ontology) for m in parsed.exclude]
        reading.exclude_sides = parsed.exclude_sides
        reading.confidence -= max((g.penalty for g in reading.include), default=0.0)
        return decide(reading, evidence, self.ontology)

    def _fallback(self, prompt: str, tokens: list[str], reading: Reading, evidence: Evidence) -> TargetSpec:
        """No term matched: ask the sentence encoder, but let it decide alone only when it is clearly right."""
        content = [t for t in tokens if t.isalpha() and t not in self._filler]
        if self.embeddings is None or not content:
            reading.rationale.append("no anatomical term recognised")
            return refuse_unrecognised(reading, evidence, self.ontology, prompt)
        ranked = self.embeddings.rank(" ".join(tokens), top=CLARIFY_TOP + 1)
        (best, score), runner_up = ranked[0], ranked[1][1]
        shared = sorted(set(content) & self._concept_words[best])
        reading.rationale.append(f"embedding: nearest {', '.join(f'{c} {s:.2f}' for c, s in ranked[:CLARIFY_TOP])}"
                                 + (f"; shared words {shared}" if shared else "; no shared words"))
        if score >= EMBED_ACCEPT and score - runner_up >= EMBED_MARGIN and shared:
            mention = Mention(concept=best, form="concept", text=" ".join(content), source="embedding")
            reading.include = [ground_mention(mention, self.ontology)]
            reading.confidence = min(EMBED_CONFIDENCE_CAP, score + 0.2)
            return decide(reading, evidence, self.ontology)
        if score >= EMBED_CLARIFY:
            candidates = [c for c, _ in ranked[:CLARIFY_TOP]]
            names = " or ".join(self.ontology[c].name for c in candidates)
            spec = TargetSpec(status="clarify", candidates=candidates, confidence=CONFIDENCE_CLARIFY * score,
                              message=f"I am not sure what you mean. Did you mean {names}?")
            return finish(spec, reading, evidence, self.ontology)
        return refuse_unrecognised(reading, evidence, self.ontology, prompt)
