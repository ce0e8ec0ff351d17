"""Stage 4, evidence: what the image shows, reduced to plain data the decision can use.

The inputs are arrays and numbers, never a backbone or MONAI Label object: the caller hands in the image and,
when a segment-everything map exists, that map already aligned to the image grid.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from ..records import Evidence, PresentStructure
from .relations import add_relations

# A structure smaller than this is a sliver at the edge of the field of view, not something one can segment.
MIN_PRESENT_ML = 0.1
# A structure the map shows in fewer than this many voxel planes along some array axis is cut by the edge of the
# field of view (a 0.16 ml cap of lung in the top slice of an abdominal MR): too little of it is imaged to segment
# it, so it counts as absent.
MIN_PRESENT_PLANES = 2
# CT is calibrated in Hounsfield units: air is about -1000 and lies in most fields of view.
CT_AIR_HU = -900
CT_AIR_FRACTION = 0.01
# Cheap region cues for a CT without a segment-everything map. Soft tissue and bone are above -500 HU; lung is
# below it. A cross-section whose enclosed air (holes inside the body outline) exceeds LUNG_AIR_FRACTION is read as
# chest; one without is abdomen or pelvis, which intensity alone cannot tell apart, so it is reported as abdomen.
# A region is reported once it spans MIN_REGION_EXTENT_MM along the body's long axis.
BODY_HU = -500
LUNG_AIR_FRACTION = 0.15
MIN_BODY_AREA_CM2 = 100.0  # smaller cross-sections are table, limbs or a sliver of the body at the edge
MIN_REGION_EXTENT_MM = 30.0
CUE_MAX_IN_PLANE = 128  # in-plane voxels per side looked at; the outline needs no finer sampling


def modality_from_intensity(image: np.ndarray) -> str:
    values = image[:: max(1, image.shape[0] // 8)]
    if np.issubdtype(values.dtype, np.integer) or np.allclose(values, np.round(values)):
        if values.min() < CT_AIR_HU and (values < CT_AIR_HU).mean() > CT_AIR_FRACTION:
            return "CT"
    return "MR" if values.min() >= 0 else "unknown"


def regions_from_intensity(image: np.ndarray, index_to_ras: Callable[[np.ndarray], np.ndarray]) -> list[str]:
    """Body regions a CT covers, from its intensities and extent alone (no map): ["thorax", "abdomen"], largest
    extent first. Works in any orientation: the long axis is the array axis that points most head-to-foot."""
    steps = index_to_ras(np.eye(3)) - index_to_ras(np.zeros((1, 3)))  # RAS mm per step along z, y, x
    long_axis = int(np.argmax(np.abs(steps[:, 2])))
    thickness_mm = float(np.linalg.norm(steps[long_axis]))
    plane_axes = [a for a in range(3) if a != long_axis]
    strides = [max(1, image.shape[a] // CUE_MAX_IN_PLANE) for a in plane_axes]
    index = [slice(None)] * 3
    for axis, stride in zip(plane_axes, strides):
        index[axis] = slice(None, None, stride)
    body = np.moveaxis(image[tuple(index)] > BODY_HU, long_axis, 0)
    pixel_cm2 = float(np.prod([np.linalg.norm(steps[a]) * s for a, s in zip(plane_axes, strides)])) / 100.0
    structure = np.zeros((3, 3, 3), bool)
    structure[1] = ndimage.generate_binary_structure(2, 1)  # holes are filled slice by slice
    enclosed = ndimage.binary_fill_holes(body, structure=structure)
    area_cm2 = enclosed.sum(axis=(1, 2)) * pixel_cm2
    air_fraction = (enclosed & ~body).sum(axis=(1, 2)) / np.maximum(enclosed.sum(axis=(1, 2)), 1)
    torso = area_cm2 >= MIN_BODY_AREA_CM2
    extent_mm = {"thorax": float((torso & (air_fraction > LUNG_AIR_FRACTION)).sum() * thickness_mm),
                 "abdomen": float((torso & (air_fraction <= LUNG_AIR_FRACTION)).sum() * thickness_mm)}
    return [r for r in sorted(extent_mm, key=extent_mm.get, reverse=True) if extent_mm[r] >= MIN_REGION_EXTENT_MM]


def _short_name(concept) -> str:
    """"vertebrae_T12" -> "T12": the level code is the id's last part."""
    return concept.id.rsplit("_", 1)[-1]


def gather_evidence(image: np.ndarray, everything: np.ndarray | None, label_to_concept: dict[int, str],
                    vocabulary: list[str], ontology, index_to_ras: Callable[[np.ndarray], np.ndarray],
                    voxel_ml: float, orientation: str, modality: str | None = None) -> Evidence:
    """Summarise an image.

    Args:
        image: intensities, (z, y, x).
        everything: segment-everything label map on the same grid, or None when the backbone has none.
        label_to_concept: the map's label id -> concept id.
        vocabulary: concept ids the backbone can segment.
        index_to_ras: (N, 3) voxel indices (z, y, x) -> (N, 3) RAS millimetres.
        voxel_ml: the volume of one voxel in millilitres.
        orientation: the array's axis codes, e.g. "LPS".
        modality: from DICOM metadata when known.
    """
    evidence = Evidence(
        modality=modality or modality_from_intensity(image),
        modality_source="metadata" if modality else "intensity",
        orientation=orientation,
        vocabulary=vocabulary,
    )
    if everything is None:
        # Presence stays unknown (None), so any target in the vocabulary may be segmented; the regions only
        # describe the scan in the trace and in refusals.
        if evidence.modality == "CT":
            evidence.region = regions_from_intensity(image, index_to_ras)
        return evidence

    labels, counts = np.unique(everything, return_counts=True)
    objects = ndimage.find_objects(everything.astype(np.int32)) if everything.size else []
    slivers = {label for label, box in enumerate(objects, start=1)
               if box is not None and min(s.stop - s.start for s in box) < MIN_PRESENT_PLANES}
    centroids_zyx = np.array(ndimage.center_of_mass(np.ones(everything.shape, np.uint8), everything, labels))
    centroids_ras = index_to_ras(centroids_zyx)
    present: dict[str, PresentStructure] = {}
    for label, count, centroid in zip(labels.tolist(), counts.tolist(), centroids_ras):
        concept_id = label_to_concept.get(int(label))
        if label == 0 or concept_id is None or count * voxel_ml < MIN_PRESENT_ML or int(label) in slivers:
            continue
        box = objects[int(label) - 1] if int(label) - 1 < len(objects) else None
        at_edge = None if box is None else any(s.start == 0 or s.stop == n for s, n in zip(box, everything.shape))
        present[concept_id] = PresentStructure(id=concept_id, voxels=int(count), volume_ml=round(count * voxel_ml, 2),
                                               centroid_ras_mm=tuple(round(float(v), 1) for v in centroid),
                                               at_edge=at_edge)
    evidence.present = present
    add_relations(evidence, everything, label_to_concept, index_to_ras)

    volume_by_region: dict[str, float] = {}
    for structure in present.values():
        region = ontology[structure.id].region
        volume_by_region[region] = volume_by_region.get(region, 0.0) + structure.volume_ml
    evidence.region = sorted(volume_by_region, key=volume_by_region.get, reverse=True)

    levels = sorted((ontology[c] for c in present if ontology[c].series == "vertebrae" and ontology[c].order),
                    key=lambda c: c.order)
    if levels:
        evidence.vertebral_levels = (_short_name(levels[0]) if len(levels) == 1
                                     else f"{_short_name(levels[0])}–{_short_name(levels[-1])}")

    midpoints = [(present[c].centroid_ras_mm[0] + present[ontology[c].pair].centroid_ras_mm[0]) / 2
                 for c in present if ontology[c].laterality == "left" and ontology[c].pair in present]
    if midpoints:
        evidence.midline_x_ras_mm = round(float(np.median(midpoints)), 1)
    elif present:
        foreground = np.argwhere(everything > 0).mean(axis=0, keepdims=True)
        evidence.midline_x_ras_mm = round(float(index_to_ras(foreground)[0][0]), 1)
    return evidence
