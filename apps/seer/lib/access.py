"""Who may do what, with MONAI Label's built-in role-based auth (`MONAI_LABEL_AUTH_ENABLE=true`).

MONAI Label checks one role per route, and a user passes only when the token lists that exact role (an admin-only
token cannot even read /info/). SEER Label's policy is a ladder instead: admin > reviewer > annotator > user, and
a route that asks for one role accepts the roles above it. On top of that:
- ask (`POST /infer/{model}`): any role, user and above;
- change what the app learns from (save a label, `PUT /datastore/label`; run or stop training, `/train`; roll the
  skill bank back, `POST /seer/skills/rollback`): reviewer or admin.

Each of MONAI Label's routes holds its own `RBAC` dependency object, which reads its `roles` at every request;
`apply_role_policy` sets those, so the stock token check (signature, expiry, roles claim) is reused unchanged.
With auth disabled every request passes, as in stock MONAI Label.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

SKILLS_PREFIX = "/seer/skills"
_SKILL_ROUTES_ON: set[int] = set()  # the apps that already have the skill routes
# Asymmetric algorithms only: with a symmetric one, anyone holding the realm's public key could sign tokens.
TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


def role_names() -> dict[str, str]:
    from monailabel.config import settings

    return {"admin": settings.MONAI_LABEL_AUTH_ROLE_ADMIN, "reviewer": settings.MONAI_LABEL_AUTH_ROLE_REVIEWER,
            "annotator": settings.MONAI_LABEL_AUTH_ROLE_ANNOTATOR, "user": settings.MONAI_LABEL_AUTH_ROLE_USER}


def policy() -> dict[tuple[str, str], list[str]]:
    """(method, route path) -> the roles that may call it (any one suffices)."""
    roles = role_names()
    review = [roles["admin"], roles["reviewer"]]
    anyone = [roles["admin"], roles["reviewer"], roles["annotator"], roles["user"]]
    return {
        ("POST", "/infer/{model}"): anyone,
        ("PUT", "/datastore/label"): review,
        ("POST", "/train/"): review,
        ("POST", "/train/{model}"): review,
        ("DELETE", "/train/"): review,
    }


def ladder(role) -> list[str] | None:
    """The roles that include `role`: admin > reviewer > annotator > user. None for anything else ("*", a list)."""
    names = role_names()
    order = [names["admin"], names["reviewer"], names["annotator"], names["user"]]
    return order[: order.index(role) + 1] if isinstance(role, str) and role in order else None


def apply_role_policy() -> list[str]:
    """Make every MONAI Label route accept the roles above the one it asks for, then set the routes the policy
    names; returns the policy's routes as set, for the log."""
    from monailabel.endpoints import (activelearning, batch_infer, datastore, infer, info, logs, model, scoring,
                                      session, train)
    from monailabel.endpoints.user.auth import RBAC

    wanted = policy()
    applied = []
    for module in (info, model, infer, batch_infer, train, activelearning, scoring, datastore, logs, session):
        for route in module.router.routes:
            checks = [d.call for d in route.dependant.dependencies if isinstance(d.call, RBAC)]
            for check in checks:
                check.roles = ladder(check.roles) or check.roles
            for method in getattr(route, "methods", None) or ():
                roles = wanted.get((method, route.path))
                if roles is not None:
                    for check in checks:
                        check.roles = roles
                    applied.append(f"{method} {route.path}: {' or '.join(roles)}")
    return applied


def skills_router(bank_factory: Callable):
    """`GET /seer/skills` (any role) and `POST /seer/skills/rollback?version=vNNNN` (reviewer or admin).

    Rollback was a CLI command only, which bypasses roles (whoever can write model_dir can roll back) and needs a
    shell on the server; a reviewer working from a viewer needs the same one-step rollback, role-checked and logged
    with the user's name.
    """
    from fastapi import APIRouter, Depends, HTTPException
    from monailabel.endpoints.user.auth import RBAC, User

    from .skills.bank import BankError

    roles = role_names()
    router = APIRouter(prefix=SKILLS_PREFIX, tags=["SEER skills"])

    @router.get("/", summary="SEER skill bank: versions and the live one")
    def list_versions(user: User = Depends(RBAC("*"))):
        bank = bank_factory()
        return {"current": bank.current_version(),
                "versions": [{"version": v, "size": len(bank.load(v))} for v in bank.versions()]}

    @router.post("/rollback", summary="Make an earlier skill-bank version live (reviewer or admin)")
    def rollback(version: str, user: User = Depends(RBAC([roles["admin"], roles["reviewer"]]))):
        bank = bank_factory()
        try:
            bank.rollback(version)
        except BankError as error:
            raise HTTPException(status_code=404, detail=str(error)[:300]) from None
        logger.info(f"seer: skill bank rolled back to {version} by {user.username}")
        return {"current": version}

    return router


def _claim(payload: dict, name: str) -> str | None:
    value = payload.get(name)
    return None if value is None else str(value)


def install_token_check() -> None:
    """Verify tokens with the signing algorithms named (idempotent).

    MONAI Label 0.8.5 calls `jwt.decode(token, key, options=...)` without `algorithms`, which PyJWT 2 (its own
    requirement, >= 2.8) refuses, so with auth enabled every token fails with a 401. This is the same check (the
    realm's public key from MONAI_LABEL_AUTH_REALM_URI, expiry, the roles claim), with the algorithms named.
    """
    import jwt
    import requests
    from fastapi import HTTPException
    from monailabel.config import settings
    from monailabel.endpoints.user import auth

    if getattr(auth.from_token, "seer", False):
        return

    def from_token(token: str):
        if not settings.MONAI_LABEL_AUTH_ENABLE:
            return auth.DEFAULT_USER
        try:
            key = auth.get_public_key(settings.MONAI_LABEL_AUTH_REALM_URI)
        except (requests.RequestException, KeyError, ValueError) as error:
            raise HTTPException(status_code=503, detail="cannot fetch the realm's public key from "
                                f"MONAI_LABEL_AUTH_REALM_URI ({type(error).__name__})") from None
        payload = jwt.decode(token, key, algorithms=TOKEN_ALGORITHMS,
                             options={"verify_signature": True, "verify_aud": False, "verify_exp": True})
        roles: object = payload
        for part in settings.MONAI_LABEL_AUTH_TOKEN_ROLES.split("#"):  # e.g. realm_access#roles
            roles = roles.get(part) if isinstance(roles, dict) else None
        return auth.User(username=_claim(payload, settings.MONAI_LABEL_AUTH_TOKEN_USERNAME) or "",
                         email=_claim(payload, settings.MONAI_LABEL_AUTH_TOKEN_EMAIL),
                         name=_claim(payload, settings.MONAI_LABEL_AUTH_TOKEN_NAME),
                         roles=[r for r in roles if isinstance(r, str)] if isinstance(roles, list) else [])

    from_token.seer = True
    auth.from_token = from_token


def install_access(fastapi_app, bank_factory: Callable) -> None:
    """Fix the token check, apply the role policy and add the skill routes to MONAI Label's running FastAPI app
    (idempotent)."""
    install_token_check()
    applied = apply_role_policy()
    if id(fastapi_app) not in _SKILL_ROUTES_ON:
        fastapi_app.include_router(skills_router(bank_factory))
        _SKILL_ROUTES_ON.add(id(fastapi_app))
    logger.info(f"seer: role policy: {'; '.join(applied)}")
