"""The app's state in one database (lib/store/db.py); `importer.py` loads a model_dir of JSONL into it."""

from .db import RoundInfo, RoundRunning, Store, StoreError, TrainGate

__all__ = ["RoundInfo", "RoundRunning", "Store", "StoreError", "TrainGate"]
