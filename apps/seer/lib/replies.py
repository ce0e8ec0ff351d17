"""How an answer leaves the server when the client cannot read our JSON: a DICOM SEG, or an HTTP error.

- `output=dicom_seg`: MONAI Label's endpoint refuses it without a client-side `label_info` (404), and its
  converter then codes every segment as SNOMED 78961009 (Spleen). The request guard (`lib/server/routes.py`)
  hands that output to the infer task, which writes the SEG itself, coded from the ontology (`dicom_seg_reply`).
  A label saved as `final` on a DICOMweb datastore is stored in the PACS as a SEG coded the same way
  (`lib/server/datastore.py`).
- 3D Slicer's MONAI Label module shows only the label map of a 200 reply; the message of a refusal or question
  would stay in its Python console. For an HTTP error it opens a dialog with the reply's text. So requests that
  come through MONAI Label's Python client (the Slicer module adds `client_id` to `params`) get a refusal or a
  question back as HTTP 422 with the message as `detail` (`refusal_error`). `params` may set
  `"refusal_as_error": true/false` to choose explicitly.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import SimpleITK as sitk
from fastapi import HTTPException

from .dicom_seg import DicomSegError, label_map_to_seg
from .ontology import Ontology
from .records import TargetSpec

logger = logging.getLogger(__name__)

OUTPUT_KEY = "seer_output"  # set in the infer request by the rerouted endpoint; the task then returns a SEG
DICOM_SEG = "dicom_seg"
REFUSAL_AS_ERROR = "refusal_as_error"
PYTHON_CLIENT_MARK = "client_id"  # MONAI Label's Python client (used by the Slicer module) adds it to every request
REFUSAL_STATUS = 422
IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd")


def refusal_error(request: dict, spec: TargetSpec) -> HTTPException | None:
    """The HTTP error that shows a refusal or question to a client that cannot show our JSON, else None."""
    if spec.status == "ok":
        return None
    wanted = request.get(REFUSAL_AS_ERROR)
    if wanted is None:
        wanted = PYTHON_CLIENT_MARK in request or request.get(OUTPUT_KEY) == DICOM_SEG
    if str(wanted).lower() not in ("true", "1", "yes"):
        return None
    question = f" (candidates: {', '.join(spec.candidates)})" if spec.status == "clarify" and spec.candidates else ""
    return HTTPException(status_code=REFUSAL_STATUS, detail=f"{spec.status}: {spec.message}{question}")


def source_series_folder(image_path: str, image_id: str | None = None) -> Path | None:
    """The DICOM series folder behind an infer request's image: the folder itself, or the folder that MONAI
    Label's DICOMweb datastore keeps beside the NIfTI it converted (`<cache>/images/<uid>` and `<uid>.nii.gz`).

    The first request on a series gets a temporary NIfTI instead of the cached one, so the datastore is asked
    again by `image_id`; by then the cached copy exists.
    """
    candidates = [Path(image_path)]
    if image_id:
        from monailabel.interfaces.utils.app import app_instance

        uri = app_instance().datastore().get_image_uri(image_id)
        if uri:
            candidates.append(Path(uri))
    for path in candidates:
        if path.is_dir():
            return path
        for suffix in IMAGE_SUFFIXES:
            if path.name.endswith(suffix):
                folder = path.with_name(path.name[: -len(suffix)])
                if folder.is_dir() and any(folder.iterdir()):
                    return folder
    return None


def dicom_seg_reply(image_path: str, image_id: str | None, labels: np.ndarray, reference: sitk.Image,
                    label_names: dict[str, int], ontology: Ontology, series_description: str = "SEER Label") -> str:
    """Write the answer as a DICOM SEG; returns its path (the endpoint deletes it after sending).

    Args:
        image_path: the infer request's image (the NIfTI MONAI Label made of the series, or a series folder).
        image_id: the datastore's id of that image (the SeriesInstanceUID on a PACS), when it came from one.
        labels: the label map (z, y, x) on `reference`'s grid.
        reference: the image the labels were computed on; the SEG's frames are placed by physical position, so a
            grid that differs from the series' own (a NIfTI round trip) cannot shift them.
        label_names: concept id -> value in `labels`.

    Raises:
        HTTPException: 422 when the image has no DICOM series behind it or there is nothing to encode.
    """
    folder = source_series_folder(image_path, image_id)
    if folder is None:
        raise HTTPException(status_code=422, detail=f"output=dicom_seg needs a DICOM series; {image_path} has none "
                                                    "(start the server on a DICOMweb source, or use output=image)")
    out = tempfile.NamedTemporaryFile(suffix=".dcm", delete=False).name
    try:
        image = sitk.GetImageFromArray(np.asarray(labels, dtype=np.uint16))
        image.CopyInformation(reference)
        label_map_to_seg(image, label_names, folder, ontology, out, series_description)
    except DicomSegError as error:
        Path(out).unlink(missing_ok=True)
        raise HTTPException(status_code=422, detail=f"cannot write a DICOM SEG: {error}") from None
    return out
