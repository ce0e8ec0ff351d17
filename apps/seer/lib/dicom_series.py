"""A DICOM series as an archive holds it, read into one volume, with a record of what was read and why.

Three steps:
1. **Fetch** (DICOMweb): the instances in the transfer syntax they are stored in (`transfer-syntax=*`), so that the
   PACS never has to transcode: a PACS that cannot transcode JPEG 2000 (Debian's Orthanc without its GDCM plugin)
   answers a plain WADO-RS request with an error. If the PACS refuses `*`, the transfer syntaxes decoded here are
   asked for, then whatever the PACS offers by default.
2. **Choose** the volume among the series' images (`choose_slices`): localizers, scouts, secondary captures and
   derived images are dropped by ImageType and SOP class; images whose orientation, size or pixel spacing disagree
   with the majority are dropped; the rest are sorted by their position along the slice normal (never by
   InstanceNumber or file name); a second image at one position is dropped; a gap or uneven spacing is refused
   (HTTP 422 naming the gap); a tilted gantry is resampled onto an orthogonal grid, and the record says so.
   Enhanced multi-frame images (per-frame functional groups) are read frame by frame, through the same rules.
3. **Decode** locally with SimpleITK's GDCM (already in the stack), which reads uncompressed, deflated, RLE, JPEG
   (baseline, extended, lossless), JPEG-LS and JPEG 2000 pixel data. A transfer syntax it cannot decode is a 422
   that names the syntax and what would decode it, never a 500.

`SeriesRecord` lists the instances used and dropped, with reasons; the trace shows it (`SeriesRecord.trace`).
On a DICOMweb datastore, `cached_series_uri` is the datastore's `get_image_uri`: the series folder in the cache
keeps only the instances used, so that a DICOM SEG written against it references exactly those.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import tempfile
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.errors import InvalidDicomError

from .files import atomic_write_text
from .guards import RequestRefused

logger = logging.getLogger(__name__)

# --- transfer syntaxes -------------------------------------------------------------------------------------------

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
# uid -> name. The ones SimpleITK's GDCM decodes: each has a test in tests/test_dicom_archive.py, except JPEG
# lossless process 14 with a predictor other than 1 (.57), which GDCM decodes with the same codec as SV1 (.70).
DECODED = {
    "1.2.840.10008.1.2": "Implicit VR Little Endian",
    EXPLICIT_VR_LITTLE_ENDIAN: "Explicit VR Little Endian",
    "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
    "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
    "1.2.840.10008.1.2.5": "RLE Lossless",
    "1.2.840.10008.1.2.4.50": "JPEG Baseline (Process 1)",
    "1.2.840.10008.1.2.4.51": "JPEG Extended (Process 2 & 4)",
    "1.2.840.10008.1.2.4.57": "JPEG Lossless (Process 14)",
    "1.2.840.10008.1.2.4.70": "JPEG Lossless (Process 14, SV1)",
    "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
    "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
    "1.2.840.10008.1.2.4.90": "JPEG 2000 Lossless",
    "1.2.840.10008.1.2.4.91": "JPEG 2000",
}
# Known syntaxes this stack does not decode -> (name, what would). pydicom is pinned to 2.4.4 (MONAI Label 0.8.5
# needs it); pydicom 3 decodes High-Throughput JPEG 2000 through pylibjpeg-openjpeg 2.
NOT_DECODED = {
    "1.2.840.10008.1.2.4.92": ("JPEG 2000 Part 2 Multi-component Lossless",
                               "a JPEG 2000 Part 2 decoder (none in this stack)"),
    "1.2.840.10008.1.2.4.93": ("JPEG 2000 Part 2 Multi-component", "a JPEG 2000 Part 2 decoder (none in this stack)"),
    "1.2.840.10008.1.2.4.201": ("High-Throughput JPEG 2000 Lossless",
                                "pylibjpeg-openjpeg 2 with pydicom 3 (pydicom is pinned to 2.4.4 here)"),
    "1.2.840.10008.1.2.4.202": ("High-Throughput JPEG 2000 with RPCL Lossless",
                                "pylibjpeg-openjpeg 2 with pydicom 3 (pydicom is pinned to 2.4.4 here)"),
    "1.2.840.10008.1.2.4.203": ("High-Throughput JPEG 2000",
                                "pylibjpeg-openjpeg 2 with pydicom 3 (pydicom is pinned to 2.4.4 here)"),
    "1.2.840.10008.1.2.4.110": ("JPEG XL Lossless", "a JPEG XL decoder (none in this stack)"),
    "1.2.840.10008.1.2.4.111": ("JPEG XL JPEG Recompression", "a JPEG XL decoder (none in this stack)"),
    "1.2.840.10008.1.2.4.112": ("JPEG XL", "a JPEG XL decoder (none in this stack)"),
}
VIDEO_PREFIX = "1.2.840.10008.1.2.4.10"  # MPEG-2, MPEG-4 and HEVC: video, never a volume
# Pixels stored as they are (not encapsulated): their byte count follows from the header.
NATIVE = {"1.2.840.10008.1.2", EXPLICIT_VR_LITTLE_ENDIAN, "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2"}
# What the PACS is asked for (WADO-RS Accept header), in order: as stored; else any syntax decoded here, in one
# header (PS3.18 lets the PACS choose); else each of them alone (Orthanc's DICOMweb plugin 1.7 reads only the first
# entry of a list); else its default (uncompressed, by PS3.18). Only the first is asked of a PACS that honours `*`.
DICOM_PART = 'multipart/related; type="application/dicom"'
FETCH_ATTEMPTS: tuple[tuple[str, str], ...] = (
    ("as stored (transfer-syntax=*)", f"{DICOM_PART}; transfer-syntax=*"),
    ("in a transfer syntax decoded here", ", ".join(f"{DICOM_PART}; transfer-syntax={uid}" for uid in DECODED)),
    *((f"as {name}", f"{DICOM_PART}; transfer-syntax={uid}") for uid, name in DECODED.items()),
    ("in the PACS's default transfer syntax", DICOM_PART),
)


def syntax_name(uid: str) -> str:
    if uid in DECODED:
        return DECODED[uid]
    if uid in NOT_DECODED:
        return NOT_DECODED[uid][0]
    name = pydicom.uid.UID(uid).name
    return name if name != uid else f"transfer syntax {uid}"


class CodecRefused(RequestRefused):
    """Pixel data in a transfer syntax this server cannot decode (HTTP 422)."""


def codec_refusal(uid: str, instance: str, error: str = "") -> CodecRefused:
    """The 422 for pixel data this server cannot decode: the syntax, and what would decode it."""
    name = syntax_name(uid)
    if uid in NOT_DECODED:
        hint = f"install {NOT_DECODED[uid][1]}, or have the PACS send another transfer syntax"
    elif uid.startswith(VIDEO_PREFIX):
        hint = "a video transfer syntax holds no volume; store the series as images"
    elif uid in DECODED:
        hint = f"SimpleITK's GDCM failed on it ({error}); the file may be damaged"
    else:
        hint = "no decoder for it is known here; have the PACS send another transfer syntax"
    return CodecRefused(422, f"instance {instance} is stored as {name} ({uid}), which this server cannot decode: "
                             f"{hint}")


# --- what one image (or one frame) says about itself ------------------------------------------------------------

# ImageType values (any position from the third on) that mark an image as no part of the volume.
NOT_VOLUME_TYPES = {"LOCALIZER", "SCOUT", "SCANOGRAM", "TOPOGRAM", "SURVIEW", "SCREEN SAVE", "SCREENSHOT"}
SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"  # secondary capture SOP classes (dose screens, reports)
ENHANCED_CLASSES = {  # SOP classes whose frames carry their own geometry in functional groups
    "1.2.840.10008.5.1.4.1.1.2.1": "Enhanced CT",
    "1.2.840.10008.5.1.4.1.1.2.2": "Legacy Converted Enhanced CT",
    "1.2.840.10008.5.1.4.1.1.4.1": "Enhanced MR",
    "1.2.840.10008.5.1.4.1.1.4.4": "Legacy Converted Enhanced MR",
    "1.2.840.10008.5.1.4.1.1.128.1": "Legacy Converted Enhanced PET",
}
FRAME_TYPE_SEQUENCES = ("CTImageFrameTypeSequence", "MRImageFrameTypeSequence", "PETFrameTypeSequence")

# Tolerances. Scanners write positions and directions as decimal strings, so equal values differ in the last digits.
ORIENTATION_TOL = 1e-3  # direction cosines: images within this are in one orientation
PIXEL_SPACING_RTOL = 1e-3
DUPLICATE_TOL_MM = 0.01  # two images closer than this along the normal are at one position
# A step between neighbouring slices that differs from the usual step by more than this fraction is a gap (or
# uneven spacing): refused, since a volume on a regular grid would misplace every slice after it.
SPACING_TOLERANCE = 0.1
# In-plane shift per unit of step along the normal above which the stack is sheared (a tilted gantry): about 0.6°.
TILT_TOL = 0.01
MIN_SLICES = 2
DECODE_THREADS = 8  # at most; never more than the machine's cores


@dataclass
class Slice:
    """One 2D image of the series: a single-frame instance, or one frame of a multi-frame instance."""

    path: Path
    instance: str  # SOPInstanceUID
    frame: int | None  # 0-based frame of a multi-frame instance; None for a single-frame one
    number: int | None  # InstanceNumber (or the in-stack position of a frame): for messages only
    position: np.ndarray  # ImagePositionPatient, LPS mm
    row: np.ndarray  # direction along a row (of increasing column index), unit, LPS
    column: np.ndarray  # direction down a column (of increasing row index), unit, LPS
    rows: int
    columns: int
    spacing: tuple[float, float]  # PixelSpacing: (between rows, between columns), mm
    image_type: tuple[str, ...]
    sop_class: str
    transfer_syntax: str
    series: str = ""  # SeriesInstanceUID

    @property
    def name(self) -> str:
        return self.instance if self.frame is None else f"{self.instance} frame {self.frame + 1}"

    @property
    def normal(self) -> np.ndarray:
        return np.cross(self.row, self.column)


@dataclass
class Dropped:
    instance: str  # SOPInstanceUID, with " frame N" for one frame of a multi-frame instance
    reason: str


@dataclass
class SeriesRecord:
    """What was read of a series: the instances used (in slice order) and dropped (with why), how they were
    stored, and what was done to the geometry. Stored beside the cached volume; the trace shows `trace()`."""

    series: str | None = None  # SeriesInstanceUID
    modality: str | None = None
    fetched: str | None = None  # how the PACS sent it, when it came from one
    transfer_syntaxes: list[str] = field(default_factory=list)  # names, of the images used
    used: list[str] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    slices: int = 0
    spacing_mm: list[float] = field(default_factory=list)  # x, y, z of the volume
    plane: str = ""  # axial, coronal, sagittal or oblique
    notes: list[str] = field(default_factory=list)  # resampling and other decisions the reader should know
    tilted: bool = False

    def trace(self) -> dict[str, Any]:
        summary = (f"{len(self.used)} images used, {len(self.dropped)} dropped; {self.slices} {self.plane} slices "
                   f"of {' x '.join(f'{s:g}' for s in self.spacing_mm)} mm, stored as "
                   f"{', '.join(self.transfer_syntaxes) or 'unknown'}")
        return {"summary": summary, "series": self.series, "fetched": self.fetched,
                "used": list(self.used), "dropped": [asdict(d) for d in self.dropped], "notes": list(self.notes)}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> SeriesRecord:
        data = json.loads(text)
        data["dropped"] = [Dropped(**d) for d in data.get("dropped", [])]
        return cls(**data)


@dataclass
class SeriesVolume:
    image: sitk.Image  # the chosen volume, values after the modality rescale (HU for CT)
    record: SeriesRecord


# --- reading the headers ----------------------------------------------------------------------------------------

def _floats(value, count: int) -> np.ndarray | None:
    try:
        values = np.array([float(v) for v in value], dtype=float)
    except (TypeError, ValueError):
        return None
    return values if values.shape == (count,) and np.all(np.isfinite(values)) else None


def _first(sequence_owner, keyword: str):
    """The single item of a functional group sequence, or None."""
    sequence = getattr(sequence_owner, keyword, None)
    return sequence[0] if sequence else None


def _group(frame, shared, keyword: str):
    """A functional group of one frame: its own, else the shared one (PS3.3 C.7.6.16)."""
    for owner in (frame, shared):
        if owner is not None:
            item = _first(owner, keyword)
            if item is not None:
                return item
    return None


def _slice(path: Path, ds, instance: str, frame: int | None, position, orientation, spacing, rows: int,
           columns: int, image_type, number) -> Slice | str:
    """A Slice, or why this image cannot be one."""
    position = _floats(position, 3) if position is not None else None
    orientation = _floats(orientation, 6) if orientation is not None else None
    spacing = _floats(spacing, 2) if spacing is not None else None
    if position is None or orientation is None:
        return "no position or orientation (ImagePositionPatient, ImageOrientationPatient): not part of a volume"
    if spacing is None or np.any(spacing <= 0):
        return "no usable PixelSpacing"
    row, column = orientation[:3], orientation[3:]
    if abs(np.linalg.norm(row) - 1) > 0.01 or abs(np.linalg.norm(column) - 1) > 0.01 or abs(row @ column) > 0.01:
        return f"ImageOrientationPatient {list(orientation)} is not two orthogonal unit vectors"
    return Slice(path=path, instance=instance, frame=frame,
                 number=int(number) if str(number or "").strip().lstrip("-").isdigit() else None,
                 position=position, row=row / np.linalg.norm(row), column=column / np.linalg.norm(column),
                 rows=rows, columns=columns, spacing=(float(spacing[0]), float(spacing[1])),
                 image_type=tuple(str(v).strip().upper() for v in (image_type or [])),
                 sop_class=str(ds.get("SOPClassUID", "")),
                 transfer_syntax=str(ds.file_meta.get("TransferSyntaxUID", "")) if hasattr(ds, "file_meta") else "",
                 series=str(ds.get("SeriesInstanceUID", "")))


def scan_file(path: Path) -> tuple[list[Slice], list[Dropped], dict]:
    """The images one file holds, and the ones it cannot contribute (with why). Pixel data are not read.

    Returns (slices, dropped, header facts: SeriesInstanceUID and Modality)."""
    try:
        ds = pydicom.dcmread(path, defer_size=1024)  # large values (the pixels) are read only if asked for
    except (InvalidDicomError, OSError, ValueError, EOFError) as error:
        return [], [Dropped(path.name, f"not a readable DICOM file ({error})")], {}
    instance = str(ds.get("SOPInstanceUID", "") or path.name)
    try:
        return _scan_dataset(path, ds, instance)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:  # a malformed header value
        return [], [Dropped(instance, f"unreadable header ({type(error).__name__}: {str(error)[:120]})")], {}


def _scan_dataset(path: Path, ds, instance: str) -> tuple[list[Slice], list[Dropped], dict]:
    facts = {"series": str(ds.get("SeriesInstanceUID", "")) or None, "modality": str(ds.get("Modality", "")) or None}
    if "PixelData" not in ds:
        kind = str(ds.get("SOPClassUID", "unknown"))
        name = pydicom.uid.UID(kind).name if kind != "unknown" else kind
        return [], [Dropped(instance, f"no pixel data ({name})")], facts
    rows, columns = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if samples != 1:
        return [], [Dropped(instance, f"{samples} samples per pixel ({ds.get('PhotometricInterpretation', '')}): "
                                      "a colour image, not part of a grey-level volume")], facts
    short = _short_pixel_data(ds, rows * columns * frames)
    if short:
        return [], [Dropped(instance, short)], facts
    if frames == 1 and "PerFrameFunctionalGroupsSequence" not in ds:
        made = _slice(path, ds, instance, None, ds.get("ImagePositionPatient"), ds.get("ImageOrientationPatient"),
                      ds.get("PixelSpacing"), rows, columns, ds.get("ImageType"), ds.get("InstanceNumber"))
        return ([made], [], facts) if isinstance(made, Slice) else ([], [Dropped(instance, made)], facts)
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if not per_frame:
        return [], [Dropped(instance, f"a multi-frame image of {frames} frames without per-frame functional groups "
                                      "(PerFrameFunctionalGroupsSequence): the position of each frame is unknown, "
                                      "so it cannot be read as a volume")], facts
    if len(per_frame) != frames:
        return [], [Dropped(instance, f"NumberOfFrames is {frames} but PerFrameFunctionalGroupsSequence has "
                                      f"{len(per_frame)} items")], facts
    shared = _first(ds, "SharedFunctionalGroupsSequence")
    _check_frame_rescale(ds, per_frame, shared, instance)
    slices, dropped = [], []
    for index, frame in enumerate(per_frame):
        plane = _group(frame, shared, "PlanePositionSequence")
        orientation = _group(frame, shared, "PlaneOrientationSequence")
        measures = _group(frame, shared, "PixelMeasuresSequence")
        content = _group(frame, shared, "FrameContentSequence")
        frame_type = None
        for keyword in FRAME_TYPE_SEQUENCES:
            item = _group(frame, shared, keyword)
            if item is not None:
                frame_type = item.get("FrameType")
                break
        made = _slice(path, ds, instance, index, plane.get("ImagePositionPatient") if plane else None,
                      orientation.get("ImageOrientationPatient") if orientation else None,
                      measures.get("PixelSpacing") if measures else None, rows, columns,
                      frame_type or ds.get("ImageType"),
                      content.get("InStackPositionNumber") if content else index + 1)
        if isinstance(made, Slice):
            slices.append(made)
        else:
            dropped.append(Dropped(f"{instance} frame {index + 1}", made))
    return slices, dropped, facts


def _short_pixel_data(ds, pixels: int) -> str | None:
    """Why native pixel data cannot hold the header's image, or None. GDCM decodes a short PixelData without an
    error (the missing part comes back as whatever it reads), so a damaged slice would enter the volume unseen."""
    syntax = str(ds.file_meta.get("TransferSyntaxUID", "")) if hasattr(ds, "file_meta") else ""
    if syntax not in NATIVE:
        return None  # encapsulated: each frame's length is the codec's to check
    bits = int(ds.get("BitsAllocated", 0) or 0)
    needed = (pixels + 7) // 8 if bits == 1 else pixels * (bits // 8)
    element = ds.get_item("PixelData")
    declared = element.length if hasattr(element, "length") else len(element.value or b"")
    if declared < needed:  # a file cut short reads back with the bytes it has (pydicom 2.4)
        return (f"its PixelData holds {declared} bytes where Rows x Columns x frames x BitsAllocated need {needed}: "
                "the file is damaged or truncated")
    return None


def _check_frame_rescale(ds, per_frame, shared, instance: str) -> None:
    """GDCM applies one rescale to all frames of an instance; frames with their own, different rescale would come
    out wrong, so such an instance is refused rather than read."""
    pairs = set()
    for frame in per_frame:
        item = _group(frame, shared, "PixelValueTransformationSequence")
        if item is not None:
            pairs.add((str(item.get("RescaleSlope", "1")).strip(), str(item.get("RescaleIntercept", "0")).strip()))
    if len(pairs) > 1:
        raise RequestRefused(422, f"multi-frame instance {instance} has a different rescale (slope, intercept) per "
                                  f"frame ({len(pairs)} of them): not read, since one rescale would misstate values")


# --- choosing the volume ----------------------------------------------------------------------------------------

def plane_name(normal: np.ndarray) -> str:
    """axial, coronal or sagittal when the normal is within ~10° of an axis, else oblique."""
    axis = int(np.argmax(np.abs(normal)))
    if abs(normal[axis]) < 0.985:
        return "oblique"
    return ("sagittal", "coronal", "axial")[axis]


def _same_geometry(a: Slice, b: Slice) -> bool:
    return (a.rows, a.columns) == (b.rows, b.columns) \
        and np.allclose(a.row, b.row, atol=ORIENTATION_TOL) and np.allclose(a.column, b.column, atol=ORIENTATION_TOL) \
        and np.allclose(a.spacing, b.spacing, rtol=PIXEL_SPACING_RTOL)


def _disagreement(slice_: Slice, reference: Slice) -> str:
    if not (np.allclose(slice_.row, reference.row, atol=ORIENTATION_TOL)
            and np.allclose(slice_.column, reference.column, atol=ORIENTATION_TOL)):
        return f"{plane_name(slice_.normal)} orientation, unlike the series' {plane_name(reference.normal)} images"
    if (slice_.rows, slice_.columns) != (reference.rows, reference.columns):
        return (f"{slice_.columns} x {slice_.rows} pixels, unlike the series' "
                f"{reference.columns} x {reference.rows}")
    return (f"pixel spacing {slice_.spacing[0]:g} x {slice_.spacing[1]:g} mm, unlike the series' "
            f"{reference.spacing[0]:g} x {reference.spacing[1]:g} mm")


def _kind_problem(slice_: Slice) -> str | None:
    """Why ImageType or the SOP class says this image is no part of the volume, or None."""
    if slice_.sop_class.startswith(SECONDARY_CAPTURE_PREFIX):
        return "a secondary capture (" + pydicom.uid.UID(slice_.sop_class).name + ")"
    marked = NOT_VOLUME_TYPES.intersection(slice_.image_type[2:])
    if marked:
        return f"ImageType {_image_type(slice_)}: a {sorted(marked)[0].lower()} image"
    return None


def _image_type(slice_: Slice) -> str:
    return "\\".join(slice_.image_type)


def _is_derived(slice_: Slice) -> bool:
    return (len(slice_.image_type) > 0 and slice_.image_type[0] == "DERIVED") or \
        (len(slice_.image_type) > 1 and slice_.image_type[1] == "SECONDARY")


def choose_slices(slices: list[Slice], dropped: list[Dropped]) -> tuple[list[Slice], list[str]]:
    """The images that make the volume, sorted along the slice normal; appends to `dropped` what is left out.

    Returns (slices in order, notes). Raises RequestRefused (422) when no regular volume can be made.
    """
    notes: list[str] = []
    candidates = []
    for slice_ in slices:
        problem = _kind_problem(slice_)
        if problem:
            dropped.append(Dropped(slice_.name, problem))
        else:
            candidates.append(slice_)
    # Derived or secondary images (a reformat, a MIP) beside original ones are not the acquired volume; a series
    # that holds only derived images (a reformatted series) is read as it is.
    originals = [s for s in candidates if not _is_derived(s)]
    if originals and len(originals) < len(candidates):
        for slice_ in candidates:
            if _is_derived(slice_):
                dropped.append(Dropped(slice_.name, f"ImageType {_image_type(slice_)}: derived or "
                                                    "secondary, beside original images"))
        candidates = originals
    elif candidates and not originals:
        notes.append("every image is DERIVED or SECONDARY (a reformatted series?): read as it is")
    if not candidates:
        raise RequestRefused(422, "the series holds no images that make a volume" + _dropped_hint(dropped))

    # The volume is the largest group of images that agree on orientation, size and pixel spacing.
    groups: list[list[Slice]] = []
    for slice_ in candidates:
        for group in groups:
            if _same_geometry(slice_, group[0]):
                group.append(slice_)
                break
        else:
            groups.append([slice_])
    groups.sort(key=len, reverse=True)
    chosen, reference = groups[0], groups[0][0]
    for group in groups[1:]:
        for slice_ in group:
            dropped.append(Dropped(slice_.name, _disagreement(slice_, reference)))

    normal = reference.normal
    chosen.sort(key=lambda s: (float(s.position @ normal), s.number if s.number is not None else 0, s.instance,
                               s.frame or 0))
    chosen = _drop_duplicates(chosen, normal, dropped)
    if len(chosen) < MIN_SLICES:
        raise RequestRefused(422, f"the series has {len(chosen)} usable image(s); a volume needs at least "
                                  f"{MIN_SLICES} parallel slices" + _dropped_hint(dropped))
    _check_spacing(chosen, normal, dropped)
    return chosen, notes


def _dropped_hint(dropped: list[Dropped]) -> str:
    if not dropped:
        return ""
    reasons = Counter(d.reason for d in dropped)
    return " (dropped: " + "; ".join(f"{n} x {r}" for r, n in reasons.most_common(3)) + ")"


def _drop_duplicates(chosen: list[Slice], normal: np.ndarray, dropped: list[Dropped]) -> list[Slice]:
    """One image per position. The same instance twice is a copy; two different images at one position at many
    positions are two volumes in one series (phases, echoes), which no rule here can choose between."""
    kept: list[Slice] = []
    clashes = 0
    for slice_ in chosen:
        if kept and abs(float((slice_.position - kept[-1].position) @ normal)) < DUPLICATE_TOL_MM:
            other = kept[-1]
            if slice_.instance == other.instance and slice_.frame == other.frame:
                dropped.append(Dropped(slice_.name, "a second copy of the same instance"))
            else:
                clashes += 1
                dropped.append(Dropped(slice_.name, f"at the same position as {other.name} "
                                                    f"({float(other.position @ normal):.2f} mm along the normal)"))
            continue
        kept.append(slice_)
    if clashes and clashes * 2 >= len(kept):
        raise RequestRefused(422, f"the series holds {clashes + len(kept)} images at only {len(kept)} positions: "
                                  "more than one volume (several phases, echoes or acquisitions?). Store each as its "
                                  "own series.")
    return kept


def _check_spacing(chosen: list[Slice], normal: np.ndarray, dropped: list[Dropped]) -> None:
    along = np.array([float(s.position @ normal) for s in chosen])
    steps = np.diff(along)
    # The usual step is the most common one (to 0.01 mm; the smaller on a tie): a missing slice makes one step
    # twice as long, and must not pull the estimate towards itself as a median of few steps would.
    rounded, counts = np.unique(np.round(steps, 2), return_counts=True)
    usual = float(np.median(steps[np.round(steps, 2) == rounded[np.argmax(counts)]]))
    for index, step in enumerate(steps):
        if abs(step - usual) > SPACING_TOLERANCE * usual:
            before, after = chosen[index], chosen[index + 1]
            if step > usual:
                missing = round(step / usual) - 1
                what = f"a gap of {step:.2f} mm" + (f" (about {missing} missing slice{'s' * (missing > 1)})"
                                                    if missing >= 1 else "")
            else:
                what = f"a step of only {step:.2f} mm"
            raise RequestRefused(422, f"the series has {what} between {before.name} (at {along[index]:.2f} mm) and "
                                      f"{after.name} (at {along[index + 1]:.2f} mm), where its other slices are "
                                      f"{usual:.2f} mm apart: it is not read as one regular volume. Send the "
                                      f"complete series." + _dropped_hint(dropped))


# --- decoding and assembling ------------------------------------------------------------------------------------

def _decode(path: Path, instance: str, transfer_syntax: str) -> np.ndarray:
    """All frames of one file, (frames, rows, columns), after the modality rescale, decoded by SimpleITK's GDCM."""
    if transfer_syntax in NOT_DECODED or transfer_syntax.startswith(VIDEO_PREFIX):
        raise codec_refusal(transfer_syntax, instance)
    reader = sitk.ImageFileReader()
    reader.SetImageIO("GDCMImageIO")
    reader.SetFileName(str(path))
    try:
        image = reader.Execute()
    except RuntimeError as error:
        lines = [line for line in str(error).strip().splitlines() if line.strip()]
        raise codec_refusal(transfer_syntax, instance, lines[-1][:200] if lines else "unknown error") from None
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise RequestRefused(422, f"instance {instance} decodes to {image.GetNumberOfComponentsPerPixel()} "
                                  "components per pixel: not a grey-level image")
    array = sitk.GetArrayFromImage(image)
    return array.reshape(-1, *array.shape[-2:])


def _assemble(chosen: list[Slice]) -> np.ndarray:
    """The chosen slices' pixels, (slices, rows, columns). Files are decoded in parallel threads: SimpleITK
    releases the GIL while GDCM decodes, and JPEG 2000 costs tens of milliseconds a slice."""
    from concurrent.futures import ThreadPoolExecutor

    files = {s.path: s for s in chosen}  # one decode per file, whatever number of its frames are used
    workers = max(1, min(DECODE_THREADS, os.cpu_count() or 1, len(files)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dicom-decode") as pool:
        decoded = dict(zip(files, pool.map(lambda s: _decode(s.path, s.instance, s.transfer_syntax),
                                           files.values())))
    planes = []
    for slice_ in chosen:
        frames = decoded[slice_.path]
        index = slice_.frame or 0
        if index >= frames.shape[0] or frames.shape[1:] != (slice_.rows, slice_.columns):
            raise RequestRefused(422, f"instance {slice_.instance} decodes to {frames.shape[0]} frame(s) of "
                                      f"{frames.shape[2]} x {frames.shape[1]}, unlike its header")
        planes.append(frames[index])
    volume = np.stack(planes)
    # Integer values that fit keep 16 bits (CT in HU): half the memory and disk of GDCM's 32-bit output.
    if np.issubdtype(volume.dtype, np.integer) and volume.size and \
            np.iinfo(np.int16).min <= volume.min() and volume.max() <= np.iinfo(np.int16).max:
        volume = volume.astype(np.int16)
    return volume


def _geometry(chosen: list[Slice], sheared: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(origin, direction 3x3 with columns i, j, k, in-plane spacing (x, y), slice step in mm).

    k is the slice normal and the step the mean distance along it, as ITK's series reader has them: a drift of
    the table below `TILT_TOL` must not make the direction non-orthogonal (NIfTI cannot store that). With
    `sheared`, k is the mean step between neighbouring slices itself (a tilted gantry's stack, to be resampled)."""
    first, last = chosen[0], chosen[-1]
    stack = (last.position - first.position) / (len(chosen) - 1)
    if sheared:
        step = float(np.linalg.norm(stack))
        k = stack / step
    else:
        step = float(stack @ first.normal)
        k = first.normal
    direction = np.column_stack([first.row, first.column, k])
    spacing_xy = np.array([first.spacing[1], first.spacing[0]])
    return first.position, direction, spacing_xy, step


def _tilt(chosen: list[Slice]) -> float:
    """The in-plane shift per mm along the normal from the first slice to the last (0 for an upright stack)."""
    first, last = chosen[0], chosen[-1]
    delta = last.position - first.position
    along = float(delta @ first.normal)
    return float(np.linalg.norm(delta - along * first.normal) / abs(along)) if along else 0.0


def _image(volume: np.ndarray, chosen: list[Slice], sheared: bool = False) -> sitk.Image:
    origin, direction, spacing_xy, step = _geometry(chosen, sheared)
    image = sitk.GetImageFromArray(volume)
    image.SetOrigin(tuple(float(v) for v in origin))
    image.SetSpacing((float(spacing_xy[0]), float(spacing_xy[1]), step))
    image.SetDirection(tuple(float(v) for v in direction.ravel()))
    return image


def _upright(sheared: sitk.Image, chosen: list[Slice], fill: float) -> sitk.Image:
    """Resample a tilted-gantry stack onto the orthogonal grid of its slice planes (linear interpolation): same
    in-plane spacing, the slice distance along the normal, an extent that covers every slice."""
    first, last = chosen[0], chosen[-1]
    normal = first.normal
    origin, _, spacing_xy, _ = _geometry(chosen)
    delta = last.position - first.position
    shift = np.array([delta @ first.row, delta @ first.column])  # in-plane shift over the whole stack, mm
    along = float(delta @ normal)
    z_spacing = along / (len(chosen) - 1)
    low = np.minimum(shift, 0)
    size_xy = np.array([first.columns, first.rows]) + np.ceil(np.abs(shift) / spacing_xy).astype(int)
    grid = sitk.Image([int(size_xy[0]), int(size_xy[1]), len(chosen)], sheared.GetPixelID())
    grid.SetSpacing((float(spacing_xy[0]), float(spacing_xy[1]), float(z_spacing)))
    grid.SetOrigin(tuple(float(v) for v in origin + low[0] * first.row + low[1] * first.column))
    grid.SetDirection(tuple(float(v) for v in np.column_stack([first.row, first.column, normal]).ravel()))
    return sitk.Resample(sheared, grid, sitk.Transform(), sitk.sitkLinear, fill)


def scan_folder(folder: Path) -> tuple[list[Slice], list[Dropped], dict]:
    slices: list[Slice] = []
    dropped: list[Dropped] = []
    facts: dict[str, Counter] = {"series": Counter(), "modality": Counter()}
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    for path in files:
        found, left_out, header = scan_file(path)
        slices += found
        dropped += left_out
        for key in facts:
            if header.get(key):
                facts[key][header[key]] += 1
    series_uids = facts["series"]
    if len(series_uids) > 1:
        # Only the main series is read; a folder that mixes series is a user's folder, not a PACS series.
        main = series_uids.most_common(1)[0][0]
        dropped += [Dropped(s.name, f"another series ({s.series})") for s in slices if s.series != main]
        slices = [s for s in slices if s.series == main]
    return slices, dropped, {k: (v.most_common(1)[0][0] if v else None) for k, v in facts.items()}


def read_series(folder: str | Path, fetched: str | None = None) -> SeriesVolume:
    """Read the volume a folder's DICOM series holds (see the module's docstring for the rules).

    Args:
        folder: a folder of DICOM files (one series; files of other series in it are dropped).
        fetched: how the files came from the PACS, for the record.

    Raises:
        RequestRefused: 422 with the reason, when no regular volume can be read.
    """
    folder = Path(folder)
    slices, dropped, facts = scan_folder(folder)
    if not slices and not dropped:
        raise RequestRefused(422, f"{folder}: no DICOM files")
    chosen, notes = choose_slices(slices, dropped)
    volume = _assemble(chosen)
    tilt = _tilt(chosen)
    image = _image(volume, chosen, sheared=tilt > TILT_TOL)
    if tilt > TILT_TOL:
        degrees = math.degrees(math.atan(tilt))
        fill = float(volume.min())
        image = _upright(image, chosen, fill)
        notes.append(f"gantry tilt of {degrees:.1f} degrees: resampled onto an orthogonal grid (linear "
                     f"interpolation; {image.GetSize()[0]} x {image.GetSize()[1]} pixels, outside filled with "
                     f"{fill:g})")
    syntaxes = sorted({syntax_name(s.transfer_syntax) for s in chosen if s.transfer_syntax})
    record = SeriesRecord(series=facts.get("series"), modality=facts.get("modality"), fetched=fetched,
                          transfer_syntaxes=syntaxes, used=[s.name for s in chosen], dropped=dropped,
                          slices=len(chosen), spacing_mm=[round(float(v), 4) for v in image.GetSpacing()],
                          plane=plane_name(chosen[0].normal), notes=notes, tilted=tilt > TILT_TOL)
    if dropped:
        logger.info(f"dicom series {record.series}: dropped {len(dropped)}: "
                    + "; ".join(f"{d.instance}: {d.reason}" for d in dropped[:5]))
    return SeriesVolume(image=image, record=record)


def series_geometry(folder: str | Path) -> sitk.Image:
    """The grid of the series' slices, from the headers alone (no pixel data is decoded): what a DICOM SEG's
    frames must lie on. Raises RequestRefused as `read_series` does, and for a tilted gantry, whose slices lie
    on no orthogonal grid."""
    slices, dropped, _ = scan_folder(Path(folder))
    if not slices:
        raise RequestRefused(422, f"{folder}: no DICOM images" + _dropped_hint(dropped))
    chosen, _ = choose_slices(slices, dropped)
    if _tilt(chosen) > TILT_TOL:
        raise RequestRefused(422, f"{folder}: a gantry-tilted series, whose slices lie on no orthogonal grid: a DICOM "
                                  "SEG on them is not written (ask for output=image)")
    origin, direction, spacing_xy, step = _geometry(chosen)
    image = sitk.Image([chosen[0].columns, chosen[0].rows, len(chosen)], sitk.sitkUInt8)
    image.SetOrigin(tuple(float(v) for v in origin))
    image.SetSpacing((float(spacing_xy[0]), float(spacing_xy[1]), step))
    image.SetDirection(tuple(float(v) for v in direction.ravel()))
    return image


def multi_frame_instances(folder: str | Path) -> list[str]:
    """The SOPInstanceUIDs (with their SOP class) of the folder's multi-frame images."""
    found = []
    for path in sorted(Path(folder).iterdir()):
        if not path.is_file():
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except (InvalidDicomError, OSError, ValueError, EOFError):
            continue
        if int(ds.get("NumberOfFrames", 1) or 1) > 1:
            kind = str(ds.get("SOPClassUID", ""))
            found.append(f"{ds.get('SOPInstanceUID', path.name)} ({ENHANCED_CLASSES.get(kind, kind)})")
    return found


# --- the DICOMweb datastore's cache ----------------------------------------------------------------------------

RECORD_SUFFIX = ".series.json"  # beside the cached volume: <uid>.nii.gz and <uid>.series.json
UID_PATTERN = re.compile(r"[0-9]+(\.[0-9]+)*")


def record_path_for(volume_path: str | Path) -> Path:
    """Where the record of a cached volume lies (`<uid>.nii.gz` -> `<uid>.series.json`)."""
    path = Path(volume_path)
    name = path.name
    for suffix in (".nii.gz", ".nii", ".nrrd"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + RECORD_SUFFIX)


def read_record(volume_path: str | Path) -> SeriesRecord | None:
    path = record_path_for(volume_path)
    if not path.is_file():
        return None
    try:
        return SeriesRecord.from_json(path.read_text())
    except (ValueError, TypeError, KeyError) as error:
        logger.warning(f"dicom series: unreadable record {path}: {error}")
        return None


def _retrieve_parts(client, study_uid: str, series_uid: str, accept: str):
    """The series' instances as the PACS sends them: the bytes of each part, untouched (pydicom 2.4 could not
    write back a transfer syntax it does not know). dicomweb-client 0.59 builds no Accept header with `*` beside a
    list, and re-parses every part, so its request helpers are used directly (MONAI Label's client subclass keeps
    its fix for servers that mislabel the multipart type)."""
    from dicomweb_client.web import _Transaction

    url = client._get_series_url(_Transaction.RETRIEVE, study_uid, series_uid)
    response = client._http_get(url, headers={"Accept": accept}, stream=True)
    if response.headers.get("Content-Type", "").startswith("application/dicom"):
        yield response.content  # one instance sent bare, as some servers do
        return
    yield from client._decode_multipart_message(response, stream=True)


def fetch_series(client, series_uid: str, folder: Path, study_uid: str | None = None,
                 attempts: tuple[tuple[str, str], ...] = FETCH_ATTEMPTS) -> str:
    """Download a series into `folder` (created whole, or replacing what is there, or not at all) as the PACS
    stores it, if it will send it so; returns how it was fetched, for the record. `attempts`: (how, Accept
    header), tried in order. Raises RequestRefused (502) when the PACS sends nothing."""
    import io

    import requests

    if study_uid is None:
        try:
            answer = client.search_for_series(search_filters={"SeriesInstanceUID": series_uid})
        except requests.RequestException as error:
            raise RequestRefused(502, f"the PACS did not answer a search for series {series_uid}: "
                                      f"{str(error)[:200]}") from None
        found = [s for s in answer if s.get("0020000E", {}).get("Value") == [series_uid]]
        if not found:
            raise RequestRefused(404, f"no series {series_uid} in the PACS")
        study_uid = str(found[0]["0020000D"]["Value"][0])
    staging = folder.with_name(f".{folder.name}.partial-{uuid.uuid4().hex[:8]}")
    failures = []
    try:
        for how, accept in attempts:
            staging.mkdir(parents=True)
            count = 0
            try:
                for part in _retrieve_parts(client, study_uid, series_uid, accept):
                    try:
                        header = pydicom.dcmread(io.BytesIO(part), stop_before_pixels=True)
                        uid = str(header.get("SOPInstanceUID", ""))
                    except (InvalidDicomError, ValueError, EOFError):
                        uid = ""
                    name = uid if UID_PATTERN.fullmatch(uid) else f"part{count:05d}"
                    (staging / f"{name}.dcm").write_bytes(part)
                    count += 1
            except (requests.RequestException, ValueError, OSError) as error:
                failures.append(f"{how}: {str(error)[:160]}")
                shutil.rmtree(staging, ignore_errors=True)
                continue
            if not count:
                failures.append(f"{how}: no instances")
                shutil.rmtree(staging, ignore_errors=True)
                continue
            if folder.exists():
                shutil.rmtree(folder)
            staging.rename(folder)
            done = f"{count} instances, {how}" + (f" (after {len(failures)} refused: {failures[0]})" if failures else "")
            logger.info(f"dicom series {series_uid}: fetched {done}")
            return done
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    more = f"; and {len(failures) - 3} more" if len(failures) > 3 else ""
    raise RequestRefused(502, f"the PACS did not send series {series_uid}: " + "; ".join(failures[:3]) + more)


def prune_to_used(folder: Path, record: SeriesRecord) -> None:
    """Leave in the cached series folder only the files whose images were used, so that a DICOM SEG written
    against the folder (dcmqi references every instance it is given) references exactly those. A multi-frame
    file stays if any of its frames was used."""
    used = {name.split(" frame ")[0] for name in record.used}
    for path in folder.iterdir():
        if not path.is_file():
            continue
        try:
            uid = str(pydicom.dcmread(path, stop_before_pixels=True).get("SOPInstanceUID", ""))
        except (InvalidDicomError, OSError, ValueError, EOFError):
            uid = ""
        if uid not in used:
            path.unlink()


def cached_series_uri(datastore, image_id: str) -> str:
    """`get_image_uri` of MONAI Label's DICOMweb datastore (0.8.5), reading the series as described above.

    Layout, as MONAI Label's: `<cache>/images/<uid>/` holds the series (here only the instances used) and
    `<cache>/images/<uid>.nii.gz` the volume; `<uid>.series.json` beside it holds the record. A volume cached
    without a record (by MONAI Label's own reader) is read again. Returns the NIfTI's path, or the folder when
    the datastore was started with convert_to_nifti off.
    """
    from filelock import FileLock
    from monailabel.datastore.local import LocalDatastore

    if not isinstance(image_id, str) or not UID_PATTERN.fullmatch(image_id) or len(image_id) > 64:
        raise RequestRefused(404, f"image {image_id!r} is not a SeriesInstanceUID")
    images = Path(datastore._datastore.image_path())
    folder = images / image_id
    nifti = images / f"{image_id}.nii.gz"
    record_path = record_path_for(nifti)
    with FileLock(str(images / f".{image_id}.lock")):
        convert = getattr(datastore, "_convert_to_nifti", True)
        if record_path.is_file() and (nifti.is_file() or not convert) and folder.is_dir():
            return str(nifti if convert else folder)
        if not folder.is_dir() or not any(folder.iterdir()):
            fetched = fetch_series(datastore._client, image_id, folder)
        else:
            fetched = "from the local cache"
        try:
            series = read_series(folder, fetched)
        except CodecRefused as refused:
            # Stored in a syntax not decoded here: a PACS that transcodes may still send one that is.
            try:
                fetched = fetch_series(datastore._client, image_id, folder, attempts=FETCH_ATTEMPTS[1:-1])
            except RequestRefused:
                raise refused from None
            series = read_series(folder, fetched + f", since {refused.detail}")
        series.record.series = series.record.series or image_id
        prune_to_used(folder, series.record)
        if convert:
            with tempfile.TemporaryDirectory() as scratch:
                written = Path(scratch) / f"{image_id}.nii.gz"
                sitk.WriteImage(series.image, str(written), useCompression=True)
                # The base class's add_image, not a subclass's upload checks: this is the PACS's series.
                LocalDatastore.add_image(datastore, image_id, str(written), datastore._dicom_info(image_id))
        atomic_write_text(record_path, series.record.to_json())
        return str(nifti if convert else folder)
