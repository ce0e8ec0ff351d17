"""Requests in the store: concurrent appends from several processes, and pairing a final label with its request."""

import multiprocessing

from lib.records import RequestRecord, TargetSpec
from lib.request_log import RequestLog, pair_correction

WRITERS, RECORDS_EACH = 4, 50


def _write_many(path, writer):
    log = RequestLog(path)
    for k in range(RECORDS_EACH):
        log.append(RequestRecord(request_id=f"{writer}-{k}", image_id=f"img{writer}", prompt="p" * 500,
                                 spec=TargetSpec(status="ok", targets=["liver"]), backbone="labelmap"))


def test_concurrent_appends_from_processes_never_interleave(tmp_path):
    path = tmp_path  # a model_dir: its SQLite store
    processes = [multiprocessing.Process(target=_write_many, args=(path, w)) for w in range(WRITERS)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    records = RequestLog(path).read()  # every record parses: nothing was torn or lost
    assert len(records) == WRITERS * RECORDS_EACH
    assert len({r.request_id for r in records}) == WRITERS * RECORDS_EACH


def _record(log, request_id, prompt, targets):
    log.append(RequestRecord(request_id=request_id, image_id="ct", prompt=prompt, backbone="labelmap",
                             spec=TargetSpec(status="ok" if targets else "rejected", targets=targets)))


def test_pairing_uses_the_label_info_when_it_names_the_prompt_or_segment(tmp_path):
    log = RequestLog(tmp_path)
    _record(log, "r1", "lkid", [])
    _record(log, "r2", "liver", ["liver"])
    latest = pair_correction(log, "ct", "ct", {"ts": 1})
    assert latest.request_id == "r2" and latest.label_value is None  # no hints: newest request, whole foreground
    named = pair_correction(log, "ct", "ct", {"prompt": "lkid", "label_names": {"kidney_left": 3}, "ts": 2})
    assert named.request_id == "r1" and named.segment == "kidney_left" and named.label_value == 3
    assert RequestLog(tmp_path).latest_for("ct").request_id == "r2"  # survives reopening
