"""Benchmark of `cli.py batch` (not a test): series per minute with 1 and 2 workers on the CPU.

    .venv/bin/python tests/bench_batch.py [--series 40] [--workers 1 2] [--prompt "both kidneys"]

It builds the test's archive (crops of the shared sample CT as DICOM series, in a temporary folder) in a throwaway
Orthanc, starts a local Ray cluster, and runs `cli.py batch --everything` (or `--prompt`) once per worker count,
each into a fresh DIR. The figure is the CLI's own: series done per minute of its wall time, connection to the
cluster, actor start-up and the PACS round trips included. Prints one JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "seer"))

from batch_archive import build_archive  # noqa: E402
from lib.sample import sample_dir  # noqa: E402
from orthanc import start_orthanc  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--prompt", help="a request per series instead of --everything")
    parser.add_argument("--cpus", type=int, default=os.cpu_count(), help="the local Ray cluster's CPUs")
    args = parser.parse_args()

    import ray

    root = Path(tempfile.mkdtemp(prefix="seer-bench-batch-"))
    data = sample_dir()
    with start_orthanc(root / "orthanc") as pacs:
        archive = build_archive(data / "example_ct_sm.nii.gz", data / "example_seg.nii.gz", root, pacs["url"],
                                args.series, corrupt=False)
        context = ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
        try:
            for workers in args.workers:
                work = ["--prompt", args.prompt] if args.prompt else ["--everything"]
                command = [sys.executable, str(REPO / "apps" / "seer" / "cli.py"), "batch", "--studies",
                           pacs["dicomweb"], *work, "--workers", str(workers), "--ray-address",
                           context.address_info["gcs_address"], "--out", str(root / f"out-{workers}"),
                           "--no-progress", "--conf", "embeddings", "false", "--conf", "labelmap_dir",
                           str(archive["maps"])]
                done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
                counts = json.loads(done.stdout.strip().splitlines()[-1])
                processed = counts["done"] + counts["refused"] + counts["failed"]
                print(json.dumps({"workers": workers, "series": counts["series"], "done": counts["done"],
                                  "seconds": counts["seconds"],
                                  "series_per_min": round(60 * processed / counts["seconds"], 1),
                                  "cpus": args.cpus, "machine": f"{platform.machine()} {os.cpu_count()} cores",
                                  "load_avg_1min": round(os.getloadavg()[0], 1)}), flush=True)
        finally:
            ray.shutdown()


if __name__ == "__main__":
    main()
