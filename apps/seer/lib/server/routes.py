"""The route table: every route the server exposes, who may call it, and which guard checks its request before
MONAI Label's endpoint runs. The request middleware (`middleware.py`) enforces both.

A route with no row is refused (403) and is listed at start-up and by `GET /seer/routes`; tests/test_server_layer.py
fails on it. So a route that a MONAI Label release adds cannot go unguarded silently: give it a row here.

Who may call: a level of the ladder (`lib/access.py`: admin > reviewer > annotator > user, a level admits those
above it) or `PUBLIC` (no token). MONAI Label's own level is kept unless SEER's policy says otherwise (marked
"SEER policy").

Guards take a `Call` and raise `RequestRefused`; they may note what they learnt in the request's context (an
uploaded image, a DICOM SEG reply) and rewrite its query. Checks that need the stored file itself (an upload, a
final label) are the datastore's (`datastore.py`), where MONAI Label's endpoint hands the file over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from monailabel.config import settings

from ..access import PUBLIC
from ..guards import RequestRefused, check_model, check_prompt, lookup_image, parse_params
from ..replies import DICOM_SEG
from .context import RequestContext


@dataclass
class Call:
    """What a guard sees of a request."""

    app: Callable[[], Any]  # the MONAILabelApp (created on first use)
    context: RequestContext
    path_params: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)  # a guard may rewrite it; the endpoint sees the result
    form: dict[str, str] = field(default_factory=dict)  # text fields of a multipart form
    files: set[str] = field(default_factory=set)  # names of the form's file fields
    body: Any = None  # a JSON body


Guard = Callable[[Call], None]


@dataclass(frozen=True)
class Rule:
    who: str  # a level of lib.access.LEVELS, or PUBLIC
    guard: Guard | None = None
    reads: str | None = None  # what the guard needs of the body: "form" or "json"


# --- guards -----------------------------------------------------------------------------------------------------

def guard_infer(call: Call) -> None:
    """`POST /infer/{model}`: params a JSON object; a known model (params may override it); a known session; the
    image a datastore id, never a path (params may override it too); a prompt within the limit. `output=dicom_seg`
    is answered by the infer task with a SEG coded from the ontology: MONAI Label's endpoint would refuse it without
    a client-side `label_info` and then code every segment as Spleen."""
    values = parse_params(call.form.get("params"))
    instance = call.app()
    check_model(values.get("model", call.path_params.get("model")), instance.info().get("models", {}))
    session_id = call.query.get("session_id", "")
    if session_id and instance.sessions() is not None and not instance.sessions().get_session(session_id):
        raise RequestRefused(404, f"no session {session_id[:80]!r}")
    call.context.uploaded = "file" in call.files or bool(session_id)
    if not call.context.uploaded:
        lookup_image(instance.datastore(), values.get("image", call.query.get("image", "")))
    if "prompt" in values:
        check_prompt(values["prompt"])
    if call.query.get("output") == DICOM_SEG:
        call.context.output = DICOM_SEG
        call.context.content_type = "application/dicom"
        call.query["output"] = "image"  # the task's result file is the SEG


def guard_batch_infer(call: Call) -> None:
    """`POST /batch/infer/{model}`: the same model and prompt checks as /infer; the JSON body is the params of
    every request of the batch."""
    check_model(call.path_params.get("model"), call.app().info().get("models", {}))
    if call.body is not None and not isinstance(call.body, dict):
        raise RequestRefused(400, 'the body must be a JSON object of params, e.g. {"prompt": "left kidney"}')
    check_prompt((call.body or {}).get("prompt"))


def guard_task(kind: str, param: str) -> Guard:
    """A train task or scoring method that exists: else a 404, not a task queued only to fail in its own process."""

    def guard(call: Call) -> None:
        check_model(call.path_params.get(param), call.app().info().get(kind, {}))

    guard.__name__ = f"guard_{kind}"
    return guard


def guard_train(call: Call) -> None:
    """`POST /train/{model}` and `POST /train/`: a known train task, and no round running on any server of the
    store (409 naming the running round; lib/server/train_round.py)."""
    if "model" in call.path_params:
        check_model(call.path_params.get("model"), call.app().info().get("trainers", {}))
    call.app().claim_train_round(sync=str(call.query.get("run_sync", "")).lower() in ("true", "1"))


def guard_json_fields(*names: str) -> Guard:
    """Form fields that must hold JSON objects (else a 400, not MONAI Label's 500)."""

    def guard(call: Call) -> None:
        for name in names:
            if name in call.form:
                parse_params(call.form[name], name)

    guard.__name__ = f"guard_json_{'_'.join(names)}"
    return guard


def guard_proxy(call: Call) -> None:
    """The DICOMweb proxy (what OHIF reads studies through): on a local studies folder there is nothing to forward
    to, which MONAI Label answers with a 500."""
    if not str(settings.MONAI_LABEL_STUDIES).startswith(("http://", "https://")):
        raise RequestRefused(404, "no DICOMweb source: this server was started on a local studies folder; start it "
                                  "with --studies http://PACS/dicom-web for OHIF")


def guard_no_wsi(call: Call) -> None:
    raise RequestRefused(404, "SEER Label serves no whole-slide (WSI) models; use POST /infer/{model}")


# --- the table --------------------------------------------------------------------------------------------------

_form = "form"
_json = "json"
_params = guard_json_fields("params")
_info = guard_json_fields("info")
_proxy = Rule("user", guard_proxy)

ROUTES: dict[tuple[str, str], Rule] = {
    # MONAI Label's API page, static files, the OpenAPI document
    ("GET", "/"): Rule(PUBLIC),
    ("GET", "/favicon.ico"): Rule(PUBLIC),
    ("*", "/static"): Rule(PUBLIC),
    ("GET", "/openapi.json"): Rule(PUBLIC),
    ("HEAD", "/openapi.json"): Rule(PUBLIC),
    ("GET", "/docs"): Rule(PUBLIC),
    ("HEAD", "/docs"): Rule(PUBLIC),
    # MONAI Label's login helpers (only with auth enabled): they hand out tokens
    ("GET", "/auth/"): Rule(PUBLIC),
    ("POST", "/auth/token"): Rule(PUBLIC),
    ("GET", "/auth/token/valid"): Rule(PUBLIC),
    ("POST", "/reload"): Rule("admin"),  # SEER policy: stock MONAI Label lets anyone re-create the app
    ("GET", "/info/"): Rule("user"),
    ("GET", "/model/{model}"): Rule("admin"),
    ("GET", "/model/info/{model}"): Rule("admin"),
    ("PUT", "/model/{model}"): Rule("annotator"),
    ("DELETE", "/model/{model}"): Rule("annotator"),
    ("POST", "/infer/{model}"): Rule("user", guard_infer, _form),
    ("POST", "/infer/wsi/{model}"): Rule("user", guard_no_wsi),
    ("POST", "/infer/wsi_v2/{model}"): Rule("user", guard_no_wsi),
    ("GET", "/batch/infer"): Rule("user"),
    ("POST", "/batch/infer/{model}"): Rule("admin", guard_batch_infer, _json),
    ("DELETE", "/batch/infer"): Rule("admin"),
    ("GET", "/train/"): Rule("user"),
    ("POST", "/train/"): Rule("reviewer", guard_train),  # SEER policy: training changes what the app answers
    ("POST", "/train/{model}"): Rule("reviewer", guard_train),  # SEER policy
    ("DELETE", "/train/"): Rule("reviewer"),  # SEER policy
    ("POST", "/activelearning/{strategy}"): Rule("user"),  # an unknown strategy: MONAI Label's error, a 400
    ("GET", "/scoring/"): Rule("user"),
    ("POST", "/scoring/"): Rule("annotator"),
    ("POST", "/scoring/{method}"): Rule("annotator", guard_task("scoring", "method")),
    ("DELETE", "/scoring/"): Rule("annotator"),
    ("GET", "/datastore/"): Rule("user"),
    ("PUT", "/datastore/"): Rule("annotator", _params, _form),
    ("PUT", "/datastore/image"): Rule("annotator", _params, _form),
    ("DELETE", "/datastore/"): Rule("admin"),
    ("DELETE", "/datastore/image"): Rule("admin"),
    ("HEAD", "/datastore/image"): Rule("user"),
    ("GET", "/datastore/image"): Rule("user"),
    ("GET", "/datastore/image/info"): Rule("user"),
    ("PUT", "/datastore/image/info"): Rule("annotator", _info, _form),
    ("PUT", "/datastore/label"): Rule("reviewer", _params, _form),  # SEER policy: final labels train the app
    ("DELETE", "/datastore/label"): Rule("admin"),
    ("HEAD", "/datastore/label"): Rule("user"),
    ("GET", "/datastore/label"): Rule("user"),
    ("GET", "/datastore/label/info"): Rule("user"),
    ("PUT", "/datastore/label/info"): Rule("annotator", _info, _form),
    ("PUT", "/datastore/updatelabelinfo"): Rule("annotator", _params, _form),
    ("GET", "/datastore/dataset"): Rule("annotator"),
    ("GET", "/logs/"): Rule("admin"),
    ("GET", "/logs/gpu"): Rule("admin"),
    # The viewer's own code and styles, no patient data: a browser's page load carries no token. OHIF signs the
    # user in (--conf ohif_oidc) and sends the token on its data requests (/proxy/dicom/, the SEER panel's).
    ("GET", "/ohif/{path:path}"): Rule(PUBLIC),
    ("GET", "/proxy/dicom/wado/{path:path}"): _proxy,
    ("POST", "/proxy/dicom/wado/{path:path}"): _proxy,
    ("GET", "/proxy/dicom/qido/{path:path}"): _proxy,
    ("POST", "/proxy/dicom/qido/{path:path}"): _proxy,
    ("GET", "/proxy/dicom/stow/{path:path}"): _proxy,
    ("POST", "/proxy/dicom/stow/{path:path}"): _proxy,
    ("GET", "/proxy/dicom/{path:path}"): _proxy,
    ("POST", "/proxy/dicom/{path:path}"): _proxy,
    ("GET", "/session/{session_id}"): Rule("user"),
    ("PUT", "/session/"): Rule("user"),
    ("DELETE", "/session/{session_id}"): Rule("user"),
    # SEER's own routes (asgi.py)
    ("GET", "/seer/skills/"): Rule("user"),
    ("POST", "/seer/skills/rollback"): Rule("reviewer"),
    ("GET", "/seer/routes"): Rule("admin"),
    # the OHIF panel's read-only routes (ohif.py); /ohif/ itself is served by ohif.py under the row above
    ("GET", "/seer/concepts"): Rule("user"),
    ("GET", "/seer/requests"): Rule("user"),
    ("GET", "/seer/dicomweb/{path:path}"): Rule("user"),  # read-only, to --conf ohif_dicomweb; 404 without it
}


def flat_routes(routes) -> list:
    """Every route of an app, one entry per route: FastAPI (0.16x) keeps each included router as a single entry of
    `app.routes`, and `iter_route_contexts` expands them (each with its full path, methods, dependant, matches)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # an older FastAPI lists every route in app.routes itself
        return list(routes)
    return list(iter_route_contexts(routes))


def route_keys(routes) -> list[tuple[str, str]]:
    """(method, path) of every route of an app; a mount (static files) answers any method: "*"."""
    keys = []
    for route in flat_routes(routes):
        methods = getattr(route, "methods", None) or {"*"}
        keys += [(method, route.path) for method in sorted(methods)]
    return keys


def unlisted(routes, table: dict[tuple[str, str], Rule] | None = None) -> list[str]:
    """The routes of an app that have no row in the table, as "METHOD /path"."""
    table = ROUTES if table is None else table
    return [f"{method} {path}" for method, path in route_keys(routes) if (method, path) not in table]


def inventory(routes, table: dict[tuple[str, str], Rule] | None = None) -> list[dict]:
    """Every route with its row: who may call it and its guard (None for an unlisted route)."""
    table = ROUTES if table is None else table
    rows = []
    for method, path in route_keys(routes):
        rule = table.get((method, path))
        rows.append({"method": method, "path": path, "who": rule.who if rule else None,
                     "guard": (rule.guard.__name__ if rule.guard else "none") if rule else None})
    return rows
