"""Test helpers that build inputs the tests need from the shared sample (never stored in the repository)."""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import requests
import SimpleITK as sitk
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from processes import free_port, wait_until_ready

REPO = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_S = 300
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
HU_INTERCEPT = -1024.0  # the usual CT rescale: stored value + intercept = Hounsfield units


def write_dicom_series(image_path: Path, out_dir: Path, modality: str = "CT", orientation: str | None = None,
                       patient: str = "SEER^TEST", description: str = "SEER test series") -> Path:
    """Write a volume as an uncompressed (explicit VR little endian) CT series, one file per slice.

    The geometry comes from the image's affine: ImagePositionPatient per slice, ImageOrientationPatient from the
    direction, PixelSpacing and SliceThickness from the spacing (all LPS, as DICOM wants). `orientation` (e.g.
    "LPS", "RAI") first re-lays the voxels in that axis order, same physical space, so that a series can be
    written in another orientation than the source. Patient, study and series tags look like a scanner's.
    """
    image = sitk.ReadImage(str(image_path))
    if orientation:
        image = sitk.DICOMOrient(image, orientation)
    array = np.rint(sitk.GetArrayFromImage(image)).astype(np.int32)  # (z, y, x), Hounsfield units
    stored = np.clip(array - HU_INTERCEPT, np.iinfo(np.int16).min, np.iinfo(np.int16).max).astype(np.int16)
    out_dir.mkdir(parents=True, exist_ok=True)
    direction = np.array(image.GetDirection()).reshape(3, 3)  # columns: the i, j, k axes in LPS
    spacing = image.GetSpacing()
    now = datetime.datetime.now()
    study_uid, series_uid, frame_uid = generate_uid(), generate_uid(), generate_uid()
    for k in range(stored.shape[0]):
        sop_uid = generate_uid()
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
        meta.MediaStorageSOPInstanceUID = sop_uid
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(str(out_dir / f"slice{k:04d}.dcm"), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.SOPClassUID, ds.SOPInstanceUID = CT_IMAGE_STORAGE, sop_uid
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = patient, "SEER-0001", "19600101", "O"
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study_uid, series_uid, frame_uid
        ds.StudyDate = ds.SeriesDate = ds.ContentDate = now.strftime("%Y%m%d")
        ds.StudyTime = ds.SeriesTime = ds.ContentTime = now.strftime("%H%M%S")
        ds.AccessionNumber, ds.StudyID = "ACC0001", "1"
        ds.StudyDescription, ds.SeriesDescription = "CT abdomen", description
        ds.ReferringPhysicianName, ds.Manufacturer = "", "SEER Label tests"
        ds.Modality, ds.SeriesNumber, ds.InstanceNumber = modality, 2, k + 1
        ds.BodyPartExamined = "ABDOMEN"
        ds.PatientPosition = "HFS"
        ds.PositionReferenceIndicator = ""
        ds.ImageOrientationPatient = [_ds(v) for v in (*direction[:, 0], *direction[:, 1])]
        position = image.TransformIndexToPhysicalPoint((0, 0, k))
        ds.ImagePositionPatient = [_ds(v) for v in position]
        ds.SliceLocation = _ds(float(np.dot(position, np.cross(direction[:, 0], direction[:, 1]))))
        ds.PixelSpacing = [_ds(spacing[1]), _ds(spacing[0])]  # row spacing (between rows), then column spacing
        ds.SliceThickness = _ds(spacing[2])
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows, ds.Columns = stored.shape[1], stored.shape[2]
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = _ds(HU_INTERCEPT), "1", "HU"
        ds.WindowCenter, ds.WindowWidth = "40", "400"
        ds.PixelData = stored[k].tobytes()
        ds.save_as(ds.filename, write_like_original=False)
    return out_dir


def _ds(value: float) -> str:
    """A decimal string (DS) as precise as DICOM's 16 characters allow."""
    text = f"{float(value):.10g}"
    return text if len(text) <= 16 else f"{float(value):.8g}"


def reorient(path: Path, out_path: Path, orientation: str = "LPS") -> Path:
    """The same label map, stored with another axis order and direction (same physical space)."""
    sitk.WriteImage(sitk.DICOMOrient(sitk.ReadImage(str(path)), orientation), str(out_path))
    return out_path


@contextlib.contextmanager
def running_server(tmp_path_factory, server_args: str = "", studies: str | None = None, env: dict | None = None,
                   model_dir: Path | None = None, headers: dict | None = None):
    """The real MONAI Label server, started with the README's own command (`make run`) on a free port and a
    temporary studies folder, or on `studies` when given (e.g. a DICOMweb address), with its own `model_dir`
    (a temporary one unless given). It is ready when /info/ answers (sent with `headers`, e.g. a token). Yields
    {"url", "studies", "model_dir", "log", "started_s"}; stops the whole process group afterwards."""
    port = free_port()
    studies = studies or tmp_path_factory.mktemp("studies")
    model_dir = model_dir or tmp_path_factory.mktemp("model")
    log_path = tmp_path_factory.mktemp("log") / "server.log"
    log = open(log_path, "w+")
    command = ["make", "run", f"PORT={port}", f"STUDIES={studies}",
               f"SERVER_ARGS=--conf model_dir {model_dir} {server_args}".strip()]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        reply = requests.get(f"{url}/info/", headers=headers, timeout=5)
        if headers and not reply.ok:
            raise RuntimeError(f"/info/ refused the request: {reply.status_code} {reply.text[:300]}")
        return reply.ok

    try:
        try:
            wait_until_ready(process, log, ready, "`make run`", STARTUP_TIMEOUT_S)
        except RuntimeError as error:
            pytest.fail(str(error))
        yield {"url": url, "studies": studies, "model_dir": model_dir, "log": log_path,
               "started_s": time.monotonic() - started}
    finally:
        with contextlib.suppress(ProcessLookupError):  # `make run` may already have exited on its own
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


# --- series as archives hold them (issue 19) -------------------------------------------------------------------

ENHANCED_CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2.1"
ENHANCED_MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4.1"
GDCMCONV = Path("/usr/bin/gdcmconv")  # Debian's libgdcm-tools, installed by `make pacs-deps`
# gdcmconv options per stored form; the transfer syntax each one writes is checked by the tests that use them.
GDCM_ENCODINGS = {  # short options: gdcmconv 3.0.21 misparses some long ones (--quality)
    "jpeg2000": ["-K"],                       # 1.2.840.10008.1.2.4.90, JPEG 2000 lossless
    "jpeg2000-lossy": ["-K", "-Y", "-r", "5"],   # 1.2.840.10008.1.2.4.91, compression rate 5
    "jpegls": ["-L"],                         # 1.2.840.10008.1.2.4.80, JPEG-LS lossless
    "jpegls-near": ["-L", "-Y", "-e", "2"],   # 1.2.840.10008.1.2.4.81
    "jpeg-lossless": ["-J"],                  # 1.2.840.10008.1.2.4.70, JPEG lossless SV1
    "jpeg-lossy": ["-J", "-Y", "-q", "90"],   # .50 (8-bit images) or .51 (12-bit images)
    "rle": ["-R"],                            # 1.2.840.10008.1.2.5
    "deflated": ["-d"],                       # 1.2.840.10008.1.2.1.99
    "implicit": ["-M"],                       # 1.2.840.10008.1.2, implicit VR little endian
}


def gdcm_encode(folder: Path, out_dir: Path, encoding: str) -> Path:
    """The same series stored in another transfer syntax (Debian's gdcmconv), every other attribute kept: the
    UIDs too, so give each encoding its own PACS or run `new_series_uids` first."""
    if not GDCMCONV.exists():
        pytest.fail(f"{GDCMCONV} is missing: run `make pacs-deps` (apt-get install libgdcm-tools)")
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.glob("*.dcm")):
        done = subprocess.run([str(GDCMCONV), *GDCM_ENCODINGS[encoding], str(path), str(out_dir / path.name)],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"gdcmconv {encoding} {path.name}: {done.stderr.strip()}")
    return out_dir


def new_series_uids(folder: Path, description: str | None = None) -> Path:
    """Give a series (in place) new Series and SOP Instance UIDs, as a second copy of a scan stored in the same
    study would have: the same pixels and geometry under other identities. File meta is kept in step."""
    import pydicom

    series_uid = generate_uid()
    for path in sorted(folder.glob("*.dcm")):
        ds = pydicom.dcmread(path)
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        if description:
            ds.SeriesDescription = description
        ds.save_as(path, write_like_original=True)
    return folder


def add_localizer(folder: Path, name: str = "localizer.dcm") -> str:
    """Add one coronal localizer slice to a series, as some scanners send it: ImageType LOCALIZER, the same
    Series and Frame of Reference UIDs, its own size and orientation, InstanceNumber 1 (sorting by instance
    number or by file name would put it first). Returns its SOPInstanceUID."""
    import pydicom

    first = pydicom.dcmread(sorted(folder.glob("*.dcm"))[0])
    ds = first.copy()
    ds.file_meta = first.file_meta.copy()
    # Written uncompressed whatever the series' own transfer syntax (a series may mix them).
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.is_little_endian, ds.is_implicit_VR = True, False
    uid = generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    ds.InstanceNumber = 1
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "0", "-1"]  # coronal: rows go right to left, columns down
    rows, columns = 256, 200
    ds.Rows, ds.Columns = rows, columns
    ds.PixelSpacing = ["2", "2"]
    position = [float(v) for v in first.ImagePositionPatient]
    ds.ImagePositionPatient = [_ds(position[0]), _ds(position[1] + 100.0), _ds(position[2] + 300.0)]
    ds.SliceThickness = "1"
    gradient = (np.arange(rows * columns, dtype=np.int32).reshape(rows, columns) % 2000).astype(np.int16)
    ds.PixelData = gradient.tobytes()
    ds.save_as(folder / name, write_like_original=False)
    return uid


def write_enhanced_series(image_path: Path, out_dir: Path, modality: str = "CT") -> Path:
    """Write a volume as one Enhanced CT (or, with modality "MR", Enhanced MR) instance, many frames with
    per-frame functional groups, uncompressed: the geometry of each frame in PerFrameFunctionalGroupsSequence,
    spacing, orientation and rescale shared."""
    sop_class = ENHANCED_MR_IMAGE_STORAGE if modality == "MR" else ENHANCED_CT_IMAGE_STORAGE
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    image = sitk.ReadImage(str(image_path))
    array = np.rint(sitk.GetArrayFromImage(image)).astype(np.int32)
    stored = np.clip(array - HU_INTERCEPT, np.iinfo(np.int16).min, np.iinfo(np.int16).max).astype(np.int16)
    direction = np.array(image.GetDirection()).reshape(3, 3)
    spacing = image.GetSpacing()
    out_dir.mkdir(parents=True, exist_ok=True)
    sop_uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path = out_dir / "enhanced.dcm"
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_uid
    now = datetime.datetime.now()
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = "SEER^TEST", "SEER-0001", "19600101", "O"
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = generate_uid(), generate_uid(), generate_uid()
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = now.strftime("%Y%m%d")
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = now.strftime("%H%M%S")
    ds.AcquisitionDateTime = now.strftime("%Y%m%d%H%M%S")
    ds.AccessionNumber, ds.StudyID = "ACC0002", "1"
    ds.StudyDescription, ds.SeriesDescription = "CT abdomen", "SEER enhanced CT"
    ds.ReferringPhysicianName, ds.Manufacturer = "", "SEER Label tests"
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = modality, 3, 1
    ds.PositionReferenceIndicator = ""
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.NumberOfFrames = stored.shape[0]
    ds.Rows, ds.Columns = stored.shape[1], stored.shape[2]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.ContentQualification, ds.BurnedInAnnotation = "PRODUCT", "NO"
    ds.PresentationLUTShape, ds.LossyImageCompression = "IDENTITY", "00"

    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = [_ds(spacing[1]), _ds(spacing[0])]
    measures.SliceThickness = _ds(spacing[2])
    shared.PixelMeasuresSequence = Sequence([measures])
    plane = Dataset()
    plane.ImageOrientationPatient = [_ds(v) for v in (*direction[:, 0], *direction[:, 1])]
    shared.PlaneOrientationSequence = Sequence([plane])
    rescale = Dataset()
    rescale.RescaleIntercept, rescale.RescaleSlope, rescale.RescaleType = _ds(HU_INTERCEPT), "1", "HU"
    shared.PixelValueTransformationSequence = Sequence([rescale])
    frame_type = Dataset()
    frame_type.FrameType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    if modality == "MR":
        shared.MRImageFrameTypeSequence = Sequence([frame_type])
    else:
        shared.CTImageFrameTypeSequence = Sequence([frame_type])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])

    dimension_uid = generate_uid()
    organization = Dataset()
    organization.DimensionOrganizationUID = dimension_uid
    ds.DimensionOrganizationSequence = Sequence([organization])
    index = Dataset()
    index.DimensionOrganizationUID = dimension_uid
    index.DimensionIndexPointer = 0x00209057  # In-Stack Position Number
    index.FunctionalGroupPointer = 0x00209111  # Frame Content Sequence
    ds.DimensionIndexSequence = Sequence([index])

    frames = []
    for k in range(stored.shape[0]):
        frame = Dataset()
        position = Dataset()
        position.ImagePositionPatient = [_ds(v) for v in image.TransformIndexToPhysicalPoint((0, 0, k))]
        frame.PlanePositionSequence = Sequence([position])
        content = Dataset()
        content.StackID, content.InStackPositionNumber = "1", k + 1
        content.DimensionIndexValues = [k + 1]
        frame.FrameContentSequence = Sequence([content])
        frames.append(frame)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    ds.PixelData = stored.tobytes()
    ds.save_as(path, write_like_original=False)
    return out_dir
