"""A real PostgreSQL for tests: Debian's server binaries (`make pacs-deps` installs the `postgresql` package when
missing), a throwaway cluster in a temporary folder, listening on a free loopback port only, trusted local
connections, removed afterwards.

initdb refuses to run as root, so as root the server runs as the `postgres` user (`runuser -u postgres --`), which
owns the folder. The server runs in the foreground of its own process group, so it never outlives the test.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from processes import free_port, stop_process_group, wait_until_ready

STARTUP_TIMEOUT_S = 60
DATABASE = "seer"


def server_binaries() -> Path | None:
    """The newest Debian PostgreSQL bin folder (/usr/lib/postgresql/N/bin), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def missing_packages() -> str | None:
    if server_binaries() is None:
        return "no /usr/lib/postgresql/*/bin/initdb: run `make pacs-deps` (apt-get install postgresql)"
    return None


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _ready(url: str) -> bool:
    """Whether the server accepts connections ("not yet" while it starts)."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextlib.contextmanager
def start_postgres() -> Iterator[dict]:
    """Yield {"url" (postgresql://... of an empty database "seer"), "port", "folder", "log"}; stop and remove it
    afterwards."""
    import psycopg

    reason = missing_packages()
    if reason:
        raise RuntimeError(reason)
    binaries = server_binaries()
    folder = Path(tempfile.mkdtemp(prefix="seer-pg-"))  # under /tmp, where the postgres user can reach it
    data, sockets, log_path = folder / "data", folder / "sockets", folder / "postgres.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    subprocess.run(_as_owner([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                              "--no-sync"]), check=True, capture_output=True)
    log = open(log_path, "w+")
    # fsync stays on (the default): the SIGKILL test counts on acknowledged commits being durable.
    process = subprocess.Popen(_as_owner([str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-k",
                                          str(sockets), "-c", "listen_addresses=127.0.0.1", "-c",
                                          "max_connections=200"]),
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        wait_until_ready(process, log, lambda: _ready(admin), f"PostgreSQL on port {port}", STARTUP_TIMEOUT_S)
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
        yield {"url": f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}", "port": port, "folder": folder,
               "log": log_path}
    finally:
        # "Immediate" shutdown: no final checkpoint, whose fsyncs would only slow down removing a throwaway cluster.
        stop_process_group(process, signal.SIGQUIT)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def running_postgres() -> Iterator[dict]:
    """PostgreSQL for a pytest module: fails the test with the reason when the packages are missing."""
    import pytest

    reason = missing_packages()
    if reason:
        pytest.fail(reason)
    with start_postgres() as database:
        yield database
