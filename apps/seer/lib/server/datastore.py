"""The datastores SEER Label serves from, returned by `SeerApp.init_datastore()` (MONAI Label's extension point):
MONAI Label's endpoints call `datastore().add_image` and `datastore().save_label`, so the checks and the durable,
ontology-coded writes live here rather than around the endpoints.

- `SeerLocalDatastore` (a studies folder): an uploaded image must be a readable 3D volume; a `final` label must be
  a readable, non-empty label map on the image's grid; a saved label and the datastore's index are on disk (fsync)
  before the reply acknowledges them.
- `SeerDicomWebDatastore` (a PACS over DICOMweb): the same checks; a `final` label is stored in the PACS as a DICOM
  SEG coded from the ontology (`lib/dicom_seg.py`), not with MONAI Label's converter, which codes every segment as
  SNOMED 78961009 (Spleen).

Every refusal is a `RequestRefused`, which the server answers with its status (`asgi.py`). Pairing a final label
with its request stays in `SeerApp.on_save_label`, MONAI Label's hook for that.
"""

from __future__ import annotations

import logging
import os
import pathlib
from collections.abc import Callable
from typing import Any

from monailabel.config import settings
from monailabel.datastore.dicom import DICOMwebClientX, DICOMWebDatastore
from monailabel.datastore.local import LocalDatastore
from monailabel.datastore.utils.convert import binary_to_image
from monailabel.datastore.utils.dicom import dicom_web_upload_dcm
from monailabel.interfaces.datastore import DefaultLabelTag

from ..dicom_seg import saved_label_to_seg
from ..dicom_series import cached_series_uri
from ..guards import check_final_label, check_uploaded_image, fsync_path, lookup_image
from ..ontology import Ontology

logger = logging.getLogger(__name__)

FINAL_TAG = DefaultLabelTag.FINAL.value  # MONAI Label's tag for a clinician-approved label
ReturnedLabels = Callable[[str], dict[str, int]]  # image id -> label_names of the latest answer for it


class SeerLocalDatastore(LocalDatastore):
    """A studies folder, with uploads and final labels checked and labels written durably."""

    def add_image(self, image_id: str, image_filename: str, image_info: dict[str, Any]) -> str:
        check_uploaded_image(image_filename)  # else it would sit in the study list and fail every request
        return super().add_image(image_id, image_filename, image_info)

    def save_label(self, image_id: str, label_filename: str, label_tag: str, label_info: dict[str, Any]) -> str:
        image_path = lookup_image(self, image_id)
        if (label_tag or FINAL_TAG) == FINAL_TAG:
            check_final_label(label_filename, image_path)
        label_id = super().save_label(image_id, label_filename, label_tag, label_info)
        label_uri = self.get_label_uri(label_id, label_tag or FINAL_TAG)
        if label_uri:
            fsync_path(label_uri)
        fsync_path(self._datastore_config_path)  # the datastore's own index of labels
        return label_id


class SeerDicomWebDatastore(DICOMWebDatastore):
    """A PACS over DICOMweb. Issue 19 (lib/dicom_series.py) adds the override that fetches a series in its stored
    transfer syntax here."""

    def __init__(self, *args, ontology: Ontology, returned: ReturnedLabels | None = None, **kwargs):
        self._ontology = ontology
        self._returned = returned
        super().__init__(*args, **kwargs)

    def add_image(self, image_id: str, image_filename: str, image_info: dict[str, Any]) -> str:
        check_uploaded_image(image_filename)
        return super().add_image(image_id, image_filename, image_info)

    def get_image_uri(self, image_id: str) -> str:
        """The series fetched as stored (`transfer-syntax=*`), its volume chosen and decoded locally, and a record
        of what was used and dropped beside it (lib/dicom_series.py; RequestRefused 422 where it cannot be read)."""
        return cached_series_uri(self, image_id)

    def save_label(self, image_id: str, label_filename: str, label_tag: str, label_info: dict[str, Any],
                   label_id: str = "") -> str:
        """As MONAI Label's DICOMweb `save_label` (0.8.5), except that a `final` label is checked first and its SEG
        is coded from the ontology."""
        lookup_image(self, image_id)
        label_tag = label_tag or FINAL_TAG
        converted = ""
        if "".join(pathlib.Path(label_filename).suffixes) == ".bin":  # OHIF's scribbles: raw bytes on the image grid
            converted = label_filename = binary_to_image(self.get_image_uri(image_id), label_filename)
        try:
            if label_tag == FINAL_TAG:
                check_final_label(label_filename, None)  # the series has no NIfTI grid to compare with yet
                series_dir = os.path.realpath(os.path.join(self._datastore.image_path(), image_id))
                self.get_image_uri(image_id)  # the series folder the SEG references is fetched into the cache
                answer = self._returned(image_id) if self._returned is not None else None
                seg = saved_label_to_seg(series_dir, label_filename, label_info.get("label_info"), self._ontology,
                                         answer)
                try:
                    seg_series = dicom_web_upload_dcm(seg, self._client)
                finally:
                    os.unlink(seg)
                image_info = self.get_image_info(image_id)
                label_info = {**label_info, "SeriesInstanceUID": seg_series,
                              **{k: image_info.get(k) for k in ("Modality", "PatientID", "StudyInstanceUID")}}
            return LocalDatastore.save_label(self, image_id, label_filename, label_tag, label_info)
        finally:
            if converted:
                os.unlink(converted)


def local_datastore(studies: str) -> SeerLocalDatastore:
    """A studies folder, with MONAI Label's own settings (as `MONAILabelApp.init_datastore`, 0.8.5)."""
    return SeerLocalDatastore(studies, extensions=settings.MONAI_LABEL_DATASTORE_FILE_EXT,
                              auto_reload=settings.MONAI_LABEL_DATASTORE_AUTO_RELOAD,
                              read_only=settings.MONAI_LABEL_DATASTORE_READ_ONLY)


def dicomweb_datastore(studies: str, ontology: Ontology, returned: ReturnedLabels | None = None
                       ) -> SeerDicomWebDatastore:
    """A DICOMweb source, with MONAI Label's own client and settings (as `MONAILabelApp._init_dicomweb_datastore`,
    0.8.5). dcmqi is not downloaded: `lib.dicom_seg.ensure_dcmqi_on_path` puts the wheel's tools on PATH."""
    if "googleapis.com" in studies:
        from dicomweb_client import DICOMwebClient
        from dicomweb_client.ext.gcp.session_utils import create_session_from_gcp_credentials

        client = DICOMwebClient(url=studies, session=create_session_from_gcp_credentials())
    else:
        from dicomweb_client.session_utils import create_session_from_user_pass

        session = None
        if settings.MONAI_LABEL_DICOMWEB_USERNAME and settings.MONAI_LABEL_DICOMWEB_PASSWORD:
            session = create_session_from_user_pass(settings.MONAI_LABEL_DICOMWEB_USERNAME,
                                                    settings.MONAI_LABEL_DICOMWEB_PASSWORD)
        client = DICOMwebClientX(url=studies, session=session, qido_url_prefix=settings.MONAI_LABEL_QIDO_PREFIX,
                                 wado_url_prefix=settings.MONAI_LABEL_WADO_PREFIX,
                                 stow_url_prefix=settings.MONAI_LABEL_STOW_PREFIX)
    cache_path = (settings.MONAI_LABEL_DICOMWEB_CACHE_PATH or "").strip()
    return SeerDicomWebDatastore(client=client, search_filter=settings.MONAI_LABEL_DICOMWEB_SEARCH_FILTER,
                                 cache_path=cache_path or None,
                                 fetch_by_frame=settings.MONAI_LABEL_DICOMWEB_FETCH_BY_FRAME,
                                 convert_to_nifti=settings.MONAI_LABEL_DICOMWEB_CONVERT_TO_NIFTI,
                                 ontology=ontology, returned=returned)
