"""The two baselines the paper compares against, run on the same backbone as `seer`.

- `exact`: class-name matching, as TotalSegmentator and VISTA3D class prompts do. The longest class name found
  in the request wins; no name, no answer.
- `embedding`: the nearest class name by sentence embedding, as CLIP-style text towers in SegVol and the
  CLIP-Driven Universal Model do. It always answers.

Neither refuses an absent structure: they segment what they were told, as those tools do.
"""

from __future__ import annotations

import re

from ..records import TargetSpec
from ..reasoning.normalize import fold


class ExactNameBaseline:
    name = "exact"

    def __init__(self, ontology, vocabulary: list[str]):
        names = {}
        for concept_id in vocabulary:
            names[concept_id.replace("_", " ")] = concept_id
            names[concept_id] = concept_id
        # Longest first, so "kidney left" is found before any shorter name inside it.
        self._patterns = [(re.compile(rf"(?<![a-z0-9]){re.escape(n)}(?![a-z0-9])"), c)
                          for n, c in sorted(names.items(), key=lambda item: -len(item[0]))]

    def understand(self, prompt: str) -> TargetSpec:
        text = fold(prompt)
        for pattern, concept_id in self._patterns:
            if pattern.search(text):
                return TargetSpec(status="ok", targets=[concept_id], confidence=1.0)
        return TargetSpec(status="rejected", message="no class name in the request")


class EmbeddingBaseline:
    name = "embedding"

    def __init__(self, ontology, vocabulary: list[str], encoder):
        self._ids = list(vocabulary)
        self._encoder = encoder
        self._matrix = encoder.encode([ontology[c].name for c in self._ids])

    def understand(self, prompt: str) -> TargetSpec:
        scores = self._matrix @ self._encoder.encode([prompt])[0]
        best = int(scores.argmax())
        return TargetSpec(status="ok", targets=[self._ids[best]], confidence=float(scores[best]))
