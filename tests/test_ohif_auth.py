"""OHIF with MONAI Label's auth on: the viewer's own files load without a token (a browser's page load carries
none), and every request the SEER panel and the MONAI Label panel make carries the signed-in user's token, which
OHIF's userAuthenticationService holds.

OHIF signs users in with the site's identity provider (`--conf ohif_oidc`, OHIF's OpenID Connect routes). No
identity provider runs here, so the browser test plays that sign-in's outcome: it hands OHIF's
userAuthenticationService the user's token, as OHIF's OIDC routes do after a login. The token is signed with a key
made in the test and verified by the real server, as in tests/test_auth.py.
"""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers import running_server
from lib.server.ohif import app_config
from lib.settings import SeerSettings, SettingsError
from test_auth import ROLES, public_key_document, realm, token
from test_ohif import browser, study  # noqa: F401  (the headless Debian Chromium and the CT in Orthanc)
from test_ohif import ARTIFACTS, KIDNEY_LEFT_TOTAL, SEGMENT_CONTENT_JS, SERIES_DESCRIPTION, centre_of

TIMEOUT_MS = 120_000
PROMPT = "outline the left kidney"
# Runs before OHIF's own scripts: the moment OHIF has its services, its userAuthenticationService answers with the
# user's token, as after an OIDC sign-in.
SIGNED_IN_JS = """(bearer) => {
  const timer = setInterval(() => {
    const service = window.services && window.services.userAuthenticationService;
    if (!service) return;
    service.setServiceImplementation({getAuthorizationHeader: () => ({Authorization: bearer})});
    clearInterval(timer);
  }, 1);
}"""


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def server(orthanc, study, ct_map_path, key, tmp_path_factory):  # noqa: F811
    """`make run` on Orthanc's DICOMweb with auth enabled."""
    maps = tmp_path_factory.mktemp("auth-maps")
    shutil.copy(ct_map_path, maps / f"{study['series']}.nii.gz")
    admin = {"Authorization": f"Bearer {token(key, [ROLES['admin']])}"}
    with realm(public_key_document(key)) as realm_uri:
        env = {"MONAI_LABEL_AUTH_ENABLE": "true", "MONAI_LABEL_AUTH_REALM_URI": realm_uri}
        with running_server(tmp_path_factory, f"--conf labelmap_dir {maps}", studies=orthanc["dicomweb"], env=env,
                            headers=admin) as running:
            yield running


def test_the_panel_sends_the_signed_in_users_token(server, study, browser, key, ct_map_path):  # noqa: F811
    url = server["url"]
    assert requests.get(f"{url}/info/", timeout=30).status_code == 401  # auth is on
    assert requests.get(f"{url}/proxy/dicom/qido/studies", timeout=30).status_code == 401  # and the pixels need it
    viewer = requests.get(f"{url}/ohif/monai-label?StudyInstanceUIDs={study['study']}", timeout=30)
    assert viewer.status_code == 200 and "<html" in viewer.text.lower()  # the viewer itself needs none

    bearer = f"Bearer {token(key, [ROLES['annotator']], name='annotator')}"
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.route(lambda u: not u.startswith(url), lambda route: route.abort())  # offline: only our server
    context.add_init_script(f"({SIGNED_IN_JS})({json.dumps(bearer)})")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("console", lambda message: console.append(f"[{message.type}] {message.text}"))
    refused: list[str] = []
    page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status in (401, 403) else None)
    status = page.get_by_role("status")
    try:
        with page.expect_response(lambda r: r.url == f"{url}/info/") as info:
            page.goto(f"{url}/ohif/monai-label?StudyInstanceUIDs={study['study']}", wait_until="networkidle")
        assert info.value.status == 200 and info.value.request.headers.get("authorization") == bearer
        page.get_by_text(SERIES_DESCRIPTION).first.wait_for()  # OHIF read the series through /proxy/dicom/
        status.get_by_text("Connected").wait_for()

        request_box = page.get_by_role("textbox", name="Request")
        request_box.fill(PROMPT)
        with page.expect_response(lambda r: "/infer/seer" in r.url) as reply:
            request_box.press("Enter")
        assert reply.value.status == 200, reply.value.text()
        assert reply.value.request.headers.get("authorization") == bearer
        status.get_by_text("Segments:").wait_for()
        page.wait_for_function(f"() => Object.keys(({SEGMENT_CONTENT_JS})().content).length > 0", polling=250)
        drawn = page.evaluate(SEGMENT_CONTENT_JS)["content"]
        expected_count, expected_centre = centre_of(ct_map_path, KIDNEY_LEFT_TOTAL)
        assert list(drawn) == ["kidney_left"] and drawn["kidney_left"]["count"] == expected_count, drawn
        assert np.linalg.norm(np.array(drawn["kidney_left"]["centre"]) - expected_centre) < 1.0
        assert refused == [], refused  # no request of the page was turned away
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ohif-auth.png"))
    except BaseException:
        print("browser console (last 40 lines):", *console[-40:], sep="\n")
        raise
    finally:
        context.close()


def test_ohif_oidc_is_served_to_ohif_and_a_bad_value_is_refused_at_start():
    conf = json.dumps({"authority": "https://keycloak.example/realms/seer", "client_id": "ohif"})
    settings = SeerSettings.from_conf({"ohif_oidc": conf}, "/app")
    served = app_config(lambda: SimpleNamespace(conf={}, settings=settings))
    line = next(line for line in served.splitlines() if line.startswith("window.config.oidc = "))
    clients = json.loads(line.removeprefix("window.config.oidc = ").rstrip(";"))
    assert clients == [{"response_type": "code", "scope": "openid", "authority": "https://keycloak.example/realms/seer",
                        "client_id": "ohif"}]
    assert "window.config.oidc" not in app_config(lambda: SimpleNamespace(conf={}, settings=SeerSettings()))
    for bad, says in (("{not json", "not JSON"), ('{"authority": "https://idp"}', "client_id"), ("[]", "authority")):
        with pytest.raises(SettingsError, match=says):
            SeerSettings.from_conf({"ohif_oidc": bad}, "/app")
