"""MONAI Label train task `seer`: one SEER-Loop round over the corrections saved since the last round.

MONAI Label runs training in a separate process; the new skill-bank version it commits is picked up by every
server's infer task at its next request. One round runs at a time across all servers on the store: the server that
accepted `POST /train/seer` holds the store's train lock (lib/store/db.py, TrainGate) and this process finishes
the round it claimed; a round started without a server (the train module run by hand) claims its own.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from datetime import datetime, timezone

import SimpleITK as sitk
from monailabel.datastore.dicom import DICOMWebDatastore
from monailabel.datastore.local import LocalDatastore
from monailabel.interfaces.tasks.train import TrainTask

from ..pipeline import SeerPipeline
from ..privacy import without_placeholders
from ..request_log import Correction, CorrectionLog
from ..skills.bank import SkillBank
from ..skills.loop import Case, run_round
from ..store.db import RoundRunning, TrainGate, finish_round, last_round_stats, server_name
from ..volume import Volume, align_label_map, read_volume

logger = logging.getLogger(__name__)


def final_label_path(datastore, correction: Correction, tag: str) -> str | None:
    """The local file of a corrected label.

    On a DICOMweb datastore, `get_label_uri(label_id, "final")` takes the SEG's own SeriesInstanceUID and would
    download the *image* series named by the label id (the image's UID) as if it were a SEG ("DICOM dataset is
    not a DICOM-SEG storage"). Its `save_label` keeps the saved NIfTI in its local cache under the image's id and
    stores the same label in the PACS as a SEG, whose UID the correction records: read the local copy, else fetch
    that SEG from the PACS (e.g. after the cache was cleared).
    """
    if not isinstance(datastore, DICOMWebDatastore):
        return datastore.get_label_uri(correction.label_id, tag)
    path = LocalDatastore.get_label_uri(datastore, correction.label_id, tag)
    if path and os.path.exists(path):
        return path
    if not correction.label_series:
        return None
    return datastore.get_label_uri(correction.label_series, tag, image_id=correction.image_id)


class SeerTrain(TrainTask):
    def __init__(self, pipeline: SeerPipeline, bank: SkillBank, corrections: CorrectionLog,
                 final_tag: str = "final", locate_everything: Callable[[Volume], str | None] | None = None):
        super().__init__("SEER-Loop: turn clinicians' corrected labels into reasoning skills")
        self.pipeline = pipeline
        self.bank = bank
        self.corrections = corrections
        self.store = bank.store
        self.final_tag = final_tag
        self.locate_everything = locate_everything

    def stats(self) -> dict:
        stats = last_round_stats(self.store)
        stats["bank_version"] = self.bank.current_version()
        stats["bank_size"] = len(self.bank.load()) if stats["bank_version"] else 0
        return stats

    def _case(self, correction: Correction, datastore) -> Case | None:
        image_path = datastore.get_image_uri(correction.image_id)
        label_path = final_label_path(datastore, correction, self.final_tag)
        if not image_path or not label_path or not os.path.exists(label_path):
            logger.warning(f"seer train: skipping {correction.image_id}: image or final label no longer exists")
            return None
        volume = read_volume(image_path)
        volume.id = correction.image_id
        if self.locate_everything is not None:
            volume.everything_path = self.locate_everything(volume)
        final = align_label_map(sitk.ReadImage(label_path), volume.image)
        # A label read back from its SEG numbers its segments anew; a value that is gone means the whole foreground.
        final = final == correction.label_value if correction.label_value and (final == correction.label_value).any() \
            else final > 0
        # The stored request is scrubbed: its placeholders are no words for the reasoning to read or learn.
        return Case(prompt=without_placeholders(correction.prompt or ""), returned=correction.spec, final=final,
                    evidence=self.pipeline.evidence_for(volume),
                    union_mask=functools.partial(self.pipeline.union_mask, volume), image_id=correction.image_id,
                    label_id=correction.label_id, request_id=correction.request_id)

    def __call__(self, request, datastore):
        gate = TrainGate(self.store)
        try:
            claimed = gate.claim(server_name())
        except RoundRunning as running:  # the server that accepted POST /train holds the lock for this process
            claimed = running.running
            if claimed is None:
                raise
        try:
            result = self._round(claimed.id, datastore)
        except BaseException:
            finish_round(self.store, claimed.id, "failed")
            raise
        finally:
            gate.release()
        return result

    def _round(self, round_id: int, datastore) -> dict:
        previous = last_round_stats(self.store)
        seen = int(previous.get("corrections_seen", 0))
        corrections = self.corrections.read()
        # Which corrections are new is told by time: a purge or a deletion (lib/request_log.py) removes older ones,
        # so a count of those seen would skip new ones. A round imported from before that kept only the count.
        seen_until = previous.get("corrections_seen_until")
        new = [c for c in corrections if c.time > datetime.fromisoformat(seen_until)] if seen_until \
            else corrections[seen:]
        cases = [case for c in new if c.prompt and (case := self._case(c, datastore)) is not None]
        logger.info(f"seer train: round {round_id}: {len(cases)} new corrections, bank {self.bank.current_version()}")

        def progress(done: int, total: int) -> None:
            logger.info(f"seer train: correction {done}/{total}")

        if not cases:
            # A version identical to the live one would only crowd the versions a reviewer rolls back between.
            message = (f"no new corrections since the last round: no new skill-bank version "
                       f"(live: {self.bank.current_version() or 'none yet'})")
            logger.info(f"seer train: {message}")
            finish_round(self.store, round_id, "empty", {"message": message})
            return {"version": self.bank.current_version(), "new_version": False, "message": message}
        skills, stats = run_round(cases, self.bank.load(), self.pipeline.engine, progress)
        with self.store.session() as session:  # the version, its pointer and the round's record: all or nothing
            version = self.bank.commit(skills, round_id, session)
            result = {**stats.__dict__, "round": round_id, "version": version, "corrections_seen": len(corrections),
                      "corrections_seen_until": max(c.time for c in corrections).isoformat(),
                      "time": datetime.now(timezone.utc).isoformat()}
            finish_round(self.store, round_id, "done", result, session)
        logger.info(f"seer train: {result}")
        return result
