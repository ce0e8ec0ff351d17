"""Spatial facts about the structures in a segment-everything map, in patient millimetres (RAS).

Extents (bounding boxes) and contacts between structures are computed once per map from the aligned label map and
the voxel-to-RAS transform, so they do not depend on the array's orientation: an LPS DICOM series and its RAS
NIfTI give the same numbers. The reasoning reads them as plain data from `Evidence`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

# Two structures "touch" when their voxels come within this distance of each other (fat planes are thin).
CONTACT_MM = 4.0
MAX_CONTACT_STEPS = 4  # voxel shifts tried per axis, whatever the spacing
# Two structures are "near" when their voxels come within this distance ("the muscle touching the right kidney"
# on a coarse map, where a fat plane is a voxel wide). Read on a map sampled to at least NEAR_GRID_MM per voxel.
NEAR_MM = 12.0
NEAR_GRID_MM = 3.0
# Surface gaps between structures are recorded up to this distance (what "the organ behind the stomach" weighs:
# which candidate lies against the landmark, and which only near it).
GAP_REACH_MM = 40.0
# Shares of a structure's surface facing another below this are not recorded (a corner brushing another).
SURFACE_SHARE_MIN = 0.005


def _corners(slices: tuple[slice, ...]) -> np.ndarray:
    lows = [s.start for s in slices]
    highs = [s.stop - 1 for s in slices]
    return np.array([[a, b, c] for a in (lows[0], highs[0]) for b in (lows[1], highs[1]) for c in (lows[2], highs[2])],
                    dtype=float)


def structure_extents(everything: np.ndarray, labels: dict[int, str],
                      index_to_ras: Callable[[np.ndarray], np.ndarray]) -> dict[str, tuple[float, ...]]:
    """Concept id -> (x_min, y_min, z_min, x_max, y_max, z_max) in RAS mm (voxel centres)."""
    out = {}
    objects = ndimage.find_objects(everything.astype(np.int32))
    for label, slices in enumerate(objects, start=1):
        if slices is None or label not in labels:
            continue
        ras = index_to_ras(_corners(slices))
        out[labels[label]] = tuple(round(float(v), 1) for v in (*ras.min(axis=0), *ras.max(axis=0)))
    return out


def structure_contacts(everything: np.ndarray, labels: dict[int, str], spacing_mm: tuple[float, float, float],
                       contact_mm: float = CONTACT_MM) -> dict[str, list[str]]:
    """Concept id -> the concepts whose voxels come within `contact_mm` of its own along any array axis."""
    codes = everything.astype(np.int64)
    top = int(codes.max()) + 1 if codes.size else 1
    pairs: set[int] = set()
    for axis in range(3):
        steps = max(1, min(MAX_CONTACT_STEPS, int(round(contact_mm / max(spacing_mm[axis], 1e-3)))))
        for step in range(1, steps + 1):
            a = np.take(codes, range(0, codes.shape[axis] - step), axis=axis)
            b = np.take(codes, range(step, codes.shape[axis]), axis=axis)
            touching = (a != b) & (a > 0) & (b > 0)
            if touching.any():
                pairs |= set(np.unique(a[touching] * top + b[touching]).tolist())
    contacts: dict[str, set[str]] = {}
    for code in pairs:
        first, second = labels.get(code // top), labels.get(code % top)
        if first and second and first != second:
            contacts.setdefault(first, set()).add(second)
            contacts.setdefault(second, set()).add(first)
    return {k: sorted(v) for k, v in contacts.items()}


def structure_gaps(coarse: np.ndarray, labels: dict[int, str], spacing_mm: tuple[float, float, float],
                   reach_mm: float = GAP_REACH_MM) -> dict[str, dict[str, float]]:
    """Concept id -> {other concept: the smallest gap between their voxels along an array axis, in mm}, for pairs
    closer than `reach_mm`. Read on a coarse map: a gap is known to about one coarse voxel, which is all that
    "the organ behind the stomach" needs (the pancreas 5 mm behind it vs the duodenum 30 mm off). Gaps along the
    axes only: a diagonal gap reads up to ~1.7 times larger, the same for every candidate."""
    codes = coarse.astype(np.int64)
    top = int(codes.max()) + 1 if codes.size else 1
    gaps: dict[int, float] = {}
    for axis in range(3):
        steps = max(1, int(np.ceil(reach_mm / max(spacing_mm[axis], 1e-3))))
        for step in range(1, min(steps, codes.shape[axis] - 1) + 1):
            a = np.take(codes, range(0, codes.shape[axis] - step), axis=axis)
            b = np.take(codes, range(step, codes.shape[axis]), axis=axis)
            apart = (a != b) & (a > 0) & (b > 0)
            if not apart.any():
                continue
            gap = (step - 1) * spacing_mm[axis]
            for code in np.unique(np.minimum(a[apart], b[apart]) * top + np.maximum(a[apart], b[apart])).tolist():
                if gap < gaps.get(code, np.inf):
                    gaps[code] = gap
    out: dict[str, dict[str, float]] = {}
    for code, gap in gaps.items():
        first, second = labels.get(code // top), labels.get(code % top)
        if first and second and first != second:
            out.setdefault(first, {})[second] = round(float(gap), 1)
            out.setdefault(second, {})[first] = round(float(gap), 1)
    return out


def structure_surface_shares(everything: np.ndarray, labels: dict[int, str],
                             spacing_mm: tuple[float, float, float]) -> dict[str, dict[str, float]]:
    """Concept id -> {other concept: the share of its surface area that faces the other's voxels}, counted over the
    voxel faces where the map changes label (a face's area is the product of the other two spacings), for shares of
    at least SURFACE_SHARE_MIN."""
    codes = everything.astype(np.int64)
    top = int(codes.max()) + 1 if codes.size else 1
    facing: dict[int, float] = {}  # own * top + other -> area
    surface: dict[int, float] = {}  # own -> area of all its faces towards anything else
    for axis in range(3):
        area = float(np.prod([spacing_mm[k] for k in range(3) if k != axis]))
        a = np.take(codes, range(0, codes.shape[axis] - 1), axis=axis)
        b = np.take(codes, range(1, codes.shape[axis]), axis=axis)
        changes = a != b
        for own, other in ((a[changes], b[changes]), (b[changes], a[changes])):
            inside = own > 0
            pairs, counts = np.unique(own[inside] * top + other[inside], return_counts=True)
            for pair, count in zip(pairs.tolist(), counts.tolist()):
                facing[pair] = facing.get(pair, 0.0) + count * area
                surface[pair // top] = surface.get(pair // top, 0.0) + count * area
    out: dict[str, dict[str, float]] = {}
    for pair, area in facing.items():
        own, other = labels.get(pair // top), labels.get(pair % top)
        share = area / surface[pair // top]
        if own and other and own != other and share >= SURFACE_SHARE_MIN:
            out.setdefault(own, {})[other] = round(share, 3)
    return out


def spacing_of(index_to_ras: Callable[[np.ndarray], np.ndarray]) -> tuple[float, float, float]:
    """Millimetres per step along each array axis."""
    steps = index_to_ras(np.eye(3)) - index_to_ras(np.zeros((1, 3)))
    return tuple(float(np.linalg.norm(row)) for row in steps)


def add_relations(evidence, everything: np.ndarray, label_to_concept: dict[int, str],
                  index_to_ras: Callable[[np.ndarray], np.ndarray]) -> None:
    """Fill each present structure's extent and contacts in `evidence` (one small call from `gather_evidence`)."""
    if evidence.present is None:
        return
    labels = {label: concept for label, concept in label_to_concept.items() if concept in evidence.present}
    extents = structure_extents(everything, labels, index_to_ras)
    spacing = spacing_of(index_to_ras)
    contacts = structure_contacts(everything, labels, spacing)
    strides = [max(1, int(NEAR_GRID_MM // max(s, 1e-3))) for s in spacing]
    coarse = everything[::strides[0], ::strides[1], ::strides[2]]
    coarse_spacing = tuple(s * k for s, k in zip(spacing, strides))
    near = structure_contacts(coarse, labels, coarse_spacing, NEAR_MM)
    gaps = structure_gaps(coarse, labels, coarse_spacing)
    shares = structure_surface_shares(everything, labels, spacing)
    for concept_id, structure in evidence.present.items():
        structure.gaps_mm = gaps.get(concept_id, {})
        structure.surface_share = shares.get(concept_id, {})
        structure.extent_ras_mm = extents.get(concept_id)
        structure.touches = contacts.get(concept_id, [])
        structure.near = sorted(set(near.get(concept_id, [])) | set(structure.touches))
