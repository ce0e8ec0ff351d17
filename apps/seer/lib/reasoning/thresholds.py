"""The reasoning's numbers, read once from `thresholds.json` (the one named, commented data file).

`T.section.name` reads one value, e.g. `T.relation.margin_mm`; keys starting with "_" are the file's comments.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

THRESHOLDS_FILE = Path(__file__).with_name("thresholds.json")


def _namespace(table: dict) -> SimpleNamespace:
    return SimpleNamespace(**{key: _namespace(value) if isinstance(value, dict) else value
                              for key, value in table.items() if not key.startswith("_")})


def load_thresholds(path: Path = THRESHOLDS_FILE) -> SimpleNamespace:
    with open(path, encoding="utf-8") as f:
        return _namespace(json.load(f))


T = load_thresholds()
