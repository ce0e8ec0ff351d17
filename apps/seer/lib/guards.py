"""Input validation: what a client sends is checked before it reaches the datastore, the reasoner or training.

Free of HTTP and MONAI Label, so that the CLI, the tests and the server use the checks as they are. Each raises
`RequestRefused` with the HTTP status and a reason:
- `parse_params` (a JSON object), `check_prompt` (a non-empty string within `MAX_PROMPT_CHARS`), `check_model`;
- `lookup_image` (an id known to the datastore, never a path);
- `check_final_label` (a readable, non-empty label on the image's grid), `check_uploaded_image` (a readable 3D
  volume).

Where they apply: the request guards of the route table (`lib/server/routes.py`), the datastores
(`lib/server/datastore.py`) and `SeerApp.infer`. The output validation layer is `lib/validation.py`.
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import os
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk

logger = logging.getLogger(__name__)

# Documented limit: the longest clinical request in the suites is ~300 characters; 2,000 leaves room for pasted
# report sentences while keeping the reasoner's work (and the reply) small.
MAX_PROMPT_CHARS = 2000
MAX_ID_ECHO_CHARS = 80  # how much of an unknown id an error message repeats
FINAL_TAG = "final"
LABEL_SUFFIXES = (".nii.gz", ".nii", ".nrrd")
# A final label must sit on the image's grid: same size, and spacing, origin and direction equal up to rounding
# (NIfTI and NRRD headers store them as floats with a few significant digits).
SPACING_RTOL = 1e-3
ORIGIN_TOL_VOXELS = 0.01
DIRECTION_ATOL = 1e-3


class RequestRefused(ValueError):
    """A request that cannot be served as sent; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _echo(value: object) -> str:
    text = repr(value)
    return text if len(text) <= MAX_ID_ECHO_CHARS else text[:MAX_ID_ECHO_CHARS] + "...'"


# --- inputs -----------------------------------------------------------------------------------------------------

def parse_params(raw: str | bytes | dict | None, field: str = "params") -> dict:
    """A form field that must hold a JSON object (MONAI Label's `params`, `info`)."""
    if raw is None or raw == "" or raw == b"":
        return {}
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw)
    except (ValueError, TypeError) as error:  # JSONDecodeError and undecodable bytes are ValueErrors
        raise RequestRefused(400, f"{field} is not JSON ({error}); send a JSON object, "
                                  f'e.g. {field}={{"prompt": "left kidney"}}') from None
    if not isinstance(value, dict):
        raise RequestRefused(400, f"{field} must be a JSON object, not a JSON {type(value).__name__}; "
                                  f'e.g. {field}={{"prompt": "left kidney"}}')
    return value


def check_prompt(prompt: Any) -> str:
    """The request text: a non-empty string of at most MAX_PROMPT_CHARS characters."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise RequestRefused(400, 'params must carry a non-empty "prompt", e.g. params={"prompt": "left kidney"}')
    if len(prompt) > MAX_PROMPT_CHARS:
        raise RequestRefused(413, f"prompt is {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}: "
                                  "name the structure to segment in a sentence or two")
    return prompt


def check_model(model: Any, models: Iterable[str]) -> str:
    known = sorted(models)
    if not isinstance(model, str) or model not in known:
        raise RequestRefused(404, f"no model {_echo(model)}; models: {known}")
    return model


def is_dicomweb(datastore) -> bool:
    """MONAI Label's DICOMWebDatastore keeps its DICOMweb client here; a local studies folder has none."""
    return getattr(datastore, "_client", None) is not None


def lookup_image(datastore, image_id: Any) -> str | None:
    """Check that `image_id` names an image of the datastore; return its local file (None on a DICOMweb source,
    where MONAI Label fetches the series itself).

    The id is only ever a key: a path-like id ("/etc/hostname", "../x") gets the same 404 as any unknown id, so a
    client can neither open nor probe the server's files.
    """
    if not isinstance(image_id, str) or not image_id.strip():
        raise RequestRefused(400, "the image id is empty: pass image=<datastore id> (GET /datastore/ lists them)")
    unknown = RequestRefused(404, f"image {_echo(image_id)} is not in the datastore")
    if "\x00" in image_id:
        raise unknown
    if is_dicomweb(datastore):
        from .maps import series_problem

        problem = series_problem(datastore, image_id)
        if problem:
            raise RequestRefused(404, problem)
        return None
    uri = datastore.get_image_uri(image_id)
    if not uri or not os.path.isfile(uri):
        raise unknown
    problem = gzip_problem(uri)
    if problem:
        raise RequestRefused(422, f"image {_echo(image_id)} cannot be read: {problem}")
    return uri


def _nifti_bytes(header: bytes) -> int | None:
    """The uncompressed size of a NIfTI-1 or NIfTI-2 file from its header (vox_offset + voxel data), or None when
    the bytes are not a NIfTI header."""
    for order in "<>":
        if len(header) >= 348 and struct.unpack(f"{order}i", header[:4])[0] == 348:
            dims = struct.unpack(f"{order}8h", header[40:56])
            bitpix = struct.unpack(f"{order}h", header[72:74])[0]
            offset = int(struct.unpack(f"{order}f", header[108:112])[0])
            break
        if len(header) >= 540 and struct.unpack(f"{order}i", header[:4])[0] == 540:
            dims = struct.unpack(f"{order}8q", header[16:80])
            bitpix = struct.unpack(f"{order}h", header[14:16])[0]
            offset = struct.unpack(f"{order}q", header[168:176])[0]
            break
    else:
        return None
    if not 1 <= dims[0] <= 7 or bitpix <= 0:
        return None
    return offset + math.prod(int(d) for d in dims[1:dims[0] + 1]) * bitpix // 8


def gzip_problem(path: str | Path) -> str | None:
    """Why a gzipped image is cut short or damaged, or None. SimpleITK reads a truncated .nii.gz without a word
    (the missing voxels become zeros), so this is checked first.

    Fast path: the gzip trailer's ISIZE equals the size the NIfTI header promises (two small reads). Only when it
    does not (a damaged file, or a rare multi-member gzip) is the whole stream decompressed to be sure.
    """
    if not str(path).lower().endswith(".gz"):
        return None
    try:
        with open(path, "rb") as f:
            f.seek(-4, os.SEEK_END)
            isize = struct.unpack("<I", f.read(4))[0]
        with gzip.open(path) as g:
            expected = _nifti_bytes(g.read(540))
        if expected is not None and expected % 2**32 == isize:
            return None
        with gzip.open(path) as g:
            while g.read(1 << 22):
                pass
    except gzip.BadGzipFile:
        return "it is not gzip-compressed, though its name ends in .gz"
    except (OSError, EOFError, zlib.error, struct.error) as error:
        return f"the gzip stream is cut short or damaged ({error})"
    return None


def _grid(reader: sitk.ImageFileReader) -> tuple:
    return reader.GetSize(), reader.GetSpacing(), reader.GetOrigin(), reader.GetDirection()


def _header(path: str) -> sitk.ImageFileReader:
    reader = sitk.ImageFileReader()
    reader.SetFileName(path)
    reader.ReadImageInformation()
    return reader


def _check_upload_bytes(path: str, what: str) -> None:
    """The checks an uploaded file needs before any reader sees it: not empty, and a whole gzip stream."""
    if os.path.getsize(path) == 0:
        raise RequestRefused(422, f"the {what} file is empty (0 bytes)")
    problem = gzip_problem(path)
    if problem:
        raise RequestRefused(422, f"the {what} cannot be read: {problem}")


def _itk_reason(error: RuntimeError) -> str:
    """The last line of an ITK error, which names the cause; the rest is a C++ trace."""
    text = str(error).strip()
    return text.splitlines()[-1][:200] if text else "unreadable"


def check_final_label(label_path: str | Path, image_path: str | Path | None) -> None:
    """A final label is kept only when it is a readable, non-empty 3D label map on the image's grid: anything else
    would replace the stored label and reach training as a correction that teaches nothing (Dice 0).

    Raises:
        RequestRefused: 422 with the reason.
    """
    label_path = str(label_path)
    _check_upload_bytes(label_path, "label")
    try:
        header = _header(label_path)
        label = sitk.ReadImage(label_path)
    except RuntimeError as error:
        raise RequestRefused(422, "the label is not a readable NIfTI or NRRD label map "
                                  f"({_itk_reason(error)})") from None
    if label.GetDimension() != 3 or label.GetNumberOfComponentsPerPixel() != 1:
        raise RequestRefused(422, f"the label must be a 3D single-channel map; got {label.GetDimension()}D with "
                                  f"{label.GetNumberOfComponentsPerPixel()} channel(s)")
    if image_path is not None:
        size, spacing, origin, direction = _grid(_header(str(image_path)))
        l_size, l_spacing, l_origin, l_direction = _grid(header)
        tolerance = ORIGIN_TOL_VOXELS * min(spacing)
        if (tuple(l_size) != tuple(size) or not np.allclose(l_spacing, spacing, rtol=SPACING_RTOL, atol=0)
                or not np.allclose(l_origin, origin, rtol=0, atol=tolerance)
                or not np.allclose(l_direction, direction, rtol=0, atol=DIRECTION_ATOL)):
            raise RequestRefused(422, f"the label is on another grid than the image: size {list(l_size)} vs "
                                      f"{list(size)}, spacing {_round(l_spacing)} vs {_round(spacing)} mm, origin "
                                      f"{_round(l_origin)} vs {_round(origin)} mm; save it on the image's grid")
    if not sitk.GetArrayViewFromImage(label).any():
        raise RequestRefused(422, "the label holds no foreground: a final label must mark the structure")


def check_uploaded_image(image_path: str | Path) -> None:
    """An image added to the datastore must be a readable 3D image: anything else would sit in the study list
    and fail every request made on it.

    Raises:
        RequestRefused: 422 with the reason.
    """
    image_path = str(image_path)
    _check_upload_bytes(image_path, "image")
    try:
        reader = sitk.ImageFileReader()
        reader.SetFileName(image_path)
        reader.ReadImageInformation()  # the header only: the size check needs no voxels
    except RuntimeError as error:
        raise RequestRefused(422, f"the image is not a readable NIfTI or NRRD volume ({_itk_reason(error)})") from None
    if reader.GetDimension() != 3:
        raise RequestRefused(422, f"the image must be 3D; got {reader.GetDimension()}D")






def _round(values: Iterable[float]) -> list[float]:
    return [round(float(v), 3) for v in values]


# --- durability ---------------------------------------------------------------------------------------------



def fsync_path(path: str | Path) -> None:
    """Flush a file and the folder entry that names it to disk."""
    path = Path(path)
    if not path.exists():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
