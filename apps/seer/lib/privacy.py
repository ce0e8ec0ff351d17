"""Patient identifiers out of everything we keep: one function turns a request into its stored form.

`scrub(text)` replaces names, record and accession numbers, dates, phone numbers, e-mail addresses, street
addresses and ages over 89 with typed placeholders ([NAME], [ID], [DATE], [PHONE], [EMAIL], [ADDRESS], [AGE]).
Every path that stores or logs a request goes through it (lib/request_log.py, lib/infers/seer.py, the log filter
below); the reasoning still reads the original text, in memory only.

It runs offline with no model. Names are found by position and shape, in the seven request languages:
- after a cue ("Patient:", "Name", "Mr", "Frau", "Mme", "Sra.", "Sig.", "Dhr." ...), the capitalised words that
  follow;
- a known given name and the words beside it ("Hans Müller", "müller, hans");
- any capitalised word that is neither anatomy nor a known word of the request languages.
Anatomy survives: the ontology's names and lexicon in every language, eponyms and Latin terms
(ontology/anatomy_terms.json), German compounds and misspellings of those, vertebral levels, rib and segment
numbers, and sizes, none of which look like the identifier patterns. Phone numbers are found by Google's
libphonenumber (the `phonenumbers` package) in the countries of the seven languages, and by a cue ("Tel.").

Over-scrubbing a word that is not anatomy ("Befund" -> [NAME]) costs nothing but readability; missing an
identifier is the failure that matters, so unknown capitalised words are treated as names.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from .files import atomic_write_text
from .ontology import ANATOMY_TERMS_FILE, CONCEPTS_FILE, LANGUAGE_FILE, load_language, load_ontology

WORDS_FILE = Path(__file__).with_name("privacy_words.json")
LANGUAGES_DIR = LANGUAGE_FILE.with_name("languages")

KINDS = ("NAME", "ID", "DATE", "PHONE", "EMAIL", "ADDRESS", "AGE")
PLACEHOLDER = re.compile(r"\[(?:%s)\]" % "|".join(KINDS))
# The countries whose number formats the seven request languages bring (en, de, fr, es, it, pt, nl).
PHONE_REGIONS = ("US", "GB", "IE", "DE", "AT", "CH", "FR", "BE", "ES", "IT", "PT", "BR", "NL")
MAX_AGE_KEPT = 89  # HIPAA Safe Harbor: ages over 89 are identifying
FUZZY_ANATOMY = 88  # rapidfuzz ratio at which a capitalised word counts as a misspelt anatomy word ("Kidny")
MIN_FUZZY_LENGTH = 5
MIN_STEM = 4  # an anatomy word at least this long may start or end a German compound ("Nierenbecken")
MAX_NAME_WORDS = 5
TITLES = frozenset({"med", "dent", "phil", "rer", "nat", "ing", "dipl"})  # "Dr. med. Vater"
CUE_GAPS = ("", ".", ":", "=", ".:", "-", "–", ",")  # between a cue and the name

WORD = re.compile(r"[^\W\d_]+(?:['’\-^][^\W\d_]+)*", re.UNICODE)
EMAIL = re.compile(r"[\w.+\-']+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)
# A run of digits, possibly split by spaces, dots, dashes, slashes or parentheses (phones, ids).
DIGIT_RUN = re.compile(r"\+?\(?\d[\d\s().\-/]*\d")
ALNUM_TOKEN = re.compile(r"(?<![\w@])[A-Za-z0-9][A-Za-z0-9\-_/#.]*[A-Za-z0-9](?![\w@])")
NUMERIC_DATE = re.compile(
    r"(?<![\w./-])(?:"
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # 1956-04-03
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"  # 03/04/1956, 3.4.56
    r")(?![\w/-]|\.\d)")
COMPACT_DATE = re.compile(r"(?<![\w-])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![\w-])")  # 19560403
YEAR = re.compile(r"(?<![\w.,/-])(?:19|20)\d{2}(?![\w]|[.,/-]\d)")
UNIT_AFTER = re.compile(r"\s*(?:mm|cm|m|ml|cc|l|g|kg|hu|gy|cgy|mgy|%|x|×|mm3|cm3|ml/min)\b", re.IGNORECASE)
NL_POSTCODE = re.compile(r"(?<!\w)\d{4}\s?[A-Z]{2}(?!\w)")
PT_POSTCODE = re.compile(r"(?<![\w-])\d{4}-\d{3}(?![\w-])")
UK_POSTCODE = re.compile(r"(?<!\w)[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}(?!\w)")


@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Scrubbed:
    """A request's stored form and what was taken out of it (kept in memory only, to redact derived text)."""

    text: str
    findings: tuple[Finding, ...]

    def redact(self, value: str) -> str:
        """Take this request's identifiers out of text derived from it (the trace, a message): the reasoning
        lower-cases and re-spells words, so names are matched word by word after folding, and digit groups of
        ids, phones and dates as they stand."""
        if not self.findings or not value:
            return value
        # Whole words and their hyphen parts: the reasoning splits "Klaus-Dieter" into "klaus" and "dieter".
        # A word that is also a month or anatomy ("Jan", "Massimo") goes too: here it named a person.
        names = {fold(part) for f in self.findings if f.kind in ("NAME", "ADDRESS", "EMAIL")
                 for w in WORD.findall(f.text) for part in (w, *re.split(r"[-'’^]", w)) if len(part) >= 2}
        names -= _vocabulary().honorifics | _vocabulary().particles
        digits = {d for f in self.findings if f.kind in ("ID", "PHONE", "DATE", "ADDRESS", "EMAIL")
                  for d in re.findall(r"\d+", f.text) if len(d) >= (4 if f.kind == "DATE" else 3)}
        for finding in sorted(self.findings, key=lambda f: -len(f.text)):
            value = re.sub(re.escape(finding.text), f"[{finding.kind}]", value, flags=re.IGNORECASE)
        if names:
            value = WORD.sub(lambda m: "[NAME]" if fold(m.group()) in names else m.group(), value)
        for group in sorted(digits, key=len, reverse=True):
            value = re.sub(rf"(?<![\d.]){group}(?![\d.])", "[ID]", value)
        return value


def flat(text: str) -> str:
    """Lower case without accents, one character for one ("März" -> "marz"), so that patterns written with
    folded words find accented text and their positions still fit the original."""
    return "".join(_flat_char(c) for c in text)


@lru_cache(maxsize=4096)
def _flat_char(c: str) -> str:
    base = "".join(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d)).lower()
    return base if len(base) == 1 else c


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Case- and accent-insensitive form ("Müller" -> "muller"); a possessive 's is dropped."""
    if word.isascii():
        text = word.lower()
        return text[:-2] if text.endswith("'s") else text
    text = unicodedata.normalize("NFKD", word.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")
    return text[:-2] if text.endswith("'s") else text


@dataclass(frozen=True)
class Vocabulary:
    eponyms: frozenset[str]  # surnames of anatomy: kept, except right after an honorific ("Dr. Vater")
    anatomy: frozenset[str]  # every word of the ontology, its languages, eponyms and Latin terms
    stem_set: frozenset[str]  # anatomy words long enough to start or end a compound
    anatomy_list: tuple[str, ...]  # for fuzzy matching
    keep: frozenset[str]  # anatomy and the common words of requests: never a name on their own
    given_names: frozenset[str]
    given_anatomy: frozenset[str]  # given names that are also words ("Mark", "Massimo"): names before a surname
    honorifics: frozenset[str]
    name_labels: frozenset[str]
    particles: frozenset[str]
    months: frozenset[str]
    ambiguous_months: frozenset[str]
    date_cues: frozenset[str]
    id_cues: frozenset[str]
    phone_cues: frozenset[str]
    age_words: frozenset[str]
    age_cues: frozenset[str]
    address_cues: frozenset[str]
    street_words: frozenset[str]
    ambiguous_streets: frozenset[str]  # street words that are also ordinary words ("via", "place", "close")
    medical_suffixes: tuple[str, ...]
    eponym_heads: frozenset[str]
    eponym_links: frozenset[str]


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if not str(k).startswith("_") for s in _strings(k) + _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _words(strings) -> set[str]:
    out = set()
    for text in strings:
        for word in WORD.findall(text):
            out.add(fold(word))
            out.update(fold(part) for part in re.split(r"[-'’]", word) if part)
    return out


VOCABULARY_FORMAT = 1  # bump when _build_vocabulary changes what it derives


def _cache_dir() -> Path:
    """Where derived data lives (as pipeline.default_cache_dir, without importing the pipeline and its torch)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "seer-label"


@lru_cache(maxsize=1)
def _vocabulary() -> Vocabulary:
    """The word sets, built from the ontology and the word lists once, then cached on disk keyed by their content:
    a process that stores one request (a CLI, a training subprocess) should not pay the ~0.5 s build."""
    sources = [CONCEPTS_FILE, LANGUAGE_FILE, ANATOMY_TERMS_FILE, WORDS_FILE, *sorted(LANGUAGES_DIR.glob("*.json"))]
    digest = hashlib.sha256(str(VOCABULARY_FORMAT).encode())
    for path in sources:
        digest.update(path.read_bytes())
    cache = _cache_dir() / f"privacy-words-{digest.hexdigest()[:16]}.json"
    try:
        raw = json.loads(cache.read_text(encoding="utf-8"))
        return Vocabulary(**{f.name: (tuple if f.type.startswith("tuple") else frozenset)(raw[f.name])
                             for f in fields(Vocabulary)})
    except (OSError, ValueError, KeyError, TypeError):
        pass  # absent, or written by another version: build it
    vocabulary = _build_vocabulary()
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(cache, json.dumps({f.name: sorted(getattr(vocabulary, f.name)) if not f.type.startswith(
            "tuple") else list(getattr(vocabulary, f.name)) for f in fields(Vocabulary)}, ensure_ascii=False))
    except OSError:
        pass  # a read-only home: build it each time
    return vocabulary


def _build_vocabulary() -> Vocabulary:
    ontology = load_ontology()
    anatomy_text = [t for c in ontology.concepts.values()
                    for t in (c.id.replace("_", " "), c.name, *c.lexicon, *c.singular)]
    anatomy = _words(anatomy_text)
    for path in sorted(LANGUAGES_DIR.glob("*.json")):
        with open(path, encoding="utf-8") as f:
            anatomy |= _words(_strings(json.load(f).get("names", {})))
            f.seek(0)
            anatomy |= _words(_strings(json.load(f).get("singular", {})))
    with open(ANATOMY_TERMS_FILE, encoding="utf-8") as f:
        terms = json.load(f)
    anatomy |= _words(terms["eponyms"]) | _words(terms["latin"])
    with open(WORDS_FILE, encoding="utf-8") as f:
        data = json.load(f)
    general = _words(_strings(load_language())) | _words(c.description for c in ontology.concepts.values())
    for path in sorted(LANGUAGES_DIR.glob("*.json")):
        with open(path, encoding="utf-8") as f:
            general |= _words(_strings(json.load(f)))
    months = {fold(m) for ms in data["months"].values() for m in ms}
    cue_words = {fold(w) for key in ("honorifics", "name_labels", "date_cues", "id_cues", "phone_cues",
                                     "age_cues", "address_cues", "street_words") for w in data[key]}
    keep = anatomy | general | _words(data["keep_words"]) | months | cue_words | _words(data["eponym_heads"])
    given = {fold(n) for n in data["given_names"]}
    # Only words long enough and not common request words may stand as stems, so "Mann" in "Hartmann" is no stem.
    common = _words(data["keep_words"])
    stems = tuple(sorted(w for w in anatomy if len(w) >= MIN_STEM and w not in common))
    return Vocabulary(
        eponyms=frozenset(_words(terms["eponyms"])), anatomy=frozenset(anatomy), stem_set=frozenset(stems),
        anatomy_list=tuple(sorted(w for w in anatomy if len(w) >= MIN_FUZZY_LENGTH - 1)),
        # A given name that is also a word ("Mark", "Grace", "Massimo" in "gluteo massimo") counts as a name only
        # right before a surname.
        keep=frozenset(keep - (given - keep)), given_names=frozenset(given - keep),
        given_anatomy=frozenset(given & keep),
        honorifics=frozenset(fold(w) for w in data["honorifics"]),
        name_labels=frozenset(fold(w) for w in data["name_labels"]),
        particles=frozenset(fold(w) for w in data["name_particles"]),
        months=frozenset(months), ambiguous_months=frozenset(fold(w) for w in data["ambiguous_months"]),
        date_cues=frozenset(fold(w) for w in data["date_cues"]), id_cues=frozenset(fold(w) for w in data["id_cues"]),
        phone_cues=frozenset(fold(w) for w in data["phone_cues"]),
        age_words=frozenset(fold(w) for w in data["age_words"]), age_cues=frozenset(fold(w) for w in data["age_cues"]),
        address_cues=frozenset(fold(w) for w in data["address_cues"]),
        street_words=frozenset(fold(w) for w in data["street_words"]),
        ambiguous_streets=frozenset(fold(w) for w in data["ambiguous_street_words"]),
        medical_suffixes=tuple(sorted({fold(s) for s in data["medical_suffixes"]}, key=len, reverse=True)),
        eponym_heads=frozenset(fold(w) for w in data["eponym_heads"]),
        eponym_links=frozenset(fold(w) for w in data["eponym_links"]),
    )


# ---------------------------------------------------------------------------------------------------------------
# Spans


class _Spans:
    """Accepted identifier spans; a later detector never overrides an earlier one."""

    def __init__(self, text: str):
        self.text = text
        self.items: list[Finding] = []
        self.protected = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(text)]

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.protected) and \
            all(end <= f.start or start >= f.end for f in self.items)

    def add(self, kind: str, start: int, end: int) -> bool:
        while start < end and self.text[start] in " ,;:\t\n":
            start += 1
        while end > start and self.text[end - 1] in " ,;:\t\n":
            end -= 1
        if end <= start or not self.free(start, end):
            return False
        self.items.append(Finding(kind, start, end, self.text[start:end]))
        return True


@dataclass
class _Token:
    text: str
    start: int
    end: int
    folded: str

    @property
    def title(self) -> bool:
        first = self.text[0]
        return first.isupper() and any(c.islower() for c in self.text[1:])

    @property
    def caps(self) -> bool:
        letters = [c for c in self.text if c.isalpha()]
        return len(letters) >= 2 and all(c.isupper() for c in letters)

    @property
    def capitalised(self) -> bool:
        return self.text[0].isupper()


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end(), fold(m.group())) for m in WORD.finditer(text)]


def _between(text: str, a: _Token, b: _Token) -> str:
    return text[a.end:b.start]


# ---------------------------------------------------------------------------------------------------------------
# Detectors, in order of precedence


@lru_cache(maxsize=None)
def _alternation(field_name: str) -> str:
    """A regex alternation of one word list, longest first (built once)."""
    words = getattr(_vocabulary(), field_name) - {"#"}
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


def _emails(spans: _Spans) -> None:
    for m in EMAIL.finditer(spans.text):
        spans.add("EMAIL", m.start(), m.end())


def _month_pattern(v: Vocabulary) -> str:
    names = sorted({re.escape(m) for m in v.months}, key=len, reverse=True)
    return r"(?:%s)\.?" % "|".join(names)


@lru_cache(maxsize=1)
def _date_patterns() -> tuple[re.Pattern, ...]:
    v = _vocabulary()
    month = _month_pattern(v)
    day = r"(?:[0-3]?\d)(?:st|nd|rd|th|er|e|º|°|\.)?"
    year = r"(?:\d{4}|'\d{2}|\d{2})"
    link = r"(?:\s+(?:de|del|di|van|of)\s+|\s*[-/.,]?\s*)"
    return (
        # 12 March 1956, 12. März 1956, 12 de marzo de 1956, 12-Mar-56, 3 mars
        re.compile(rf"(?<!\w){day}{link}(?P<month>{month}){link}{year}(?!\w)", re.IGNORECASE),
        # March 12, 1956; März 1956
        re.compile(rf"(?<!\w)(?P<month>{month})\s*(?:{day}\s*,?\s*)?(?:\d{{4}})(?!\w)", re.IGNORECASE),
        # 12 March (no year): a day with an unambiguous month
        re.compile(rf"(?<![\w.]){day}{link}(?P<month>{month})(?!\w)", re.IGNORECASE),
    )


def _dates(spans: _Spans) -> None:
    text, v = flat(spans.text), _vocabulary()  # accents and case folded, same positions
    for m in NUMERIC_DATE.finditer(text):
        spans.add("DATE", m.start(), m.end())
    for m in COMPACT_DATE.finditer(text):
        spans.add("DATE", m.start(), m.end())
    for number, pattern in enumerate(_date_patterns()):
        for m in pattern.finditer(text):
            month = fold(m.group("month").rstrip("."))
            if number == 2 and month in v.ambiguous_months:
                continue  # "segment 8 may be involved": "may" alone after a number is no date
            if number > 0 and month in v.ambiguous_months and not spans.text[m.start("month")].isupper():
                continue
            spans.add("DATE", m.start(), m.end())


def _ages(spans: _Spans) -> None:
    text, v = flat(spans.text), _vocabulary()  # accents and case folded, same positions
    words = _alternation("age_words")
    cues = _alternation("age_cues")
    after = re.compile(rf"(?<![\w.,])(\d{{2,3}})(?:\s*|-)(?:{words})\b\.?(?:[\s-]*(?:old|alt|oud))?",
                       re.IGNORECASE)
    before = re.compile(rf"\b(?:{cues})\b\s*[:=]?\s*(\d{{2,3}})(?!\d|[.,]\d)", re.IGNORECASE)
    for pattern in (after, before):
        for m in pattern.finditer(text):
            if int(m.group(1)) > MAX_AGE_KEPT:
                spans.add("AGE", m.start(), m.end())
    # A case summary's "93M" / "93-year-old".
    for m in re.finditer(r"(?<![\w.])(\d{2,3})\s?-?(?:year-old|jährige[rn]?|jarige|[MFW])(?!\w)", text):
        if int(m.group(1)) > MAX_AGE_KEPT:
            spans.add("AGE", m.start(), m.end())


def _phones(spans: _Spans) -> None:
    text = spans.text
    if not re.search(r"\d{2}", text):
        return
    cues = _alternation("phone_cues")
    for m in re.finditer(rf"\b(?:{cues})\b\.?\s*(?:n[or°º.]*\s*)?[:#]?\s*(\+?[\d(][\d\s().\-/]{{2,}}\d)", flat(text),
                         re.IGNORECASE):
        if len(re.sub(r"\D", "", m.group(1))) >= 4:  # an internal extension or pager has four digits
            spans.add("PHONE", m.start(1), m.end(1))
    # International form without a cue: +49 30 1234567, 0049-...
    for m in re.finditer(r"(?<![\w+])(?:\+|00)\d{1,3}[\s\-./]?(?:\(0\)\s?)?\d[\d\s\-./]{5,}\d", text):
        spans.add("PHONE", m.start(), m.end())
    if not any(len(re.sub(r"\D", "", m.group())) >= 6 for m in DIGIT_RUN.finditer(text)):
        return  # libphonenumber is the slow part; no run of six digits, no phone number
    import phonenumbers  # here: a process that never sees a long number does not pay its import
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            spans.add("PHONE", match.start, match.end)


def _addresses(spans: _Spans) -> None:
    text, v = spans.text, _vocabulary()
    street = _alternation("street_words")
    name = r"[^\W\d_][\w'’.\-]*"
    patterns = [
        # 221B Baker Street; 12 rue de la Paix; 5, Avenue Foch (a street word is a whole word: the "c" of
        # "CA19-9 elevated. contour" is no "C." for "Calle")
        rf"(?<![\w.])\d{{1,5}}[a-zA-Z]?(?:\s*(?:bis|ter))?,?\s+(?:{name}\s+){{0,4}}?(?:{street})(?![^\W\d_])\.?(?:\s+(?:d[eu]s?|de la|del|della|di|da|do|dos|das|van|der|la|le|les|l'|d')?\s*{name}){{0,4}}",
        # Hauptstraße 12, Kerkstraat 5a, Via Roma 12, Calle Mayor 5, Rua Augusta 25
        rf"(?<!\w)(?:{name}(?:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|straat|laan|plein|gracht|kade|singel|dijk|steeg)|(?:{street})\.?(?:\s+(?:de|del|della|di|da|do|dos|das|van|der|la|le|el|los))*(?:\s+{name}){{1,4}}),?\s+(?:n[º°o.]?\s*)?\d{{1,4}}[a-zA-Z]?(?!\w)",
    ]
    for opens_with_street, pattern in enumerate(patterns):
        for m in re.finditer(pattern, flat(text), re.IGNORECASE):
            first = WORD.findall(text[m.start():m.end()])[:1]  # (`flat` folds the case; the text keeps it)
            if opens_with_street and first and first[0].isupper() and len(first[0]) > 1 \
                    and fold(first[0]) in v.ambiguous_streets:
                continue  # "Comparison CT shows a 6 mm nodule": a street word in capitals opening it is an acronym
            words = [fold(w) for w in WORD.findall(m.group())]
            streets = [w for w in words if w in v.street_words or
                       re.search(r"(straße|strasse|str|weg|gasse|allee|platz|straat|laan)$", w)]
            if not streets:
                continue
            # "via the portal vein 2" or "place 2 clips" are no streets: with a word that is also an ordinary word,
            # the street needs a name that is not anatomy nor a common word ("Calle Mayor 5" needs nothing more).
            if all(w in v.ambiguous_streets for w in streets) and \
                    all(w in v.keep for w in words if w not in v.street_words):
                continue
            spans.add("ADDRESS", m.start(), m.end())
    for pattern in (NL_POSTCODE, PT_POSTCODE, UK_POSTCODE):
        for m in pattern.finditer(text):
            spans.add("ADDRESS", m.start(), m.end())
    # A five-digit postcode and its town: 10115 Berlin, 75001 Paris.
    for m in re.finditer(r"(?<![\w-])\d{5}\s+[A-ZÀ-Þ][^\W\d_]+(?:[\s-][A-ZÀ-Þ][^\W\d_]+)?", text):
        spans.add("ADDRESS", m.start(), m.end())
    # After a cue ("Adresse:", "wohnhaft in", "domicilio"), up to the end of the clause.
    cues = _alternation("address_cues")
    for m in re.finditer(rf"\b(?:{cues})\b(?:\s+(?:in|at|en|a|em|te|a|op))?\s*[:]?\s*([^;\n|]+?)(?=\s*(?:[;\n|]|[.!?](?:\s|$)|,\s*(?:[^\W\d_]+\s+){{0,1}}(?:please|bitte|svp|por favor|per favore|graag|segment\w*|contour\w*)|$))",
                         flat(text), re.IGNORECASE):
        if re.search(r"\d", m.group(1)):  # a house number or postcode: "resident in radiology" is no address
            spans.add("ADDRESS", m.start(1), m.end(1))


def _years(spans: _Spans) -> None:
    """A bare year ("born 1956") is identifying next to a birth cue, and harmless to drop elsewhere unless it is a
    measurement; run after the ids, so "2023-44512" stays one id."""
    for m in YEAR.finditer(spans.text):
        if not UNIT_AFTER.match(spans.text, m.end()):
            spans.add("DATE", m.start(), m.end())


def _is_measurement(text: str, end: int) -> bool:
    return bool(UNIT_AFTER.match(text, end))


def _ids(spans: _Spans) -> None:
    text, v = flat(spans.text), _vocabulary()  # accents and case folded, same positions
    cues = _alternation("id_cues")
    # MRN 12345678, Fall-Nr.: 2023/44512, IPP n° 445566, Acc# A-77812, NHC: 0012-AB
    cued = re.compile(rf"(?:\b(?:{cues})\b|#)\.?(?:[\s\-]*(?:n[or°º.]*|nr\.?|no\.?|num\.?|number|nummer|#))?\s*[:#=\-]?\s*"
                      rf"([A-Za-z]{{0,4}}[\-/]?\d[\w\-/.]*[A-Za-z0-9]|\d+)", re.IGNORECASE)
    for m in cued.finditer(text):
        value = m.group(1)
        digits = sum(c.isdigit() for c in value)
        if digits >= 3 and not _is_measurement(text, m.end(1)):
            spans.add("ID", m.start(1), m.end(1))
    for m in ALNUM_TOKEN.finditer(text):
        token = m.group().rstrip(".")
        digits = sum(c.isdigit() for c in token)
        letters = sum(c.isalpha() for c in token)
        if _is_measurement(text, m.end()):
            continue
        longest = max((len(g) for g in re.findall(r"\d+", token)), default=0)
        # "ribs 10-12", "T12-L1", "C5/6" are ranges: an id has a long group of digits.
        if (digits >= 5 and longest >= 3) or (letters >= 1 and longest >= 4):
            spans.add("ID", m.start(), m.start() + len(token))
    for m in DIGIT_RUN.finditer(text):  # 123 456 789, 12-34-56-78
        if sum(c.isdigit() for c in m.group()) >= 7 and not _is_measurement(text, m.end()):
            spans.add("ID", m.start(), m.end())


def _known(token: _Token, v: Vocabulary) -> bool:
    """Not a name on its own: anatomy (also inside a compound, misspelt, or with a medical suffix), a common
    word of the request languages, a Roman numeral."""
    word = token.folded
    if word in v.keep or re.fullmatch(r"[ivxlc]+", word) and token.caps:
        return True
    parts = [p for p in re.split(r"[-'’^]", word) if p]
    if len(parts) > 1 and (all(p in v.keep for p in parts) or parts[0] in v.keep and
                           all(len(p) <= 2 for p in parts[1:])):
        return True  # Fall-Nr, Follow-up, We're, patient's
    if len(parts) > 1 and token.text.split("-")[0].isupper() and parts[0] in v.keep:
        return True  # MR-guided, CT-linac
    if len(parts) > 1 and any(p in v.anatomy or p in v.eponym_heads for p in parts):
        return True  # Douglas-Raum, Glisson-Kapsel
    if any(word.endswith(suffix) and len(word) > len(suffix) + 2 for suffix in v.medical_suffixes):
        return True  # Splenektomie, cholecystitis, hepatomegalie
    if len(word) >= MIN_STEM + 3 and any(word[:k] in v.stem_set or word[-k:] in v.stem_set
                                         for k in range(MIN_STEM, len(word) - 2)):
        return True  # Nierenbecken, Leberläsion, Oberbauch
    if len(word) >= MIN_FUZZY_LENGTH and process.extractOne(word, v.anatomy_list, scorer=fuzz.ratio,
                                                            score_cutoff=FUZZY_ANATOMY):
        return True  # Kidny, Spleeen
    return False


def _eponym_by_position(tokens: list[_Token], i: int, text: str, v: Vocabulary) -> bool:
    """'pouch of Douglas', 'Baker cyst', "Morison's pouch": a capitalised word that names a structure."""
    token = tokens[i]
    if token.text.endswith(("'s", "’s")) and i + 1 < len(tokens) and tokens[i + 1].folded in v.eponym_heads | v.anatomy:
        return True
    if i + 1 < len(tokens) and tokens[i + 1].folded in v.eponym_heads and \
            _between(text, token, tokens[i + 1]).strip() in ("", "-"):
        return True
    j = i - 1
    while j >= 0 and tokens[j].folded in {"the", "la", "le", "el", "der", "des"}:
        j -= 1
    if j >= 1 and tokens[j].folded in v.eponym_links and \
            (tokens[j - 1].folded in v.eponym_heads or tokens[j - 1].folded in v.anatomy):
        return True
    return False


def _names(spans: _Spans) -> None:
    text, v = spans.text, _vocabulary()
    tokens = _tokens(text)
    taken = [False] * len(tokens)

    def free(i: int) -> bool:
        return not taken[i] and spans.free(tokens[i].start, tokens[i].end)

    def gap_ok(a: int, b: int, allow_comma: bool) -> bool:
        gap = _between(text, tokens[a], tokens[b])
        return gap.strip() in ("", ".") or (allow_comma and gap.strip() == ",")

    def namelike(i: int, strong: bool, lower: bool = False, extending: bool = False) -> bool:
        """Could continue a name: a capitalised word that is not a known word; after an honorific, any
        capitalised word but a common request word ("Frau Leber", "Dr. Vater")."""
        t = tokens[i]
        if not free(i):
            return False
        if t.folded in v.given_names:
            return True
        if not t.capitalised:
            return lower and t.folded not in v.keep  # "hans mueller", "pt mueller"
        if strong or extending:
            # After an honorific any capitalised word but a common one ("Frau Leber" is Mrs Leber); after a first
            # name, any capitalised word that is not a known word, even if it looks like anatomy ("Gallina").
            return t.folded not in v.keep or (strong and t.folded in v.eponyms)
        return not _known(t, v)

    def take(first: int, strong: bool, allow_comma: bool = True) -> int:
        """Extend a name from tokens[first] to the right over particles and name-like words (lower-case ones too
        when the name began in lower case)."""
        lower = not tokens[first].capitalised
        last, count, i = first, 1, first + 1
        while i < len(tokens) and count < MAX_NAME_WORDS:
            if not gap_ok(i - 1, i, allow_comma and count <= 2):
                break
            if tokens[i].folded in v.particles and i + 1 < len(tokens) \
                    and gap_ok(i, i + 1, False) and namelike(i + 1, strong, lower, extending=True):
                i += 1  # "de Vries", "De Santis", "van den Berg"
                continue
            if namelike(i, strong, lower, extending=True):
                last, count = i, count + 1
                i += 1
                continue
            break
        spans.add("NAME", tokens[first].start, tokens[last].end)
        for k in range(first, last + 1):
            taken[k] = True
        return last

    i = 0
    while i < len(tokens):
        t = tokens[i]
        if taken[i]:
            i += 1
            continue
        # A cue: "Patient: Hans Müller", "Mme Dupont", "Dr. med. Vater"; DICOM's "MUELLER^HANS".
        # ("58M, RCC ...": a letter right after an age is the sex, not the French "M." before a name)
        # ("wervels T11 t/m L2": a letter after a slash is part of a slash abbreviation, Dutch "t/m", not "M.")
        after_an_age = len(t.text) == 1 and (text[:t.start].rstrip()[-1:].isdigit() or text[:t.start].endswith("/"))
        if (t.folded in v.honorifics and not t.caps and not after_an_age) or t.folded in v.name_labels:
            honorific = t.folded in v.honorifics and not t.caps and not after_an_age  # "MR." is the modality
            j = i + 1
            while j < len(tokens) and tokens[j].folded in v.honorifics | TITLES:
                j += 1
            if j < len(tokens) and free(j) and _between(text, tokens[j - 1], tokens[j]).strip() in CUE_GAPS:
                n = tokens[j]
                # After a label ("Patient:", "Name"), a capitalised word that is not a common word, or an
                # unknown lower-case word ("pt mueller"); after an honorific, any capitalised word.
                # A capitalised word the cue names, even a short or known one, when a capitalised name-like word
                # follows it ("patient: Li Wei").
                follows = j + 1 < len(tokens) and gap_ok(j, j + 1, False) and tokens[j + 1].capitalised and \
                    namelike(j + 1, False, extending=True)
                if n.folded in v.given_names or (n.capitalised and (honorific or not _known(n, v) or follows)):
                    i = take(j, strong=honorific) + 1
                    continue
        if "^" in t.text and free(i):
            i = take(i, strong=True) + 1
            continue
        if free(i) and t.title and t.folded in v.given_anatomy and i + 1 < len(tokens) and gap_ok(i, i + 1, False) \
                and namelike(i + 1, False, extending=True):
            i = take(i, strong=False) + 1  # "Massimo Lombardini": a first name that is also a Latin word
            continue
        if free(i) and t.folded in v.given_names and (t.capitalised or _lower_name_follows(tokens, i, v)):
            i = take(i, strong=False) + 1
            continue
        if free(i) and t.title and _latin(t.text) and not _known(t, v) and not _eponym_by_position(tokens, i, text, v):
            i = take(i, strong=False) + 1
            continue
        if free(i) and t.caps and _caps_name(tokens, i, text, v):
            i = take(i, strong=True, allow_comma=True) + 1
            continue
        i += 1


def _latin(word: str) -> bool:
    """Names in the seven request languages are written in Latin script; an unknown capitalised word in another
    script is a word the engine refuses anyway (it has no lexicon for that script), not a name we can judge."""
    return all("LATIN" in unicodedata.name(c, "LATIN") for c in word if c.isalpha())


def _lower_name_follows(tokens: list[_Token], i: int, v: Vocabulary) -> bool:
    """A lower-case given name counts when an unknown word follows it ("hans mueller")."""
    return i + 1 < len(tokens) and tokens[i + 1].folded not in v.keep


def _caps_name(tokens: list[_Token], i: int, text: str, v: Vocabulary) -> bool:
    """Upper-case words are abbreviations (IVC, SBRT, RUL) unless two unknown ones with vowels stand together
    ("MUELLER HANS", "DUPONT, MARIE")."""
    def unknown(t: _Token) -> bool:
        return t.caps and len(t.folded) >= 3 and bool(re.search(r"[aeiouyäöü]", t.folded)) and \
            (t.folded not in v.keep or t.folded in v.given_names) and not _known_caps(t, v)
    if not unknown(tokens[i]):
        return False
    for j in (i - 1, i + 1):
        if 0 <= j < len(tokens) and unknown(tokens[j]) and \
                _between(text, tokens[min(i, j)], tokens[max(i, j)]).strip() in ("", ","):
            return max(len(tokens[i].folded), len(tokens[j].folded)) >= 4
    return tokens[i].folded in v.given_names


def _known_caps(token: _Token, v: Vocabulary) -> bool:
    return token.folded in v.anatomy or token.folded in v.keep and token.folded not in v.given_names


# ---------------------------------------------------------------------------------------------------------------


def scrub_findings(text: str) -> Scrubbed:
    """The stored form of `text` and the identifiers taken out of it."""
    if not text:
        return Scrubbed(text, ())
    spans = _Spans(text)
    for detector in (_emails, _dates, _ages, _phones, _addresses, _ids, _years, _names):
        detector(spans)
    findings = sorted(spans.items, key=lambda f: f.start)
    out, position = [], 0
    for finding in findings:
        out.append(text[position:finding.start])
        # One placeholder for a run of the same kind ("[NAME] [NAME]" says no more than "[NAME]").
        if out and len(out) >= 2 and out[-1].strip() == "" and out[-2] == f"[{finding.kind}]":
            out.pop()
        else:
            out.append(f"[{finding.kind}]")
            position = finding.end
            continue
        position = finding.end
    out.append(text[position:])
    return Scrubbed("".join(out), tuple(findings))


def scrub(text: str) -> str:
    """The form of a request that may be stored or logged: identifiers replaced by typed placeholders."""
    return scrub_findings(text).text


def redact_data(data, scrubbed: Scrubbed):
    """A JSON-like value (a spec's dump, its trace) with the request's identifiers taken out of every string in it.
    Keys are ours (concept ids, field names) and stay."""
    if not scrubbed.findings:
        return data
    if isinstance(data, str):
        return scrubbed.redact(data)
    if isinstance(data, dict):
        return {key: redact_data(value, scrubbed) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(redact_data(value, scrubbed) for value in data)
    return data


def identifier_words(text: str) -> set[str]:
    """The words of a request that belong to a patient's identity or its labels (the names, ids, dates, places
    found, and cue words such as "MRN", "geboren", "maart"), folded: context for the reasoning, never a word it
    failed to understand."""
    scrubbed, v = scrub_findings(text), _vocabulary()
    found = {fold(w) for f in scrubbed.findings for w in WORD.findall(f.text)}
    cues = v.honorifics | v.name_labels | v.date_cues | v.id_cues | v.phone_cues | v.age_cues | v.address_cues | \
        v.months | v.age_words
    return found | {fold(w) for w in WORD.findall(text) if fold(w) in cues}


def without_placeholders(text: str) -> str:
    """A stored request as the reasoning may read it again (training): placeholders dropped, so "[NAME]" is not
    read as the word "name" nor learnt as a trigger."""
    return re.sub(r"\s{2,}", " ", PLACEHOLDER.sub(" ", text)).strip()


# ---------------------------------------------------------------------------------------------------------------
# Logs


PROMPT_IN_LOG = re.compile(r"""(?P<key>(?P<q>['"])prompt(?P=q)\s*:\s*)(?P<v>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def scrub_log_message(message: str) -> str:
    """Scrub every `prompt` value inside a logged dict or JSON ("Infer Request: {..., 'prompt': '...'}")."""
    if "prompt" not in message:
        return message

    def replace(m: re.Match) -> str:
        quoted = m.group("v")
        return m.group("key") + quoted[0] + scrub(quoted[1:-1]) + quoted[-1]

    return PROMPT_IN_LOG.sub(replace, message)


class PromptLogFilter(logging.Filter):
    """Scrubs request text in every record a handler writes (MONAI Label's "Infer Request" and "Save Label
    params" lines carry the request's params verbatim)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the handler's business, not ours
            return True
        cleaned = scrub_log_message(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_filter() -> int:
    """Put the filter on every handler configured now (root, MONAI Label's and uvicorn's loggers), so the app log,
    stdout and stderr all get the scrubbed line. Returns how many handlers it was added to (idempotent)."""
    handlers = list(logging.getLogger().handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        handlers += getattr(logger, "handlers", [])
    added = 0
    for handler in handlers:
        if not any(isinstance(f, PromptLogFilter) for f in handler.filters):
            handler.addFilter(PromptLogFilter())
            added += 1
    return added
