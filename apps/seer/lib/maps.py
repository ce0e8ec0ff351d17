"""Where a series' segment-everything map comes from, and whether an image id names a series at all.

Lookup order (`locate_everything`), first hit wins:
  1. the datastore label under `labelmap_tag` (also where the `vista3d` backbone persists the map it computed; a
     map made by another model version is not reused);
  2. `--conf labelmap_dir DIR` holding `DIR/<image id>.nii.gz` (on a PACS the image id is the SeriesInstanceUID);
  3. on a DICOMweb datastore, a DICOM SEG in the same study whose SeriesDescription equals `labelmap_tag` and that
     references the series; its segments are mapped to concepts through the ontology, then to the vocabulary's
     label ids, and the result is cached under `model_dir/everything/`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import SimpleITK as sitk

from .dicom_seg import seg_to_label_map
from .ontology import Ontology, load_ontology
from .settings import SeerSettings
from .volume import write_everything_map

logger = logging.getLogger(__name__)

PRECOMPUTED = "precomputed"  # model_version of maps that no network of ours made: any backbone may read them
MAP_SUFFIXES = (".nii.gz", ".nii", ".nrrd")
SERIES_UID = "0020000E"
STUDY_UID = "0020000D"
MODALITY = "00080060"
SERIES_DESCRIPTION = "0008103E"
IMAGE_MODALITIES_EXCLUDED = ("SEG", "RTSTRUCT", "SR", "PR", "KO", "REG")


def _dicomweb_client(datastore) -> Any | None:
    """The DICOMweb client of MONAI Label's DICOMWebDatastore; None for a local studies folder."""
    return getattr(datastore, "_client", None)


def _value(entry: dict, tag: str) -> str | None:
    values = (entry.get(tag) or {}).get("Value") or []
    return str(values[0]) if values else None


def series_problem(datastore, image_id: str) -> str | None:
    """On a DICOMweb datastore: why `image_id` is not an image series there (unknown UID, a study UID, a SEG), or
    None when it is one. Always None on a local datastore (the caller checks local ids itself)."""
    client = _dicomweb_client(datastore)
    if client is None:
        return None
    found = [s for s in client.search_for_series(search_filters={"SeriesInstanceUID": image_id})
             if _value(s, SERIES_UID) == image_id]
    if found:
        modality = _value(found[0], MODALITY)
        if modality in IMAGE_MODALITIES_EXCLUDED:
            return f"series {image_id} is a {modality} series, not an image: ask with the image series' UID"
        return None
    studies = [s for s in client.search_for_studies(search_filters={"StudyInstanceUID": image_id})
               if _value(s, STUDY_UID) == image_id]
    if studies:
        series = [_value(s, SERIES_UID) for s in client.search_for_series(study_instance_uid=image_id)
                  if _value(s, MODALITY) not in IMAGE_MODALITIES_EXCLUDED]
        return f"{image_id} is a study, not a series: ask with one of its image series: {series}"
    return f"no series {image_id} on the PACS ({datastore.name()})"


def locate_everything(datastore, image_id: str, settings: SeerSettings, model_version: str = PRECOMPUTED,
                      ontology: Ontology | None = None) -> str | None:
    """The path of the first usable segment-everything map for `image_id`, or None (see the module docstring)."""
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
        for suffix in MAP_SUFFIXES:
            candidate = Path(settings.labelmap_dir) / f"{image_id}{suffix}"
            if candidate.exists():
                return str(candidate)
    return _map_from_study_seg(datastore, image_id, settings, ontology or load_ontology())


def _map_from_study_seg(datastore, image_id: str, settings: SeerSettings, ontology: Ontology) -> str | None:
    client = _dicomweb_client(datastore)
    if client is None:
        return None
    series = [s for s in client.search_for_series(search_filters={"SeriesInstanceUID": image_id})
              if _value(s, SERIES_UID) == image_id]
    study = _value(series[0], STUDY_UID) if series else None
    if not study:
        return None
    segs = [s for s in client.search_for_series(study_instance_uid=study, search_filters={"Modality": "SEG"})
            if _value(s, SERIES_DESCRIPTION) == settings.labelmap_tag]
    for seg in segs:
        seg_uid = _value(seg, SERIES_UID)
        cached = Path(settings.model_dir) / "everything" / f"{image_id}.{seg_uid}.nii.gz"
        if cached.exists():
            return str(cached)
        instances = client.retrieve_series(study, seg_uid)
        if not instances or not _references(instances[0], image_id):
            continue
        seg_folder = cached.parent / f"{seg_uid}.seg"
        seg_folder.mkdir(parents=True, exist_ok=True)
        seg_file = seg_folder / "seg.dcm"
        instances[0].save_as(str(seg_file))
        reference = sitk.ReadImage(datastore.get_image_uri(image_id))
        labels, names = seg_to_label_map(seg_file, reference, ontology, vocab=settings.vocab)
        write_everything_map(labels, reference, cached, settings.vocab)
        logger.info(f"seer: segment-everything map of {image_id} from SEG {seg_uid} ({len(names)} segments)")
        return str(cached)
    return None


def _references(seg, image_id: str) -> bool:
    """Whether a SEG instance references the series (a SEG without the reference is taken at its word)."""
    referenced = getattr(seg, "ReferencedSeriesSequence", None)
    if not referenced:
        return True
    return any(str(item.SeriesInstanceUID) == image_id for item in referenced)
