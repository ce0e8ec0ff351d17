"""DICOM SEG in and out, coded from the ontology, through dcmqi (the reference tool MONAI Label and Slicer use).

`label_map_to_seg` writes a multi-segment binary SEG that references the source series: each segment is named
after its concept and carries the concept's SNOMED CT category, type and laterality modifier, and its colour,
all from `concepts.json`. `seg_to_label_map` reads a SEG back onto a reference grid, mapping each segment to a
concept through the same codes. The encoding itself is dcmqi's (`itkimage2segimage`, `segimage2itkimage`,
shipped as real executables in the pinned `dcmqi` wheel); nothing here encodes DICOM by hand.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
from pathlib import Path

import dcmqi
import numpy as np
import SimpleITK as sitk

from .dicom_series import multi_frame_instances, series_geometry
from .guards import RequestRefused
from .ontology import Concept, Ontology, SnomedCode

logger = logging.getLogger(__name__)

DCMQI_BIN = Path(dcmqi.__file__).resolve().parent / "bin"
DCMQI_TIMEOUT_S = 600
# Fallbacks for concepts that carry no SNOMED CT code in concepts.json (and for names no concept has): the category
# every anatomical concept has, and a private coding scheme (DICOM PS3.16: a "99" prefix); the segment description
# carries the concept id, so that the segment still round-trips to its concept.
ANATOMICAL_STRUCTURE = SnomedCode(scheme="SCT", value="123037004", meaning="Anatomical Structure")
PRIVATE_SCHEME = "99SEER"
ALGORITHM_NAME = "SEER Label"
FINAL_DESCRIPTION = "SEER Label final"  # SeriesDescription of a saved final label (never the labelmap_tag)


class DicomSegError(ValueError):
    """A label map cannot be written as a DICOM SEG, or a SEG cannot be read (the message says why)."""


def ensure_dcmqi_on_path() -> Path:
    """Put the dcmqi wheel's executables on PATH (idempotent).

    MONAI Label downloads dcmqi from GitHub at start-up on a DICOMweb datastore unless `itkimage2segimage` is on
    PATH or in `<app>/bin/` (monailabel/interfaces/app.py, `_download_dcmqi_tools`), and its own NIfTI -> SEG
    conversion for `final` labels runs that executable by name.
    """
    path = os.environ.get("PATH", "")
    if str(DCMQI_BIN) not in path.split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([str(DCMQI_BIN), path]) if path else str(DCMQI_BIN)
    return DCMQI_BIN


def _run(tool: str, *args: str) -> None:
    command = [str(DCMQI_BIN / tool), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=DCMQI_TIMEOUT_S)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise DicomSegError(f"{tool} failed ({done.returncode}): " + " | ".join(tail))


def _code(code: SnomedCode) -> dict:
    return {"CodeValue": code.value, "CodingSchemeDesignator": code.scheme, "CodeMeaning": code.meaning}


def display_name(concept: Concept) -> str:
    """The segment label a viewer shows: the concept's name, capitalised ("Left kidney")."""
    return concept.name[:1].upper() + concept.name[1:]


def display_color(concept: Concept) -> tuple[int, int, int]:
    """The concept's colour from concepts.json; a stable colour derived from its id when it has none."""
    return concept.color or hashed_color(concept.id)


def hashed_color(key: str) -> tuple[int, int, int]:
    """A stable, not too dark colour for a name."""
    digest = hashlib.sha256(key.encode()).digest()
    return (64 + digest[0] % 192, 64 + digest[1] % 192, 64 + digest[2] % 192)


def private_code(name: str, meaning: str) -> SnomedCode:
    """A stable code in our private scheme; CodeValue is at most 16 characters (DICOM SH), so it is a digest and
    the segment's description carries the name itself."""
    return SnomedCode(scheme=PRIVATE_SCHEME, value=hashlib.sha1(name.encode()).hexdigest()[:16], meaning=meaning)


def segment_attributes(name: str, ontology: Ontology, label_id: int) -> dict:
    """dcmqi's segment description (its JSON schema) for a concept id, or for a name the ontology does not know
    (a segment a user added and named in a viewer). dcmqi turns the RGB into CIELab."""
    concept = concept_by_name(ontology, name)
    if concept is None:
        label = name[:64]
        kind, category, modifier = private_code(name, label), ANATOMICAL_STRUCTURE, None
        color = hashed_color(name)
        description = name
    else:
        label = display_name(concept)
        kind = concept.snomed_type or private_code(concept.id, label)
        category = concept.snomed_category or ANATOMICAL_STRUCTURE
        modifier, color, description = concept.snomed_modifier, display_color(concept), concept.id
    attributes = {
        "labelID": label_id,
        "SegmentLabel": label,
        "SegmentDescription": description,
        "SegmentAlgorithmType": "AUTOMATIC",
        "SegmentAlgorithmName": ALGORITHM_NAME,
        "SegmentedPropertyCategoryCodeSequence": _code(category),
        "SegmentedPropertyTypeCodeSequence": _code(kind),
        "recommendedDisplayRGBValue": list(color),
    }
    if modifier:
        attributes["SegmentedPropertyTypeModifierCodeSequence"] = _code(modifier)
    return attributes


def concept_by_name(ontology: Ontology, name: str) -> Concept | None:
    """A concept named by its id or its name, in any case ("kidney_left", "Left kidney")."""
    if name in ontology:
        return ontology[name]
    folded = name.strip().lower()
    for concept in ontology.concepts.values():
        if folded in (concept.id.lower(), concept.name.lower()):
            return concept
    return None


def read_series_geometry(series_folder: str | Path) -> sitk.Image:
    """The grid of the source series' slices, chosen as the volume was (`dicom_series.series_geometry`: the same
    images, sorted along the normal, from the headers alone, so a compressed series needs no decoding here)."""
    try:
        return series_geometry(series_folder)
    except RequestRefused as error:
        raise DicomSegError(error.detail) from None


def label_map_to_seg(labels: np.ndarray | sitk.Image, label_names: dict[str, int], source_series_folder: str | Path,
                     ontology: Ontology, out_path: str | Path, series_description: str = ALGORITHM_NAME) -> Path:
    """Write a multi-segment DICOM SEG of `labels` that references the source series.

    Args:
        labels: a label map, either an array (z, y, x) on the source series' grid, or an image on any grid
            (resampled onto the series by physical position, nearest neighbour).
        label_names: concept id -> its value in `labels`; one segment per concept, in this order. A name that is no
            concept (a segment a user named in a viewer) gets a segment in a private coding scheme.
        source_series_folder: the folder holding the source series' DICOM files.
        ontology: names, codes and colours of the concepts.
        out_path: the SEG file to write.
        series_description: the SEG's SeriesDescription.

    Raises:
        DicomSegError: a grid that does not match the series, no voxels at all, or dcmqi failed.
    """
    reference = read_series_geometry(source_series_folder)
    multi_frame = multi_frame_instances(source_series_folder)
    if multi_frame:
        # dcmqi (and pydicom-seg) place each SEG frame on a single-frame source image; a SEG that references
        # frames of an enhanced image is not written rather than written with wrong references.
        raise DicomSegError(f"the source series is a multi-frame image ({', '.join(multi_frame[:2])}); a DICOM SEG "
                            "is written only against single-frame images: ask for output=image (NIfTI) instead")
    if isinstance(labels, sitk.Image):
        array = sitk.GetArrayFromImage(sitk.Resample(labels, reference, sitk.Transform(),
                                                     sitk.sitkNearestNeighbor, 0, sitk.sitkUInt16))
    else:
        array = np.asarray(labels)
        expected = sitk.GetArrayViewFromImage(reference).shape
        if array.shape != expected:
            raise DicomSegError(f"label map shape {array.shape} does not match the series grid {expected} (z, y, x)")
    # Renumber 1..n in label_names order, so that segment numbers follow the request's targets.
    segments = np.zeros(array.shape, np.uint16)
    attributes = []
    for concept_id, value in label_names.items():
        mask = array == value
        if not mask.any():
            logger.info(f"dicom seg: {concept_id} (value {value}) has no voxels; no segment written")
            continue
        number = len(attributes) + 1
        segments[mask] = number
        attributes.append(segment_attributes(concept_id, ontology, number))
    if not attributes:
        raise DicomSegError("the label map is empty: a DICOM SEG needs at least one segment with voxels")
    metadata = {
        "ContentCreatorName": ALGORITHM_NAME.replace(" ", "^"),
        "ClinicalTrialSeriesID": "Session1",
        "ClinicalTrialTimePointID": "1",
        "ClinicalTrialCoordinatingCenterName": ALGORITHM_NAME,
        "SeriesDescription": series_description,
        "SeriesNumber": "300",
        "InstanceNumber": "1",
        "ContentLabel": "SEGMENTATION",
        "ContentDescription": "SEER Label segmentation",
        "BodyPartExamined": "",
        "segmentAttributes": [attributes],
    }
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory() as scratch:
        label_file = Path(scratch) / "labels.nii.gz"
        image = sitk.GetImageFromArray(segments)
        image.CopyInformation(reference)
        sitk.WriteImage(image, str(label_file), useCompression=True)
        meta_file = Path(scratch) / "meta.json"
        meta_file.write_text(json.dumps(metadata))
        _run("itkimage2segimage", "--inputImageList", str(label_file), "--inputDICOMDirectory",
             str(source_series_folder), "--outputDICOM", str(out_path), "--inputMetadata", str(meta_file),
             "--useLabelIDAsSegmentNumber")
    return out_path


def concept_of_segment(attributes: dict, ontology: Ontology) -> str | None:
    """The concept a segment denotes: by its coded type (and laterality modifier), else by its label's name."""
    type_code = attributes.get("SegmentedPropertyTypeCodeSequence") or {}
    modifier = (attributes.get("SegmentedPropertyTypeModifierCodeSequence") or {}).get("CodeValue")
    scheme, value = type_code.get("CodingSchemeDesignator"), type_code.get("CodeValue")
    description = str(attributes.get("SegmentDescription", "")).strip()
    if scheme == PRIVATE_SCHEME:
        return description if description in ontology else None
    by_code = [c for c in ontology.concepts.values() if c.snomed_type and c.snomed_type.value == value
               and c.snomed_type.scheme == scheme and (c.snomed_modifier.value if c.snomed_modifier else None) == modifier]
    if len(by_code) == 1:
        return by_code[0].id
    # Several concepts share a code (a structure and its group) or none has it: the segment's name decides.
    label = str(attributes.get("SegmentLabel", "")).strip().lower()
    candidates = by_code or list(ontology.concepts.values())
    for concept in candidates:
        if description == concept.id or label in (concept.name.lower(), concept.id.lower()):
            return concept.id
    structures = [c for c in by_code if c.kind == "structure"]
    return structures[0].id if len(structures) == 1 else None


def seg_to_label_map(seg_path: str | Path, reference: sitk.Image, ontology: Ontology,
                     vocab: str | None = None) -> tuple[np.ndarray, dict[str, int]]:
    """Read a DICOM SEG onto the reference image's grid, by physical position.

    Args:
        seg_path: a SEG file (or a folder holding one).
        reference: the image whose grid the label map is returned on.
        ontology: maps each segment to a concept through its codes or its name.
        vocab: when given, each segment gets its concept's label id in this vocabulary, and segments whose
            concept is unknown or outside the vocabulary are left out; otherwise each keeps its segment number.

    Returns:
        (labels, names): a uint16 array (z, y, x) on the reference grid, and name -> value, where a name is the
        concept id, or the segment's own label when it denotes no known concept.
    """
    seg_path = Path(seg_path)
    if seg_path.is_dir():
        files = sorted(p for p in seg_path.iterdir() if p.is_file())
        if not files:
            raise DicomSegError(f"{seg_path}: empty folder, no DICOM SEG in it")
        seg_path = files[0]
    vocab_ids = {concept: label for label, concept in ontology.label_map(vocab).items()} if vocab else None
    shape = sitk.GetArrayViewFromImage(reference).shape
    labels = np.zeros(shape, np.uint16)
    names: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as scratch:
        _run("segimage2itkimage", "--inputDICOM", str(seg_path), "--outputDirectory", scratch,
             "--outputType", "nifti", "--prefix", "segment")
        meta = json.loads((Path(scratch) / "segment-meta.json").read_text())
        for attributes in [a for group in meta.get("segmentAttributes", []) for a in group]:
            number = int(attributes["labelID"])
            concept = concept_of_segment(attributes, ontology)
            name = concept or str(attributes.get("SegmentLabel") or f"segment {number}")
            if vocab_ids is not None:
                if concept not in vocab_ids:
                    logger.warning(f"dicom seg: segment {number} ({name!r}) has no label in {vocab}; left out")
                    continue
                value = vocab_ids[concept]
            else:
                value = number
            segment = sitk.ReadImage(str(Path(scratch) / f"segment-{number}.nii.gz"))
            mask = sitk.GetArrayFromImage(sitk.Resample(segment, reference, sitk.Transform(),
                                                        sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)) > 0
            labels[mask] = value
            names[name] = value
    return labels, names


def saved_label_to_seg(series_dir: str, label_path: str, label_info: list[dict] | None, ontology: Ontology,
                       returned: dict[str, int] | None = None) -> str:
    """The DICOM SEG of a label saved as `final` on a DICOMweb datastore (MONAI Label stores it in the PACS).

    Each value is named, in this order: by `label_info` as MONAI Label's own converter pairs them (the i-th
    smallest value gets the i-th entry's `name`; 3D Slicer sends its segment names); by `returned`, the
    label_names of the answer being corrected (a value we returned keeps its name; a one-value mask correcting
    a one-target answer is that target); else "segment N", in a private code. A value is never guessed from the
    vocabulary: a binary mask's 1 is not the vocabulary's label 1. Names become codes through the ontology.
    Returns the SEG's path.
    """
    image = sitk.ReadImage(str(label_path))
    values = [int(v) for v in np.unique(sitk.GetArrayViewFromImage(image)) if v != 0]
    returned = returned or {}
    by_value = {value: name for name, value in returned.items()}
    names: dict[str, int] = {}
    for index, value in enumerate(values):
        entry = label_info[index] if label_info and index < len(label_info) else {}
        name = entry.get("name") or by_value.get(value)
        if not name and len(values) == 1 and len(returned) == 1:
            name = next(iter(returned))
        name = str(name or f"segment {value}")
        names[name if name not in names else f"{name} ({value})"] = value
    out = tempfile.NamedTemporaryFile(suffix=".dcm", delete=False).name
    label_map_to_seg(image, names, series_dir, ontology, out, FINAL_DESCRIPTION)
    return out
