"""The store of the app's state: one database through SQLAlchemy, SQLite in `model_dir` by default, PostgreSQL
(psycopg 3) for a team of servers (`--conf store postgresql://USER@HOST:PORT/DB`).

The database does what hand-written code did before: a committed row is durable (SQLite WAL with
`synchronous=FULL`, PostgreSQL's own fsync), concurrent writers never interleave, and a writer killed mid-way leaves
nothing half-written. The schema is Alembic's (`migrations/`), brought to the newest revision whenever a process
opens the store; servers starting together take turns (an advisory lock on PostgreSQL, a file lock on SQLite).

`TrainGate` lets one train round run at a time across every server on the store.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .models import TrainRoundRow

logger = logging.getLogger(__name__)

SQLITE_FILE = "seer.sqlite"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Advisory-lock keys on PostgreSQL (any two distinct 64-bit numbers of our own).
MIGRATE_LOCK_KEY = 0x5EE2_0001
TRAIN_LOCK_KEY = 0x5EE2_0002
SQLITE_BUSY_TIMEOUT_MS = 60_000
RELEASE_GRACE_S = 5.0  # how long a claim waits for a lock whose round has already ended


class StoreError(ValueError):
    pass


def utc(time: datetime) -> datetime:
    """A naive UTC time for the time columns (SQLite keeps no zone; PostgreSQL is given the same)."""
    return time.astimezone(timezone.utc).replace(tzinfo=None) if time.tzinfo else time


def store_url(location: str | Path) -> str:
    """A database URL from `--conf store` or a model_dir: a folder means its SQLite file."""
    text_location = str(location).strip()
    if text_location.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text_location.split("://", 1)[1]
    if text_location.startswith(("postgresql+psycopg://", "sqlite:///")):
        return text_location
    if "://" in text_location:
        raise StoreError(f"store {text_location!r}: use postgresql://USER@HOST:PORT/DB, sqlite:///FILE or a folder")
    folder = Path(text_location)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / SQLITE_FILE).resolve()}"


class Store:
    """One database. `Store.open` gives one instance per URL and process (its engine holds the connections)."""

    _open: dict[str, "Store"] = {}
    _open_lock = threading.Lock()

    def __init__(self, url: str):
        self.url = url
        self.postgres = url.startswith("postgresql")
        if self.postgres:
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
            self.sqlite_path = None
        else:
            self.sqlite_path = Path(make_url(url).database)
            self.engine = create_engine(url, pool_size=10, max_overflow=10)
            _sqlite_pragmas(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, location: str | Path) -> "Store":
        url = store_url(location)
        with cls._open_lock:
            if url not in cls._open:
                store = cls(url)
                try:
                    store.migrate()
                except OperationalError as error:  # no server there, a wrong database or user, an unwritable file
                    store.engine.dispose()
                    raise StoreError(f"cannot open the store {store.display()}: {error.orig or error}") from None
                logger.info(f"seer: store {store.display()} (schema at Alembic head)")
                cls._open[url] = store
            return cls._open[url]

    def display(self) -> str:
        """The URL without its password, for logs and messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on an error."""
        with self.sessions.begin() as session:
            yield session

    def migrate(self) -> None:
        """Bring the schema to Alembic's head, one process at a time."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._exclusive("migrate", MIGRATE_LOCK_KEY) as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def _exclusive(self, name: str, key: int):
        """A connection in a transaction that no other process holds at the same time."""
        if self.postgres:
            with self.engine.begin() as connection:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
                yield connection
            return
        with open(f"{self.sqlite_path}.{name}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with self.engine.begin() as connection:
                yield connection

    def forget(self) -> None:
        """After deleting patient data: on SQLite, copy the write-ahead log into the database and truncate it, so
        the deleted rows (overwritten in the database by secure_delete) are not left in the log's old pages either.
        Best effort: a reader holding an old snapshot makes SQLite leave the log as it is until the next time."""
        if self.postgres:
            return  # PostgreSQL's VACUUM reclaims deleted rows; its WAL is the server's to manage
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()

    def dispose(self) -> None:
        with Store._open_lock:
            Store._open.pop(self.url, None)
        self.engine.dispose()


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL (readers never wait for the writer), a commit durable when it returns (synchronous=FULL), deleted patient
    data overwritten (secure_delete), writers queue instead of failing (busy_timeout). Every transaction starts as BEGIN IMMEDIATE: a deferred one that reads first
    and writes later could not wait its turn and would fail with "database is locked"."""

    @event.listens_for(engine, "connect")
    def connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA secure_delete=ON")  # a deleted record is overwritten, not left in a free page
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# --- one train round at a time ----------------------------------------------------------------------------------

@dataclass
class RoundInfo:
    id: int
    server: str
    started: datetime
    status: str

    def describe(self) -> str:
        return f"train round {self.id} is running (started {self.started:%Y-%m-%d %H:%M:%S} UTC on {self.server})"


class RoundRunning(RuntimeError):
    def __init__(self, running: RoundInfo | None):
        self.running = running
        super().__init__(running.describe() if running else "a train round is starting on another server")


def server_name(port: str | int | None = None) -> str:
    return f"{socket.gethostname()}:{port or os.getpid()}"


class TrainGate:
    """The lock that one train round holds across every server on the store: a session-level advisory lock on
    PostgreSQL, an exclusive `flock` on `<store>.train.lock` beside the SQLite file. Either is released by the
    database or the kernel when its holder dies, so a killed server never blocks training; the round it left as
    running is then marked abandoned by the next claim."""

    def __init__(self, store: Store):
        self.store = store
        self._connection = None
        self._file = None

    def _try_lock(self) -> bool:
        if self.store.postgres:
            connection = self.store.engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": TRAIN_LOCK_KEY}).scalar()
            connection.commit()  # the lock belongs to the session, not to this transaction
            if got:
                self._connection = connection
            else:
                connection.close()
            return bool(got)
        lock = open(f"{self.store.sqlite_path}.train.lock", "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return False
        self._file = lock
        return True

    def claim(self, server: str) -> RoundInfo:
        """Start a round, or raise RoundRunning naming the round that runs."""
        deadline = time.monotonic() + RELEASE_GRACE_S
        while not self._try_lock():
            running = running_round(self.store)
            if running is not None or time.monotonic() > deadline:
                raise RoundRunning(running)
            # No round is running, yet the lock is held: its holder is releasing it after a round that has just
            # finished (or has just taken it and is writing its round). Either settles within moments.
            time.sleep(0.1)
        try:
            with self.store.session() as session:
                now = utc(datetime.now(timezone.utc))
                # The lock was free, so whoever left a round "running" died with it.
                session.execute(update(TrainRoundRow).where(TrainRoundRow.status == "running")
                                .values(status="abandoned", finished=now))
                row = TrainRoundRow(status="running", server=server, started=now, stats="{}")
                session.add(row)
                session.flush()
                return RoundInfo(row.id, row.server, row.started, row.status)
        except Exception:
            self.release()
            raise

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": TRAIN_LOCK_KEY})
                self._connection.commit()
            finally:
                self._connection.invalidate()  # never back to the pool with a lock on it
                self._connection.close()
                self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def running_round(store: Store) -> RoundInfo | None:
    with store.session() as session:
        row = session.scalars(select(TrainRoundRow).where(TrainRoundRow.status == "running")
                              .order_by(TrainRoundRow.id.desc()).limit(1)).first()
        return RoundInfo(row.id, row.server, row.started, row.status) if row else None


def finish_round(store: Store, round_id: int, status: str, stats: dict | None = None,
                 session: Session | None = None) -> None:
    """Record how a round ended (in the caller's transaction when given one)."""
    values = {"status": status, "finished": utc(datetime.now(timezone.utc))}
    if stats is not None:
        values["stats"] = json.dumps(stats)
    statement = update(TrainRoundRow).where(TrainRoundRow.id == round_id).values(**values)
    if session is not None:
        session.execute(statement)
        return
    with store.session() as own:
        own.execute(statement)


def round_status(store: Store, round_id: int) -> str | None:
    with store.session() as session:
        return session.scalar(select(TrainRoundRow.status).where(TrainRoundRow.id == round_id))


def last_round_stats(store: Store) -> dict:
    """The statistics of the newest round that wrote a bank version ({} before the first)."""
    with store.session() as session:
        row = session.scalars(select(TrainRoundRow).where(TrainRoundRow.status == "done")
                              .order_by(TrainRoundRow.id.desc()).limit(1)).first()
        return json.loads(row.stats) if row else {}
