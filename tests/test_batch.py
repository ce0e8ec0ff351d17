"""`cli.py batch` on a real local Ray cluster (2 CPUs) against a real Orthanc holding 21 small CT series (crops of
the shared sample, with the sample's reference map cropped alike in a labelmap_dir; one series corrupt).

One Ray cluster and one archive serve the module (Ray starts slowly); each test runs the CLI as its own process,
a second driver on that cluster, as `--ray-address` is used against a team's cluster.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest
import requests
import SimpleITK as sitk

from batch_archive import build_archive, reference_volumes
from conftest import APP
from helpers import REPO
from lib.batch import actor_name, namespace_for
from lib.dicom_seg import seg_to_label_map
from orthanc import start_orthanc

SERIES = 20
LABELMAP_TAG = "everything"  # the default --conf labelmap_tag: the server reads SEGs under it as maps
CLI_TIMEOUT_S = 300
VOLUME_TOLERANCE = 0.01
# Lexicon only: the sentence encoder adds start-up to every actor (and restart) and no request here needs it.
CONF = ["--conf", "embeddings", "false"]


@pytest.fixture(scope="module")
def cluster():
    ray = pytest.importorskip("ray")
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield {"address": context.address_info["gcs_address"], "ray": ray}
    ray.shutdown()


@pytest.fixture(scope="module")
def archive(ct_path, ct_map_path, tmp_path_factory):
    root = tmp_path_factory.mktemp("batch-archive")
    with start_orthanc(root / "orthanc") as pacs:
        built = build_archive(ct_path, ct_map_path, root, pacs["url"], SERIES)
        yield {**built, "pacs": pacs}


def run_cli(cluster, archive, out: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    command = [sys.executable, str(APP / "cli.py"), "batch", "--studies", f"{archive['pacs']['dicomweb']}?Modality=CT",
               "--ray-address", cluster["address"], "--out", str(out), "--no-progress", *CONF,
               "--conf", "labelmap_dir", str(archive["maps"]), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=CLI_TIMEOUT_S, cwd=REPO)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert last.startswith("{"), f"rc {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done, json.loads(last)


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def instances(archive) -> int:
    return requests.get(f"{archive['pacs']['url']}/statistics", timeout=30).json()["CountInstances"]


@pytest.fixture(scope="module")
def everything_run(cluster, archive, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch-everything")
    before = instances(archive)
    done, counts = run_cli(cluster, archive, out, "--everything")
    return {"out": out, "done": done, "counts": counts, "stored": instances(archive) - before}


def test_everything_maps_read_back_and_volumes_agree(everything_run, archive, ontology):
    counts, out = everything_run["counts"], everything_run["out"]
    assert counts["series"] == SERIES + 1 and counts["done"] == SERIES and counts["failed"] == 1, counts
    assert everything_run["done"].returncode == 1  # a failed series: exit 1, after every other series is done
    assert everything_run["stored"] == SERIES  # one SEG per good series, nothing for the corrupt one
    results = {row["series_uid"]: row for row in rows(out / "results.csv")}
    corrupt = results[archive["corrupt"]]
    assert corrupt["status"] == "failed" and "gap" in corrupt["reason"], corrupt
    label_to_concept = ontology.label_map("total")
    volumes: dict[tuple[str, str], float] = {(r["series_uid"], r["target"]): float(r["volume_ml"])
                                             for r in rows(out / "volumes.csv")}
    client_url = archive["pacs"]["dicomweb"]
    segs = requests.get(f"{client_url}/series", params={"Modality": "SEG"}, timeout=30).json()
    seg_studies: dict[str, str] = {}
    for entry in segs:
        assert entry["0008103E"]["Value"] == [LABELMAP_TAG]
        study, seg_uid = entry["0020000D"]["Value"][0], entry["0020000E"]["Value"][0]
        seg_studies[seg_uid] = study
    for uid, map_file in archive["series"].items():
        row = results[uid]
        assert row["status"] == "done", row
        reference = reference_volumes(map_file, label_to_concept)
        assert set(row["targets"].split(";")) == set(reference)
        for concept, ml in reference.items():
            got = volumes[(uid, concept)]
            assert abs(got - ml) <= VOLUME_TOLERANCE * ml, f"{uid} {concept}: {got} ml vs reference {ml} ml"
    # Every SEG reads back onto its series as the reference map (the server reads it the same way, lib/maps.py).
    read_back = 0
    for seg_uid, study in seg_studies.items():
        answer = requests.get(f"{client_url}/studies/{study}/series/{seg_uid}/instances", timeout=30).json()
        sop = answer[0]["00080018"]["Value"][0]
        raw = requests.get(f"{client_url}/studies/{study}/series/{seg_uid}/instances/{sop}",
                           headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'},
                           timeout=60)
        seg_file = out / f"{seg_uid}.dcm"
        seg_file.write_bytes(_first_part(raw))
        referenced = pydicom.dcmread(seg_file, stop_before_pixels=True).ReferencedSeriesSequence[0].SeriesInstanceUID
        map_file = archive["series"][referenced]
        reference = sitk.ReadImage(str(map_file))
        labels, names = seg_to_label_map(seg_file, reference, ontology, vocab="total")
        expected = sitk.GetArrayFromImage(reference)
        expected[~np.isin(expected, list(label_to_concept))] = 0
        assert np.array_equal(labels, expected), f"SEG {seg_uid} of {referenced} differs from its reference map"
        read_back += 1
    assert read_back == SERIES
    # The server finds such a SEG as the series' map (lib/maps.py, lookup (c)): the same function, same answer.
    from dicomweb_client.api import DICOMwebClient

    from lib.batch import _SeriesDatastore
    from lib.maps import locate_everything
    from lib.settings import SeerSettings

    uid, map_file = next(iter(archive["series"].items()))
    datastore = _SeriesDatastore(DICOMwebClient(url=client_url), client_url, str(map_file))
    found = locate_everything(datastore, uid, SeerSettings(model_dir=str(out / "server-model")), ontology=ontology)
    assert found and np.array_equal(sitk.GetArrayFromImage(sitk.ReadImage(found)),
                                    sitk.GetArrayFromImage(sitk.ReadImage(str(map_file)))), found


def _first_part(response: requests.Response) -> bytes:
    from requests_toolbelt.multipart import decoder

    return decoder.MultipartDecoder.from_response(response).parts[0].content


def test_rerun_writes_nothing_new(everything_run, cluster, archive):
    out = everything_run["out"]
    journal = (out / "results.jsonl").read_text().splitlines()
    before = instances(archive)
    done, counts = run_cli(cluster, archive, out, "--everything")
    assert counts["skipped"] == SERIES and counts["done"] == 0 and counts["failed"] == 1, counts
    assert instances(archive) == before
    after = (out / "results.jsonl").read_text().splitlines()
    assert after[: len(journal)] == journal
    new = [json.loads(line) for line in after[len(journal):]]
    assert [(r["series_uid"], r["status"]) for r in new] == [(archive["corrupt"], "failed")]  # tried again


def test_killed_worker_does_not_stop_the_job(cluster, archive, tmp_path):
    """SIGKILL the one network actor as soon as it has finished a series: Ray restarts it and retries its calls."""
    ray = cluster["ray"]
    out = tmp_path / "prompt"
    chosen = list(archive["series"])[:6]
    command = [sys.executable, str(APP / "cli.py"), "batch", "--studies", archive["pacs"]["dicomweb"],
               "--series", *chosen, "--prompt", "both kidneys", "--workers", "1", "--ray-address", cluster["address"],
               "--out", str(out), "--no-progress", *CONF, "--conf", "labelmap_dir", str(archive["maps"])]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    journal = out / "results.jsonl"
    killed = None
    deadline = time.monotonic() + CLI_TIMEOUT_S
    while killed is None and process.poll() is None and time.monotonic() < deadline:
        lines = journal.read_text().splitlines() if journal.is_file() else []
        workers = [json.loads(line)["worker"] for line in lines if line.strip()]
        if workers and workers[0]:
            killed = int(workers[0].split(":")[1])
            assert len(lines) < len(chosen), "the job ended before the kill"
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    stdout, stderr = process.communicate(timeout=CLI_TIMEOUT_S)
    assert killed is not None, f"no series finished before the job ended\n{stdout}\n{stderr[-3000:]}"
    counts = json.loads(stdout.strip().splitlines()[-1])
    assert process.returncode == 0, f"{stdout}\n{stderr[-3000:]}"
    assert counts["series"] == len(chosen) and counts["failed"] == 0, counts
    assert counts["done"] + counts["refused"] == len(chosen) and counts["done"] > 0, counts
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    pids = {int(r["worker"].split(":")[1]) for r in records if r["worker"]}
    assert killed in pids and len(pids) >= 2, f"the actor was not restarted: workers {pids}"
    with pytest.raises(ProcessLookupError):
        os.kill(killed, 0)
    # The actor is named in the job's namespace, for operators; it ended with the job.
    with pytest.raises(ValueError):
        ray.get_actor(actor_name(0), namespace=namespace_for(out))
