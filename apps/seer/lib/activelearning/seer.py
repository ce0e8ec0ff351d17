"""Active learning: score each image by how sure its latest answer was, and serve the least sure one first."""

from __future__ import annotations

import json
import time
from pathlib import Path

from monailabel.interfaces.tasks.scoring import ScoringMethod
from monailabel.interfaces.tasks.strategy import Strategy

from ..files import atomic_write_text
from ..request_log import RequestLog


def latest_certainty(requests: RequestLog) -> dict[str, float]:
    """image id -> certainty of its latest answer: the grounding's confidence times the mask's, when a mask was
    made (a confident refusal is a certain answer)."""
    latest = {}
    for record in requests.read():
        if record.image_id not in latest or record.time >= latest[record.image_id].time:
            latest[record.image_id] = record
    return {image_id: round(r.spec.confidence * (r.mask_confidence if r.mask_confidence is not None else 1.0), 4)
            for image_id, r in latest.items()}


class SeerCertaintyScoring(ScoringMethod):
    def __init__(self, requests: RequestLog):
        super().__init__("Certainty of each image's latest SEER answer (grounding x mask confidence)")
        self.requests = requests

    def __call__(self, request, datastore):
        certainty = latest_certainty(self.requests)
        for image_id in datastore.list_images():
            if image_id in certainty:
                datastore.update_image_info(image_id, {"seer_certainty": certainty[image_id]})
        return {"scored": len(certainty), "certainty": certainty}


class SeerUncertainStrategy(Strategy):
    def __init__(self, requests: RequestLog, served_path: Path, final_tag: str = "final"):
        super().__init__("Unlabeled image whose latest SEER answer was least certain; ties: served least recently")
        self.requests = requests
        self.served_path = Path(served_path)
        self.final_tag = final_tag

    def _served(self) -> dict[str, float]:
        return json.loads(self.served_path.read_text()) if self.served_path.exists() else {}

    def __call__(self, request, datastore):
        images = datastore.get_unlabeled_images(label_tag=self.final_tag)
        if not images:
            return {}
        certainty = latest_certainty(self.requests)
        served = self._served()
        # Answered images first (there is something to correct), least certain first, then least recently served.
        ranked = sorted(images, key=lambda i: (i not in certainty, certainty.get(i, 1.0), served.get(i, 0.0), i))
        chosen = ranked[0]
        served[chosen] = time.time()
        atomic_write_text(self.served_path, json.dumps(served))
        return {"id": chosen, "seer_certainty": certainty.get(chosen)}
