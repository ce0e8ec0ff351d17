"""The store of the app's state (lib/store) on both back ends: SQLite in a model_dir, and a real PostgreSQL
(tests/postgres.py). Requests and pairing seen from two handles (two servers), skill-bank versions with rollback,
one train round at a time (its lock released when the holder is SIGKILLed), import of a JSONL model_dir through the
CLI, and the privacy deletions."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from cli import main as cli_main
from conftest import APP
from lib.records import RequestRecord, TargetSpec
from lib.request_log import Correction, CorrectionLog, RequestLog, export_records, pair_correction, remove_records
from lib.skills.bank import SOURCE_DELETED, BankError, Skill, SkillAudit, SkillBank
from lib.store import RoundRunning, Store, TrainGate
from postgres import running_postgres

NAMES = itertools.count()


@pytest.fixture(scope="module")
def postgres():
    with running_postgres() as database:
        yield database


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    """Where a fresh, empty store is: a model_dir (SQLite) or a new database on the test's PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path)
    import psycopg

    server = request.getfixturevalue("postgres")
    name = f"t{next(NAMES)}"
    with psycopg.connect(server["url"], autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server["url"].rsplit("/", 1)[0] + f"/{name}"


def request(request_id: str, image: str, prompt: str, time: datetime | None = None) -> RequestRecord:
    return RequestRecord(request_id=request_id, image_id=image, prompt=prompt, backbone="labelmap",
                         spec=TargetSpec(status="ok", targets=["liver"]),
                         **({"time": time} if time else {}))


def skill(skill_id: str, trigger: str, image: str = "img") -> Skill:
    return Skill(skill_id=skill_id, tag="ABBR_DISAMBIGUATE", trigger=trigger, trigger_kind="token",
                 canonical=["kidney_left"], audit=SkillAudit(image_id=image, label_id=image, request_id="r1",
                                                              reward_before=0.0, reward_after=1.0, gain=1.0))


def test_schema_is_alembics_head_and_a_record_served_by_one_handle_pairs_through_another(location):
    served_by_b = Store(Store.open(location).url)  # a second engine: another server on the same store
    with Store.open(location).session() as session:
        (revision,) = session.execute(text("SELECT version_num FROM alembic_version")).one()
    assert revision == "0002"  # 0002: served_images
    RequestLog(served_by_b).append(request("r1", "ct", "Patient: Gregory Hollingsworth: lkid"))
    RequestLog(served_by_b).append(request("r2", "ct", "liver"))
    log_a = RequestLog(location)
    assert [r.request_id for r in log_a.read()] == ["r1", "r2"]
    assert "Hollingsworth" not in log_a.read()[0].prompt  # stored scrubbed
    correction = pair_correction(log_a, "ct", "final", {"prompt": "Patient: Gregory Hollingsworth: lkid", "ts": 7})
    assert correction.request_id == "r1"
    corrections = CorrectionLog(location)
    assert corrections.append(correction) and not CorrectionLog(served_by_b).append(correction)  # one per save
    assert CorrectionLog(served_by_b).paired("ct", 7) and len(corrections.read()) == 1
    served_by_b.dispose()


def test_bank_versions_are_immutable_and_rollback_moves_the_pointer(location, capsys):
    bank = SkillBank(location)
    assert bank.current_version() is None and bank.load() == [] and bank.stamp() == (None, 0)
    lkid = skill("a", "lkid")
    v1 = bank.commit([lkid])
    v2 = bank.commit([lkid, skill("b", "lk")])
    assert (v1, v2) == ("v0001", "v0002") and bank.versions() == [v1, v2]
    stamp = bank.stamp()
    bank.rollback(v1)
    assert bank.stamp() != stamp and [s.skill_id for s in bank.load()] == ["a"]
    assert [s.skill_id for s in bank.load(v2)] == ["a", "b"]
    with pytest.raises(BankError, match="v0009"):
        bank.rollback("v0009")
    with pytest.raises(BankError, match="no bank version"):
        bank.load("latest")
    store_args = ["--store", location] if "://" in location else ["--model-dir", location]
    assert cli_main(["skills", "diff", v1, v2, *store_args]) == 0
    assert json.loads(capsys.readouterr().out) == {"added": ["b"], "removed": [], "changed": []}
    assert cli_main(["skills", "rollback", v2, *store_args]) == 0 and bank.current_version() == v2
    assert cli_main(["skills", "show", "b", *store_args]) == 0 and '"trigger": "lk"' in capsys.readouterr().out


HOLDER = r"""
import sys
sys.path.insert(0, sys.argv[1])
from lib.store import Store, TrainGate
gate = TrainGate(Store.open(sys.argv[2]))
claimed = gate.claim("holder")
print(claimed.id, flush=True)
sys.stdin.read()
"""


def test_one_train_round_at_a_time_and_a_dead_holder_releases_it(location):
    store = Store.open(location)
    first = TrainGate(store)
    claimed = first.claim("server-a")
    with pytest.raises(RoundRunning, match=f"train round {claimed.id} is running .* on server-a"):
        TrainGate(store).claim("server-b")
    first.release()
    second = TrainGate(store).claim("server-b")
    assert second.id > claimed.id

    # The round a released claim left "running" (its holder never finished it) is marked abandoned.
    from lib.store.db import round_status

    assert round_status(store, claimed.id) == "abandoned"


def test_a_sigkilled_holder_never_blocks_training(location):
    store = Store.open(location)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(APP), location], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, encoding="utf-8")
    held = int(holder.stdout.readline())
    with pytest.raises(RoundRunning, match=f"train round {held} is running"):
        TrainGate(store).claim("server-b")
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    gate = TrainGate(store)
    # PostgreSQL frees the advisory lock when the dead client's backend notices the closed socket and exits, which
    # can be a moment after the kill; until then a claim is refused as for any running round. So the claim is
    # retried for a bounded while: what must hold is that the lock comes free without anyone releasing it.
    deadline = time.monotonic() + 30
    while True:
        try:
            claimed = gate.claim("server-b")
            break
        except RoundRunning:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert claimed.id > held
    from lib.store.db import round_status

    assert round_status(store, held) == "abandoned"
    gate.release()


def write_jsonl_model_dir(folder):
    """A model_dir as the app kept it before the store: JSONL logs (one torn, never acknowledged last line), two
    bank versions with CURRENT on the first, and the last round's statistics."""
    (folder / "skills").mkdir(parents=True)
    records = [request(f"r{k}", "ct", f"lkid {k}").model_dump_json() for k in range(3)]
    (folder / "requests.jsonl").write_text("\n".join(records) + "\n" + records[0][:40], encoding="utf-8")
    correction = Correction(image_id="ct", label_id="ct", request_id="r2", prompt="lkid 2", spec=None, label_ts=5)
    (folder / "corrections.jsonl").write_text(correction.model_dump_json() + "\n", encoding="utf-8")
    (folder / "skills" / "v0001.jsonl").write_text(skill("a", "lkid").model_dump_json() + "\n")
    (folder / "skills" / "v0002.jsonl").write_text(
        "".join(s.model_dump_json() + "\n" for s in (skill("a", "lkid"), skill("b", "lk"))))
    (folder / "skills" / "CURRENT").write_text("v0001\n")
    (folder / "train_stats.json").write_text(json.dumps({"version": "v0002", "harvested": 1, "time":
                                                         datetime.now(timezone.utc).isoformat()}))
    (folder / "al_served.json").write_text(json.dumps({"ct": 1700000000.0}))


def test_store_import_of_a_jsonl_model_dir_then_skills_work_on_it(location, tmp_path, capsys):
    legacy = tmp_path / "legacy"
    write_jsonl_model_dir(legacy)
    store_args = ["--store", location] if "://" in location else []
    if not store_args:  # SQLite: the store is the one in the imported model_dir itself
        location = str(legacy)
    assert cli_main(["store", "import", "--model-dir", str(legacy), *store_args]) == 0
    counts = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert counts == {"requests": 3, "corrections": 1, "bank_versions": 2, "train_rounds": 1, "served_images": 1,
                      "skipped": 0}
    assert cli_main(["store", "import", "--model-dir", str(legacy), *store_args]) == 0  # again: nothing twice
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["requests"] == 0
    assert [r.request_id for r in RequestLog(location).read()] == ["r0", "r1", "r2"]
    assert CorrectionLog(location).read()[0].request_id == "r2"
    bank = SkillBank(location)
    assert bank.versions() == ["v0001", "v0002"] and bank.current_version() == "v0001"
    assert cli_main(["skills", "list", *(store_args or ["--model-dir", location])]) == 0
    listed = capsys.readouterr().out
    assert "* v0001  1 skills" in listed and "  v0002  2 skills" in listed and "'lkid'" in listed
    from lib.store.db import last_round_stats

    assert last_round_stats(Store.open(location))["harvested"] == 1


class Images:
    """A datastore's one call that the active-learning strategy makes: the images without a final label."""

    def __init__(self, images):
        self.images = images

    def get_unlabeled_images(self, label_tag=None):
        return list(self.images)


def test_active_learning_on_two_servers_hands_out_different_images(location):
    from lib.activelearning.seer import SeerUncertainStrategy

    on_a = SeerUncertainStrategy(RequestLog(location), Store.open(location))
    on_b = SeerUncertainStrategy(RequestLog(location), Store(Store.open(location).url))  # another server's engine
    images = Images(["ct_a", "ct_b", "ct_c"])  # no answers yet: the tie-break alone decides
    handed = [strategy({}, images)["id"] for strategy in (on_a, on_b, on_a)]
    assert handed == ["ct_a", "ct_b", "ct_c"], handed  # each call saw the others' stamps
    assert on_b({}, images)["id"] == "ct_a"  # then the one served longest ago


def test_purge_export_and_delete_on_the_store(location):
    now = datetime.now(timezone.utc)
    log = RequestLog(location)
    log.append(request("old", "ct", "lkid", now - timedelta(days=400)))
    log.append(request("new", "mr", "lkid", now))
    CorrectionLog(location).append(Correction(image_id="ct", label_id="ct", request_id="old", prompt="lkid",
                                              spec=None, time=now - timedelta(days=400)))
    SkillBank(location).commit([skill("a", "lkid", image="ct")])
    assert export_records(location, {"ct"})["skills"][0]["skill_id"] == "a"
    removal = remove_records(location, before=now - timedelta(days=90))
    assert removal.counts() == {"requests": 1, "corrections": 1, "skills_source_deleted": 1}
    assert SkillBank(location).load()[0].audit.source == SOURCE_DELETED
    assert [r.request_id for r in log.read()] == ["new"]
    assert remove_records(location, image_ids={"mr"}).counts()["requests"] == 1 and log.read() == []


def test_a_bad_store_is_refused_with_its_reason():
    from lib.settings import SeerSettings, SettingsError
    from lib.store import StoreError
    from processes import free_port

    with pytest.raises(SettingsError, match="--conf store 'mysql://db/seer'"):
        SeerSettings.from_conf({"store": "mysql://db/seer"}, "/app")
    assert SeerSettings.from_conf({"store": "postgresql://seer@db/seer"}, "/app").store == "postgresql://seer@db/seer"
    # Nothing listens on the port: a clear error naming the store (its password hidden), not a traceback.
    with pytest.raises(StoreError, match=r"cannot open the store postgresql\+psycopg://seer:\*\*\*@127.0.0.1"):
        Store.open(f"postgresql://seer:secret@127.0.0.1:{free_port()}/seer")
