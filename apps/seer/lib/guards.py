"""Request validation: what a client sends is checked before it reaches the datastore, the reasoner or training,
and what a reasoner proposes is checked before it reaches a backbone.

Two layers live here, both free of MONAI Label so that the CLI, the tests and a later language-model reasoner use
them as they are:

- Inputs: `parse_params` (a JSON object), `check_prompt` (a non-empty string within `MAX_PROMPT_CHARS`),
  `lookup_image` (an id known to the datastore, never a path), `check_final_label` (a readable, non-empty label on
  the image's grid). Each raises `RequestRefused` with the HTTP status and a reason.
- Outputs: `validate_spec` (and `spec_from_untrusted` for raw model output) lets only known concept ids within the
  backbone's vocabulary through, and bounds the reply's size; anything else becomes a refusal. This is the
  prompt-injection boundary: whatever text a reasoner was fed, it can only ever yield a refusal or known concepts.

`install_http_guards` wires the input layer into MONAI Label's endpoints (see its docstring).
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import os
import shutil
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk
from pydantic import ValidationError

from .records import TargetSpec, Trace

logger = logging.getLogger(__name__)

# Documented limit: the longest clinical request in the suites is ~300 characters; 2,000 leaves room for pasted
# report sentences while keeping the reasoner's work (and the reply) small.
MAX_PROMPT_CHARS = 2000
# Reply bounds: a reply must never grow with the input.
MAX_MESSAGE_CHARS = 600
MAX_RATIONALE_LINES = 40
MAX_LINE_CHARS = 300
MAX_ID_ECHO_CHARS = 80  # how much of an unknown id an error message repeats
FINAL_TAG = "final"
LABEL_SUFFIXES = (".nii.gz", ".nii", ".nrrd")
# A final label must sit on the image's grid: same size, and spacing, origin and direction equal up to rounding
# (NIfTI and NRRD headers store them as floats with a few significant digits).
SPACING_RTOL = 1e-3
ORIGIN_TOL_VOXELS = 0.01
DIRECTION_ATOL = 1e-3
UPLOADED_FILE = "seer_uploaded_file"  # set by the infer guard alone: the image is a file the endpoint stored
REFUSED_BY_GUARD = "The reasoner's answer was refused: it named ids outside the ontology or this backbone's vocabulary."


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


def guarded_add_image(stock: Callable) -> Callable:
    """MONAI Label's `add_image`: params must be a JSON object, and the file a readable 3D image, before it is
    stored."""

    def add_image(background_tasks, image=None, params="{}", file=None, user=None):
        try:
            parse_params(params)
            if file is not None:
                with tempfile.TemporaryDirectory() as scratch:
                    copy = Path(scratch) / f"image{_upload_suffix(file.filename)}"
                    with open(copy, "wb") as f:
                        shutil.copyfileobj(file.file, f)
                    file.file.seek(0)
                    check_uploaded_image(copy)
        except RequestRefused as error:
            raise _http(error) from None
        return stock(background_tasks, image, params, file, user)

    add_image.seer_guarded = True
    return add_image


def guarded_proxy(stock: Callable) -> Callable:
    """MONAI Label's DICOMweb proxy (what OHIF reads studies through): on a local studies folder there is no
    DICOMweb source to forward to, which it answered with a 500."""

    async def proxy_dicom(request, op: str, path: str):
        from monailabel.config import settings

        if not str(settings.MONAI_LABEL_STUDIES).startswith(("http://", "https://")):
            raise _http(RequestRefused(404, "no DICOMweb source: this server was started on a local studies "
                                            "folder; start it with --studies http://PACS/dicom-web for OHIF"))
        return await stock(request, op, path)

    proxy_dicom.seer_guarded = True
    return proxy_dicom


def _round(values: Iterable[float]) -> list[float]:
    return [round(float(v), 3) for v in values]


# --- outputs: the prompt-injection boundary -------------------------------------------------------------------

def _bounded_trace(trace: Trace) -> Trace:
    lines: list[str] = []
    for line in trace.rationale:
        line = line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + "..."
        if not lines or lines[-1] != line:  # repeated clauses add nothing to the explanation
            lines.append(line)
    if len(lines) > MAX_RATIONALE_LINES:
        lines = lines[:MAX_RATIONALE_LINES - 1] + [f"... {len(lines) - MAX_RATIONALE_LINES + 1} more steps"]
    return trace.model_copy(update={"rationale": lines})


def _refusal(spec: TargetSpec, why: str) -> TargetSpec:
    refusal = spec.refused(REFUSED_BY_GUARD, f"validation: {why}"[:MAX_LINE_CHARS])
    # An output that failed validation vouches for nothing it named: not its skill, nor its candidates.
    return refusal.model_copy(update={"skill": None, "candidates": [], "trace": _bounded_trace(refusal.trace)})


def validate_spec(spec: TargetSpec, ontology, vocabulary: Iterable[str]) -> TargetSpec:
    """Let a reasoner's spec through only when every id in it is a concept of the ontology that this backbone can
    segment (targets, exclusions) or that has parts it can segment (a question's candidates); otherwise a refusal.
    The message and trace are bounded, so the reply's size does not grow with the request.

    Args:
        spec: what the reasoner (rule engine or language model) proposed.
        ontology: the loaded ontology.
        vocabulary: concept ids the backbone can segment.
    """
    allowed = set(vocabulary)
    segmentable = [*spec.targets, *spec.exclude]
    bad = [i for i in segmentable if not isinstance(i, str) or i not in ontology or i not in allowed]
    bad += [c for c in spec.candidates if not isinstance(c, str) or c not in ontology
            or not ontology.leaves(c, allowed)]
    if bad:
        return _refusal(spec, f"unknown or unsupported ids {[str(b)[:40] for b in bad[:5]]}")
    if spec.status == "ok" and not spec.targets:
        return _refusal(spec, "an answer without targets")
    if spec.status != "ok" and segmentable:
        return _refusal(spec, f"a {spec.status} answer that still names targets")
    if spec.status == "clarify" and len(spec.candidates) < 2:
        return _refusal(spec, "a question without two candidates to choose from")
    if spec.skill is not None and len(spec.skill) > MAX_LINE_CHARS:
        return _refusal(spec, "a skill id that is not one")
    message = spec.message if len(spec.message) <= MAX_MESSAGE_CHARS else spec.message[:MAX_MESSAGE_CHARS] + "..."
    return spec.model_copy(update={"message": message, "trace": _bounded_trace(spec.trace)})


def spec_from_untrusted(raw: str | dict, ontology, vocabulary: Iterable[str]) -> TargetSpec:
    """A spec from a language model's raw output (JSON text or a dict): parsed, typed, then `validate_spec`.
    Anything that does not parse as a TargetSpec is a refusal, never an exception."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        spec = TargetSpec.model_validate(data)
    except (ValueError, TypeError, ValidationError) as error:
        return _refusal(TargetSpec(status="rejected"), f"the reasoner's output is not a TargetSpec ({type(error).__name__})")
    return validate_spec(spec, ontology, vocabulary)


# --- wiring into MONAI Label's HTTP endpoints ----------------------------------------------------------------

def _http(error: RequestRefused):
    from fastapi import HTTPException

    return HTTPException(status_code=error.status, detail=error.detail)


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


def _upload_suffix(filename: str | None) -> str:
    name = (filename or "").lower()
    return next((s for s in LABEL_SUFFIXES if name.endswith(s)), "".join(Path(name).suffixes)[-16:] or ".nii.gz")


def guarded_run_inference(stock: Callable, app_instance: Callable) -> Callable:
    """MONAI Label's `run_inference`, with its inputs checked first (each check answers a 4xx at once)."""

    def run_inference(background_tasks, model, image="", session_id="", params="{}", file=None, label=None,
                      output=None):
        try:
            values = parse_params(params)
            instance = app_instance()
            # params are merged into the request after `model` and `image`, so they may override both: check what
            # will actually be used.
            check_model(values.get("model", model), instance.info().get("models", {}))
            values.pop(UPLOADED_FILE, None)  # only this wrapper may vouch for a path
            if session_id and instance.sessions() is not None and not instance.sessions().get_session(session_id):
                raise RequestRefused(404, f"no session {_echo(session_id)}")
            if file or session_id:
                values.pop("image", None)  # the uploaded file, or the session's, is the image
                values[UPLOADED_FILE] = True
            else:
                lookup_image(instance.datastore(), values.get("image", image))
            if "prompt" in values:
                check_prompt(values.get("prompt"))
        except RequestRefused as error:
            raise _http(error) from None
        return stock(background_tasks, model, image, session_id, json.dumps(values), file, label, output)

    run_inference.seer_guarded = True
    return run_inference


def guarded_task_run(stock: Callable, app_instance: Callable, kind: str) -> Callable:
    """MONAI Label's `run_model` (train) or `run_method` (scoring): an unknown name is a 404, not a task that is
    queued only to fail in its own process."""

    def run(name, *args, **kwargs):
        try:
            check_model(name, app_instance().info().get(kind, {}))
        except RequestRefused as error:
            raise _http(error) from None
        return stock(name, *args, **kwargs)

    run.seer_guarded = True
    return run


def guarded_save_label(stock: Callable, app_instance: Callable, final_tag: str = FINAL_TAG) -> Callable:
    """MONAI Label's `save_label`: a final label is validated before anything is replaced, and is on disk (fsync)
    before the reply acknowledges it."""

    def save_label(background_tasks, image, params="{}", tag=final_tag, label=None, user=None):
        try:
            values = parse_params(params)
            store = app_instance().datastore()
            image_path = lookup_image(store, image)
            if (tag or final_tag) == final_tag and label is not None:
                with tempfile.TemporaryDirectory() as scratch:
                    copy = Path(scratch) / f"label{_upload_suffix(label.filename)}"
                    with open(copy, "wb") as f:
                        shutil.copyfileobj(label.file, f)
                    label.file.seek(0)
                    check_final_label(copy, image_path)
        except RequestRefused as error:
            raise _http(error) from None
        result = stock(background_tasks, image, json.dumps(values), tag, label, user)
        if not is_dicomweb(store):
            label_uri = store.get_label_uri(result.get("label", image), tag or final_tag)
            if label_uri:
                fsync_path(label_uri)
            config = getattr(store, "_datastore_config_path", None)  # the datastore's own index of labels
            if config:
                fsync_path(config)
        return result

    save_label.seer_guarded = True
    return save_label


def guarded_json_fields(stock: Callable, *names: str) -> Callable:
    """Any MONAI Label endpoint function whose named form fields must be JSON objects (else a 400, not a 500)."""
    import inspect

    signature = inspect.signature(stock)

    def checked(*args, **kwargs):
        bound = signature.bind_partial(*args, **kwargs)
        try:
            for name in names:
                if name in bound.arguments:
                    parse_params(bound.arguments[name], name)
        except RequestRefused as error:
            raise _http(error) from None
        return stock(*args, **kwargs)

    checked.seer_guarded = True
    return checked


def install_http_guards(app_instance: Callable, final_tag: str = FINAL_TAG) -> None:
    """Check requests at MONAI Label's endpoints, in this (the server's) process. Idempotent.

    MONAI Label parses `params` and looks up ids inside its endpoint functions, before the app is asked, and
    answers what it cannot parse with a 500. Its route handlers call these module-level functions by name at each
    request, so wrapping them puts the checks in front without touching its routes: `run_inference`
    (params, model, image id, prompt length), `save_label` (params, image id, and for final labels the label
    itself), `run_model` and `run_method` (a train task or scoring method that exists), and the other endpoints
    that take a JSON form field (`update_image_info`, `update_label_info`); `add_image` (params, and the file a
    readable 3D image) and `proxy_dicom` (a 404 when there is no DICOMweb source behind it).
    """
    from monailabel.endpoints import datastore as datastore_endpoint
    from monailabel.endpoints import infer as infer_endpoint
    from monailabel.endpoints import proxy as proxy_endpoint
    from monailabel.endpoints import scoring as scoring_endpoint
    from monailabel.endpoints import train as train_endpoint

    if not getattr(infer_endpoint.run_inference, "seer_guarded", False):
        infer_endpoint.run_inference = guarded_run_inference(infer_endpoint.run_inference, app_instance)
    if not getattr(datastore_endpoint.save_label, "seer_guarded", False):
        datastore_endpoint.save_label = guarded_save_label(datastore_endpoint.save_label, app_instance, final_tag)
    for module, name, kind in ((train_endpoint, "run_model", "trainers"), (scoring_endpoint, "run_method", "scoring")):
        stock = getattr(module, name)
        if not getattr(stock, "seer_guarded", False):
            setattr(module, name, guarded_task_run(stock, app_instance, kind))
    if not getattr(datastore_endpoint.add_image, "seer_guarded", False):
        datastore_endpoint.add_image = guarded_add_image(datastore_endpoint.add_image)
    if not getattr(proxy_endpoint.proxy_dicom, "seer_guarded", False):
        proxy_endpoint.proxy_dicom = guarded_proxy(proxy_endpoint.proxy_dicom)
    for name, fields in (("update_image_info", ("info",)), ("update_label_info", ("info",))):
        stock = getattr(datastore_endpoint, name)
        if not getattr(stock, "seer_guarded", False):
            setattr(datastore_endpoint, name, guarded_json_fields(stock, *fields))
    logger.info("seer: request guards installed on the infer and datastore endpoints")


def _input_error_status(error: Exception) -> int | None:
    """The 4xx for an exception that MONAI Label raises on bad input; None for anything else (a real 500)."""
    from monailabel.interfaces.exception import (ImageNotFoundException, LabelNotFoundException, MONAILabelError,
                                                 MONAILabelException)

    if isinstance(error, (ImageNotFoundException, LabelNotFoundException)):
        return 404
    if isinstance(error, MONAILabelException) and error.error in (MONAILabelError.INVALID_INPUT,
                                                                  MONAILabelError.APP_INIT_ERROR):
        return 400  # "no model / strategy / method named ..." raised per request
    if isinstance(error, json.JSONDecodeError):
        return 400
    return None


def install_error_statuses(fastapi_app) -> None:
    """Answer MONAI Label's own bad-input exceptions (unknown image, label, model or strategy; a JSON field that
    does not parse) with a 4xx and the reason, instead of a bare 500. Other exceptions stay 500s: they are bugs.

    MONAI Label creates the app during its FastAPI app's start-up, after the middleware stack (which holds the
    exception handlers) was built, so the stack is rebuilt here; requests are not served before start-up ends.
    """
    from fastapi.responses import JSONResponse
    from monailabel.interfaces.exception import MONAILabelException

    async def bad_input(request, error: Exception):
        status = _input_error_status(error)
        if status is None:
            raise error
        message = error.msg if isinstance(error, MONAILabelException) else f"not JSON: {error}"
        return JSONResponse(status_code=status, content={"detail": str(message)[:MAX_MESSAGE_CHARS]})

    for kind in (MONAILabelException, json.JSONDecodeError):
        fastapi_app.exception_handlers[kind] = bad_input
    fastapi_app.middleware_stack = fastapi_app.build_middleware_stack()
