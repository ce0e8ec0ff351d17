"""The benchmark's report.md and its plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLORS = {"seer": "#1b7837", "exact": "#762a83", "embedding": "#e08214"}


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def write_plots(summary: dict, out: Path) -> list[str]:
    methods = list(summary["methods"])
    styles = sorted({s for m in methods for s in summary["methods"][m]["accuracy_by_style"]})
    width = 0.8 / len(methods)

    fig, ax = plt.subplots(figsize=(max(8, len(styles) * 0.8), 4.5))
    for k, method in enumerate(methods):
        values = [summary["methods"][method]["accuracy_by_style"].get(s, 0) * 100 for s in styles]
        ax.bar(np.arange(len(styles)) + k * width, values, width, label=method, color=COLORS.get(method))
    ax.set_xticks(np.arange(len(styles)) + width * (len(methods) - 1) / 2, styles, rotation=40, ha="right")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 105)
    ax.set_title("Accuracy by phrasing style")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(out / "accuracy_by_style.png", dpi=110)
    plt.close(fig)

    targets = sorted(summary["methods"][methods[0]]["per_target"])
    fig, ax = plt.subplots(figsize=(max(10, len(targets) * 0.35), 5))
    for k, method in enumerate(methods):
        per = summary["methods"][method]["per_target"]
        x = np.arange(len(targets)) + k * width
        ax.bar(x, [per[t]["mean"] for t in targets], width, yerr=[per[t]["std"] for t in targets],
               color=COLORS.get(method), label=f"{method} mean ± std", capsize=1.5, alpha=0.85)
        ax.scatter(x, [per[t]["worst"] for t in targets], marker="v", s=12, color="black", zorder=3,
                   label="worst case" if k == 0 else None)
    labels = [t if len(t) <= 28 else t[:26] + "…" for t in targets]
    ax.set_xticks(np.arange(len(targets)) + width * (len(methods) - 1) / 2, labels, rotation=75, ha="right",
                  fontsize=7)
    ax.set_ylabel("Dice across paraphrases")
    ax.set_ylim(0, 1.05)
    ax.set_title("Dice per target: mean, spread and worst case over paraphrases")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(out / "dice_per_target.png", dpi=110)
    plt.close(fig)
    return ["accuracy_by_style.png", "dice_per_target.png"]


def write_report(summary: dict, scored: list[dict], plots: list[str], out: Path) -> None:
    methods = summary["methods"]
    lines = [f"# Robustness benchmark: `{Path(summary['suite']).name}`", "",
             f"Image `{Path(summary['image']).name}`, vocabulary `{summary['vocab']}`, backbone `labelmap`. "
             f"Machine: {summary['machine']['platform']}, {summary['machine']['cpus']} CPUs, "
             f"torch {summary['machine']['torch']}.", "",
             "| method | rows | accuracy | wrong masks | mean Dice | mean Dice variance | mean worst-case Dice | "
             "refused (out-of-region + nonsense) | refused rows with a mask | p50 / p95 grounding (ms) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, m in methods.items():
        lines.append(f"| {name} | {m['rows']} | {m['accuracy']:.1%} | {m['wrong_masks']:.1%} | {m['mean_dice']:.3f} | {m['mean_variance']:.4f} "
                     f"| {m['mean_worst']:.3f} | {m['refused_out_of_region_and_nonsense']} | "
                     f"{m['refused_rows_with_mask']} | {m['latency_ms_p50']:.2f} / {m['latency_ms_p95']:.2f} |")
    if summary["comparisons"]:
        lines += ["", "| comparison | variance reduction | worst-case Dice gain | worst-case gain (points) |",
                  "|---|---|---|---|"]
        for name, c in summary["comparisons"].items():
            lines.append(f"| {name} | {_pct(c['variance_reduction_pct'])} | {_pct(c['worst_case_gain_pct'])} | "
                         f"{c['worst_case_gain_points']:.1f} |")
    styles = sorted({s for m in methods.values() for s in m["accuracy_by_style"]})
    lines += ["", "## Accuracy by style", "", "| style | " + " | ".join(methods) + " |",
              "|---|" + "---|" * len(methods)]
    for style in styles:
        lines.append(f"| {style} | " + " | ".join(f"{m['accuracy_by_style'].get(style, 0):.1%}"
                                                  for m in methods.values()) + " |")
    if "seer" in methods:
        lines += ["", "## Calibration of seer's confidence (answered rows)", "",
                  "| confidence | rows | accuracy | mean confidence |", "|---|---|---|---|"]
        lines += [f"| {b['band']} | {b['rows']} | {b['accuracy']:.1%} | {b['mean_confidence']:.3f} |"
                  for b in methods["seer"]["calibration"]]
    lines += [""] + [f"![{p}]({p})" for p in plots]
    failures = [r for r in scored if r["method"] == "seer" and not r["correct"]]
    if failures:
        lines += ["", f"## seer failures ({len(failures)})", "", "| id | style | prompt | expected | got |",
                  "|---|---|---|---|---|"]
        for r in failures:
            got = r["status"] + (f" {r['targets']}" if r["targets"] else "")
            lines.append(f"| {r['id']} | {r['style']} | {r['prompt'].replace('|', '/')} | {r['expect']} | {got} |")
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
