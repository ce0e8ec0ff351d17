"""One train round at a time across every server on the store (issue 16).

`POST /train/{model}` claims a round in the store's train lock (lib/store/db.py, TrainGate) before MONAI Label's
endpoint starts the training process. While another round runs, on this server or any other, the request gets 409
naming that round. The server holds the lock until the training process it started ends: that process finishes the
round it finds claimed (lib/trainers/seer.py), and if it dies first the round is marked failed here. A server that
dies releases the lock with its connection (PostgreSQL) or its file descriptor (SQLite).
"""

from __future__ import annotations

import logging
import threading
import time

from monailabel.utils.async_tasks.utils import tasks

from ..guards import RequestRefused
from ..store import RoundRunning, Store, TrainGate
from ..store.db import finish_round, round_status, server_name

logger = logging.getLogger(__name__)

POLL_S = 0.5
# MONAI Label starts the training process right after the guard passes; if none appears in this time (the endpoint
# refused the request after all), the round is given up and the lock released.
START_TIMEOUT_S = 60.0
ENDED = ("DONE", "ERROR", "STOPPED")


def claim_train_round(store: Store, port: str | int | None, sync: bool = False) -> int:
    """Claim a round for the training that this request starts; RequestRefused 409 when one is running."""
    gate = TrainGate(store)
    try:
        claimed = gate.claim(server_name(port))
    except RoundRunning as running:
        raise RequestRefused(409, f"{running}: one train round runs at a time across all servers; try again when "
                                  f"it has finished (GET /train/)") from None
    started_tasks = len(tasks("train"))
    threading.Thread(target=_hold, args=(store, gate, claimed.id, started_tasks, sync), name=f"seer-train-{claimed.id}",
                     daemon=True).start()
    logger.info(f"seer: train round {claimed.id} claimed")
    return claimed.id


def _hold(store: Store, gate: TrainGate, round_id: int, started_tasks: int, sync: bool) -> None:
    """Keep the lock until the round's process has ended."""
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            time.sleep(POLL_S)
            if round_status(store, round_id) != "running":
                return
            started = tasks("train")[started_tasks:]
            if started and started[0].get("status") in ENDED:
                if round_status(store, round_id) == "running":  # the process died before finishing it
                    finish_round(store, round_id, "failed")
                    logger.warning(f"seer: train round {round_id} ended without finishing ({started[0]['status']})")
                return
            if not started and not sync and time.monotonic() > deadline:
                finish_round(store, round_id, "failed")
                logger.warning(f"seer: train round {round_id}: no training process started; round given up")
                return
    except Exception as error:  # the lock must never stay held by a watcher that failed
        logger.error(f"seer: watching train round {round_id} failed: {error}")
    finally:
        gate.release()
