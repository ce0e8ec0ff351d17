"""The ontology: one data file (`concepts.json`) is the single source of truth for names, codes and label ids.

This module is pure data plus a loader. It imports nothing else of ours, so every other part can depend on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

CONCEPTS_FILE = Path(__file__).with_name("concepts.json")
LANGUAGE_FILE = Path(__file__).with_name("language.json")
ANATOMY_TERMS_FILE = Path(__file__).with_name("anatomy_terms.json")

# The vocabulary keys a concept's `labels` may carry, and the name each has in the outside world.
VOCABULARY_ALIASES = {"total": "totalseg", "total_mr": "totalseg_mr", "totalseg": "totalseg",
                      "totalseg_mr": "totalseg_mr", "vista3d": "vista3d"}


class OntologyError(ValueError):
    """The ontology data file is inconsistent."""


@dataclass(frozen=True)
class SnomedCode:
    scheme: str
    value: str
    meaning: str


@dataclass(frozen=True)
class Concept:
    """One anatomical concept: a structure a backbone can segment, or a group of them."""

    id: str
    kind: str  # "structure" or "group"
    name: str
    laterality: str | None
    pair: str | None
    members: tuple[str, ...]
    series: str | None
    order: int | None
    region: str
    description: str
    lexicon: tuple[str, ...]
    singular: tuple[str, ...]
    labels: dict[str, int]
    snomed_category: SnomedCode | None = None
    snomed_type: SnomedCode | None = None
    snomed_modifier: SnomedCode | None = None
    color: tuple[int, int, int] | None = None
    groups: tuple[str, ...] = field(default=())  # derived: the groups that list this concept as a member
    # The structures it lies in (a lesion's organ); present only where one of them is (`pipeline.evidence_for`).
    within: tuple[str, ...] = ()
    # Named parts too small to segment apart (eponyms, Latin: "islets of Langerhans", "Glisson's capsule"): a
    # request that names one asks for the structure that holds it.
    parts: tuple[str, ...] = ()
    # Where a lumen's content passes next (the oesophagus into the stomach): the order of a tract, read by
    # `reasoning.tract` for "the segment after the stomach", "where the small bowel leads".
    continues_into: tuple[str, ...] = ()
    # A landmark no map draws, placed by what lies on each side of it (the left hemidiaphragm: the left lung above,
    # the spleen and stomach below): "superior"/"inferior" -> those structures. "Under the left hemidiaphragm" is
    # then read as under what lies above it.
    bounds: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _code(entry: dict | None) -> SnomedCode | None:
    if not entry:
        return None
    return SnomedCode(scheme=entry["scheme"], value=str(entry["value"]), meaning=entry["meaning"])


class Ontology:
    """All concepts, indexed by id and by (vocabulary, label id)."""

    def __init__(self, raw: dict):
        self.version = raw["version"]
        self.vocabularies: dict[str, str] = raw["vocabularies"]
        self.regions: list[str] = raw["regions"]
        parents: dict[str, list[str]] = {}
        for entry in raw["concepts"]:
            for member in entry.get("members", []):
                parents.setdefault(member, []).append(entry["id"])
        self.concepts: dict[str, Concept] = {}
        for entry in raw["concepts"]:
            snomed = entry.get("snomed") or {}
            concept = Concept(
                id=entry["id"],
                kind=entry["kind"],
                name=entry["name"],
                laterality=entry.get("laterality"),
                pair=entry.get("pair"),
                members=tuple(entry.get("members", [])),
                series=entry.get("series"),
                order=entry.get("order"),
                region=entry["region"],
                description=entry["description"],
                lexicon=tuple(entry.get("lexicon", [])),
                singular=tuple(entry.get("singular", [])),
                labels=dict(entry.get("labels", {})),
                snomed_category=_code(snomed.get("category")),
                snomed_type=_code(snomed.get("type")),
                snomed_modifier=_code(snomed.get("modifier")),
                color=tuple(entry["color"]) if entry.get("color") else None,
                groups=tuple(parents.get(entry["id"], [])),
                within=tuple(entry.get("within", [])),
                parts=tuple(entry.get("parts", [])),
                continues_into=tuple(entry.get("continues_into", [])),
                bounds={side: tuple(ids) for side, ids in entry.get("bounds", {}).items()},
            )
            if concept.id in self.concepts:
                raise OntologyError(f"duplicate concept id {concept.id!r} in {CONCEPTS_FILE}")
            self.concepts[concept.id] = concept
        self._by_label: dict[str, dict[int, str]] = {vocab: {} for vocab in self.vocabularies}
        for concept in self.concepts.values():
            for vocab, label in concept.labels.items():
                if vocab not in self._by_label:
                    raise OntologyError(f"{concept.id}: unknown vocabulary {vocab!r}; known: {sorted(self._by_label)}")
                if label in self._by_label[vocab]:
                    raise OntologyError(f"{vocab} label {label} is claimed by {self._by_label[vocab][label]!r} "
                                        f"and {concept.id!r}")
                self._by_label[vocab][label] = concept.id
        self._validate()

    def _validate(self) -> None:
        for concept in self.concepts.values():
            for member in concept.members:
                if member not in self.concepts:
                    raise OntologyError(f"{concept.id}: member {member!r} is not a concept")
            for host in concept.within:
                if host not in self.concepts:
                    raise OntologyError(f"{concept.id}: within {host!r} is not a concept")
            for side, ids in concept.bounds.items():
                if side not in ("superior", "inferior") or any(c not in self.concepts for c in ids):
                    raise OntologyError(f"{concept.id}: bounds {side!r} must be superior|inferior with known concepts")
            if concept.pair and self.concepts.get(concept.pair) is None:
                raise OntologyError(f"{concept.id}: pair {concept.pair!r} is not a concept")
            if concept.region not in self.regions:
                raise OntologyError(f"{concept.id}: region {concept.region!r} not in {self.regions}")

    def __getitem__(self, concept_id: str) -> Concept:
        return self.concepts[concept_id]

    def __contains__(self, concept_id: str) -> bool:
        return concept_id in self.concepts

    @staticmethod
    def vocabulary_key(vocab: str) -> str:
        """Accept both our keys and TotalSegmentator's task names (`total`, `total_mr`)."""
        if vocab not in VOCABULARY_ALIASES:
            raise OntologyError(f"unknown vocabulary {vocab!r}; valid names are {sorted(VOCABULARY_ALIASES)}")
        return VOCABULARY_ALIASES[vocab]

    def label_map(self, vocab: str) -> dict[int, str]:
        """Label id -> concept id for one vocabulary."""
        return dict(self._by_label[self.vocabulary_key(vocab)])

    def vocabulary(self, vocab: str) -> list[str]:
        """Concept ids that have a label in `vocab`, in label order."""
        by_label = self._by_label[self.vocabulary_key(vocab)]
        return [by_label[k] for k in sorted(by_label)]

    def leaves(self, concept_id: str, vocabulary: set[str] | frozenset[str]) -> list[str]:
        """Expand a concept to the ids a backbone with `vocabulary` can segment.

        A concept that is itself in the vocabulary stays whole (e.g. `lung_left` for `total_mr`); a group that is
        not expands to its members, recursively (e.g. `lung_left` -> its two lobes for `total`).
        """
        if concept_id in vocabulary:
            return [concept_id]
        out: list[str] = []
        for member in self.concepts[concept_id].members:
            for leaf in self.leaves(member, vocabulary):
                if leaf not in out:
                    out.append(leaf)
        return out

    def part_names(self, concept_id: str) -> tuple[str, ...]:
        """The parts named for a structure ("gerota fascia" of each kidney): its own and those of every group that
        holds it, since a part named of "the kidneys" is a part of each."""
        return tuple(p for c in (concept_id, *self.ancestors(concept_id)) for p in self.concepts[c].parts)

    def ancestors(self, concept_id: str) -> tuple[str, ...]:
        """Every group that holds `concept_id`, at any depth (not itself)."""
        known = self.__dict__.setdefault("_ancestors", {})  # the ontology does not change once loaded
        if concept_id not in known:
            known[concept_id] = tuple(c for c in self.concepts if concept_id in self.descendants(c))
        return known[concept_id]

    def descendants(self, concept_id: str) -> set[str]:
        """Every concept below `concept_id` (not itself)."""
        out: set[str] = set()
        for member in self.concepts[concept_id].members:
            out.add(member)
            out |= self.descendants(member)
        return out


@lru_cache(maxsize=1)
def load_ontology(path: str | None = None) -> Ontology:
    source = Path(path) if path else CONCEPTS_FILE
    with open(source, encoding="utf-8") as f:
        return Ontology(json.load(f))


@lru_cache(maxsize=1)
def load_language(path: str | None = None) -> dict:
    """Function words the parser needs (sides, negation, ranges, fillers): language data, not anatomy."""
    source = Path(path) if path else LANGUAGE_FILE
    with open(source, encoding="utf-8") as f:
        return json.load(f)


@lru_cache(maxsize=1)
def load_anatomy_terms() -> frozenset[str]:
    """Anatomical words that name no structure we segment (eponyms, Latin and Greek terms: "fossa", "hilum"):
    real words, never typos of a name."""
    with open(ANATOMY_TERMS_FILE, encoding="utf-8") as f:
        terms = json.load(f)
    return frozenset(w for key in ("eponyms", "latin") for w in terms[key])
