"""The robustness benchmark on the public suites: the accuracy floors and the paper's margins are asserted here.

This runs the same code as `cli.py bench`, in-process, on the real sample CT and MR and the real encoder.
"""

import argparse
import json

import pytest

from conftest import APP
from lib.bench.run import REFUSAL_STYLES, load_suite, run_bench

SUITES = APP / "lib" / "bench" / "suites"
PAPER_VARIANCE_REDUCTION = 81.94
PAPER_WORST_CASE_GAIN = 18.60


def _bench(out, suite, image, reference, vocab):
    args = argparse.Namespace(suite=str(SUITES / suite), image=str(image), reference=str(reference), vocab=vocab,
                              out=str(out), methods="seer,exact,embedding")
    return run_bench(args), out


@pytest.fixture(scope="module")
def ct_bench(tmp_path_factory, ct_path, ct_map_path):
    return _bench(tmp_path_factory.mktemp("bench-ct"), "ct_public.jsonl", ct_path, ct_map_path, "total")


@pytest.fixture(scope="module")
def mr_bench(tmp_path_factory, mr_path, mr_map_path):
    return _bench(tmp_path_factory.mktemp("bench-mr"), "mr_public.jsonl", mr_path, mr_map_path, "total_mr")


def test_public_suite_covers_what_the_issue_asks():
    rows = load_suite(SUITES / "ct_public.jsonl") + load_suite(SUITES / "mr_public.jsonl")
    targets = {t for r in rows if isinstance(r["expect"], list) for t in r["expect"]}
    styles = {r["style"] for r in rows}
    assert len(rows) >= 600 and len(targets) >= 40
    assert {"formal", "abbreviation", "misspelling", "verbose", "clinical", "report", "lay", "latin_synonym",
            "laterality", "group", "range", "exclusion", "out_of_region", "nonsense"} <= styles


def test_ct_accuracy_floor_and_refusals(ct_bench):
    summary, out = ct_bench
    seer = summary["methods"]["seer"]
    assert seer["accuracy"] >= 0.98, f"seer CT accuracy {seer['accuracy']:.3f} < 0.98; see {out / 'report.md'}"
    refused, total = map(int, seer["refused_out_of_region_and_nonsense"].split("/"))
    assert refused == total, f"only {refused}/{total} out-of-region and nonsense rows were refused"
    assert seer["refused_rows_with_mask"] == 0


def test_mr_accuracy_floor(mr_bench):
    summary, out = mr_bench
    seer = summary["methods"]["seer"]
    assert seer["accuracy"] >= 0.95, f"seer MR accuracy {seer['accuracy']:.3f} < 0.95; see {out / 'report.md'}"
    refused, total = map(int, seer["refused_out_of_region_and_nonsense"].split("/"))
    assert refused == total


# The v2 suites (negation, corrections, context, relations, order, languages, lay), written by a separate author.
# Floors sit just below what was measured (CT 96.3% / 0.9% wrong masks, MR 96.2% / 1.0%; answers at >= 0.9
# right 100% on both).
V2_FLOORS = {"v2_ct.jsonl": ("ct", 0.955), "v2_mr.jsonl": ("mr", 0.955)}
V2_MAX_WRONG_MASKS = 0.02
V2_MIN_HIGH_CONFIDENCE_ACCURACY = 0.985


@pytest.fixture(scope="module", params=sorted(V2_FLOORS))
def v2_bench(request, tmp_path_factory, ct_path, ct_map_path, mr_path, mr_map_path):
    image, reference, vocab = ((ct_path, ct_map_path, "total") if V2_FLOORS[request.param][0] == "ct"
                               else (mr_path, mr_map_path, "total_mr"))
    out = tmp_path_factory.mktemp("bench-v2")
    args = argparse.Namespace(suite=str(SUITES / request.param), image=str(image), reference=str(reference),
                              vocab=vocab, out=str(out), methods="seer")
    return request.param, run_bench(args), out


def test_v2_floors_wrong_masks_and_calibration(v2_bench):
    suite, summary, out = v2_bench
    seer = summary["methods"]["seer"]
    floor = V2_FLOORS[suite][1]
    assert seer["accuracy"] >= floor, f"{suite}: seer accuracy {seer['accuracy']:.3f} < {floor}; see {out / 'report.md'}"
    assert seer["wrong_masks"] <= V2_MAX_WRONG_MASKS, \
        f"{suite}: wrong masks {seer['wrong_masks']:.3f} > {V2_MAX_WRONG_MASKS}; see {out / 'report.md'}"
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    high = [r for r in rows if r["status"] != "clarify" and r["confidence"] >= 0.9]
    accuracy = sum(r["correct"] for r in high) / max(len(high), 1)
    assert accuracy >= V2_MIN_HIGH_CONFIDENCE_ACCURACY, \
        f"{suite}: answers at >= 0.9 right {accuracy:.3f} ({len(high)} rows) < {V2_MIN_HIGH_CONFIDENCE_ACCURACY}"


@pytest.mark.parametrize("baseline", ["exact", "embedding"])
def test_ct_beats_baselines_by_the_paper_margins(ct_bench, baseline):
    summary, _ = ct_bench
    comparison = summary["comparisons"][f"seer_vs_{baseline}"]
    assert comparison["variance_reduction_pct"] >= PAPER_VARIANCE_REDUCTION, comparison
    assert comparison["worst_case_gain_pct"] >= PAPER_WORST_CASE_GAIN, comparison


def test_outputs_are_written(ct_bench):
    summary, out = ct_bench
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    assert {"id", "method", "status", "targets", "dice", "latency_ms"} <= set(rows[0])
    assert len(rows) == 3 * summary["methods"]["seer"]["rows"]
    assert (out / "report.md").read_text().startswith("# Robustness benchmark")
    for plot in ("accuracy_by_style.png", "dice_per_target.png"):
        assert (out / plot).read_bytes()[:4] == b"\x89PNG"
    refusal_rows = [r for r in rows if r["method"] == "seer" and r["style"] in REFUSAL_STYLES]
    assert all(r["status"] == "rejected" and not r["has_mask"] for r in refusal_rows)


def test_loop_learns_held_out_phrasings_without_hurting_the_rest(tmp_path, ct_path, ct_map_path):
    from lib.bench.loop import run_loop, split_rows

    args = argparse.Namespace(suite=str(SUITES / "ct_public.jsonl"), learning=str(SUITES / "learning.jsonl"),
                              image=str(ct_path), reference=str(ct_map_path), vocab="total", out=str(tmp_path))
    correction, held_out = split_rows(load_suite(args.suite), load_suite(args.learning))
    assert not {r["prompt"].casefold() for r in correction} & {r["prompt"].casefold() for r in held_out}
    rounds = run_loop(args)["rounds"]
    learning = [r["learning"]["accuracy"] for r in rounds]
    rest = [r["rest"]["accuracy"] for r in rounds]
    assert learning[0] < learning[1] < learning[2] <= learning[3], learning
    # Round 0 already answers part of the learning rows (German, French and Spanish organ names, initialisms and
    # misspelt plurals are read out of the box, and each reasoning round reads more): the loop must close at least
    # three quarters of what round 0 left, and end at 0.9 or more.
    assert learning[3] - learning[0] >= 0.75 * (1 - learning[0]) and learning[3] >= 0.9, learning
    assert min(rest) >= rest[0], rest  # no drop on the rest
    assert (tmp_path / "loop.png").read_bytes()[:4] == b"\x89PNG"
