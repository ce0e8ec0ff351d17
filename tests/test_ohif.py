"""OHIF in a real browser: the OHIF v3 build inside the monailabel wheel, served by our server at /ohif/, on a study
that lives in a real PACS (Orthanc, DICOMweb) and reaches the browser through MONAI Label's /proxy/dicom/ routes.

Debian's `chromium` runs headless under Playwright for Python (`executable_path`, never a downloaded browser). The
test does what a user does: opens the study, connects the MONAI Label panel, types the request into the `prompt`
option (Options / Configurations), runs `seer` from Auto-Segmentation, and checks the segment that OHIF filled.

How the panel names what comes back (plugins/ohifv3 in the wheel, bundled unchanged): it takes the model's `labels`
from /info at connect time, a dict name -> value (a list means value = position + 1), and pre-creates one segment per
name. The infer reply is an NRRD label map (the panel sends `result_extension: ".nrrd"`); every voxel value is
looked up in that table, and values it does not know are dropped. So every vocabulary name exists as a segment from
the start, and the check is on content: the only segment that holds voxels must be the requested structure's, with
the reference's voxels, where the reference puts them. OHIF exposes its services as `window.services`.

A screenshot is left in test-artifacts/ohif_seer.png (on failure: ohif_failure.png, .html and the console log).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from helpers import REPO, running_server, write_dicom_series
from orthanc import upload_series

CHROMIUM = Path("/usr/bin/chromium")
# Headless, offline and quiet: no GPU, no QUIC, no first-run, sync, component or background network traffic.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOT = ARTIFACTS / "ohif_seer.png"

PROMPT = "outline the left kidney"
REQUESTED = "kidney_left"  # the concept's name, as the model's /info `labels` lists it
KIDNEY_LEFT_TOTAL = 3  # its value in TotalSegmentator `total`, the sample map's vocabulary
SERIES_DESCRIPTION = "SEER OHIF test CT"
TIMEOUT_MS = 120_000

# Which segment of OHIF's segmentation "1" holds how many voxels, and where their centre lies (patient LPS, mm).
SEGMENT_CONTENT_JS = """() => {
  const service = window.services.segmentationService;
  const segmentation = service.getSegmentations().find((s) => s.segmentationId === '1');
  const volume = segmentation && service.getLabelmapVolume('1');
  if (!volume) return null;
  const segments = segmentation.segments || (segmentation.config || {}).segments || {};
  const data = volume.voxelManager.getCompleteScalarDataArray();
  const [nx, ny] = volume.dimensions;
  const stats = {};
  for (let n = 0; n < data.length; n++) {
    const v = data[n];
    if (!v) continue;
    const s = stats[v] || (stats[v] = {count: 0, sum: [0, 0, 0]});
    s.count += 1;
    s.sum[0] += n % nx; s.sum[1] += Math.floor(n / nx) % ny; s.sum[2] += Math.floor(n / (nx * ny));
  }
  const content = {};
  for (const [value, s] of Object.entries(stats)) {
    const ijk = s.sum.map((x) => x / s.count);
    const d = volume.direction, sp = volume.spacing, o = volume.origin;
    const world = [0, 1, 2].map(
      (a) => o[a] + ijk[0] * sp[0] * d[a] + ijk[1] * sp[1] * d[3 + a] + ijk[2] * sp[2] * d[6 + a]);
    const name = segments[value] ? segments[value].label : `#${value}`;
    content[name] = {count: s.count, centre: world};
  }
  return {names: Object.values(segments).map((s) => s.label), content: content};
}"""

# Move every viewport's slice through a point (patient LPS, mm), keeping its orientation, so the screenshot cuts
# through the requested structure.
JUMP_TO_JS = """(point) => {
  for (const engine of window.cornerstone.getRenderingEngines()) {
    for (const viewport of engine.getViewports()) {
      const camera = viewport.getCamera();
      const n = camera.viewPlaneNormal;
      const d = [0, 1, 2].reduce((acc, a) => acc + (point[a] - camera.focalPoint[a]) * n[a], 0);
      viewport.setCamera({focalPoint: camera.focalPoint.map((v, a) => v + d * n[a]),
                          position: camera.position.map((v, a) => v + d * n[a])});
      viewport.render();
    }
  }
}"""


def centre_of(map_path: Path, value: int) -> tuple[int, np.ndarray]:
    """Voxel count and centre (patient LPS, mm: DICOM's and Cornerstone's world frame) of one value of a map."""
    image = sitk.ReadImage(str(map_path))
    zyx = np.argwhere(sitk.GetArrayFromImage(image) == value)
    centre = image.TransformContinuousIndexToPhysicalPoint([float(v) for v in zyx.mean(axis=0)[::-1]])
    return len(zyx), np.array(centre)


@pytest.fixture(scope="module")
def study(orthanc, ct_path, tmp_path_factory):
    """The shared CT as a DICOM series stored in Orthanc: {"study", "series", "instances"}."""
    folder = write_dicom_series(ct_path, tmp_path_factory.mktemp("ohif-dicom"), description=SERIES_DESCRIPTION)
    return upload_series(orthanc["url"], folder)


@pytest.fixture(scope="module")
def server(orthanc, study, ct_map_path, tmp_path_factory):
    """`make run` on Orthanc's DICOMweb, with the series' segment-everything map in `--conf labelmap_dir`."""
    maps = tmp_path_factory.mktemp("ohif-maps")
    shutil.copy(ct_map_path, maps / f"{study['series']}.nii.gz")
    model_dir = tmp_path_factory.mktemp("ohif-model")
    with running_server(tmp_path_factory, f"--conf labelmap_dir {maps}", studies=orthanc["dicomweb"],
                        model_dir=model_dir) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make pacs-deps` (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: run `make install` (requirements.txt pins it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def test_ohif_names_the_requested_structure_and_draws_it_on_the_ct(server, study, browser, ct_map_path):
    expected_count, expected_centre = centre_of(ct_map_path, KIDNEY_LEFT_TOTAL)
    ARTIFACTS.mkdir(exist_ok=True)
    for stale in ARTIFACTS.glob("ohif_*"):  # a picture left by an earlier run must not pass for this one's
        stale.unlink()
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    # Offline: OHIF's index.html asks Google Fonts for a typeface; everything it needs comes from our server.
    context.route(lambda url: not url.startswith(server["url"]), lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("console", lambda message: console.append(f"[{message.type}] {message.text}"))
    page.on("pageerror", lambda error: console.append(f"[pageerror] {error}"))
    try:
        # 1. Open the study in the MONAI Label mode (the series comes from Orthanc through /proxy/dicom/).
        viewer_url = f"{server['url']}/ohif/monai-label?StudyInstanceUIDs={study['study']}"
        page.goto(viewer_url, wait_until="networkidle")
        page.wait_for_function("() => window.services && window.services.displaySetService"
                               ".getActiveDisplaySets().some((d) => d.Modality === 'CT')")
        page.get_by_text(SERIES_DESCRIPTION).first.wait_for()  # the viewport overlay: the series is shown
        hide_banner = page.get_by_role("button", name="Confirm and Hide")
        if hide_banner.is_visible():
            hide_banner.click()

        # 2. The MONAI Label panel (the mode's right panel, open by default; else its header opens it): connect it to
        #    our server, whose address the panel cannot guess (it defaults to port 8000).
        server_box = page.locator("#monailabelServerURL")
        if not server_box.is_visible():
            page.get_by_text("MONAI Label", exact=True).first.click()
        server_box.wait_for()
        server_box.fill(f"{server['url']}/")
        server_box.press("Tab")  # the panel stores the address on blur
        with page.expect_response(lambda r: r.url.startswith(f"{server['url']}/info/")) as info:
            page.locator("table.settingsTable button.actionButton").click()
        assert info.value.status == 200
        page.get_by_text("Options / Configurations").wait_for()
        page.wait_for_function("() => (window.services.segmentationService.getSegmentations()"
                               ".find((s) => s.segmentationId === '1') || {}).segments")

        # 3. Type the request into the `prompt` option (section infer, name seer) and confirm.
        page.get_by_text("Options / Configurations").click()
        prompt_box = page.locator("#inferseerprompt")
        prompt_box.fill(PROMPT)
        page.get_by_role("button", name="Confirm", exact=True).click()
        prompt_box.wait_for(state="detached")

        # 4. Run `seer` from Auto-Segmentation.
        page.locator("label[for=tab-2]", has_text="Auto-Segmentation").click()
        tab = page.locator("#tab-2 ~ .tab-content")
        tab.locator("select").select_option("seer")
        with page.expect_response(lambda r: "/infer/seer" in r.url) as reply:
            tab.get_by_role("button", name="Run").click()
        reply = reply.value
        params = _form_params(reply.request.post_data or "")
        assert params["prompt"] == PROMPT, params
        assert f"image={study['series']}" in reply.url
        assert reply.status == 200, reply.text()
        assert reply.body()[:4] == b"NRRD", ("the panel parses the infer reply as NRRD (it sends "
                                             "result_extension='.nrrd'); the reply starts with "
                                             f"{reply.body()[:16]!r}")
        page.get_by_text("Running Segmentation - Successful").wait_for()

        # 5. The requested structure's segment, and no other, holds the reference's voxels where they belong.
        filled = f"() => {{ const s = ({SEGMENT_CONTENT_JS})(); return s && Object.keys(s.content).length; }}"
        page.wait_for_function(filled, timeout=60_000)
        segments = page.evaluate(SEGMENT_CONTENT_JS)
        assert REQUESTED in segments["names"], f"/info's labels do not name {REQUESTED}: {segments['names'][:10]}"
        content = segments["content"]
        assert list(content) == [REQUESTED], f"segments holding voxels: { {k: v['count'] for k, v in content.items()} }"
        assert content[REQUESTED]["count"] == expected_count
        offset = np.linalg.norm(np.array(content[REQUESTED]["centre"]) - expected_centre)
        assert offset < 1.0, f"the segment's centre is {offset:.1f} mm from the reference kidney's"

        # The picture: every view cut through the kidney's centre.
        page.evaluate(JUMP_TO_JS, [float(v) for v in expected_centre])
        page.wait_for_timeout(1000)
        page.screenshot(path=str(SCREENSHOT))
        (ARTIFACTS / "ohif_seer.json").write_text(json.dumps(
            {"viewer_url": viewer_url, "prompt": PROMPT, "segments_with_voxels": content,
             "reference": {"count": expected_count, "centre": expected_centre.tolist()}}, indent=2))
    except BaseException:
        _dump_failure(page, console, server)
        raise
    finally:
        context.close()


def _form_params(body: str) -> dict:
    """The JSON of the multipart `params` field that the panel posted."""
    field = body.split('name="params"', 1)[1].split("\r\n\r\n", 1)[1]
    return json.loads(field.split("\r\n--", 1)[0])


def _dump_failure(page, console: list[str], server: dict) -> None:
    """Screenshot, page HTML, browser console and server log tail into test-artifacts/, for the failing run."""
    try:
        page.screenshot(path=str(ARTIFACTS / "ohif_failure.png"))
        (ARTIFACTS / "ohif_failure.html").write_text(page.content())
    except Exception as error:  # the page itself may be gone
        console.append(f"[test] could not capture the page: {error}")
    (ARTIFACTS / "ohif_failure_console.log").write_text("\n".join(console))
    # A CI run shows a failing test's output, not test-artifacts/: the console's end goes there too.
    print("browser console (last 40 lines):", *console[-40:], sep="\n")
    log = Path(server["log"])
    if log.exists():
        (ARTIFACTS / "ohif_failure_server.log").write_text(log.read_text()[-20000:])
