"""`cli.py store import`: load a model_dir kept as JSONL files (before the store) into a store.

What is read: `requests.jsonl`, `corrections.jsonl`, `skills/vNNNN.jsonl` with `skills/CURRENT`,
`train_stats.json` (the last round's statistics) and `al_served.json` (when active learning last served each
image). A line left unterminated by a writer killed mid-line was never acknowledged and is skipped. Importing again adds nothing twice: requests are keyed by id, corrections by their
label's save, and bank versions already in the store are left as they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from ..records import RequestRecord
from .db import Store, utc
from .models import BankPointerRow, BankVersionRow, CorrectionRow, RequestRow, ServedImageRow, TrainRoundRow

VERSION_FILE = re.compile(r"v(\d{4,})\.jsonl")


@dataclass
class Imported:
    requests: int = 0
    corrections: int = 0
    versions: int = 0
    rounds: int = 0
    served: int = 0
    skipped: list[str] = field(default_factory=list)  # already in the store, or unreadable, with the reason

    def counts(self) -> dict:
        return {"requests": self.requests, "corrections": self.corrections, "bank_versions": self.versions,
                "train_rounds": self.rounds, "served_images": self.served, "skipped": len(self.skipped)}


def jsonl_lines(path: Path) -> list[str]:
    """The complete lines of a JSONL file (split on the newline byte only: a prompt may hold U+2028)."""
    if not path.exists():
        return []
    lines = path.read_bytes().split(b"\n")
    lines.pop()  # empty after the last newline, or a torn line that was never acknowledged
    return [line.decode("utf-8") for line in lines if line.strip()]


def import_model_dir(model_dir: str | Path, store: Store) -> Imported:
    # Imported here: lib.request_log imports the store, and the store package must import without it.
    from ..request_log import Correction
    from ..skills.bank import SKILLS, skills_json

    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise FileNotFoundError(f"{model_dir}: no such model_dir")
    done = Imported()
    with store.session() as session:
        known = set(session.scalars(select(RequestRow.request_id)))
        for number, line in enumerate(jsonl_lines(model_dir / "requests.jsonl"), start=1):
            record = RequestRecord.model_validate_json(line)  # stored scrubbed already
            if record.request_id in known:
                done.skipped.append(f"requests.jsonl line {number}: request {record.request_id} already stored")
                continue
            known.add(record.request_id)
            session.add(RequestRow(request_id=record.request_id, image_id=record.image_id, time=utc(record.time),
                                   data=record.model_dump_json()))
            done.requests += 1
        saves = {(c.image_id, c.label_id, c.label_ts) for c in session.scalars(select(CorrectionRow))}
        for number, line in enumerate(jsonl_lines(model_dir / "corrections.jsonl"), start=1):
            correction = Correction.model_validate_json(line)
            key = (correction.image_id, correction.label_id, correction.label_ts)
            if key in saves:
                done.skipped.append(f"corrections.jsonl line {number}: this save of {correction.label_id} is stored")
                continue
            saves.add(key)
            session.add(CorrectionRow(image_id=correction.image_id, label_id=correction.label_id,
                                      label_ts=correction.label_ts, request_id=correction.request_id,
                                      time=utc(correction.time), data=correction.model_dump_json()))
            done.corrections += 1
        skills_dir = model_dir / "skills"
        files = sorted(skills_dir.glob("v*.jsonl")) if skills_dir.is_dir() else []
        stored = set(session.scalars(select(BankVersionRow.number)))
        for path in files:
            match = VERSION_FILE.fullmatch(path.name)
            if not match:
                continue
            number = int(match.group(1))
            if number in stored:
                done.skipped.append(f"skills/{path.name}: version {number} already stored")
                continue
            skills = SKILLS.validate_python([json.loads(line) for line in jsonl_lines(path)])
            created = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
            session.add(BankVersionRow(number=number, created=utc(created), round_id=None, skills=skills_json(skills)))
            done.versions += 1
        session.flush()
        current = skills_dir / "CURRENT"
        if current.exists() and done.versions:
            name = current.read_text().strip()
            pointer = session.get(BankPointerRow, 1)
            pointer.number, pointer.changes = int(name.lstrip("v")), pointer.changes + 1
        stats_path = model_dir / "train_stats.json"
        if stats_path.exists() and done.versions:
            stats = json.loads(stats_path.read_text())
            version = str(stats.get("version") or "")
            when = datetime.fromisoformat(stats["time"]) if stats.get("time") else datetime.now(timezone.utc)
            session.add(TrainRoundRow(status="done", server=f"imported from {model_dir}", started=utc(when),
                                      finished=utc(when), version=int(version.lstrip("v")) if version else None,
                                      stats=json.dumps(stats)))
            done.rounds += 1
        served_path = model_dir / "al_served.json"
        for image_id, when in (json.loads(served_path.read_text()) if served_path.exists() else {}).items():
            row = session.get(ServedImageRow, image_id)
            if row is None or row.served < float(when):  # the later of the two stamps
                session.merge(ServedImageRow(image_id=image_id, served=float(when)))
                done.served += 1
    return done
