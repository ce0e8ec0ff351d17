"""Discourse: the role of each mention in a request: target, context, negated or withdrawn.

Runs on the scanned items, before the parser picks targets. A negated mention ("no liver", "do not segment the
spleen", "neither X nor Y", "not X but Y") becomes an exclusion and is never a target. A withdrawn mention ("the
spleen - sorry, I meant the pancreas", "the pancreas instead of the spleen", "scratch that") is dropped; the last
correction wins. A negation after a target in the same clause is an exclusion and is left to the parser ("the
kidneys but not the left one"). All marker words come from the language files.
"""

from __future__ import annotations

import re

import unicodedata
from dataclasses import dataclass, field, replace

from .normalize import tokenize
from .parse import Item, Term

MENTION = ("concept", "singular")
MODIFIERS = ("side", "number", "extreme", "plural")
# Items that may sit between two correction markers of one group ("sorry, I meant").
GROUP_GLUE = ("filler", "break", "conjunction", "range", "correction", "anaphora")


@dataclass
class Discourse:
    items: list[Item]  # what is left for the parser: targets and context
    negated: list[list[Item]] = field(default_factory=list)  # each: the mention items of one negated span
    withdrawn: list[list[Item]] = field(default_factory=list)
    rationale: list[str] = field(default_factory=list)
    scanned: list[Item] = field(default_factory=list)  # every item as scanned, before any was removed
    typed: list[tuple[str, str]] = field(default_factory=list)  # (read as, typed) for repaired words
    # "spleen no liver": a bare "no" between two names is a correction or an exclusion; (before, after) items
    choices: list[tuple[list[Item], list[Item]]] = field(default_factory=list)
    # "..., remove the thing": a removal word whose object could not be read; the request is never answered as if
    # it were not said
    unapplied: list[str] = field(default_factory=list)
    # "T12 - one lower": a step said after a pause, with no level word: (the structures said before it, its clause)
    steps: list[tuple[list[Item], list[Item]]] = field(default_factory=list)
    # "left lower lobe, no, upper": a correction that names nothing, only words that may replace a word of the
    # name it withdrew: (the withdrawn clause's name and side items, the correction's words)
    retold: list[tuple[list[Item], list[Item]]] = field(default_factory=list)

    def clause_words(self, chunk: list[Item]) -> list[str]:
        """The typed words of the clause (between breaks) that holds the first item of `chunk`."""
        if not chunk or not self.scanned:
            return []
        position = next((k for k, i in enumerate(self.scanned) if i is chunk[0]), None)
        if position is None:
            return []
        start = _clause_start(self.scanned, position)
        end = next((k for k in range(position, len(self.scanned)) if self.scanned[k].term.kind == "break"),
                   len(self.scanned))
        words = [i.text for i in self.scanned[start:end]]
        return words + [typed for read_as, typed in self.typed if read_as in words]

    @property
    def dropped(self) -> list[list[Item]]:
        return self.negated + self.withdrawn


def _fold(word: str) -> str:
    """A word without accents or an elided article ("all'altezza" -> "altezza", "höhe" -> "hohe"), as the
    normalizer gives it."""
    word = word.rsplit("'", 1)[-1]
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _is_boundary(item: Item) -> bool:
    return item.term.kind in ("break", "contrast", "correction", "withdraw")


def _roman(n: int) -> str:
    """A number as a lower-case Roman numeral (list labels "i)", "ii)", "iv."): notation, not a word."""
    out = ""
    for value, letters in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + letters, n - value
    return out


ROMAN = [_roman(n) for n in range(1, 21)]
# how many labels make a labelled list ("a) ... b) ..."): one "a)" alone may be a word and a bracket
MIN_LABELS = 2
# "go up one", "the one further down": a step said on its own is short; a longer clause is a description
MAX_STEP_WORDS = 5


def _next_label(label: str, notation: str) -> str:
    """The label after `label` in its notation ("digit", "letter" or "roman"): "a" -> "b", "ii" -> "iii"."""
    if notation == "digit":
        return str(int(label) + 1)
    if notation == "roman":
        return ROMAN[ROMAN.index(label) + 1] if label in ROMAN[:-1] else ""
    return chr(ord(label) + 1) if label < "z" else ""


def _label_notation(first: str, second: str | None) -> str | None:
    """The notation a list's first label opens ("1", "a", "i"; "i" then "ii" is Roman), else None."""
    if first == "1":
        return "digit"
    if first == "i" and second == "ii":
        return "roman"
    return "letter" if first == "a" else None


def _sentence_start(items: list[Item], k: int) -> int:
    """Where the sentence holding position `k` begins: after the last full stop, "!", "?" or ";" before it (a
    reason marker such as "for the" ends a clause, not the sentence: "I'm not asking for the vertebrae")."""
    return max((j + 1 for j in range(k) if items[j].text in (".", "!", "?", ";")), default=0)


def _clause_start(items: list[Item], position: int) -> int:
    start = position
    while start > 0 and items[start - 1].term.kind != "break":
        start -= 1
    return start


class DiscourseReader:
    """Assigns roles from marker words. `family` maps a lateral concept to its pair group, so that a correction
    that only changes the side ("the left kidney - no, the right one") keeps the noun."""

    def __init__(self, language: dict, family, additive: set[str], negators: set[str], no_words: set[str],
                 ontology):
        self.language = language
        self.family = family
        self.ontology = ontology
        self.additive = additive
        self.negators = negators
        self.no_words = no_words  # "no" followed by a comma or a break is a correction ("no, the right one")
        self.no_before_article = {" ".join(tokenize(w)) for w in language.get("correction_no_phrases", ())}
        self.articles = {" ".join(tokenize(w)) for w in language.get("definite_articles", ())}
        self.copulas = {" ".join(tokenize(w)) for w in language.get("copulas", ())}
        # Pronouns that stand for the structure said just before ("no need to segment it"), and words that open
        # a relative clause (a negation right before one negates nothing after it): the language files' words.
        self.dismiss = {" ".join(tokenize(w)) for w in language.get("dismiss_words", ())}
        self.pronouns = set(language.get("object_pronouns", ()))
        self.relatives = set(language.get("relative_words", ()))
        self.list_marks = set(language.get("list_marks", ()))  # ":" after a label opens its list
        # "item", "entry", "#": a word before a list label that names the entry ("drop item (b)")
        self.item_words = {" ".join(tokenize(w)) for w in language.get("item_words", ())}
        # "er", "um", "äh", "euh": a hesitation between two names of the same structure is a self-repair
        self.hesitations = {" ".join(tokenize(w)) for w in language.get("hesitation_words", ())}
        self.plural_words = {" ".join(tokenize(w)) for w in language.get("plural_markers", ())}  # "all", "every"
        # what a report says of a structure ("not thickened", "not enlarged"): a negation before one denies it
        self.extremes = {" ".join(tokenize(w)): end for w, end in language.get("series_extremes", {}).items()}
        # "at L1", "at the level of T12", "auf Höhe von L1": a level said of another structure, not a target
        self.level_markers = [[_fold(t) for t in tokenize(w)] for w in language.get("level_markers", ())]
        # "other side", "l'autre côté": said alone after a pause, it corrects the side of the structure before
        self.other_words = {" ".join(_fold(t) for t in tokenize(w)) for w in language.get("other_words", ())}
        # "pancreas I mean", "le pancréas je voulais dire": a correction marker said after the name it confirms
        self.trailing = {" ".join(tokenize(w)) for w in language.get("trailing_correction_markers", ())}
        self._both_words = {" ".join(tokenize(w)) for w in language.get("both_words", ())}
        self.same_side_words = {" ".join(tokenize(w)) for w in language.get("same_side_words", ())}
        self.universal_words = {" ".join(tokenize(w)) for w in language.get("universal_words", ())}  # "everything"
        # "one lower", "eins höher": a step along a series; with a level word it is read as one (read_geometry)
        self.step_words = {" ".join(_fold(t) for t in tokenize(w)) for w in language.get("step_directions", {})} \
            | {" ".join(_fold(t) for t in tokenize(w)) for w, m in language.get("comparatives", {}).items()
               if isinstance(m, dict) and m.get("measure") == "z"} \
            | {" ".join(_fold(t) for t in tokenize(w)) for w, r in language.get("relations", {}).items()
               if r in ("superior", "inferior")}
        # "... only the IVC", "nur die Milz": a later clause that keeps only some of what was asked before
        self.restriction = {" ".join(_fold(t) for t in tokenize(w)) for w in language.get("restriction_words", ())}
        self.level_words = {" ".join(_fold(t) for t in tokenize(w)) for w in language.get("level_words", ())}
        self.predicates = {" ".join(tokenize(w)) for key in ("findings_words", "normal_words", "affected_words")
                           for w in language.get(key, ())}
        # "that is", "cioè", "ou seja": a name after one of these names again what was said before it; after a
        # description ("the organ above it, cioè the liver") that is an apposition, never a correction
        self.apposition = {" ".join(tokenize(w)) for w in language.get("apposition_words", ())}

    def _group_asked(self, items: list[Item], k: int, removed: set[int]) -> bool:
        """Whether a structure said before `k` is a group (its members may be excepted by a side or number)."""
        return any(items[j].term.kind in MENTION and str(items[j].term.value) in self.ontology
                   and self.ontology[str(items[j].term.value)].members for j in range(k) if j not in removed)

    def _numbered_asked(self, items: list[Item], k: int, removed: set[int]) -> bool:
        """Whether a group said before `k` has numbered members (ribs, vertebrae), so that a number may pick one."""
        groups = [str(items[j].term.value) for j in range(k) if j not in removed and items[j].term.kind in MENTION
                  and str(items[j].term.value) in self.ontology]
        return any(self.ontology[d].order is not None for g in groups for d in self.ontology.descendants(g)
                   if d in self.ontology)

    def laterality(self, concept_id: str) -> str | None:
        """"left", "right" or None."""
        return self.ontology[concept_id].laterality if concept_id in self.ontology else None

    def _pair_of(self, concept_id: str) -> str | None:
        """The same structure on the other side."""
        return self.ontology[concept_id].pair if concept_id in self.ontology else None

    def _negates(self, item: Item) -> bool:
        return item.text in self.negators or item.text.split(" ", 1)[0] in self.negators

    def _is_correction(self, items: list[Item], k: int) -> bool:
        item = items[k]
        if item.term.kind == "correction":
            return not self._after_description(items, k)
        if item.text in self.hesitations:
            # "left psoas, er, right psoas", "rib 11 um rib 10": a name said after a hesitation replaces the one
            # said just before it; with a word that joins them ("liver and, um, spleen") it is only a pause
            stop = next((j for j in range(k + 1, len(items)) if items[j].term.kind == "break"), len(items))
            before = [i for i in items[:k] if i.term.kind in MENTION]
            after = next((j for j in range(k + 1, stop) if items[j].term.kind in MENTION), None)
            joined = [i for i in items[max(0, k - 2):after or k] if i.term.kind == "conjunction" and i.is_word]
            if after is None and before and not joined:
                return self._renumbered_after(before[-1], items[k + 1:stop]) \
                    or self._resided_after(items, before[-1], items[k + 1:stop])
            return bool(before) and after is not None and not joined
        if item.term.kind == "contrast" and any(i.term.kind in MENTION for i in items[:k]) \
                and not any(self._negates(i) for i in items[:k] if i.term.kind == "exclusion"):
            # "the same rib as the right 8th, but on the left": a contrast that only says a new side
            rest = items[k + 1:next((j for j in range(k + 1, len(items)) if items[j].term.kind == "break"), len(items))]
            kinds = {i.term.kind for i in rest}
            return "side" in kinds and not kinds & {*MENTION, "exclusion", "number"}
        return (item.text in self.no_words and k + 1 < len(items) and not self._prefix_hyphen(items, k)
                and (items[k + 1].text in (",", "-", ".", "!", ";") or self._no_then_article(items, k)
                     # "left psoas, no both sides": both sides are never left out of one side; the "no" corrects
                     or items[k + 1].term.kind == "side" and items[k + 1].term.value == "both")
                and any(i.term.kind in MENTION for i in items[:k]))

    def _no_then_article(self, items: list[Item], k: int) -> bool:
        """"left kidney, no the right one": in English a "no" before an article and a side, number or name says
        no to what was said before it; the language files list these pairs, for in Spanish or Italian the same
        "no" before an article means "not" ("riñón izquierdo, no el derecho" stresses the left one)."""
        if k + 2 >= len(items) or f"{items[k].text} {items[k + 1].text}" not in self.no_before_article:
            return False
        return items[k + 2].term.kind in (*MENTION, "side", "number", "extreme")

    def _renumbered_after(self, named: Item, rest: list[Item]) -> bool:
        """"rib 9 left, um, 10": one number alone after a hesitation, said of a numbered structure, renames it."""
        said = [i for i in rest if i.term.kind != "filler" and any(c.isalnum() for c in i.text)]
        concept = self.ontology[str(named.term.value)] if str(named.term.value) in self.ontology else None
        return len(said) == 1 and said[0].term.kind == "number" and named.term.kind == "concept" \
            and concept is not None and concept.order is not None and bool(re.findall(r"\d+", named.text))

    def _resided_after(self, items: list[Item], named: Item, rest: list[Item]) -> bool:
        """"right adrenal, err, left", "rein gauche, euh, droit": one side alone after a hesitation, said of a
        structure that has a side (in its name or beside it), gives it that side instead."""
        said = [i for i in rest if i.term.kind not in ("filler", "anaphora") and any(c.isalnum() for c in i.text)]
        if len(said) != 1 or said[0].term.kind != "side" or str(said[0].term.value) not in ("left", "right"):
            return False
        position = next((j for j, i in enumerate(items) if i is named), None)
        if position is None:
            return False
        clause = items[_clause_start(items, position):]
        sided = self.laterality(str(named.term.value)) is not None or any(
            i.term.kind == "side" for i in clause[:clause.index(named) + 2])
        return sided and named.term.kind in MENTION

    def _after_description(self, items: list[Item], k: int) -> bool:
        """Whether the marker at `k` is an apposition word ("cioè", "ou seja") said after a description: the
        phrase before it (back to the conjunction or break before that) has a kind ("organ", "vessel") as its first
        noun, not a name ("il rene destro e l'organo sopra, cioè il fegato"; but "il rene destro, cioè il
        sinistro" corrects)."""
        if items[k].text not in self.apposition:
            return False
        j = k - 1
        while j >= 0 and items[j].term.kind == "conjunction" and not items[j].is_word:
            j -= 1  # the comma before the marker
        phrase: list[Item] = []
        while j >= 0 and items[j].term.kind not in ("conjunction", "break"):
            phrase.insert(0, items[j])
            j -= 1
        noun = next((i for i in phrase if i.term.kind in (*MENTION, "head")), None)
        return noun is not None and noun.term.kind == "head"

    def read(self, items: list[Item], typed: list[tuple[str, str]] | None = None) -> Discourse:
        items = self._negated_properties(self._ordinal_dots(self._no_before_a_step(self._no_opening_a_correction(
            list(items)))))
        items, unnamed = self._entry_labels(self._section_labels(self._side_headings(self._side_negated_after(items))))
        items, unseen = self._other_side(self._denied_actions(self._loose_ranges(self._trailing_markers(items))))
        self._universal_but(items)  # "every lung lobe but the left lower": an exception, for the member read next
        items, vague = self._elided_members(self._shared_heads(self._pair_excepted_later(self._named_in_the_plural(items))))
        unseen = unseen + vague + self._finding_denied_asked(items)
        steps = self._unread_steps(items)
        out = Discourse(items=items, scanned=list(items), typed=list(typed or []),
                        unapplied=unnamed + unseen + [" ".join(i.text for i in clause) for _, clause in steps],
                        steps=steps)
        removed: set[int] = set()
        out.choices = self._bare_no(items)
        self._universal_but(items)

        removed |= self._whole_extent(items, out)
        removed |= self._levels(items, out)
        dismissed: set[int] = set()
        # 0. "forget the pancreas", "never mind the gallbladder", "remove stomach": a dismissal followed by what
        #    it dismisses negates that, wherever it was asked for before. Without a structure after it, a
        #    dismissal that is a correction marker ("never mind.") is left to step 1.
        for k, item in enumerate(items):
            if item.text not in self.dismiss:
                continue
            if item.term.kind != "correction" and k + 1 < len(items) and items[k + 1].text == ":":
                # "Remove: kidneys, spleen": a dismissal heading a section dismisses every entry of it, up to the
                # section's end, as "Exclude:" does
                end = next((j for j in range(k + 2, len(items)) if _is_boundary(items[j])), len(items))
                scope = [j for j in range(k + 2, end) if j not in removed]
            else:
                scope = self._scope(items, k, removed, stop_at_negation=True)
            negated = [items[j] for j in scope if items[j].term.kind in MENTION]
            if item.term.kind != "correction" and all(items[j].term.kind == "filler" for j in scope):
                # "die rechte Niere entfernen", "- rechts weglassen": the object said before a final verb
                before = self._dismissed_before(items, k, removed)
                if before == [-1]:
                    out.unapplied.append(item.text)  # "Leber, rechte Niere. links entfernen": no such entry
                    continue
                if before:
                    scope, negated = before, [items[j] for j in before if items[j].term.kind in MENTION]
            if not negated and (entry := self._list_entry(items, k, scope, removed)):
                if entry == [-1]:
                    out.unapplied.append(item.text)  # "liver and spleen. pancreas. drop 1": which entry is 1?
                    continue
                scope = entry  # "1) stomach 2) pancreas -- remove #2", "strike item 3": a numbered list's entry
                negated = [items[j] for j in scope if items[j].term.kind in MENTION]
            if not negated and self._dismisses_unasked_side(items, k, scope, removed):
                # "left adrenal only, never mind the right": the side dismissed is not the one asked for; nothing
                # that was asked changes (never a correction to that side)
                out.rationale.append(f'dismissed ("{item.text}"): the side not asked for')
                removed |= set(scope) | {k}
                dismissed.add(k)
                continue
            if not negated:
                # (a bracket or other mark around the removal says nothing: "kidneys (remove the left one)")
                # ("drop the first and last": ends of what was asked, as "except the first and last" says)
                if scope and any(items[j].term.kind in ("side", "number", "extreme") for j in scope) \
                        and all(items[j].term.kind in ("side", "number", "extreme", "filler", "anaphora")
                                or items[j].term.kind == "conjunction" and items[j].is_word
                                or not any(c.isalnum() for c in items[j].text) for j in scope):
                    ends = any(items[j].term.kind == "extreme" or items[j].term.kind == "number"
                               and items[j].term.value == 1 and not items[j].text.isdigit() for j in scope) \
                        and any(items[j].term.kind in MENTION for j in range(k))  # ("the first": an end)
                    if not ends and self._group_asked(items, k, removed) and any(
                            items[j].term.kind == "number" for j in scope) and not self._numbered_asked(items, k, removed):
                        out.unapplied.append(item.text)  # "the kidneys. remove the second": they have no numbers
                    elif ends or self._group_asked(items, k, removed):
                        # "the kidneys. remove the left": a side or number with no entry of its own removes that
                        # member of what was asked, as an exception does; never a side said of what is asked (so
                        # do the ends of what was asked: "ribs 7-12 but drop the first and last")
                        items[k] = Item(item.start, item.end, Term("exclusion", item.text, "language"), item.text)
                    elif item.term.kind != "correction" and any(items[j].term.kind in MENTION for j in range(k)):
                        out.unapplied.append(item.text)  # "spleen, right kidney. remove the left": no such entry
                continue
            out.negated.append([items[j] for j in scope if items[j].term.kind in MENTION + MODIFIERS])
            out.rationale.append(f'dismissed ("{item.text}"): ' + ", ".join(i.text for i in negated))
            removed |= {j for j in scope if items[j].term.kind in MENTION + MODIFIERS} | {k}
            dismissed.add(k)

        removed |= self._restricted(items, removed, out)

        # 1. Corrections, left to right: each withdraws the clause said just before it.
        k = 0
        while k < len(items):
            # (past other correction markers: "oh actually drop the pancreas")
            following = next((j for j in range(k + 1, len(items)) if j in dismissed or (
                items[j].term.kind not in ("filler", "break") and items[j].text not in (",", "-")
                and not self._is_correction(items, j))), None)
            if self._is_correction(items, k) and (following in dismissed or self._negates_said(items, k, following)
                                                  or self._object_of_its_own(items, k)):
                # "actually, remove the spleen", "wait, no spleen": the removal is the correction; "P.S.
                # disregard safety checks": an instruction about something else takes nothing back
                removed.add(k)
            if k in removed or not self._is_correction(items, k):
                k += 1
                continue
            end = k
            while end + 1 < len(items) and (items[end + 1].term.kind in GROUP_GLUE or self._is_correction(items, end + 1)):
                if items[end + 1].term.kind == "filler" and not any(
                        self._is_correction(items, j) for j in range(end + 2, min(len(items), end + 4))):
                    break
                end += 1
            following = [i for i in items[end + 1:] if i.term.kind not in ("filler", "break")]
            additive = (bool(following) and following[0].text in self.additive) or any(
                items[j].text in self.additive for j in range(k + 1, end + 1)) or self._adds_later(items, end)
            after = items[end + 1:]
            names_new = any(i.term.kind in MENTION for i in after)
            bare_new = any(i.term.kind in ("side", "number") for i in after)
            before = [j for j in range(k) if j not in removed]
            # the clause before the marker, skipping the punctuation that leads into it
            last = max((j for j in before if items[j].term.kind in MENTION), default=None)
            if not (names_new or bare_new) and last is not None and not following and any(
                    items[j].text in self.additive for j in range(_clause_start(items, last), k)):
                additive = True  # "the pancreas. oh and also the duodenum actually": "actually" stresses the addition
            if additive or last is None or not (names_new or bare_new):
                if last is not None and not additive and not (names_new or bare_new):
                    start = _clause_start(items, last)
                    span = [j for j in range(start, k) if j not in removed]
                    withdrawn = [items[j] for j in span if items[j].term.kind in MENTION]
                    if len(withdrawn) == 1 and (words := self._replacing_words(items, end)):
                        out.retold.append(([items[j] for j in span if items[j].term.kind in (*MENTION, "side")], words))
                    out.withdrawn.append(withdrawn)
                    removed |= {j for j in span if items[j].term.kind in MENTION + MODIFIERS}
                    out.rationale.append(f'withdrawn ("{items[k].text}"): ' + ", ".join(i.text for i in withdrawn))
                removed |= set(range(k, end + 1))
                k = end + 1
                continue
            start = _clause_start(items, last)
            span = [j for j in range(start, k) if j not in removed]
            said_after = [i for i in items[k + 1:] if i.term.kind not in ("filler", "break", "correction")
                          and i.text not in (",", "-")]
            if names_new and said_after and said_after[0].term.kind == "range" and any(
                    items[j].term.kind == "range" for j in span if j < last):
                # "T11 to L1, correction: to L2": a correction that opens with a range word says a new end; the
                # range's start stays
                span = [j for j in span if j > max(j for j in span if items[j].term.kind == "range")]
                removed |= set(span)  # (the old end and the comma after it: the range's word joins the new end)
            withdrawn = [items[j] for j in span if items[j].term.kind in MENTION]
            out.withdrawn.append(withdrawn)
            if names_new:
                self._keep_same_side(items, span, end)
                side = self._side_unsaid_of_same_noun(items, span, end)
                removed |= {j for j in span if items[j].term.kind in MENTION + MODIFIERS
                            and not (side and items[j].term.kind == "side")}
                if side and not any(items[j].term.kind == "side" for j in span):
                    # the side was part of the withdrawn name ("rib 11 on the right"): it stays as a side word
                    j = max(j for j in span if items[j].term.kind in MENTION)
                    items[j] = Item(items[j].start, items[j].end, Term("side", side, "language"), side)
                    removed.discard(j)
            else:  # only a new side or number: keep the noun, drop what it said before of that kind
                said = {i.term.kind for i in after if i.term.kind in ("side", "number")}
                self._renumber(items, span, after)
                removed |= {j for j in span if items[j].term.kind in MODIFIERS
                            and (items[j].term.kind in said or items[j].term.kind not in ("side", "number"))}
                new_sides = {str(i.term.value) for i in after if i.term.kind == "side"}
                for j in span:
                    mirror = self._pair_of(str(items[j].term.value)) if items[j].term.kind == "concept" else None
                    if mirror and "number" not in said and new_sides == {self.laterality(mirror)}:
                        # "left 9th rib, sorry, right": the same structure on the other side, number and all
                        items[j] = Item(items[j].start, items[j].end, Term("concept", mirror, items[j].term.source),
                                        items[j].text)
                        continue
                    # a lateral name keeps its side when the correction says none ("left ribs 9 and 10, no, 10
                    # and 11"): only a new side makes it the bare noun of its pair
                    if items[j].term.kind == "concept" and ("side" in said or not self.laterality(str(items[j].term.value))):
                        items[j] = Item(items[j].start, items[j].end, Term("singular", self.family(str(items[j].term.value)),
                                                                           items[j].term.source), items[j].text)
            # the breaks between the withdrawn clause and the correction go, so the correction inherits its asking
            removed |= {j for j in range(last, end + 1) if items[j].term.kind in ("break", "range")}
            removed |= set(range(k, end + 1))
            out.rationale.append(f'withdrawn ("{items[k].text}"): ' + ", ".join(i.text for i in withdrawn)
                                 + ("; the last correction wins" if names_new else "; its side or number is replaced"))
            k = end + 1

        # 2. "instead of X", "rather than X": X is withdrawn.
        for k, item in enumerate(items):
            if k in removed or item.term.kind != "withdraw":
                continue
            scope = self._scope(items, k, removed)
            withdrawn = [items[j] for j in scope if items[j].term.kind in MENTION]
            if withdrawn:
                out.withdrawn.append(withdrawn)
                out.rationale.append(f'withdrawn ("{item.text}"): ' + ", ".join(i.text for i in withdrawn))
            removed |= {j for j in scope if items[j].term.kind in MENTION + MODIFIERS} | {k}

        # 3. A negation before anything is asked for in its clause negates what follows it, up to the next
        #    boundary ("no liver", "do not segment the spleen, only the liver", "neither X nor Y", "not X but Y").
        for k, item in enumerate(items):
            if k in removed or item.term.kind != "exclusion" or not self._negates(item):
                continue
            start = _clause_start(items, k)
            earlier = [j for j in range(start, k) if j not in removed and items[j].term.kind in MENTION]
            scope = self._scope(items, k, removed, stop_at_negation=True)
            # ("range": the infinitive's "to" of "not to segment:", which names no end of a range here)
            colon = next((j for j in range(k + 1, len(items))
                          if items[j].term.kind not in ("action", "filler", "range")), None)
            if earlier and colon is not None and items[colon].text in self.list_marks:
                removed.add(colon)  # "the kidneys, except: left kidney": the colon only introduces what is excepted
                continue
            if earlier and (rest := self._remainder_restated(items, k, removed)):
                # "the bowel excluding the colon: duodenum and small bowel": after the excepted structure, a colon
                # and a list restate what is left; the exclusion ends at the colon, the list adds nothing to it
                removed |= set(rest)
                out.rationale.append("what is left, restated after the exception: "
                                     + ", ".join(items[j].text for j in rest if items[j].term.kind in MENTION))
            if not earlier and colon is not None and items[colon].text in self.list_marks:
                # a labelled section ("not needed: colon", "Do not segment: stomach, spleen"): the label negates
                # its whole list, up to the end of the section
                stop = next((j for j in range(colon + 1, len(items)) if items[j].term.kind == "break"), len(items))
                scope = [j for j in range(colon + 1, stop) if j not in removed]
            scope += self._list_after_a_universal(items, k, scope, removed)
            negated = [items[j] for j in scope if items[j].term.kind in MENTION]
            if not negated and not earlier and scope and all(
                    items[j].term.kind in ("number", "filler") for j in scope) and (
                    entry := self._list_entry(items, k, scope, removed)):
                # "liver, spleen, pancreas - skip the third", "not #2": an entry of the list said before
                if entry == [-1]:
                    out.unapplied.append(item.text)
                    continue
                scope, negated = entry, [items[j] for j in entry if items[j].term.kind in MENTION]
            # A side refused on its own is no side of the structure named after it: "not the right but the left
            # kidney", "nicht die rechte, sondern die linke Niere" (the structure after the contrast word holds its
            # own side), "skip the left, right kidney only" (said before a structure that is not on the other side,
            # "skip the left, kidneys", it is not read)
            refusal = None if negated else next(
                ((found, why) for check, why in ((self._side_contrasted, "the side refused before the contrast"),
                                                 (self._side_declined_first, "the side not asked for"))
                 if (found := check(items, k, scope, removed))), None)
            if refusal is not None:
                removed |= set(scope) | {k}
                if refusal[0] == "unread":
                    out.unapplied.append(item.text)
                else:
                    out.rationale.append(f'declined ("{item.text}"): {refusal[1]}')
                continue
            pronoun = not negated and any(items[j].text in self.pronouns for j in scope)
            end = next((j for j in range(k + 1, len(items)) if items[j].term.kind == "break"), len(items))
            rest = [items[j] for j in range(k + 1, end) if j not in removed]
            if earlier and not negated and rest and all(i.term.kind in ("action", "filler") for i in rest) \
                    and any(i.term.kind == "action" for i in rest):
                # "Leber bitte nicht segmentieren", "the liver please don't segment": the negation of the action,
                # said after its object, negates what the clause named
                scope, negated = earlier, [items[j] for j in earlier]
            elif earlier and not pronoun and (own := self._postposed(items, k, start, removed)):
                # "de linker nier niet, alleen de rechter", "the spleen is not needed, only the liver", "spleen
                # no": a negation with no object of its own, said right after a structure, negates that structure
                scope, negated = own, [items[j] for j in own if items[j].term.kind in MENTION]
            elif earlier and not pronoun:
                continue  # "the kidneys, not the left one": an exclusion from a target, read by the parser
            if pronoun:
                # "The liver was normal; no need to segment it.": the pronoun is the structure said before
                antecedent = max((j for j in range(k) if j not in removed and items[j].term.kind in MENTION),
                                 default=None)
                if antecedent is not None:
                    scope = [antecedent] + [j for j in range(antecedent + 1, k) if items[j].term.kind in MODIFIERS
                                            and j not in removed and items[j].start == items[antecedent].end]
                    negated = [items[antecedent]]
            if not negated:
                continue
            after = {(i.term.kind, i.term.value) for j, i in enumerate(items) if j > max(scope + [k])
                     and j not in removed and i.term.kind in MENTION}
            again = {value for _, value in after}
            if all((i.term.kind, i.term.value) in after or self.family(str(i.term.value)) in again for i in negated) and items[max(scope + [k])].start < len(
                    items) and self._postposed(items, k, _clause_start(items, k), removed):
                # "hemi-liver volume not needed, just whole liver": the structure is asked for again after its
                # negation; the later asking wins, as a correction does
                out.withdrawn.append([items[j] for j in scope if items[j].term.kind in MENTION + MODIFIERS])
                out.rationale.append(f'withdrawn ("{item.text}"): ' + ", ".join(i.text for i in negated)
                                     + "; asked for again after it")
                removed |= {j for j in scope if items[j].term.kind in MENTION + MODIFIERS} | {k}
                continue
            out.negated.append([items[j] for j in scope if items[j].term.kind in MENTION + MODIFIERS])
            out.rationale.append(f'negated ("{item.text}"): ' + ", ".join(i.text for i in negated) + "; never a target")
            removed |= {j for j in scope if items[j].term.kind in MENTION + MODIFIERS} | {k}

        out.items = [item for j, item in enumerate(items) if j not in removed
                     and item.term.kind not in ("correction", "withdraw", "contrast")]
        self._reattach_bare_side(out)
        self._both_over_other(out)
        return out

    @staticmethod
    def _ordinal_dots(items: list[Item]) -> list[Item]:
        """"Fraktur der 10. und 11. Rippe links": numbers with an ordinal's dot, joined by a conjunction, before the
        name they number, are no sentence ends (each dot had cut the report's clause in three, and "die gebrochenen
        Rippen" then found no rib named before: every rib was answered). A number and its dot alone are left as
        they are ("rib 10. Liver normal" ends a sentence)."""
        dots: set[int] = set()
        k = 0
        while k + 3 < len(items):
            run, j = [], k
            while j + 1 < len(items) and items[j].term.kind == "number" and items[j + 1].text == "." \
                    and items[j + 1].term.kind == "break":
                run.append(j + 1)
                if j + 3 < len(items) and items[j + 2].term.kind == "conjunction":
                    j += 3
                    continue
                break
            if len(run) >= 2 and run[-1] + 1 < len(items) and items[run[-1] + 1].term.kind in MENTION:
                dots |= set(run)
            k = max(j, k) + 1
        return [item for n, item in enumerate(items) if n not in dots]

    def _negated_properties(self, items: list[Item]) -> list[Item]:
        """"non-displaced fractures of left ribs 10 and 11", "fractures non déplacées des côtes": a negation joined
        to the word after it by a hyphen, or said inside a phrase right before a word no list knows (an adjective),
        denies only that word; it never negates the structures said after it. The two are read as one unknown
        word ("non-displaced"), so that no later reader takes the negation for one of the clause. Only in a
        report's clause: where the request asks, "the non-fractured ribs" keeps its negation."""
        out: list[Item] = []
        k = 0
        while k < len(items):
            item = items[k]
            joined = self._property_negated(items, k)
            if joined:
                word = items[k + joined]
                text = f"{item.text}-{word.text}"
                out.append(Item(item.start, word.end, Term("unknown", text, "language"), text))
                k += joined + 1
                continue
            out.append(item)
            k += 1
        return out

    def _finding_denied_asked(self, items: list[Item]) -> list[str]:
        """"Segment the non-fractured ribs": a finding denied by a prefix where the request asks chooses the
        structures without that finding, which no reader reads (read as "fractured", the answer is the opposite
        of what was asked): it is returned as not applied."""
        return [f"{items[k].text}-{items[k + 2].text}" for k in range(len(items))
                if items[k].term.kind == "exclusion" and self._negates(items[k]) and self._prefix_hyphen(items, k)
                and items[k + 2].text in self.predicates and self._in_asking_clause(items, k)]

    @staticmethod
    def _in_asking_clause(items: list[Item], k: int) -> bool:
        stop = next((j for j in range(k, len(items)) if items[j].term.kind == "break"), len(items))
        return any(i.term.kind == "action" for i in items[_clause_start(items, k):stop])

    def _prefix_hyphen(self, items: list[Item], k: int) -> bool:
        """Whether the word at `k` is joined by a hyphen to a plain word after it ("non-fractured"): a prefix,
        never a correction "no - ..." (that names a side, a number or a structure after it, or an article: "liver,
        no — the spleen", where the tokenizer has made the dash a hyphen)."""
        return k + 2 < len(items) and items[k + 1].text == "-" and items[k + 2].term.kind in ("unknown", "filler") \
            and items[k + 2].text.isalpha() and items[k + 2].text not in self.articles

    def _property_negated(self, items: list[Item], k: int) -> int:
        """How far after the negation at `k` the one word it denies lies (2 after a hyphen, 1 inside a phrase), or
        0 when it is no such negation."""
        item = items[k]
        if item.term.kind != "exclusion" or " " in item.text or not self._negates(item) or k + 1 >= len(items):
            return 0
        if self._in_asking_clause(items, k):
            return 0  # "segment the non-fractured ribs": in the asking clause it still excepts (or asks)
        nxt = items[k + 1]
        if self._prefix_hyphen(items, k):
            return 2
        # ("without its top": a preposition of exclusion before a word is no adjective's negation)
        # (a copula is no adjective: "psoas que no sea el derecho" excepts the side)
        inside = k > 0 and item.text in self.no_words and nxt.term.kind == "unknown" and nxt.text.isalpha() \
            and nxt.text not in self.copulas \
            and items[k - 1].term.kind in ("filler", "unknown", *MENTION) and items[k - 1].text.isalpha()
        return 1 if inside else 0

    def _adds_later(self, items: list[Item], end: int) -> bool:
        """"both kidneys; actually add both adrenals too": an additive word anywhere in the clause after a
        correction marker makes the marker add, not withdraw."""
        stop = next((j for j in range(end + 1, len(items)) if _is_boundary(items[j])), len(items))
        return any(items[j].text in self.additive for j in range(end + 1, stop))

    def _side_contrasted(self, items: list[Item], k: int, scope: list[int], removed: set[int]) -> str | None:
        """Whether the negation at `k` refuses only a side or a number, before a contrast word that is followed by
        a structure: "other" when that structure is said with another side or number only, "unread" when it is
        not (none, the same, both), else None (no such contrast)."""
        said_first = [items[j] for j in scope if items[j].term.kind != "filler"]
        kinds = {i.term.kind for i in said_first}
        if len(kinds) != 1 or not kinds <= {"side", "number"} \
                or any(items[j].term.kind in MENTION for j in range(_clause_start(items, k), k) if j not in removed):
            return None
        turn = next((j for j in range(max(scope) + 1, len(items))
                     if items[j].term.kind != "filler" and items[j].text not in (",", ";")), None)
        if turn is None or items[turn].term.kind != "contrast":
            return None
        end = next((j for j in range(turn + 1, len(items)) if _is_boundary(items[j])), len(items))
        following = [items[j] for j in range(turn + 1, end) if j not in removed]
        named = [i for i in following if i.term.kind in MENTION]
        if not named:
            return None
        refused = {str(i.term.value) for i in said_first}
        said = self._sides_said(following, named) if "side" in kinds else self._numbers_said(following, named)
        plain = said <= {"left", "right"} if "side" in kinds else True
        return "other" if said and refused.isdisjoint(said) and plain else "unread"

    def _sides_said(self, following: list[Item], named: list[Item]) -> set[str]:
        return {str(i.term.value) for i in following if i.term.kind == "side"} \
            | {side for i in named if (side := self.laterality(str(i.term.value)))}

    @staticmethod
    def _numbers_said(following: list[Item], named: list[Item]) -> set[str]:
        """The numbers said after the contrast: number words and the number in a numbered name ("12th left rib")."""
        return {str(i.term.value) for i in following if i.term.kind == "number"} \
            | {n for i in named if i.term.kind == "concept" for n in re.findall(r"\d+", i.text)}

    def _both_over_other(self, out: Discourse) -> None:
        """"Left hydronephrosis. Compare with the contralateral side: segment both.": "both" said alone, as what
        is asked, after "the other side" means the structure and its pair; the other-side words only led to it."""
        both = self._both_words
        if not any(i.text in both for i in out.items) or any(i.term.kind in MENTION for i in out.items):
            return
        kept = [i for i in out.items if i.text not in self.other_words]
        if len(kept) < len(out.items):
            out.rationale.append('"both" after the other side: the structure and its pair')
            out.items = kept

    def _side_declined_first(self, items: list[Item], k: int, scope: list[int], removed: set[int]) -> str | None:
        """Whether the negation at `k` opens the request and refuses only a side, in a clause of its own, before a
        structure: "other" when what follows is said on the other side only, "unread" when it is not (a group,
        the same side, no side), else None."""
        sides = {str(items[j].term.value) for j in scope if items[j].term.kind == "side"}
        if len(sides) != 1 or any(items[j].term.kind not in ("side", "filler", "anaphora") for j in scope) \
                or any(i.term.kind in MENTION for i in items[:k]):
            return None  # ("not the left one - the right psoas": "one" is the noun said after it)
        stop = max(scope) + 1
        if stop >= len(items) or items[stop].text not in (",", ";", "-") and items[stop].term.kind != "break":
            return None
        end = next((j for j in range(stop + 1, len(items)) if _is_boundary(items[j]) or items[j].text in (",", ";")),
                   len(items))
        following = [j for j in range(stop + 1, end) if j not in removed]
        named = [j for j in following if items[j].term.kind in MENTION]
        if not named:
            return None
        said = {str(items[j].term.value) for j in following if items[j].term.kind == "side"} \
            | {side for j in named if (side := self.laterality(str(items[j].term.value)))}
        return "other" if said and sides.isdisjoint(said) and said <= {"left", "right"} else "unread"

    def _dismisses_unasked_side(self, items: list[Item], k: int, scope: list[int], removed: set[int]) -> bool:
        """Whether the dismissal at `k` names, right after it, only a side, and the structure said just before is
        a lateral one of the other side ("the left kidney, forget the right")."""
        if k + 1 >= len(items) or not any(c.isalnum() for c in items[k + 1].text):
            return False  # "left adrenal, never mind, the right": after a pause the side is a correction
        sides = {str(items[j].term.value) for j in scope if items[j].term.kind == "side"}
        if len(sides) != 1 or any(items[j].term.kind not in ("side", "filler", "anaphora") for j in scope):
            return False
        last = max((j for j in range(k) if j not in removed and items[j].term.kind in MENTION), default=None)
        if last is None and scope:
            # "not the left one - the right psoas": the structure of the other side is said after it
            last = min((j for j in range(scope[-1] + 1, len(items)) if items[j].term.kind in MENTION), default=None)
        if last is None or items[last].term.kind != "concept":
            return False
        side = self.laterality(str(items[last].term.value))
        return side is not None and side not in sides

    def _renumber(self, items: list[Item], span: list[int], after: list[Item]) -> None:
        """"rib 9 left, oops, meant 10", "L1, sorry, 2": a correction that says only a new number names the
        member of the same series, on the same side, with that number."""
        numbers = [i.term.value for i in after if i.term.kind == "number"]
        if len(numbers) != 1 or any(i.term.kind == "side" for i in after):
            return
        number = numbers[0][0] if isinstance(numbers[0], (list, tuple)) and len(numbers[0]) == 1 else numbers[0]
        for j in span:
            if items[j].term.kind != "concept" or str(items[j].term.value) not in self.ontology:
                continue
            said = self.ontology[str(items[j].term.value)]
            if said.series is None or str(said.order) not in re.findall(r"\d+", items[j].text):
                continue  # "T12" is the 19th vertebra: its number is no place in the series
            other = next((c.id for c in self.ontology.concepts.values() if c.series == said.series
                          and c.laterality == said.laterality and str(c.order) == str(number)), None)
            if other:
                items[j] = Item(items[j].start, items[j].end, Term("concept", other, items[j].term.source), items[j].text)

    def _restricted(self, items: list[Item], removed: set[int], out: Discourse) -> set[int]:
        """"aorta, IVC - keep only the IVC", "- liver - spleen - just the spleen", "Leber und Milz. Nur die Milz":
        a clause after a pause that opens with a restriction word and names structures already asked for keeps
        only those; the others said before it are withdrawn. Naming something not asked before, it may be a
        correction or an addition: it is returned as not applied (a question). Returns the indices withdrawn."""
        gone: set[int] = set()
        for k, item in enumerate(items):
            if k in removed or " ".join(_fold(t) for t in item.text.split()) not in self.restriction:
                continue
            start = _clause_start(items, k)
            dash = max((j for j in range(start, k) if items[j].text == "-"), default=None)
            if dash is not None and all(items[j].term.kind == "filler" for j in range(dash + 1, k)):
                # "hígado y bazo - solo el hígado": the dash is a pause, no range
                items[dash] = Item(items[dash].start, items[dash].end, Term("break", ".", "language"), "-")
                start = dash + 1
            comma = max((j for j in range(start, k) if items[j].text in (",", ";")), default=None)
            if comma is not None and all(items[j].term.kind == "filler" for j in range(comma + 1, k)) \
                    and not any(items[j].term.kind in ("exclusion", "correction", "withdraw") or self._negates(items[j])
                                for j in range(start, comma)):
                start = comma + 1  # "liver and spleen, only the spleen": the comma is the pause ("not the liver,
                # just the gallbladder" is read by the negation)
            contrast = max((j for j in range(start, k) if items[j].term.kind == "contrast"), default=None)
            by_contrast = contrast is not None and all(items[j].term.kind == "filler" for j in range(contrast + 1, k))
            if by_contrast:
                start = contrast + 1  # "the lungs but only the lower lobes"
            stop = next((j for j in range(k, len(items)) if items[j].term.kind == "break"), len(items))
            if start == 0 or items[start - 1].text in self.list_marks or any(items[j].term.kind not in ("filler", "unknown", "action")
                                 for j in range(start, k) if j not in removed):
                continue
            first = next((j for j in range(k + 1, stop) if j not in removed and items[j].term.kind not in (
                "filler", "action") and not (j == k + 1 and items[j].term.kind == "unknown")), None)
            if first is None or items[first].term.kind not in MENTION:
                continue  # "only if visible", "just below the liver": no structure kept
            kept = {str(items[j].term.value) for j in range(k + 1, stop) if j not in removed
                    and items[j].term.kind in MENTION}
            earlier = [j for j in range(start) if j not in removed | gone and items[j].term.kind in MENTION]
            if not earlier or self._denied_since(items, max(earlier), start) or all(
                    any(items[n].term.kind == "exclusion" or self._negates(items[n])
                        for n in range(_sentence_start(items, j), j)) for j in earlier):
                continue  # ("I don't want the colon - only the small bowel": nothing before was asked for)
            within = set().union(*(self.ontology.descendants(str(items[j].term.value)) | {str(items[j].term.value)}
                                   for j in earlier if str(items[j].term.value) in self.ontology))
            within |= {str(items[j].term.value) for j in earlier}
            # a group kept ("only the lower lobes" of the lungs) is within when all its parts are
            if not all(c in within or (c in self.ontology and self.ontology.descendants(c)
                                       and self.ontology.descendants(c) <= within) for c in kept):
                if by_contrast:
                    continue  # "both kidneys but only the right adrenal": an addition, read as it is
                if not any(i.text in self.predicates for i in items[:start]):
                    out.unapplied.append(item.text)  # "liver. only the spleen": a change or an addition?
                continue  # "T12 metastasis. Just the spinal cord": what was said before is a finding's site
            drop = [j for j in earlier if str(items[j].term.value) not in kept]
            gone |= {j for j in range(start) if j not in removed and (j in drop or items[j].term.kind in MODIFIERS
                                                                        and any(d < j for d in drop))}
            out.withdrawn.append([items[j] for j in drop])
            out.rationale.append(f'restricted ("{item.text}"): keeps '
                                 + ", ".join(items[j].text for j in range(k + 1, stop) if items[j].term.kind in MENTION)
                                 + "; withdrawn: " + ", ".join(items[j].text for j in drop))
        return gone

    def _denied_since(self, items: list[Item], last: int, start: int) -> bool:
        """Whether a correction or a negation said between the last structure (`last`) and the clause at `start`
        already withdrew it ("kidneys? no, neither. only the pancreas"): the restriction then names a new target."""
        return any(items[j].term.kind == "correction" or items[j].text in self.no_words or self._negates(items[j])
                   for j in range(last + 1, start))

    def _side_headings(self, items: list[Item]) -> list[Item]:
        """"RIGHT SIDE / - kidney / - psoas / LEFT SIDE / - kidney": a line that is only a side, opening the request,
        heads the lines under it up to the next such line, as "Right side: kidney, psoas" does; it is read so (a
        colon after the heading, commas between its entries). Only when every other line is a plain list of
        structures with no side of their own."""
        clauses: list[list[int]] = [[]]
        for j, item in enumerate(items):
            if item.term.kind == "break" and item.text in (".", ";"):
                clauses.append([])
            else:
                clauses[-1].append(j)
        heads = [n for n, c in enumerate(clauses) if c and all(items[j].term.kind in ("side", "filler") for j in c)
                 and any(items[j].term.kind == "side" for j in c)]
        if not heads or heads[0] != 0 or len(clauses) < 2:
            return items
        entries = [c for n, c in enumerate(clauses) if n not in heads]
        if not entries or any(n + 1 in heads or n + 1 == len(clauses) for n in heads) or not all(
                c and all(items[j].term.kind in (*MENTION, "filler", "conjunction") for j in c)
                and any(items[j].term.kind in MENTION for j in c) for c in entries):
            return items
        if any(items[j].term.kind == "concept" and self.laterality(str(items[j].term.value)) for c in entries for j in c):
            return items  # an entry with a side of its own: the heading may not be meant for it
        out = list(items)
        for n in range(1, len(clauses)):
            j = clauses[n - 1][-1] + 1 if clauses[n - 1] else None
            if j is None or j >= len(items) or items[j].term.kind != "break":
                continue
            mark, kind = (":", "break") if n - 1 in heads else (",", "conjunction")
            if n in heads:
                continue  # the break before the next heading stays
            out[j] = Item(items[j].start, items[j].end, Term(kind, mark, "language"), mark)
        return out

    def _section_labels(self, items: list[Item]) -> list[Item]:
        """"Organs: gallbladder. Spine: discs": a heading that is itself a structure's name, over a section whose
        entries are structures outside it, only names the section; it is read as a label, never a target. A
        heading stays a target when its entries say something of it: its sides or numbers ("Kidneys: left,
        right"), its own parts ("Spine: T12, L1", "Left lung: upper lobe"), a finding or a comment ("Liver:
        steatosis", "Liver: the whole organ")."""
        out = list(items)
        for k, item in enumerate(items):
            if item.text not in self.list_marks:
                continue
            start = _clause_start(items, k)
            head = [j for j in range(start, k) if items[j].term.kind in MENTION]
            if len(head) != 1 or any(items[j].term.kind not in (*MENTION, "filler") for j in range(start, k)):
                continue
            stop = next((j for j in range(k + 1, len(items)) if items[j].term.kind == "break"), len(items))
            entries = items[k + 1:stop]
            named = [str(i.term.value) for i in entries if i.term.kind in MENTION]
            if not named or any(i.term.kind not in (*MENTION, *MODIFIERS, "conjunction", "filler") or (
                    i.term.kind == "filler" and i.text in self.predicates) for i in entries):
                continue
            heading = str(items[head[0]].term.value)
            if heading not in self.ontology or any(c not in self.ontology for c in named):
                continue
            scope = self.ontology.descendants(heading) | {heading}
            if any(c in scope or (self.ontology.descendants(c) | set(self.ontology[c].within)) & scope
                   for c in named):
                continue  # an entry is a part of the heading ("Left lung: lower lobe"), or lies in it
            j = head[0]
            out[j] = Item(items[j].start, items[j].end, Term("filler", items[j].text, "language"), items[j].text)
        return out

    def _side_negated_after(self, items: list[Item]) -> list[Item]:
        """"autochthon and iliopsoas, left side excluded", "Nieren, links nicht", "reins, gauche exclu": a side or
        number set off after the structures and followed by a negation that ends its clause is what the negation
        excepts. The negation is read before it ("..., excluded left side"), so the parser removes that side
        instead of selecting it."""
        out = list(items)
        for k, item in enumerate(items):
            if item.term.kind != "exclusion" or not self._negates(item):
                continue
            stop = next((j for j in range(k + 1, len(items)) if _is_boundary(items[j]) or items[j].text in (",", ";")),
                        len(items))
            if any(items[j].term.kind != "filler" for j in range(k + 1, stop)):
                continue  # the negation has an object of its own
            comma = k - 1
            while comma >= 0 and items[comma].term.kind in ("side", "number", "filler"):
                comma -= 1
            own = [j for j in range(comma + 1, k) if items[j].term.kind in ("side", "number")]
            if not own or comma < 0 or items[comma].text not in (",", ";") \
                    or not any(i.term.kind in MENTION for i in items[_clause_start(items, comma):comma]):
                continue
            out = out[:comma + 1] + [items[k]] + out[comma + 1:k] + out[k + 1:]
            return out
        return out

    @staticmethod
    def _replacing_words(items: list[Item], end: int) -> list[Item]:
        """The words a correction says after its marker at `end` when they name nothing and are neither a step
        nor a pronoun ("..., no, upper", "..., sorry, lower"): one or two words, up to the clause's end."""
        stop = next((j for j in range(end + 1, len(items)) if items[j].term.kind == "break"), len(items))
        words = [i for i in items[end + 1:stop] if any(c.isalnum() for c in i.text)]
        if not 1 <= len(words) <= 2 or any(i.term.kind not in ("filler", "unknown") for i in words):
            return []
        return words

    def _trailing_markers(self, items: list[Item]) -> list[Item]:
        """"stomach, sorry, pancreas I mean", "gallbladder - duodenum, I meant", "le pancréas je voulais dire": a
        correction marker said after the name it confirms, with nothing after it in its clause, is read where it
        belongs, before that name ("..., I mean pancreas"); the corrections then read it as any other."""
        out = list(items)
        said = [k for k, i in enumerate(out) if any(c.isalnum() for c in i.text)]
        if len(said) > 1 and out[said[-1]].term.kind == "correction" and out[said[-1]].text not in self.trailing:
            # "right iliopsoas er left sorry", "pancreas - no, the duodenum instead, sorry": a marker that ends a
            # request already corrected apologises for that correction; it takes nothing back
            before = out[:said[-1]] + out[said[-1] + 1:]
            if any(self._is_correction(before, k) for k in said[:-1]):
                out = before
        for _ in range(len(items)):
            k, bare = next(((k, bare) for k, i in enumerate(out) if i.term.kind == "correction" and self._trails(out, k)
                            and ((bare := self._bare_after_a_name(out, k)) or i.text in self.trailing)), (None, None))
            if k is None:
                break
            if bare:
                # "right psoas, um, both actually", "left kidney, right actually": any correction marker after a
                # bare side or number set off from the name before it is read before that side
                out = out[:bare] + [out[k]] + out[bare:k] + out[k + 1:]
                continue
            end = k
            while end > 0 and out[end - 1].text in (",", ";"):
                end -= 1  # "duodenum, I meant"
            start = end
            while start > 0 and (out[start - 1].term.kind in (*MENTION, *MODIFIERS, "filler", "anaphora")
                                 or out[start - 1].term.kind == "conjunction" and out[start - 1].is_word):
                start -= 1
            if not any(i.term.kind in MENTION for i in out[start:end]):
                # "aorta, er, the vein beside it instead": what it confirms is placed by a word it cannot move over
                # (the correction before it says the same), so it is dropped rather than moved into the phrase
                out = out[:k] + out[k + 1:]
                continue
            out = out[:start] + [out[k]] + out[start:k] + out[k + 1:]
        return out

    def _bare_after_a_name(self, items: list[Item], k: int) -> int | None:
        """Where the bare sides or numbers said right before the marker at `k` begin, when a comma sets them off
        from a name said before them; else None."""
        start = k
        while start > 0 and items[start - 1].term.kind in ("side", "number"):
            start -= 1
        comma = start - 1
        while comma >= 0 and items[comma].term.kind == "filler":
            comma -= 1
        if start == k or comma < 1 or items[comma].text != "," \
                or not any(i.term.kind in MENTION for i in items[:comma]):
            return None
        return start

    def _trails(self, items: list[Item], k: int) -> bool:
        """Whether the marker at `k` follows a name or side (perhaps after a comma) and ends its clause."""
        stop = next((j for j in range(k + 1, len(items)) if items[j].term.kind == "break"), len(items))
        if any(items[j].term.kind != "filler" and any(c.isalnum() for c in items[j].text) for j in range(k + 1, stop)):
            return False
        j = k - 1
        while j >= 0 and (items[j].text in (",", ";") or items[j].term.kind == "filler"):
            j -= 1
        return j >= 0 and items[j].term.kind in (*MENTION, "side", "number", "anaphora")

    def _unread_steps(self, items: list[Item]) -> list[tuple[list[Item], list[Item]]]:
        """"T12 - one lower", "L1... the one above", "L2 - go up one": a step from the structure said before,
        said in a clause of its own with a count and a direction but no level word, is read by no part (the step
        reader needs "level"); it changes the answer, so it is returned as not applied: a question, never the
        structure before it. With a pronoun ("the one above it") a relation reads it. Each: (the structures said
        before it, with what lies between them and the step; the step's clause)."""
        found = []
        bounds = [-1] + [j for j, i in enumerate(items) if _is_boundary(i) or i.text in (",", ";", "-")] + [len(items)]
        for low, high in zip(bounds, bounds[1:]):
            clause = items[low + 1:high]
            words = {" ".join(_fold(t) for t in i.text.split()) for i in clause}
            said = next((i for i in reversed(items[:low + 1]) if i.term.kind in MENTION), None)
            # "L2, nein, ein Wirbel höher", "L2. one vertebra higher": the series' own noun counts the step
            series = [i for i in clause if i.term.kind in MENTION and said is not None
                      and self._series_noun_of(str(i.term.value), str(said.term.value))]
            if not clause or len(clause) > MAX_STEP_WORDS or not words & self.step_words or words & self.level_words \
                    or any(i.term.kind not in ("number", "anaphora", "filler", "unknown") and i not in series and " ".join(
                        _fold(t) for t in i.text.split()) not in self.step_words for i in clause) \
                    or any(i.text in self.relatives for i in clause) \
                    or any(i.term.kind in MENTION and i not in series or i.text in self.pronouns for i in clause) \
                    or not (series or any(i.term.kind in ("number", "anaphora") for i in clause)) \
                    or said is None:
                continue
            if str(said.term.value) not in self.ontology or self.ontology[str(said.term.value)].order is None:
                continue  # "of the two kidneys, the higher one": a comparison among what was said, no step
            found.append((items[:low + 1], clause))
        return found

    def _series_noun_of(self, noun: str, member: str) -> bool:
        """Whether `noun` is a group that holds `member` of a series ("vertebra" of L2), so that a step said with
        it ("one vertebra higher") steps along that series."""
        return noun in self.ontology and member in self.ontology and self.ontology[member].order is not None \
            and member in self.ontology.descendants(noun)

    @staticmethod
    def _label_at(items: list[Item], j: int) -> list[int]:
        """The items of a list label at `j` ("a)", "(b)", "iii.", "2)"): the label and its brackets, else []. A
        label with a full stop must open its clause or follow an entry ("A. spleen B. liver"); a number with one
        must open its clause ("rib 1. rib 2." names ribs)."""
        text = items[j].text
        if not (len(text) == 1 and text.isalpha() or text in ROMAN or text.isdigit() and len(text) <= 2):
            return []
        after = items[j + 1].text if j + 1 < len(items) else None
        opened = j > 0 and items[j - 1].text == "("
        if after == ")":
            return [j - 1, j, j + 1] if opened else [j, j + 1]
        at_start = j == 0 or items[j - 1].term.kind == "break"
        if after == "." and not opened and (at_start or not text.isdigit()
                                            and items[j - 1].term.kind in (*MENTION, *MODIFIERS)):
            return [j, j + 1]
        return []

    def _entry_labels(self, items: list[Item]) -> tuple[list[Item], list[str]]:
        """"a) left kidney b) right kidney c) forget (a)", "i) aorta ii) IVC iii) drop ii": the labels of a lettered,
        Roman or numbered list are names of its entries. A label said again later ("(a)", "b)", "item c", or bare
        right after a removal or negation word) stands for its entry's structures, so the removal reads "forget left
        kidney"; the labels themselves say nothing (a letter is no article, no range word, no number). A label that
        names no entry with a structure (or the entry that says it) is returned as not applicable: a question.
        Labels count only as a sequence from the first ("a", "i", "1"), at least `MIN_LABELS` long."""
        found = [(j, span) for j in range(len(items)) if (span := self._label_at(items, j))]
        labels: list[tuple[str, list[int]]] = []
        notation = None
        for n, (j, span) in enumerate(found):
            text = items[j].text
            if not labels:
                notation = _label_notation(text, items[found[n + 1][0]].text if n + 1 < len(found) else None)
                if notation:
                    labels.append((text, span))
                elif text == "2" and j > 0 and all(items[m].term.kind != "break" for m in range(j)):
                    # "1) liver 2) spleen": the first label, at the start of the request, went with the bullets
                    # the normalizer strips; its entry is what the request opens with
                    notation = "digit"
                    labels += [("1", [-1]), (text, span)]
            elif notation and text == _next_label(labels[-1][0], notation) and j > labels[-1][1][-1] + 1:
                labels.append((text, span))
        while labels and not any(i.text.isalnum() for i in items[labels[-1][1][-1] + 1:]):
            labels.pop()  # "... c) remove d)": a label with nothing after it opens no entry
        if len(labels) < MIN_LABELS:
            return items, []
        entries: dict[str, tuple[int, int]] = {}
        for n, (text, span) in enumerate(labels):
            entries[text] = (span[-1] + 1, labels[n + 1][1][0] if n + 1 < len(labels) else len(items))
        as_label = {j for _, span in labels for j in span}
        out: list[Item] = []
        unapplied: list[str] = []
        refs = {ref[0]: ref for j in range(len(items))
                if (ref := self._label_reference(items, j, entries, as_label, labels[0][1][0]))}
        j = 0
        while j < len(items):
            ref = refs.get(j)
            if not ref:
                item = items[j]
                if j in as_label:  # the label and its brackets say nothing; a label of an entry that names no
                    # structure ("c) keep only (b)") ends the entry before it: it is an instruction of its own
                    own = next((text for text, spans in labels if j in spans), None)
                    opens = own is not None and j == min(m for m in next(sp for t, sp in labels if t == own)
                                                         if m >= 0) and bool(out) and out[-1].term.kind != "break" \
                        and not any(items[m].term.kind in MENTION for m in range(*entries[own]))
                    item = Item(item.start, item.end, Term("break", ".", "language") if opens
                                else Term("filler", item.text, "language"), item.text)
                out.append(item)
                j += 1
                continue
            low, high = entries[items[ref[0] if items[ref[0]].text in entries else ref[1]].text] \
                if any(items[r].text in entries for r in ref) else (0, 0)
            named = [items[m] for m in range(low, high) if items[m].term.kind in (*MENTION, *MODIFIERS)]
            if not any(i.term.kind in MENTION for i in named) or low <= ref[0] < high:
                unapplied.append(" ".join(items[r].text for r in ref))
                named = [Item(items[r].start, items[r].end, Term("filler", items[r].text, "language"), items[r].text)
                         for r in ref]
            out.extend(named)
            j = ref[-1] + 1
        return out, unapplied

    def _label_reference(self, items: list[Item], j: int, entries: dict[str, tuple[int, int]], as_label: set[int],
                         first: int) -> list[int]:
        """The items of a reference to a list label at `j` ("(a)", "b)", "item c", "#2", "drop b"), else []."""
        if j <= first or j in as_label or items[j].text not in entries:
            return []
        if j > 0 and items[j - 1].text == "(" and j + 1 < len(items) and items[j + 1].text == ")":
            ref = [j - 1, j, j + 1]
        elif j + 1 < len(items) and items[j + 1].text == ")":
            ref = [j, j + 1]
        elif j > 0 and items[j - 1].text in self.item_words:
            ref = [j - 1, j]
        else:
            back = j - 1
            while back >= 0 and items[back].term.kind == "filler" and items[back].text not in self.dismiss:
                back -= 1  # "drop the b": an article between
            if back < 0 or back < j - 2 or not (items[back].text in self.dismiss or items[back].term.kind in (
                    "correction", "withdraw") or items[back].term.kind == "exclusion" and self._negates(items[back])):
                return []
            ref = [j]
        following = ref[-1] + 1
        if following < len(items) and items[following].term.kind in MENTION:
            return []  # "drop a kidney": a word, not a label
        if ref[0] > 0 and items[ref[0] - 1].text in self.item_words:
            ref = [ref[0] - 1, *ref]
        return ref

    def _denied_actions(self, items: list[Item]) -> list[Item]:
        """"no mask", "just the number, no segmentation", "ohne Maske": a negation right before an action word with
        no structure after it in its clause denies the action itself; it asks for no mask, so the action word is
        only a word of the request ("do not segment the spleen", with its object, is left to the negation)."""
        out = list(items)
        for k, item in enumerate(items):
            if item.term.kind != "exclusion":  # "no", "without", "ohne": any word that excludes
                continue
            stop = next((j for j in range(k + 1, len(items)) if _is_boundary(items[j]) or items[j].text in (",", ";")),
                        len(items))
            if stop < len(items) and items[stop].text in self.list_marks:
                continue  # "Do not segment:" labels a section; its entries are what is negated
            back = next((j for j in range(k - 1, -1, -1) if _is_boundary(items[j]) or items[j].text in (",", ";")), -1)
            if any(items[j].term.kind in MENTION for j in range(back + 1, k)):
                continue  # "Leber bitte nicht segmentieren": the object said before a final verb is negated
            actions = [j for j in range(k + 1, stop) if items[j].term.kind == "action"]
            # one word after the action may be its own predicate ("no mask needed"); anything more may be its object
            tail = [j for j in range(actions[-1] + 1, stop) if items[j].term.kind == "unknown"] if actions else []
            # an article may be scanned as a range word in another language ("a" of "T10 a T12")
            if not actions or len(tail) > 1 or any(items[j].term.kind not in ("action", "filler") and not (
                    items[j].term.kind == "range" and items[j].text.isalpha() and j < actions[0])
                                                   for j in range(k + 1, stop) if j not in tail):
                continue
            for j in [k, *actions]:
                out[j] = Item(items[j].start, items[j].end, Term("filler", items[j].text, "language"), items[j].text)
        return out

    def _other_side(self, items: list[Item]) -> tuple[list[Item], list[str]]:
        """"left erector spinae... other side", "rein gauche, non, l'autre côté": the other side, said alone after a
        pause or a correction that follows a structure on one side, corrects that side. It is read as that
        correction: the pause becomes a correction marker and the words the opposite side ("..., sorry, right").
        Also returns the other-side words said so but not applicable ("the spleen... other side"): a question."""
        out, unseen = list(items), []
        for k, item in enumerate(items):
            words = " ".join(_fold(w) for w in item.text.split())
            pair = f"{words} {' '.join(_fold(w) for w in items[k + 1].text.split())}" if k + 1 < len(items) else ""
            # "the other" + "side": the words may be scanned as two items
            width = 2 if pair in self.other_words or " ".join(pair.split()[-2:]) in self.other_words and \
                words in self.other_words else 1 if words in self.other_words else 0
            if not width or k == 0:
                continue
            if any(i.term.kind not in ("filler", "break") for i in items[k + width:]):
                continue  # "the other side of the liver", "the other one too": more is said than the side
            run = k
            while run > 0 and (items[run - 1].term.kind in ("filler", "range", "correction", "break")
                               or items[run - 1].text in (",", ";") or items[run - 1].text in self.no_words):
                run -= 1
            pauses = [j for j in range(run, k) if items[j].term.kind != "filler"]
            if run == 0 or not pauses or items[run - 1].term.kind not in (*MENTION, *MODIFIERS) \
                    or any(items[j].text in self.additive for j in range(run, len(items))):  # "... too": added
                continue
            named = next((j for j in range(run - 1, -1, -1) if items[j].term.kind in MENTION), None)
            start = _clause_start(items, named) if named is not None else 0
            if named is None or any(items[j].term.kind not in (*MENTION, *MODIFIERS, "filler")
                                    for j in range(start, run)):
                unseen.append(item.text)  # "left kidney, right kidney... other side": of which one?
                continue
            sides = {str(items[j].term.value) for j in range(start, run) if items[j].term.kind == "side"} \
                | {self.laterality(str(items[named].term.value))} - {None}
            if len(sides) != 1 or not sides <= {"left", "right"}:
                unseen.append(item.text)  # a structure with no side, or with both: the other side of nothing
                continue
            opposite = "right" if sides == {"left"} else "left"
            for j in pauses:
                out[j] = Item(items[j].start, items[j].end, Term("correction", items[j].text, "language"), items[j].text)
            out[k] = Item(item.start, items[k + width - 1].end, Term("side", opposite, "language"),
                          " ".join(i.text for i in items[k:k + width]))
            if width == 2:
                out[k + 1] = Item(items[k + 1].start, items[k + 1].end, Term("filler", items[k + 1].text, "language"),
                                  items[k + 1].text)
        return out, unseen

    def _names_of(self, concept_id: str) -> list[str]:
        """Every name of a structure, in English and in this language, folded."""
        names = list(self.ontology[concept_id].lexicon) + list(self.language.get("names", {}).get(concept_id, ()))
        return [" ".join(_fold(t) for t in tokenize(n)) for n in names]

    def _name_index(self) -> dict[str, str]:
        """Folded name -> structure, over every structure's names (built once)."""
        if not hasattr(self, "_names"):
            self._names = {n: c for c in self.ontology.concepts for n in self._names_of(c)}
        return self._names

    def _named_in_the_plural(self, items: list[Item]) -> list[Item]:
        """"the autochthon muscles": the name of one of a pair followed by a noun in the plural names the pair, as
        "all" before it does."""
        plural = {_fold(w) for w in self.language.get("plural_heads", ())}
        out = list(items)
        for k, item in enumerate(items[:-1]):
            pair = self.ontology[str(item.term.value)].members if item.term.kind == "singular" else ()
            # "the lung lobes" are the parts of a lung, not both lungs: only a pair of single structures
            if len(pair) == 2 and not any(self.ontology[m].members for m in pair) \
                    and _fold(items[k + 1].text) in plural:
                out[k] = Item(item.start, item.end, Term("concept", item.term.value, item.term.source), item.text)
        return out

    def _pair_excepted_later(self, items: list[Item]) -> list[Item]:
        """"back muscles and psoas, leaving out the left psoas": the name of one of a pair, said before an exception
        of one of that pair, names the pair (the exception leaves the other one)."""
        out = list(items)
        for j, item in enumerate(items):
            pair = self.ontology[str(item.term.value)].members if item.term.kind == "singular" else ()
            if len(pair) == 2 and not any(self.ontology[m].members for m in pair) \
                    and any(self._excepts_one_of(items, k, set(pair), item.term.value) for k in range(j + 1, len(items))):
                out[j] = Item(item.start, item.end, Term("concept", item.term.value, item.term.source), item.text)
        return out

    def _excepts_one_of(self, items: list[Item], k: int, pair: set[str], group) -> bool:
        """Whether `k` is an exclusion whose object, up to the next boundary, is one member of `pair` (by its name,
        or the pair's noun with a side). A bare "no" may correct as well as except ("kidney no left kidney"): it
        leaves the name as said."""
        if items[k].term.kind != "exclusion" or items[k].text in self.no_words:
            return False
        scope = self._scope(items, k, set(), stop_at_negation=True)
        named = [items[j] for j in scope if items[j].term.kind in MENTION]
        sides = {items[j].term.value for j in scope if items[j].term.kind == "side"}
        if len(named) != 1:
            return False
        value = named[0].term.value
        return value in pair or (value == group and len(sides) == 1)

    def _shared_heads(self, items: list[Item]) -> list[Item]:
        """"back and psoas muscles": an unknown word joined by "and" to a name that ends in a noun shares that
        noun ("back muscles") when the two make a name of their own."""
        out = list(items)
        for j in range(len(items) - 2):
            first, joint, named = items[j], items[j + 1], items[j + 2]
            if first.term.kind != "unknown" or joint.term.kind != "conjunction" or not joint.is_word \
                    or named.term.kind not in MENTION or len(named.text.split()) < 2:
                continue
            concept = self._name_index().get(" ".join(_fold(t) for t in tokenize(f"{first.text} {named.text.split()[-1]}")))
            if concept:
                out[j] = Item(first.start, first.end, Term("concept", concept, "language"), first.text)
        return out

    def _elided_members(self, items: list[Item]) -> tuple[list[Item], list[str]]:
        """"every lung lobe except the left upper", "alle Lappen außer dem linken unteren": an exception that
        names no structure but words of one member's name, its noun left out, is that member of what was asked.
        Words that fit several members are returned as not applied (a question), never guessed."""
        out, vague = list(items), []
        for k, item in enumerate(items):
            if item.term.kind != "exclusion":
                continue
            stop = next((j for j in range(k + 1, len(items)) if _is_boundary(items[j])
                         or items[j].text in (",", ";")), len(items))
            scope = list(range(k + 1, stop))
            kinds = {items[j].term.kind for j in scope}
            if not scope or not kinds <= {"side", "filler"} or "filler" not in kinds or \
                    not any(items[j].term.kind in MENTION for j in range(k)):
                continue
            groups = [str(items[j].term.value) for j in range(k) if items[j].term.kind in MENTION
                      and str(items[j].term.value) in self.ontology]
            members = {d for g in groups for d in self.ontology.descendants(g) if d in self.ontology
                       and not self.ontology[d].members}
            words = [(_fold(t), items[j].term.kind) for j in scope for t in tokenize(items[j].text)]
            vocab = [{w for n in self._names_of(d) for w in n.split()} for d in members]
            telling = set().union(*vocab) - set.intersection(*vocab) if vocab else set()
            if not any(kind == "filler" and w in telling for w, kind in words):
                continue  # "not the left", "skip the left side": no word tells one member from another
            fits = set()
            for skip in range(len(words)):  # leading articles ("the", "dem") are no part of the name
                phrase = " ".join(w for w, _ in words[skip:])
                fits = {d for d in members for n in self._names_of(d)
                        if n.startswith(phrase + " ") or n.endswith(" " + phrase)}
                if fits:
                    break
            if len(fits) == 1:
                member = fits.pop()
                out[k + 1] = Item(items[k + 1].start, items[stop - 1].end, Term("concept", member, "language"),
                                  " ".join(items[j].text for j in scope))
                for j in scope[1:]:
                    out[j] = Item(items[j].start, items[j].end, Term("filler", "", "language"), "")
            elif fits:
                vague.append(" ".join(items[j].text for j in scope))
        return out, vague

    @staticmethod
    def _loose_ranges(items: list[Item]) -> list[Item]:
        """"L1... one level higher", "L1 - one level up": a dash or an ellipsis after a name, followed by nothing
        a range could end on (no number, name, side or end word), is a pause between two sentences, not a range."""
        ends = (*MENTION, "number", "side", "extreme", "range", "correction", "withdraw")
        out = list(items)
        for k, item in enumerate(items):
            if item.term.kind != "range" or any(c.isalpha() for c in item.text) or k == 0 \
                    or items[k - 1].term.kind not in (*MENTION, "number"):
                continue
            following = next((i for i in items[k + 1:] if i.term.kind != "filler"), None)
            if following is not None and following.term.kind not in ends and not following.text.isdigit():
                out[k] = Item(item.start, item.end, Term("break", ".", "language"), item.text)
        return out

    def _no_opening_a_correction(self, items: list[Item]) -> list[Item]:
        """"non pardon, le droit", "no actually right": a "no" right before a correction marker opens that correction;
        it negates nothing after it."""
        for k in range(len(items) - 1):
            if items[k].text in self.no_words and items[k].term.kind == "exclusion" \
                    and items[k + 1].term.kind == "correction":
                items[k] = Item(items[k].start, items[k].end, Term("correction", items[k].text, "language"),
                                items[k].text)
        return items

    def _no_before_a_step(self, items: list[Item]) -> list[Item]:
        """"T12 no one lower": a "no" right after a structure and right before a pro-form that a position word
        follows is a correction said without its commas ("T12, no, one lower"), not "no one"."""
        for k in range(len(items) - 3, 0, -1):
            if items[k].text in self.no_words and items[k].term.kind == "exclusion" \
                    and items[k - 1].term.kind in MENTION and items[k + 1].term.kind == "anaphora" \
                    and items[k + 2].term.kind in ("filler", "locative", "extreme") and items[k + 2].text.isalpha():
                pause = [Item(items[k].end, items[k].end, Term("conjunction", ",", "language"), ",")]
                items[k:k + 1] = [*pause, items[k], *pause]
        return items

    def _bare_no(self, items: list[Item]) -> list[tuple[list[Item], list[Item]]]:
        """"spleen no liver", "milza non fegato": a "no" with no punctuation right after a name and before
        another may withdraw the first name (a correction) or deny the second (an exclusion). Returns (the
        name and its modifiers before, the same after) for each; whoever reads them decides, knowing whether the
        second lies within the first (then it is an exclusion)."""
        found = []
        for k, item in enumerate(items):
            if item.text not in self.no_words or item.term.kind != "exclusion" or k == 0 \
                    or items[k - 1].term.kind not in MENTION:
                continue
            start = _clause_start(items, k)
            stop = next((j for j in range(k + 1, len(items)) if items[j].term.kind == "break"), len(items))
            before, after = items[start:k], items[k + 1:stop]
            if all(i.term.kind in (*MENTION, *MODIFIERS, "filler") for i in before + after) \
                    and any(i.term.kind in MENTION for i in after):
                found.append(([i for i in before if i.term.kind != "filler"],
                              [i for i in after if i.term.kind != "filler"]))
        return found

    def _level_marker(self, items: list[Item], j: int) -> list[int] | None:
        """The items of a level marker said right before the mention at `j` ("at", "at the level of"), or None.
        A one-word marker counts only before a numbered name ("at L1"): "look at the liver" names no level."""
        words: list[tuple[int, str]] = [(k, _fold(w)) for k in range(max(0, j - 6), j) for w in items[k].text.split()]
        for marker in sorted(self.level_markers, key=len, reverse=True):
            if not marker or len(marker) > len(words) or [w for _, w in words[-len(marker):]] != marker:
                continue
            if len(marker) == 1 and not any(ch.isdigit() for ch in items[j].text):
                continue
            span = sorted({k for k, _ in words[-len(marker):]})
            if any(items[k].term.kind in MENTION for k in span):
                continue
            return span
        return None

    def _levels(self, items: list[Item], out: Discourse) -> set[int]:
        """"body composition at L1: erector spinae", "the aorta at the level of T12": a structure said after a
        level marker, beside another structure named outright, is where the other is, not a target of its own."""
        mentions = [j for j, i in enumerate(items) if i.term.kind in MENTION]
        marked = {j: span for j in mentions if (span := self._level_marker(items, j)) is not None}
        if not any(items[j].term.kind == "concept" and j not in marked for j in mentions):
            return set()
        gone: set[int] = set()
        for j, span in marked.items():
            gone |= set(span) | {j}
            out.rationale.append(f'"{items[j].text}" is a level said of another structure (after '
                                 f'"{" ".join(items[k].text for k in span)}"): where, not what')
        return gone

    def _remainder_restated(self, items: list[Item], k: int, removed: set[int]) -> list[int]:
        """The colon and the list after an exception's own object ("except the colon: duodenum and small
        bowel"), up to the end of the request, when nothing but structures, conjunctions and filler follow; else []."""
        colon = next((j for j in range(k + 1, len(items)) if items[j].text in self.list_marks), None)
        if colon is None or not any(items[j].term.kind in (*MENTION, "side") for j in range(k + 1, colon)):
            return []
        if any(items[j].term.kind not in ("filler", "conjunction", "side", "anaphora") for j in range(k + 1, colon)
               if items[j].term.kind not in MENTION):
            return []
        rest = [j for j in range(colon, len(items)) if j not in removed]
        kinds = {items[j].term.kind for j in rest[1:]}
        if not kinds & set(MENTION) or kinds - {*MENTION, "filler", "conjunction", "side"} - {"break"} \
                or any(items[j].term.kind == "break" and items[j].text not in (".", "!") for j in rest[1:]):
            return []
        # (only a list within the whole said before: "the great vessels except the aorta: IVC and the portal vein"
        # names one that is no great vessel, so the list is what is asked, not a restatement)
        wholes = {str(items[j].term.value) for j in range(k) if j not in removed and items[j].term.kind in MENTION
                  and str(items[j].term.value) in self.ontology}
        within = set().union(*(self.ontology.descendants(w) | {w} for w in wholes))
        if wholes and any(items[j].term.kind in MENTION and str(items[j].term.value) not in within for j in rest):
            return []
        return rest

    def _end_of(self, part: list[Item]) -> str | None:
        """The one end of the scan ("first" or "last") a range's side names, by an extreme word ("the top of the
        scan", "the bottom slice", "the first slice"), or None when it names a structure, a side or a number."""
        if any(i.term.kind in (*MENTION, "side", "locative") or i.text.isdigit() for i in part):
            return None
        ends = {self.extremes[t] for i in part for t in i.text.split() if t in self.extremes}
        ends |= {str(i.term.value) for i in part if i.term.kind == "extreme"}
        ends |= {"first" for i in part if i.term.kind == "number" and i.term.value == 1}
        if any(i.term.kind == "number" and i.term.value != 1 for i in part):
            return None
        return ends.pop() if len(ends) == 1 else None

    def _whole_extent(self, items: list[Item], out: Discourse) -> set[int]:
        """"all the vertebrae from the top of the scan to the bottom", "the spine from the first slice to the
        last": a range whose two sides are the two ends of the scan, not members of a series, spans everything
        the scan shows; the range and its end words go, and the structures said are read whole."""
        gone: set[int] = set()
        for k, item in enumerate(items):
            if item.term.kind != "range":
                continue
            start = _clause_start(items, k)
            named = [j for j in range(start, k) if items[j].term.kind in MENTION]
            stop = next((j for j in range(k + 1, len(items)) if items[j].term.kind in ("break", "conjunction")
                         and not items[j].is_word or items[j].term.kind in MENTION), len(items))
            if not named:
                continue
            before, after = items[named[-1] + 1:k], items[k + 1:stop]
            ends = (self._end_of(before), self._end_of(after))
            if None in ends or ends[0] == ends[1]:
                continue
            gone |= set(range(named[-1] + 1, stop))  # the end words ("from the bottom") count no member from an end
            out.rationale.append(f'"{items[k].text}" spans the whole scan (from its {ends[0]} to its {ends[1]} '
                                 "end): the structures said are read whole")
        return gone

    def _postposed(self, items: list[Item], k: int, start: int, removed: set[int]) -> list[int]:
        """The structure a negation said after it negates, when the negation has no object of its own (nothing
        but filler or unknown words up to the next comma or clause end): the mentions and their modifiers since
        the last comma before it ("liver yes, spleen no" negates only the spleen). Else []."""
        stop = next((j for j in range(k + 1, len(items)) if _is_boundary(items[j]) or items[j].text in (",", ";")),
                    len(items))
        if any(items[j].term.kind not in ("filler", "action") or items[j].text in self.pronouns
               or items[j].text in self.predicates for j in range(k + 1, stop) if j not in removed):
            return []  # "the kidneys, not the left one": it has an object (the parser's exclusion); "gallbladder
            # not thickened", "not xyz": it denies something said of the structure, or we cannot tell
        comma = max((j for j in range(start, k) if items[j].text in (",", ";")), default=start - 1)
        if any(items[j].text in self.relatives for j in range(comma + 1, k)):
            return []  # "the kidney that is not enlarged": the negation is said of a description
        own = [j for j in range(comma + 1, k) if j not in removed and items[j].term.kind in MENTION + MODIFIERS]
        return own if any(items[j].term.kind in MENTION for j in own) else []

    def _universal_but(self, items: list[Item]) -> None:
        """"every rib but the 11th pair", "all vertebrae but L1": a contrast word right after a structure said
        with a universal marker ("all", "every") excepts what follows it; it is an exclusion, not a new target."""
        for k, item in enumerate(items):
            if item.term.kind != "contrast":
                continue
            start = _clause_start(items, k)
            before = [i for i in items[start:k] if i.term.kind != "filler"]
            while len(before) > 1 and before[-1].term.kind == "head":
                before.pop()  # "every lung lobe but ...": the noun after the name is part of it
            universal = any(i.term.kind == "plural" for i in before) or bool(before) and \
                before[-1].text.split(" ", 1)[0] in self.plural_words  # "all ribs" is one phrase of the lexicon
            if before and before[-1].term.kind in MENTION and universal:
                items[k] = Item(item.start, item.end, Term("exclusion", item.text, "language"), item.text)

    def _keep_same_side(self, items: list[Item], span: list[int], end: int) -> None:
        """"left psoas, sorry I meant erector spinae, same side": a same-side phrase in a correction that says no
        side of its own is the side of what it withdraws (when that was one side), read as that side's word."""
        stop = next((j for j in range(end + 1, len(items)) if items[j].term.kind == "break"), len(items))
        same = [j for j in range(end + 1, stop) if items[j].text in self.same_side_words]
        if not same or any(items[j].term.kind == "side" for j in range(end + 1, stop)):
            return
        sides = {str(items[j].term.value) for j in span if items[j].term.kind == "side"} \
            | {self.laterality(str(items[j].term.value)) for j in span if items[j].term.kind == "concept"} - {None}
        if len(sides) == 1 and sides <= {"left", "right"}:
            side = sides.pop()
            for j in same:
                items[j] = Item(items[j].start, items[j].end, Term("side", side, "language"), items[j].text)

    def _side_unsaid_of_same_noun(self, items: list[Item], span: list[int], end: int) -> str | None:
        """"rib 11 on the right, make that rib 10", "left 8th rib, sorry, 9th rib": a correction that names the
        same noun again without a side changes only what it says (the number); the side said before stays.
        Returns that side, else None."""
        stop = next((j for j in range(end + 1, len(items)) if items[j].term.kind == "break"), len(items))
        new = items[end + 1:stop]
        nouns = [i for i in new if i.term.kind in MENTION]
        old = [items[j] for j in span if items[j].term.kind in MENTION]
        if not (old and nouns) or any(i.term.kind == "side" for i in new) or any(i.term.kind == "concept" for i in nouns) \
                or {self.family(str(i.term.value)) for i in nouns} != {self.family(str(i.term.value)) for i in old}:
            return None
        sides = {str(items[j].term.value) for j in span if items[j].term.kind == "side"} \
            | {self.laterality(str(i.term.value)) for i in old if i.term.kind == "concept"} - {None}
        return sides.pop() if len(sides) == 1 and sides <= {"left", "right"} else None

    def _list_entry(self, items: list[Item], k: int, scope: list[int], removed: set[int]) -> list[int]:
        """The n-th structure named before a dismissal whose object is only a number n: that entry's
        structure with its side or number words (the words up to the neighbouring structures)."""
        numbers = [items[j] for j in scope if items[j].term.kind == "number"]
        sides = {str(items[j].term.value) for j in scope if items[j].term.kind == "side"}
        if not numbers and len(sides) == 1 and sides <= {"left", "right"} \
                and all(items[j].term.kind in ("side", "filler", "anaphora") for j in scope):
            entry = self._entry_on_side(items, k, sides.pop(), removed)
            return entry + [j for j in scope if items[j].term.kind == "side"] if entry else []
        if len(numbers) != 1 or not isinstance(numbers[0].term.value, int):
            return []
        n = int(numbers[0].term.value)
        mentions = [j for j in range(k) if j not in removed and items[j].term.kind in MENTION]
        if mentions and any(items[j].term.kind == "range" and 0 < j < len(items) - 1
                            and {items[j - 1].term.kind, items[j + 1].term.kind} <= {*MENTION, "number"}
                            for j in range(mentions[0], k)):
            # "T11-L2 but leave out the first", "ribs 7-12, drop the first": what is named is a range, its first
            # a member of it, no entry of a list ("aorta, IVC, spleen - strike item 3": a dash, no range)
            return []
        if not 1 <= n <= len(mentions):
            return [-1] if self._entries_of(items, k, removed) else []
        at = mentions[n - 1]
        low = mentions[n - 2] + 1 if n > 1 else 0
        high = mentions[n] if n < len(mentions) else k
        entry = [j for j in range(low, high) if j not in removed and (j == at or items[j].term.kind == "side")]
        lines = self._entries_of(items, k, removed)
        if lines and (n > len(lines) or [j for j in lines[n - 1] if items[j].term.kind in MENTION] != [at]):
            # "liver and spleen. pancreas. drop 1": the n-th line and the n-th structure are not one entry
            return [-1]
        if not numbers[0].text.isdigit() and (any(
                self.ontology[str(items[j].term.value)].members for j in mentions
                if str(items[j].term.value) in self.ontology)):
            # "forget the second" counts entries only in a list of single structures: after "the ribs" it may be
            # the second rib
            return [-1]
        return entry + [j for j in scope if items[j].term.kind == "number"]

    def _entries_of(self, items: list[Item], k: int, removed: set[int]) -> list[list[int]]:
        """The entries of a list said in lines or sentences before `k` ("liver . spleen . drop 2"): each clause's
        items, when there are at least two and each names a structure; else []."""
        clauses: list[list[int]] = [[]]
        for j in range(_clause_start(items, k)):
            if items[j].term.kind == "break":
                clauses.append([])
            elif j not in removed:
                clauses[-1].append(j)
        clauses = [c for c in clauses if c]
        if len(clauses) < 2 or not all(any(items[j].term.kind in MENTION for j in c) for c in clauses):
            return []
        return clauses

    def _dismissed_before(self, items: list[Item], k: int, removed: set[int]) -> list[int]:
        """The object of a dismissal said after it, as verbs come last in German and Dutch ("die Milz entfernen",
        "rechts weglassen"): the structure, side or number words of its clause since the last comma, when nothing
        else is said there; a side or number alone names the entry said on that side before (see `_list_entry`)."""
        start = _clause_start(items, k)
        start = max([start] + [j + 1 for j in range(start, k) if items[j].text in (",", ";")])
        own = [j for j in range(start, k) if j not in removed and items[j].term.kind != "filler"]
        if not own or any(items[j].term.kind not in (*MENTION, *MODIFIERS, "anaphora") for j in own):
            return []
        if any(items[j].term.kind in MENTION for j in own):
            return own
        entry = self._list_entry(items, start, own, removed)
        # a side or number with no entry of its own: [-1] says a removal was seen that names nothing said
        return entry or ([-1] if any(items[j].term.kind in ("side", "number") for j in own)
                         and any(items[j].term.kind in MENTION for j in range(start)) else [])

    def _entry_on_side(self, items: list[Item], k: int, side: str, removed: set[int]) -> list[int]:
        """"- kidney left - kidney right - remove right", "liver, right kidney, drop the right": the one structure
        named before a dismissal whose object is only a side, said on that side (by a side word in its clause or
        its own laterality), with its modifiers; [] when none or more than one is."""
        found = []
        for j in range(k):
            if j in removed or items[j].term.kind not in MENTION:
                continue
            start = max([_clause_start(items, j)] + [m + 1 for m in range(j) if items[m].term.kind in MENTION])
            # its own words reach to the next structure, comma or clause end ("Niere links, Niere rechts")
            end = next((m for m in range(j + 1, k) if items[m].term.kind in (*MENTION, "break")
                        or items[m].text in (",", ";")), k)
            said = {str(items[m].term.value) for m in range(start, end) if items[m].term.kind == "side"}
            own = said or {self.laterality(str(items[j].term.value))} - {None}
            if own == {side}:
                found.append([m for m in range(start, end) if m not in removed
                              and (m == j or items[m].term.kind in MODIFIERS)])
        return found[0] if len(found) == 1 else []

    def _scope(self, items: list[Item], k: int, removed: set[int], stop_at_negation: bool = False) -> list[int]:
        scope = []
        for j in range(k + 1, len(items)):
            item = items[j]
            if _is_boundary(item) or item.text in (",", ";") or item.term.kind == "action":
                if scope and any(items[s].term.kind in MENTION for s in scope) or item.term.kind != "action":
                    break
                if self._own_object_joined(items, scope):
                    break  # "ignore the rules above and just segment the liver": the action is a new clause
            if stop_at_negation and item.term.kind == "exclusion" and self._negates(item):
                break
            if not scope and item.text in self.relatives:
                break  # "the organ you can live without, that sits under the ribs": nothing is negated
            if stop_at_negation and item.text == "-" and j > 0 and (
                    items[j - 1].term.kind in (*MENTION, "side") or items[j - 1].term.kind == "anaphora"
                    and any(items[s].term.kind == "side" for s in scope)):
                break  # "neither the stomach nor the colon - the duodenum", "not the left one - the right psoas"
            if j not in removed:
                scope.append(j)
        return scope

    def _list_after_a_universal(self, items: list[Item], k: int, scope: list[int], removed: set[int]) -> list[int]:
        """"all organs except the liver, the spleen": after an exception from everything of a kind, a comma and one
        more bare name go on with the list of exceptions (and so on, entry by entry). Returns the indices added."""
        start = _clause_start(items, k)
        # ("all organs" is read as a filler: no one structure, but still everything of a kind)
        if not any(items[j].term.kind == "plural" or items[j].text.split(" ", 1)[0] in self.plural_words
                   or items[j].text in self.universal_words for j in range(start, k)) \
                or not any(items[j].term.kind in MENTION for j in scope):
            return []
        added: list[int] = []
        j = max(scope) + 1
        while j < len(items) and items[j].text == ",":
            entry = [t for t in range(j + 1, len(items)) if items[t].term.kind != "filler"][:1]
            if not entry or items[entry[0]].term.kind not in MENTION or entry[0] in removed:
                break
            end = entry[0] + 1
            if end < len(items) and not (_is_boundary(items[end]) or items[end].text in (",", ";")
                                         or items[end].term.kind == "conjunction"):
                break
            added += list(range(j, end))
            j = end
        return added

    def _negates_said(self, items: list[Item], k: int, j: int | None) -> bool:
        """Whether the item at `j`, after the correction marker at `k`, is a negation whose object is one of the
        structures said before the marker ("liver and spleen, wait, no spleen"): it takes that one out of what was
        asked."""
        if j is None or items[j].term.kind != "exclusion" or not self._negates(items[j]):
            return False
        said = {str(i.term.value) for i in items[:k] if i.term.kind in MENTION}
        named = next((i for i in items[j + 1:] if i.term.kind != "filler"), None)
        # (something else said must stay: "the liver? no, not the liver" takes back all there was)
        return named is not None and named.term.kind in MENTION and str(named.term.value) in said \
            and bool(said - {str(named.term.value)})

    @staticmethod
    def _object_of_its_own(items: list[Item], k: int) -> bool:
        """Whether the correction marker at `k` takes an object that names no structure ("disregard safety
        checks") and no structure is said after it: it is said of that object, not of what was asked before."""
        following = next((i for i in items[k + 1:] if i.term.kind != "filler"), None)
        return following is not None and following.term.kind == "unknown" and following.text.isalpha() \
            and not any(i.term.kind in MENTION for i in items[k + 1:])

    @staticmethod
    def _own_object_joined(items: list[Item], scope: list[int]) -> bool:
        """Whether the negation's scope so far holds an object of its own that names no structure ("the rules",
        "all previous rules"), then a joining word: what comes after the join is no longer negated."""
        return any(items[s].term.kind == "conjunction" and any(items[t].term.kind == "unknown" for t in scope if t < s)
                   for s in scope)

    def _reattach_bare_side(self, out: Discourse) -> None:
        """"not the left kidney, the right one", "instead of the left kidney do the right one": a side or number
        without a noun, after the noun was negated or withdrawn, is said of that noun."""
        if not out.dropped or any(i.term.kind in MENTION for i in out.items):
            return
        bare = next((k for k, i in enumerate(out.items) if i.term.kind == "side"), None)
        if bare is None:
            return
        noun = out.dropped[-1][-1] if out.dropped[-1] else None
        nouns = [i for i in out.dropped[-1] if i.term.kind in MENTION]
        if not nouns:
            return
        noun = nouns[-1]
        concept = self.family(str(noun.term.value))
        out.items.insert(bare + 1, Item(noun.start, noun.end, Term("singular", concept, noun.term.source), noun.text))
        if out.negated and out.negated[-1] is out.dropped[-1]:
            # "not both kidneys, just the right one": the noun is not excluded, its side is corrected
            out.withdrawn.append(out.negated.pop())
        out.rationale.append(f'"{out.items[bare].text}" is said of "{noun.text}"')


class ChoiceReaders:
    """Mixed into `ReasoningEngine`: a request whose words allow two readings that give different masks."""

    def _read_bare_step(self, request):
        """"T12 - one lower", "L2... go up one": a step with no level word, said after a pause or a correction that
        follows one member of a series and nothing else, replaces it by the member that many steps away:
        relation(superior|inferior, x, n). Said after a comma only ("L1, one lower"), it may add or replace: None
        (the caller asks)."""
        from .expression import Concept, Relation
        from .ground import ground_mention

        said = request.discourse
        if len(said.steps) != 1:
            return None
        before, clause = said.steps[0]
        named = [k for k, i in enumerate(before) if i.term.kind in ("concept", "singular")]
        after = said.scanned[len(before) + len(clause):]
        if len(named) != 1 or any(i.term.kind in ("concept", "singular") for i in after) \
                or not any(i.term.kind in ("break", "correction") or i.text == "-"
                           or self.discourse._is_correction(before, j)  # "L2, no, one up": a "no" that corrects
                           for j, i in enumerate(before) if j > named[0]):
            return None
        grounded = ground_mention(self._mentions_of([before[named[0]]])[0], self.ontology)
        directions = {d for i in clause if (d := self._direction(i.text))}
        if len(grounded.ids) != 1 or not self.ontology[grounded.ids[0]].series or len(directions) != 1:
            return None
        count = next((n for i in clause if (n := self.words.number(i))), 1)
        finding = self._evaluate(request, Relation(directions.pop(), (Concept(grounded.ids[0]),), steps=count),
                                 series_only=True)
        if finding is None or not finding.ids:
            return None
        request.reading.rationale.append(f'a step ("{" ".join(i.text for i in clause)}") from '
                                         f'"{before[named[0]].text}", said before it')
        return self._answer(request, finding, "step")

    def _retold_name(self, withdrawn: list[Item], words: list[Item]) -> list[str] | None:
        """The name a correction that only says a word means ("left lower lobe, no, upper" -> "left upper lobe"):
        the withdrawn name with one of its words replaced by the correction's, when exactly one such replacement
        is itself one name the lexicon knows, other than the withdrawn one. Its tokens (with the side said apart
        from a name that has none of its own), else None."""
        name = next(i for i in withdrawn if i.term.kind in ("concept", "singular"))
        tokens, new = name.text.split(), [t for i in words for t in i.text.split()]
        found: dict[str, list[str]] = {}
        for k in range(len(tokens)):
            candidate = tokens[:k] + new + tokens[k + 1:]
            scanned = self.index.scan(candidate)
            if len(scanned) == 1 and scanned[0].term.kind in ("concept", "singular") \
                    and scanned[0].term.value != name.term.value:
                found.setdefault(str(scanned[0].term.value), candidate)
        if len(found) != 1:
            return None
        concept, candidate = next(iter(found.items()))
        sides = [i.text for i in withdrawn if i.term.kind == "side"]
        lateral = concept in self.ontology and self.ontology[concept].laterality
        return (sides[-1].split()[-1:] if sides and not lateral else []) + candidate

    def _retell(self, request) -> None:
        """"left lower lobe, no, upper", "upper lobe... sorry, lower", "lobe inférieur gauche, non, supérieur":
        a correction that replaces only a word of the name it withdrew is read as if that whole name had been
        said again with the new word; the discourse is read once more on those words."""
        from .ground import ground_mention

        said = request.discourse
        if said is None or len(said.retold) != 1 or any(i.term.kind in ("concept", "singular") for i in said.items):
            return
        withdrawn, words = said.retold[0]
        name = self._retold_name(withdrawn, words)
        if name is None:
            return
        tokens = request.text.tokens
        text = replace(request.text, tokens=tokens[:words[0].start] + name + tokens[words[-1].end:])
        retold, parsed = self._parse(text, request.reading)
        request.reading.rationale.append(f'correction of one word: "{" ".join(i.text for i in words)}" read as '
                                         f'"{" ".join(name)}"')
        request.text, request.discourse, request.parsed, request.items = text, retold, parsed, retold.items
        request.context = [ground_mention(m, self.ontology) for m in parsed.context]
        request.dropped = [ground_mention(m, self.ontology) for chunk in retold.dropped for m in self._mentions_of(chunk)]

    def _read_choice(self, request):
        """"spleen no liver": unless the second name lies within the first ("the ribs no 11th" only excepts), the
        bare "no" may be a correction (the liver) or a denial (the spleen, not the liver): ask, never guess."""
        from .decide import ask
        from .ground import ground_mention

        self._retell(request)
        said = request.discourse
        if said is not None and said.steps and len(said.unapplied) == len(said.steps) \
                and (spec := self._read_bare_step(request)) is not None:
            return spec
        if said is not None and said.unapplied and request.parsed is not None and request.parsed.include:
            # a removal we saw but could not apply: the answer without it would be the uncorrected mask
            options = list(dict.fromkeys(i for m in request.parsed.include for i in ground_mention(m, self.ontology).ids))
            if options:
                names = " or ".join(self.ontology[c].name for c in options)
                return ask(options, request.reading, request.evidence, self.ontology,
                           why=f'"{said.unapplied[0]}": a removal or correction that could not be applied',
                           message=f"I could not tell what '{said.unapplied[0]}' changes. Which do you want: {names}?")
        if said is None or not said.choices:
            return None
        for before, after in said.choices:
            first = [i for g in (ground_mention(m, self.ontology) for m in self._mentions_of(before)) for i in g.ids]
            second = [i for g in (ground_mention(m, self.ontology) for m in self._mentions_of(after)) for i in g.ids]
            if not first or not second:
                continue
            within = set().union(*(self.ontology.descendants(c) | {c} for c in first))
            if set(second) & within or set(first) & set(second):
                continue  # an exception from what was asked ("all ribs no 11th"), or the same name twice
            options = list(dict.fromkeys(first + second))
            names = " or ".join(self.ontology[c].name for c in options)
            return ask(options, request.reading, request.evidence, self.ontology,
                       why=f'"{before[-1].text} no {after[-1].text}": a correction or an exclusion',
                       message=f"Do you want the {self.ontology[second[0]].name} instead (a correction), or the "
                               f"{self.ontology[first[0]].name} without it? Which one do you mean: {names}?")
        return None

