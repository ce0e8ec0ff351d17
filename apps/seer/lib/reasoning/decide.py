"""Stage 5, decide: check the grounded concepts against the image and return a spec, a refusal or a question."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Evidence, TargetSpec, Trace
from .ground import Grounding
from .parse import BareReference
from .thresholds import T

CONFIDENCE_EXACT = T.confidence.exact
CONFIDENCE_REFUSE_ABSENT = T.confidence.refuse_absent
CONFIDENCE_REFUSE_UNKNOWN = T.confidence.refuse_unknown
CONFIDENCE_REFUSE_UNSURE = T.confidence.refuse_unsure
CONFIDENCE_CLARIFY = T.confidence.clarify
PENALTY_PER_REPAIR = T.penalty.per_repair


@dataclass
class Reading:
    """Everything the earlier stages concluded about one request."""

    include: list[Grounding] = field(default_factory=list)
    exclude: list[Grounding] = field(default_factory=list)
    exclude_refs: list[BareReference] = field(default_factory=list)
    rationale: list[str] = field(default_factory=list)
    confidence: float = CONFIDENCE_EXACT
    skill: str | None = None
    ledger: list[tuple[str, float]] = field(default_factory=list)  # (reason, change in confidence)
    expressions: list[dict] = field(default_factory=list)  # the target expression's operators that were evaluated
    nodes: list[dict] = field(default_factory=list)  # each evaluated node: what decided it, and its margin
    unexplained: list[str] = field(default_factory=list)  # content words no language file explains

    def adjust(self, reason: str, change: float) -> None:
        """Change the confidence and say why; the ledger goes into the trace."""
        if change:
            self.confidence += change
            self.ledger.append((reason, round(change, 3)))

    def cap(self, reason: str, ceiling: float) -> None:
        if self.confidence > ceiling:
            self.adjust(reason, ceiling - self.confidence)


def _present(evidence: Evidence, concept_id: str) -> bool:
    return evidence.present is None or concept_id in evidence.present


def _name(ontology, concept_id: str) -> str:
    return ontology[concept_id].name


def _trace(evidence: Evidence, rationale: list[str], spec: TargetSpec, ontology) -> Trace:
    seen = {"modality": evidence.modality, "orientation": evidence.orientation, "region": evidence.region,
            "vertebral_levels": evidence.vertebral_levels}
    if evidence.present is not None:
        seen["present"] = {c: {"volume_ml": s.volume_ml, "centroid_ras_mm": list(s.centroid_ras_mm)}
                           for c, s in evidence.present.items()}
    answer = {"status": spec.status, "targets": spec.targets, "exclude": spec.exclude,
              "names": [_name(ontology, t) for t in spec.targets]}
    if spec.candidates:
        answer["candidates"] = spec.candidates
    return Trace(evidence=seen, rationale=rationale, answer=answer)


def _expression(reading: Reading) -> dict | None:
    """The request's target expression as JSON: the operators the readers evaluated, or, for a reading by the
    lexicon alone, the union of what it named minus what it excluded."""
    if reading.expressions:
        return reading.expressions[0] if len(reading.expressions) == 1 else {"op": "union",
                                                                               "items": list(reading.expressions)}
    named = [{"op": "concept" if explicit else "group", "id": c}
             for c, explicit in dict.fromkeys((c, g.explicit) for g in reading.include for c in g.ids)]
    named += [{"op": "one_of", "options": list(g.options)} for g in reading.include if g.options]
    if not named:
        return None
    expression = named[0] if len(named) == 1 else {"op": "union", "items": named}
    minus = [{"op": "group", "id": c} for g in reading.exclude for c in (g.ids or g.options)]
    minus += [{"op": "side" if r.side else "numbers", **({"side": r.side} if r.side else {}),
               **({"numbers": r.numbers} if r.numbers else {}),
               **({"end": r.extreme} if r.extreme else {})} for r in reading.exclude_refs]
    return {"op": "difference", "items": [expression, *minus]} if minus else expression


def finish(spec: TargetSpec, reading: Reading, evidence: Evidence, ontology, confirm: bool = False) -> TargetSpec:
    """The one place a TargetSpec is completed: status, targets, trace and answer cannot disagree. A refusal or a
    question carries no targets and no exclusions. `confirm`: the question offers what the request itself named
    ("the heart is not in this image: the liver alone?"), so one candidate is a yes-or-no question, not a guess."""
    if spec.status != "ok":
        spec.targets, spec.exclude = [], []
    if spec.status == "clarify" and spec.candidates:
        vocabulary = set(evidence.vocabulary)
        kept = list(dict.fromkeys(c for c in spec.candidates if c in ontology
                                  and (not vocabulary or ontology.leaves(c, vocabulary))))
        if len(kept) != len(spec.candidates):
            reading.rationale.append("candidates this image's backbone cannot segment dropped: "
                                     + ", ".join(c for c in spec.candidates if c not in kept))
        if len(kept) < (1 if confirm else 2):
            # A question needs two choices the backbone can segment; fewer is a refusal, never a guess.
            names = " or ".join(ontology[c].name for c in kept)
            spec = TargetSpec(status="rejected", confidence=spec.confidence,
                              message=spec.message if not kept else
                              f"I am not sure what you mean (perhaps {names}?). Name the structure to segment.")
        elif len(kept) != len(spec.candidates):
            spec.candidates = kept
            spec.message = f"Which do you mean: {' or '.join(ontology[c].name for c in kept)}?"
    spec.confidence = round(max(0.0, min(1.0, spec.confidence)), 3)
    spec.skill = reading.skill
    spec.trace = _trace(evidence, reading.rationale, spec, ontology)
    spec.trace.ledger = list(reading.ledger)
    spec.trace.expression = _expression(reading)
    spec.trace.nodes = list(reading.nodes)
    spec.trace.unexplained = list(reading.unexplained)
    return spec


def _offer_the_rest(shown: list[str], missing: str, why: str, reading: Reading, evidence: Evidence,
                    ontology) -> TargetSpec:
    """A question that says which part of the request cannot be segmented and offers the rest, never a mask of part
    of what was asked."""
    reading.rationale.append(f"{why}; the rest is offered")
    rest = ", ".join(_name(ontology, t) for t in shown)
    spec = TargetSpec(status="clarify", candidates=shown, confidence=CONFIDENCE_CLARIFY,
                      message=f"{missing} " + (f"Segment {rest} alone?" if len(shown) == 1 else f"Which of {rest}?"))
    return finish(spec, reading, evidence, ontology, confirm=True)


def ask(candidates: list[str], reading: Reading, evidence: Evidence, ontology, why: str = "",
        message: str | None = None, confidence: float = CONFIDENCE_CLARIFY) -> TargetSpec:
    """A question among `candidates` (fewer than two the backbone can segment becomes a refusal, in `finish`)."""
    if why:
        reading.rationale.append(why)
    names = " or ".join(ontology[c].name for c in candidates)
    spec = TargetSpec(status="clarify", candidates=list(candidates), confidence=confidence,
                      message=message or f"Which one do you mean: {names}?")
    return finish(spec, reading, evidence, ontology)


def refuse(message: str, confidence: float, reading: Reading, evidence: Evidence, ontology,
           why: str = "") -> TargetSpec:
    """A refusal with its reason; no targets anywhere."""
    if why:
        reading.rationale.append(why)
    return finish(TargetSpec(status="rejected", confidence=confidence, message=message), reading, evidence, ontology)


def bare_refusal(message: str, confidence: float) -> TargetSpec:
    """A refusal with no trace, for when even the trace cannot be built (a part of the reasoning failed)."""
    return TargetSpec(status="rejected", confidence=confidence, message=message)


def unexplained_words(spec: TargetSpec, words: list[str], critical: list[str], ontology) -> TargetSpec:
    """An answer that left words unexplained: below the sure band; when one sits where it could change the
    answer (next to a target, a side or a number), a question with the best reading, never a mask."""
    if critical:
        names = " and ".join(ontology[c].name for c in spec.targets[:3]) or "nothing"
        message = (f"I did not understand '{critical[0]}'. My best reading is {names}: say it again without "
                   f"'{critical[0]}', or rephrase it.")
        refusal = spec.refused(message, f"unexplained word next to a target, side or number: {critical[0]}")
        refusal.candidates = list(spec.targets)
        refusal.confidence = T.confidence.clarify
        refusal.trace.unexplained = list(words)
        return refusal
    ceiling = T.confidence.unexplained
    if spec.confidence > ceiling:
        spec.trace.ledger.append((f"unexplained word(s): {', '.join(words)}", round(ceiling - spec.confidence, 3)))
        spec.confidence = ceiling
    return spec


def refuse_unrecognised(reading: Reading, evidence: Evidence, ontology, prompt: str,
                        confidence: float = CONFIDENCE_REFUSE_UNKNOWN) -> TargetSpec:
    message = (f'"{prompt.strip()}" does not name an anatomical structure I can segment. '
               "Name the structure, e.g. \"left kidney\" or \"T12 to L2\".")
    if not prompt.strip():
        message = "The request is empty: name the structure to segment."
    return finish(TargetSpec(status="rejected", message=message, confidence=confidence),
                  reading, evidence, ontology)


def _ends(targets: list[str], ref: BareReference, ontology) -> list[str]:
    """The member (or `ref.numbers` members) at one end of `targets`, per side, in series order."""
    chosen: list[str] = []
    for side in dict.fromkeys(ontology[t].laterality for t in targets):
        ordered = sorted((t for t in targets if ontology[t].laterality == side),
                         key=lambda t: (ontology[t].order or 0) if ontology[t].series else targets.index(t))
        if ref.extreme == "last":
            ordered = ordered[::-1]
        if ref.extreme == "ends":
            chosen += list(dict.fromkeys(ordered[:1] + ordered[-1:]))
        elif ref.extreme and not ref.numbers:
            chosen += ordered[:1]
        else:  # "except the last two"
            chosen += ordered[:max(ref.numbers)]
    return chosen


def decide(reading: Reading, evidence: Evidence, ontology) -> TargetSpec:
    vocabulary = set(evidence.vocabulary)
    targets: list[str] = []
    absent: list[str] = []
    unsupported: list[str] = []
    questions: list[list[str]] = []
    asked: list[str] = []  # every member asked for, in the image or not

    for grounding in reading.include:
        if grounding.options:
            options = [o for o in grounding.options if any(_present(evidence, leaf)
                                                           for leaf in ontology.leaves(o, vocabulary))]
            if options and set(options) <= {d for g in reading.exclude for c in g.ids
                                             for d in (c, *ontology.descendants(c))}:
                # "psoas and erector spinae, leave out both psoas": every one it may mean is excluded by name
                reading.rationale.append(f"{grounding.rule}; every one of them is excluded")
                continue
            # "kidney, not the left one": an excluded side settles the question.
            excluded_sides = {ref.side for ref in reading.exclude_refs if ref.side and not ref.numbers}
            options = [o for o in options if ontology[o].laterality not in excluded_sides]
            # "the lumbar vertebra that is not L2": a member excluded by name settles the question as a side does;
            # not for one of a pair ("kidney, no left kidney" may as well correct itself to the left one)
            excluded = {c for g in reading.exclude for c in g.ids if ontology[c].laterality is None}
            options = [o for o in options if o not in excluded]
            if len(options) == 1:
                grounding.ids = options
                reading.rationale.append(f"{grounding.rule}; only {_name(ontology, options[0])} remains")
            elif not options:
                absent.extend(grounding.options)
                continue
            else:
                questions.append(options)
                reading.rationale.append(f"{grounding.rule}; {len(options)} of them are in the image")
                continue
        else:
            reading.rationale.append(grounding.rule)
        leaves = [leaf for concept_id in grounding.ids for leaf in ontology.leaves(concept_id, vocabulary)]
        unsupported.extend(c for c in grounding.ids if not ontology.leaves(c, vocabulary))
        present = [leaf for leaf in leaves if _present(evidence, leaf)]
        missing = [leaf for leaf in leaves if leaf not in present]
        # A named structure must be there; a group or range is satisfied by the part of it that is.
        if leaves and (not present or (grounding.explicit and missing)):
            absent.extend(missing or grounding.ids)
            continue
        if missing:
            reading.rationale.append(f"{', '.join(grounding.ids)}: {len(missing)} of {len(leaves)} parts are outside "
                                     f"the image ({', '.join(missing[:4])}{'...' if len(missing) > 4 else ''})")
        targets.extend(leaf for leaf in present if leaf not in targets)
        # a numbered range's ends are the ones said ("ribs 5 to 9"); a whole group's, the ones shown
        bounded = grounding.mention is not None and bool(grounding.mention.numbers or grounding.mention.range_end)
        asked.extend(leaf for leaf in (leaves if bounded else present) if leaf not in asked)

    excluded: list[str] = []
    for grounding in reading.exclude:
        count = grounding.mention.count if grounding.mention is not None else None
        shown = [leaf for c in grounding.ids for leaf in ontology.leaves(c, vocabulary) if _present(evidence, leaf)]
        if count and count != len(shown):
            # "minus the three lumbar ones" where the image shows two: which are meant is not for us to pick
            names = ", ".join(_name(ontology, c) for c in shown)
            return ask(shown, reading, evidence, ontology, why=f"{count} excepted, {len(shown)} shown",
                       message=f"You said {count}; the image shows {len(shown)} ({names}). Which do you mean to leave out?")
        for concept_id in grounding.ids or grounding.options:
            excluded.extend(leaf for leaf in ontology.leaves(concept_id, vocabulary) if leaf not in excluded)
    for ref in reading.exclude_refs:
        # "except the 12th pair", "minus both 8s": a pair is both sides, so any side matches
        matching = [t for t in targets if ref.side in (None, "both") or ontology[t].laterality == ref.side]
        numbered = [t for t in matching if ref.numbers and ontology[t].series and ontology[t].order in ref.numbers]
        if ref.extreme:
            # "except the first", "minus the last one": an end of what was asked for, counted in series order
            # on each side
            whole = [t for t in asked if ref.side in (None, "both") or ontology[t].laterality == ref.side]
            ends = _ends(matching, ref, ontology)
            if set(_ends(whole, ref, ontology)) != set(ends):
                # "ribs 5 to 9 except the first" when rib 5 is outside the scan: the end said (5), most likely,
                # but it may mean the first one shown, so never sure
                ends = [t for t in _ends(whole, ref, ontology) if t in matching]
                reading.cap("an end of what was asked lies outside the image", T.confidence.unsure)
            excluded.extend(t for t in ends if t not in excluded)
            continue
        excluded.extend(t for t in matching if t not in excluded and (not ref.numbers or t in numbered))
    if excluded:
        reading.rationale.append(f"excluded: {', '.join(excluded)}")
    # "the spine minus L5" where the backbone draws the spine as one label: the part cannot be carved out (nor a
    # level from the one label of every disc, "all discs except L4-5": a structure of the same region it cannot draw)
    def holds(target: str, part: str) -> bool:
        return part in ontology.descendants(target) or (
            ontology[part].series is not None and ontology[target].series is None and not ontology[target].members
            and ontology[part].region == ontology[target].region)

    # (levels named, not a kind said in the singular: "not a vertebra, the spinal cord" leaves no level out)
    uncarved = [c for g in reading.exclude for c in g.ids if not ontology.leaves(c, vocabulary)
                and any(holds(t, c) for t in targets)]
    if uncarved:
        whole = next(t for t in targets if holds(t, uncarved[0]))
        spec = TargetSpec(status="rejected", confidence=T.confidence.clarify,
                          message=f"The {_name(ontology, whole)} is one structure for this backbone: I cannot leave "
                                  f"out the {_name(ontology, uncarved[0])}. Ask for the whole "
                                  f"{_name(ontology, whole)} if that is what you need.")
        reading.rationale.append(f"excluded {uncarved[0]}, a part of {whole} the backbone draws as one label")
        return finish(spec, reading, evidence, ontology)

    coverage = evidence.describe_coverage()
    shown = [t for t in targets if t not in excluded]
    if unsupported:
        names = ", ".join(_name(ontology, c) for c in unsupported)
        if shown and not questions:
            # "spinal cord, discs, ribs" on an MR map without ribs: as for a part outside the scan
            return _offer_the_rest(shown, f"{names}: the backbone cannot segment this (not in its vocabulary).",
                                   f"not in the backbone's vocabulary: {', '.join(unsupported)}", reading, evidence,
                                   ontology)
        spec = TargetSpec(status="rejected", confidence=CONFIDENCE_REFUSE_ABSENT,
                          message=f"{names}: the backbone cannot segment this (not in its vocabulary).")
        return finish(spec, reading, evidence, ontology)
    if absent:
        names = ", ".join(dict.fromkeys(_name(ontology, c) for c in absent))
        verb = "is" if len(absent) == 1 else "are"
        if shown and not questions:
            # "liver and bladder" where the bladder is outside the scan: ask before giving part of what was asked
            return _offer_the_rest(shown, f"{names} {verb} not in this image (it shows {coverage}).",
                                   f"absent from the image: {', '.join(absent)}", reading, evidence, ontology)
        spec = TargetSpec(status="rejected", confidence=min(reading.confidence, CONFIDENCE_REFUSE_ABSENT),
                          message=f"{names} {verb} not in this image: the scan shows {coverage}.")
        reading.rationale.append(f"absent from the image: {', '.join(absent)}")
        return finish(spec, reading, evidence, ontology)
    if questions:
        candidates = [c for options in questions for c in options]
        spec = TargetSpec(status="clarify", candidates=candidates, confidence=CONFIDENCE_CLARIFY,
                          message="Which one do you mean: " + " or ".join(_name(ontology, c) for c in candidates) + "?")
        return finish(spec, reading, evidence, ontology)

    final = [t for t in targets if t not in excluded]
    if not final:
        # asking for X except all of X is more often a misreading than a request: never a sure refusal
        spec = TargetSpec(status="rejected", confidence=min(reading.confidence, T.confidence.refuse_unsure),
                          message="Nothing is left to segment once the exclusions are removed.")
        return finish(spec, reading, evidence, ontology)
    subtract = [e for e in excluded if e not in targets and _present(evidence, e)]
    names = ", ".join(_name(ontology, t) for t in final)
    message = f"Segmenting {names}" + (f" without {', '.join(_name(ontology, e) for e in subtract)}" if subtract else "")
    spec = TargetSpec(status="ok", targets=final, exclude=subtract, confidence=round(reading.confidence, 3),
                      message=message + ".")
    return finish(spec, reading, evidence, ontology)


def union_of_parts(parts: list[tuple[str, TargetSpec]], evidence: Evidence, ontology) -> TargetSpec:
    """"the larger kidney and the liver", "aorta and IVC and the vertebra between T12 and L2": a request read part
    by part, each part understood on its own, is the union of the parts. Its confidence stays below the least
    sure part (a composition can go wrong where the whole reading would not)."""
    reading = Reading(confidence=min(spec.confidence for _, spec in parts))
    reading.adjust("composed from parts read one by one", -T.penalty.composition)
    for text, spec in parts:
        reading.rationale.append(f"part {text!r} -> {', '.join(spec.targets)}")
        reading.expressions.append(spec.trace.expression or {"op": "union", "items": [
            {"op": "concept", "id": t} for t in spec.targets]})
        reading.nodes.extend(spec.trace.nodes)
        reading.unexplained.extend(w for w in spec.trace.unexplained if w not in reading.unexplained)
    targets = list(dict.fromkeys(t for _, spec in parts for t in spec.targets))
    exclude = list(dict.fromkeys(e for _, spec in parts for e in spec.exclude if e not in targets))
    spec = TargetSpec(status="ok", targets=targets, exclude=exclude, confidence=reading.confidence,
                      message=f"Segmenting {', '.join(_name(ontology, t) for t in targets)}.")
    return finish(spec, reading, evidence, ontology)
