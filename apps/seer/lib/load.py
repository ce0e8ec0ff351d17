"""`cli.py load`: a bounded, self-stopping load test of a local SEER Label server.

It sends a fixed number of requests from a fixed number of threads, mixing infer requests of several kinds with
deliberately bad ones, and stops at the count or the deadline, whichever comes first. It only talks to loopback
addresses, so it cannot be pointed at someone else's server. With the server's model_dir it also checks that each
acknowledged request (a 200 carrying a `request_id`) has its record in the server's store.
"""

from __future__ import annotations

import ipaddress
import json
import math
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import requests

# The request mix, by kind: the prompt styles the suites measure, and requests that must get a 4xx.
GOOD_PROMPTS = {
    "lexicon": "left kidney",
    "typo": "outline the lt kidny for volumetry",
    "group": "both kidneys",
    "range": "T12 to L2",
    "description": "the organ that stores bile",
    "exclusion": "liver without the gallbladder",
    "refusal": "segment the brain",
}
BAD_KINDS = ("bad_params", "unknown_image", "long_prompt")
LONG_PROMPT_CHARS = 5000  # over guards.MAX_PROMPT_CHARS
DEFAULT_BAD_EVERY = 8  # one request in this many is a deliberately bad one


class LoadError(ValueError):
    """The load test cannot run as asked (a non-loopback URL, bad counts)."""


def check_loopback(url: str) -> str:
    """The URL without a trailing slash, when its host is a loopback address; otherwise LoadError."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise LoadError(f"--url {url!r}: give an http URL of a local server, e.g. http://127.0.0.1:8000")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parsed.hostname, parsed.port or 80)}
    except socket.gaierror as error:
        raise LoadError(f"--url {url!r}: cannot resolve {parsed.hostname!r} ({error})") from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise LoadError(f"--url {url!r}: the load test only runs against a server on this machine "
                        f"(127.0.0.1, ::1 or localhost); {parsed.hostname} is {sorted(addresses)}")
    return url.rstrip("/")


@dataclass
class Outcome:
    kind: str
    status: int | None  # None: no HTTP answer (timeout, connection refused)
    latency_ms: float
    request_id: str | None = None


@dataclass
class LoadReport:
    requests: int
    errors_5xx: int
    errors_4xx: int
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    lost_records: int | None  # None: not checked (no --model-dir)
    by_status: dict[str, int] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)  # good requests without a 200, bad ones without a 4xx
    no_answer: int = 0
    wall_s: float = 0.0
    stopped_early: bool = False

    def summary(self) -> dict:
        return {"requests": self.requests, "errors_5xx": self.errors_5xx, "errors_4xx": self.errors_4xx,
                "throughput_rps": self.throughput_rps, "p50_ms": self.p50_ms, "p95_ms": self.p95_ms,
                "p99_ms": self.p99_ms, "lost_records": self.lost_records, "by_status": self.by_status,
                "no_answer": self.no_answer, "unexpected": len(self.unexpected), "wall_s": self.wall_s,
                "stopped_early": self.stopped_early}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def plan(count: int, bad_every: int) -> list[str]:
    """The kinds of `count` requests, in order: good kinds in turn, every `bad_every`-th a bad one."""
    good, bad = list(GOOD_PROMPTS), list(BAD_KINDS)
    kinds = []
    for i in range(count):
        if bad_every and i % bad_every == bad_every - 1:
            kinds.append(bad[(i // bad_every) % len(bad)])
        else:
            kinds.append(good[i % len(good)])
    return kinds


def _send(session, url: str, image: str, kind: str, timeout_s: float) -> Outcome:
    params = {"image": image, "output": "json"}
    if kind == "bad_params":
        form = "[\"not\", \"an object\"]"
    elif kind == "long_prompt":
        form = json.dumps({"prompt": "left kidney " * (LONG_PROMPT_CHARS // 12 + 1)})
    else:
        form = json.dumps({"prompt": GOOD_PROMPTS.get(kind, "liver")})
        if kind == "unknown_image":
            params["image"] = "no_such_image_for_load_test"
    started = time.perf_counter()
    try:
        reply = session.post(f"{url}/infer/seer", params=params, files={"params": (None, form)}, timeout=timeout_s)
    except requests.RequestException:  # a timeout or a refused connection is counted as "no answer"
        return Outcome(kind, None, (time.perf_counter() - started) * 1000)
    latency = (time.perf_counter() - started) * 1000
    request_id = None
    if reply.status_code == 200:
        try:
            request_id = reply.json().get("request_id")
        except ValueError:
            request_id = None
    return Outcome(kind, reply.status_code, latency, request_id)


def _as_expected(outcome: Outcome) -> bool:
    if outcome.status is None:
        return False
    return 400 <= outcome.status < 500 if outcome.kind in BAD_KINDS else outcome.status == 200


def logged_request_ids(store: str | Path) -> set[str]:
    """The request ids in a server's store (its model_dir, or the store's URL)."""
    from .request_log import RequestLog

    return {record.request_id for record in RequestLog(store).read()}


def run_load(url: str, image: str, concurrency: int = 8, count: int = 400, model_dir: str | Path | None = None,
             timeout_s: float = 120.0, max_seconds: float = 900.0, bad_every: int = DEFAULT_BAD_EVERY,
             progress=None) -> LoadReport:
    """Send `count` requests from `concurrency` threads; stop at the count or after `max_seconds`.

    Args:
        url: the server, on loopback.
        image: a datastore image id to ask about.
        model_dir: the server's model_dir; when given, lost records are counted.
        timeout_s: per-request timeout.
        max_seconds: overall deadline; requests not yet sent by then are not sent.
        progress: called with (done, count) now and then.
    """
    url = check_loopback(url)
    if not 1 <= concurrency <= 256 or not 1 <= count <= 100_000:
        raise LoadError("--concurrency must be 1..256 and --requests 1..100000")
    kinds = plan(count, bad_every)
    local = threading.local()
    deadline = time.monotonic() + max_seconds
    done = Counter()
    lock = threading.Lock()

    def one(kind: str) -> Outcome | None:
        if time.monotonic() > deadline:
            return None
        if not hasattr(local, "session"):
            local.session = requests.Session()
        outcome = _send(local.session, url, image, kind, timeout_s)
        with lock:
            done["n"] += 1
            if progress and done["n"] % max(1, count // 10) == 0:
                progress(done["n"], count)
        return outcome

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = [o for o in pool.map(one, kinds) if o is not None]
    wall = time.perf_counter() - started

    statuses = Counter(str(o.status) if o.status is not None else "none" for o in outcomes)
    unexpected = [f"{o.kind}: {o.status}" for o in outcomes if not _as_expected(o)]
    lost = None
    if model_dir is not None:
        acknowledged = {o.request_id for o in outcomes if o.status == 200 and o.request_id}
        lost = len(acknowledged - logged_request_ids(model_dir))
        lost += sum(1 for o in outcomes if o.status == 200 and not o.request_id)  # a 200 without its id
    latencies = [o.latency_ms for o in outcomes]
    return LoadReport(
        requests=len(outcomes),
        errors_5xx=sum(1 for o in outcomes if o.status is not None and o.status >= 500),
        errors_4xx=sum(1 for o in outcomes if o.status is not None and 400 <= o.status < 500),
        throughput_rps=round(len(outcomes) / wall, 2) if wall > 0 else 0.0,
        p50_ms=round(percentile(latencies, 50), 1), p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1), lost_records=lost, by_status=dict(sorted(statuses.items())),
        unexpected=unexpected, no_answer=statuses.get("none", 0), wall_s=round(wall, 2),
        stopped_early=len(outcomes) < count)


def format_report(report: LoadReport) -> str:
    lost = "not checked (pass --model-dir)" if report.lost_records is None else str(report.lost_records)
    lines = [
        f"requests: {report.requests} in {report.wall_s:.1f} s ({report.throughput_rps} req/s)"
        + (" - stopped at the deadline" if report.stopped_early else ""),
        f"latency: p50 {report.p50_ms:.0f} ms, p95 {report.p95_ms:.0f} ms, p99 {report.p99_ms:.0f} ms",
        f"by status: {report.by_status}",
        f"4xx: {report.errors_4xx} (the deliberately bad requests), 5xx: {report.errors_5xx}, "
        f"no answer: {report.no_answer}",
        f"lost records: {lost}",
    ]
    if report.unexpected:
        lines.append(f"unexpected answers: {len(report.unexpected)}, e.g. {report.unexpected[:5]}")
    return "\n".join(lines)
