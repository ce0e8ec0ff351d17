"""A team: two real MONAI Label servers (`make run`, tests/helpers.py) on one real PostgreSQL (tests/postgres.py),
`--conf store postgresql://...`, each with its own studies folder and model_dir, as two GPU machines behind a load
balancer would be.

In order, against the same pair of servers: a shorthand taught through A is answered by B at its next request, and
the final label saved through A pairs with the request B served; two train calls at once, one per server, give one
round and one 409; 400 requests at concurrency 8 over both leave exactly 400 records; a server SIGKILLed while
writing loses no acknowledged record.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import requests
import SimpleITK as sitk

from helpers import running_server
from lib.request_log import RequestLog
from postgres import running_postgres

IMAGE = "example_ct_sm"
KIDNEY_LEFT = 3  # its value in the sample's segment-everything map (TotalSegmentator "total")
TRAIN_TIMEOUT_S = 300
REQUESTS, CONCURRENCY = 400, 8
PROMPTS = ("left kidney", "outline the lt kidny", "the organ that stores bile", "segment T12 to L2", "both adrenals",
           "spleen please", "kidney", "brain")


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """Both servers start at once on an empty database: their schema migrations take turns (advisory lock)."""
    with running_postgres() as database, contextlib.ExitStack() as servers:
        args = f"--conf store {database['url']}"
        with ThreadPoolExecutor(2) as pool:
            starting = [pool.submit(servers.enter_context, running_server(tmp_path_factory, server_args=args))
                        for _ in range(2)]
            a, b = (future.result() for future in starting)
        yield {"a": a, "b": b, "store": database["url"]}


def infer(server: dict, prompt: str) -> requests.Response:
    return requests.post(f"{server['url']}/infer/seer", params={"image": IMAGE, "output": "json"},
                         files={"params": (None, json.dumps({"prompt": prompt}))}, timeout=120)


def wait_for_training(server: dict) -> dict:
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        status = requests.get(f"{server['url']}/train/", timeout=30).json()
        if status.get("status") not in ("SUBMITTED", "RUNNING"):
            assert status["status"] == "DONE", status
            return status
        time.sleep(0.5)
    pytest.fail("training did not finish in time")


def test_a_shorthand_taught_on_a_is_answered_by_b(team, ct_map_path, tmp_path):
    a, b = team["a"], team["b"]
    before = infer(b, "lkid for volumetry")
    assert before.status_code == 200 and before.json()["spec"]["targets"] != ["kidney_left"]

    # The final label is saved through A; the request it corrects was served by B.
    reference = sitk.ReadImage(str(ct_map_path))
    mask = sitk.GetImageFromArray((sitk.GetArrayFromImage(reference) == KIDNEY_LEFT).astype(np.uint8))
    mask.CopyInformation(reference)
    sitk.WriteImage(mask, str(tmp_path / "final.nii.gz"))
    with open(tmp_path / "final.nii.gz", "rb") as f:
        saved = requests.put(f"{a['url']}/datastore/label", params={"image": IMAGE, "tag": "final"},
                             files={"label": ("final.nii.gz", f), "params": (None, "{}")}, timeout=60)
    assert saved.status_code == 200, saved.text
    assert saved.json()["seer_paired_request"] == before.json()["request_id"]

    # The round runs in A's process (MONAI Label's run_sync); the background process is the next test's.
    trained = requests.post(f"{a['url']}/train/seer", params={"run_sync": True}, json={}, timeout=TRAIN_TIMEOUT_S)
    assert trained.status_code == 200 and trained.json()["harvested"] == 1, trained.text
    after = infer(b, "pls seg lkid")  # B's next request, no restart, another wording
    spec = after.json()["spec"]
    assert spec["targets"] == ["kidney_left"] and spec["skill"], spec["trace"]["rationale"]
    assert requests.get(f"{b['url']}/info/", timeout=30).json()["models"]["seer"]["skill_bank"]["version"] == "v0001"


def test_two_train_calls_at_once_one_runs_the_other_gets_409(team):
    servers = [team["a"], team["b"]]
    barrier = threading.Barrier(2)

    def post(server: dict) -> requests.Response:
        barrier.wait()
        return requests.post(f"{server['url']}/train/seer", json={}, timeout=60)

    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(post, servers))
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200, 409], [r.text for r in replies]
    refused = next(r for r in replies if r.status_code == 409)
    assert re.search(r"train round \d+ is running", refused.json()["detail"]), refused.text
    wait_for_training(servers[[r.status_code for r in replies].index(200)])


def test_400_requests_at_concurrency_8_over_both_servers_leave_exactly_400_records(team):
    log = RequestLog(team["store"])
    before = {r.request_id for r in log.read()}
    servers = [team["a"], team["b"]]

    def one(k: int) -> tuple[int, str | None]:
        reply = infer(servers[k % 2], PROMPTS[k % len(PROMPTS)])
        return reply.status_code, reply.json().get("request_id") if reply.status_code == 200 else None

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        outcomes = list(pool.map(one, range(REQUESTS)))
    codes = Counter(code for code, _ in outcomes)
    assert not [c for c in codes if c >= 500] and codes == {200: REQUESTS}, codes
    acknowledged = [request_id for _, request_id in outcomes]
    stored = [r.request_id for r in log.read() if r.request_id not in before]
    assert len(stored) == REQUESTS and len(set(stored)) == REQUESTS  # exactly 400, no duplicates
    assert set(stored) == set(acknowledged)


def server_pid(log_path) -> int:
    match = re.search(r"Started server process \[(\d+)\]", log_path.read_text())
    assert match, "no server pid in the log"
    return int(match.group(1))


def test_a_server_killed_with_sigkill_during_writes_loses_no_acknowledged_record(team):
    """Last: it kills server B."""
    b = team["b"]
    acknowledged: list[str] = []
    stop = threading.Event()

    def client() -> None:
        session = requests.Session()
        while not stop.is_set():
            try:
                reply = session.post(f"{b['url']}/infer/seer", params={"image": IMAGE, "output": "json"},
                                     files={"params": (None, json.dumps({"prompt": "left kidney"}))}, timeout=30)
            except requests.RequestException:
                return  # the server is gone
            if reply.status_code == 200:
                acknowledged.append(reply.json()["request_id"])

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < 20 and time.monotonic() < deadline:  # writes are under way
        time.sleep(0.05)
    assert len(acknowledged) >= 20, "the server never got going; the test would prove nothing"
    time.sleep(random.Random("seer-team").uniform(0.2, 1.5))
    os.kill(server_pid(b["log"]), signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    stored = {r.request_id for r in RequestLog(team["store"]).read()}
    assert acknowledged and set(acknowledged) <= stored, f"lost {len(set(acknowledged) - stored)} records"
    assert infer(team["a"], "liver").status_code == 200  # the other server serves on
