"""SEER Label: the MONAI Label app. It parses `--conf` once and wires the tasks; the parts live in `lib/`."""

from __future__ import annotations

import logging
import os

from fastapi import HTTPException
from monailabel.interfaces.app import MONAILabelApp

from lib.backbones.labelmap import LabelmapBackbone
from lib.infers.seer import SeerInfer
from lib.ontology import load_ontology
from lib.pipeline import SeerPipeline
from lib.reasoning.engine import ReasoningEngine
from lib.settings import SeerSettings
from lib.volume import Volume

logger = logging.getLogger(__name__)


class SeerApp(MONAILabelApp):
    def __init__(self, app_dir, studies, conf):
        self.settings = SeerSettings.from_conf(conf or {}, app_dir)
        os.makedirs(self.settings.model_dir, exist_ok=True)
        self.ontology = load_ontology()
        super().__init__(app_dir=app_dir, studies=studies, conf=conf, name="SEER Label",
                         description="Free-text promptable 3D segmentation with grounded reasoning",
                         version="0.1.0")

    def _encoder(self):
        if not self.settings.embeddings:
            return None
        from lib.reasoning.embed import TextEncoder

        return TextEncoder(self.settings.encoder_dir or None)

    def _locate_map(self, volume: Volume) -> str | None:
        tag = self.settings.labelmap_tag
        label_id = self.datastore().get_label_by_image_id(volume.id, tag) if volume.id else ""
        return self.datastore().get_label_uri(label_id, tag) if label_id else None

    def init_infers(self):
        engine = ReasoningEngine(self.ontology, encoder=self._encoder(), cache_dir=self.settings.model_dir)
        backbone = LabelmapBackbone(self.ontology, self.settings.vocab, self._locate_map)
        self.pipeline = SeerPipeline(engine, backbone)
        return {"seer": SeerInfer(self.pipeline)}

    def infer(self, request, datastore=None):
        image_id = request.get("image")
        store = datastore or self.datastore()
        # MONAI Label answers an unknown image with a 500; say what is wrong instead.
        if isinstance(image_id, str) and not os.path.exists(image_id):
            if not store.get_image_uri(image_id):
                raise HTTPException(status_code=404, detail=f"image {image_id!r} is not in the datastore")
            request = {**request, "image_id": image_id}
        return super().infer(request, datastore)
