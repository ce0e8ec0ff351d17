"""The skill bank: versioned JSONL files of Skill records.

Layout under the bank folder:
    v0001.jsonl, v0002.jsonl, ...   one file per training round, never rewritten
    CURRENT                         the name of the live version ("v0002"); absent: no skills yet

Every write is atomic (temporary file, fsync, rename), so a reader sees the old version or the new one and never a
half-written file, even when the writer is killed. Rollback only repoints CURRENT.
"""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, Field

from ..files import atomic_write_text

VERSION_PATTERN = re.compile(r"v(\d{4})\.jsonl")


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


class SkillBank:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def versions(self) -> list[str]:
        if not self.folder.exists():
            return []
        return sorted(p.stem for p in self.folder.iterdir() if VERSION_PATTERN.fullmatch(p.name))

    def current_version(self) -> str | None:
        pointer = self.folder / "CURRENT"
        return pointer.read_text().strip() if pointer.exists() else None

    def stamp(self) -> tuple[str | None, int]:
        """Cheap change detector for watchers: (version, CURRENT's mtime in ns)."""
        pointer = self.folder / "CURRENT"
        return (self.current_version(), pointer.stat().st_mtime_ns) if pointer.exists() else (None, 0)

    def load(self, version: str | None = None) -> list[Skill]:
        version = version or self.current_version()
        if version is None:
            return []
        path = self.folder / f"{version}.jsonl"
        if not path.exists():
            raise BankError(f"skill bank version {version!r} not found; versions: {self.versions()}")
        with open(path, encoding="utf-8") as f:
            return [Skill.model_validate(json.loads(line)) for line in f if line.strip()]

    @contextmanager
    def _writing(self):
        """One writer at a time (a training round, a rollback from the CLI or over HTTP): two commits must not
        pick the same version number. Both writes are atomic, so a writer killed while holding the lock leaves
        the previous version live, and the kernel releases the lock with the process."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def commit(self, skills: list[Skill]) -> str:
        """Write the skills as a new version and make it current. Returns the version name."""
        with self._writing():
            existing = self.versions()
            number = int(existing[-1][1:]) + 1 if existing else 1
            version = f"v{number:04d}"
            atomic_write_text(self.folder / f"{version}.jsonl", "".join(s.model_dump_json() + "\n" for s in skills))
            atomic_write_text(self.folder / "CURRENT", version + "\n")
        return version

    def mark_sources_deleted(self, gone: Callable[[SkillAudit], bool]) -> int:
        """Mark the audit of every skill whose source `gone` says was deleted, in every version (each file rewritten
        atomically; triggers, targets and CURRENT unchanged, so what the bank answers stays the same). Returns how
        many distinct skills were marked."""
        marked: set[str] = set()
        with self._writing():
            for version in self.versions():
                skills = self.load(version)
                changed = False
                for skill in skills:
                    if skill.audit.source != SOURCE_DELETED and gone(skill.audit):
                        skill.audit = SkillAudit(image_id="", label_id="", request_id=None, prompt=None,
                                                 source=SOURCE_DELETED, reward_before=skill.audit.reward_before,
                                                 reward_after=skill.audit.reward_after, gain=skill.audit.gain)
                        marked.add(skill.skill_id)
                        changed = True
                if changed:
                    atomic_write_text(self.folder / f"{version}.jsonl",
                                      "".join(s.model_dump_json() + "\n" for s in skills))
        return len(marked)

    def rollback(self, version: str) -> None:
        with self._writing():
            if version not in self.versions():
                raise BankError(f"cannot roll back to {version!r}; versions: {self.versions()}")
            atomic_write_text(self.folder / "CURRENT", version + "\n")

    def diff(self, old: str, new: str) -> dict:
        before = {s.skill_id: s for s in self.load(old)}
        after = {s.skill_id: s for s in self.load(new)}
        changed = [k for k in before.keys() & after.keys()
                   if before[k].model_dump(exclude={"uses", "utility"}) != after[k].model_dump(exclude={"uses", "utility"})
                   or before[k].utility != after[k].utility]
        return {"added": sorted(after.keys() - before.keys()), "removed": sorted(before.keys() - after.keys()),
                "changed": sorted(changed)}
