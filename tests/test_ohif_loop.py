"""The annotation loop inside OHIF (issue 15), in headless Debian Chromium under Playwright: ask, read the answer,
answer a question, correct with OHIF's brush, save as final, update the model, ask again.

The viewer is the OHIF build inside the monailabel wheel with the SEER panel patched in (lib/server/ohif.py), served
by our server at /ohif/. The panel is driven only by its accessible names ("Request", "Segment", "Save as final",
"Update Model", the role="status" element, the candidate buttons); OHIF's own segmentation panel and brush by
theirs. The same loop runs twice: the server on Orthanc's DICOMweb (the final label becomes a DICOM SEG in
Orthanc), and the server on a local studies folder (the final label is stored there; OHIF reads the pixels through
the server's forwarder to `--conf ohif_dicomweb`). A screenshot per step lands in test-artifacts/ohif_loop_*.png.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest
import requests
import SimpleITK as sitk
from requests_toolbelt.multipart.decoder import MultipartDecoder

from helpers import running_server, write_dicom_series
from lib.dicom_seg import display_name
from lib.server.ohif import MODE_CHUNK, PANEL_CHUNK, apply
from orthanc import upload_series
from test_ohif import browser  # noqa: F401  (the same headless Debian Chromium fixture)
from test_ohif import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, JUMP_TO_JS, KIDNEY_LEFT_TOTAL, SEGMENT_CONTENT_JS, centre_of

SERIES_DESCRIPTION = "SEER OHIF loop CT"
OUT_OF_IMAGE = "the brain"  # the sample CT covers T11-L2
AMBIGUOUS = "kidney"
SHORTHAND = "lkid for volumetry"  # a site shorthand the engine does not know until it is taught
INTENDED = "kidney_left"
TIMEOUT_MS = 120_000
SHOTS = ARTIFACTS / "ohif-loop"  # not "ohif_*": test_ohif.py clears those

# Canvas position (page pixels) of a world point (patient LPS, mm) in the viewport that looks along the axial
# normal, and that viewport's id.
AXIAL_POINT_JS = """(point) => {
  for (const engine of window.cornerstone.getRenderingEngines()) {
    for (const viewport of engine.getViewports()) {
      const n = viewport.getCamera().viewPlaneNormal;
      if (Math.abs(n[2]) < 0.9) continue;
      const [x, y] = viewport.worldToCanvas(point);
      const box = viewport.element.getBoundingClientRect();
      return {x: box.left + x, y: box.top + y, id: viewport.id};
    }
  }
  return null;
}"""


def test_the_wheel_holds_the_ohif_build_the_patches_were_written_against(tmp_path):
    """Pin: the patched files of the monailabel wheel (requirements.txt pins 0.8.5) have the hashes the patches were
    written against; a new release fails here, loudly, before any browser runs."""
    from lib.server.ohif import check_wheel, patches, wheel_ohif_dir

    check_wheel()
    written = {p.name: p.read_text() for p in apply(out=tmp_path)}
    assert set(written) == {p.file for p in patches()}
    assert "class SeerPanel extends react.Component" in written[PANEL_CHUNK]
    assert "rightPanels: [monailabel.monaiLabel, cornerstone.panelTool]" in written[MODE_CHUNK]
    for name in written:  # the wheel's own files are only read
        assert (wheel_ohif_dir() / name).read_text() != written[name]


def test_a_changed_build_is_refused_not_patched(tmp_path):
    from lib.server.ohif import OhifPatchError, check_wheel, wheel_ohif_dir

    for name in (PANEL_CHUNK, MODE_CHUNK):
        shutil.copy(wheel_ohif_dir() / name, tmp_path / name)
    with open(tmp_path / MODE_CHUNK, "a") as f:
        f.write("\n// another release\n")
    with pytest.raises(OhifPatchError, match=MODE_CHUNK):
        check_wheel(tmp_path)


@pytest.fixture(scope="module", params=["pacs", "local"])
def loop(request, orthanc, ct_path, ct_map_path, tmp_path_factory):
    """A fresh series in Orthanc and a server with its own model folder: on Orthanc's DICOMweb ("pacs"), or on a
    local studies folder holding the series as NIfTI under its SeriesInstanceUID ("local")."""
    folder = write_dicom_series(ct_path, tmp_path_factory.mktemp("loop-dicom"), description=SERIES_DESCRIPTION)
    study = upload_series(orthanc["url"], folder)
    maps = tmp_path_factory.mktemp("loop-maps")
    shutil.copy(ct_map_path, maps / f"{study['series']}.nii.gz")
    args = f"--conf labelmap_dir {maps}"
    if request.param == "pacs":
        studies = orthanc["dicomweb"]
    else:
        # The series as a PACS would hand it to the server (read by position, LPS), so the viewer's grid and the
        # server's are one.
        studies = tmp_path_factory.mktemp("loop-studies")
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
        sitk.WriteImage(reader.Execute(), str(studies / f"{study['series']}.nii.gz"))
        args += f" --conf ohif_dicomweb {orthanc['dicomweb']}"
    with running_server(tmp_path_factory, args, studies=studies) as server:
        yield {"mode": request.param, "server": server, "study": study, "orthanc": orthanc}


def _server_answer(server: dict, image: str, prompt: str) -> dict:
    """What the server answers a request over plain HTTP (the texts Slicer and curl get)."""
    reply = requests.post(f"{server['url']}/infer/seer", params={"image": image, "output": "json"},
                          files={"params": (None, json.dumps({"prompt": prompt}))}, timeout=120)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _reply_json(response) -> dict:
    """The answer's JSON out of the panel's `output=all` reply (multipart, or JSON alone)."""
    if response.headers.get("content-type", "").startswith("multipart/"):
        parts = MultipartDecoder(response.body(), response.headers["content-type"]).parts
        for part in parts:
            if b'name="params"' in part.headers.get(b"Content-Disposition", b""):
                return json.loads(part.content)
        raise AssertionError("the multipart reply has no params part")
    return response.json()


def test_the_annotation_loop_runs_in_ohif(loop, browser, ct_map_path, ontology):
    server, study, mode = loop["server"], loop["study"], loop["mode"]
    url = server["url"]
    expected_count, expected_centre = centre_of(ct_map_path, KIDNEY_LEFT_TOTAL)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SHOTS.glob(f"{mode}_*"):  # a picture left by an earlier run must not pass for this one's
        stale.unlink()
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.route(lambda u: not u.startswith(url), lambda route: route.abort())  # offline: only our server
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("console", lambda message: console.append(f"[{message.type}] {message.text}"))
    page.on("pageerror", lambda error: console.append(f"[pageerror] {error}"))
    status = page.get_by_role("status")
    request_box = page.get_by_role("textbox", name="Request")

    def shot(step: str) -> None:
        page.screenshot(path=str(SHOTS / f"{mode}_{step}.png"))

    def ask(prompt: str) -> dict:
        request_box.fill(prompt)
        with page.expect_response(lambda r: "/infer/seer" in r.url) as reply:
            request_box.press("Enter")
        assert reply.value.status == 200, reply.value.text()
        answer = _reply_json(reply.value)
        status.locator("[data-kind=busy]").wait_for(state="detached")  # the panel has shown the answer
        return answer

    def content() -> dict:
        return page.evaluate(SEGMENT_CONTENT_JS)["content"]

    try:
        # 1. Open the study: the panel connects itself to the server that served the page.
        with page.expect_response(lambda r: r.url == f"{url}/info/") as info:
            page.goto(f"{url}/ohif/monai-label?StudyInstanceUIDs={study['study']}", wait_until="networkidle")
        assert info.value.status == 200
        page.get_by_text(SERIES_DESCRIPTION).first.wait_for()
        hide_banner = page.get_by_role("button", name="Confirm and Hide")
        if hide_banner.is_visible():
            hide_banner.click()
        status.get_by_text("Connected").wait_for()
        shot("1_connected")

        # 2. A structure outside the image: the reason, in the server's own words.
        answer = ask(OUT_OF_IMAGE)
        expected = _server_answer(server, study["series"], OUT_OF_IMAGE)
        assert answer["status"] == expected["status"] == "rejected"
        assert status.inner_text().strip() == f"rejected: {expected['message']}"
        page.get_by_role("button", name="Why?").click()  # the trace: evidence, rationale, ledger
        page.get_by_text(expected["spec"]["trace"]["rationale"][0]).wait_for()
        shot("2_refused_out_of_image")

        # 3. An ambiguous request: the question, one button per candidate; pressing one draws that structure.
        answer = ask(AMBIGUOUS)
        assert answer["status"] == "clarify", answer["message"]
        names = requests.get(f"{url}/seer/concepts", timeout=30).json()["names"]
        assert f"clarify: {answer['message']}" in status.inner_text()
        for candidate in answer["spec"]["candidates"]:
            status.get_by_role("button", name=names[candidate], exact=True).wait_for()
        shot("3a_question")
        with page.expect_response(lambda r: "/infer/seer" in r.url) as reply:
            status.get_by_role("button", name=names[INTENDED], exact=True).click()
        chosen = _reply_json(reply.value)
        assert chosen["status"] == "ok" and list(chosen["label_names"]) == [INTENDED]
        assert _form_prompt(reply.value.request.post_data_buffer) == names[INTENDED]
        status.get_by_text("Segments:").wait_for()
        page.wait_for_function(f"() => Object.keys(({SEGMENT_CONTENT_JS})().content).length > 0", polling=250)
        drawn = content()
        assert list(drawn) == [INTENDED] and drawn[INTENDED]["count"] == expected_count, drawn
        assert np.linalg.norm(np.array(drawn[INTENDED]["centre"]) - expected_centre) < 1.0
        page.evaluate(JUMP_TO_JS, [float(v) for v in expected_centre])
        shot("3b_candidate_drawn")

        # 4. Site shorthand the app does not know: refused.
        refused = ask(SHORTHAND)
        assert refused["status"] == "rejected", refused
        assert status.inner_text().strip() == f"rejected: {refused['message']}"
        shot("4_shorthand_refused")

        # 5. Paint the intended structure with OHIF's brush (pointer events on the axial viewport), then save.
        page.locator("[data-cy=panelSegmentationWithTools-btn]").click()  # OHIF's segmentation panel (its tab)
        page.locator("[data-cy=Brush]").click()  # OHIF's brush (icon buttons: named by data-cy only)
        page.evaluate(JUMP_TO_JS, [float(v) for v in expected_centre])
        target = page.evaluate(AXIAL_POINT_JS, [float(v) for v in expected_centre])
        assert target, "no axial viewport"
        before = content()[INTENDED]["count"]
        page.mouse.move(target["x"] - 30, target["y"])
        page.mouse.down()
        for step in range(1, 13):
            page.mouse.move(target["x"] - 30 + 6 * step, target["y"] + 2 * step, steps=2)
        page.mouse.up()
        page.wait_for_function(f"(n) => (({SEGMENT_CONTENT_JS})().content['{INTENDED}'] || {{}}).count > n",
                               arg=before, polling=250)
        shot("5a_painted")
        page.locator("[data-cy=monailabel-btn]").click()  # back to the SEER panel
        page.get_by_role("button", name="Save as final").click()
        status.get_by_text("Saved as final").wait_for()
        assert f"request {refused['request_id']}" in status.inner_text()  # paired with the refused shorthand
        if mode == "pacs":  # a DICOM SEG in Orthanc, its segment coded from the ontology
            seg = _wait_for_seg(loop["orthanc"]["dicomweb"], study["study"])
            assert seg, "no DICOM SEG appeared in Orthanc"
            study_url = f"{loop['orthanc']['dicomweb']}/studies/{study['study']}"
            metadata = requests.get(f"{study_url}/series/{seg[0]['0020000E']['Value'][0]}/metadata", timeout=30)
            segment = pydicom.Dataset.from_json(metadata.json()[0], bulk_data_uri_handler=lambda *a: b"")\
                .SegmentSequence[0]
            assert segment.SegmentLabel == display_name(ontology[INTENDED])
            assert segment.SegmentedPropertyTypeCodeSequence[0].CodeValue == ontology[INTENDED].snomed_type.value
        else:
            stored = requests.head(f"{url}/datastore/label", params={"image": study["series"], "tag": "final"},
                                   timeout=30)
            assert stored.status_code == 200
        shot("5b_saved_final")

        # 6. Update Model: one SEER-Loop round harvests a skill from the correction.
        page.get_by_role("button", name="Update Model").click()
        status.get_by_text(re.compile(r"Model updated|no new corrections|ended")).wait_for(timeout=300_000)
        assert re.search(r"harvested [1-9]", status.inner_text()), status.inner_text()
        shot("6_model_updated")

        # 7. The same shorthand again, reused from the earlier requests for this series: the intended structure.
        page.get_by_text("Earlier requests for this series").click()
        page.get_by_role("button", name=SHORTHAND, exact=True).click()
        assert request_box.input_value() == SHORTHAND
        with page.expect_response(lambda r: "/infer/seer" in r.url) as reply:
            page.get_by_role("button", name="Segment").click()
        again = _reply_json(reply.value)
        assert again["status"] == "ok" and list(again["label_names"]) == [INTENDED], again["message"]
        assert again["spec"]["skill"]
        status.get_by_text("Segments:").wait_for()
        page.wait_for_function(f"() => (({SEGMENT_CONTENT_JS})().content['{INTENDED}'] || {{}}).count === "
                               f"{expected_count}", polling=250)
        assert list(content()) == [INTENDED]
        shot("7_shorthand_learnt")
    except BaseException:
        _dump_failure(page, console, server, mode)
        raise
    finally:
        context.close()


def _dump_failure(page, console: list[str], server: dict, mode: str) -> None:
    """Screenshot, page HTML, browser console and server log tail of the failing run, in test-artifacts/ohif-loop/."""
    try:
        page.screenshot(path=str(SHOTS / f"{mode}_failure.png"))
        (SHOTS / f"{mode}_failure.html").write_text(page.content())
    except Exception as error:  # the page itself may be gone
        console.append(f"[test] could not capture the page: {error}")
    (SHOTS / f"{mode}_failure_console.log").write_text("\n".join(console))
    # A CI run shows a failing test's output, not test-artifacts/: the console's end goes there too.
    print("browser console (last 40 lines):", *console[-40:], sep="\n")
    log = Path(server["log"])
    if log.exists():
        (SHOTS / f"{mode}_failure_server.log").write_text(log.read_text()[-20000:])


def _form_prompt(body: bytes | None) -> str:
    field = (body or b"").decode("utf-8", "replace").split('name="params"', 1)[1].split("\r\n\r\n", 1)[1]
    return json.loads(field.split("\r\n--", 1)[0])["prompt"]


def _wait_for_seg(dicomweb: str, study_uid: str, timeout_s: float = 30) -> list:
    deadline = time.monotonic() + timeout_s
    while True:
        found = requests.get(f"{dicomweb}/studies/{study_uid}/series", params={"Modality": "SEG"}, timeout=30)
        series = found.json() if found.status_code == 200 and found.content else []
        if series or time.monotonic() > deadline:
            return series
        time.sleep(0.5)
