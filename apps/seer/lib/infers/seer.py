"""MONAI Label infer task `seer`: a free-text `prompt` in, a named label map and the TargetSpec out."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable

import numpy as np
from fastapi import HTTPException
from monailabel.interfaces.tasks.infer_v2 import InferTask, InferType

from ..backbones.base import BackboneError
from ..pipeline import SeerPipeline
from ..points import PointError, points_from_request
from ..privacy import scrub_findings
from ..records import RequestRecord
from ..replies import DICOM_SEG, OUTPUT_KEY, dicom_seg_reply, refusal_error
from ..skills.bank import SkillBank
from ..skills.loop import triggers_of
from ..volume import Volume, VolumeError, read_volume, write_everything_map, write_label_map

logger = logging.getLogger(__name__)

RESULT_EXTENSIONS = (".nii.gz", ".nii", ".nrrd")
REQUEST_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex, as RequestRecord ids are made


class SeerInfer(InferTask):
    def __init__(self, pipeline: SeerPipeline, on_request: Callable[[RequestRecord], None] | None = None,
                 skill_bank: SkillBank | None = None,
                 locate_everything: Callable[[Volume], str | None] | None = None,
                 persist_everything: Callable[[Volume, str], None] | None = None):
        """
        Args:
            pipeline: reasoning + backbone.
            on_request: called with each request's record (the request log), if given.
            skill_bank: learned skills; a new version written by training (another process) is picked up at the
                next request, without a restart.
            locate_everything: finds an image's persisted segment-everything map (see lib/maps.py).
            persist_everything: keeps a map the backbone computed during a request, for the next ones.
        """
        super().__init__(
            type=InferType.SEGMENTATION,
            # Name -> the value each target comes back under: viewers (OHIF) name returned values from this.
            labels={concept: pipeline.label_values[concept] for concept in pipeline.backbone.vocabulary()},
            dimension=3,
            description="Segment what a free-text request names (e.g. 'outline the lt kidny', 'T12 to L2'); "
                        "refuses or asks back when the request cannot be met.",
            # Slicer and OHIF show config entries as editable options: this is where the user types.
            config={"prompt": ""},
        )
        self.pipeline = pipeline
        self.on_request = on_request
        self.skill_bank = skill_bank
        self.locate_everything = locate_everything
        self.persist_everything = persist_everything
        self._bank_stamp: tuple | None = None
        self._reload_lock = threading.Lock()

    def refresh_skills(self) -> None:
        """Reload the skill bank when its CURRENT pointer changed (a stat per request; a reload per round)."""
        if self.skill_bank is None:
            return
        with self._reload_lock:
            stamp = self.skill_bank.stamp()
            if stamp != self._bank_stamp:
                skills = self.skill_bank.load()
                self.pipeline.engine.set_learned(triggers_of(skills))
                self._bank_stamp = stamp
                logger.info(f"seer: skill bank {stamp[0]} loaded ({len(skills)} skills)")

    def _persist(self, volume: Volume, everything: np.ndarray) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            path = f"{scratch}/everything.nii.gz"
            write_everything_map(everything, volume.image, path, self.pipeline.backbone.vocab)
            self.persist_everything(volume, path)
        logger.info(f"seer: persisted the segment-everything map of {volume.id}")

    def _chosen_candidate(self, request) -> tuple[str | None, str | None]:
        """`seer_answers` (the id of the request that asked back) and `seer_choice` (the concept picked), sent
        together by a client whose annotator pressed a candidate button."""
        answers, choice = request.get("seer_answers"), request.get("seer_choice")
        if answers is None and choice is None:
            return None, None
        if not isinstance(answers, str) or not REQUEST_ID.fullmatch(answers):
            raise HTTPException(status_code=400, detail='"seer_answers" must be the request_id of the question '
                                                        'being answered (32 hex digits)')
        if not isinstance(choice, str) or choice not in self.pipeline.engine.ontology:
            raise HTTPException(status_code=400, detail='"seer_choice" must be the id of one of the question\'s '
                                                        'candidates, e.g. "kidney_left"')
        return answers, choice

    def is_valid(self) -> bool:
        return True

    def info(self):
        info = super().info()
        info["backbone"] = self.pipeline.backbone.name
        info["vocabulary"] = self.pipeline.backbone.vocabulary()
        if self.skill_bank is not None:
            version = self.skill_bank.current_version()
            info["skill_bank"] = {"version": version, "size": len(self.skill_bank.load()) if version else 0}
        return info

    def __call__(self, request) -> tuple[str, dict]:
        started = time.perf_counter()
        prompt = request.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise HTTPException(status_code=400, detail='params must carry a non-empty "prompt", '
                                                        'e.g. params={"prompt": "left kidney"}')
        answers, choice = self._chosen_candidate(request)
        try:
            volume = read_volume(request["image"])
        except VolumeError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None
        volume.id = request.get("image_id") or volume.id
        if self.locate_everything is not None:
            volume.everything_path = self.locate_everything(volume)
        self.refresh_skills()
        try:
            points = points_from_request(request)
        except PointError as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        try:
            result = self.pipeline.run(volume, prompt, points)
        except BackboneError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None
        if result.fresh_everything is not None and self.persist_everything is not None:
            self._persist(volume, result.fresh_everything)
        spec = result.spec
        if volume.series is not None:  # a DICOM series: which instances made the volume, which were dropped, why
            spec.trace.evidence["series"] = volume.series
        labels = result.labels if result.labels is not None else np.zeros(volume.array.shape, np.uint8)
        # The OHIF panel asks for ".nrrd" (it parses the reply with nrrd-js); Slicer and the REST API get NIfTI.
        extension = request.get("result_extension") or ".nii.gz"
        if extension not in RESULT_EXTENSIONS:
            raise HTTPException(status_code=400, detail=f"result_extension {extension!r}: use one of "
                                                        f"{list(RESULT_EXTENSIONS)}")
        out = tempfile.NamedTemporaryFile(suffix=extension, delete=False).name
        digest = write_label_map(labels, volume.image, out, compress=request.get("result_compress") is not False)
        record = RequestRecord(request_id=uuid.uuid4().hex, image_id=volume.id or volume.source, prompt=prompt,
                               spec=spec, backbone=self.pipeline.backbone.name, mask_digest=digest,
                               mask_confidence=result.mask_confidence, answers=answers, choice=choice)
        if self.on_request is not None:
            self.on_request(record)
        error = refusal_error(request, spec)  # clients that show no JSON (Slicer, DICOM SEG) get the reason
        if error is not None:
            os.unlink(out)
            raise error
        if request.get(OUTPUT_KEY) == DICOM_SEG:
            seg = dicom_seg_reply(request["image"], request.get("image_id"), labels, volume.image,
                                  result.label_names, self.pipeline.engine.ontology)
            os.unlink(out)
            out = seg
        result_json = {
            "label_names": result.label_names,
            "status": spec.status,
            "message": spec.message,
            "spec": spec.model_dump(mode="json"),
            "request_id": record.request_id,
            "skill_bank": self._bank_stamp[0] if self._bank_stamp else None,
            "latencies": {"total": round(time.perf_counter() - started, 4)},
        }
        # The log holds the request's stored form only (lib/privacy.py); the reasoning above read the original.
        stored = scrub_findings(prompt)
        logger.info(f"seer: {stored.text!r} -> {spec.status} {spec.targets} ({stored.redact(spec.message)})")
        return out, result_json
