"""SEER-Loop, one round: reward, audit, harvest, merge, purge.

The reward is what a real site has: the Dice between the mask we returned and the clinician's corrected label.
A skill is harvested from a correction when a candidate rewrite of the request clearly beats what was returned.
It is kept only while its uses help. This module knows nothing of MONAI Label: cases come in as plain data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..bench.metrics import dice
from ..records import Evidence, TargetSpec
from ..reasoning.engine import LearnedTrigger, ReasoningEngine
from ..privacy import without_placeholders
from .bank import Skill, SkillAudit

HARVEST_MIN_DICE = 0.5  # the rewrite must itself be good...
HARVEST_MIN_GAIN = 0.3  # ...and clearly better than both the answer given and the engine without skills
MAX_BANK_SIZE = 500
EMBEDDING_CANDIDATES = 5
OVERLAP_FOR_CANDIDATE = 0.5  # a present structure with this share of its voxels inside the final label


@dataclass
class Case:
    """One correction, ready to score."""

    prompt: str
    returned: TargetSpec | None  # the answer the clinician corrected (None: not logged; re-run it)
    final: np.ndarray  # bool (z, y, x): the corrected label
    evidence: Evidence
    union_mask: Callable[[list[str]], np.ndarray]  # concept ids -> their union on this image (the backbone)
    image_id: str = ""
    label_id: str = ""
    request_id: str | None = None


@dataclass
class RoundStats:
    corrections: int = 0
    harvested: int = 0
    purged: int = 0
    merged: int = 0
    capped: int = 0
    bank_size: int = 0
    dice_before: float | None = None  # mean Dice of the answers the clinicians corrected
    dice_after: float | None = None  # mean Dice of the new bank's answers to the same requests
    harvested_ids: list[str] = field(default_factory=list)
    purged_ids: list[str] = field(default_factory=list)


def answer_dice(spec: TargetSpec, case: Case) -> float:
    if spec.status != "ok" or not spec.targets:
        return dice(np.zeros_like(case.final), case.final)
    mask = case.union_mask(spec.targets)
    if spec.exclude:
        mask = mask & ~case.union_mask(spec.exclude)
    return dice(mask, case.final)


def triggers_of(skills: list[Skill]) -> list[LearnedTrigger]:
    return [LearnedTrigger(phrase=phrase, concept=skill.canonical[0], skill_id=skill.skill_id, form=skill.form)
            for skill in skills for phrase in (skill.trigger, *skill.aliases)]


def _candidate_sets(case: Case, engine: ReasoningEngine, returned: TargetSpec) -> list[tuple[str, ...]]:
    """Rewrites worth scoring: the engine's own alternatives, side flips, group and leaf variants, and the
    structures the corrected label actually covers in this image."""
    ontology = engine.ontology
    present = set(case.evidence.present or {})
    sets: list[tuple[str, ...]] = []
    sets += [(c,) for c in returned.candidates]
    for target in returned.targets:
        concept = ontology[target]
        if concept.pair:
            sets.append((concept.pair,))
        for group in concept.groups:
            sets.append((group,))
    if engine.embeddings is not None:
        sets += [(c,) for c, _ in engine.embeddings.rank(case.prompt, top=EMBEDDING_CANDIDATES)]
    covered = []
    for concept_id in sorted(present):
        voxels = case.union_mask([concept_id])
        if voxels.any() and (voxels & case.final).sum() >= OVERLAP_FOR_CANDIDATE * voxels.sum():
            covered.append(concept_id)
            sets.append((concept_id,))
    if len(covered) > 1:
        sets.append(tuple(covered))
    vocabulary = set(case.evidence.vocabulary)
    out = []
    for ids in sets:
        leaves = tuple(leaf for c in ids for leaf in ontology.leaves(c, vocabulary) if leaf in present)
        if leaves and leaves not in out:
            out.append(leaves)
    return out


def _concept_for(leaves: tuple[str, ...], engine: ReasoningEngine, vocabulary: set[str], present: set[str]) -> str | None:
    """One concept whose present leaves are exactly `leaves`: the leaf itself, or the smallest such group."""
    if len(leaves) == 1:
        return leaves[0]
    matches = [c.id for c in engine.ontology.concepts.values() if c.members
               and {l for l in engine.ontology.leaves(c.id, vocabulary) if l in present} == set(leaves)]
    return min(matches, key=lambda c: len(engine.ontology.leaves(c, vocabulary)), default=None)


def generalize(prompt: str, concept_id: str, engine: ReasoningEngine) -> tuple[str, str, str, str]:
    """Turn a corrected request into a trigger that also fires on other wordings.

    Returns (trigger, trigger_kind, form, tag). When one word of the request is unknown, that word is the
    trigger ("lkid" in "pls do lkid"). A side word beside it makes it name the pair ("Niere links": "niere" is
    a kidney, and "rechte Niere" then works too). Otherwise the request's core phrase is the trigger.
    """
    lexicon = engine.lexicon
    tokens = lexicon.tokens(without_placeholders(prompt))  # "[NAME]" is no word to learn
    unknown = [t for t in tokens if t.isalpha() and not lexicon.is_known(t)]
    sides = {lexicon.side_of(t) for t in tokens} - {None}
    concept = engine.ontology[concept_id]
    if len(unknown) == 1:
        family = lexicon.family(concept_id)
        if concept.laterality and sides == {concept.laterality} and family != concept_id:
            return unknown[0], "token", "singular", "LATERALITY_RESOLVE"
        return unknown[0], "token", "concept", "ABBR_DISAMBIGUATE"
    core = lexicon.core_phrase(tokens)
    return core, "phrase", "concept", "CLINICAL_REQUEST_NORMALIZE"


def _skill_id(trigger: str, concept_id: str) -> str:
    return "sk-" + hashlib.sha1(f"{trigger}\t{concept_id}".encode()).hexdigest()[:10]


def harvest(case: Case, engine: ReasoningEngine, returned: TargetSpec, reward: float, base_reward: float) -> Skill | None:
    vocabulary = set(case.evidence.vocabulary)
    present = set(case.evidence.present or {})
    scored = [(answer_dice(TargetSpec(status="ok", targets=list(ids)), case), ids)
              for ids in _candidate_sets(case, engine, returned)]
    if not scored:
        return None
    best_dice, best = max(scored, key=lambda item: item[0])
    if best_dice < HARVEST_MIN_DICE or best_dice - max(reward, base_reward) < HARVEST_MIN_GAIN:
        return None
    concept_id = _concept_for(best, engine, vocabulary, present)
    if concept_id is None:
        return None
    trigger, kind, form, tag = generalize(case.prompt, concept_id, engine)
    if not trigger:
        return None
    canonical = engine.lexicon.family(concept_id) if form == "singular" else concept_id
    return Skill(skill_id=_skill_id(trigger, canonical), tag=tag, trigger=trigger, trigger_kind=kind,
                 canonical=[canonical], form=form, vis_cue=engine.ontology[canonical].region,
                 style_bucket="site_shorthand" if kind == "token" else "phrase",
                 audit=SkillAudit(image_id=case.image_id, label_id=case.label_id, request_id=case.request_id,
                                  reward_before=round(reward, 4),
                                  reward_after=round(best_dice, 4), gain=round(best_dice - reward, 4)))


def merge(skills: list[Skill]) -> tuple[list[Skill], int]:
    """Skills with the same tag, target and form are one skill: keep the oldest, gather the other triggers as
    aliases, and add up their record."""
    kept: dict[tuple, Skill] = {}
    merged = 0
    for skill in sorted(skills, key=lambda s: s.created):
        key = (skill.tag, tuple(skill.canonical), skill.form)
        if key not in kept:
            kept[key] = skill.model_copy(deep=True)
            continue
        merged += 1
        into = kept[key]
        for phrase in (skill.trigger, *skill.aliases):
            if phrase != into.trigger and phrase not in into.aliases:
                into.aliases.append(phrase)
        into.uses += skill.uses
        into.utility = round(into.utility + skill.utility, 4)
    return list(kept.values()), merged


def run_round(cases: list[Case], skills: list[Skill], engine: ReasoningEngine,
              progress: Callable[[int, int], None] | None = None) -> tuple[list[Skill], RoundStats]:
    """One SEER-Loop round over the corrections. Returns the new bank and what happened."""
    stats = RoundStats(corrections=len(cases))
    bank = {s.skill_id: s.model_copy(deep=True) for s in skills}
    for skill in bank.values():
        skill.audit.prompt = None  # a bank written before requests were scrubbed: keep the trigger, not the request
    rewards = []
    for number, case in enumerate(cases, start=1):
        engine.set_learned(triggers_of(list(bank.values())))
        returned = case.returned or engine.understand(case.prompt, case.evidence)
        reward = answer_dice(returned, case)
        rewards.append(reward)
        engine.set_learned([])
        base_reward = answer_dice(engine.understand(case.prompt, case.evidence), case)
        # Audit: a skill earns what its answer gained over the engine without skills, or loses what it cost.
        if returned.skill in bank:
            used = bank[returned.skill]
            used.uses += 1
            used.utility = round(used.utility + (reward - base_reward), 4)
        skill = harvest(case, engine, returned, reward, base_reward)
        if skill is not None and skill.skill_id not in bank:
            bank[skill.skill_id] = skill
            stats.harvested += 1
            stats.harvested_ids.append(skill.skill_id)
        if progress:
            progress(number, len(cases))
    survivors = [s for s in bank.values() if s.utility >= 0]
    stats.purged_ids = sorted(s.skill_id for s in bank.values() if s.utility < 0)
    stats.purged = len(stats.purged_ids)
    survivors, stats.merged = merge(survivors)
    survivors.sort(key=lambda s: (-s.utility, -s.uses, s.created))
    stats.capped = max(0, len(survivors) - MAX_BANK_SIZE)
    survivors = survivors[:MAX_BANK_SIZE]
    stats.bank_size = len(survivors)
    engine.set_learned(triggers_of(survivors))
    after = [answer_dice(engine.understand(case.prompt, case.evidence), case) for case in cases]
    stats.dice_before = round(float(np.mean(rewards)), 4) if rewards else None
    stats.dice_after = round(float(np.mean(after)), 4) if after else None
    return survivors, stats
