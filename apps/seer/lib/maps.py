"""Where an image's segment-everything map comes from, in a documented order.

1. The datastore label under `labelmap_tag` (also where the `vista3d` backbone persists the map it computed; a
   map made by another model version is not reused).
2. `--conf labelmap_dir DIR`, holding `DIR/<image id>.nii.gz` (on a PACS the image id is the SeriesInstanceUID).
"""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)

PRECOMPUTED = "precomputed"  # model_version of maps that no network of ours made: any backbone may read them


def locate_everything(datastore, image_id: str, settings, model_version: str = PRECOMPUTED) -> str | None:
    """The path of the first usable segment-everything map for `image_id`, or None."""
    tag = settings.labelmap_tag
    label_id = datastore.get_label_by_image_id(image_id, tag)
    if label_id:
        made_by = (datastore.get_label_info(label_id, tag) or {}).get("model_version", PRECOMPUTED)
        if model_version == PRECOMPUTED or made_by in (model_version, PRECOMPUTED):
            path = datastore.get_label_uri(label_id, tag)
            if path and Path(path).exists():
                return path
        logger.info(f"seer: the {tag!r} map of {image_id} was made by model {made_by}, not {model_version}")
    if settings.labelmap_dir:
        candidate = Path(settings.labelmap_dir) / f"{image_id}.nii.gz"
        if candidate.exists():
            return str(candidate)
    return None
