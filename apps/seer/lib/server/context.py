"""What the request middleware learnt about the request being served, for the code that serves it (`SeerApp.infer`,
the exception handlers). A context variable, so it follows the request through the endpoint and its thread pool;
outside a server request (training, batch inference, the CLI) there is none."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass


@dataclass
class RequestContext:
    request_id: str
    uploaded: bool = False  # the infer image is a file MONAI Label's endpoint stored (an upload, a session)
    output: str | None = None  # "dicom_seg" when the infer task must answer with a DICOM SEG
    content_type: str | None = None  # the reply's content type, when the middleware must set it
    response_started: bool = False


_CURRENT: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("seer_request", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def current_request() -> RequestContext | None:
    return _CURRENT.get()


def enter(context: RequestContext) -> contextvars.Token:
    return _CURRENT.set(context)


def leave(token: contextvars.Token) -> None:
    _CURRENT.reset(token)
