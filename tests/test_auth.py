"""MONAI Label's built-in role-based auth, enabled on the real server with a locally generated key.

MONAI Label 0.8.5 verifies bearer tokens with the public key it fetches from `MONAI_LABEL_AUTH_REALM_URI` (a
Keycloak realm document: JSON with a `public_key` field). Here a loopback HTTP server plays that document, and the
tests sign their own RS256 tokens: no identity server is involved. Policy (lib/access.py): infer needs any role,
user and above; training, saving a label and skill rollback need reviewer or admin.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import time

import jwt
import numpy as np
import pytest
import requests
import SimpleITK as sitk
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers import running_server
from processes import serving

ROLES = {"admin": "monailabel-admin", "reviewer": "monailabel-reviewer", "annotator": "monailabel-annotator",
         "user": "monailabel-user"}
CT_ID = "example_ct_sm"


def public_key_document(key: rsa.RSAPrivateKey) -> bytes:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return json.dumps({"realm": "seer", "public_key": base64.b64encode(der).decode()}).encode()


@contextlib.contextmanager
def realm(document: bytes):
    """A loopback HTTP server that answers every GET with the realm document."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args):  # keep the test output quiet
            pass

    with serving(Handler) as url:
        yield f"{url}/realms/seer"


def token(key, roles: list[str], expires_in: float = 600.0, name: str = "tester") -> str:
    claims = {"preferred_username": name, "email": f"{name}@example.org", "name": name,
              "realm_access": {"roles": roles}, "exp": int(time.time() + expires_in)}
    return jwt.encode(claims, key, algorithm="RS256")


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def server(tmp_path_factory, key):
    """`make run` with auth enabled; ready once /info/ answers an admin token."""
    admin = {"Authorization": f"Bearer {token(key, [ROLES['admin']])}"}
    with realm(public_key_document(key)) as realm_uri:
        env = {"MONAI_LABEL_AUTH_ENABLE": "true", "MONAI_LABEL_AUTH_REALM_URI": realm_uri}
        with running_server(tmp_path_factory, env=env, headers=admin) as running:
            yield running


def bearer(key, role: str | None) -> dict:
    return {"Authorization": f"Bearer {token(key, [ROLES[role]] if role else [])}"}


def infer(server, headers):
    return requests.post(f"{server['url']}/infer/seer", params={"image": CT_ID, "output": "json"},
                         files={"params": (None, json.dumps({"prompt": "left kidney"}))}, headers=headers, timeout=60)


def test_infer_needs_at_least_the_user_role(server, key):
    for role in ("user", "annotator", "reviewer", "admin"):
        reply = infer(server, bearer(key, role))
        assert reply.status_code == 200, (role, reply.text)
    assert infer(server, bearer(key, None)).status_code == 403  # a valid token without any role
    assert infer(server, {}).status_code == 401  # no token


def test_forged_expired_and_malformed_tokens_get_401(server, key):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = {"Authorization": f"Bearer {token(other, [ROLES['admin']])}"}
    expired = {"Authorization": f"Bearer {token(key, [ROLES['admin']], expires_in=-60)}"}
    unsigned = {"Authorization": "Bearer " + jwt.encode({"realm_access": {"roles": [ROLES["admin"]]}}, None,
                                                        algorithm="none")}
    for name, headers in (("forged", forged), ("expired", expired), ("unsigned", unsigned),
                          ("garbage", {"Authorization": "Bearer not.a.token"})):
        assert infer(server, headers).status_code == 401, name


def test_training_needs_reviewer_or_admin(server, key):
    for role in (None, "user", "annotator"):
        reply = requests.post(f"{server['url']}/train/seer", json={}, headers=bearer(key, role), timeout=60)
        assert reply.status_code == 403, (role, reply.text)
    for role in ("reviewer", "admin"):
        # run_sync: the round runs in the server's process and the reply is its result (no 20-30 s process start)
        reply = requests.post(f"{server['url']}/train/seer", params={"run_sync": True}, json={},
                              headers=bearer(key, role), timeout=240)
        assert reply.status_code == 200 and "version" in reply.json(), (role, reply.text)
    stop = requests.delete(f"{server['url']}/train/", headers=bearer(key, "annotator"), timeout=60)
    assert stop.status_code == 403


def test_saving_a_label_needs_reviewer_or_admin(server, key, ct_map_path, tmp_path):
    reference = sitk.ReadImage(str(ct_map_path))
    mask = sitk.GetImageFromArray((sitk.GetArrayFromImage(reference) == 3).astype(np.uint8))
    mask.CopyInformation(reference)
    sitk.WriteImage(mask, str(tmp_path / "final.nii.gz"))
    label = (tmp_path / "final.nii.gz").read_bytes()

    def save(role):
        return requests.put(f"{server['url']}/datastore/label", params={"image": CT_ID, "tag": "final"},
                            files={"label": ("final.nii.gz", label)}, headers=bearer(key, role), timeout=60)

    for role in (None, "user", "annotator"):
        assert save(role).status_code == 403, role
    assert not (server["studies"] / "labels" / "final" / f"{CT_ID}.nii.gz").exists()  # nothing saved by those
    for role in ("reviewer", "admin"):
        reply = save(role)
        assert reply.status_code == 200, (role, reply.text)


def test_skill_rollback_needs_reviewer_or_admin(server, key):
    from lib.skills.bank import SkillBank

    bank = SkillBank(server["model_dir"])
    first, second = bank.commit([]), bank.commit([])
    url = f"{server['url']}/seer/skills/rollback"
    for role in (None, "user", "annotator"):
        reply = requests.post(url, params={"version": first}, headers=bearer(key, role), timeout=30)
        assert reply.status_code == 403, (role, reply.text)
    assert bank.current_version() == second
    for role, version in (("reviewer", first), ("admin", second)):
        reply = requests.post(url, params={"version": version}, headers=bearer(key, role), timeout=30)
        assert reply.status_code == 200 and bank.current_version() == version, (role, reply.text)
    unknown = requests.post(url, params={"version": "v9999"}, headers=bearer(key, "admin"), timeout=30)
    assert unknown.status_code == 404
    listed = requests.get(f"{server['url']}/seer/skills/", headers=bearer(key, "user"), timeout=30)
    assert listed.status_code == 200 and listed.json()["current"] == second
    assert "rolled back to" in server["log"].read_text()
