"""Readers of references: "the affected organ", "the other one", "both", "the normal one": a target found from
an antecedent said before it."""

from __future__ import annotations

from functools import cached_property

from ..records import TargetSpec
from .decide import Reading, ask, refuse
from .ground import Grounding, ground_mention
from .normalize import tokenize
from .parse import Item, Mention, Term
from . import readers as spatial
from .request import MENTION, Request, scope_of
from .thresholds import T

STEM = T.description.stem_letters
# An ending of the finding-kind table ("-itis") says a word's kind only when the word keeps this many letters
# before it ("colitis"), so a short word that merely ends that way ("site") is never a finding.
ENDING_ROOT = 3


def _compound_hyphen(clause: list[Item], k: int) -> bool:
    """A hyphen between two words ("the stone-bearing organ") joins a compound; it is no range ("T10-L2")."""
    if clause[k].text != "-" or k == 0 or k + 1 >= len(clause):
        return False
    return clause[k - 1].text.isalpha() and clause[k + 1].text.isalpha() and all(
        clause[j].term.kind in ("filler", "unknown") for j in (k - 1, k + 1))


def _split_at_commas(clause: list[Item]) -> list[list[Item]]:
    parts: list[list[Item]] = [[]]
    for item in clause:
        if item.text in (",", ";"):
            parts.append([])
        else:
            parts[-1].append(item)
    return [p for p in parts if p]


class ReferenceReaders:
    """Mixed into `ReasoningEngine`; reads its lexicon, language tables and ontology."""

    def _names_by_finding(self, texts: list[str]) -> bool:
        """"the kidney with the cyst", "the organ containing the stones": a structure picked out by the finding
        said of it, which makes it a reference to that finding's site."""
        stems = tuple(self.language.get("stem_suffixes", ()))
        for k, text in enumerate(texts):
            if text in self._word_sets["possession_words"]:
                following = texts[k + 1:k + 1 + T.description.possession_window]
                if any(w in self._word_sets["findings_words"] or (w.isalpha() and w.endswith(stems))
                       for w in following):
                    return True
        return False

    @cached_property
    def _finding_kind_table(self) -> list[tuple[str, frozenset[str], tuple[str, ...], tuple[str, ...]]]:
        """The `finding_kinds` table of the language files: (kind, whole words, stems, endings). An entry ending in
        "-" is a stem ("inflam-"), one starting with "-" an ending ("-itis"), any other a whole word."""
        table = []
        for kind, entries in self.language.get("finding_kinds", {}).items():
            if kind.startswith("_") or not isinstance(entries, list):
                continue
            words, stems, endings = set(), [], []
            for entry in entries:
                core = "".join(tokenize(entry.strip("-")))
                if not core:
                    continue
                if entry.endswith("-"):
                    stems.append(core)
                elif entry.startswith("-"):
                    endings.append(core)
                else:
                    words.add(core)
            table.append((kind, frozenset(words), tuple(stems), tuple(endings)))
        return table

    def _kinds_of_word(self, word: str, unknown: bool) -> set[str]:
        """The finding kinds a word says ("inflamed", "pancreatitis" -> inflammation). An ending counts only for a
        word no language file knows (a finding's own name, as typed), never for an ordinary known word."""
        found = set()
        for kind, words, stems, endings in self._finding_kind_table:
            if word in words or word.startswith(stems) or (unknown and any(
                    word.endswith(e) and len(word) >= len(e) + ENDING_ROOT for e in endings)):
                found.add(kind)
        return found

    def _typed_at(self, request: Request) -> dict[int, str]:
        """Token position -> the word typed there, for the tokens a repair produced ("pancreatitis" read as
        "pancreas"): the finding a report said stays known after its word became its organ's name. The repairs
        are replayed over the typed words in order; {} when they do not line up with the tokens."""
        text = request.text
        if text is None or not text.repairs:
            return {}
        raw, repairs = tokenize(text.text), text.repairs
        at: dict[int, str] = {}
        k = j = r = 0
        while k < len(raw):
            typed, read = repairs[r] if r < len(repairs) else ("", "")
            width = len(typed.split()) or 1
            here = " ".join(raw[k:k + width])
            if typed and typed in (here, here.partition("'")[2]):
                produced = len(read.split())
                at.update({p: typed.replace(" ", "") for p in range(j, j + produced)})
                j, k, r = j + produced, k + width, r + 1
            else:
                j, k = j + 1, k + 1
        return at if j == len(text.tokens) else {}

    def _chunk_kinds(self, chunk: list[Item], typed: dict[int, str]) -> set[str]:
        """The finding kinds a piece of a report says, in its words as typed; none after a negation ("no
        splenomegaly", "duct not dilated": a finding denied is no finding of that kind)."""
        found: set[str] = set()
        for item in chunk:
            if item.term.kind == "exclusion" or item.text in self._word_sets["negation_words"]:
                break
            if item.start in typed:
                found |= self._kinds_of_word(typed[item.start], unknown=True)
            for word in item.text.split():
                found |= self._kinds_of_word(word, unknown=item.term.kind == "unknown")
        return found

    def _report_ids(self, clause: list[Item], request: Request, kinds: list[str]) -> tuple[list[str], bool]:
        """The structures a report's clause names, a lesion the image cannot show read as the organ it lies in
        ("right renal cyst" -> the right kidney); and whether such a lesion was read so (it is then a finding)."""
        out: list[str] = []
        hosted = False
        for m in self._mentions_of(clause):
            g = ground_mention(m, self.ontology)
            ids = list(g.ids if not g.options else ())
            # a lesion the image shows stays itself, unless the asking clause names the organ's kind
            hosts = [h for c in ids for h in self._lesion_sites(c, request.evidence, shown=not kinds or bool(
                {c} & scope_of(self.ontology, kinds)))]
            if hosts:
                ids, hosted = list(dict.fromkeys(hosts)), True
            out += [c for c in ids if c not in out]
        return out, hosted

    def _site_kinds(self, parts: list[list[Item]], request: Request, kinds: list[str],
                    typed: dict[int, str]) -> tuple[dict[str, set[str]], dict[str, set[int]]]:
        """Structure -> the kinds of finding the report says of it, and structure -> the pieces of the report
        that name it. A comma part that joins two findings, each with its own structure ("hepatic steatosis and
        cholecystitis"), is two pieces, each structure with its own finding; one that says one finding of several
        structures ("liver and spleen enlarged") is one piece, its finding said of all of them."""
        said: dict[str, set[str]] = {}
        origin: dict[str, set[int]] = {}
        for part in parts:
            pieces: list[list[Item]] = [[]]
            for item in part:
                if item.term.kind == "conjunction":
                    pieces.append([])
                else:
                    pieces[-1].append(item)
            found = [(self._chunk_kinds(p, typed), self._report_ids(p, request, kinds)[0]
                      + [c for g in self._implied_sites([p]) for c in g.ids]) for p in pieces if p]
            if len(found) < 2 or not all(k and ids for k, ids in found):
                whole = self._report_ids(part, request, kinds)[0] + [c for g in self._implied_sites([part])
                                                                    for c in g.ids]
                found = [(self._chunk_kinds(part, typed), whole)]
            for k, ids in found:
                piece = len({p for pieces in origin.values() for p in pieces}) + 1
                for c in ids:
                    said.setdefault(c, set()).update(k)
                    origin.setdefault(c, set()).add(piece)
        return said, origin

    def _read_report(self, request: Request) -> TargetSpec | None:
        """A pasted report, then an asking clause that names no structure of its own, only a kind ("gland",
        "organ", "kidney") and a reference: "the affected gland", "the other one", "the normal kidney", "this
        organ", "both", "the inflamed organ". The report's clauses are the antecedents, each a finding's site, said
        to be normal, or plain; the reference picks among those of that kind, and must pick exactly one (or one
        pair, for "both"), else the later readers decide."""
        clauses = self._clauses(request)
        if (spec := self._set_removed_aside(request, clauses)) is not None:
            return spec
        if (spec := self._asked_for_removed(clauses, request)) is not None:
            return spec
        sets = self._word_sets
        acting = [k for k, c in enumerate(clauses) if any(i.term.kind == "action" for i in c)]
        if acting:
            # "hx pancreatitis, splenomegaly, seg the inflamed organ": a comma before the verb ends the report
            said = clauses[acting[-1]]
            verb = next(j for j, i in enumerate(said) if i.term.kind == "action")
            comma = max((j for j in range(verb) if said[j].text == ","), default=0)
            if comma > 0:
                clauses[acting[-1]:acting[-1] + 1] = [said[:comma], said[comma + 1:]]
                acting = [k for k, c in enumerate(clauses) if any(i.term.kind == "action" for i in c)]
        verbless = not acting
        if verbless and len(clauses) == 1:
            # "pt with bilateral hydronephrosis, both please": a last comma part with no verb and no structure of
            # its own, that refers back, is the asking clause, when the part before it names no structure but
            # implies one by a finding (a report); "ribs 7 to 9, both sides" is one request
            said = clauses[0]
            comma = max((j for j, i in enumerate(said) if i.text == ","), default=0)
            referring = set().union(*(sets[k] for k in ("both_words", "other_words", "normal_words", "affected_words")))
            if comma > 0 and not any(i.term.kind in MENTION for i in said) \
                    and any(i.text in referring for i in said[comma + 1:]) and self._implied_sites([said[:comma]]):
                clauses = [said[:comma], said[comma + 1:]]
        if verbless and len(clauses) >= 2 and not any(i.term.kind in MENTION for i in clauses[-1]):
            # "Pancreatitis and splenomegaly. The inflamed organ, please.": a last clause with no verb and no
            # structure of its own asks, when it holds a reference (checked below)
            acting = [len(clauses) - 1]
        if len(clauses) < 2 or not acting:
            return None
        asking = clauses[acting[-1]]
        # "Segment the inflamed organ. History of pancreatitis and splenomegaly.": the asking clause may come
        # first, the report after it. Only a report before a verb gives its findings' sites as context whatever
        # the asking clause says; the other two shapes do once the asking clause is known to be a reference.
        first = acting[-1] == 0
        report_clauses = clauses[1:] if first else clauses[:acting[-1]]
        implied = [] if first or verbless else self._implied_sites(report_clauses)
        request.context = (request.context or []) + implied  # "Pheochromocytoma on the right. Contour the gland." 
        words = {i.text for i in asking}
        # "the affected adrenals": a group's name asks for every member the finding is in, as a plural head does
        groups_named = any(i.term.kind == "concept" and str(i.term.value) in self.ontology
                           and self.ontology[str(i.term.value)].members for i in asking)
        # "Segment the broken bone": a group's name after a finding adjective is the kind of the structure asked
        # for, as "gland" is, not every member of the group; so is one after a demonstrative ("these ribs")
        demonstratives = set(self._phrase_table("demonstratives"))
        asking = [Item(i.start, i.end, Term("singular", i.term.value, i.term.source), i.text) if (
            j > 0 and i.term.kind == "concept" and str(i.term.value) in self.ontology
            and self.ontology[str(i.term.value)].members and (asking[j - 1].text in sets["affected_words"]
                                                              or asking[j - 1].text in demonstratives
                                                              or self._kinds_of_word(asking[j - 1].text, False)))
                  else i for j, i in enumerate(asking)]
        if (spec := self._described_after_removal(asking, report_clauses, request)) is not None:
            return spec
        if any(i.term.kind in ("concept", "side", "number", "locative", "range") and not (
                i.term.kind == "side" and i.term.value == "both" and i.text in sets["both_words"])
               and not _compound_hyphen(asking, j) and not self._on_a_side(asking, j) for j, i in enumerate(asking)):
            return None  # it names a structure, a side, a number or a relation itself ("both" refers back)
        nouns = [i for i in asking if i.term.kind == "singular" or (i.term.kind == "head" and i.text not in
                                                                      self.words.generic)]
        if len(nouns) > 1:
            return None  # "the kidney with the stone and the ipsilateral psoas": more than one thing is asked
        other, normal, both = (bool(words & sets[key]) for key in ("other_words", "normal_words", "both_words"))
        affected = bool(words & (sets["affected_words"] | sets["weak_reference_words"] | demonstratives)) \
            or self._names_by_finding([i.text for i in asking]) or bool(self._finding_adjective_sites(request)) \
            or any(i.term.kind == "unknown" and i.text.isalpha() and j + 1 < len(asking)  # "the fatty organ"
                   and asking[j + 1] in nouns and not asking[j + 1 + 1:] for j, i in enumerate(asking))
        # "the inflamed organ", "das vergrößerte Organ": an adjective of a kind of finding (inflammation,
        # enlargement ...) asks for the structure the report says has a finding of that kind
        wanted = {k for i in asking for w in i.text.split() for k in self._kinds_of_word(w, i.term.kind == "unknown")}
        remaining = bool(words & self._remaining_words)
        if not (other or normal or both or affected or wanted or remaining):
            return self._asked_of_removed(asking, report_clauses, request)
        if first or verbless:
            implied = self._implied_sites(report_clauses)
            request.context = (request.context or []) + implied
        kinds = [str(i.term.value) for i in asking if i.term.kind == "singular"]
        category = next((self.words.categories[w] for w in words if w in self.words.categories
                         and self.words.categories[w] not in self.words.generic), None)
        findings = sets["findings_words"]
        stems = tuple(self.language.get("stem_suffixes", ())) + tuple(self.language.get("finding_suffixes", ()))
        typed = {b for a, b in request.text.repairs if a.endswith(stems)}
        status: dict[str, str] = {}  # antecedent -> "finding" | "normal" | "plain", the report's order kept
        # The report before the asking clause, sentence by sentence: a label keeps its finding ("Right kidney: 2 cm
        # cyst"), and a comma splits what a sentence says of each ("fracture of L1, T12 and L2 intact").
        asked_at = request.items.index(asking[0])
        report = request.items[request.items.index(asking[-1]) + 1:] if first else request.items[:asked_at]
        sentences: list[list[Item]] = [[]]
        for item in report:
            if item.term.kind == "break" and item.text != ":":
                sentences.append([])
            elif item.text != ":":
                sentences[-1].append(item)
        parts = [part for sentence in sentences for part in _split_at_commas(sentence)]
        typed_at = self._typed_at(request)
        for clause in parts:
            said = {i.text for i in clause}
            state = "removed" if self._says_removed(clause, request) else "normal" if said & sets["normal_words"] \
                else "finding" if said & findings or said & typed \
                or any(w.isalpha() and w.endswith(stems) for w in said) or self._chunk_kinds(clause, typed_at) \
                else "plain"
            for m in self._mentions_of(clause):
                g = ground_mention(m, self.ontology)
                ids = list(g.ids if not g.options else ())
                # a lesion the image shows stays itself, unless the asking clause names the organ's kind
                hosts = [h for c in ids for h in self._lesion_sites(c, request.evidence, shown=not kinds or bool(
                    {c} & scope_of(self.ontology, kinds)))]
                if hosts:  # "right renal cyst" in a report: a finding in the right kidney
                    ids, state = list(dict.fromkeys(hosts)), "finding" if state == "plain" else state
                for c in ids:
                    if kinds and c not in scope_of(self.ontology, kinds):
                        continue
                    if category is not None and not self.in_category(c, category) and category not in self._name_words[c]:
                        continue
                    status[c] = state if status.get(c, "plain") == "plain" else status[c]
        for g in implied:  # a finding that names its own organ is a finding's site
            for c in g.ids:
                if (not kinds or c in scope_of(self.ontology, kinds)) and (category is None or self.in_category(
                        c, category) or category in self._name_words[c]):
                    status[c] = "finding"
        removed = [c for c, s in status.items() if s == "removed"]
        if removed:
            # "History: right nephrectomy. Segment the remaining kidney.": what was taken out is never the target;
            # "the remaining one" (or "the other one") of a pair is the side not removed. Removed from a structure
            # with no pair ("the remaining liver"), it is the later readers' to read.
            for c in removed:
                del status[c]
            if remaining or other:
                pairs = [self.ontology[c].pair for c in removed if self.ontology[c].pair]
                if len(pairs) != 1 or len(removed) != 1:
                    return ask(list(dict.fromkeys(removed + pairs)), request.reading, request.evidence, self.ontology,
                               "report reference: the remaining one of what was removed is not one structure")
                request.reading.rationale.append(f"report reference: {removed[0]} was removed; the remaining one is "
                                                 f"its pair {pairs[0]}")
                request.reading.cap("target found by reference to the report", T.confidence.reference)
                mention = Mention(concept=pairs[0], form="concept", text=pairs[0], source="reference")
                request.include = [Grounding(mention=mention, ids=pairs, explicit=True,
                                             rule=f"report reference -> {pairs} (the pair of the removed)")]
                return None
        elif remaining and not (other or normal or both or affected or wanted):
            return None
        marked = self._finding_adjective_sites(request)
        # a finding said again as an adjective ("the steatotic organ" ~ "steatosis") names its own site first
        sites = [c for c, s in status.items() if c in marked and s != "normal"] or [c for c, s in status.items()
                                                                                  if s == "finding"]
        plural = groups_named or any(i.text in self.words.plural_heads for i in asking)  # "the fractured ribs"
        by_kind = False
        said_kinds, origin = self._site_kinds(parts, request, kinds, typed_at)
        if wanted and not (other or normal or both):
            found = [c for c, s in status.items() if s == "finding"]
            matching = [c for c in found if said_kinds.get(c, set()) & wanted]
            kind = "/".join(sorted(wanted))
            if len(matching) > 1 and not plural:
                # "pancreatitis and colitis ... the inflamed organ": two findings of that kind, one asked for
                return ask(matching, request.reading, request.evidence, self.ontology,
                           f"report reference: several structures have a finding of the kind asked for ({kind})")
            if not matching and any(said_kinds.get(c) for c in found):
                # "pancreatitis ... the enlarged organ": the report says other kinds of finding, not that one
                return ask([c for c, s in status.items() if s != "normal"], request.reading, request.evidence, self.ontology,
                           f"report reference: no structure of the report has a finding of the kind asked for ({kind})")
            if matching:
                sites, by_kind = matching, True
                request.reading.rationale.append(f"report reference: the finding of the kind asked for ({kind}) is "
                                                 f"said of {', '.join(matching)}")
        if normal:
            chosen = [c for c, s in status.items() if s == "normal"]
            lateral = [c for c in sites if self.ontology[c].pair]
            if not chosen and len(sites) == 1 and lateral and (kinds or len(status) == 1) \
                    and status.get(self.ontology[lateral[0]].pair) is None:
                # "Hydronephrosis on the right. Outline the unaffected kidney.": the report names one side of a
                # pair by its finding and says nothing of the other; the unaffected one is that other side
                chosen = [self.ontology[lateral[0]].pair]
                request.reading.rationale.append(f"report reference: the one said without a finding is the pair "
                                                 f"of {lateral[0]}")
        elif other:
            # the pair of the finding's site, or of the one structure not said to be normal
            lateral = [c for c in (sites or [c for c, s in status.items() if s != "normal"]) if self.ontology[c].pair]
            chosen = [self.ontology[lateral[0]].pair] if len(lateral) == 1 else []
        elif both:
            # "both" is the one pair the report names, whatever else it names ("Both kidneys normal; a cyst in the
            # spleen. Segment both of them."); two pairs named leave it open
            pairs = {pair for c in status if (pair := self._pair_in(c, status))}
            chosen = sorted(next(iter(pairs))) if len(pairs) == 1 else []
            if len(pairs) > 1:  # "Both kidneys and both adrenals normal. Segment both.": which pair?
                return ask([c for pair in pairs for c in sorted(pair)], request.reading, request.evidence,
                           self.ontology, "report reference: \"both\" may be any of the pairs the report names")
        else:
            # a structure said to be normal is never "the affected organ": the one plain structure named, or none
            plain = [c for c, s in status.items() if s != "normal"]
            chosen = sites if sites else plain if len(plain) == 1 else []
        if not chosen and affected and not (other or normal or both) and status \
                and all(s == "normal" for s in status.values()):
            # "Pancreas normal. Segment the affected organ.": the only structure named is said to be normal, so it
            # is never the affected one, and no later reader may take it as the plain target
            return refuse("The report says the structure it names is normal; which one is affected?",
                          T.confidence.clarify, request.reading, request.evidence, self.ontology,
                          "report reference: every structure the report names is said to be normal")
        if not chosen and normal and status and all(s == "finding" for s in status.values()):
            # "Hepatomegaly. Outline the healthy organ.": every structure the report names has a finding, so none
            # of them is the normal one, and no later reader may take one as the plain target
            return ask(list(status), request.reading, request.evidence, self.ontology,
                       "report reference: every structure the report names has a finding; none is said to be normal")
        # "Segment the unremarkable organs": a plural head takes every structure said to be normal
        if normal and len(chosen) > 1 and not (both or plural):
            return ask(chosen, request.reading, request.evidence, self.ontology,
                       "report reference: several structures are said to be normal")
        pieces = set().union(*(origin.get(c, set()) for c in chosen)) if chosen else set()
        if affected and not (other or normal or both or plural) and len(chosen) > 1 \
                and not any(all(p in origin.get(c, ()) for c in chosen) for p in pieces):
            # "Pancreatitis, splenomegaly. Segment the affected organ.": one is asked for, the report has several
            # findings, each of its own structure (one finding said of two, "a mass of the pancreas abutting the
            # spleen", is left to the later readers)
            return ask(chosen, request.reading, request.evidence, self.ontology,
                       "report reference: the reference may be any of several findings' sites")
        one = (affected or wanted) and not (other or normal or both or plural or groups_named)
        if one and (several := self._one_of_several(chosen or [c for c, s in status.items() if s != "normal"], report)):
            # "Lesions in both liver and spleen. Segment the affected organ.", "Nodules in both adrenals. Segment
            # the affected one.": one finding said of several structures, and a singular reference: which one?
            return ask(several, request.reading, request.evidence, self.ontology,
                       "report reference: one is asked for, the finding is said of several structures")
        found_in_each = affected and all(status.get(c) == "finding" for c in chosen)
        if not chosen or (len(chosen) > 1 and not (both or ((normal or by_kind or found_in_each) and plural))):
            return None  # ("Fractures of left ribs 9 and 10. Segment these ribs.": a plural reference takes them all)
        reading = request.reading
        reading.rationale.append(f"report reference: -> {', '.join(chosen)} (of the structures the report names: "
                                 + ", ".join(f"{c} {s}" for c, s in status.items()) + ")")
        reading.cap("target found by reference to the report", T.confidence.reference)
        # a negation inside the report ("no cholecystitis") denies a finding, not the asking clause's target
        asked = {i.text for i in asking}
        request.parsed.exclude = [m for m in request.parsed.exclude if set(m.text.split()) <= asked]
        if not any(i.term.kind == "exclusion" for i in asking):
            # "No hydronephrosis. Please segment both.": the report's negation never reaches the asking clause
            request.parsed.exclude, request.parsed.exclude_refs = [], []
        # a structure negated in the report ("no hydronephrosis" read as a kidney) is a denied finding there
        request.discourse.negated = [chunk for chunk in request.discourse.negated
                                     if chunk and chunk[0].start >= asking[0].start]
        mention = Mention(concept=chosen[0], form="concept", text=", ".join(chosen), source="reference")
        # (one structure must be there whole; a group, as when named, by the part of it the image shows)
        request.include = [Grounding(mention=mention, ids=chosen, explicit=len(chosen) == 1
                                     and not self.ontology[chosen[0]].members, rule=f"report reference -> {chosen}")]
        return None

    def _one_of_several(self, chosen: list[str], report: list[Item]) -> list[str]:
        """The structures a singular reference may mean when the report says its finding of several at once: the
        structures chosen when they are named as a list ("liver and spleen", joined only by conjunctions), or the
        two sides of the one pair chosen ("both adrenals"). Else [] (one structure, or a finding of one structure
        that only touches another: "a mass of the pancreas abutting the spleen")."""
        if len(chosen) == 1:
            members = [m for m in self.ontology[chosen[0]].members if m in self.ontology] \
                if chosen[0] in self.ontology else []
            sides = {self.ontology[m].laterality for m in members}
            return members if len(members) == 2 and sides == {"left", "right"} else []
        named = [k for k, i in enumerate(report) if i.term.kind in MENTION and any(
            c in chosen for m in self._mentions_of([i]) for c in ground_mention(m, self.ontology).ids)]
        if len(named) < 2 or any(report[k].term.kind not in ("conjunction", "filler", "side") or report[k].text in (
                ",", ";") for k in range(named[0] + 1, named[-1]) if k not in named):
            return []
        return chosen

    def _set_removed_aside(self, request: Request, clauses: list[list[Item]]) -> TargetSpec | None:
        """"s/p splenectomy; segment the left kidney and the pancreas": a structure that a clause of the report
        (one with no verb of asking, beside one with) says was taken out is context, never a target. One named
        again in the asking clause ("s/p cholecystectomy. Segment the gallbladder.") is a question: the history
        and the request disagree, and what the map draws there may be a remnant, a collection or a wrong study.
        A removal the report plans ("nephrectomy scheduled") or says was partial leaves the structure in place."""
        asked = [c for c in clauses if any(i.term.kind == "action" for i in c)]
        if not asked or len(asked) == len(clauses) or request.parsed is None:
            return None
        parts = [part for c in clauses if c not in asked for part in _split_at_commas(c)
                 if self._says_removed(part, request)]
        removed = {i.text for part in parts for i in part if i.term.kind in MENTION}
        gone = {i.text for part in parts if not {t for i in part for t in i.text.split()} & self._structure_kept_words
                for i in part if i.term.kind in MENTION}
        asked_texts = {i.text for c in asked for i in c}
        asking = {t for text in asked_texts for t in text.split()}
        # "the remaining kidney", "the other one": the removed one's pair is asked, read later
        again = set() if asking & (self._remaining_words | self._word_sets["other_words"]) \
            else gone & {i.text for c in asked for i in c if i.term.kind in MENTION}
        if again:
            named = [m for m in request.parsed.include if m.text in again]
            ids = list(dict.fromkeys(c for m in named for c in ground_mention(m, self.ontology).ids))
            names = ", ".join(self.ontology[c].name for c in ids) or ", ".join(sorted(again))
            message = f"The history says the {names} was removed, yet the request asks for it."
            why = f"report reference: the report says {names} was removed, and the request asks for it"
            if len(ids) < 2:
                return refuse(message + " Please check the study, or ask again without the history.",
                              T.confidence.clarify, request.reading, request.evidence, self.ontology, why)
            return ask(ids, request.reading, request.evidence, self.ontology, why, message=message + " Which one?")
        removed -= asked_texts
        moved = [m for m in request.parsed.include if m.text in removed]
        if not moved:
            return None
        request.parsed.include = [m for m in request.parsed.include if m not in moved]
        request.parsed.context.extend(moved)
        request.context = (request.context or []) + [ground_mention(m, self.ontology) for m in moved]
        request.reading.rationale.append("removed, so context: " + ", ".join(m.text for m in moved))
        return None

    def _described_after_removal(self, asking: list[Item], report: list[list[Item]],
                                 request: Request) -> TargetSpec | None:
        """"History of splenectomy. Segment the organ in the left upper quadrant.": a structure only described
        (no name of its own), of a kind the report says one structure of was taken out: the description may well
        fit the removed one, which the map may still draw. A question, never that structure's mask."""
        if any(i.term.kind in MENTION for i in asking) or self._says_removed(asking, request):
            return None
        categories = self._categories_said(asking)
        if not categories:
            return None
        removed = [c for clause in report for part in _split_at_commas(clause) if self._says_removed(part, request)
                   for c in self._report_ids(part, request, [])[0] if self._of_a_kind(c, categories)]
        if not removed:
            return None
        return self._maybe_the_removed(removed, request, "a description of the kind of a removed structure")

    def _placed_where_one_was_removed(self, request: Request, spec: TargetSpec) -> TargetSpec | None:
        """"Splenectomy 2010. Outline the organ under the left hemidiaphragm.": an answer placed by a relation or a
        description (no name of its own for it in the asking clause) that is a structure the report says was taken
        out; the map may still draw something there, but it is not what was asked. A refusal, never that mask."""
        if spec.status != "ok" or request.items is None:
            return None
        clauses = self._clauses(request)
        asking = [c for c in clauses if any(i.term.kind == "action" for i in c)]
        if not asking or len(asking) == len(clauses) or any(self._says_removed(c, request) for c in asking):
            return None  # ("... outline the kidney to be removed": the removal is planned, the kidney there)
        named = {str(i.term.value) for c in asking for i in c if i.term.kind in MENTION}
        # (a removal the report plans or says was partial leaves the structure in place, as for `_set_removed_aside`)
        removed = [c for clause in clauses if clause not in asking for part in _split_at_commas(clause)
                   if self._says_removed(part, request)
                   and not {t for i in part for t in i.text.split()} & self._structure_kept_words
                   for c in self._report_ids(part, request, [])[0]]
        hit = [c for c in spec.targets if c in removed and c not in named]
        if not hit:
            return None
        return self._maybe_the_removed(hit, request, "the answer is a structure the report says was removed")

    def _maybe_the_removed(self, removed: list[str], request: Request, why: str) -> TargetSpec:
        """The refusal of a description that may fit a structure the report says was taken out."""
        names = ", ".join(self.ontology[c].name for c in dict.fromkeys(removed))
        return refuse(f"The report says the {names} was removed, and the structure described may be it. Please "
                      "name the structure you want.", T.confidence.clarify, request.reading, request.evidence,
                      self.ontology, f"report reference: {why} ({names})")

    def _categories_said(self, items: list[Item]) -> set[str]:
        """The kinds that the nouns of kind in `items` name ("organ", "gland")."""
        return {self.words.categories[i.text] for i in items if i.term.kind == "head" and i.text in self.words.categories}

    def _of_a_kind(self, concept: str, categories: set[str]) -> bool:
        """Whether `concept` is of one of `categories` (a generic one, "structure", takes any)."""
        return any(k in self.words.generic or self.in_category(concept, k) for k in categories)

    def _asked_for_removed(self, clauses: list[list[Item]], request: Request) -> TargetSpec | None:
        """"s/p right nephrectomy. Segment the removed kidney.", "... the organ that was resected": a removal word
        in the asking clause says the removal is done (the kidney "to be removed" is still there: a word of a
        planned removal). When the report says a structure of the kind asked was taken out, what is asked is not in
        the patient: a refusal that says so, never the pair's mask."""
        words, _ = self._removal_words
        asked = [c for c in clauses if any(i.term.kind == "action" for i in c)]
        report = [c for c in clauses if c not in asked]
        for asking in asked:
            if not {i.text for i in asking} & words \
                    or {t for i in asking for t in i.text.split()} & self._structure_kept_words:
                continue
            kinds = [str(i.term.value) for i in asking if i.term.kind in MENTION]
            categories = self._categories_said(asking)
            if len(kinds) + len(categories) != 1:
                continue
            scope = scope_of(self.ontology, kinds)
            removed = [c for clause in report if self._says_removed(clause, request)
                       for c in self._report_ids(clause, request, kinds)[0]
                       if c in scope or self._of_a_kind(c, categories)]
            if removed:
                names = ", ".join(self.ontology[c].name for c in dict.fromkeys(removed))
                return refuse(f"The history says the {names} was removed, so there is nothing of it to segment.",
                              T.confidence.clarify, request.reading, request.evidence, self.ontology,
                              f"report reference: the request asks for the removed {names}")
        return None

    def _on_a_side(self, items: list[Item], k: int) -> bool:
        """"the kidney on the unaffected side": a place word before the word "side" (articles and reference words
        between) places by the side a reference picks, no relation to a structure."""
        if items[k].term.kind != "locative":
            return False
        rest = [i for i in items[k + 1:] if i.term.kind != "filler"]
        return bool(rest) and rest[0].text in self.words.side_nouns

    def _asked_of_removed(self, asking: list[Item], report: list[list[Item]], request: Request) -> TargetSpec | None:
        """"History: right nephrectomy. Segment the kidney.": the noun asked names the pair one side of which the
        report says was removed; it may mean the one left, or the removed one still drawn on the map: ask. Not
        when the asking clause itself says the removal ("outline the kidney to be removed": it is planned)."""
        words, _ = self._removal_words
        kinds = [str(i.term.value) for i in asking if i.term.kind == "singular"]
        if len(kinds) != 1 or {i.text for i in asking} & words or self._says_removed(asking, request):
            return None
        scope = scope_of(self.ontology, kinds)
        removed = [c for clause in report if self._says_removed(clause, request)
                   for c in self._report_ids(clause, request, kinds)[0] if c in scope]
        if not removed:
            return None
        options = list(dict.fromkeys(c for r in removed for c in (r, self.ontology[r].pair) if c))
        return ask(options, request.reading, request.evidence, self.ontology,
                   f"report reference: the report says {', '.join(removed)} was removed; which one is asked?")

    @cached_property
    def _finding_site_table(self) -> dict[str, str]:
        """The language files' `finding_sites` with their findings tokenized: finding -> the organ it implies."""
        return {" ".join(tokenize(k)): v for k, v in self.language.get("finding_sites", {}).items()
                if not k.startswith("_") and v in self.ontology}

    @cached_property
    def _structure_kept_words(self) -> set[str]:
        return {t for w in self.language.get("structure_kept_words", ()) for t in tokenize(w)}

    @cached_property
    def _remaining_words(self) -> set[str]:
        return {" ".join(tokenize(w)) for w in self.language.get("remaining_words", ())}

    @cached_property
    def _removal_words(self) -> tuple[set[str], tuple[str, ...]]:
        return ({" ".join(tokenize(w)) for w in self.language.get("removal_words", ())},
                tuple("".join(tokenize(w)) for w in self.language.get("removal_suffixes", ())))

    def _says_removed(self, clause: list[Item], request: Request) -> bool:
        """Whether a report's clause says its structure was taken out: a removal word ("right kidney removed",
        "Niere entfernt") or a word built with a removal suffix that the normalizer read as the organ
        ("nephrectomy" -> kidney)."""
        words, suffixes = self._removal_words
        tokens = {t for i in clause for t in i.text.split()}
        typed = self._typed_at(request)
        return bool({i.text for i in clause} & words or tokens & words) or any(
            typed.get(p, "").endswith(suffixes) for i in clause for p in range(i.start, max(i.end, i.start + 1)))

    def _lesion_sites(self, concept_id: str, evidence, shown: bool = True) -> list[str]:
        """The organs a lesion named in a report lies in, when the image cannot show the lesion itself: its
        `within`, else the structure whose name is the lesion's name less a finding word ("right kidney cyst" ->
        the right kidney), member by member for a group ("renal cysts" -> both kidneys). [] for anything else."""
        present = set(evidence.present or ()) if evidence.present is not None else set(evidence.vocabulary or ())
        concept = self.ontology[concept_id]
        if concept.members:
            found = [self._lesion_sites(c, evidence, shown) for c in concept.members]
            return [h for hosts in found for h in hosts] if found and all(found) else []
        if shown and concept_id in present:
            return []
        if concept.within:
            return [c for c in concept.within if c in self.ontology]
        findings = self._word_sets["findings_words"]
        words = tokenize(concept.name)
        if not any(w in findings for w in words):
            return []
        host = " ".join(w for w in words if w not in findings)
        return [c.id for c in self.ontology.concepts.values() if c.id != concept_id and c.name == host][:1]

    def _implied_sites(self, clauses: list[list[Item]]) -> list[Grounding]:
        """The organs a report's findings imply by their own name ("pheochromocytoma" -> an adrenal gland,
        "hydronephrosis" -> a kidney: the `finding_sites` table of the language files), each with the side said
        in its clause, when the clause names no structure of that kind itself."""
        table = self._finding_site_table
        found: list[Grounding] = []
        # a comma part of its own ("Hydronephrosis on the right, left kidney normal") gives the finding its side
        # and the structures said beside it; a part that says no side takes the clause's
        parts = [(part, clause) for clause in clauses for part in _split_at_commas(clause)]
        for part, whole in parts:
            said = {c for m in self._mentions_of(part) for c in (m.concept, *ground_mention(m, self.ontology).ids)}
            said_sides = {str(i.term.value) for i in part if i.term.kind == "side"} \
                or {str(i.term.value) for i in whole if i.term.kind == "side"}
            sides = said_sides & {"left", "right"}
            clause = part
            for k, item in enumerate(clause):
                # a finding may be two words once read ("gallstones" -> "gall stones"): the pair is tried first
                pair = f"{item.text} {clause[k + 1].text}" if k + 1 < len(clause) else ""
                site = table.get(pair) or table.get(item.text)
                if site is None or scope_of(self.ontology, {site}) & said:
                    continue
                paired = len(self.ontology[site].members) == 2
                if paired and said_sides == {"both"}:
                    paired = False  # "bilateral hydronephrosis": the finding is in both, the pair's group itself
                mention = Mention(concept=site, form="singular" if paired else "concept", text=item.text,
                                  source="finding", sides=set(sides) if paired and len(sides) == 1 else set())
                grounded = ground_mention(mention, self.ontology)
                if grounded.ids and not grounded.options:
                    found.append(grounded)
        return found

    def _pair_in(self, concept_id: str, said) -> frozenset[str] | None:
        """The pair a structure said in a report stands for: itself and its pair when both are said, or the two
        members of a pair group ("both kidneys"). Else None."""
        concept = self.ontology[concept_id]
        if concept.pair:
            return frozenset((concept_id, concept.pair)) if concept.pair in said else None
        members = list(concept.members)
        if len(members) == 2 and self.ontology[members[0]].pair == members[1]:
            return frozenset(members)
        return None

    def _read_possessive(self, request: Request) -> TargetSpec | None:
        """"the spleen plus the kidney on its side", "the right kidney with its adrenal": a paired noun said with a
        possessive pronoun takes the side of the structure said before it (its own side if lateral, else the side
        its centroid lies on, clear of the midline)."""
        items, evidence = request.items, request.evidence
        # (not one before a part of its owner: "the loop of bowel around its head" places the bowel by the
        # pancreas's head, it takes no side from it)
        owners = [k for k, i in enumerate(items) if i.text in self._word_sets["possessive_pronouns"]
                  and not (k + 1 < len(items) and self._ends_with_a_part_word(items[k + 1].text))]
        if not owners or request.include is not None:
            return None
        if (companion := self._possessed_description(request, owners)) is not None:
            return companion
        changed = False
        for mention in request.parsed.include:
            if mention.sides or not self.ontology[mention.concept].members:
                continue
            at = next((k for k, i in enumerate(items) if i.text == mention.text and i.term.kind in MENTION), None)
            if at is None or not any(abs(k - at) <= 3 for k in owners):
                continue
            before = [i for i in items[:at] if i.term.kind in MENTION]
            if not before:
                continue
            owner = ground_mention(self._mentions_of([before[-1]])[0], self.ontology)
            if len(owner.ids) != 1 or owner.options:
                continue
            if (named := self._owned_by_verb(items, at, owners, before[-1])) is not None:
                request.reading.rationale.append(f'possessive: "{mention.text}" with its verb is the '
                                                 f'"{named[1]}" ({named[0]})')
                mention.concept, mention.form, mention.text = named[0], "concept", named[1]
                changed = True
                continue
            if mention.form != "singular":
                if not self._owns_members(owner.ids[0], mention.concept) and not self._one_each(mention.concept):
                    return self._ask_whose(request, owner, mention)
                continue  # "the spine and its vertebrae": its own members, every one
            side = self.ontology[owner.ids[0]].laterality
            if side is None and evidence.present and owner.ids[0] in evidence.present:
                x = evidence.present[owner.ids[0]].centroid_ras_mm[0]
                side = next((s for s in ("left", "right") if evidence.lies_on(s, x, T.midline_tolerance_mm)), None)
            if side is None:
                continue
            mention.sides.add(side)
            request.reading.rationale.append(f'possessive: "{mention.text}" takes the {side} side of '
                                             f'"{owner.mention.text}"')
            changed = True
        if changed:
            request.reading.cap("side taken from the structure a possessive refers to", T.confidence.reference)
            request.include = [ground_mention(m, self.ontology) for m in request.parsed.include]
        return None

    def _possessed_description(self, request: Request, owners: list[int]) -> TargetSpec | None:
        """"the liver and its bile reservoir": a possessive whose noun names no structure describes one that goes
        with the structure said before it; it is read by meaning (never the owner itself), or asked back. It is
        never dropped: the owner alone would be a wrong mask."""
        items = request.items
        for k in owners:
            before = [i for i in items[:k] if i.term.kind in MENTION]
            stop = next((j for j in range(k + 1, len(items)) if items[j].term.kind in ("conjunction", "break")),
                        len(items))
            said = items[k + 1:stop]
            joined = k > 0 and (items[k - 1].term.kind == "conjunction"
                                or items[k - 1].text in self._word_sets["possession_words"])
            # "in its entirety", "without its endpoints", "measuring its diameter": the owner's own extent or
            # measure, no second structure
            if not joined or not before or not any(i.term.kind in ("unknown", "head") for i in said) \
                    or any(i.term.kind in (*MENTION, "side", "number") for i in said) or self.embeddings is None:
                continue
            owner = ground_mention(self._mentions_of([before[-1]])[0], self.ontology)
            phrase = " ".join(i.text for i in said)
            own = scope_of(self.ontology, owner.ids + owner.options) | {owner.mention.concept}
            every = self.embeddings.rank(phrase, top=None)
            ranked = [(c, score) for c, score in every if c not in own and not (self.ontology.descendants(c) & own)]
            if not ranked or every[0][1] < T.embedding.off_topic \
                    or (every[0][0] in own and ranked[0][1] < T.embedding.clarify):
                continue  # "the liver and its parenchyma", "L1 and its posterior elements": the owner's own part
            (best, score), runner = ranked[0], (ranked[1][1] if len(ranked) > 1 else 0.0)
            request.reading.rationale.append(f'possessive: "{phrase}" of "{owner.mention.text}" read by meaning: '
                                             f"nearest {best} {score:.2f} (next {runner:.2f})")
            if score < T.description.accept or score - runner < T.description.margin:
                return ask([c for c, _ in ranked[:T.embedding.clarify_top]], request.reading, request.evidence,
                           self.ontology, message=f'I read the {self.ontology[owner.mention.concept].name} but not '
                                                  f'"{phrase}": which structure do you mean by it?')
            request.parsed.include.append(Mention(concept=best, form="concept", text=phrase, source="description"))
            request.reading.cap("read as a description by the encoder", T.confidence.description)
            request.include = [ground_mention(m, self.ontology) for m in request.parsed.include]
            return None
        return None

    def _owns_members(self, owner: str, group: str) -> bool:
        """Whether a group said with an owner's possessive is the owner's own ("the lungs and their lobes"), or
        holds the owner ("the kidney and its fellows")."""
        scope = self.ontology.descendants(owner) | {owner}
        return group in scope or owner in self.ontology.descendants(group) \
            or bool(self.ontology.descendants(group) & scope)

    def _one_each(self, group: str) -> bool:
        """Whether a group is a pair or a series ("their adrenal glands", "its ribs"): the readers of sides and
        levels place such a group against its owner; a class of structures ("its veins") they cannot."""
        leaves = [self.ontology[c] for c in self.ontology.descendants(group) if not self.ontology[c].members]
        paired = len(leaves) == 2 and leaves[0].pair == leaves[1].id
        return paired or (bool(leaves) and all(c.series for c in leaves))

    def _ask_whose(self, request: Request, owner, mention) -> TargetSpec:
        """"the liver and its veins": which of the group belong to the owner is not in the ontology, so the
        request is asked back, never answered with the whole group."""
        whole = self.ontology[mention.concept].name
        return ask([owner.ids[0], mention.concept], request.reading, request.evidence, self.ontology,
                   why=f'possessive: which {whole} belong to the {self.ontology[owner.ids[0]].name} is not recorded',
                   message=f"Which {whole} do you mean with the {self.ontology[owner.ids[0]].name}? Which of them "
                           f"belong to it is not known to me: name them, or ask for all the {whole}.")

    def _owned_by_verb(self, items: list[Item], at: int, owners: list[int], owner: Item) -> tuple[str, str] | None:
        """"spleen plus its draining vein": a possessive, then a verb said before the noun, is the noun doing that
        verb to the owner ("the vein draining the spleen"). (concept, phrase) when the lexicon names that phrase
        with the owner said with or without an article, else None: a verb the lexicon does not place this way
        leaves the possessive to its side."""
        own = next((k for k in reversed(owners) if k < at), None)
        between = items[own + 1:at] if own is not None else []
        if not between or any(i.term.kind in MENTION or i.term.kind in ("side", "number") for i in between):
            return None
        verb = [t for i in between for t in i.text.split()]
        said = items[at].text.split()
        # "its draining veins": the lexicon says the phrase with its noun in the singular
        nouns = [said] + [[*said[:-1], said[-1][:-len(end)] + stem] for end, stem in
                          (self.language.get("plural_endings") or {}).items()
                          if not end.startswith("_") and said[-1].endswith(end) and len(said[-1]) > len(end) + 2]
        articles = [[]] + [a.split() for a in sorted(self._word_sets["definite_articles"])]
        owner_names = dict.fromkeys((owner.text, self.ontology[str(owner.term.value)].name))
        for noun, owner_words, article in ((n, o, a) for n in nouns for o in owner_names for a in articles):
            phrase = (*noun, *verb, *article, *owner_words.split())
            term = self.index.phrases.get(phrase)
            if term is not None and term.kind == "concept" and str(term.value) in self.ontology:
                return str(term.value), " ".join(phrase)
        return None

    def _read_reference(self, request: Request) -> TargetSpec | None:
        """"the affected organ", "that gland", "the other one", "the ipsilateral adrenal", "both": resolve to an
        antecedent said before (a finding's site first), never to a negated or withdrawn one unless it is the only
        noun there is ("not the left kidney, the other one")."""
        if request.include is not None:
            return None  # the report reader found the referent
        items, parsed = request.items, request.parsed
        texts = [i.text for i in items]
        sets = self._word_sets
        if self._read_normal(request):
            return None
        adjective = self._read_finding_adjective(request)
        if adjective:
            return adjective if isinstance(adjective, TargetSpec) else None
        other = any(t in sets["other_words"] for t in texts)
        same = any(t in sets["same_side_words"] for t in texts)
        # ("the little caps that sit on top of the kidneys": "that" after a noun begins a clause about that noun;
        # it points back at nothing)
        affected = any(t in sets["affected_words"] and not (
            t in sets["relative_words"] and k > 0 and items[k - 1].term.kind in ("unknown", "head", "singular"))
            for k, t in enumerate(texts)) or self._names_by_finding(texts)
        both = any(t in sets["both_words"] for t in texts) and not parsed.include
        if not (other or same or affected or both):
            return None
        antecedents = self._antecedents(request)
        if not antecedents and (other or same) and parsed.include:
            # "Fracture of the left tenth rib; segment the same rib on the opposite side", "Right adrenal adenoma;
            # segment the contralateral gland": the antecedent is in the same sentence, before the reference
            said = [k for k, i in enumerate(items) if i.term.kind in MENTION]
            last = items[said[-1]]
            bare = last.term.kind == "singular" and not (said[-1] > 0 and items[said[-1] - 1].term.kind == "side")
            position = said[-1] if bare and len(said) > 1 else said[-1] + 1
            before = self._mentions_of(items[:position])
            after = [last] if bare and len(said) > 1 else []
            heads = [i.text for i in items[position:] if i.term.kind == "head"]
            ref_at = next((k for k, i in enumerate(items) if i.text in sets["other_words"]
                           or i.text in sets["same_side_words"]), len(items))
            context_only = any(i.text in sets["findings_words"] for i in items[:ref_at])
            asked_heads = [i.text for i in items[said[0] + 1:] if i.term.kind == "head" and i.text not in self.words.generic]
            if len(asked_heads) > (0 if after else 1):
                heads, after, before = [], [], []  # another noun is asked for too: not only a reference
            grounded = [ground_mention(m, self.ontology) for m in before]
            grounded = [g for g in grounded if len(g.ids) == 1 and not g.options and self.ontology[g.ids[0]].pair]
            fits = grounded and (after or any(self.in_category(grounded[-1].ids[0], self.words.categories.get(h, h))
                                              or h in self._name_words[grounded[-1].ids[0]] for h in heads))
            if fits and len(parsed.include) == len(before) + len(after):
                antecedents = grounded
                if context_only:  # said of a finding: context, not a target
                    parsed.include = [m for m in parsed.include if m.text in {i.text for i in after}]
                reading_note = f'reference: the antecedent "{grounded[-1].mention.text}" is said before it'
                request.reading.rationale.append(reading_note)
        if not antecedents:
            return None
        reading = request.reading
        lateral = [g for g in antecedents if len(g.ids) == 1 and self.ontology[g.ids[0]].laterality]
        if parsed.include:
            # "the ipsilateral adrenal", "the contralateral kidney", "the affected kidney": a bare paired noun
            # takes its side from the antecedent.
            changed = False
            for mention in parsed.include:
                if mention.form != "singular" or mention.sides or not lateral:
                    continue
                scope = scope_of(self.ontology, {mention.concept})
                if not other and any(set(g.ids) <= scope for g in antecedents if g.ids):
                    continue  # "Left 11th rib fracture. Segment the fractured rib.": the lexicon refers back
                side = self.ontology[lateral[-1].ids[0]].laterality
                if other:
                    side = "left" if side == "right" else "right"
                elif not (same or affected):
                    continue
                mention.sides.add(side)
                source = self.ontology[lateral[-1].ids[0]]
                if source.series and not mention.numbers and source.series == self._series_of(mention.concept):
                    members = spatial.series_members(self.ontology, source.series, source.laterality)
                    mention.numbers = [[c.id for c in members].index(source.id) + 1]
                reading.rationale.append(f'reference: "{mention.text}" takes side {side} from '
                                         f'"{lateral[-1].mention.text}"')
                changed = True
            if changed:
                reading.cap("side taken from an antecedent", T.confidence.reference)
            return None
        if parsed.bare_refs and not both:
            return None
        category = next((self.words.categories[t] for t in texts if t in self.words.categories), None)
        pool = [g for g in antecedents if category is None or category in self.words.generic
                or any(self.in_category(c, category) for c in g.ids)]
        if not pool:
            return None
        referent = pool[-1]
        ids = list(referent.ids)
        if other or both:
            target = [c for c in ids if self.ontology[c].pair]
            if not target:
                return None
            pairs = [self.ontology[c].pair for c in target]
            ids = pairs if other else list(dict.fromkeys(target + pairs))
        said = request.discourse
        dropped = {c for chunk in (said.dropped if said is not None else []) for m in self._mentions_of(chunk)
                   for c in ground_mention(m, self.ontology).ids}
        if not other and set(ids) <= dropped:
            # "gallbladder, no, I mean the organ it hangs from": the reference points at what the correction
            # withdrew; the answer is something said of it, never it
            return ask(ids, reading, request.evidence, self.ontology,
                       why=f'the reference resolves to "{referent.mention.text}", which was withdrawn or negated',
                       message=f"You withdrew the {self.ontology[ids[0]].name}; which structure do you mean instead?")
        reading.rationale.append(f'reference: -> "{referent.mention.text}"'
                                 + (" (its pair)" if other else " and its pair" if both else ""))
        reading.cap("target found by reference to an antecedent", T.confidence.reference)
        mention = Mention(concept=ids[0], form="concept", text=referent.mention.text, source="reference")
        request.include = [Grounding(mention=mention, ids=ids, explicit=len(ids) == 1, rule=f"reference -> {ids}")]
        return None

    def _apposition(self, tokens: list[str], edges: list[int], ends: list[int], n: int, words: list[str],
                    spec: TargetSpec, request: Request) -> TargetSpec | None:
        """"the right kidney and the organ above it on that side, the liver", "the spleen, i.e. the organ under
        the left ribs": a name set off by a comma (or an apposition word) beside a description names the same
        structure, never a second one. Part `n` (its words read as `spec`) and part `n + 1` of a composition are
        apposed when one is a description (its head a kind: "organ", "vessel", "one") and the other a plain name.
        When the description's answer is the name, or it has no answer of its own (a question whose candidates
        hold the name), the answer is the name, once; when they differ, a question with both. None when the two
        parts are not apposed (a list: "liver, spleen, kidneys"; "and" joins two things; a description that refers
        back with a pronoun describes another structure: "the liver, the organ under it")."""
        if n + 1 >= len(edges) or tokens[edges[n + 1] - 1] != ",":
            return None  # "X and Y", "X; segment Y": two things
        following = [t for t in tokens[edges[n + 1]:ends[n + 1]] if t not in (".", "!", ",", ";")]
        following = self._without_apposition_words(following)
        order = self._apposed(words, following)
        if order is None:
            return None
        desc_first = order == "description first"
        other = self.understand(" ".join(following), request.evidence, request.context_words)
        description, name = (spec, other) if desc_first else (other, spec)
        if name.status != "ok" or not name.targets or (description.status == "ok" and not description.targets):
            return None
        named = list(name.targets)
        answered = list(description.targets) if description.status == "ok" else list(description.candidates)
        reading = Reading(confidence=min(name.confidence, T.confidence.reference))
        if set(named) == set(answered) or (description.status != "ok" and (set(named) <= set(answered)
                                                                            or not answered)):
            # the description and the name agree (or the description alone could not decide): one structure
            agreed = name.model_copy(deep=True)
            agreed.confidence = min(name.confidence, T.confidence.reference)
            agreed.trace.rationale.append(f"apposition: the name {', '.join(named)} and the description "
                                          f"({description.status}: {', '.join(answered) or 'nothing'}) are one "
                                          "structure")
            return agreed
        return ask(list(dict.fromkeys(named + answered)), reading, request.evidence, self.ontology,
                   f"apposition: the name says {', '.join(named)}, the description {', '.join(answered)}",
                   message="The name and the description you gave point at different structures ("
                   + " or ".join(self.ontology[c].name for c in dict.fromkeys(named + answered))
                   + "). Which one do you mean?")

    def _has_apposition(self, request: Request) -> bool:
        """Whether two parts of the request set off by a comma are a description and a name of one structure
        (see `_apposition`): then the request is read part by part even when the whole reading found an answer
        ("the vessel to the left of the IVC, the aorta" read whole takes the aorta as a candidate, not a name)."""
        items, tokens = request.discourse.scanned, request.text.tokens
        cuts = self._conjunct_cuts(items)
        edges = [0] + [items[k].end for k in cuts]
        ends = [items[k].start for k in cuts] + [len(tokens)]
        parts = [[t for t in tokens[a:b] if t not in (".", "!", ",", ";")] for a, b in zip(edges, ends)]
        for n in range(len(parts) - 1):
            if tokens[edges[n + 1] - 1] != ",":
                continue
            if self._apposed(parts[n], self._without_apposition_words(parts[n + 1])) is not None:
                return True
        return False

    def _apposed(self, first: list[str], second: list[str]) -> str | None:
        """How two parts set off by a comma are apposed: "description first" ("the organ above it, the liver"),
        "name first" ("the liver, the big organ on the right"), or None when they are not a description and a
        name of one structure."""
        if self._opens_relative_clause(second):
            return None  # "the small gland, which sits on the right kidney": the clause describes the gland
        if self._describes(first, placed=True) and self._names_only(second):
            return "description first"
        if self._names_only(first) and self._describes(second):
            return "name first"
        return None

    def _opens_relative_clause(self, words: list[str]) -> bool:
        """Whether a part set off by a comma opens with a relative pronoun ("which", "qui", "que"): it describes the
        noun before it and names nothing of its own. A word that is an article as well ("die", "der") is the
        pronoun when no name, side or adjective follows it ("die auf der rechten Niere sitzt"; "die Milz" is a
        name)."""
        if not words:
            return False
        if words[0] in self._phrase_table("relative_words"):
            return True
        if words[0] not in self._phrase_table("relative_articles"):
            return False
        scanned = self.index.scan(words[1:])
        return bool(scanned) and scanned[0].term.kind in ("filler", "locative")

    def _without_apposition_words(self, words: list[str]) -> list[str]:
        """The part less an apposition word that leads it ("namely", "c'est-à-dire", "es decir")."""
        joined = f" {' '.join(words)} "
        for phrase in sorted(self._phrase_table("apposition_words"), key=len, reverse=True):
            if phrase and joined.startswith(f" {phrase} "):
                return joined[len(phrase) + 2:].split()
        return words

    def _describes(self, words: list[str], placed: bool = False) -> bool:
        """A description of one structure: its first noun is a kind ("the big organ on the right"), not a name,
        and it holds no pronoun that would refer to the name before it. With `placed` (a description said before
        the name), a pronoun refers further back ("the organ above it, the liver"), and a member of a group placed
        by a relation ("the vessel to the right of the aorta, the IVC") is a description too."""
        scanned = self.index.scan(words)
        pronouns = self._word_sets["object_pronouns"] | self._word_sets["possessive_pronouns"]
        if not placed and any(i.text in pronouns for i in scanned):
            return False  # after a name, "the organ under it" is another structure
        if self._asks_or_refers(scanned):
            return False
        noun = next((i for i in scanned if i.term.kind in ("concept", "singular", "head")
                     or i.text in self.words.categories or i.text in self.words.generic), None)
        if noun is None or noun.term.kind == "concept":
            return False
        if any(i.term.kind in ("concept", "singular") for i in scanned[scanned.index(noun) + 1:]) \
                and not any(i.term.kind == "locative" for i in scanned):
            return False  # a structure named in a description is a relation's landmark ("first item -> kidney")
        if not placed and noun.text in self.words.generic:
            return False  # after a name, "the part in the tummy", "the two things that ...": a part or a gloss
        return noun.term.kind != "singular" or placed and any(i.term.kind == "locative" for i in scanned)

    def _names_only(self, words: list[str]) -> bool:
        """A plain name: structures, sides and filler words, nothing that places or describes ("the liver")."""
        scanned = self.index.scan(words)
        return any(i.term.kind in ("concept", "singular") for i in scanned) and not self._asks_or_refers(scanned) \
            and all(i.term.kind in ("concept", "singular", "side", "filler") for i in scanned)

    def _asks_or_refers(self, scanned: list[Item]) -> bool:
        """A part with a verb that asks ("segment the contralateral gland"), a finding or a word that refers to a
        report ("the other one", "the affected gland", "adenoma") is a request or a report of its own, never a
        name said again."""
        sets = self._word_sets
        words = sets["other_words"] | sets["same_side_words"] | sets["normal_words"] | sets["findings_words"] \
            | sets["both_words"] | sets["list_words"] | (sets["affected_words"] - sets["weak_reference_words"])
        return any(i.term.kind == "action" or i.text in words for i in scanned)

    def _read_normal(self, request: Request) -> bool:
        """"Left kidney: mass. Right kidney normal. Segment the normal one.": a request that names no structure
        and asks for the normal one takes the structure said to be normal before (and only one may be)."""
        normal = self._word_sets["normal_words"]
        clauses = self._clauses(request)
        asking = [c for c in clauses if any(i.term.kind == "action" for i in c) and any(i.text in normal for i in c)
                  and not any(i.term.kind in MENTION for i in c)]
        if not asking:
            return False
        said = [m for c in clauses if c not in asking and any(i.text in normal for i in c)
                for m in self._mentions_of(c)]
        grounded = [ground_mention(m, self.ontology) for m in said]
        grounded = [g for g in grounded if len(g.ids) == 1 and not g.options]
        if len(grounded) != 1:
            return False
        request.reading.rationale.append(f'reference: "the normal one" -> "{grounded[0].mention.text}", said to be normal')
        request.reading.cap("target found by reference to an antecedent", T.confidence.reference)
        request.include = grounded
        return True

    def _ordered_context(self, request: Request) -> list[Grounding]:
        """The context mentions, the sites of findings last (the likeliest referents of "the kidney")."""
        sites = self._finding_sites(request)
        return sorted(request.context, key=lambda g: bool(set(g.ids) & sites))

    def _antecedents(self, request: Request) -> list[Grounding]:
        """Earlier mentions a reference may point to, the likeliest last: context first, the sites of findings
        over plain mentions, and negated or withdrawn mentions only when nothing else is there."""
        sites = self._finding_sites(request)
        context = [g for g in request.context if g.ids and not g.options]
        plain = [g for g in context if not set(g.ids) & sites]
        with_finding = [g for g in context if set(g.ids) & sites]
        if context:
            return plain + with_finding
        return [g for g in request.dropped if g.ids and not g.options]

    def _read_finding_adjective(self, request: Request) -> bool | TargetSpec:
        """"Coarse calcification in the right adrenal; left adrenal unremarkable. Segment the calcified gland.":
        an asking clause that names no structure, only its kind and a finding said as an adjective, asks for the
        site of that finding (of that kind)."""
        clauses = self._clauses(request)
        if len(clauses) < 2:
            return False
        named = [ground_mention(m, self.ontology) for m in self._mentions_of(clauses[-1])]
        if any(g.ids and not any(self.ontology[c].members for c in g.ids) for g in named):
            return False  # the asking clause names a structure itself
        scope = scope_of(self.ontology, {c for g in named for c in (*g.ids, *g.options, g.mention.concept)})
        sites = [g for g in map(lambda m: ground_mention(m, self.ontology), self._finding_adjective_mentions(request))
                 if g.ids and not g.options and (not named or set(g.ids) <= scope)]
        category = next((self.words.categories[i.text] for i in clauses[-1] if i.text in self.words.categories), None)
        if category is not None and category not in self.words.generic:
            sites = [g for g in sites if all(self.in_category(c, category) for c in g.ids)]
        if not sites:
            return False
        if any(i.text in self._word_sets["other_words"] or self.words.relations.get(i.text) == "opposite_side"
               for i in clauses[-1]):
            # "Left kidney atrophic. Segment the contralateral one to the atrophic kidney.": the finding picks the
            # structure the other one is the pair of; one paired site, else a question (never the site itself)
            ids = [c for g in sites for c in g.ids]
            if len(ids) != 1 or not self.ontology[ids[0]].pair:
                return ask(ids, request.reading, request.evidence, self.ontology,
                           "reference: the other one of the pair, but the finding said again names "
                           + ("several structures" if len(ids) > 1 else "a structure with no pair"))
            pair = self.ontology[ids[0]].pair
            mention = Mention(concept=pair, form="concept", text=self.ontology[pair].name, source="reference")
            sites = [Grounding(mention=mention, ids=[pair], explicit=True, rule=f"pair of {ids[0]}")]
            request.reading.rationale.append(f'reference: the other one of the pair whose finding is said again '
                                             f'as an adjective ({ids[0]})')
        request.reading.rationale.append(f'reference: the finding said again as an adjective -> '
                                         f'{", ".join(g.mention.text for g in sites)}')
        if (joined := self._asked_with_more(clauses[-1], sites, request)) is not None:
            return joined
        request.reading.cap("target found by reference to an antecedent", T.confidence.reference)
        request.include = sites
        return True

    def _asked_with_more(self, asking: list[Item], sites: list[Grounding], request: Request) -> TargetSpec | None:
        """"Fracture of L1. Segment the fractured vertebra and the levels directly above and below.": the clause
        asks for more than the site, joined to it; it is read again with the site named where the finding was
        said ("segment L1 and the levels directly above and below"). None when nothing is joined to it."""
        joins = [k for k, i in enumerate(asking) if i.term.kind == "conjunction" and i.is_word]
        if len(sites) != 1 or len(sites[0].ids) != 1 or not joins:
            return None
        # the noun the finding was said of: a structure's name, else the word before the join ("the fractured level")
        named = [k for k, i in enumerate(asking) if i.term.kind in MENTION] or [
            k for k in range(joins[0] - 1, 0, -1) if asking[k].text.isalpha() and asking[k].term.kind != "action"
            and asking[k].text not in self._word_sets["definite_articles"]][:1]
        if not named:
            return None
        joins = [k for k in joins if k > named[0]]
        if not joins or not any(i.text.isalnum() for i in asking[joins[0] + 1:]):
            return None
        start = named[0]
        while start > 0 and asking[start - 1].term.kind in ("filler", "unknown") \
                and asking[start - 1].term.kind != "action":
            start -= 1  # the article and the finding's adjective go with the noun
        tokens = request.text.tokens
        said = [*tokens[asking[0].start:asking[start].start], self.ontology[sites[0].ids[0]].name.lower(),
                *tokens[asking[named[0]].end:asking[-1].end]]
        spec = self.understand(" ".join(said), request.evidence, request.context_words)
        spec.trace.rationale.insert(0, f"reference: {sites[0].ids[0]} said where the finding was; read again as "
                                       f"{' '.join(said)!r}")
        spec.confidence = min(spec.confidence, T.confidence.reference)
        return spec

    def _clauses(self, request: Request) -> list[list[Item]]:
        clauses: list[list[Item]] = [[]]
        for item in request.items:
            if item.term.kind == "break" or item.text in (";", ":"):  # a semicolon ends a clause of a report too
                clauses.append([])
            else:
                clauses[-1].append(item)
        return [c for c in clauses if c]

    def _clause_sites(self, clause: list[Item]) -> set[str]:
        return {c for m in self._mentions_of(clause) for c in ground_mention(m, self.ontology).ids}

    def _finding_sites(self, request: Request) -> set[str]:
        """The structures said in the same clause as a findings word ("left renal mass"), and not said there to
        be normal ("left adrenal unremarkable")."""
        findings, normal = self._word_sets["findings_words"], self._word_sets["normal_words"]
        stems = tuple(self.language.get("stem_suffixes", ()))
        typed = {b for a, b in request.text.repairs if a.endswith(stems)} if request.text else set()
        sites: set[str] = set()
        for clause in self._clauses(request):
            words = {i.text for i in clause}
            if (words & findings or words & typed) and not words & normal:
                sites |= self._clause_sites(clause)
        return sites

    def _finding_adjective_mentions(self, request: Request) -> list[Mention]:
        """The mentions of the earlier clauses whose finding the asking clause repeats as an adjective."""
        clauses = self._clauses(request)
        asking = clauses[-1] if clauses else []
        findings = self._word_sets["findings_words"] | self._word_sets["affected_words"]
        words = [i.text for i in asking if (i.term.kind == "unknown" or i.text in findings) and i.text.isalpha()
                 and len(i.text) >= STEM]
        out: list[Mention] = []
        for clause in clauses[:-1]:
            for part in self._finding_parts(clause, words):
                out += self._mentions_of(part)
        return out

    def _finding_parts(self, clause: list[Item], words: list[str]) -> list[list[Item]]:
        """The parts of a report's clause that say a finding again named by `words` (its stem): the comma-separated
        phrase that holds it when that phrase names a structure ("thickened gallbladder wall, liver steatosis":
        only the gallbladder is thickened), else the whole clause ("calcification in the right adrenal")."""
        def says(part: list[Item]) -> bool:
            said = [i.text for i in part if i.text.isalpha() and len(i.text) >= STEM]
            return any(w[:STEM] == v[:STEM] for w in words for v in said)

        if not says(clause):
            return []
        phrases = _split_at_commas(clause)
        named = [p for p in phrases if says(p) and self._mentions_of(p)]
        return named or [clause]

    def _finding_adjective_sites(self, request: Request) -> set[str]:
        """"Segment the calcified gland", "the nodular one", "the ectatic vessel": a word of the asking clause
        that shares its stem with a word of an earlier clause (calcified ~ calcification, nodular ~ nodule) names
        the structures of that clause."""
        clauses = self._clauses(request)
        if len(clauses) < 2:
            return set()
        asking = clauses[-1]
        findings = self._word_sets["findings_words"] | self._word_sets["affected_words"]
        words = [i.text for i in asking if (i.term.kind == "unknown" or i.text in findings) and i.text.isalpha()
                 and len(i.text) >= STEM]
        marked: set[str] = set()
        for clause in clauses[:-1]:
            for part in self._finding_parts(clause, words):
                marked |= self._clause_sites(part)
        return marked

    def _head_refers_back(self, request: Request) -> list[Grounding]:
        """"6 mm nodule in the left lower lobe. Segment the lobe.": a head noun with no structure of its own
        names the structure said before whose name or kind it is."""
        heads = [i.text for i in request.items if i.term.kind == "head" and i.text not in self.words.generic]
        for g in reversed(request.context):
            if len(g.ids) != 1 or g.options:
                continue
            concept = g.ids[0]
            for head in heads:
                category = self.words.categories.get(head)
                if head in self._name_words[concept] or (category and self.in_category(concept, category)):
                    request.reading.rationale.append(f'"{head}" refers back to "{g.mention.text}"')
                    request.reading.cap("target found by reference to an antecedent", T.confidence.reference)
                    return [g]
        return []

    def _resolve_references(self, include: list[Grounding], context: list[Grounding],
                            reading: Reading, keep_wholes: bool = False,
                            items: list[Item] | None = None) -> list[Grounding]:
        """Drop a vaguer mention when a more specific one names part of it.

        "the right lower lobe of the lung": the lobe, not both lungs. "Left 11th rib fracture. Segment the
        fractured rib.": the bare "rib" refers back to the rib named before. With `keep_wholes` (an inclusion word:
        "the bowel including the duodenum") a named group stays beside its part; a mention that needs a side or a
        number still takes the specific one ("L kidney + L adrenal, incl. adrenal").
        """
        # "upper lobe, left lung": a bare noun whose alternatives fall inside another mention takes that one,
        # and the container is then only the place it was said to be.
        containers: set[int] = set()
        for g in include:
            for h in include:
                if g.options and h is not g and h.ids and not h.options:
                    inside = [o for o in g.options if o in scope_of(self.ontology, h.ids)]
                    if inside == h.ids and not self.ontology[h.ids[0]].members and _joined_after(items, h, g):
                        continue  # "L1 y la vértebra superior": the noun said again after "and" is another member
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
            # a numbered mention names only its numbered members ("rib 8" is no whole of "right rib 7")
            said = set() if g.mention.numbers and g.options else {g.mention.concept}
            scope = scope_of(self.ontology, {*said, *g.ids, *g.options})
            # ("L1 and the vertebra above": one of a series said after a member and a joining word is another)
            inside = [h for h in include if h is not g and h.ids and not h.options and set(h.ids) <= scope
                      and set(h.ids) != set(g.ids) and not (g.options and _joined_after(items, h, g))]
            earlier = [h for h in context if h.ids and not h.options and set(h.ids) <= scope] if g.options else []
            if inside and keep_wholes and not g.options:
                reading.rationale.append(f'"{g.mention.text}" is asked for with "{inside[0].mention.text}" '
                                         "(an inclusion word)")
                kept.append(g)
            elif inside and not g.options and self._said_whole(g.mention.text):
                # "Left kidney normal. Both kidneys please": "both" says the whole pair, never one of its parts
                reading.rationale.append(f'"{g.mention.text}" is said whole; "{inside[0].mention.text}" is in it')
                kept.append(g)
            elif inside:
                reading.rationale.append(f'"{g.mention.text}" is the whole of which "{inside[0].mention.text}" '
                                         "is the part asked for")
            elif earlier:
                referent = earlier[-1]
                reading.rationale.append(f'"{g.mention.text}" refers back to "{referent.mention.text}"')
                kept.append(referent)
            else:
                kept.append(g)
        return kept

    def _said_whole(self, text: str) -> bool:
        """Whether a mention's own words say the whole of it: "both kidneys", "beide Nieren", "all the ribs"."""
        said = f" {text} "
        return any(f" {w} " in said for w in self._word_sets["both_words"] | self._word_sets["universal_words"])

    def _resolve_bare(self, references, context: list[Grounding], reading: Reading) -> list[Grounding]:
        """"Right 8th rib fracture. Segment R8.": a side and number alone name the structure said before."""
        found: list[Grounding] = []
        for reference in references:
            for g in reversed(context):
                concept = self.ontology[g.ids[0]] if len(g.ids) == 1 else None
                if concept is not None and reference.side in ("left", "right") and concept.pair \
                        and concept.laterality not in (None, reference.side) and not reference.numbers:
                    # "not the left kidney, the right one": the side names the pair of the noun said before
                    pair = ground_mention(Mention(concept=concept.pair, form="concept", text=g.mention.text,
                                                  source="reference"), self.ontology)
                    reading.rationale.append(f'"{reference.side}" names the pair of "{g.mention.text}"')
                    found.append(pair)
                    break
                if concept is None or (reference.side and concept.laterality != reference.side) \
                        or (reference.numbers and not (concept.series and concept.order in reference.numbers)):
                    continue
                reading.rationale.append(f'"{reference.side or ""} {reference.numbers or ""}" refers back to '
                                         f'"{g.mention.text}"')
                found.append(g)
                break
        if found:  # an antecedent found from context, never by the request's own name: below the sure band
            reading.cap("target found by reference to an antecedent", T.confidence.reference)
        return found


def _joined_after(items: list[Item] | None, first: Grounding, then: Grounding) -> bool:
    """Whether `then` is said after `first` and right after a joining word ("L1 and the vertebra ...", not
    "the right renal parenchyma and sinus as a single kidney mask")."""
    def at(g: Grounding) -> int | None:
        return next((k for k, i in enumerate(items or ()) if i.text == g.mention.text
                     and str(i.term.value) == g.mention.concept), None)
    start, end = at(first), at(then)
    if start is None or end is None or end <= start:
        return False
    before = [i for i in items[start + 1:end] if i.term.kind != "filler"]
    return bool(before) and before[-1].term.kind == "conjunction" and before[-1].is_word
