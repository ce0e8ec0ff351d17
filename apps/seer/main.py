"""SEER Label: the MONAI Label app. It parses `--conf` once and wires the tasks; the parts live in `lib/`."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from fastapi import HTTPException
from monailabel.interfaces.app import MONAILabelApp

from lib.activelearning.seer import SeerCertaintyScoring, SeerUncertainStrategy
from lib.backbones.labelmap import LabelmapBackbone
from lib.infers.seer import SeerInfer
from lib.ontology import load_ontology
from lib.pipeline import SeerPipeline
from lib.reasoning.engine import ReasoningEngine
from lib.request_log import CorrectionLog, RequestLog, pair_correction
from lib.settings import SeerSettings
from lib.skills.bank import SkillBank
from lib.trainers.seer import SeerTrain
from lib.volume import Volume

logger = logging.getLogger(__name__)

FINAL_TAG = "final"  # MONAI Label's tag for a clinician-approved label


class SeerApp(MONAILabelApp):
    def __init__(self, app_dir, studies, conf):
        self.settings = SeerSettings.from_conf(conf or {}, app_dir)
        model_dir = Path(self.settings.model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        self.ontology = load_ontology()
        self.requests = RequestLog(model_dir / "requests.jsonl")
        self.corrections = CorrectionLog(model_dir / "corrections.jsonl")
        self.skill_bank = SkillBank(model_dir / "skills")
        self.pipeline = self._pipeline()
        # Embedding ~3,000 concept phrases takes ~20 s on 2 CPU cores the first time (then it is cached on disk):
        # do it in the background so that neither start-up nor the first description waits for all of it.
        threading.Thread(target=lambda: self.pipeline.engine.embeddings, name="seer-embeddings", daemon=True).start()
        super().__init__(app_dir=app_dir, studies=studies, conf=conf, name="SEER Label",
                         description="Free-text promptable 3D segmentation with grounded reasoning",
                         version="0.1.0")

    def _pipeline(self) -> SeerPipeline:
        encoder = None
        if self.settings.embeddings:
            from lib.reasoning.embed import TextEncoder

            encoder = TextEncoder(self.settings.encoder_dir or None)
        engine = ReasoningEngine(self.ontology, encoder=encoder, cache_dir=self.settings.model_dir)
        backbone = LabelmapBackbone(self.ontology, self.settings.vocab, self._locate_map)
        return SeerPipeline(engine, backbone)

    def _locate_map(self, volume: Volume) -> str | None:
        tag = self.settings.labelmap_tag
        label_id = self.datastore().get_label_by_image_id(volume.id, tag) if volume.id else ""
        return self.datastore().get_label_uri(label_id, tag) if label_id else None

    def init_infers(self):
        return {"seer": SeerInfer(self.pipeline, on_request=self.requests.append, skill_bank=self.skill_bank)}

    def init_trainers(self):
        stats = Path(self.settings.model_dir) / "train_stats.json"
        return {"seer": SeerTrain(self.pipeline, self.skill_bank, self.corrections, stats, FINAL_TAG)}

    def init_strategies(self):
        served = Path(self.settings.model_dir) / "al_served.json"
        return {"seer_uncertain": SeerUncertainStrategy(self.requests, served, FINAL_TAG)}

    def init_scoring_methods(self):
        return {"seer_certainty": SeerCertaintyScoring(self.requests)}

    def infer(self, request, datastore=None):
        image_id = request.get("image")
        store = datastore or self.datastore()
        # MONAI Label answers an unknown image with a 500; say what is wrong instead.
        if isinstance(image_id, str) and not os.path.exists(image_id):
            if not store.get_image_uri(image_id):
                raise HTTPException(status_code=404, detail=f"image {image_id!r} is not in the datastore")
            request = {**request, "image_id": image_id}
        return super().infer(request, datastore)

    def on_save_label(self, image_id, label_id):
        """Pair a newly saved final label with the request it corrects (once per save)."""
        result = super().on_save_label(image_id, label_id) or {}
        store = self.datastore()
        if store.get_label_by_image_id(image_id, FINAL_TAG) != label_id:
            return result
        info = store.get_label_info(label_id, FINAL_TAG) or {}
        if any(c.image_id == image_id and c.label_ts == info.get("ts") for c in self.corrections.read()):
            return result  # another tag was saved; this final label is already paired
        correction = pair_correction(self.requests, image_id, label_id, info)
        self.corrections.append(correction)
        logger.info(f"seer: final label for {image_id} paired with request {correction.request_id} "
                    f"({correction.prompt!r})")
        return {**result, "seer_paired_request": correction.request_id}
