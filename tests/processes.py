"""Starting a local server for a test and waiting until it answers (the SEER server, Orthanc)."""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import IO

import requests

POLL_S = 0.3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on a free loopback port for the test's own stand-in services; yields its base URL
    (http://127.0.0.1:PORT) and stops it afterwards."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def wait_until_ready(process: subprocess.Popen, log: IO[str], ready: Callable[[], bool], what: str,
                     timeout_s: float) -> None:
    """Poll `ready` until it returns True. Raise RuntimeError, with the end of the process's log, when the process
    exits first or `timeout_s` passes. A connection refused, or a first answer slower than the poll's own read
    timeout (MONAI Label searches the PACS on the first /info), means "not yet"."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within {timeout_s} s")
        try:
            if ready():
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(POLL_S)


def stop_process_group(process: subprocess.Popen, first_signal: int = signal.SIGTERM, grace_s: float = 30) -> None:
    """Stop a service started with start_new_session=True: `first_signal` to its whole group, SIGKILL after
    `grace_s`."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, first_signal)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace_s)
