"""The languages a request may be written in: one data file each under `ontology/languages/`.

Each file holds common organ and region names (by concept id), side words and function words. This module merges
them into the one function-word table the parser reads and turns the names into lexicon terms; it holds no words
itself.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path

LANGUAGES_DIR = Path(__file__).resolve().parents[1] / "ontology" / "languages"
# Scripts whose letters the lexicon covers once accents are folded away.
LEXICON_SCRIPTS = frozenset({"LATIN"})


@lru_cache(maxsize=4)
def load_languages(folder: str | None = None) -> dict[str, dict]:
    """Language code -> its data file, e.g. {"de": {...}, "en": {...}}."""
    directory = Path(folder) if folder else LANGUAGES_DIR
    languages = {}
    for path in sorted(directory.glob("*.json")):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        languages[data.get("code", path.stem)] = data
    return languages


def merge_language(base: dict, languages: dict[str, dict]) -> dict:
    """The base function-word table with every language's side and function words added (lists are joined,
    tables are updated); the base table is not changed."""
    merged = {key: (dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value)
              for key, value in base.items()}
    merged["side_words"] = {side: list(words) for side, words in base["side_words"].items()}
    for data in languages.values():
        for side, words in data.get("side_words", {}).items():
            merged["side_words"].setdefault(side, [])
            merged["side_words"][side] += [w for w in words if w not in merged["side_words"][side]]
        for key, value in data.get("function_words", {}).items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            else:
                current = merged.setdefault(key, [])
                current += [w for w in value if w not in current]
    return merged


def name_terms(languages: dict[str, dict]) -> list[tuple[str, str, str, str]]:
    """(phrase, kind, concept id, language code) for every organ name in every language file; kind is "concept"
    (the name means the concept) or "singular" (one member of the group, side unsaid)."""
    terms = []
    for code, data in languages.items():
        for kind, key in (("concept", "names"), ("singular", "singular")):
            for concept_id, phrases in data.get(key, {}).items():
                terms.extend((phrase, kind, concept_id, code) for phrase in phrases)
    return terms


def language_names(languages: dict[str, dict]) -> list[str]:
    return [data.get("name", code) for code, data in languages.items()]


def scripts_of(text: str) -> set[str]:
    """The Unicode scripts of the letters in `text`, by the first word of each letter's name ("LATIN",
    "CYRILLIC", "CJK", "GREEK", ...)."""
    scripts = set()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            scripts.add(name.split(" ", 1)[0] if name else "UNKNOWN")
    return scripts


def unsupported_scripts(text: str) -> set[str]:
    """Scripts in `text` that no language file covers."""
    return scripts_of(text) - LEXICON_SCRIPTS
