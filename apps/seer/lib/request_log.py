"""Append-only JSONL logs of requests and corrections, safe for several writers at once.

Each append takes an exclusive `flock` on the file, writes one line and fsyncs, so concurrent infer threads or
processes never interleave lines, and a record survives a crash or restart once `append` returns.

A writer killed mid-line (kill -9, power loss) can leave an unterminated tail. That line was never acknowledged
(`append` had not returned), so readers skip it and the next append cuts it off before writing.

Nothing identifying is stored: a request's prompt is scrubbed (lib/privacy.py) before it is written, and so is every
string of its spec and trace. Records are kept for `request_retention_days` (`purge`), and can be exported and
deleted per image or before a date (`export`, `delete`); these rewrite the file atomically under a lock that every
writer takes (`<file>.lock`), so an append never lands in a file that a rewrite has just replaced.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic import BaseModel, Field

from .files import atomic_write_text
from .privacy import Scrubbed, redact_data, scrub, scrub_findings
from .records import RequestRecord, TargetSpec
from .skills.bank import SkillAudit, SkillBank

logger = logging.getLogger(__name__)


class Correction(BaseModel):
    """A clinician's final label, paired with the request whose answer it corrects."""

    image_id: str
    label_id: str
    request_id: str | None  # None: no earlier request for this image
    prompt: str | None
    spec: TargetSpec | None
    segment: str | None = None  # the concept the label names, when its info says so
    label_value: int | None = None  # that segment's value in the label file; None: any foreground
    label_ts: int | None = None  # the datastore's save time of the label: one correction per save
    label_series: str | None = None  # on a PACS: the SeriesInstanceUID of the DICOM SEG the label was stored as
    time: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))


class JsonlLog:
    def __init__(self, path: str | Path, model: type[BaseModel]):
        self.path = Path(path)
        self.model = model

    @contextmanager
    def _writer(self):
        """The one writer lock of this log, on a side file: a rewrite replaces the log file itself (rename), and an
        appender that had opened the old file would otherwise append to a file no longer there."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def stored(self, record: BaseModel) -> BaseModel:
        """The form a record is written in (subclasses scrub it)."""
        return record

    def append(self, record: BaseModel) -> None:
        line = (self.stored(record).model_dump_json() + "\n").encode("utf-8")
        with self._writer():
            self._append_line(line)

    def _append_line(self, line: bytes) -> None:
        created = not self.path.exists()
        with open(self.path, "a+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                _cut_torn_tail(f)
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        if created:  # the new file's name must survive a crash too
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def read(self) -> list:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as f:
            fcntl.flock(f, fcntl.LOCK_SH)
            try:
                data = f.read()
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        # Split on the newline byte only: str.splitlines() would also split inside a prompt holding U+2028 or
        # U+0085, which JSON leaves unescaped.
        lines = data.split(b"\n")
        lines.pop()  # empty after the last newline; otherwise a line whose writer died (never acknowledged)
        return [self.model.model_validate_json(line) for line in lines if line.strip()]

    def rewrite(self, keep: Callable[[dict], bool]) -> list[dict]:
        """Keep only the records for which `keep(raw JSON object)` holds, atomically (temporary file, fsync,
        rename). Returns the records removed. The kept lines are written back byte for byte."""
        with self._writer():
            if not self.path.exists():
                return []
            data = self.path.read_bytes()
            lines = data.split(b"\n")
            lines.pop()  # empty, or a torn tail that was never acknowledged
            kept, removed = [], []
            for line in lines:
                if not line.strip():
                    continue
                record = json.loads(line)
                (kept if keep(record) else removed).append((line, record))
            if removed:
                atomic_write_text(self.path, "".join(line.decode("utf-8") + "\n" for line, _ in kept))
            return [record for _, record in removed]

    def export(self, image_ids: set[str]) -> list[dict]:
        return [json.loads(line) for line in self._raw_lines() if json.loads(line).get("image_id") in image_ids]

    def _raw_lines(self) -> list[bytes]:
        if not self.path.exists():
            return []
        with self._writer():
            lines = self.path.read_bytes().split(b"\n")
        lines.pop()
        return [line for line in lines if line.strip()]

    def delete(self, image_ids: set[str] | None = None, before: datetime | None = None) -> list[dict]:
        """Remove the records of these images, or older than `before` (UTC), or both conditions' union."""
        def doomed(record: dict) -> bool:
            if image_ids and record.get("image_id") in image_ids:
                return True
            return before is not None and _record_time(record) < before
        return self.rewrite(lambda record: not doomed(record))

    def purge(self, retention_days: int, now: datetime | None = None) -> list[dict]:
        """Remove the records older than the retention period (`--conf request_retention_days`)."""
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=retention_days)
        return self.delete(before=cutoff)


def _record_time(record: dict) -> datetime:
    time = datetime.fromisoformat(str(record.get("time")).replace("Z", "+00:00"))
    return time if time.tzinfo else time.replace(tzinfo=timezone.utc)


ANSWER_FIELDS = ("status", "targets", "exclude", "candidates", "skill")


def stored_spec(spec: TargetSpec | None, scrubbed: Scrubbed) -> TargetSpec | None:
    """A spec as stored: no identifier of its request in its message, trace or anywhere else."""
    if spec is None or not scrubbed.findings:
        return spec
    data = spec.model_dump(mode="json")
    redacted = redact_data(data, scrubbed)
    for key in ANSWER_FIELDS:  # concept ids and the status: ours, never the request's words
        redacted[key] = data[key]
    return TargetSpec.model_validate(redacted)


TAIL_BLOCK = 65536


def _cut_torn_tail(f) -> None:
    """Truncate an unterminated last line (left by a writer killed before its fsync returned). Call under the
    exclusive lock."""
    end = f.seek(0, os.SEEK_END)
    if end == 0:
        return
    f.seek(end - 1)
    if f.read(1) == b"\n":
        return
    position = end
    while position > 0:
        start = max(0, position - TAIL_BLOCK)
        f.seek(start)
        block = f.read(position - start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            f.truncate(start + newline + 1)
            return
        position = start
    f.truncate(0)


class RequestLog(JsonlLog):
    def __init__(self, path: str | Path):
        super().__init__(path, RequestRecord)

    def stored(self, record: RequestRecord) -> RequestRecord:
        scrubbed = scrub_findings(record.prompt)
        return record.model_copy(update={"prompt": scrubbed.text, "spec": stored_spec(record.spec, scrubbed)})

    def latest_for(self, image_id: str, prompt: str | None = None) -> RequestRecord | None:
        """The newest request for this image (with this prompt, when one is given: it is compared in its stored,
        scrubbed form)."""
        wanted = {prompt, scrub(prompt)} if prompt is not None else set()
        matches = [r for r in self.read() if r.image_id == image_id and (prompt is None or r.prompt in wanted)]
        return max(matches, key=lambda r: r.time) if matches else None

    def returned_labels(self, image_id: str, label_values: dict[str, int]) -> dict[str, int]:
        """The label_names of the newest answer for this image (target -> value), {} when it was not ok."""
        latest = self.latest_for(image_id)
        if latest is None or latest.spec.status != "ok":
            return {}
        return {target: label_values[target] for target in latest.spec.targets if target in label_values}


class CorrectionLog(JsonlLog):
    def __init__(self, path: str | Path):
        super().__init__(path, Correction)

    def stored(self, record: Correction) -> Correction:
        if record.prompt is None:
            return record
        scrubbed = scrub_findings(record.prompt)
        return record.model_copy(update={"prompt": scrubbed.text, "spec": stored_spec(record.spec, scrubbed)})


def pair_correction(requests: RequestLog, image_id: str, label_id: str, label_info: dict) -> Correction:
    """Pair a saved final label with the request it corrects.

    The label's info may name the prompt (`prompt`) or the segment (`segment`, or a one-entry `label_names`
    map); otherwise the newest request for the image is taken and the label's whole foreground is the target.
    """
    prompt = label_info.get("prompt")
    request = requests.latest_for(image_id, prompt) or (requests.latest_for(image_id) if prompt else None)
    segment, value = label_info.get("segment"), None
    names = label_info.get("label_names") or {}
    if isinstance(names, dict) and len(names) == 1:
        segment, value = next(iter(names.items()))
        value = int(value)
    return Correction(image_id=image_id, label_id=label_id, request_id=request.request_id if request else None,
                      prompt=request.prompt if request else (scrub(prompt) if isinstance(prompt, str) and prompt else prompt), spec=request.spec if request else None,
                      segment=segment, label_value=value, label_ts=label_info.get("ts"),
                      label_series=label_info.get("SeriesInstanceUID"))


# ---------------------------------------------------------------------------------------------------------------
# Retention, export and deletion over a model_dir's logs (`--conf request_retention_days`, `cli.py requests`).

REQUESTS_FILE, CORRECTIONS_FILE, SKILLS_DIR = "requests.jsonl", "corrections.jsonl", "skills"
PURGE_INTERVAL_S = 24 * 3600


@dataclass
class Removal:
    """What a deletion or a purge removed."""

    requests: list[dict] = field(default_factory=list)
    corrections: list[dict] = field(default_factory=list)
    skills_marked: int = 0  # skills whose audit now says "source deleted"

    def counts(self) -> dict[str, int]:
        return {"requests": len(self.requests), "corrections": len(self.corrections),
                "skills_source_deleted": self.skills_marked}


def remove_records(model_dir: str | Path, image_ids: set[str] | None = None,
                   before: datetime | None = None) -> Removal:
    """Delete the requests and corrections of these images, or older than `before`, from a model_dir; the skill
    bank stays consistent: a skill whose correction is gone keeps its audit as "source deleted"."""
    if not image_ids and before is None:
        raise ValueError("name the images or a date: deleting everything is not what this is for")
    model_dir = Path(model_dir)
    corrections = CorrectionLog(model_dir / CORRECTIONS_FILE)
    removal = Removal(requests=RequestLog(model_dir / REQUESTS_FILE).delete(image_ids, before),
                      corrections=corrections.delete(image_ids, before))
    if removal.requests or removal.corrections:
        gone_requests = {r.get("request_id") for r in removal.requests} | \
            {c.get("request_id") for c in removal.corrections}
        gone_labels = {(c.get("image_id"), c.get("label_id")) for c in removal.corrections}
        kept_labels = {(c.image_id, c.label_id) for c in corrections.read()}

        def gone(audit: SkillAudit) -> bool:
            pair = (audit.image_id, audit.label_id)
            return pair not in kept_labels and (pair in gone_labels or
                                                (audit.request_id is not None and audit.request_id in gone_requests))

        removal.skills_marked = SkillBank(model_dir / SKILLS_DIR).mark_sources_deleted(gone)
    return removal


def purge_expired(model_dir: str | Path, retention_days: int, now: datetime | None = None) -> Removal:
    """Remove what is older than the retention period."""
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=retention_days)
    return remove_records(model_dir, before=cutoff)


def export_records(model_dir: str | Path, image_ids: set[str]) -> dict:
    """Everything kept about these images: their requests, corrections, and the skills learnt from them."""
    model_dir = Path(model_dir)
    bank = SkillBank(model_dir / SKILLS_DIR)
    skills = [s.model_dump(mode="json") for s in (bank.load() if bank.current_version() else [])
              if s.audit.image_id in image_ids]
    return {"images": sorted(image_ids), "requests": RequestLog(model_dir / REQUESTS_FILE).export(image_ids),
            "corrections": CorrectionLog(model_dir / CORRECTIONS_FILE).export(image_ids), "skills": skills}


def start_retention(model_dir: str | Path, retention_days: int, interval_s: float = PURGE_INTERVAL_S,
                    stop: threading.Event | None = None) -> threading.Thread:
    """Purge now, then once every `interval_s` (a day) in a daemon thread, for as long as the server runs."""
    def purge_once() -> None:
        try:
            removal = purge_expired(model_dir, retention_days)
        except (OSError, ValueError) as error:  # a bad line or a full disk must not stop the server
            logger.error(f"seer: request retention purge failed: {error}")
            return
        if removal.requests or removal.corrections:
            logger.info(f"seer: purged requests older than {retention_days} days: {removal.counts()}")

    purge_once()
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.wait(interval_s):
            purge_once()

    thread = threading.Thread(target=loop, name="seer-retention", daemon=True)
    thread.start()
    return thread
