"""The real MONAI Label server, started by the README's own command (`make run`), driven over HTTP."""

from __future__ import annotations

import json

import numpy as np
import pytest
import requests
import SimpleITK as sitk

from conftest import reference_mask
from helpers import running_server

KIDNEY_LEFT_TOTAL = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory) as running:
        yield running


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
    # The vocabulary's stable value, as /info lists it: the OHIF panel names returned values from /info.
    assert result["label_names"] == {"kidney_left": KIDNEY_LEFT_TOTAL}
    assert {"evidence", "rationale", "answer"} <= set(result["spec"]["trace"])

    image = infer(server, "left kidney", output="image")
    assert image.status_code == 200
    path = server["studies"] / "returned.nii.gz"
    path.write_bytes(image.content)
    returned = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))
    np.testing.assert_array_equal(returned == KIDNEY_LEFT_TOTAL, reference_mask(ct_map_path, [KIDNEY_LEFT_TOTAL]))
    assert set(np.unique(returned)) == {0, KIDNEY_LEFT_TOTAL}


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


def test_ohif_style_request_gets_an_nrrd_under_the_info_value(server, ct_map_path):
    # The exact params the OHIF v3 MONAI Label panel sends with Auto-Segmentation: it parses the reply as NRRD
    # and names each value from the model's `labels` in /info.
    params = {"prompt": "outline the left kidney", "result_extension": ".nrrd", "result_dtype": "uint8",
              "result_compress": False, "restore_label_idx": False}
    answer = requests.post(f"{server['url']}/infer/seer", params={"image": "example_ct_sm", "output": "image"},
                           files={"params": (None, json.dumps(params))}, timeout=120)
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(b"NRRD")
    path = server["studies"] / "returned.nrrd"
    path.write_bytes(answer.content)
    labels = requests.get(f"{server['url']}/info/", timeout=30).json()["models"]["seer"]["labels"]
    returned = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))
    np.testing.assert_array_equal(returned == labels["kidney_left"], reference_mask(ct_map_path, [KIDNEY_LEFT_TOTAL]))


def test_a_candidate_picked_from_a_question_is_recorded_with_the_question_it_answers(server):
    from lib.request_log import RequestLog

    question = infer(server, "kidney")
    assert question.status_code == 200 and question.json()["status"] == "clarify", question.text
    candidates = question.json()["spec"]["candidates"]
    assert "kidney_left" in candidates
    asked_by = question.json()["request_id"]

    def follow_up(answers, choice):
        params = {"prompt": "left kidney", "seer_answers": answers, "seer_choice": choice}
        return requests.post(f"{server['url']}/infer/seer", params={"image": "example_ct_sm", "output": "json"},
                             files={"params": (None, json.dumps(params))}, timeout=120)

    chosen = follow_up(asked_by, "kidney_left")
    assert chosen.status_code == 200 and chosen.json()["spec"]["targets"] == ["kidney_left"], chosen.text
    record = next(r for r in RequestLog(server["model_dir"]).read() if r.request_id == chosen.json()["request_id"])
    assert (record.answers, record.choice) == (asked_by, "kidney_left")
    assert follow_up("not-an-id", "kidney_left").status_code == 400
    assert "seer_choice" in follow_up(asked_by, "no_such_concept").json()["detail"]
