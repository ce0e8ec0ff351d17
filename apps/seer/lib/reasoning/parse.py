"""Stage 2, parse: find concept mentions in the tokens, with their side, numbers, ranges and exclusions.

The term index holds every phrase we know (ontology lexicon, group nouns, function words, learned skill
triggers). Matching is longest-phrase-first over tokens, so "l1" is a vertebra while "l kidney" is a side and
a noun.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalize import language_of, tokenize
from .thresholds import T

# When a phrase is both an anatomy term and a function word, anatomy wins; among function words, the order here.
KIND_PRIORITY = ["concept", "singular", "side", "exclusion", "correction", "withdraw", "range", "conjunction", "plural",
                 "extreme", "locative", "action", "break", "contrast", "anaphora", "number", "head", "filler"]
# Word lists of the language files that only need to be known words (readers look them up by text).
KNOWN_ONLY = ("negation_cancellers", "universal_words", "findings_words", "affected_words", "other_words",
              "same_side_words", "both_words", "level_words", "present_words", "from_end_words", "penultimate_words",
              "threshold_words", "numbered_words", "generic_heads", "additive_words", "part_words", "comparatives",
              "reach_words", "normal_words", "side_nouns", "body_words", "plural_heads", "dismiss_words", "item_words",
              "neighbour_words", "list_words", "hesitation_words", "step_directions", "descriptive_adjectives",
              "norm_words")
MAX_PHRASE_TOKENS = 10
PAUSES = {",", ";", "-", "\u2013", "\u2014"}  # marks that end a clause's list without ending its sentence
OTHER_SIDE = {"left": "right", "right": "left"}
# What may stand between the two ends of a range ("T12 to L2", "the 11th thoracic to the 1st lumbar").
RANGE_FILLING = {"range", "number", "filler", "side", "extreme"}


@dataclass(frozen=True)
class Term:
    kind: str  # one of KIND_PRIORITY
    value: str | int
    source: str = "lexicon"  # "lexicon", "language" or "skill:<skill_id>"


@dataclass
class Item:
    start: int
    end: int
    term: Term
    text: str

    @property
    def is_word(self) -> bool:
        """A joint said in words ("and", "together with"), not a sign ("+", ",", "/")."""
        return self.text.replace(" ", "").isalpha()


class TermIndex:
    """Phrase (as a token tuple) -> what it means."""

    def __init__(self) -> None:
        self.phrases: dict[tuple[str, ...], Term] = {}
        self.known_tokens: set[str] = set()
        self.anatomy_tokens: dict[str, set[str]] = {}  # token -> concepts whose terms use it
        self.pro_forms: set[str] = set()  # "ones" in "the floating ones": a noun said again without its word
        self.plural_pro_forms: set[str] = set()  # "ones": a pro-form that is plural
        self.region_adjectives: set[str] = set()  # "thoracic" in "the thoracic spinal cord"
        self.organ_adjectives: set[str] = set()  # "renal" in "the renal arteries"
        self.word_conjunctions: list[str] = []  # "and", "und": a joint said as a word inside a name
        self.pronoun_contractions: dict[str, tuple[str, ...]] = {}  # "it's" -> ("it", "is") before a relation
        self.structures: set[str] = set()  # concepts that are one structure, not a group
        self.one_word_names: dict[str, list[str]] = {}  # structure -> its names of one word ("bowel", "guts")
        self.parts: dict[str, set[str]] = {}  # group -> every structure in it
        self.pairs: set[str] = set()  # groups of one left and one right member
        self.possessives: set[str] = set()  # "its", "their"
        self.step_words: dict[str, str] = {}  # "down" -> inferior: a direction along a series
        self.step_relations: dict[str, str] = {}  # "below" -> inferior: a relation word along the body's axis
        self.series_step: dict[str, int] = {}  # inferior -> +1: towards a series' last member
        self.in_a_series: set[str] = set()  # members of a numbered series (vertebrae, ribs)
        self.bounded: set[str] = set()  # landmarks no map draws, placed by what lies above and below them
        self.readings: dict[tuple[str, ...], dict[str, Term]] = {}  # a name that means different things by language
        self.language_words: dict[str, set[str]] = {}  # each language's own function words (languages.language_words)
        self.foreign_tokens: dict[str, set[str]] = {}  # a word only language files' names use -> those languages

    def add(self, phrase: str, term: Term, override: bool = False) -> None:
        key = tuple(tokenize(phrase))
        if not key or len(key) > MAX_PHRASE_TOKENS:
            return
        if term.kind in ("concept", "singular") and "-" in key[1:-1]:
            # "bean-shaped organ" is also typed "bean shaped organ"
            self.add(" ".join(t for t in key if t != "-"), term, override)
        current = self.phrases.get(key)
        if current is not None and current.source.startswith("lang:") and term.source.startswith("lang:") \
                and current.source != term.source and (current.kind, current.value) != (term.kind, term.value):
            # German "Vene" is one vein, Italian "vene" the veins: the request's language decides (see scan)
            self.readings.setdefault(key, {}).update({current.source[5:]: current, term.source[5:]: term})
        if override or current is None or KIND_PRIORITY.index(term.kind) < KIND_PRIORITY.index(current.kind):
            self.phrases[key] = term
        self.known_tokens.update(key)
        if term.kind in ("concept", "singular"):
            for token in key:
                self.anatomy_tokens.setdefault(token, set()).add(str(term.value))

    def _add_synonym_variants(self, synonyms: dict[str, list[str]]) -> None:
        """"big bowel" beside "large bowel", "bean-shaped thing" beside "bean-shaped organ": a name of two or more
        words said with a plain synonym of one of its words (the language files' "term_synonyms") names the same
        structure. One word is swapped at a time, and a phrase that already means something else keeps its
        meaning."""
        table = {tuple(tokenize(word)): [tuple(tokenize(s)) for s in alternatives]
                 for word, alternatives in synonyms.items() if not word.startswith("_")}
        for key, term in list(self.phrases.items()):
            if term.kind not in ("concept", "singular") or len(key) < 2:
                continue
            for k, token in enumerate(key):
                for alternative in table.get((token,), ()):
                    variant = key[:k] + alternative + key[k + 1:]
                    if variant not in self.phrases and len(variant) <= MAX_PHRASE_TOKENS:
                        self.add(" ".join(variant), term)

    @classmethod
    def build(cls, ontology, language: dict, extra: list[tuple[str, Term]] = (),
              language_words: dict[str, set[str]] | None = None) -> "TermIndex":
        index = cls()
        index.language_words = language_words or {}
        for concept in ontology.concepts.values():
            for phrase in (concept.name, concept.id.replace("_", " "), *concept.lexicon, *concept.parts):
                index.add(phrase, Term("concept", concept.id))
        for concept in ontology.concepts.values():
            for phrase in concept.singular:
                # A group's own singular noun ("the bowel") names one member even when it is also the group's
                # name or id: the data says so explicitly.
                own = index.phrases.get(tuple(tokenize(phrase)))
                index.add(phrase, Term("singular", concept.id),
                          override=own is not None and own.kind == "concept" and own.value == concept.id)
        index._add_synonym_variants(language.get("term_synonyms", {}))
        for side, words in language["side_words"].items():
            for word in words:
                index.add(word, Term("side", side, "language"))
        for side, phrases in language["side_phrases"].items():
            for phrase in phrases:
                index.add(phrase, Term("side", side, "language"))
        for kind, key in (("exclusion", "exclusion_words"), ("conjunction", "conjunctions"),
                          ("range", "range_connectors"), ("anaphora", "anaphora"), ("filler", "filler_words"),
                          ("filler", "report_headers"), ("plural", "plural_markers"), ("action", "action_words"),
                          ("break", "clause_breaks"), ("locative", "locatives"), ("head", "descriptive_heads")):
            for word in language[key]:
                index.add(word, Term(kind, word, "language"))
        for kind, key in (("exclusion", "negation_words"), ("correction", "correction_markers"),
                          ("withdraw", "withdraw_markers"), ("contrast", "contrast_words"), ("locative", "relations")):
            for word in language.get(key, ()):
                index.add(word, Term(kind, word, "language"))
        for key in KNOWN_ONLY:
            for word in language.get(key, ()):
                index.add(word, Term("filler", word, "language"))
        for phrase in language.get("negation_cancellers", ()):  # "don't forget the spleen" negates nothing
            index.add(phrase, Term("filler", phrase, "language"), override=True)
        for word, end in language["series_extremes"].items():
            index.add(word, Term("extreme", end, "language"))
        cardinals = {" ".join(tokenize(w)) for w in language.get("cardinals", ())}
        for key in ("ordinals", "roman_numerals"):
            for word, number in language[key].items():
                # ("two" counts; "second" places: "the two thoracic vertebrae" is no T2)
                index.add(word, Term("number", number, "cardinal" if word in cardinals else "language"))
        book = set(index.anatomy_tokens)
        for phrase, term in extra:  # learned from corrections: a site's own usage wins over the book
            index.add(phrase, term, override=True)
            for token in tokenize(phrase) if term.source.startswith("lang:") else ():
                if token not in book:
                    index.foreign_tokens.setdefault(token, set()).add(term.source[5:])
        index.pro_forms = {t for w in language.get("noun_pro_forms", ()) for t in tokenize(w)}
        index.plural_pro_forms = index.pro_forms & {t for w in language.get("plural_heads", ()) for t in tokenize(w)}
        index.region_adjectives = {" ".join(tokenize(w)) for w in language.get("region_adjectives", ())}
        index.organ_adjectives = {" ".join(tokenize(w)) for w in language.get("organ_adjectives", ())}
        index.word_conjunctions = [w for w in language["conjunctions"] if w.isalpha()]
        index.pronoun_contractions = {" ".join(tokenize(k)): tuple(tokenize(v))
                                      for k, v in language.get("pronoun_contractions", {}).items() if not k.startswith("_")}
        index.structures = {c.id for c in ontology.concepts.values() if not c.members}
        index.parts = {c.id: set(ontology.descendants(c.id)) for c in ontology.concepts.values() if c.members}
        index.pairs = {c.id for c in ontology.concepts.values() if _is_pair(c.id, ontology)}
        index.possessives = {" ".join(tokenize(w)) for w in language.get("possessive_pronouns", ())}
        index.step_words = {" ".join(tokenize(k)): v for k, v in language.get("step_directions", {}).items()}
        index.step_relations = {" ".join(tokenize(k)): v for k, v in language.get("relations", {}).items()
                                if v in ("superior", "inferior")}
        index.series_step = language.get("series_step", {"superior": -1, "inferior": 1})
        index.in_a_series = {c.id for c in ontology.concepts.values() if c.series}
        index.bounded = {c.id for c in ontology.concepts.values() if c.bounds}
        for key, term in index.phrases.items():
            if len(key) == 1 and term.kind in ("concept", "singular"):
                index.one_word_names.setdefault(term.value, []).append(key[0])
        return index

    def scan(self, tokens: list[str]) -> list[Item]:
        items: list[Item] = []
        i = 0
        while i < len(tokens):
            for length in range(min(MAX_PHRASE_TOKENS, len(tokens) - i), 0, -1):
                key = tuple(tokens[i:i + length])
                term = self.phrases.get(key) or self._name_around_a_region_adjective(key)
                if term is not None:
                    if term.kind in ("concept", "singular") and i + length < len(tokens) and any(
                            self.phrases.get(key[s:] + (tokens[i + length],)) == term for s in range(1, length)):
                        # "both psoas muscles": the next word ends another name of the same structure
                        key, length = key + (tokens[i + length],), length + 1
                    items.append(Item(i, i + length, term, " ".join(key)))
                    i += length
                    break
            else:
                token = tokens[i]
                term = Term("number", int(token), "language") if token.isdigit() else Term("unknown", token)
                items.append(Item(i, i + 1, term, token))
                i += 1
        items = self._in_its_language(self._contraction_before_a_relation(items), tokens)
        # each pass reads what the ones before it made of the words, in this order
        for rereading in (self._side_pair_after, self._placed_landmarks_only, self._open_ended,
                          self._possessed_on_both_sides, self._plural_by_pro_form, self._fill_pro_forms,
                          self._adjectives_after_a_group, self._share_a_head, self._fold_region_adjectives):
            items = rereading(items)
        return items

    def _placed_landmarks_only(self, items: list[Item]) -> list[Item]:
        """A landmark no map draws (the hemidiaphragm) is read as one only right after a word for above or below,
        which its bounds place ("under the left hemidiaphragm"); said otherwise ("up against the diaphragm", "the
        aorta from the diaphragm down") its words stay unread, for a description to read."""
        def placed(k: int) -> bool:
            before = next((i for i in reversed(items[:k]) if i.term.kind not in ("filler", "side")), None)
            return before is not None and before.text in self.step_relations

        out: list[Item] = []
        for k, item in enumerate(items):
            if item.term.value not in self.bounded or placed(k):
                out.append(item)
                continue
            # word by word, as if the name were not known ("left" stays a side)
            for n, word in enumerate(item.text.split()):
                term = self.phrases.get((word,))
                out.append(Item(item.start + n, item.start + n + 1,
                                term if term is not None and term.value not in self.bounded else Term("unknown", word),
                                word))
        return out

    def _open_ended(self, items: list[Item]) -> list[Item]:
        """"from T12 down", "T12 and below", "the ribs from the 9th downwards": a member of a series, then a
        direction along the body and nothing more in its clause, runs to that end of what the image shows; it is
        read as "to the last" (or "to the first", upwards). A relation word needs "and" before it ("L1 below"
        places something, "L1 and below" does not)."""
        for k, item in enumerate(items[:-1]):
            # (a count is a step, not a member: "L1 - two down", "L1, 2 down")
            counted = item.term.kind == "number" and (item.term.source == "cardinal" or k and (
                items[k - 1].term.kind in ("range", "conjunction") or items[k - 1].text in PAUSES))
            if not (item.term.kind == "number" or item.term.value in self.in_a_series) or counted:
                continue
            joined = items[k + 1].term.kind == "conjunction" and items[k + 1].text not in (",", ";")
            word = items[k + 1 + joined] if k + 1 + joined < len(items) else None
            if word is None:
                continue
            direction = self.step_words.get(word.text) if word.term.kind == "filler" else \
                self.step_relations.get(word.text) if word.term.kind == "locative" and joined else None
            after = items[k + 2 + joined] if k + 2 + joined < len(items) else None
            if direction not in self.series_step or after is not None and after.term.kind not in ("break", "conjunction"):
                continue
            end = "last" if self.series_step[direction] > 0 else "first"
            return items[:k + 1] + [Item(word.start, word.start, Term("range", "to", "language"), "to"),
                                    Item(word.start, word.end, Term("extreme", end, "language"), word.text)] + \
                items[k + 2 + joined:]
        return items

    def _possessed_on_both_sides(self, items: list[Item]) -> list[Item]:
        """"each kidney together with its adrenal": one of a pair said after a possessive, once a pair has been said
        on both sides before it, is its own pair on both sides too (each kidney's adrenal)."""
        both = False
        for k, item in enumerate(items):
            if k and items[k - 1].text in self.possessives and both and item.term.kind == "singular" \
                    and item.term.value in self.pairs:
                items[k] = Item(item.start, item.end, Term("concept", item.term.value, item.term.source), item.text)
            both = both or (item.term.kind == "side" and item.term.value == "both" and k + 1 < len(items)
                            and items[k + 1].term.kind in ("singular", "concept") and items[k + 1].term.value in self.pairs)
        return items

    def _plural_by_pro_form(self, items: list[Item]) -> list[Item]:
        """"vertebrae, the lumbar ones": the word for one member of a group ("lumbar") before a plural pro-form
        names the whole group, as its plural does."""
        return [Item(item.start, item.end, Term("concept", item.term.value, item.term.source), item.text)
                if item.term.kind == "singular" and k + 1 < len(items) and items[k + 1].text in self.plural_pro_forms
                else item for k, item in enumerate(items)]

    def _contraction_before_a_relation(self, items: list[Item]) -> list[Item]:
        """"the organ it's attached to": a pronoun contracted with its verb ("it's", a clause break elsewhere:
        "liver, it's for volumetry") before a relation that the verb begins ("is attached to") is the pronoun and
        that relation, as if typed out."""
        for k in range(len(items) - 1):
            spelled = self.pronoun_contractions.get(items[k].text)
            if spelled is None or items[k + 1].term.kind != "locative":
                continue
            pronoun, verb = self.phrases.get(spelled[:1]), self.phrases.get((*spelled[1:], *items[k + 1].text.split()))
            if pronoun is not None and verb is not None and verb.kind == "locative":
                items = items[:k] + [Item(items[k].start, items[k].end, pronoun, spelled[0]),
                                     Item(items[k + 1].start, items[k + 1].end, verb,
                                          " ".join((*spelled[1:], items[k + 1].text)))] + items[k + 2:]
        return items

    def _name_around_a_region_adjective(self, key: tuple[str, ...]) -> Term | None:
        """"the great abdominal vessels": a region's adjective said inside a name of two or more words only says
        where ("great vessels" in the abdomen); read as an unknown word, it split the name and a shorter one
        ("vessels") took its place."""
        inside = [k for k in range(1, len(key) - 1) if key[k] in self.region_adjectives
                  and not any(key[k:e] in self.phrases for e in range(k + 1, len(key) + 1))]  # "all lumbar vertebrae"
        term = self.phrases.get(key[:inside[0]] + key[inside[0] + 1:]) if len(inside) == 1 else None
        return term if term is not None and term.kind in ("concept", "singular") else None

    def _side_pair_after(self, items: list[Item]) -> list[Item]:
        """"the 12th ribs left and right": a name read with the side after it ("ribs left") when the other side
        follows, joined, is the name without its side and both sides (else the right one is a contradiction); a
        side joined before a name that begins with the other side ("rt and lt kidney") names that side's one."""
        for k in range(len(items) - 3, -1, -1):
            name, joint, other = items[k:k + 3]
            words = name.text.split()
            said = self.phrases.get(tuple(words[-1:])) if len(words) >= 2 else None
            whole = self.phrases.get(tuple(words[:-1])) if said is not None else None
            if not (name.term.kind == "concept" and said is not None and said.kind == "side"
                    and joint.term.kind == "conjunction" and joint.is_word and other.term.kind == "side"
                    and {said.value, other.term.value} == {"left", "right"}):
                continue
            if whole is not None and whole.kind in ("concept", "singular"):
                items[k:k + 3] = [Item(name.start, name.end - 1, whole, " ".join(words[:-1])),
                                  Item(name.end - 1, other.end, Term("side", "both", "language"),
                                       f"{words[-1]} {joint.text} {other.text}")]
            elif (mirror := self.phrases.get((*words[:-1], other.text))) is not None and mirror.kind == "concept":
                # "the 7th rib left and right": no name for both sides ("7th rib"), but one for the other side
                items[k + 2] = Item(other.start, other.end, mirror, " ".join((*words[:-1], other.text)))
        for k in range(len(items) - 2):
            # "rt and lt kidney", "R + L psoas": a side joined before a name that begins with the other side names
            # that side's structure too (the data's "right and left" is one phrase; shorthand sides are not)
            side, joint, name = items[k:k + 3]
            words = name.text.split()
            said = self.phrases.get(tuple(words[:1])) if len(words) >= 2 else None
            mirror = self.phrases.get((side.text, *words[1:])) if said is not None else None
            if side.term.kind == "side" and joint.term.kind == "conjunction" and name.term.kind == "concept" \
                    and said is not None and said.kind == "side" and {said.value, side.term.value} == {"left", "right"} \
                    and mirror is not None and mirror.kind == "concept" and mirror.value != name.term.value:
                items[k] = Item(side.start, side.end, mirror, " ".join((side.text, *words[1:])))
        return items

    def _in_its_language(self, items: list[Item], tokens: list[str]) -> list[Item]:
        """A name that two languages read differently takes the reading of the language the request is in."""
        if not any(tuple(item.text.split()) in self.readings for item in items):
            return items
        code = language_of(tokens, self.language_words)
        return [Item(item.start, item.end, self.readings[key][code], item.text)
                if (key := tuple(item.text.split())) in self.readings and code in self.readings[key] else item
                for item in items]

    def _adjectives_after_a_group(self, items: list[Item]) -> list[Item]:
        """"the intestines, small and large", "bowel loops: small and large", "the bowel (small, duodenum and colon)":
        words we do not read, listed after a group's name, that each make a name with the group's noun ("small
        bowel", "large intestine", "intestino delgado") name those members; the list names only what it lists (the
        duodenum is no "small intestine" here). Other entries of the list must be parts of the group."""
        for k, group in enumerate(items):
            if group.term.kind not in ("concept", "singular") or k + 2 >= len(items):
                continue
            entries: list[int] = []  # positions of the listed words and names
            j = k + 1 + (items[k + 1].text in (",", ":", "("))
            while j < len(items) and (items[j].term.kind == "unknown" and items[j].text.isalpha() or items[j].term.kind in (
                    "concept", "singular") and items[j].term.value in self.parts.get(str(group.term.value), ())):
                entries.append(j)
                if j + 2 < len(items) and items[j + 1].term.kind == "conjunction":
                    j += 2
                else:
                    break
            listed = [p for p in entries if items[p].term.kind == "unknown"]
            named = {p: self._adjective_name(items[p].text, group.text.split()) for p in listed}
            after = entries[-1] + 1 if entries else k
            # a list with names in it must be all there is: in brackets, or up to a sentence's end ("IVC plus
            # portal/splenic" goes on past "portal"); adjectives alone in brackets may describe the whole
            # ("the bowel loops (small and large)")
            mixed = len(listed) < len(entries)
            bracketed = items[k + 1].text == "(" and after < len(items) and items[after].text == ")"
            if len(entries) < 2 or not listed or None in named.values() \
                    or len({t.value for t in named.values()}) < len(named) \
                    or (bracketed or items[k + 1].text == "(") and not mixed \
                    or mixed and not (bracketed or after == len(items) or items[after].term.kind == "break") \
                    or not mixed and after < len(items) and items[after].term.kind not in ("break", "conjunction"):
                continue
            after += bracketed
            spoken = [Item(i.start, i.end, named[p], f"{i.text} {group.text}") if p in named else i
                      for p, i in enumerate(items[entries[0]:entries[-1] + 1], start=entries[0])]
            return items[:k] + spoken + items[after:]
        return items

    def _adjective_name(self, word: str, noun: list[str]) -> Term | None:
        """The name that `word` makes with a part of `noun` ("small" + "bowel loops" -> "small bowel"), if any."""
        for start in range(len(noun)):
            for end in range(len(noun), start, -1):
                part = noun[start:end]
                for last in dict.fromkeys((part[-1], part[-1].removesuffix("s"), part[-1].removesuffix("es"))):
                    for phrase in ((word, *part[:-1], last), (*part[:-1], last, word)):  # ("intestino delgado")
                        term = self.phrases.get(phrase)
                        if term is not None and term.kind in ("concept", "singular"):
                            return term
        return None

    def _share_a_head(self, items: list[Item]) -> list[Item]:
        """"portal + splenic vein", "portal/splenic": an unknown word joined to a name is the first word of a name
        with the same last words ("portal vein"), or with the joint said as a word ("portal and splenic"), when that
        is a name we know."""
        k = 0
        while k < len(items) - 2:
            word, joint, name = items[k:k + 3]
            k += 1
            # (an organ's adjective that names the organ alone shares the head too: "splenic/portal vein")
            if not (word.term.kind == "unknown" or word.term.kind == "concept" and word.text in self.organ_adjectives) \
                    or joint.term.kind != "conjunction" or name.term.kind not in ("concept", "singular"):
                continue
            head = name.text.split()[1:]
            phrases = [(c, (word.text, c, *name.text.split())) for c in self.word_conjunctions]
            if head:
                phrases.append((None, (word.text, *head)))
            if head and head[-1].endswith("s"):  # "the splenic and portal veins": the shared head in the plural
                phrases.append((None, (word.text, *head[:-1], head[-1][:-1])))
            found = next(((c, p, t) for c, p in phrases if (t := self.phrases.get(p)) is not None
                          and t.kind in ("concept", "singular")), None)
            if found is None:
                continue
            joined, phrase, term = found
            if joined is None:
                items[k - 1] = Item(word.start, word.end, term, " ".join(phrase))
            else:
                items[k - 1:k + 2] = [Item(word.start, name.end, term, " ".join(phrase))]
        return items

    def _fold_region_adjectives(self, items: list[Item]) -> list[Item]:
        """"the thoracic spinal cord", "suprarenal abdominal aorta", "la aorta torácica": an adjective made from a
        region's or an organ's name, said right beside the name of another structure, only says which part of that
        structure is meant; it names no second target. An organ's adjective beside a group or a member noun ("renal
        arteries", "the splenic artery") names a vessel of that organ which the map may lack, so the two words are
        one thing we do not know, never the organ and the group. A region's adjective there keeps its reading
        ("abdominal vessels", "lumbar vertebral bodies"), as does any adjective apart from a name."""
        def adjective(item: Item) -> bool:
            return (item.text in self.region_adjectives or item.text in self.organ_adjectives) \
                and item.term.kind in ("concept", "singular", "unknown", "filler")

        k = 0
        while k < len(items):
            item = items[k]
            k += 1
            if not adjective(item) or item.term.kind == "filler":
                continue
            after = next((later for later in items[k:] if not adjective(later)), None)
            before = items[k - 2] if k > 1 and not adjective(items[k - 2]) else None
            beside = next((other for other in (after, before) if other is not None
                           and other.term.kind in ("concept", "singular")), None)
            if beside is None or beside.term.value == item.term.value:
                continue
            if beside.term.kind == "concept" and beside.term.value in self.structures:
                items[k - 1] = Item(item.start, item.end, Term("filler", item.text, "language"), item.text)
            elif item.text in self.organ_adjectives:
                first, last = sorted((items.index(item), items.index(beside)))
                text = " ".join(i.text for i in items[first:last + 1])
                items[first:last + 1] = [Item(items[first].start, items[last].end, Term("unknown", text), text)]
                k = first + 1
        return items

    def _fill_pro_forms(self, items: list[Item]) -> list[Item]:
        """"ribs 7-12 minus the floating ones", "costillas excepto las flotantes": a word we know only as a modifier of
        a noun said earlier, then a pro-form or nothing more, names what the modifier and that noun name together
        ("floating ribs"). Only a modifier that is nothing by itself is read so: "the left one" keeps its reading."""
        for k in range(len(items) - 1, 0, -1):
            modifier = items[k - 1] if items[k].text in self.pro_forms else items[k]
            end = k + 1
            # ("all lung lobes except the right lower one": a position word said before a pro-form is its modifier
            # too, "lower lobe", where alone it would compare)
            pro_formed = modifier is items[k - 1] and modifier.term.kind == "filler" and modifier.text.isalpha()
            if modifier.term.kind != "unknown" and not pro_formed or (modifier is items[k] and not (
                    items[k - 1].term.kind in ("filler", "exclusion") and (k + 1 == len(items) or items[k + 1].term.kind in (
                        "break", "conjunction")))):
                continue
            first = k - 1 if modifier is items[k - 1] else k
            for earlier in reversed(items[:first]):
                if earlier.term.kind not in ("concept", "singular"):
                    continue
                # (and the one-word names of the same structure: "the guts, small ones" is the small bowel)
                nouns = dict.fromkeys((earlier.text.split()[-1], earlier.text.split()[0], *(
                    self.one_word_names.get(earlier.term.value, ()) if modifier is items[k - 1] else ())))
                found = next(((phrase, term) for noun in nouns for phrase in ((modifier.text, noun), (noun, modifier.text))
                              if (term := self.phrases.get(phrase)) is not None and term.kind in ("concept", "singular")),
                             None)
                if found is not None:
                    items[first:end] = [Item(modifier.start, items[end - 1].end, found[1], " ".join(found[0]))]
                    break
        return items


@dataclass
class Mention:
    """One thing the request names, with the modifiers that belong to it."""

    concept: str
    form: str  # "concept": the term names this concept; "singular": one member of this group, side unsaid
    text: str
    source: str
    sides: set[str] = field(default_factory=set)
    numbers: list[int] = field(default_factory=list)
    range_end: "Mention | None" = None  # the far end of a range ("T12 to L2")
    extreme: str | None = None  # "first" or "last" member of a series ("the lowest rib")
    count: int | None = None  # a number said before a group's plural: how many ("the two lumbar vertebrae")

    @property
    def side(self) -> str | None:
        if "both" in self.sides or {"left", "right"} <= self.sides:
            return "both"
        return next(iter(self.sides)) if self.sides else None


@dataclass
class BareReference:
    """A side or numbers without a noun: "except the right 7th", or "Segment R8." after "Right 8th rib fracture"."""

    side: str | None = None
    numbers: list[int] = field(default_factory=list)
    extreme: str | None = None  # "except the last one": an end of what was asked for, counted in order


@dataclass
class ParsedRequest:
    include: list[Mention] = field(default_factory=list)
    exclude: list[Mention] = field(default_factory=list)
    exclude_refs: list["BareReference"] = field(default_factory=list)  # "except the left one", "except 11 and 12"
    bare_refs: list["BareReference"] = field(default_factory=list)  # asked for without a noun: "segment R8"
    context: list[Mention] = field(default_factory=list)  # named, but not asked for ("SBRT pancreas: ...")
    unknown: list[str] = field(default_factory=list)  # tokens nobody knows
    items: list[Item] = field(default_factory=list)


def _split(items: list[Item], kind: str) -> list[list[Item]]:
    parts: list[list[Item]] = [[]]
    for item in items:
        if item.term.kind == kind:
            parts.append([])
        else:
            parts[-1].append(item)
    return parts


def _has_mention(chunk: list[Item]) -> bool:
    return any(item.term.kind in ("concept", "singular") for item in chunk)


def _merge_bare_chunks(chunks: list[list[Item]]) -> list[list[Item]]:
    """A chunk that names nothing ("..., left side") belongs to its neighbour that does."""
    merged: list[list[Item]] = []
    pending: list[Item] = []
    for chunk in chunks:
        if _has_mention(chunk):
            merged.append(pending + chunk)
            pending = []
        elif merged:
            merged[-1].extend(chunk)
        else:
            pending.extend(chunk)
    if pending:
        merged.append(pending)
    return merged


def _number_runs(chunk: list[Item]) -> list[tuple[int, int, list[int]]]:
    """Runs of numbers ("10", "10-12", "7, 8") as (first position, last position, numbers), ranges expanded."""
    runs: list[tuple[int, int, list[int]]] = []
    for position, item in enumerate(chunk):
        if item.term.kind != "number":
            continue
        value = int(item.term.value)
        # "10-12", "from the 9th to the 12th": only range and filler words between the two numbers
        between = chunk[runs[-1][1] + 1:position] if runs else []
        joined = bool(between) and any(i.term.kind == "range" for i in between) \
            and all(i.term.kind in ("range", "filler") for i in between)
        if joined and runs[-1][2][-1] < value <= runs[-1][2][-1] + T.series.longest_range:
            first, _, numbers = runs[-1]
            runs[-1] = (first, position, numbers + list(range(numbers[-1] + 1, value + 1)))
        else:
            runs.append((position, position, [value]))
    return runs


def _expand_numbers(chunk: list[Item]) -> list[int]:
    return [n for _, _, numbers in _number_runs(chunk) for n in numbers]


def _sibling_in_series(concept_id: str, number: int, ontology) -> str | None:
    """"l1-3": the concept whose id differs from `concept_id` only in its trailing number."""
    candidate = re.sub(r"\d+$", str(number), concept_id)
    return candidate if candidate != concept_id and candidate in ontology else None


def _side_before(chunk: list[Item], position: int) -> int | None:
    """The position of a left/right side word said right before `position` (fillers apart), or None."""
    k = position - 1
    while k >= 0 and chunk[k].term.kind == "filler":
        k -= 1
    return k if k >= 0 and chunk[k].term.kind == "side" and chunk[k].term.value in ("left", "right") else None


def _parse_chunk(chunk: list[Item], ontology, excepted: bool = False) -> list[Mention]:
    """The mentions a chunk names, with their sides, numbers and ends. `excepted`: the chunk is an exception, where a
    number word before a group's plural counts it ("except the two thoracic ones"); elsewhere the count readers
    read it ("the two lowest ribs", "T12 and the two vertebrae below")."""
    mentions: list[Mention] = []
    positions: list[int] = []  # chunk position of each mention, including the ends of ranges
    owner: list[Mention] = []  # the mention each position speaks for
    for position, item in enumerate(chunk):
        if item.term.kind not in ("concept", "singular"):
            continue
        mention = Mention(concept=str(item.term.value), form="concept" if item.term.kind == "concept" else "singular",
                          text=item.text, source=item.term.source)
        between = chunk[positions[-1] + 1:position] if positions else []
        # "T12 to L2", "from the 11th thoracic to the 1st lumbar": a range joins this mention to the last one.
        if (between and any(i.term.kind == "range" for i in between) and mentions[-1].range_end is None
                and all(i.term.kind in RANGE_FILLING for i in between)):
            mentions[-1].range_end = mention
        else:
            mentions.append(mention)
        positions.append(position)
        owner.append(mention)
    for before, after in zip(list(mentions), list(mentions[1:])):
        # "the bowel from the stomach to the colon": a group said in the singular right before a range that ends in
        # one of its members names what the range runs along, never one member to ask about
        gap = chunk[positions[owner.index(before)] + 1:positions[owner.index(after)]]
        if before.form == "singular" and ontology[before.concept].members and after.range_end is not None \
                and all(i.term.kind == "filler" for i in gap) \
                and {after.concept, after.range_end.concept} & ontology.descendants(before.concept):
            mentions.remove(before)
    if not mentions:
        return []
    runs = _number_runs(chunk)
    taken_sides: set[int] = set()  # side words said of a member a bare number names
    further: dict[int, Mention] = {}  # the last further member added after a series member, by that member
    for first, last, numbers in runs:
        target = None
        if first >= 2 and chunk[first - 1].term.kind == "range" and chunk[first - 2].term.kind == "concept":
            # "L1-3": a range ending in a bare number after a series member.
            start = owner[positions.index(first - 2)]
            sibling = _sibling_in_series(start.concept, numbers[0], ontology) if ontology[start.concept].series else None
            if sibling:
                start.range_end = Mention(concept=sibling, form="concept", text=str(numbers[0]), source="language")
                continue
        ahead = [k for k in range(last + 1, len(chunk)) if chunk[k].term.kind not in ("filler", "side")][:2]
        # (an unknown word between may be "or", which scans as no conjunction: "10th or 11th left rib"; one nobody
        # explains stays unexplained, beside a number, and `FrontEnd._account` asks about it)
        joined = bool(ahead) and (chunk[ahead[0]].term.kind in ("range", "conjunction")
                                  or chunk[ahead[0]].term.kind == "unknown" and chunk[ahead[0]].text.isalpha())
        if len(numbers) == 1 and len(ahead) > joined and ahead[joined] in positions:
            # "from the left 7th to the left 9th rib", "the 7th and the 9th left rib" (the conjunction split off):
            # a bare number before a member of a numbered series is a member of that series too, the start of a
            # range or one of a list
            end = owner[positions.index(ahead[joined])]
            sibling = _sibling_in_series(end.concept, numbers[0], ontology) if ontology[end.concept].series else None
            said = _side_before(chunk, first)
            if said is not None and ontology[end.concept].series:
                # "left 11th and right 11th rib", "the left 9th and the right 10th rib": the side said before the
                # bare number is that member's own, not the named member's
                same = sibling or end.concept
                if ontology[same].laterality not in (None, str(chunk[said].term.value)):
                    same = ontology[same].pair
                sibling = same if same and same != end.concept else None
                if sibling:
                    taken_sides.add(said)
            if sibling and end in mentions and end.range_end is None:
                start = Mention(concept=sibling, form="concept", text=chunk[first].text, source="language")
                if joined and chunk[ahead[0]].term.kind == "range":
                    start.range_end = end
                    mentions[mentions.index(end)] = start
                else:
                    mentions.insert(mentions.index(end), start)
                continue
        following = [k for k, p in enumerate(positions) if p == last + 1]
        preceding = [k for k, p in enumerate(positions) if p < first]
        if following:
            target = owner[following[0]]  # "11th rib"
            # (a number word only: "left 11 and 12 ribs" numbers them)
            counted = excepted and chunk[first].term.source == "cardinal" \
                and not any(i.term.kind in ("extreme", "locative") for i in chunk)
            if counted and len(numbers) == 1 and target.form == "concept" and ontology is not None \
                    and target.concept in ontology and ontology[target.concept].members:
                target.count = numbers[0]  # "the two thoracic vertebrae": how many, not which
                continue
        elif preceding:
            target = owner[preceding[-1]]  # "rib 11", "ribs 10-12"
            siblings = [_sibling_in_series(target.concept, n, ontology) for n in numbers]
            between = chunk[positions[preceding[-1]] + 1:first]
            # said right after it, at most a conjunction apart (the chunks lost those): not a list label further on
            adjacent = chunk[first].start - chunk[first - 1].end - 1 <= 1
            if ontology[target.concept].series and not ontology[target.concept].members and all(siblings) \
                    and target in mentions and adjacent and all(
                        i.term.kind in ("filler", "side", "number") or i.term.kind == "unknown" and i.text.isalpha()
                        and len(between) == 1 for i in between):  # "T11 or 12" (see `joined` above)
                # "T11 and 12", "rib 9, 10": numbers after one member of a series are further members, not
                # numbers of that member
                added = [Mention(concept=c, form="concept", text=str(n), source="language")
                         for c, n in zip(siblings, numbers)]
                at = mentions.index(further.get(id(target), target)) + 1
                mentions[at:at] = added
                further[id(target)] = added[-1]  # the next number goes after these, in the order said
                continue
        else:
            target = owner[0]
        target.numbers.extend(n for n in numbers if n not in target.numbers)
    # Each side word, and each "lowest"/"first", belongs to the nearest mention in its chunk.
    for position, item in enumerate(chunk):
        if item.term.kind in ("side", "extreme") and position not in taken_sides:
            # (on a tie, not the one whose name already says its side: "r kidney l adrenal" is the left adrenal)
            # (never one named in a later sentence: "Hydronephrosis on the right. Both kidneys please.", unless the
            # side is all its sentence says, a heading: "à droite. - rein")
            opening = max((j + 1 for j in range(position) if _ends_sentence(chunk[j])), default=0)
            closing = next((j for j in range(position, len(chunk)) if _ends_sentence(chunk[j])), len(chunk))
            heading = all(i.term.kind in ("side", "filler", "conjunction", "range") for i in chunk[opening:closing])
            reachable = [k for k in range(len(positions)) if positions[k] < position or heading or not any(
                _ends_sentence(i) for i in chunk[position + 1:positions[k]])]
            if not reachable:
                continue
            at = min(reachable, key=lambda k: (abs(positions[k] - position), ontology is not None and bool(
                owner[k].concept in ontology and ontology[owner[k].concept].laterality)))
            nearest = owner[at]
            if item.term.kind == "extreme" and any(i.term.kind == "exclusion" for i in chunk[
                    min(positions[at], position):max(positions[at], position)]):
                continue  # "ribs 7 to 10 except the first and the last": the ends are excepted, not the range's
            if item.term.kind == "side":
                if [i.term.kind for i in chunk[position + 1:position + 3]] == ["unknown", "break"]:
                    # "RT planning: spinal cord": a side word in a heading, before a word we do not know, qualifies
                    # that word (here it abbreviates something else), not the structures the heading introduces
                    continue
                nearest.sides.add(unless_negated(chunk, position, str(item.term.value)))
            else:
                nearest.extreme = str(item.term.value)
    return mentions


def _ends_sentence(item: Item) -> bool:
    """A full stop, "!" or "?" (a colon or a semicolon joins what follows to what came before)."""
    return item.term.kind == "break" and item.text in (".", "!", "?")


def unless_negated(chunk: list[Item], position: int, side: str) -> str:
    """"the kidney that isn't the left one", "other than the left": a side negated after its noun, naming no
    structure of its own, is the other member of the pair."""
    before = [i for i in chunk[:position] if i.term.kind != "filler"]
    after = [i for i in chunk[position + 1:] if i.term.kind not in ("filler", "anaphora")]
    if side in OTHER_SIDE and before and before[-1].term.kind == "exclusion" and len(before) >= 2 \
            and before[-2].term.kind in ("concept", "singular") and not any(
                i.term.kind in ("concept", "singular") for i in after):
        return OTHER_SIDE[side]
    return side


def _clauses(items: list[Item]) -> list[tuple[list[Item], str]]:
    """Split at sentence ends and reason markers; each clause keeps the break that ended it."""
    clauses: list[tuple[list[Item], str]] = []
    current: list[Item] = []
    for item in items:
        if item.term.kind == "break":
            clauses.append((current, item.text))
            current = []
        else:
            current.append(item)
    clauses.append((current, ""))
    return [(c, b) for c, b in clauses if c]


def select_clauses(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """Keep what the request asks for; set aside the context around it.

    "SBRT pancreas: contour duodenum and stomach as OARs" asks for two organs; the pancreas is context. When some
    clause both asks (segment, contour, need, ROI...) and names anatomy, only such clauses count. A header that
    asks and ends in a colon ("OARs: duodenum, stomach") hands the asking to the clause after it.
    Returns (selected items, context items).
    """
    clauses = _clauses(items)
    asking: list[int] = []
    for k, (clause, ended_by) in enumerate(clauses):
        if not any(i.term.kind == "action" for i in clause):
            continue
        if ended_by == ":" and k + 1 < len(clauses) and _has_mention(clauses[k + 1][0]):
            asking.append(k + 1)
        elif _has_mention(clause):
            asking.append(k)
    if not asking:
        return items, []
    selected = [i for k in sorted(set(asking)) for i in clauses[k][0]]
    context = [i for k, (clause, _) in enumerate(clauses) if k not in asking for i in clause]
    return selected, context


def split_landmarks(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """"the big artery in front of the spine": after a target is named or described, anatomy behind a locative ("in front of",
    "on top of", "next to") only says where it is. Returns (items without landmarks, landmark items)."""
    kept: list[Item] = []
    landmarks: list[Item] = []
    named, locating = False, False
    for item in items:
        kind = item.term.kind
        if kind in ("break", "conjunction"):
            named, locating = False, False
        elif kind == "locative" and named:
            locating = True
        elif kind in ("concept", "singular"):
            if locating:
                landmarks.append(item)
                continue
            named = True
        elif kind == "head":  # "the little cap on top of the left kidney": the cap is the target
            named = True
        kept.append(item)
    return kept, landmarks


def _apply_plural_markers(chunk: list[Item], ontology=None) -> None:
    """"all ribs", "every rib": a singular noun after a plural marker means the whole group; so does the noun of a
    pair after "two" ("the two psoas": the word is the same in both numbers)."""
    for position, item in enumerate(chunk[1:], start=1):
        before = position - 1
        while before > 0 and chunk[before].term.kind == "side":  # "every right-sided rib"
            before -= 1
        if before > 0 and chunk[before].term.kind == "unknown" and chunk[before].text.isalpha():
            before -= 1  # "every abdominal blood vessel": an adjective we do not read between
        pair = item.term.kind == "singular" and chunk[before].term.kind == "number" and chunk[before].term.value == 2 \
            and before == position - 1 and _is_pair(str(item.term.value), ontology)
        if item.term.kind == "singular" and chunk[before].term.kind == "plural" or pair:
            chunk[position] = Item(item.start, item.end, Term("concept", item.term.value, item.term.source),
                                   item.text)


def _bare_reference(chunk: list[Item]) -> BareReference | None:
    sides = [str(i.term.value) for i in chunk if i.term.kind == "side"]
    numbers = _expand_numbers(chunk)
    extreme = next((str(i.term.value) for i in chunk if i.term.kind == "extreme"), None)
    if extreme is None and len(numbers) == 1 and numbers[0] == 1 and not sides and any(
            i.term.kind == "number" and not i.text.isdigit() for i in chunk):
        extreme, numbers = "first", []  # "except the first": the first of what was asked for, not member no. 1
    counted = [i for i in chunk if i.term.kind == "number"]
    first_word = [i for i in counted if i.term.value == 1 and not i.text.isdigit()]
    if extreme is None and len(counted) == 2 and len(first_word) == 1 and len(set(numbers)) == 2 \
            and chunk.index(counted[1]) == chunk.index(counted[0]) + 1:
        # "except the first two", "sauf les deux premières": the first N of what was asked for
        extreme, numbers = "first", [n for n in numbers if n != 1]
    ends = {str(i.term.value) for i in chunk if i.term.kind == "extreme"} | (
        {"first"} if 1 in numbers and any(i.term.kind == "number" and not i.text.isdigit() for i in chunk) else set())
    if extreme and len(ends) == 2 and len(numbers) <= 1:
        extreme, numbers = "ends", []  # "except the first and the last": both ends, one each
    if not (sides or numbers or extreme):
        return None
    return BareReference(side=sides[0] if sides else None, numbers=numbers, extreme=extreme)


def _exclusions_after_a_mention(items: list[Item]) -> list[Item]:
    """"not sure how this works, but outline the stomach": a negation before anything is named negates nothing."""
    out, named = [], False
    for item in items:
        named = named or item.term.kind in ("concept", "singular")
        if item.term.kind == "exclusion" and not named:
            continue
        out.append(item)
    return out


def _spread_trailing_side(segment: list[Item], mentions: list[Mention]) -> None:
    """"psoas and erector spinae, both sides": one side said after every noun applies to each bare noun."""
    sides = [i for i in segment if i.term.kind == "side"]
    named = [i for i in segment if i.term.kind in ("concept", "singular")]
    if len(sides) == 1 and named and sides[0].start > named[-1].start:
        # "kidneys and adrenals, right side only": set off after the last noun, it is said of every noun
        set_off = any(i.term.kind == "conjunction" for i in segment if named[-1].start < i.start < sides[0].start)
        for mention in mentions:
            if not mention.sides and (mention.form == "singular" or set_off and len(mentions) > 1):
                mention.sides.add(str(sides[0].term.value))


def _share_side_said_last(mentions: list[Mention], ontology) -> None:
    """"rib 7 and rib 8 on the right": the last of a list, said in the same words as a bare numbered member before
    it and with a side after them, gives that side to the bare one ("rib 7 and right rib 8" does not: there the
    side is said before one member only)."""
    if ontology is None:
        return
    for k, mention in enumerate(mentions):
        if mention.sides or not mention.numbers or not mention.text:
            continue
        later = [m for m in mentions[k + 1:] if m.form == "concept" and m.concept in ontology
                 and ontology[m.concept].series == mention.concept
                 and ontology[m.concept].laterality in ("left", "right")]
        noun = tokenize(mention.text)[:1]
        if later and tokenize(later[-1].text)[:1] in (noun, [noun[0].removesuffix("s")] if noun else []):
            mention.sides.add(str(ontology[later[-1].concept].laterality))


def parse(tokens: list[str], index: TermIndex, ontology) -> ParsedRequest:
    return parse_items(index.scan(tokens), ontology)


def paired_group(item: Item, ontology) -> bool:
    """A name of a whole pair group ("erector spinae", "the psoas muscles"): a side said of it picks one member."""
    return item.term.kind == "concept" and _is_pair(str(item.term.value), ontology)


def _is_pair(concept_id: str, ontology) -> bool:
    """A group of two members, one left and one right."""
    if ontology is None or concept_id not in ontology:
        return False
    members = [ontology[m] for m in ontology[concept_id].members if m in ontology]
    return len(members) == 2 and {m.laterality for m in members} == {"left", "right"}


def _side_headers(items: list[Item], ontology=None) -> list[Item]:
    """"Left side: kidney, adrenal. Right side: kidney": a side said as a header (followed by a colon) is said
    of every bare paired noun after it (a pair group's name too: "Right: erector spinae"), up to the end of its
    sentence or the next header."""
    out: list[Item] = []
    header: Item | None = None
    for k, item in enumerate(items):
        following = items[k + 1] if k + 1 < len(items) else None
        if item.term.kind == "side" and following is not None and following.text == ":":
            header = item
            continue
        if header is not None and item.term.kind == "break" and item.text != ":":
            header = None
        numbered = item.term.kind == "number" and following is not None and following.term.kind == "singular"
        if header is not None and (numbered or item.term.kind == "singular" or paired_group(item, ontology)) \
                and not (out and out[-1].term.kind in ("side", "number")):
            # the side goes before the noun's number too ("Left: 12th rib" reads "left 12th rib")
            out.append(Item(item.start, item.start, header.term, header.text))
        out.append(item)
    return out


def _restriction_after_a_contrast(items: list[Item], ontology) -> list[Item]:
    """"vertebrae, not ribs - the lumbar ones": after an exclusion of something that is no part of what is asked (a
    contrast, not a subtraction), a pause and a part of what is asked said with a pro-form ("ones"), or a side alone,
    restricts what is asked; it is read where it would be said before the exclusion ("vertebrae, the lumbar ones, not ribs").
    ("vertebrae except L1, the lumbar ones" subtracts L1, and the lumbar ones with it.)"""
    if ontology is None:
        return items

    def within(part: str, whole: str) -> bool:
        return part == whole or part in ontology.descendants(whole)

    for k, item in enumerate(items):
        if item.term.kind != "exclusion":
            continue
        pause = next((j for j in range(k + 1, len(items)) if items[j].text in PAUSES or items[j].term.kind == "break"),
                     None)
        asked = [str(i.term.value) for i in items[:k] if i.term.kind in ("concept", "singular") and str(i.term.value) in ontology]
        refused = [str(i.term.value) for i in items[k:pause or 0] if i.term.kind in ("concept", "singular")
                   and str(i.term.value) in ontology]
        if pause is None or not asked or not refused or any(within(r, a) or within(a, r) for r in refused for a in asked):
            return items
        said = [j for j in range(pause + 1, len(items)) if items[j].term.kind != "filler"]
        # ("the psoas, not the erector spinae, left side", "kidneys, not the liver, the left one": a side said
        # alone after it is the asked structure's too)
        sided = bool(said) and items[said[0]].term.kind == "side" and all(
            items[j].term.kind in ("anaphora", "break") for j in said[1:])
        if not sided and (len(said) < 2 or items[said[0]].term.kind != "concept" or items[said[1]].term.kind != "anaphora"
                          or not any(within(str(items[said[0]].term.value), a) for a in asked)):
            return items
        stop = next((j for j in range(said[0] + 1, len(items)) if items[j].term.kind == "break"), len(items))
        return items[:k] + items[pause + 1:stop] + [items[pause]] + items[k:pause] + items[stop:]
    return items


def parse_items(items: list[Item], ontology) -> ParsedRequest:
    items = _side_headers(items, ontology)
    selected, context = select_clauses(items)
    selected, landmarks = split_landmarks(selected)
    selected = _restriction_after_a_contrast(selected, ontology)
    context = context + landmarks
    parsed = ParsedRequest(items=items, unknown=[i.text for i in items if i.term.kind == "unknown"])
    for chunk in _merge_bare_chunks(_split(context, "conjunction")):
        parsed.context.extend(_parse_chunk(chunk, ontology))
    for number, segment in enumerate(_split(_exclusions_after_a_mention(selected), "exclusion")):
        raw = [c for c in _split(segment, "conjunction") if c]
        chunks = _merge_bare_chunks(raw)
        if number and not any(_has_mention(c) for c in raw) and sum(i.term.kind == "side" for i in segment) > 1:
            chunks = raw  # "except the left and the right one": each side is excepted on its own
        previous_side: str | None = None
        previous_member: str | None = None  # a sided member of a series, named just before
        segment_mentions: list[Mention] = []
        for chunk in chunks:
            _apply_plural_markers(chunk, ontology)
            mentions = _parse_chunk(chunk, ontology, excepted=number > 0)
            segment_mentions.extend(mentions)
            if number == 0 and not mentions:
                reference = _bare_reference(chunk)
                if reference is not None:
                    parsed.bare_refs.append(reference)
            if number == 0:
                for mention in mentions:
                    # "left kidney and adrenal": a bare paired noun takes the side said just before it.
                    if mention.form == "singular" and not mention.sides and previous_side in ("left", "right"):
                        mention.sides.add(previous_side)
                    if mention.form == "singular" and not mention.sides and mention.numbers and previous_member \
                            and ontology[previous_member].series == mention.concept:
                        # "right rib 7 and rib 8": a number more of the series just named by a sided member
                        # is on that member's side
                        mention.sides.add(ontology[previous_member].laterality)
                    previous_side = mention.side or previous_side
                    named = ontology[mention.concept] if ontology is not None and mention.concept in ontology else None
                    previous_member = mention.concept if named is not None and named.series and mention.form == \
                        "concept" and named.laterality in ("left", "right") else None
                parsed.include.extend(mentions)
            elif mentions:
                parsed.exclude.extend(mentions)
            elif (reference := _bare_reference(chunk)) is not None:
                parsed.exclude_refs.append(reference)
        _spread_trailing_side(segment, segment_mentions)
        _share_side_said_last(segment_mentions, ontology)
        _share_plural_head(segment_mentions, ontology)
    return parsed


def _share_plural_head(mentions: list[Mention], ontology) -> None:
    """"the thoracic and lumbar vertebrae": a bare member word before a group named in the plural shares that
    group's head noun, and means its own whole group (the thoracic vertebrae), not one member."""
    for mention, following in zip(mentions, mentions[1:]):
        if mention.form != "singular" or mention.sides or mention.numbers or following.form != "concept":
            continue
        group = ontology[following.concept]
        head = tokenize(following.text)[-1:] if following.text else []
        if not group.members or not head or head[0] in tokenize(mention.text):
            continue
        if head[0] in tokenize(ontology[mention.concept].name) and ontology[mention.concept].members:
            mention.form = "concept"
