"""Who may do what, with MONAI Label's built-in role-based auth (`MONAI_LABEL_AUTH_ENABLE=true`).

MONAI Label checks one role per route, and a user passes only when the token lists that exact role. SEER Label's
policy is a ladder instead:
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


def apply_role_policy() -> list[str]:
    """Set the roles of MONAI Label's routes that the policy names; returns what was set, for the log."""
    from monailabel.endpoints import datastore, infer, train
    from monailabel.endpoints.user.auth import RBAC

    wanted = policy()
    applied = []
    for module in (infer, datastore, train):
        for route in module.router.routes:
            for method in getattr(route, "methods", None) or ():
                roles = wanted.get((method, route.path))
                if roles is None:
                    continue
                for dependency in route.dependant.dependencies:
                    if isinstance(dependency.call, RBAC):
                        dependency.call.roles = roles
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


def install_access(fastapi_app, bank_factory: Callable) -> None:
    """Apply the role policy and add the skill routes to MONAI Label's running FastAPI app (idempotent)."""
    applied = apply_role_policy()
    if id(fastapi_app) not in _SKILL_ROUTES_ON:
        fastapi_app.include_router(skills_router(bank_factory))
        _SKILL_ROUTES_ON.add(id(fastapi_app))
    logger.info(f"seer: role policy: {'; '.join(applied)}")
