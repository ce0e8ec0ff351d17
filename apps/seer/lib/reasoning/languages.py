"""The languages a request may be written in: one data file each under `ontology/languages/`.

Each file holds common organ and region names (by concept id), side words and function words. This module merges
them into the one function-word table the parser reads and turns the names into lexicon terms; it holds no words
itself.

The schema of a language file (every language the same; a new language, or new words for an operator in one,
is a data change only, never a Python change):

    {"code": "de", "name": "German",
     "side_words": {"left": [...], "right": [...], "both": [...]},
     "names":    {concept_id: [names]},        # the name means the concept
     "singular": {group_id: [names]},          # one member of the group, the side said elsewhere
     "function_words": {KEY: list or table}}

`function_words` takes any key of `ontology/language.json` or `languages/en.json`, with the same value shape;
lists are joined across languages, tables are merged (a table of lists joins each list). The keys by operator:
  - relation(kind, anchor):  "relations" {phrase: superior|inferior|anterior|posterior|left|right|medial|lateral|
                              contact|between|around|inside|same_side|opposite_side}, "between_words", "side_nouns",
                              "part_words" {phrase: [axis, min|max]}, "level_words", "series_step"
  - compare(metric, op):     "comparatives" {phrase: {"measure": x|y|z|volume|distance, "sign": 1|-1}},
                              "reach_words", "category_heads" {phrase: category}, "comparison_followers",
                              "comparison_than" ("bigger THAN the pancreas": what follows is the reference)
  - series nth/first/last/range/count: "ordinals" {word: n}, "cardinals", "series_extremes" {phrase: first|last},
                              "from_end_words", "penultimate_words", "threshold_words" {phrase: ge|le|gt|lt},
                              "present_words", "numbered_words", "range_connectors", "whole_words" (with a present
                              word: only members the map shows whole, "completely inside the scan")
  - union / difference:      "conjunctions", "exclusion_words", "negation_words", "negation_cancellers"
  - lists and sections:      "clause_breaks", "report_headers", "plural_markers"
  - corrections:             "correction_markers", "withdraw_markers", "contrast_words", "additive_words",
                              "correction_no_words", "hesitation_words" (a name after one replaces the name
                              before it), "step_directions" {phrase: superior|inferior} ("one level up")
  - choice over a list:      "choice_words" ("whichever", "the one with"), "pointer_words" ("one", "celui")
  - along(of, next|previous): "sequence_words", "passage_words" ("empties into", "leads to"); the order is the
                              ontology's `continues_into`
  - descriptions:            "function_verbs" {verb class: [verbs]} (the verb of "the organ that keeps the bile")
  - apposition:              "apposition_words" ("namely", "es decir"): a name beside a description is the same one
  - spelling:                "plural_endings" {plural ending: singular ending} (a misspelt plural's stem),
                              "pronoun_contractions" {"it's": "it is"} (spelled out before a relation the verb begins)
  - references:              "other_words", "same_side_words", "both_words", "affected_words", "normal_words",
                              "findings_words", "possession_words", "pronouns", "object_pronouns", "relative_words",
                              "weak_reference_words", "mirror_words" ("the same", "lo mismo": a part that opens
                              with one and says a side is the part before on that side)
  - known words (function, filler, context; never unexplained): "filler_words", "action_words", "copulas",
                              "generic_heads", "descriptive_heads", "descriptive_links", "body_words", "plural_heads",
                              "descriptive_adjectives" (where a structure lies: "retroperitoneal", "infrarenal"),
                              "region_adjectives", "organ_adjectives" (beside another structure's name they only
                              place it: "the thoracic spinal cord"; an organ's beside a group names a thing of its
                              own: "renal arteries")
  - names said another way:  "term_synonyms" {word: [plain synonyms]} ("large": ["big"]: "big bowel" is a name of
                              the colon because "large bowel" is)
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path

from .normalize import tokenize

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
                table = merged.setdefault(key, {})
                for word, meaning in value.items():
                    if isinstance(meaning, list) and isinstance(table.get(word), list):
                        table[word] = table[word] + [w for w in meaning if w not in table[word]]
                    else:
                        table[word] = meaning
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


def language_words(languages: dict[str, dict]) -> dict[str, set[str]]:
    """Language code -> the function and side words that only that language's file has ("zwischen", "und"); what
    two files share ("la", "de") tells no language apart."""
    words = {}
    for code, data in languages.items():
        entries = [w for words_of_side in data.get("side_words", {}).values() for w in words_of_side]
        for value in data.get("function_words", {}).values():
            entries += [w for w in value if isinstance(w, str) and not w.startswith("_")] if isinstance(value, (list, dict)) else []
        words[code] = {token for entry in entries for token in tokenize(entry) if token.isalpha()}
    shared = {token for code, own in words.items() for other, theirs in words.items() if other != code for token in own & theirs}
    return {code: own - shared for code, own in words.items()}


BASE_LANGUAGE = "en"  # the language of the base function-word table (ontology/language.json)


def listed_words(table: dict) -> set[str]:
    """The words a function-word table lists (its list entries and side words); a table's mappings are left out,
    since some map endings, not words ("es" -> "" is a plural ending, no English word)."""
    entries = [w for words in table.get("side_words", {}).values() for w in words]
    entries += [w for value in table.values() if isinstance(value, list) for w in value if isinstance(w, str)]
    return {token for entry in entries for token in tokenize(entry) if token.isalpha()}


def listed_words_by_language(base: dict, languages: dict[str, dict]) -> dict[str, set[str]]:
    """Language code -> the words its file lists, the base table's joined to its own language's; None (a request
    whose language is not determined) -> the base language's."""
    words: dict[str | None, set[str]] = {
        code: listed_words({**data.get("function_words", {}), "side_words": data.get("side_words", {})})
        for code, data in languages.items()}
    words[BASE_LANGUAGE] = words[None] = words.get(BASE_LANGUAGE, set()) | listed_words(base)
    return words


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


def initialisms(ontology, side_words: dict[str, list[str]], known: set[str],
                common: set[str] = frozenset()) -> dict[str, str]:
    """"LK", "RK": a side's initial (a one-letter side word that begins the side's own name) and the initial of
    a paired group's own one-word singular noun (its first singular term, from the concepts file) name that
    side's member, when the members are single structures (not the lobes of a lung). Only an initialism that no
    other pair group shares and that is not already a known or ordinary word is kept: "lk" -> "left kidney"."""
    letters = {w: side for side in ("left", "right") for w in side_words.get(side, ()) if w == side[0]}
    found: dict[str, set[str]] = {}
    expansion: dict[str, str] = {}
    for group in ontology.concepts.values():
        members = [ontology[m] for m in group.members if m in ontology]
        if len(members) != 2 or not all(m.pair and m.laterality in ("left", "right") and not m.members
                                        for m in members) or not group.singular:
            continue
        head = group.singular[0].lower()
        if not head.isalpha():
            continue
        for letter, side in letters.items():
            token = letter + head[0]
            found.setdefault(token, set()).add(group.id)
            expansion[token] = f"{side} {group.singular[0]}"
    return {token: expansion[token] for token, groups in found.items()
            if len(groups) == 1 and token not in known and token not in common}
