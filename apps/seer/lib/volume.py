"""Reading images and label maps, and putting them on one grid in physical space.

SimpleITK works in LPS physical coordinates; everything we report is in RAS (NIfTI's convention), so the
conversion happens here and nowhere else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from .dicom_series import read_record, read_series
from .guards import RequestRefused

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])


class VolumeError(ValueError):
    """An input image or label map cannot be read."""


@dataclass
class Volume:
    """An image on disk, read once.

    Args:
        image: the SimpleITK image; its array is (z, y, x) = (k, j, i).
        source: where it came from (file or DICOM folder).
        modality: from DICOM metadata when known, else None.
        id: the datastore's image id, when the image came from one.
        everything_path: a persisted segment-everything map for this image, located by the caller (a datastore
            label, a `labelmap_dir` file, or `--labelmap`); backbones read it and never look for it themselves.
        series: for an image read from a DICOM series (a folder, or a PACS series cached as NIfTI with its record
            beside it), `SeriesRecord.trace()`: the instances used and dropped, with reasons.
    """

    image: sitk.Image
    source: str
    modality: str | None = None
    id: str | None = None
    everything_path: str | None = None
    series: dict | None = None  # for a DICOM series: which instances were read and dropped, and why (the trace's)

    @property
    def array(self) -> np.ndarray:
        return sitk.GetArrayViewFromImage(self.image)

    def index_to_ras(self, zyx: np.ndarray) -> np.ndarray:
        """Continuous (z, y, x) indices, shape (N, 3) -> RAS millimetres, shape (N, 3)."""
        ijk = np.asarray(zyx, dtype=float)[:, ::-1]
        direction = np.array(self.image.GetDirection()).reshape(3, 3)
        spacing = np.array(self.image.GetSpacing())
        lps = np.array(self.image.GetOrigin()) + (ijk * spacing) @ direction.T
        return lps @ LPS_TO_RAS.T

    @property
    def orientation(self) -> str:
        """Axis codes of the array's i, j, k axes in RAS terms, e.g. "RAS" or "LPS"."""
        direction = np.array(self.image.GetDirection()).reshape(3, 3)
        ras_direction = LPS_TO_RAS @ direction
        codes = []
        for axis in range(3):
            column = ras_direction[:, axis]
            dominant = int(np.argmax(np.abs(column)))
            towards, away = ("R", "A", "S")[dominant], ("L", "P", "I")[dominant]
            codes.append(towards if column[dominant] > 0 else away)
        return "".join(codes)

    @property
    def voxel_volume_ml(self) -> float:
        return float(np.prod(self.image.GetSpacing())) / 1000.0


def _read_dicom_series(folder: Path) -> Volume:
    """The volume of a folder's DICOM series, chosen and decoded by `dicom_series.read_series` (localizers and
    stray images dropped, slices sorted along the normal, any transfer syntax SimpleITK's GDCM decodes)."""
    try:
        series = read_series(folder)
    except RequestRefused as error:
        raise VolumeError(f"{folder}: {error.detail}") from None
    return Volume(image=series.image, source=str(folder), modality=series.record.modality,
                  series=series.record.trace())


def read_volume(path: str | Path) -> Volume:
    """Read a NIfTI or NRRD file, or a folder holding one DICOM series."""
    path = Path(path)
    if not path.exists():
        raise VolumeError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_dicom_series(path)
    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as error:
        raise VolumeError(f"{path}: not a readable image ({str(error).strip().splitlines()[-1]})") from None
    if image.GetDimension() != 3:
        raise VolumeError(f"{path}: expected a 3D image, got {image.GetDimension()}D")
    record = read_record(path)  # a PACS series cached as NIfTI keeps what was read of it beside it
    return Volume(image=image, source=str(path), modality=record.modality if record else None,
                  series=record.trace() if record else None)


def align_label_map(label_map: sitk.Image, reference: sitk.Image) -> np.ndarray:
    """Put a label map on the reference image's grid by physical position, never by array index.

    The map may have another orientation, spacing or extent; nearest-neighbour keeps label ids intact and voxels
    outside the map become background. Returns an integer array shaped like the reference's (z, y, x).
    """
    aligned = sitk.Resample(label_map, reference, sitk.Transform(), sitk.sitkNearestNeighbor, 0,
                            sitk.sitkUInt16 if label_map.GetPixelID() != sitk.sitkUInt32 else sitk.sitkUInt32)
    return sitk.GetArrayFromImage(aligned)


# A persisted segment-everything map names its vocabulary in the NIfTI header's description, so that any backbone
# reading it later knows what its label ids mean (a map a network made is in that network's vocabulary).
VOCABULARY_NOTE = "seer-vocab="


def write_everything_map(everything: np.ndarray, reference: sitk.Image, path: str | Path, vocab: str) -> None:
    image = sitk.GetImageFromArray(everything.astype(np.uint16))
    image.CopyInformation(reference)
    image.SetMetaData("ITK_FileNotes", VOCABULARY_NOTE + vocab)
    sitk.WriteImage(image, str(path), useCompression=True)


def map_vocabulary(label_map: sitk.Image) -> str | None:
    """The vocabulary a map written by `write_everything_map` names; None for maps made elsewhere."""
    for key in ("ITK_FileNotes", "descrip"):
        note = label_map.GetMetaData(key) if label_map.HasMetaDataKey(key) else ""
        if note.startswith(VOCABULARY_NOTE):
            return note[len(VOCABULARY_NOTE):].strip()
    return None


def write_label_map(labels: np.ndarray, reference: sitk.Image, path: str | Path, compress: bool = True) -> str:
    """Write a uint8 label map on the reference grid (the format follows the suffix: .nii.gz, .nii, .nrrd);
    return the sha256 of its voxels."""
    image = sitk.GetImageFromArray(labels.astype(np.uint8))
    image.CopyInformation(reference)
    sitk.WriteImage(image, str(path), useCompression=compress)
    return hashlib.sha256(np.ascontiguousarray(labels, dtype=np.uint8).tobytes()).hexdigest()
