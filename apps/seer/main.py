"""SEER Label: the MONAI Label app. It parses `--conf` once and wires the tasks; the parts live in `lib/`."""

from __future__ import annotations

import logging
import os
import runpy
import sys
from pathlib import Path

from monailabel.config import settings as monailabel_settings
from monailabel.interfaces.app import MONAILabelApp

from lib.activelearning.seer import SeerCertaintyScoring, SeerUncertainStrategy
from lib.dicom_seg import ensure_dcmqi_on_path
from lib.guards import lookup_image
from lib.infers.seer import SeerInfer
from lib.maps import locate_everything
from lib.ontology import load_ontology
from lib.pipeline import build_pipeline
from lib.replies import DICOM_SEG, OUTPUT_KEY
from lib.privacy import install_log_filter
from lib.request_log import CorrectionLog, RequestLog, pair_correction, start_retention
from lib.server.context import current_request
from lib.server.datastore import dicomweb_datastore, local_datastore
from lib.server.train_round import claim_train_round
from lib.settings import SeerSettings
from lib.skills.bank import SkillBank
from lib.store import Store
from lib.trainers.seer import SeerTrain
from lib.volume import Volume

logger = logging.getLogger(__name__)

FINAL_TAG = "final"  # MONAI Label's tag for a clinician-approved label
ENTRY_POINT = "lib.server.asgi"  # the ASGI module `--uvicorn_app lib.server.asgi:app` serves
# Tests only: a Python file whose `apply(app)` runs inside the server process on each app instance (e.g. to make a
# reasoner stage fail on purpose). Never set in production.
TEST_HOOK_ENV = "SEER_TEST_HOOK"

# On a DICOMweb datastore MONAI Label downloads dcmqi at start-up (and fails offline) unless `itkimage2segimage` is
# on PATH; the pinned dcmqi wheel carries it. Every process needs it: the server, and training, which opens the
# datastore too.
ensure_dcmqi_on_path()


class SeerApp(MONAILabelApp):
    def __init__(self, app_dir, studies, conf):
        # In a server process (MONAI Label's FastAPI app is loaded), the app must be served by SEER's own ASGI app:
        # served as MONAI Label's stock app no request would be checked and no route role-checked by SEER's route
        # table. Stop with the fix, before the slow part of start-up. (Training and batch subprocesses serve nothing.)
        if "monailabel.app" in sys.modules and ENTRY_POINT not in sys.modules:
            raise RuntimeError(f"SEER Label must be served by its own ASGI app: start the server with "
                               f"--uvicorn_app {ENTRY_POINT}:app and apps/seer on PYTHONPATH (`make run` does both)")
        self.settings = SeerSettings.from_conf(conf or {}, app_dir)
        model_dir = Path(self.settings.model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        self.ontology = load_ontology()
        # The app's state (requests, corrections, skill bank, train rounds): SQLite in model_dir, or the team's
        # PostgreSQL (`--conf store postgresql://...`), its schema migrated here (lib/store).
        self.store = Store.open(self.settings.store or model_dir)
        self.requests = RequestLog(self.store)
        self.corrections = CorrectionLog(self.store)
        self.skill_bank = SkillBank(self.store)
        # Patient data (lib/privacy.py): every log handler scrubs request text (MONAI Label's "Infer Request" line
        # too). The retention purge starts in on_init_complete: once per server, not once per app (POST /reload).
        install_log_filter()
        self.pipeline = build_pipeline(self.settings, self.ontology)
        # Everything the first request would otherwise wait for (concept embeddings, the encoder, ITK's writer) is
        # ready before the server answers /info. The embeddings are cached across model_dirs and built by
        # `make install`, so this takes a few seconds, not the ~40 s of embedding 3,000 phrases on 2 cores.
        self.pipeline.warm_up()
        super().__init__(app_dir=app_dir, studies=studies, conf=conf, name="SEER Label",
                         description="Free-text promptable 3D segmentation with grounded reasoning",
                         version="0.1.0")
        hook = os.environ.get(TEST_HOOK_ENV)
        if hook:
            logger.warning(f"seer: {TEST_HOOK_ENV}={hook} applied (tests only)")
            runpy.run_path(hook)["apply"](self)

    def init_datastore(self):
        """MONAI Label's datastores, subclassed (lib/server/datastore.py): uploads and final labels are checked,
        labels written durably, and a final label stored in a PACS is a SEG coded from the ontology. XNAT and DSA
        sources stay MONAI Label's own."""
        studies = self.studies.rstrip("/").strip()
        if not studies.startswith(("http://", "https://")):
            return local_datastore(self.studies)
        if monailabel_settings.MONAI_LABEL_DATASTORE.lower() in ("xnat", "dsa"):
            return super().init_datastore()
        self.studies = studies
        return dicomweb_datastore(studies, self.ontology,
                                  lambda image_id: self.requests.returned_labels(image_id, self.pipeline.label_values))

    def locate_everything(self, volume: Volume) -> str | None:
        if not volume.id:
            return None
        return locate_everything(self.datastore(), volume.id, self.settings, self.pipeline.backbone.model_version)

    def persist_everything(self, volume: Volume, path: str) -> None:
        """Keep a map the backbone computed as the image's datastore label, so the next request and the next
        server start reuse it instead of running the network again."""
        if volume.id:
            self.datastore().save_label(volume.id, path, self.settings.labelmap_tag,
                                        {"model_version": self.pipeline.backbone.model_version})

    def init_infers(self):
        return {"seer": SeerInfer(self.pipeline, on_request=self.requests.append, skill_bank=self.skill_bank,
                                  locate_everything=self.locate_everything,
                                  persist_everything=self.persist_everything)}

    def init_trainers(self):
        return {"seer": SeerTrain(self.pipeline, self.skill_bank, self.corrections, FINAL_TAG,
                                  locate_everything=self.locate_everything)}

    def claim_train_round(self, sync: bool = False) -> int:
        """One train round at a time across every server on the store (the route guard of POST /train)."""
        return claim_train_round(self.store, None, sync)

    def init_strategies(self):
        return {"seer_uncertain": SeerUncertainStrategy(self.requests, self.store, FINAL_TAG)}

    def init_scoring_methods(self):
        return {"seer_certainty": SeerCertaintyScoring(self.requests)}

    def async_scoring(self, method, params=None):
        # MONAI Label re-scores after each served sample and each training round by starting a process that loads a
        # second copy of the app (20-30 s of CPU). SEER's scoring reads the request log in milliseconds, so it runs
        # here; a failure is logged and never fails the sample or the round that triggered it.
        methods = [method] if method else list(self._scoring_methods)
        results = {}
        for name in methods:
            try:
                results[name] = self.scoring({"method": name, **((params or {}).get(name) or {})})
            except Exception:
                logger.exception(f"seer: scoring {name} failed")
        return results[method] if method and method in results else results

    def on_init_complete(self):
        # The server purges requests past their retention now and daily (a training subprocess does not). MONAI
        # Label calls this once per server start, so `POST /reload` does not start a second purge thread.
        start_retention(self.store, self.settings.request_retention_days)
        # No scoring pass at start-up: on a PACS it lists every series before the server answers. Certainty comes
        # from the request log, so scoring after each served sample and each training round keeps it fresh.
        auto_update_scoring, self._auto_update_scoring = self._auto_update_scoring, False
        try:
            super().on_init_complete()
        finally:
            self._auto_update_scoring = auto_update_scoring

    def infer(self, request, datastore=None):
        # An image id is looked up in the datastore and never opened as a path: "/etc/hostname" gets the same 404
        # (a RequestRefused, answered with its status) as any unknown id. Only a file that MONAI Label's endpoint
        # stored itself (an upload, a session) arrives as a path, vouched for by the request guard
        # (lib/server/routes.py) in the request's context; nothing in params can vouch for it.
        served = current_request()
        request = {k: v for k, v in request.items() if k != OUTPUT_KEY}
        if served is not None and served.output == DICOM_SEG:
            request[OUTPUT_KEY] = DICOM_SEG  # the guard turned output=dicom_seg into the task's own SEG
        if served is None or not served.uploaded:
            image_id = request.get("image")
            path = lookup_image(datastore or self.datastore(), image_id)
            request = {**request, "image_id": image_id, **({"image": path} if path else {})}
        return super().infer(request, datastore)

    def on_save_label(self, image_id, label_id):
        """Pair a newly saved final label with the request it corrects (once per save)."""
        result = super().on_save_label(image_id, label_id) or {}
        store = self.datastore()
        if store.get_label_by_image_id(image_id, FINAL_TAG) != label_id:
            return result
        info = store.get_label_info(label_id, FINAL_TAG) or {}
        if self.corrections.paired(image_id, info.get("ts")):
            return result  # another tag was saved; this final label is already paired
        # The request may have been served by any server on the store: the pairing reads the shared request table.
        correction = pair_correction(self.requests, image_id, label_id, info)
        if not self.corrections.append(correction):
            return result  # paired at the same moment through another call
        logger.info(f"seer: final label for {image_id} paired with request {correction.request_id} "
                    f"({correction.prompt!r})")
        return {**result, "seer_paired_request": correction.request_id}
