"""Active learning: score each image by how sure its latest answer was, and serve the least sure one first."""

from __future__ import annotations

import time

from monailabel.interfaces.tasks.scoring import ScoringMethod
from monailabel.interfaces.tasks.strategy import Strategy
from sqlalchemy import select

from ..request_log import RequestLog
from ..store import Store
from ..store.models import ServedImageRow


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
    def __init__(self, requests: RequestLog, store: Store, final_tag: str = "final"):
        super().__init__("Unlabeled image whose latest SEER answer was least certain; ties: served least recently")
        self.requests = requests
        self.store = store  # when each image was last served, shared by every server on the store
        self.final_tag = final_tag

    def __call__(self, request, datastore):
        images = datastore.get_unlabeled_images(label_tag=self.final_tag)
        if not images:
            return {}
        certainty = latest_certainty(self.requests)
        # The choice and its stamp in one transaction: the next call, on any server, sees this one's stamp.
        with self.store.session() as session:
            served = {row.image_id: row.served for row in session.scalars(select(ServedImageRow))}
            # Answered images first (there is something to correct), least certain first, then least recently served.
            ranked = sorted(images, key=lambda i: (i not in certainty, certainty.get(i, 1.0), served.get(i, 0.0), i))
            chosen = ranked[0]
            session.merge(ServedImageRow(image_id=chosen, served=time.time()))
        return {"id": chosen, "seer_certainty": certainty.get(chosen)}
