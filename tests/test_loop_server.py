"""SEER-Loop over HTTP on the real server: a correction saved as `final` teaches a shorthand through
`POST /train/seer`; rollback, a killed training process, and active learning's ordering.

The tests in this module run in order against one server with its own model folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import requests
import SimpleITK as sitk

from conftest import APP
from helpers import running_server
from lib.request_log import Correction, CorrectionLog
from lib.skills.bank import SkillBank

TRAIN_TIMEOUT_S = 300
TOTAL_LABEL = {"kidney_left": 3, "spleen": 1}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory) as running:
        yield running


def infer(server, prompt, image="example_ct_sm"):
    answer = requests.post(f"{server['url']}/infer/seer", params={"image": image, "output": "json"},
                           files={"params": (None, json.dumps({"prompt": prompt}))}, timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()["spec"]


def save_final(server, ct_map_path, tmp_path, structure, params=None, image="example_ct_sm"):
    reference = sitk.ReadImage(str(ct_map_path))
    mask = sitk.GetImageFromArray((sitk.GetArrayFromImage(reference) == TOTAL_LABEL[structure]).astype(np.uint8))
    mask.CopyInformation(reference)
    path = tmp_path / f"final_{structure}.nii.gz"
    sitk.WriteImage(mask, str(path))
    time.sleep(1.1)  # the datastore stamps labels to the second; one correction per save
    with open(path, "rb") as f:
        answer = requests.put(f"{server['url']}/datastore/label", params={"image": image, "tag": "final"},
                              files={"label": (path.name, f), "params": (None, json.dumps(params or {}))}, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def train(server) -> dict:
    """One round in the server's process (MONAI Label's `run_sync`): what these tests check is what a round learns,
    and a training process costs 20-30 s of start-up. The background process that OHIF's "Update Model" starts is
    driven by tests/test_ohif_loop.py, tests/test_team.py (409) and the kill test below."""
    reply = requests.post(f"{server['url']}/train/seer", params={"run_sync": True}, json={}, timeout=TRAIN_TIMEOUT_S)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_a_correction_teaches_a_site_shorthand(server, ct_map_path, tmp_path):
    before = infer(server, "lkid for volumetry")
    assert not (before["status"] == "ok" and before["targets"] == ["kidney_left"])  # unknown to the engine

    paired = save_final(server, ct_map_path, tmp_path, "kidney_left")
    assert paired["seer_paired_request"]
    train(server)
    stats = requests.get(f"{server['url']}/info/", timeout=30).json()["train_stats"]["seer"]
    assert stats["harvested"] == 1 and stats["dice_before"] == 0.0 and stats["dice_after"] == 1.0

    for prompt in ("lkid for volumetry", "pls seg lkid", "LKID?"):  # the same shorthand, worded differently
        spec = infer(server, prompt)
        assert spec["status"] == "ok" and spec["targets"] == ["kidney_left"], (prompt, spec["trace"]["rationale"])
        assert spec["skill"] and any(spec["skill"] in line for line in spec["trace"]["rationale"])
    for prompt, targets in (("left kidney", ["kidney_left"]), ("liver", ["liver"])):
        spec = infer(server, prompt)
        assert spec["targets"] == targets and spec["skill"] is None
    model = requests.get(f"{server['url']}/info/", timeout=30).json()["models"]["seer"]
    assert model["skill_bank"] == {"version": "v0001", "size": 1}


def test_rollback_restores_an_earlier_version(server, ct_map_path, tmp_path):
    # Swedish: no language file covers it (German "Milz" is now read out of the box)
    assert infer(server, "mjälte")["targets"] != ["spleen"]
    save_final(server, ct_map_path, tmp_path, "spleen", {"prompt": "mjälte"})
    train(server)
    assert infer(server, "mjälte tack")["targets"] == ["spleen"]

    rolled = subprocess.run([sys.executable, str(APP / "cli.py"), "skills", "rollback", "v0001",
                             "--model-dir", str(server["model_dir"])], capture_output=True, encoding="utf-8")
    assert rolled.returncode == 0, rolled.stderr
    assert infer(server, "mjälte")["targets"] != ["spleen"]  # picked up without a restart
    assert infer(server, "lkid")["targets"] == ["kidney_left"]
    SkillBank(server["model_dir"]).rollback("v0002")


def test_killing_training_mid_round_leaves_the_previous_version(server):
    bank = SkillBank(server["model_dir"])
    version, skills = bank.current_version(), bank.load()
    # Many corrections make a round long enough to be killed in the middle of it.
    log = CorrectionLog(server["model_dir"])
    for k in range(40):
        log.append(Correction(image_id="example_ct_sm", label_id="example_ct_sm", request_id=None,
                              prompt=f"zq{k}x", spec=None))
    env = {**os.environ, "MONAI_LABEL_APP_DIR": str(APP), "MONAI_LABEL_STUDIES": str(server["studies"]),
           "MONAI_LABEL_APP_CONF": json.dumps({"model_dir": str(server["model_dir"])})}
    process = subprocess.Popen([sys.executable, "-m", "monailabel.interfaces.utils.app", "-m", "train", "-r",
                                json.dumps({"model": "seer"})], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, encoding="utf-8")
    seen = []
    for line in process.stdout:
        seen.append(line)
        if "seer train: correction 1/" in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "".join(seen[-20:])
    assert bank.current_version() == version
    assert [s.skill_id for s in bank.load()] == [s.skill_id for s in skills]  # readable, unchanged
    assert infer(server, "lkid")["targets"] == ["kidney_left"]


def test_active_learning_serves_the_least_certain_unlabeled_image(server, ct_path, ct_map_path):
    for image in ("ct_b", "ct_c"):
        with open(ct_path, "rb") as f:
            added = requests.put(f"{server['url']}/datastore/image", params={"image": image},
                                 files={"file": (f"{image}.nii.gz", f)}, timeout=60)
        assert added.status_code == 200, added.text
        with open(ct_map_path, "rb") as f:
            labelled = requests.put(f"{server['url']}/datastore/label", params={"image": image, "tag": "everything"},
                                    files={"label": (f"{image}.nii.gz", f)}, timeout=60)
        assert labelled.status_code == 200, labelled.text
    assert infer(server, "left kidney", image="ct_b")["status"] == "ok"  # confident
    assert infer(server, "kidney", image="ct_c")["status"] == "clarify"  # unsure: asked back

    def next_image():
        answer = requests.post(f"{server['url']}/activelearning/seer_uncertain", json={}, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()["id"]

    assert next_image() == "ct_c"  # example_ct_sm has a final label and is never served
    assert infer(server, "left kidney", image="ct_c")["status"] == "ok"  # now both equally certain
    assert next_image() == "ct_b"  # the tie goes to the one served least recently
    assert next_image() == "ct_c"
    deadline = time.monotonic() + 120
    while True:  # MONAI Label also starts scoring by itself after serving a sample: 429 while that one runs
        scores = requests.post(f"{server['url']}/scoring/seer_certainty", params={"run_sync": True}, json={},
                               timeout=120)
        if scores.status_code != 429 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert scores.status_code == 200, scores.text
    assert scores.json()["certainty"] == {"ct_b": 0.97, "ct_c": 0.97, "example_ct_sm": 0.97}


# --- Reasoning v2 over HTTP (issue 7) ---------------------------------------------------------------------------------

def test_negation_only_returns_no_mask_over_http(server):
    answer = requests.post(f"{server['url']}/infer/seer", params={"image": "example_ct_sm", "output": "json"},
                           files={"params": (None, json.dumps({"prompt": "do not segment the liver"}))}, timeout=120)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["spec"]["status"] in ("rejected", "clarify") and body["spec"]["targets"] == []
    assert not body.get("label_names")


def test_a_correction_in_the_same_request_over_http(server):
    spec = infer(server, "segment the spleen - sorry, I meant the left kidney")
    assert spec["status"] == "ok" and spec["targets"] == ["kidney_left"], spec["trace"]["rationale"]


def test_a_learned_shorthand_does_not_cross_sides_over_http(server):
    """"lkid" was taught above (left kidney); "rkid" is similar in spelling and embedding, and must not get it."""
    assert infer(server, "lkid for volumetry")["targets"] == ["kidney_left"]
    spec = infer(server, "rkid for volumetry")
    assert "kidney_left" not in spec["targets"], spec["trace"]["rationale"]


def test_a_laterality_failure_is_a_consistent_refusal_over_http(server, ct_path, ct_map_path, tmp_path):
    """A mirrored segment-everything map puts the left kidney on the right: the answer is a refusal in every
    field (status, targets, trace answer, label names)."""
    image = "mirrored_ct"
    with open(ct_path, "rb") as f:
        stored = requests.put(f"{server['url']}/datastore/", params={"image": image},
                              files={"file": (f"{image}.nii.gz", f)}, timeout=120)
    assert stored.status_code == 200, stored.text
    reference = sitk.ReadImage(str(ct_map_path))
    mirrored = sitk.GetImageFromArray(sitk.GetArrayFromImage(reference)[:, :, ::-1].copy())
    mirrored.CopyInformation(reference)
    path = tmp_path / "mirrored.nii.gz"
    sitk.WriteImage(mirrored, str(path))
    with open(path, "rb") as f:
        labelled = requests.put(f"{server['url']}/datastore/label", params={"image": image, "tag": "everything"},
                                files={"label": (path.name, f)}, timeout=60)
    assert labelled.status_code == 200, labelled.text
    answer = requests.post(f"{server['url']}/infer/seer", params={"image": image, "output": "json"},
                           files={"params": (None, json.dumps({"prompt": "left kidney"}))}, timeout=120)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    spec = body["spec"]
    assert spec["status"] == "rejected", spec
    assert spec["targets"] == [] and spec["trace"]["answer"]["status"] == "rejected"
    assert spec["trace"]["answer"]["targets"] == [] and not body.get("label_names")
