"""`cli.py bench`: run a suite through `seer` and the two baselines on one backbone, and write the report.

Outputs in --out: rows.jsonl, summary.json, report.md and PNG plots.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..pipeline import compose_label_map
from .baselines import EmbeddingBaseline, ExactNameBaseline
from .metrics import compare, dice, is_correct, is_wrong_mask, robustness
from .report import write_plots, write_report

METHODS = ("seer", "exact", "embedding")
REFUSAL_STYLES = ("out_of_region", "nonsense")


def load_suite(path: str | Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            missing = {"id", "prompt", "style", "expect"} - set(row)
            if missing:
                raise ValueError(f"{path}:{number}: row lacks {sorted(missing)}")
            rows.append(row)
    return rows


def machine() -> dict:
    import torch

    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads()}


class Bench:
    """Everything needed to score methods on one image: the pipeline, its aligned map and the baselines."""

    def __init__(self, pipeline, volume, methods: list[str]):
        self.pipeline = pipeline
        self.volume = volume
        self.ontology = pipeline.engine.ontology
        self.evidence = pipeline.evidence_for(volume)
        self.everything = pipeline.backbone.everything(volume)
        self.label_of = {c: label for label, c in pipeline.backbone.label_to_concept().items()}
        vocabulary = pipeline.backbone.vocabulary()
        self.methods = {}
        for method in methods:
            if method == "seer":
                self.methods[method] = lambda prompt: pipeline.engine.understand(prompt, self.evidence)
            elif method == "exact":
                self.methods[method] = ExactNameBaseline(self.ontology, vocabulary).understand
            elif method == "embedding":
                if pipeline.engine.encoder is None:
                    raise ValueError("the embedding baseline needs the text encoder")
                self.methods[method] = EmbeddingBaseline(self.ontology, vocabulary, pipeline.engine.encoder).understand
            else:
                raise ValueError(f"unknown method {method!r}; valid methods are {list(METHODS)}")

    def union_mask(self, ids: list[str]) -> np.ndarray:
        """The reference voxels of these concepts, on the image grid."""
        return np.isin(self.everything, [self.label_of[i] for i in ids if i in self.label_of])

    def expected_mask(self, expect) -> np.ndarray:
        return self.union_mask(expect if isinstance(expect, list) else [])

    def predicted_mask(self, spec) -> np.ndarray:
        if spec.status != "ok":
            return np.zeros(self.everything.shape, bool)
        masks = self.pipeline.backbone.segment(self.volume, spec)
        return compose_label_map(spec, masks, self.everything.shape, self.pipeline.label_values) > 0

    def score(self, row: dict, method: str) -> dict:
        understand = self.methods[method]
        started = time.perf_counter()
        spec = understand(row["prompt"])
        latency_ms = 1000 * (time.perf_counter() - started)
        predicted = self.predicted_mask(spec)
        expect = row["expect"]
        row_dice = dice(predicted, self.expected_mask(expect)) if isinstance(expect, list) else None
        return {"id": row["id"], "method": method, "style": row["style"], "prompt": row["prompt"],
                "expect": expect, "status": spec.status, "targets": spec.targets, "dice": row_dice,
                "correct": is_correct(expect, spec.status, spec.targets), "has_mask": bool(predicted.any()),
                "wrong_mask": is_wrong_mask(expect, spec.status, spec.targets) and bool(predicted.any()),
                "confidence": spec.confidence, "skill": getattr(spec, "skill", None),
                "latency_ms": round(latency_ms, 3)}


CONFIDENCE_BANDS = ((0.0, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01))


def calibration(rows: list[dict]) -> list[dict]:
    """Accuracy of the answers (ok or rejected; a question is not an answer) per confidence band: low confidence
    should mean likely wrong."""
    answered = [r for r in rows if r["status"] != "clarify"]
    bands = []
    for low, high in CONFIDENCE_BANDS:
        band = [r for r in answered if low <= r["confidence"] < high]
        if band:
            bands.append({"band": f"[{low:.2f}, {min(high, 1.0):.2f}]", "rows": len(band),
                          "accuracy": float(np.mean([r["correct"] for r in band])),
                          "mean_confidence": float(np.mean([r["confidence"] for r in band]))})
    return bands


def summarize(scored: list[dict], methods: list[str]) -> dict:
    summary: dict = {"methods": {}, "comparisons": {}}
    for method in methods:
        rows = [r for r in scored if r["method"] == method]
        styles = sorted({r["style"] for r in rows})
        latencies = [r["latency_ms"] for r in rows]
        refusal_rows = [r for r in rows if r["style"] in REFUSAL_STYLES]
        summary["methods"][method] = {
            "rows": len(rows),
            "accuracy": float(np.mean([r["correct"] for r in rows])),
            "wrong_masks": float(np.mean([r["wrong_mask"] for r in rows])),
            "accuracy_by_style": {s: float(np.mean([r["correct"] for r in rows if r["style"] == s])) for s in styles},
            "refused_out_of_region_and_nonsense": f"{sum(r['status'] == 'rejected' for r in refusal_rows)}"
                                                  f"/{len(refusal_rows)}",
            "refused_rows_with_mask": sum(r["status"] == "rejected" and r["has_mask"] for r in rows),
            "latency_ms_p50": float(np.percentile(latencies, 50)),
            "latency_ms_p95": float(np.percentile(latencies, 95)),
            **robustness([r for r in rows if r["dice"] is not None]),
            "calibration": calibration(rows),
        }
    if "seer" in summary["methods"]:
        for method in methods:
            if method != "seer":
                summary["comparisons"][f"seer_vs_{method}"] = compare(summary["methods"]["seer"],
                                                                      summary["methods"][method])
    return summary


def build_bench(args, methods: list[str]) -> Bench:
    from ..pipeline import build_pipeline
    from ..settings import SeerSettings
    from ..volume import read_volume

    pipeline = build_pipeline(SeerSettings(vocab=args.vocab, model_dir=str(Path(__file__).resolve().parents[2]
                                                                             / "model")))
    volume = read_volume(args.image)
    volume.everything_path = args.reference  # the reference map is also the labelmap backbone's input
    bench = Bench(pipeline, volume, methods)
    # Warm up: encoder weights, the concept-embedding cache and the map are loaded before anything is timed.
    for method in methods:
        bench.methods[method]("the organ that stores bile")
    return bench


def run_bench(args) -> dict:
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    rows = load_suite(args.suite)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bench = build_bench(args, methods)

    scored = []
    with open(out / "rows.jsonl", "w", encoding="utf-8") as f:
        for row in tqdm(rows, desc=f"bench {Path(args.suite).name}", unit="row"):
            for method in methods:
                result = bench.score(row, method)
                scored.append(result)
                f.write(json.dumps(result) + "\n")

    summary = summarize(scored, methods)
    summary["suite"] = str(args.suite)
    summary["image"] = str(args.image)
    summary["vocab"] = args.vocab
    summary["machine"] = machine()
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    plots = write_plots(summary, out)
    write_report(summary, scored, plots, out)
    seer = summary["methods"].get("seer")
    if seer:
        print(f"seer accuracy {seer['accuracy']:.1%}, p95 grounding {seer['latency_ms_p95']:.1f} ms; "
              f"report: {out / 'report.md'}")
    return summary
