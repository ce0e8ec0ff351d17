"""Who may do what, with MONAI Label's built-in role-based auth (`MONAI_LABEL_AUTH_ENABLE=true`).

SEER Label's policy is a ladder: admin > reviewer > annotator > user, and a route open to one level is open to the
levels above it (MONAI Label itself checks one exact role per route: an admin-only token cannot read /info/). Each
route's level is a row of the route table, `lib/server/routes.py` (the one place to add or change a rule); the
request middleware enforces it before any check or endpoint runs. On top of MONAI Label's own levels:
- ask (`POST /infer/{model}`): any role, user and above;
- change what the app learns from (save a label, `PUT /datastore/label`; run or stop training, `/train`; roll the
  skill bank back, `POST /seer/skills/rollback`): reviewer or admin.
With auth disabled every request passes, as in stock MONAI Label.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Request

from .skills.bank import BankError

logger = logging.getLogger(__name__)

LEVELS = ("admin", "reviewer", "annotator", "user")  # highest first
PUBLIC = "public"  # no token needed: API docs, static files, the login routes
SKILLS_PREFIX = "/seer/skills"


def ladder(level: str, names: dict[str, str]) -> list[str]:
    """The role names that may call a route open to `level` (that level and those above it).

    Args:
        level: one of LEVELS.
        names: level -> role name, from MONAI Label's settings (`compat.role_names()`).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; levels: {LEVELS} or {PUBLIC!r}")
    return [names[lvl] for lvl in LEVELS[: LEVELS.index(level) + 1]]


def username(request: Request) -> str:
    """The name of the user the request middleware admitted (for logs)."""
    from .server.compat import USER_STATE

    user = getattr(request.state, USER_STATE, None)
    return getattr(user, "username", None) or "unknown"


def skills_router(bank_factory: Callable) -> APIRouter:
    """`GET /seer/skills/` (user and above) and `POST /seer/skills/rollback?version=vNNNN` (reviewer and above;
    both levels are rows of the route table).

    Rollback was a CLI command only, which bypasses roles (whoever can write model_dir can roll back) and needs a
    shell on the server; a reviewer working from a viewer needs the same one-step rollback, role-checked and logged
    with the user's name.
    """
    router = APIRouter(prefix=SKILLS_PREFIX, tags=["SEER skills"])

    @router.get("/", summary="SEER skill bank: versions and the live one")
    def list_versions():
        bank = bank_factory()
        return {"current": bank.current_version(),
                "versions": [{"version": v, "size": len(bank.load(v))} for v in bank.versions()]}

    @router.post("/rollback", summary="Make an earlier skill-bank version live (reviewer or admin)")
    def rollback(version: str, request: Request):
        bank = bank_factory()
        try:
            bank.rollback(version)
        except BankError as error:
            raise HTTPException(status_code=404, detail=str(error)[:300]) from None
        logger.info(f"seer: skill bank rolled back to {version} by {username(request)}")
        return {"current": version}

    return router
