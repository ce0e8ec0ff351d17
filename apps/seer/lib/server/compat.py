"""The one module that reaches into MONAI Label's internals. Written for monailabel==0.8.5, which it asserts.

It replaces two behaviours, both through FastAPI's own `dependency_overrides` on the served app (no attribute of a
MONAI Label module is assigned, no role object is changed):
1. **The PyJWT fix.** MONAI Label 0.8.5's `from_token` calls `jwt.decode(token, key, options=...)` without
   `algorithms`, which PyJWT 2 (>= 2.8, its own requirement) refuses, so with auth enabled every token fails with
   a 401. `authenticate` is the same check (the realm's public key from MONAI_LABEL_AUTH_REALM_URI, signature,
   expiry, the roles claim) with the asymmetric algorithms named; it overrides `auth.get_current_user`, the
   dependency behind every `RBAC`.
2. **The role ladder.** MONAI Label checks one role per route, and a token passes only when it lists that exact
   role (an admin-only token cannot read /info/). SEER's route table (`routes.py`) says who may call each route,
   as a ladder (admin > reviewer > annotator > user), and the request middleware enforces it before anything
   else runs; each route's `RBAC(...)` dependency is overridden to hand on the user the middleware admitted.
(The third behaviour once patched here, the DICOMweb proxy's 500 on a local studies folder, is now a guard in the
route table and needs no patch.)

And one setting: `MONAI_LABEL_RELOAD_APP_LIB=false`. MONAI Label otherwise drops every `lib.*` module from
`sys.modules` whenever it (re)creates the app (`POST /reload`), so the app would run on fresh copies of `lib`
while this server holds the first: two `RequestRefused` classes, two request contexts. With it, `POST /reload`
builds a new app from the same modules.

On a MONAI Label bump, re-check, then change `MONAI_LABEL_VERSION`:
- `monailabel.app:app` is still the FastAPI app whose lifespan creates the app and calls `on_init_complete`, with
  CORS as its only user middleware;
- `auth.get_current_user` is still the dependency behind every `RBAC(...)` route dependency, and `from_token` still
  decodes without `algorithms` (if it names them, fix 1 can go);
- `class_utils.unload_module` still reads MONAI_LABEL_RELOAD_APP_LIB;
- the endpoints' form fields and paths the guards read (`routes.py`: params, file, label, info, session_id,
  output=dicom_seg, the JSON body of /batch/infer), and the two functions `datastore.py` mirrors
  (`DICOMWebDatastore.save_label`, `MONAILabelApp._init_dicomweb_datastore`);
- then run tests/test_server_layer.py: its route inventory fails on every route the new release adds.
"""

from __future__ import annotations

import logging
import os

import jwt
import monailabel
import requests
from fastapi import FastAPI, HTTPException, Request, Security, status
from monailabel.config import settings
from monailabel.endpoints.user import auth

logger = logging.getLogger(__name__)

MONAI_LABEL_VERSION = "0.8.5"
# Asymmetric algorithms only: with a symmetric one, anyone holding the realm's public key could sign tokens.
TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
USER_STATE = "seer_user"  # request.state: the user the request middleware admitted

User = auth.User


def check_version() -> None:
    installed = monailabel.__version__
    if installed != MONAI_LABEL_VERSION:
        raise RuntimeError(f"SEER Label's server layer was written for monailabel=={MONAI_LABEL_VERSION}, found "
                           f"{installed}: re-check what lib/server/compat.py lists, then update MONAI_LABEL_VERSION")


check_version()
os.environ["MONAI_LABEL_RELOAD_APP_LIB"] = "false"  # see the module docstring


def stock_app() -> FastAPI:
    """MONAI Label's FastAPI app (routes, CORS, the lifespan that creates the app), which SEER's entry point
    extends."""
    from monailabel.app import app

    return app


def auth_enabled() -> bool:
    return bool(settings.MONAI_LABEL_AUTH_ENABLE)


def role_names() -> dict[str, str]:
    """Level -> the role name MONAI Label's settings give it."""
    return {"admin": settings.MONAI_LABEL_AUTH_ROLE_ADMIN, "reviewer": settings.MONAI_LABEL_AUTH_ROLE_REVIEWER,
            "annotator": settings.MONAI_LABEL_AUTH_ROLE_ANNOTATOR, "user": settings.MONAI_LABEL_AUTH_ROLE_USER}


def _claim(payload: dict, name: str) -> str | None:
    value = payload.get(name)
    return None if value is None else str(value)


def authenticate(authorization: str | None) -> User:
    """The user behind a request's `Authorization` header (MONAI Label's default user when auth is disabled).

    Raises:
        HTTPException: 401 without a valid bearer token, 503 when the realm's public key cannot be fetched.
    """
    if not auth_enabled():
        return auth.DEFAULT_USER
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Not authenticated",
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        key = auth.get_public_key(settings.MONAI_LABEL_AUTH_REALM_URI)
    except (requests.RequestException, KeyError, ValueError) as error:
        raise HTTPException(status_code=503, detail="cannot fetch the realm's public key from "
                                                    f"MONAI_LABEL_AUTH_REALM_URI ({type(error).__name__})") from None
    try:
        payload = jwt.decode(token, key, algorithms=TOKEN_ALGORITHMS,
                             options={"verify_signature": True, "verify_aud": False, "verify_exp": True})
    except jwt.InvalidTokenError as error:
        logger.warning(f"seer: token refused ({type(error).__name__})")
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Could not validate credentials",
                            headers={"WWW-Authenticate": "Bearer"}) from None
    roles: object = payload
    for part in settings.MONAI_LABEL_AUTH_TOKEN_ROLES.split("#"):  # e.g. realm_access#roles
        roles = roles.get(part) if isinstance(roles, dict) else None
    return User(username=_claim(payload, settings.MONAI_LABEL_AUTH_TOKEN_USERNAME) or "",
                email=_claim(payload, settings.MONAI_LABEL_AUTH_TOKEN_EMAIL),
                name=_claim(payload, settings.MONAI_LABEL_AUTH_TOKEN_NAME),
                roles=[r for r in roles if isinstance(r, str)] if isinstance(roles, list) else [])


async def current_user(request: Request) -> User:
    """Overrides `auth.get_current_user`: the user the request middleware admitted, else the token's (fix 1)."""
    user = getattr(request.state, USER_STATE, None)
    return user if user is not None else authenticate(request.headers.get("authorization"))


async def admitted_user(user: User = Security(auth.get_current_user)) -> User:
    """Overrides each route's `RBAC(role)`: the route table, enforced by the middleware, decided (fix 2)."""
    return user


def install(app: FastAPI) -> int:
    """Apply both overrides to every route of `app` (idempotent: overrides are keyed by the dependency). Returns
    how many route role checks now defer to the route table."""
    app.dependency_overrides[auth.get_current_user] = current_user
    from .routes import flat_routes

    deferred = 0
    for route in flat_routes(app.routes):
        for dependency in getattr(getattr(route, "dependant", None), "dependencies", ()):
            if isinstance(dependency.call, auth.RBAC):
                app.dependency_overrides[dependency.call] = admitted_user
                deferred += 1
    return deferred
