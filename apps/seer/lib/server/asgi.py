"""The ASGI app SEER Label is served as: MONAI Label's FastAPI app (`monailabel.app:app`, its routes and the
lifespan that creates the app), extended with FastAPI's public API before it starts.

    PYTHONPATH=apps/seer python -m monailabel.main start_server --app apps/seer --studies STUDIES \\
        --uvicorn_app lib.server.asgi:app

MONAI Label chooses the ASGI app only through that flag (uvicorn imports it before the app exists), so `make run`
passes it; a server started without it stops at start-up with a message naming it (`SeerApp.on_init_complete`).

What it adds:
- the request middleware (`middleware.py`): a request id on every reply; request limits; who may call and the
  guard of each route, from the route table (`routes.py`); an unexpected error becomes JSON with the request id;
- exception handlers: `RequestRefused` (from the app, its datastore, the infer task) answers with its status;
  MONAI Label's own bad-input errors (unknown image, label, model, strategy; a field that is not JSON) with a 4xx;
  any 5xx carries the request id, and its traceback is logged under it;
- SEER's routes: the skill bank (`GET /seer/skills/`, `POST /seer/skills/rollback`) and the route inventory
  (`GET /seer/routes`, admin);
- OHIF with the SEER panel at /ohif/ and the panel's read-only routes (`ohif.py`);
- `compat.install`: the token check and the role ladder, as FastAPI dependency overrides.
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.middleware import Middleware
from fastapi.responses import JSONResponse
from monailabel.interfaces.exception import (ImageNotFoundException, LabelNotFoundException, MONAILabelError,
                                             MONAILabelException)
from monailabel.interfaces.utils.app import app_instance
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..access import skills_router
from ..guards import RequestRefused
from . import compat, ohif
from .context import current_request, new_request_id
from .middleware import MAX_DETAIL_CHARS, REQUEST_ID_STATE, SeerRequestMiddleware, internal_error, log_refusal
from .routes import inventory, unlisted

logger = logging.getLogger(__name__)


def _request_id(request: Request) -> str:
    context = current_request()
    if context is not None:
        return context.request_id
    return getattr(request.state, REQUEST_ID_STATE, None) or new_request_id()


async def refused(request: Request, error: RequestRefused) -> JSONResponse:
    log_refusal(_request_id(request), request.method, request.url.path, error.status, error.detail)
    return JSONResponse(status_code=error.status, content={"detail": error.detail[:MAX_DETAIL_CHARS]})


def _monai_label_status(error: Exception) -> int | None:
    """The 4xx for an exception MONAI Label raises on bad input; None for anything else (a bug: a 500)."""
    if isinstance(error, (ImageNotFoundException, LabelNotFoundException)):
        return 404
    if isinstance(error, MONAILabelException) and error.error in (MONAILabelError.INVALID_INPUT,
                                                                  MONAILabelError.APP_INIT_ERROR):
        return 400  # "no model / strategy / method named ..." raised per request
    if isinstance(error, json.JSONDecodeError):
        return 400
    return None


async def monai_label_error(request: Request, error: Exception) -> JSONResponse:
    status = _monai_label_status(error)
    if status is None:
        return await unexpected(request, error)
    message = error.msg if isinstance(error, MONAILabelException) else f"not JSON: {error}"
    log_refusal(_request_id(request), request.method, request.url.path, status, str(message))
    return JSONResponse(status_code=status, content={"detail": str(message)[:MAX_DETAIL_CHARS]})


async def http_error(request: Request, error: StarletteHTTPException):
    """FastAPI's answer for a 4xx; a 5xx that an endpoint raised (MONAI Label's "Failed to execute infer") also
    carries the request id, logged with the reason."""
    if error.status_code < 500:
        return await http_exception_handler(request, error)
    request_id = _request_id(request)
    logger.error(f"seer: request {request_id} {request.method} {request.url.path} answered {error.status_code}: "
                 f"{error.detail}")
    return JSONResponse(status_code=error.status_code, headers=getattr(error, "headers", None),
                        content={"detail": str(error.detail)[:MAX_DETAIL_CHARS], "request_id": request_id})


async def unexpected(request: Request, error: Exception) -> JSONResponse:
    """Last resort, for an error outside the request middleware (the middleware catches the rest)."""
    request_id = _request_id(request)
    logger.error(f"seer: request {request_id} {request.method} {request.url.path} failed", exc_info=error)
    return internal_error(request_id)


def inventory_router(app: FastAPI) -> APIRouter:
    router = APIRouter(prefix="/seer", tags=["SEER server"])

    @router.get("/routes", summary="Every route of this server: who may call it and its guard (admin)")
    def routes():
        return {"routes": inventory(app.routes), "unlisted": unlisted(app.routes)}

    return router


def build(app: FastAPI) -> FastAPI:
    """Extend MONAI Label's app in place, before it serves its first request (idempotent)."""
    if getattr(app.state, "seer", False):
        return app
    app.include_router(skills_router(lambda: app_instance().skill_bank))
    app.include_router(inventory_router(app))
    ohif.install(app, app_instance)  # /ohif/ with the SEER panel; /seer/concepts, /seer/requests
    app.add_exception_handler(RequestRefused, refused)
    for kind in (MONAILabelException, json.JSONDecodeError):
        app.add_exception_handler(kind, monai_label_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
    # Inside MONAI Label's CORS middleware (add_middleware would put it outside), so refusals carry CORS headers.
    app.user_middleware.append(Middleware(SeerRequestMiddleware))
    deferred = compat.install(app)
    missing = unlisted(app.routes)
    if missing:
        logger.error(f"seer: routes without a row in lib/server/routes.py, refused: {missing}")
    logger.info(f"seer: server layer on MONAI Label {compat.MONAI_LABEL_VERSION}: {len(app.routes)} routes, "
                f"{deferred} role checks from the route table")
    app.state.seer = True
    return app


app = build(compat.stock_app())
