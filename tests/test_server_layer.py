"""The server layer (apps/seer/lib/server/): SEER's own ASGI app on MONAI Label's extension points, driven over HTTP
on the real server (`make run`).

- Every route the running server exposes has a row in the route table (who may call it, its guard); a route
  without one fails the inventory and is refused.
- `/batch/infer` gets the prompt checks of `/infer`.
- `POST /reload` twice leaves one layer of each behaviour: one refusal, one request-log record per request, one
  pairing per final label.
- An unexpected error (a reasoner stage made to fail through the documented test hook, SEER_TEST_HOOK) is JSON
  with a request id, and the traceback is in the log under the same id.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import requests
import SimpleITK as sitk

from conftest import APP, REPO
from helpers import STARTUP_TIMEOUT_S, running_server
from processes import free_port, wait_until_ready

CT_ID = "example_ct_sm"
KIDNEY_LEFT_TOTAL = 3
FAIL_MARK = "SEER-TEST-FAIL"  # prompts holding it make the reasoning stage raise (see HOOK)
MAX_REQUEST_MB = 8  # small, so that the request-limit test sends little
# Runs inside the server process on each app instance (SEER_TEST_HOOK): the reasoning stage of the pipeline raises
# for prompts holding FAIL_MARK, as a bug in a reasoner would.
HOOK = textwrap.dedent(f"""
    def apply(app):
        engine = app.pipeline.engine
        understand = engine.understand

        def failing(prompt, evidence, *context):
            if {FAIL_MARK!r} in prompt:
                raise RuntimeError("injected failure in the reasoning stage")
            return understand(prompt, evidence, *context)

        engine.understand = failing
""")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    hook = tmp_path_factory.mktemp("hook") / "hook.py"
    hook.write_text(HOOK)
    env = {"SEER_TEST_HOOK": str(hook), "SEER_MAX_REQUEST_MB": str(MAX_REQUEST_MB)}
    with running_server(tmp_path_factory, env=env) as running:
        yield running


def infer(server, params, image=CT_ID, model="seer"):
    return requests.post(f"{server['url']}/infer/{model}", params={"image": image, "output": "json"},
                         files={"params": (None, json.dumps(params))}, timeout=120)


def log_lines(server, request_id: str) -> list[str]:
    return [line for line in server["log"].read_text().splitlines() if request_id in line]


# --- the route inventory ----------------------------------------------------------------------------------------

def test_every_route_of_the_running_server_has_a_row_in_the_route_table(server):
    from lib.access import LEVELS, PUBLIC
    from lib.server.routes import ROUTES

    listed = requests.get(f"{server['url']}/seer/routes", timeout=30).json()
    assert listed["unlisted"] == []
    rows = {(r["method"], r["path"]): r for r in listed["routes"]}
    for (method, path), row in rows.items():
        assert row["who"] in (*LEVELS, PUBLIC), row
        rule = ROUTES[(method, path)]
        assert row["who"] == rule.who and row["guard"] == (rule.guard.__name__ if rule.guard else "none")
    # The inventory is the server's own: every operation of its OpenAPI document is in it.
    openapi = requests.get(f"{server['url']}/openapi.json", timeout=30).json()
    for path, operations in openapi["paths"].items():
        for method in operations:
            assert (method.upper(), path) in rows, (method, path)
    # The rows that carry SEER's checks and policy
    assert rows[("POST", "/infer/{model}")]["guard"] == "guard_infer"
    assert rows[("POST", "/batch/infer/{model}")]["guard"] == "guard_batch_infer"
    assert rows[("PUT", "/datastore/label")]["who"] == "reviewer"
    assert rows[("GET", "/proxy/dicom/qido/{path:path}")]["guard"] == "guard_proxy"


def test_a_route_without_a_row_fails_the_inventory_and_is_refused():
    from fastapi import APIRouter, FastAPI
    from fastapi.middleware import Middleware
    from fastapi.testclient import TestClient
    from lib.server.middleware import SeerRequestMiddleware
    from lib.server.routes import ROUTES, Rule, unlisted

    router = APIRouter(prefix="/new")

    @router.get("/listed")
    def listed():
        return {"ok": True}

    @router.post("/release")  # as a new MONAI Label release might add
    def release():
        return {"ok": True}

    table = {**ROUTES, ("GET", "/new/listed"): Rule("user")}
    app = FastAPI(middleware=[Middleware(SeerRequestMiddleware, table=table)])
    app.include_router(router)
    assert [r for r in unlisted(app.routes, table) if r.startswith(("GET /new", "POST /new"))] == ["POST /new/release"]
    with TestClient(app) as client:
        assert client.get("/new/listed").status_code == 200
        refused = client.post("/new/release")
        assert refused.status_code == 403 and "route table" in refused.json()["detail"]


# --- /batch/infer -----------------------------------------------------------------------------------------------

def test_batch_infer_gets_the_prompt_checks_of_infer(server):
    url = f"{server['url']}/batch/infer"
    for body, status in (({}, 400), ({"prompt": ""}, 400), ({"prompt": 5}, 400), ([1], 400),
                         ({"prompt": "left kidney " * 400}, 413)):
        reply = requests.post(f"{url}/seer", json=body, timeout=30)
        assert reply.status_code == status, (body, reply.text)
        assert "prompt" in reply.json()["detail"] or "JSON object" in reply.json()["detail"]
    unknown = requests.post(f"{url}/no_such_model", json={"prompt": "liver"}, timeout=30)
    assert unknown.status_code == 404 and "seer" in unknown.json()["detail"]
    # the same over /infer
    assert infer(server, {"prompt": ""}).status_code == 400
    assert infer(server, {"prompt": "left kidney " * 400}).status_code == 413


# --- request limits ---------------------------------------------------------------------------------------------

def test_a_body_over_the_request_limit_gets_413_before_it_is_read(server):
    junk = b"\0" * ((MAX_REQUEST_MB + 1) * 1024 * 1024)
    reply = requests.put(f"{server['url']}/datastore/image", params={"image": "too_big"},
                         files={"file": ("too_big.nii.gz", junk)}, timeout=60)
    assert reply.status_code == 413 and f"{MAX_REQUEST_MB} MB" in reply.json()["detail"], reply.text
    assert requests.get(f"{server['url']}/datastore/image", params={"image": "too_big"}, timeout=30).status_code == 404


# --- never a bare 500 -------------------------------------------------------------------------------------------

def test_a_failing_reasoner_stage_gets_json_500_with_a_request_id_that_is_in_the_log(server):
    reply = infer(server, {"prompt": f"left kidney {FAIL_MARK}"})
    assert reply.status_code == 500, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    request_id = body["request_id"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id) and reply.headers["x-request-id"] == request_id
    assert request_id in body["detail"]
    log = server["log"].read_text()
    at = log.index(f"request {request_id} POST /infer/seer failed")
    assert "Traceback" in log[at:] and "injected failure in the reasoning stage" in log[at:]
    # the server still answers
    assert infer(server, {"prompt": "left kidney"}).status_code == 200


@pytest.mark.parametrize("prompt", [
    "the structure between the liver and the left kidney",
    "segment the organ between the spleen and the stomach",
    "whatever lies below the liver and above the right kidney",
    "the vertebra between T12 and L2, not the ribs",
])
def test_plausible_clinical_requests_never_get_a_bare_500(server, prompt):
    reply = infer(server, {"prompt": prompt})
    assert reply.headers["content-type"].startswith("application/json"), reply.text[:300]
    if reply.status_code >= 500:
        assert reply.json()["request_id"] == reply.headers["x-request-id"]
    else:
        assert reply.json()["spec"]["status"] in ("ok", "rejected", "clarify")


# --- POST /reload -----------------------------------------------------------------------------------------------

def kidney_label(ct_map_path, path) -> bytes:
    reference = sitk.ReadImage(str(ct_map_path))
    mask = sitk.GetImageFromArray((sitk.GetArrayFromImage(reference) == KIDNEY_LEFT_TOTAL).astype(np.uint8))
    mask.CopyInformation(reference)
    sitk.WriteImage(mask, str(path), useCompression=True)
    return path.read_bytes()


def test_reload_twice_leaves_one_layer_of_each_behaviour(server, ct_map_path, tmp_path):
    for _ in range(2):
        assert requests.post(f"{server['url']}/reload", timeout=60).status_code == 200

    # one refusal: one 404, logged once under its request id
    refused = infer(server, {"prompt": "liver"}, image="no_such_image")
    assert refused.status_code == 404 and refused.json()["detail"] == "image 'no_such_image' is not in the datastore"
    assert len([line for line in log_lines(server, refused.headers["x-request-id"]) if "refused" in line]) == 1
    # a refusal raised inside the app (the datastore's upload check): one as well
    junk = requests.put(f"{server['url']}/datastore/image", params={"image": "junk"},
                        files={"file": ("junk.nii.gz", b"not an image at all")}, timeout=60)
    assert junk.status_code == 422 and "not gzip-compressed" in junk.json()["detail"], junk.text
    assert len([line for line in log_lines(server, junk.headers["x-request-id"]) if "refused" in line]) == 1

    # one request-log record per request
    prompt = "outline the lt kidny (reload check)"
    answer = infer(server, {"prompt": prompt})
    assert answer.status_code == 200 and answer.json()["spec"]["targets"] == ["kidney_left"], answer.text
    from lib.request_log import CorrectionLog, RequestLog

    records = RequestLog(server["model_dir"]).read()
    assert [r.request_id for r in records if r.prompt == prompt] == [answer.json()["request_id"]]

    # one pairing per final label
    corrections = CorrectionLog(server["model_dir"])
    before = corrections.read()
    saved = requests.put(f"{server['url']}/datastore/label", params={"image": CT_ID, "tag": "final"},
                         files={"label": ("final.nii.gz", kidney_label(ct_map_path, tmp_path / "final.nii.gz"))},
                         timeout=60)
    assert saved.status_code == 200, saved.text
    assert saved.json()["seer_paired_request"] == answer.json()["request_id"]
    after = corrections.read()
    assert len(after) == len(before) + 1 and after[-1].prompt == prompt
    assert len([line for line in log_lines(server, answer.json()["request_id"]) if "paired with request" in line]) == 1


# --- the entry point --------------------------------------------------------------------------------------------

def test_the_server_will_not_start_as_monai_labels_stock_app(tmp_path):
    """Without `--uvicorn_app lib.server.asgi:app` no request would be checked: start-up stops and names the flag.
    (The process lingers for a minute after uvicorn gives up, so the test reads the log, then stops it.)"""
    command = [sys.executable, "-m", "monailabel.main", "start_server", "--app", str(APP), "--studies",
               str(tmp_path / "studies"), "--host", "127.0.0.1", "--port", str(free_port()),
               "--conf", "model_dir", str(tmp_path / "model")]
    log = open(tmp_path / "server.log", "w+")
    process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, "PYTHONPATH": str(APP)})

    def failed() -> bool:
        return "Application startup failed" in (tmp_path / "server.log").read_text()

    try:
        wait_until_ready(process, log, failed, "the stock start-up", STARTUP_TIMEOUT_S)
    except RuntimeError as error:  # it exited first: the log must still say why
        assert "Application startup failed" in str(error), error
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # it has failed; SIGTERM would wait for its lingering threads
        process.wait(timeout=60)
        log.close()
    assert "--uvicorn_app lib.server.asgi:app" in (tmp_path / "server.log").read_text()
    assert "Application startup complete" not in (tmp_path / "server.log").read_text()


def monai_label_assignments(source: str) -> list[str]:
    """`name.attr = ...` (or `setattr(name, ...)`) where `name` was imported from MONAI Label."""
    tree = ast.parse(source)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("monailabel")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("monailabel"):
            names |= {a.asname or a.name for a in node.names}
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            base = target
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(target, ast.Attribute) and isinstance(base, ast.Name) and base.id in names:
                found.append(f"line {node.lineno}: {ast.unparse(target)} = ...")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
                and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in names):
            found.append(f"line {node.lineno}: setattr({node.args[0].id}, ...)")
    return found


def test_no_module_assigns_a_monai_label_attribute():
    """compat.py is the only module that reaches into MONAI Label, and even it assigns none of its attributes (its
    fixes are FastAPI dependency overrides); no other module does either."""
    assert monai_label_assignments("import monailabel.endpoints.infer as e\ne.run_inference = None\n")  # the check bites
    assert monai_label_assignments("from monailabel.endpoints.user import auth\nsetattr(auth, 'x', 1)\n")
    offenders = {str(path.relative_to(REPO)): found for path in (REPO / "apps" / "seer").rglob("*.py")
                 if (found := monai_label_assignments(path.read_text()))}
    assert offenders == {}
