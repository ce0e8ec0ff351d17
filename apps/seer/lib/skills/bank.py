"""The skill bank: versions of Skill records in the store (lib/store), with a pointer to the live one.

Each training round writes a new version ("v0001", "v0002", ...) and points at it in one transaction, so a reader
sees the old version or the new one, even when the writer is killed. Rollback only moves the pointer. Servers
compare the pointer's (version, changes) at each request: a cheap check that picks up a version written by any
server's round.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store import Store
from ..store.db import utc
from ..store.models import BankPointerRow, BankVersionRow

VERSION_NAME = re.compile(r"v(\d{4,})")


SOURCE_KEPT, SOURCE_DELETED = "kept", "source deleted"


class SkillAudit(BaseModel):
    """Where a skill came from: the correction whose reward created it.

    A skill keeps its short trigger, never the whole request: `prompt` is None for skills harvested since requests
    are scrubbed and kept for a set time (older banks may still hold one). When the correction is deleted or purged
    (`cli.py requests delete`, `--conf request_retention_days`), the audit keeps its rewards and says "source
    deleted", with the image, label and request ids cleared.
    """

    image_id: str
    label_id: str
    request_id: str | None = None
    prompt: str | None = None
    source: str = SOURCE_KEPT  # SOURCE_KEPT, or SOURCE_DELETED once its correction is gone
    reward_before: float  # Dice of what was returned
    reward_after: float  # Dice of the skill's answer
    gain: float


class Skill(BaseModel):
    """A reusable reasoning step distilled from a high-reward correction (SEER's skill artifact, adapted)."""

    skill_id: str
    tag: str  # ABBR_DISAMBIGUATE, MESSY_INPUT_REPAIR, CLINICAL_REQUEST_NORMALIZE, LATERALITY_RESOLVE, ...
    trigger: str  # normalized phrase or token that fires the skill
    trigger_kind: str = "phrase"  # "token": a word that names the concept anywhere; "phrase": the whole request
    canonical: list[str]  # target ids (one concept, possibly a group)
    form: str = "concept"  # "singular": the trigger names one member of a pair group; a side word picks it
    aliases: list[str] = Field(default_factory=list)
    vis_cue: str | None = None  # body region of the target
    style_bucket: str = "site_shorthand"
    audit: SkillAudit
    uses: int = 0
    utility: float = 0.0  # sum of gains minus sum of drops over its uses
    created: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))


class BankError(ValueError):
    pass


def version_name(number: int) -> str:
    return f"v{number:04d}"


def version_number(version: str) -> int:
    match = VERSION_NAME.fullmatch(str(version).strip())
    if not match:
        raise BankError(f"{version!r} is no bank version: versions are named v0001, v0002, ...")
    return int(match.group(1))


SKILLS = TypeAdapter(list[Skill])


def skills_json(skills: list[Skill]) -> str:
    return "[" + ",".join(s.model_dump_json() for s in skills) + "]"


class SkillBank:
    """The skill-bank versions of a store (a Store, or a model_dir or database URL to open one)."""

    def __init__(self, store: Store | str | Path):
        self.store = store if isinstance(store, Store) else Store.open(store)

    def versions(self) -> list[str]:
        with self.store.session() as session:
            return [version_name(n) for n in session.scalars(select(BankVersionRow.number)
                                                             .order_by(BankVersionRow.number))]

    def current_version(self) -> str | None:
        return self.stamp()[0]

    def stamp(self) -> tuple[str | None, int]:
        """Cheap change detector, one row read per request: (live version, changes so far)."""
        with self.store.session() as session:
            row = session.get(BankPointerRow, 1)
            return (version_name(row.number) if row and row.number else None, row.changes if row else 0)

    def load(self, version: str | None = None) -> list[Skill]:
        version = version or self.current_version()
        if version is None:
            return []
        with self.store.session() as session:
            data = session.scalar(select(BankVersionRow.skills)
                                  .where(BankVersionRow.number == version_number(version)))
        if data is None:
            raise BankError(f"skill bank version {version!r} not found; versions: {self.versions()}")
        return SKILLS.validate_json(data)

    @staticmethod
    def _pointer(session: Session) -> BankPointerRow:
        """The pointer row, locked until the transaction ends (PostgreSQL; SQLite already has one writer), so two
        writers cannot pick the same version number."""
        return session.scalars(select(BankPointerRow).where(BankPointerRow.id == 1).with_for_update()).one()

    def commit(self, skills: list[Skill], round_id: int | None = None, session: Session | None = None) -> str:
        """Write the skills as a new version and make it current (in the caller's transaction when given one).
        Returns the version name."""
        if session is None:
            with self.store.session() as own:
                return self.commit(skills, round_id, own)
        pointer = self._pointer(session)
        number = (session.scalar(select(func.max(BankVersionRow.number))) or 0) + 1
        session.add(BankVersionRow(number=number, created=utc(datetime.now(timezone.utc)), round_id=round_id,
                                   skills=skills_json(skills)))
        session.flush()
        pointer.number, pointer.changes = number, pointer.changes + 1
        return version_name(number)

    def mark_sources_deleted(self, gone: Callable[[SkillAudit], bool]) -> int:
        """Mark the audit of every skill whose source `gone` says was deleted, in every version (triggers, targets
        and the pointer unchanged, so what the bank answers stays the same). Returns how many distinct skills were
        marked."""
        marked: set[str] = set()
        with self.store.session() as session:
            self._pointer(session)
            for row in session.scalars(select(BankVersionRow).order_by(BankVersionRow.number)):
                skills = SKILLS.validate_json(row.skills)
                changed = False
                for skill in skills:
                    if skill.audit.source != SOURCE_DELETED and gone(skill.audit):
                        skill.audit = SkillAudit(image_id="", label_id="", request_id=None, prompt=None,
                                                 source=SOURCE_DELETED, reward_before=skill.audit.reward_before,
                                                 reward_after=skill.audit.reward_after, gain=skill.audit.gain)
                        marked.add(skill.skill_id)
                        changed = True
                if changed:
                    row.skills = skills_json(skills)
        return len(marked)

    def rollback(self, version: str) -> None:
        number = version_number(version)
        with self.store.session() as session:
            pointer = self._pointer(session)
            if session.get(BankVersionRow, number) is None:
                versions = [version_name(n) for n in session.scalars(select(BankVersionRow.number)
                                                                     .order_by(BankVersionRow.number))]
                raise BankError(f"cannot roll back to {version!r}; versions: {versions}")
            pointer.number, pointer.changes = number, pointer.changes + 1

    def diff(self, old: str, new: str) -> dict:
        before = {s.skill_id: s for s in self.load(old)}
        after = {s.skill_id: s for s in self.load(new)}
        changed = [k for k in before.keys() & after.keys()
                   if before[k].model_dump(exclude={"uses", "utility"}) != after[k].model_dump(exclude={"uses", "utility"})
                   or before[k].utility != after[k].utility]
        return {"added": sorted(after.keys() - before.keys()), "removed": sorted(before.keys() - after.keys()),
                "changed": sorted(changed)}
