"""The small lexicon interface other parts use (the skill loop): words of a request, which are known, their side,
a structure's family and a request's core phrase. Nothing outside the reasoning reaches into the engine."""

from __future__ import annotations


class Lexicon:
    def __init__(self, engine):
        self._engine = engine

    def tokens(self, text: str) -> list[str]:
        """The request's words as the reasoning reads them (folded, expanded, repaired)."""
        return self._engine.normalizer.normalize(text).tokens

    def is_known(self, token: str) -> bool:
        """Whether a language file or the ontology's lexicon has the word."""
        return token in self._engine.index.known_tokens

    def side_of(self, token: str) -> str | None:
        return self._engine.side_of(token)

    def family(self, concept_id: str) -> str:
        """A lateral structure's pair group ("kidney_left" -> "kidneys"), else the concept itself."""
        return self._engine.family(concept_id)

    def core_phrase(self, tokens: list[str]) -> str:
        """The request without its leading and trailing function words."""
        return self._engine.core_phrase(tokens)
