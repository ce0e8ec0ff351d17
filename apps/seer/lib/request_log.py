"""Append-only JSONL logs of requests and corrections, safe for several writers at once.

Each append takes an exclusive `flock` on the file, writes one line and fsyncs, so concurrent infer threads or
processes never interleave lines, and a record survives a crash or restart once `append` returns.

A writer killed mid-line (kill -9, power loss) can leave an unterminated tail. That line was never acknowledged
(`append` had not returned), so readers skip it and the next append cuts it off before writing.
"""

from __future__ import annotations

import fcntl
import os
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, Field

from .records import RequestRecord, TargetSpec


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

    def append(self, record: BaseModel) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (record.model_dump_json() + "\n").encode("utf-8")
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

    def latest_for(self, image_id: str, prompt: str | None = None) -> RequestRecord | None:
        """The newest request for this image (with this prompt, when one is given)."""
        matches = [r for r in self.read() if r.image_id == image_id and (prompt is None or r.prompt == prompt)]
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
                      prompt=request.prompt if request else prompt, spec=request.spec if request else None,
                      segment=segment, label_value=value, label_ts=label_info.get("ts"),
                      label_series=label_info.get("SeriesInstanceUID"))
