"""The request middleware: every request gets an id, is matched to its row of the route table, and is admitted
(request limits, who may call, the route's guard) before MONAI Label's endpoint sees it. Anything unexpected that
escapes the endpoint comes back as JSON with the request id, and its traceback is logged under the same id.

It sits inside MONAI Label's CORS middleware, so refusals carry the same CORS headers as answers.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import urllib.parse
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.routing import Match

from ..access import PUBLIC, ladder
from ..guards import RequestRefused
from . import compat
from .context import RequestContext, enter, leave, new_request_id
from .routes import ROUTES, Call, Rule, flat_routes

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
REQUEST_ID_STATE = "seer_request_id"
# Request limit: the largest body accepted (an uploaded CT of 512x512x600 int16 is ~300 MB uncompressed).
# SEER_MAX_REQUEST_MB overrides it.
DEFAULT_MAX_REQUEST_MB = 1024
SPOOL_BYTES = 1024 * 1024  # a buffered body stays in memory up to this size, then goes to a temporary file
CHUNK_BYTES = 64 * 1024
MAX_DETAIL_CHARS = 600


def max_request_bytes() -> int:
    raw = os.environ.get("SEER_MAX_REQUEST_MB", "")
    try:
        return int(float(raw) * 1024 * 1024) if raw else DEFAULT_MAX_REQUEST_MB * 1024 * 1024
    except ValueError:
        raise RuntimeError(f"SEER_MAX_REQUEST_MB={raw!r} is not a number of megabytes") from None


def internal_error(request_id: str) -> JSONResponse:
    return JSONResponse(status_code=500, content={
        "detail": f"internal error; the server log has the details under request id {request_id}",
        "request_id": request_id})


def log_refusal(request_id: str, method: str, path: str, status: int, detail: str) -> None:
    logger.info(f"seer: request {request_id} {method} {path} refused {status}: {detail[:200]}")


class _Body:
    """A request body read once and replayed to the endpoint (bounded in memory: see SPOOL_BYTES)."""

    def __init__(self):
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        self.size = 0

    async def read_from(self, receive, limit: int) -> None:
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                raise RequestRefused(400, "the client closed the request before its body ended")
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size > limit:
                raise RequestRefused(413, f"the request body is over the limit of {limit // 2**20} MB")
            self.file.write(chunk)
            more = message.get("more_body", False)

    def bytes(self) -> bytes:
        self.file.seek(0)
        return self.file.read()

    def replay(self, receive):
        """An ASGI `receive` that yields the body again, then hands on to the real one (disconnects)."""
        self.file.seek(0)
        done = False

        async def replayed() -> dict:
            nonlocal done
            if done:
                return await receive()
            chunk = self.file.read(CHUNK_BYTES)
            more = self.file.tell() < self.size
            done = not more
            return {"type": "http.request", "body": chunk, "more_body": more}

        return replayed


class SeerRequestMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware: the endpoint runs in the request's own task and context)."""

    def __init__(self, app, table: dict[tuple[str, str], Rule] | None = None):
        self.app = app
        self.table = ROUTES if table is None else table

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = RequestContext(request_id=new_request_id())
        scope.setdefault("state", {})[REQUEST_ID_STATE] = context.request_id
        token = enter(context)
        send = self._tagged(send, context)
        body: _Body | None = None
        try:
            refusal, body = await self._admit(scope, receive, context)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            await self.app(scope, body.replay(receive) if body is not None else receive, send)
        except Exception:
            logger.exception(f"seer: request {context.request_id} {scope['method']} {scope['path']} failed")
            if context.response_started:
                raise  # the reply is half sent; the server closes the connection
            await internal_error(context.request_id)(scope, receive, send)
        finally:
            if body is not None:
                body.file.close()
            leave(token)

    @staticmethod
    def _tagged(send, context: RequestContext):
        """Every reply carries the request id (and the content type a guard asked for)."""

        async def tagged(message: dict) -> None:
            if message["type"] == "http.response.start":
                context.response_started = True
                headers = [(k, v) for k, v in message.get("headers", [])
                           if not (context.content_type and k.lower() == b"content-type")]
                headers.append((REQUEST_ID_HEADER.encode(), context.request_id.encode()))
                if context.content_type:
                    headers.append((b"content-type", context.content_type.encode()))
                message = {**message, "headers": headers}
            await send(message)

        return tagged

    def _match(self, scope) -> tuple[Any, dict]:
        """The route that will serve the request and its path parameters; (None, {}) when the router answers it
        itself (404, 405)."""
        for route in flat_routes(scope["app"].routes):
            match, child = route.matches(scope)
            if match == Match.FULL:
                return route, child.get("path_params", {})
        return None, {}

    async def _admit(self, scope, receive, context: RequestContext) -> tuple[Any, _Body | None]:
        """(a refusal to send or None, the buffered body or None)."""
        method, path = scope["method"], scope["path"]

        def refuse(status: int, detail: str, headers: dict | None = None):
            log_refusal(context.request_id, method, path, status, detail)
            return JSONResponse(status_code=status, content={"detail": detail[:MAX_DETAIL_CHARS]}, headers=headers)

        route, path_params = self._match(scope)
        if route is None:
            return None, None
        key = (method if getattr(route, "methods", None) else "*", route.path)
        rule = self.table.get(key)
        if rule is None:
            logger.error(f"seer: {method} {route.path} has no row in the route table (lib/server/routes.py)")
            return refuse(403, f"{method} {route.path} is not enabled on this server: it has no row in SEER "
                               "Label's route table"), None
        limit = max_request_bytes()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return refuse(413, f"the request body ({int(declared) // 2**20} MB) is over the limit of "
                               f"{limit // 2**20} MB"), None
        if rule.who != PUBLIC:
            try:
                user = compat.authenticate(headers.get("authorization"))
            except HTTPException as error:
                return refuse(error.status_code, str(error.detail), error.headers), None
            allowed = ladder(rule.who, compat.role_names())
            if compat.auth_enabled() and not set(allowed) & set(user.roles):
                return refuse(403, f'Role "{allowed[-1]}" or above is required to perform this action'), None
            scope["state"][compat.USER_STATE] = user
        if rule.guard is None:
            return None, None
        body = None
        call = Call(app=_app_instance, context=context, path_params=dict(path_params),
                    query=dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                                      keep_blank_values=True)))
        try:
            if rule.reads:
                body = _Body()
                await body.read_from(receive, limit)
                if rule.reads == "form":
                    await self._read_form(scope, body, call)
                else:
                    call.body = self._read_json(body)
            query = dict(call.query)
            await run_in_threadpool(rule.guard, call)
        except RequestRefused as error:
            return refuse(error.status, error.detail), body
        except HTTPException as error:  # a form Starlette cannot parse
            return refuse(error.status_code, str(error.detail)), body
        if call.query != query:
            scope["query_string"] = urllib.parse.urlencode(call.query).encode("latin-1")
        return None, body

    @staticmethod
    async def _read_form(scope, body: _Body, call: Call) -> None:
        async def nothing_more() -> dict:
            return {"type": "http.disconnect"}

        form = await Request(scope, body.replay(nothing_more)).form()
        try:
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    call.files.add(name)
                else:
                    call.form[name] = value
        finally:
            await form.close()

    @staticmethod
    def _read_json(body: _Body) -> Any:
        raw = body.bytes()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError as error:
            raise RequestRefused(400, f"the body is not JSON ({error})") from None


def _app_instance():
    from monailabel.interfaces.utils.app import app_instance

    return app_instance()
