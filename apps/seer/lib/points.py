"""Clicks in an infer request, as the OHIF and Slicer MONAI Label clients send them, read into typed points."""

from __future__ import annotations

import json

from .backbones.base import Point


class PointError(ValueError):
    """Point prompts in a request that cannot be read; the message names the key."""


def _as_list(request: dict, key: str) -> list:
    value = request.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):  # REST params may carry lists as JSON text
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise PointError(f"{key}: not a JSON list ({value[:60]!r})") from None
    if not isinstance(value, (list, tuple)):
        raise PointError(f"{key}: expected a list, got {type(value).__name__}")
    return list(value)


def _ijk(key: str, point) -> tuple[float, float, float]:
    if not isinstance(point, (list, tuple)) or len(point) != 3:
        raise PointError(f"{key}: each point is [i, j, k] (voxel indices of the image), got {point!r}")
    try:
        return (float(point[0]), float(point[1]), float(point[2]))
    except (TypeError, ValueError):
        raise PointError(f"{key}: each point is [i, j, k] of numbers, got {point!r}") from None


def points_from_request(request: dict) -> list[Point] | None:
    """Clicks of an infer request as typed points, or None when there are none.

    Accepted keys (all voxel indices [i, j, k] of the ORIGINAL image, SimpleITK/ITK index order; lists or JSON
    text):
    - OHIF v3 MONAI Label panel, VISTA3D flow: `points` [[i, j, k], ...] with `point_labels` [1 | 0, ...]
      (1 foreground, 0 background; VISTA3D's special-class flags 3 / 2 are read as 1 / 0, and -1 padding is
      dropped). Its `label_prompt` names the class; the free-text prompt does that here, so it is not read.
    - 3D Slicer MONAI Label module (and OHIF's deepgrow flow): `foreground` [[i, j, k], ...] and `background`
      [[i, j, k], ...].
    Both may appear together; their points are joined.
    """
    points = [Point(_ijk("foreground", p), positive=True) for p in _as_list(request, "foreground")]
    points += [Point(_ijk("background", p), positive=False) for p in _as_list(request, "background")]
    clicks = _as_list(request, "points")
    labels = _as_list(request, "point_labels")
    if clicks and not labels:
        labels = [1] * len(clicks)  # the OHIF panel always sends labels; a bare list is read as foreground
    if len(clicks) != len(labels):
        raise PointError(f"points ({len(clicks)}) and point_labels ({len(labels)}) must have the same length")
    for click, label in zip(clicks, labels):
        try:
            label = int(label)
        except (TypeError, ValueError):
            raise PointError(f"point_labels: use 1 (foreground) or 0 (background), got {label!r}") from None
        if label == -1:
            continue
        if label not in (0, 1, 2, 3):
            raise PointError(f"point_labels: use 1 (foreground) or 0 (background), got {label}")
        points.append(Point(_ijk("points", click), positive=label in (1, 3)))
    return points or None
