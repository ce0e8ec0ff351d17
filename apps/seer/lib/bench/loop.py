"""`cli.py bench --loop`: does learning from corrections generalize to phrasings it never saw?

The suites' rows are split into a correction split and a held-out split that share no prompt (the learning rows
by family, so each shorthand is both taught and tested). Round 0 runs without skills. Each later round, simulated
clinicians correct the failures in one batch of the correction split with the reference mask, one SEER-Loop
round runs, and the held-out split is measured again.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..skills.loop import Case, run_round
from .metrics import is_correct, robustness
from .run import Bench, load_suite, machine

ROUNDS = 3
SEED = 7


def split_rows(public: list[dict], learning: list[dict]) -> tuple[list[dict], list[dict]]:
    """Correction and held-out splits with no prompt in common."""
    correction, held_out = [], []
    by_family: dict[str, list[dict]] = defaultdict(list)
    for row in learning:
        by_family[row.get("group", row["id"])].append({**row, "learning": True})
    for rows in by_family.values():
        half = max(1, len(rows) // 2)
        correction += rows[:half]
        held_out += rows[half:]
    for number, row in enumerate(public):
        (correction if number % 2 == 0 else held_out).append({**row, "learning": False})
    taught = {r["prompt"].strip().casefold() for r in correction}
    held_out = [r for r in held_out if r["prompt"].strip().casefold() not in taught]
    return correction, held_out


def evaluate(bench: Bench, rows: list[dict]) -> dict:
    scored = [bench.score(row, "seer") | {"learning": row["learning"]} for row in rows]
    out = {}
    for name, subset in (("learning", [r for r in scored if r["learning"]]), ("rest", [r for r in scored if not r["learning"]])):
        stats = robustness([r for r in subset if r["dice"] is not None])
        out[name] = {"rows": len(subset), "accuracy": float(np.mean([r["correct"] for r in subset])) if subset else None,
                     "mean_variance": stats["mean_variance"], "mean_worst": stats["mean_worst"],
                     "mean_dice": stats["mean_dice"]}
    return out


def run_loop(args) -> dict:
    from .run import build_bench

    bench = build_bench(args, methods=["seer"])
    engine = bench.pipeline.engine
    correction, held_out = split_rows(load_suite(args.suite), load_suite(args.learning))
    random.Random(SEED).shuffle(correction)
    batches = [correction[k::ROUNDS] for k in range(ROUNDS)]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    skills = []
    engine.set_learned([])
    rounds = [{"round": 0, "bank_size": 0, **evaluate(bench, held_out)}]
    for number, batch in enumerate(batches, start=1):
        cases = []
        for row in tqdm(batch, desc=f"round {number}: clinicians correct", unit="row"):
            if not isinstance(row["expect"], list):
                continue
            spec = engine.understand(row["prompt"], bench.evidence)
            if is_correct(row["expect"], spec.status, spec.targets):
                continue
            cases.append(Case(prompt=row["prompt"], returned=spec, final=bench.expected_mask(row["expect"]),
                              evidence=bench.evidence, union_mask=bench.union_mask, image_id="bench",
                              label_id=row["id"]))
        skills, stats = run_round(cases, skills, engine)
        rounds.append({"round": number, "bank_size": stats.bank_size, "corrections": stats.corrections,
                       "harvested": stats.harvested, "purged": stats.purged, "merged": stats.merged,
                       "dice_before": stats.dice_before, "dice_after": stats.dice_after, **evaluate(bench, held_out)})
    summary = {"suite": str(args.suite), "learning": str(args.learning), "image": str(args.image),
               "correction_rows": len(correction), "held_out_rows": len(held_out), "rounds": rounds,
               "skills": [s.model_dump(mode="json") for s in skills], "machine": machine()}
    (out / "loop_summary.json").write_text(json.dumps(summary, indent=2))
    _plot(rounds, out / "loop.png")
    _report(summary, out / "loop_report.md")
    first, last = rounds[0]["learning"]["accuracy"], rounds[-1]["learning"]["accuracy"]
    print(f"held-out learning rows: accuracy {first:.1%} (round 0) -> {last:.1%} (round {ROUNDS}); "
          f"rest {rounds[0]['rest']['accuracy']:.1%} -> {rounds[-1]['rest']['accuracy']:.1%}; "
          f"report: {out / 'loop_report.md'}")
    return summary


def _plot(rounds: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["round"] for r in rounds]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for key, label, color in (("learning", "learning rows (held out)", "#1b7837"), ("rest", "rest (held out)", "#762a83")):
        axes[0].plot(x, [100 * r[key]["accuracy"] for r in rounds], "o-", label=label, color=color)
        axes[1].plot(x, [r[key]["mean_variance"] for r in rounds], "o-", label=label, color=color)
        axes[2].plot(x, [r[key]["mean_worst"] for r in rounds], "o-", label=label, color=color)
    for ax, title in zip(axes, ("accuracy (%)", "Dice variance across paraphrases", "worst-case Dice")):
        ax.set_title(title)
        ax.set_xlabel("SEER-Loop round")
        ax.set_xticks(x)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _report(summary: dict, path: Path) -> None:
    lines = ["# SEER-Loop evaluation", "",
             f"{summary['correction_rows']} correction rows, {summary['held_out_rows']} held-out rows (no prompt "
             "shared). Clinicians are simulated with the reference masks.", "",
             "| round | bank size | corrections | harvested | purged | merged | Dice before -> after (corrections) "
             "| learning acc. | learning var. | learning worst | rest acc. | rest var. | rest worst |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in summary["rounds"]:
        before_after = (f"{r['dice_before']:.3f} -> {r['dice_after']:.3f}" if r.get("dice_before") is not None else "")
        lines.append(f"| {r['round']} | {r['bank_size']} | {r.get('corrections', '')} | {r.get('harvested', '')} | "
                     f"{r.get('purged', '')} | {r.get('merged', '')} | {before_after} | "
                     f"{r['learning']['accuracy']:.1%} | {r['learning']['mean_variance']:.4f} | "
                     f"{r['learning']['mean_worst']:.3f} | {r['rest']['accuracy']:.1%} | "
                     f"{r['rest']['mean_variance']:.4f} | {r['rest']['mean_worst']:.3f} |")
    lines += ["", "![loop](loop.png)", "", "## Skills learned", "", "| id | tag | trigger | aliases | target | form | gain |",
              "|---|---|---|---|---|---|---|"]
    for s in summary["skills"]:
        lines.append(f"| {s['skill_id']} | {s['tag']} | {s['trigger']} | {', '.join(s['aliases'])} | "
                     f"{', '.join(s['canonical'])} | {s['form']} | {s['audit']['gain']:.2f} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
