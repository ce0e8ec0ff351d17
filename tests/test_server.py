"""The real MONAI Label server, started by the README's own command (`make run`), driven over HTTP."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import time

import numpy as np
import pytest
import requests
import SimpleITK as sitk

from conftest import REPO, reference_mask

KIDNEY_LEFT_TOTAL = 3
STARTUP_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    studies = tmp_path_factory.mktemp("studies")
    log = open(tmp_path_factory.mktemp("log") / "server.log", "w+")
    process = subprocess.Popen(["make", "run", f"PORT={port}", f"STUDIES={studies}"], cwd=REPO, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"`make run` exited with {process.returncode}:\n{log.read()[-3000:]}")
        try:
            if requests.get(f"{url}/info/", timeout=5).ok:
                break
        except requests.ConnectionError:
            time.sleep(1)
    else:
        pytest.fail("the server did not answer /info/ in time")
    yield {"url": url, "studies": studies, "log": log}
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def infer(server, prompt, image="example_ct_sm", output="json"):
    return requests.post(f"{server['url']}/infer/seer", params={"image": image, "output": output},
                         files={"params": (None, json.dumps({"prompt": prompt}))}, timeout=120)


def test_info_lists_the_model_its_prompt_and_vocabulary(server):
    info = requests.get(f"{server['url']}/info/", timeout=30).json()
    model = info["models"]["seer"]
    assert model["config"] == {"prompt": ""}
    assert model["backbone"] == "labelmap"
    assert "kidney_left" in model["vocabulary"] and len(model["vocabulary"]) == 117
    assert info["datastore"]["label_tags"] == {"everything": 1}


def test_left_kidney_over_http_matches_the_reference(server, ct_map_path):
    answer = infer(server, "outline the lt kidny for volumetry")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["spec"]["status"] == "ok" and result["spec"]["targets"] == ["kidney_left"]
    assert result["label_names"] == {"kidney_left": 1}
    assert {"evidence", "rationale", "answer"} <= set(result["spec"]["trace"])

    image = infer(server, "left kidney", output="image")
    assert image.status_code == 200
    path = server["studies"] / "returned.nii.gz"
    path.write_bytes(image.content)
    returned = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))
    np.testing.assert_array_equal(returned == 1, reference_mask(ct_map_path, [KIDNEY_LEFT_TOTAL]))
    assert set(np.unique(returned)) == {0, 1}


def test_refused_request_returns_an_empty_label_and_a_reason(server):
    answer = infer(server, "segment the brain")
    assert answer.status_code == 200
    assert answer.json()["spec"]["status"] == "rejected"
    assert "not in this image" in answer.json()["message"]
    image = infer(server, "segment the brain", output="image")
    path = server["studies"] / "empty.nii.gz"
    path.write_bytes(image.content)
    assert not sitk.GetArrayFromImage(sitk.ReadImage(str(path))).any()


def test_bad_requests_get_clear_4xx(server):
    missing = infer(server, "liver", image="no_such_image")
    assert missing.status_code == 404 and "no_such_image" in missing.json()["detail"]
    empty = infer(server, "  ")
    assert empty.status_code == 400 and "prompt" in empty.json()["detail"]
