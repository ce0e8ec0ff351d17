"""Scoring one answer against a suite row, and the paper's robustness figures over many rows."""

from __future__ import annotations

from collections import defaultdict

import numpy as np


def dice(predicted: np.ndarray, expected: np.ndarray) -> float:
    total = int(predicted.sum()) + int(expected.sum())
    return 1.0 if total == 0 else 2.0 * int((predicted & expected).sum()) / total


def is_correct(expect, status: str, targets: list[str]) -> bool:
    """A row's expectation: a list of ids, "reject", {"clarify_or": ids} (ask back, or answer exactly ids), or
    "no_mask" (refusing or asking back is right; any mask is wrong)."""
    if expect == "reject":
        return status == "rejected"
    if expect == "no_mask":
        return status in ("rejected", "clarify")
    if isinstance(expect, dict):
        return status == "clarify" or (status == "ok" and set(targets) == set(expect["clarify_or"]))
    return status == "ok" and set(targets) == set(expect)


def is_wrong_mask(expect, status: str, targets: list[str]) -> bool:
    """Answered with a mask that is not what was asked: the worst outcome for an annotation tool."""
    return status == "ok" and bool(targets) and not is_correct(expect, status, targets)


def intent_key(expect) -> str | None:
    """Rows that ask for the same set of structures are paraphrases of one request."""
    return "+".join(sorted(expect)) if isinstance(expect, list) else None


def robustness(rows: list[dict]) -> dict:
    """Per intent: Dice mean, variance and worst case across its paraphrases; then their means.

    Args:
        rows: dicts with "expect" and "dice" for one method.
    """
    by_intent: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        key = intent_key(row["expect"])
        if key is not None:
            by_intent[key].append(row["dice"])
    per_intent = {key: {"n": len(values), "mean": float(np.mean(values)), "std": float(np.std(values)),
                        "var": float(np.var(values)), "worst": float(np.min(values))}
                  for key, values in sorted(by_intent.items())}
    return {
        "per_target": per_intent,
        "mean_dice": float(np.mean([v for values in by_intent.values() for v in values])) if by_intent else 0.0,
        "mean_variance": float(np.mean([p["var"] for p in per_intent.values()])) if per_intent else 0.0,
        "mean_worst": float(np.mean([p["worst"] for p in per_intent.values()])) if per_intent else 0.0,
    }


def compare(ours: dict, baseline: dict) -> dict:
    """The paper's two headline figures: variance reduction (%) and worst-case Dice gain (%)."""
    base_var, base_worst = baseline["mean_variance"], baseline["mean_worst"]
    return {
        "variance_reduction_pct": 100.0 * (1 - ours["mean_variance"] / base_var) if base_var > 0 else None,
        "worst_case_gain_pct": 100.0 * (ours["mean_worst"] - base_worst) / base_worst if base_worst > 0 else None,
        "worst_case_gain_points": 100.0 * (ours["mean_worst"] - base_worst),
    }
