"""SEER Label command line: segment, bench, skills, studies, store.

    python apps/seer/cli.py segment --image IMG --labelmap MAP --prompt "left kidney" [--out OUT.nii.gz]

Exit status: 0 when the request was answered (ok, rejected or clarify); 2, with one line on stderr, when the
input cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # MONAI Label's convention: the app's package is `lib`

from lib.backbones.base import BackboneError  # noqa: E402
from lib.ontology import OntologyError  # noqa: E402
from lib.volume import VolumeError  # noqa: E402

MODEL_DIR = Path(__file__).resolve().parent / "model"
PERF_SHAPE, PERF_INPUTS = [512, 512, 300], ["example", "synthetic"]
CPU_PERF_SHAPE, CPU_PERF_ROI = [64, 64, 48], 32


class UsageError(ValueError):
    """Bad input on the command line."""


def settings_from_args(args):
    from lib.settings import SeerSettings

    return SeerSettings(backbone=args.backbone, vocab="vista3d" if args.backbone == "vista3d" else args.vocab,
                        embeddings=not args.no_embeddings, model_dir=str(MODEL_DIR), vista3d_weights=args.weights or "",
                        evidence=args.evidence, device=args.device, vista3d_departures=args.departures)


def cmd_segment(args) -> int:
    from lib.pipeline import build_pipeline
    from lib.volume import read_volume, write_label_map

    if not args.prompt or not args.prompt.strip():
        raise UsageError("--prompt is empty: name the structure to segment, e.g. --prompt 'left kidney'")
    if args.labelmap and not Path(args.labelmap).is_file():
        raise UsageError(f"--labelmap {args.labelmap}: no such file")
    if args.backbone == "labelmap" and not args.labelmap:
        raise UsageError("--labelmap is required with the labelmap backbone (or use --backbone vista3d --weights W)")
    volume = read_volume(args.image)
    volume.everything_path = args.labelmap
    pipeline = build_pipeline(settings_from_args(args))
    result = pipeline.run(volume, args.prompt)
    if args.out and result.labels is not None:
        write_label_map(result.labels, volume.image, args.out)
    print(json.dumps({**result.spec.model_dump(mode="json"), "label_names": result.label_names},
                     indent=None if args.compact else 2))
    return 0


def cmd_warm(args) -> int:
    """Build the concept-embedding cache (~40 s on 2 cores, once per ontology), so servers start ready."""
    from lib.pipeline import build_pipeline
    from lib.settings import SeerSettings

    from lib.privacy import scrub

    build_pipeline(SeerSettings(model_dir=str(MODEL_DIR))).warm_up()
    scrub("warm")  # the identifier scrub's word sets, derived from the ontology, cached beside the embeddings
    print("concept embeddings cached")
    return 0


def cmd_studies(args) -> int:
    from lib.sample import lay_out_studies

    image_id = lay_out_studies(Path(args.out), args.tag, download_to=Path(args.out) / ".sample")
    print(image_id)
    return 0


def cmd_bench(args) -> int:
    if args.loop:
        from lib.bench.loop import run_loop

        run_loop(args)
    else:
        from lib.bench.run import run_bench

        run_bench(args)
    return 0


def cmd_skills(args) -> int:
    from lib.skills.bank import BankError, SkillBank

    bank = SkillBank(_store(args))
    try:
        if args.action == "list":
            current = bank.current_version()
            for version in bank.versions():
                print(f"{'*' if version == current else ' '} {version}  {len(bank.load(version))} skills")
            for skill in bank.load() if current else []:
                print(f"  {skill.skill_id}  {skill.tag:<26} {skill.trigger!r:<24} -> {', '.join(skill.canonical)}"
                      f"  uses={skill.uses} utility={skill.utility:+.2f}")
        elif args.action == "show":
            matches = [s for s in bank.load() if s.skill_id == args.target]
            if not matches:
                raise UsageError(f"no skill {args.target!r} in version {bank.current_version()}")
            print(matches[0].model_dump_json(indent=2))
        elif args.action == "diff":
            print(json.dumps(bank.diff(args.target, args.other), indent=2))
        elif args.action == "rollback":
            bank.rollback(args.target)
            print(f"skill bank now at {args.target}")
    except BankError as error:
        raise UsageError(str(error)) from None
    return 0


def cmd_perf(args) -> int:
    from lib.perf import report_json, run_perf

    if args.backbone != "vista3d":
        raise UsageError(f"perf --backbone {args.backbone}: only vista3d is timed (labelmap has no network)")
    from lib.backbones.vista3d import resolve_device

    shape, inputs, roi = args.shape, args.inputs, args.roi
    if resolve_device(args.device).type == "cpu" and shape is None and inputs is None and roi is None:
        # The released sizes take ~11 min (example_ct) and hours (512x512x300) on a 2-core CPU: time a small
        # phantom by default there, and say so. The figures that matter are taken on a GPU.
        shape, inputs, roi = CPU_PERF_SHAPE, ["synthetic"], CPU_PERF_ROI
        print(f"CPU: timing a {'x'.join(map(str, shape))} phantom with {roi}^3 windows; pass --inputs example "
              "synthetic --shape 512 512 300 --roi 128 for the released sizes (hours on a CPU)")
    report = run_perf(device=args.device, shape=tuple(shape or PERF_SHAPE), inputs=tuple(inputs or PERF_INPUTS),
                      weights=args.weights, roi=roi, prompt=args.prompt, evidence=args.evidence,
                      departures=args.departures)
    if args.json:
        print(report_json(report))  # the last line: one JSON object
    return 0


def cmd_weights(args) -> int:
    """Download a released bundle with MONAI's bundle API (needs internet; not exercised by the tests)."""
    from monai.bundle import download

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    download(name=args.model, bundle_dir=str(out))
    weights = out / args.model / "models" / "model.pt"
    if not weights.is_file():
        raise UsageError(f"the {args.model} bundle was downloaded to {out / args.model}, but it holds no "
                         "models/model.pt")
    print(f"{args.model} weights: {weights}\nuse: --conf vista3d_weights {out / args.model} (server) or "
          f"--weights {out / args.model} (CLI)")
    return 0


def _date(text: str):
    """--before: an ISO date or time; a date alone means midnight UTC."""
    from datetime import datetime, timezone

    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--before {text!r}: use an ISO date, e.g. 2026-01-31 or 2026-01-31T12:00") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _store(args):
    """The store a command works on: `--store URL` (a team's PostgreSQL), else the SQLite file in `--model-dir`."""
    from lib.store import Store, StoreError

    if not getattr(args, "store", None) and not Path(args.model_dir).is_dir():
        raise UsageError(f"--model-dir {args.model_dir}: no such folder")
    try:
        return Store.open(args.store or args.model_dir)
    except StoreError as error:
        raise UsageError(str(error)) from None


def cmd_store(args) -> int:
    """`store import`: a model_dir of JSONL files (before the store) into the store."""
    from lib.store.importer import import_model_dir

    if not Path(args.model_dir).is_dir():
        raise UsageError(f"--model-dir {args.model_dir}: no such folder")
    imported = import_model_dir(args.model_dir, _store(args))
    for reason in imported.skipped:
        print(f"skipped: {reason}", file=sys.stderr)
    print(json.dumps(imported.counts()))  # the last line: one JSON object
    return 0


def cmd_requests(args) -> int:
    """Export or delete what the server keeps about images (README, Patient data). Works on a running server's
    store: the database keeps the writers apart."""
    from lib.request_log import export_records, remove_records

    store = _store(args)
    images = set(args.image or [])
    if args.action == "export":
        if not images:
            raise UsageError("requests export needs --image ID (repeat it for several images)")
        records = export_records(store, images)
        text = json.dumps(records, indent=2, ensure_ascii=False)
        if args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        else:
            print(text)
        print(f"exported {len(records['requests'])} requests, {len(records['corrections'])} corrections, "
              f"{len(records['skills'])} skills" + (f" to {args.out}" if args.out else ""), file=sys.stderr)
        return 0
    if not images and not args.before:
        raise UsageError("requests delete needs --image ID or --before DATE")
    removal = remove_records(store, images or None, _date(args.before) if args.before else None)
    counts = removal.counts()
    print(f"deleted {counts['requests']} requests and {counts['corrections']} corrections; "
          f"{counts['skills_source_deleted']} skills now audited as \"source deleted\"")
    if args.json:
        print(json.dumps(counts))  # the last line: one JSON object
    return 0


def cmd_load(args) -> int:
    """A bounded load test of a local server (lib/load.py); exit 1 when any request got a 5xx or a record was
    lost."""
    from lib.load import LoadError, format_report, run_load

    def progress(done: int, total: int) -> None:
        print(f"  {done}/{total}", file=sys.stderr)

    try:
        report = run_load(args.url, args.image, args.concurrency, args.requests, model_dir=args.model_dir,
                          timeout_s=args.timeout, max_seconds=args.max_seconds, progress=progress)
    except LoadError as error:
        raise UsageError(str(error)) from None
    print(format_report(report))
    if args.json:
        print(json.dumps(report.summary()))  # the last line: one JSON object
    return 1 if report.errors_5xx or report.lost_records or report.no_answer else 0


def cmd_batch(args) -> int:
    """Segment an archive on Ray (lib/batch.py); exit 1 when any series failed (each is in results.csv with its
    reason), 0 otherwise."""
    from lib.batch import BatchError, BatchJob, run_batch
    from lib.settings import SeerSettings, SettingsError

    if args.prompt is not None and not args.prompt.strip():
        raise UsageError("--prompt is empty: name what to segment, e.g. --prompt 'both kidneys'")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: use 1 or more")
    conf = {"model_dir": str(Path(args.out) / "model"), **dict(args.conf or [])}
    try:
        settings = SeerSettings.from_conf(conf, str(Path(__file__).resolve().parent))
        job = BatchJob(studies=args.studies, out_dir=Path(args.out), settings=settings, prompt=args.prompt,
                       series=tuple(args.series or ()), ray_address=args.ray_address, workers=args.workers)
        counts = run_batch(job, progress=not args.no_progress)
    except (BatchError, SettingsError) as error:
        raise UsageError(str(error)) from None
    print(json.dumps(counts))  # the last line: one JSON object
    return 1 if counts["failed"] else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cli.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    segment = sub.add_parser("segment", help="free text -> TargetSpec (stdout) and a label map (--out)")
    segment.add_argument("--image", required=True, help="NIfTI/NRRD file or DICOM series folder")
    segment.add_argument("--labelmap", help="segment-everything map for the image (required by the labelmap backbone; "
                                            "with vista3d it replaces the network's own map for evidence)")
    segment.add_argument("--prompt", required=True)
    segment.add_argument("--out", help="write a uint8 label map on the image grid (each target under its vocabulary value, as label_names says)")
    segment.add_argument("--vocab", default="total", help="the map's vocabulary: total, total_mr or vista3d")
    segment.add_argument("--no-embeddings", action="store_true", help="lexicon only; skip the text encoder")
    segment.add_argument("--backbone", default="labelmap", choices=["labelmap", "vista3d"])
    segment.add_argument("--weights", help="vista3d: a bundle folder (models/model.pt) or a state-dict file")
    segment.add_argument("--evidence", default="cheap", choices=["cheap", "everything"],
                         help="vista3d: 'everything' runs segment-everything for evidence (slow on CPU)")
    segment.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    segment.add_argument("--departures", default="", help="vista3d: deliberate departures from the released bundle, "
                                                          "comma-separated: linear_inverse, bf16, masks_from_map")
    segment.add_argument("--compact", action="store_true", help="one-line JSON")
    segment.set_defaults(func=cmd_segment)

    warm = sub.add_parser("warm", help="build the concept-embedding cache (run by `make install`)")
    warm.set_defaults(func=cmd_warm)

    studies = sub.add_parser("studies", help="lay out the sample CT as a MONAI Label studies folder")
    studies.add_argument("--out", required=True)
    studies.add_argument("--tag", default="everything", help="label tag for the segment-everything map")
    studies.set_defaults(func=cmd_studies)

    bench = sub.add_parser("bench", help="robustness benchmark: seer against exact and embedding baselines")
    bench.add_argument("--suite", required=True, help="JSONL rows {id, prompt, style, expect}")
    bench.add_argument("--image", required=True)
    bench.add_argument("--reference", required=True, help="reference map; also the labelmap backbone's input")
    bench.add_argument("--vocab", default="total")
    bench.add_argument("--out", required=True, help="output folder")
    bench.add_argument("--methods", default="seer,exact,embedding")
    bench.add_argument("--loop", action="store_true",
                       help="evaluate SEER-Loop: correct failures of a correction split, train, test held-out rows")
    bench.add_argument("--learning", default=str(Path(__file__).resolve().parent / "lib" / "bench" / "suites"
                                                 / "learning.jsonl"),
                       help="rows that need learning (site shorthand, other languages), for --loop")
    bench.set_defaults(func=cmd_bench)

    skills = sub.add_parser("skills", help="the versioned skill bank: list, show ID, diff V1 V2, rollback V")
    skills.add_argument("action", choices=["list", "show", "diff", "rollback"])
    skills.add_argument("target", nargs="?", help="skill id (show), version (diff, rollback)")
    skills.add_argument("other", nargs="?", help="second version (diff)")
    skills.add_argument("--model-dir", default=str(MODEL_DIR), help="the app's model_dir (its SQLite store)")
    skills.add_argument("--store", help="the store's URL instead (postgresql://USER@HOST:PORT/DB)")
    skills.set_defaults(func=cmd_skills)

    perf = sub.add_parser("perf", help="time cold start, first request, stages and the bare network (vista3d)")
    perf.add_argument("--backbone", default="vista3d", choices=["vista3d"])
    perf.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    perf.add_argument("--shape", type=int, nargs=3, metavar=("X", "Y", "Z"),
                      help="synthetic CT size in voxels at 0.8 x 0.8 x 1.5 mm (default 512 512 300; on a CPU "
                           "without --shape/--inputs/--roi: a 64 64 48 phantom with 32^3 windows)")
    perf.add_argument("--inputs", nargs="+", choices=["example", "synthetic"],
                      help="example: the shared example_ct.nii.gz; synthetic: the --shape phantom (default both)")
    perf.add_argument("--weights", help="VISTA3D bundle folder or state dict; default: random weights in memory")
    perf.add_argument("--roi", type=int, help="sliding-window side (multiple of 16); default 128 as released")
    perf.add_argument("--prompt", help="the request to time; default: a lateral structure of the vocabulary")
    perf.add_argument("--evidence", default="cheap", choices=["cheap", "everything"])
    perf.add_argument("--departures", default="", help="e.g. bf16 (precision on CUDA; the bundle's fp16 by default)")
    perf.add_argument("--json", action="store_true", help="end with one line of JSON")
    perf.set_defaults(func=cmd_perf)

    weights = sub.add_parser("weights", help="fetch released weights (needs internet)")
    weights_sub = weights.add_subparsers(dest="action", required=True)
    fetch_help = ("download a released MONAI bundle with monai.bundle.download. Needs internet: it cannot be "
                  "tested offline, and no test runs it")
    fetch = weights_sub.add_parser("fetch", help=fetch_help, description=fetch_help)
    fetch.add_argument("model", choices=["vista3d"])
    fetch.add_argument("--out", required=True, help="folder; the bundle lands in OUT/vista3d")
    fetch.set_defaults(func=cmd_weights)

    load = sub.add_parser("load", help="bounded load test of a local server: mixed requests, latency, lost records")
    load.add_argument("--url", default="http://127.0.0.1:8000", help="the server; loopback only")
    load.add_argument("--image", default="example_ct_sm", help="a datastore image id")
    load.add_argument("--concurrency", type=int, default=8)
    load.add_argument("--requests", type=int, default=400)
    load.add_argument("--model-dir", help="the server's model_dir or store URL: count acknowledged requests missing "
                                          "from its store")
    load.add_argument("--timeout", type=float, default=120.0, help="per-request timeout, seconds")
    load.add_argument("--max-seconds", type=float, default=900.0, help="stop sending after this many seconds")
    load.add_argument("--json", action="store_true", help="end with one line of JSON")
    load.set_defaults(func=cmd_load)

    requests_cmd = sub.add_parser("requests", help="export or delete the kept requests and corrections of images "
                                                   "(README, Patient data)")
    requests_cmd.add_argument("action", choices=["export", "delete"])
    requests_cmd.add_argument("--image", action="append", help="a datastore image id (repeat for several)")
    requests_cmd.add_argument("--before", help="delete: every record older than this ISO date (UTC)")
    requests_cmd.add_argument("--model-dir", default=str(MODEL_DIR), help="the server's model_dir (its SQLite store)")
    requests_cmd.add_argument("--store", help="the store's URL instead (postgresql://USER@HOST:PORT/DB)")
    requests_cmd.add_argument("--out", help="export: write the JSON here instead of stdout")
    requests_cmd.add_argument("--json", action="store_true", help="delete: end with one line of JSON counts")
    requests_cmd.set_defaults(func=cmd_requests)

    store_cmd = sub.add_parser("store", help="the app's state in one database: import a model_dir of JSONL files")
    store_cmd.add_argument("action", choices=["import"])
    store_cmd.add_argument("--model-dir", required=True, help="the model_dir holding requests.jsonl, "
                                                              "corrections.jsonl, skills/ and train_stats.json")
    store_cmd.add_argument("--store", help="the store's URL (postgresql://USER@HOST:PORT/DB); default: the SQLite "
                                           "file in --model-dir")
    store_cmd.set_defaults(func=cmd_store)

    batch = sub.add_parser("batch", help="segment an archive on a Ray cluster: segment-everything maps or one "
                                         "request per series, resumable (README, Team set-up)")
    batch.add_argument("--studies", required=True, help="a DICOMweb URL (a QIDO query may follow: "
                                                        "...dicom-web?Modality=CT) or a studies folder")
    batch.add_argument("--series", nargs="+", help="only these series (SeriesInstanceUIDs, or ids in a folder)")
    work = batch.add_mutually_exclusive_group(required=True)
    work.add_argument("--everything", action="store_true", help="the segment-everything map of each series, "
                                                                "stored as a SEG under labelmap_tag")
    work.add_argument("--prompt", help="one free-text request for every series (a cohort request)")
    batch.add_argument("--ray-address", help="an existing Ray cluster (e.g. auto); default: a local one")
    batch.add_argument("--workers", type=int, help="network actors (default: one per GPU, else 1)")
    batch.add_argument("--conf", nargs=2, action="append", metavar=("KEY", "VALUE"),
                       help="the server's settings (README, Configuration), e.g. --conf labelmap_dir DIR")
    batch.add_argument("--out", required=True, help="folder for results.jsonl, results.csv and volumes.csv")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.set_defaults(func=cmd_batch)

    args = parser.parse_args(argv)
    if args.command == "skills" and args.action != "list" and not args.target:
        parser.error(f"skills {args.action} needs an argument")
    if args.command == "skills" and args.action == "diff" and not args.other:
        parser.error("skills diff needs two versions")
    try:
        return args.func(args)
    except (UsageError, VolumeError, BackboneError, OntologyError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
