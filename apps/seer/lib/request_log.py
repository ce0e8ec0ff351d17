"""The request and correction records, kept in the store (lib/store): one row per request or saved final label.

The database makes a record durable once `append` returns, keeps concurrent writers (infer threads, several
servers, the CLI) apart, and a writer killed mid-way leaves nothing half-written.

Nothing identifying is stored: a request's prompt is scrubbed (lib/privacy.py) before it is written, and so is every
string of its spec and trace. Records are kept for `request_retention_days` (`purge_expired`), and can be exported
and deleted per image or before a date (`export_records`, `remove_records`), on a running server's store too.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy import delete as sql_delete
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .privacy import Scrubbed, redact_data, scrub, scrub_findings
from .records import RequestRecord, TargetSpec
from .skills.bank import SkillAudit, SkillBank
from .store import Store
from .store.db import utc
from .store.models import CorrectionRow, RequestRow

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


def as_store(store: Store | str | Path) -> Store:
    """A store, or where one is: a model_dir (its SQLite file) or a database URL."""
    return store if isinstance(store, Store) else Store.open(store)


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


def _scrubbed(record):
    """A request or correction in its stored form: prompt and spec scrubbed."""
    if record.prompt is None:
        return record
    scrubbed = scrub_findings(record.prompt)
    return record.model_copy(update={"prompt": scrubbed.text, "spec": stored_spec(record.spec, scrubbed)})


def _doomed(model, image_ids: set[str] | None, before: datetime | None):
    """The rows of these images, or older than `before` (UTC), or the union of both."""
    conditions = []
    if image_ids:
        conditions.append(model.image_id.in_(sorted(image_ids)))
    if before is not None:
        conditions.append(model.time < utc(before))
    return or_(*conditions)


def _delete_rows(store: Store, model, image_ids: set[str] | None, before: datetime | None) -> list[dict]:
    """Remove the rows of these images, or older than `before` (UTC), or both; returns their records."""
    if not image_ids and before is None:
        return []
    with store.session() as session:
        doomed = _doomed(model, image_ids, before)
        removed = [json.loads(data) for data in session.scalars(select(model.data).where(doomed))]
        session.execute(sql_delete(model).where(doomed))
    return removed


class RequestLog:
    """The requests of a store."""

    def __init__(self, store: Store | str | Path):
        self.store = as_store(store)

    def append(self, record: RequestRecord) -> None:
        stored = _scrubbed(record)
        with self.store.session() as session:
            session.add(RequestRow(request_id=stored.request_id, image_id=stored.image_id, time=utc(stored.time),
                                   data=stored.model_dump_json()))

    def _rows(self, *conditions) -> list[RequestRow]:
        with self.store.session() as session:
            return list(session.scalars(select(RequestRow).where(*conditions)
                                        .order_by(RequestRow.time, RequestRow.request_id)))

    def read(self) -> list[RequestRecord]:
        return [RequestRecord.model_validate_json(row.data) for row in self._rows()]

    def latest_for(self, image_id: str, prompt: str | None = None) -> RequestRecord | None:
        """The newest request for this image (with this prompt, when one is given: it is compared in its stored,
        scrubbed form), whichever server served it."""
        wanted = {prompt, scrub(prompt)} if prompt is not None else set()
        with self.store.session() as session:
            rows = session.scalars(select(RequestRow).where(RequestRow.image_id == image_id)
                                   .order_by(RequestRow.time.desc(), RequestRow.request_id.desc()))
            for row in rows:
                record = RequestRecord.model_validate_json(row.data)
                if prompt is None or record.prompt in wanted:
                    return record
        return None

    def returned_labels(self, image_id: str, label_values: dict[str, int]) -> dict[str, int]:
        """The label_names of the newest answer for this image (target -> value), {} when it was not ok."""
        latest = self.latest_for(image_id)
        if latest is None or latest.spec.status != "ok":
            return {}
        return {target: label_values[target] for target in latest.spec.targets if target in label_values}

    def export(self, image_ids: set[str]) -> list[dict]:
        return [json.loads(row.data) for row in self._rows(RequestRow.image_id.in_(sorted(image_ids)))]

    def delete(self, image_ids: set[str] | None = None, before: datetime | None = None) -> list[dict]:
        """Remove the records of these images, or older than `before` (UTC), or both; returns them."""
        return _delete_rows(self.store, RequestRow, image_ids, before)


class CorrectionLog:
    """The corrections of a store: one per saved final label."""

    def __init__(self, store: Store | str | Path):
        self.store = as_store(store)

    def append(self, record: Correction) -> bool:
        """Store a correction; False when this save of the label was already paired (by this server or another)."""
        stored = _scrubbed(record)
        try:
            with self.store.session() as session:
                session.add(CorrectionRow(image_id=stored.image_id, label_id=stored.label_id, label_ts=stored.label_ts,
                                          request_id=stored.request_id, time=utc(stored.time),
                                          data=stored.model_dump_json()))
        except IntegrityError:
            return False
        return True

    def _rows(self, *conditions) -> list[CorrectionRow]:
        with self.store.session() as session:
            return list(session.scalars(select(CorrectionRow).where(*conditions).order_by(CorrectionRow.id)))

    def read(self) -> list[Correction]:
        return [Correction.model_validate_json(row.data) for row in self._rows()]

    def paired(self, image_id: str, label_ts: int | None) -> bool:
        """Whether this save of an image's label already has its correction."""
        return bool(self._rows(CorrectionRow.image_id == image_id, CorrectionRow.label_ts == label_ts))

    def export(self, image_ids: set[str]) -> list[dict]:
        return [json.loads(row.data) for row in self._rows(CorrectionRow.image_id.in_(sorted(image_ids)))]

    def delete(self, image_ids: set[str] | None = None, before: datetime | None = None) -> list[dict]:
        return _delete_rows(self.store, CorrectionRow, image_ids, before)


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
# Retention, export and deletion over a store (`--conf request_retention_days`, `cli.py requests`).

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


def remove_records(store: Store | str | Path, image_ids: set[str] | None = None,
                   before: datetime | None = None) -> Removal:
    """Delete the requests and corrections of these images, or older than `before`, from a store; the skill bank
    stays consistent: a skill whose correction is gone keeps its audit as "source deleted"."""
    if not image_ids and before is None:
        raise ValueError("name the images or a date: deleting everything is not what this is for")
    store = as_store(store)
    corrections = CorrectionLog(store)
    removal = Removal(requests=RequestLog(store).delete(image_ids, before),
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

        removal.skills_marked = SkillBank(store).mark_sources_deleted(gone)
        store.forget()
    return removal


def purge_expired(store: Store | str | Path, retention_days: int, now: datetime | None = None) -> Removal:
    """Remove what is older than the retention period."""
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=retention_days)
    return remove_records(store, before=cutoff)


def export_records(store: Store | str | Path, image_ids: set[str]) -> dict:
    """Everything kept about these images: their requests, corrections, and the skills learnt from them."""
    store = as_store(store)
    bank = SkillBank(store)
    skills = [s.model_dump(mode="json") for s in bank.load() if s.audit.image_id in image_ids]
    return {"images": sorted(image_ids), "requests": RequestLog(store).export(image_ids),
            "corrections": CorrectionLog(store).export(image_ids), "skills": skills}


def start_retention(store: Store | str | Path, retention_days: int, interval_s: float = PURGE_INTERVAL_S,
                    stop: threading.Event | None = None) -> threading.Thread:
    """Purge now, then once every `interval_s` (a day) in a daemon thread, for as long as the server runs."""
    def purge_once() -> None:
        try:
            removal = purge_expired(store, retention_days)
        except (OSError, ValueError, SQLAlchemyError) as error:  # a database gone for a moment must not stop the server
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
