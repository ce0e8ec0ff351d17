"""OHIF for SEER: the OHIF v3 build inside the monailabel wheel, with the SEER panel patched in, served at /ohif/.

The wheel's build is not rebuilt (a fresh machine cannot clone OHIF); two of its files are patched, by exact text
replacements written against the pinned monailabel release (`PATCHES`, checked by sha256):
- the MONAI Label extension's chunk: the SEER panel (`apps/seer/ohif/seer_panel.js`, readable source, inserted as
  it is) on top of the MONAI Label panel, and the panel's server address defaulting to the serving origin;
- the monai-label mode's chunk: OHIF's own segmentation panel with its tools beside it, and the brush and eraser
  buttons it shows (`apps/seer/ohif/segmentation_tools.js`).

`apply()` writes the patched files into an overlay folder (`apps/seer/ohif/build/`, `make ohif`, which
`make install` runs); the server answers /ohif/ from the overlay first and from the wheel for everything else, so
the wheel's own files stay untouched and stock MONAI Label (started without `lib.server.asgi:app`) serves stock
OHIF. A server that finds the overlay missing or stale rebuilds it at start-up.

Also here: two read-only routes the panel needs: concept display names (`GET /seer/concepts`, from the ontology)
and the earlier requests for one image (`GET /seer/requests?image=ID`, for reuse); and, for a server started on a
local studies folder (NIfTI, which OHIF cannot show), a read-only DICOMweb forwarder to the viewer's pixel source
(`--conf ohif_dicomweb URL`, `GET /seer/dicomweb/...`), which the served app-config.js then points OHIF to.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response
from fastapi.routing import APIRoute
from monailabel.utils.others.generic import get_mime_type

logger = logging.getLogger(__name__)

SOURCE_DIR = Path(__file__).resolve().parents[2] / "ohif"  # apps/seer/ohif: the panel's source
OVERLAY_DIR = SOURCE_DIR / "build"  # the patched files (git-ignored, rebuilt by `make ohif`)
STAMP = ".seer-ohif-stamp"  # hash of what the overlay was built from
PANEL_SOURCE = SOURCE_DIR / "seer_panel.js"  # the SEER panel
TOOLS_SOURCE = SOURCE_DIR / "segmentation_tools.js"  # the brush and eraser buttons


def wheel_ohif_dir() -> Path:
    import monailabel.endpoints

    return Path(monailabel.endpoints.__file__).resolve().parent / "static" / "ohif"


@dataclass(frozen=True)
class Patch:
    """Exact replacements in one file of the wheel's build; each `old` must occur exactly once."""

    file: str
    sha256: str  # of the wheel's file (monailabel 0.8.5) the replacements were written against
    replacements: tuple[tuple[str, str], ...]


def _source(path: Path) -> str:
    return f"/* SEER: apps/seer/ohif/{path.name} */\n{path.read_text(encoding='utf-8')}\n"


PANEL_CHUNK = "3933.bundle.92d0a0e9bc7e6861b7c9.js"  # extensions/monai-label (MonaiLabelPanel, MonaiLabelClient)
MODE_CHUNK = "2068.bundle.83ad900b6ad2110750da.js"  # modes/monai-label (its layout)


def patches() -> tuple[Patch, ...]:
    return (
        Patch(PANEL_CHUNK, "7844f59159b8eda422079064b0bffa17d2b76aa025b054097ff4ae8bc3b55acd", (
            # The SEER panel's component, defined before the MONAI Label panel that renders it.
            ("class MonaiLabelPanel extends react.Component {",
             _source(PANEL_SOURCE) + "class MonaiLabelPanel extends react.Component {"),
            # ...rendered at the top of the MONAI Label panel, which it drives (connect, updateView).
            ('    return /*#__PURE__*/react.createElement("div", {\n      className: "monaiLabelPanel"\n    }, ',
             '    return /*#__PURE__*/react.createElement("div", {\n      className: "monaiLabelPanel"\n    }, '
             "/*#__PURE__*/react.createElement(SeerPanel, {\n      panel: this\n    }), "),
            # One "Update Model" button (the SEER panel's, which runs /train/seer and shows the round); the stock
            # Active Learning tab's button, which starts every trainer, keeps working under its own name.
            ("this.state.training ? 'Stop Training' : 'Update Model'",
             "this.state.training ? 'Stop Training' : 'Train all models'"),
            # One connection at a time: the SEER panel connects itself when a series is shown, and a click on the
            # stock "Connect" meanwhile ran a second onInfo that created labelmap '1' again while the first was
            # still creating it (the segments never appeared; seen once in CI). Later calls wait for the earlier.
            ("    this.onInfo = async serverURI => {\n",
             "    this.onInfo = serverURI => {\n"
             "      this.seerInfoQueue = (this.seerInfoQueue || Promise.resolve()).catch(() => null)\n"
             "        .then(() => this.seerOnInfo(serverURI));\n"
             "      return this.seerInfoQueue;\n"
             "    };\n"
             "    this.seerOnInfo = async serverURI => {\n"),
            # ...and a connection ends when the labelmap exists, so the next one finds it and leaves it alone.
            ("        this.props.commandsManager.runCommand('loadSegmentationsForViewport', {\n",
             "        await this.props.commandsManager.runCommand('loadSegmentationsForViewport', {\n"),
            # The server is the one that served this page: stock OHIF guesses port 8000 on the page's host.
            ("CookieUtils.getCookieString('MONAILABEL_SERVER_URL', 'http://' + window.location.host.split(':')[0] "
             "+ ':8000/')",
             "seerServerURL()"),
        )),
        Patch(MODE_CHUNK, "cb1e700c82abfc4fe26b17fc5c56d858e034f8c71c8b41b34d16b10df6a762ad", (
            # The brush and eraser buttons (apps/seer/ohif/segmentation_tools.js), defined before the mode...
            ("function modeFactory({", _source(TOOLS_SOURCE) + "function modeFactory({"),
            # ...registered where the stock mode left the line commented out, in the section OHIF's segmentation
            # panel shows (the stock section also names 'Shapes', which nothing defines).
            ("      // toolbarService.addButtons(segmentationButtons);\n",
             "      toolbarService.addButtons(seerSegmentationButtons);\n"),
            ("toolbarService.createButtonSection('segmentationToolbox', ['BrushTools', 'Shapes']);",
             "toolbarService.createButtonSection('segmentationToolbox', ['BrushTools']);"),
            # OHIF's segmentation panel with its tools (brush, eraser): the stock mode defines it, leaves it out.
            ("rightPanels: [monailabel.monaiLabel],",
             "rightPanels: [monailabel.monaiLabel, cornerstone.panelTool],"),
        )),
    )


class OhifPatchError(RuntimeError):
    """The wheel's OHIF build is not the one the patches were written for (another monailabel release)."""


def check_wheel(wheel: Path | None = None) -> None:
    """Raise OhifPatchError naming each file whose hash differs from the pinned one."""
    wheel = wheel or wheel_ohif_dir()
    wrong = []
    for patch in patches():
        path = wheel / patch.file
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
        if digest != patch.sha256:
            wrong.append(f"{patch.file}: sha256 {digest}, the patch expects {patch.sha256}")
    if wrong:
        raise OhifPatchError("the OHIF build in the monailabel wheel is not the one apps/seer/ohif was written "
                             "against (monailabel 0.8.5 in requirements.txt); review the patches in "
                             "lib/server/ohif.py against the new build: " + "; ".join(wrong))


def patched(patch: Patch, text: str) -> str:
    for old, new in patch.replacements:
        count = text.count(old)
        if count != 1:
            raise OhifPatchError(f"{patch.file}: expected the text {old[:60]!r} once, found it {count} times")
        text = text.replace(old, new)
    return text


def _stamp(wheel: Path) -> str:
    """What the overlay depends on: the pinned hashes, the panel's source, this module."""
    digest = hashlib.sha256()
    for patch in patches():
        digest.update(f"{patch.file}:{patch.sha256}\n".encode())
        for old, new in patch.replacements:
            digest.update(old.encode() + b"\0" + new.encode() + b"\0")
    digest.update(str(wheel).encode())
    return digest.hexdigest()


def apply(wheel: Path | None = None, out: Path = OVERLAY_DIR) -> list[Path]:
    """Write the patched files into `out` (atomic per file); the wheel is only read. Returns the files written."""
    wheel = wheel or wheel_ohif_dir()
    check_wheel(wheel)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for patch in patches():
        text = patched(patch, (wheel / patch.file).read_text(encoding="utf-8"))
        written.append(_write(out / patch.file, text))
    _write(out / STAMP, _stamp(wheel))
    return written


def _write(path: Path, text: str) -> Path:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as f:
        f.write(text)
    os.chmod(f.name, 0o644)  # a temporary file is private; the served copy is as readable as the wheel's
    os.replace(f.name, path)
    return path


def ensure_overlay(out: Path = OVERLAY_DIR) -> bool:
    """Rebuild the overlay when it is missing or stale. False (logged) when the wheel's build is not the pinned
    one: the server then serves stock OHIF rather than a panel patched into code it was not written for."""
    wheel = wheel_ohif_dir()
    stamp = out / STAMP
    try:
        if stamp.exists() and stamp.read_text() == _stamp(wheel) and all((out / p.file).exists() for p in patches()):
            return True
        apply(wheel, out)
        logger.info(f"seer: OHIF overlay rebuilt in {out}")
        return True
    except (OhifPatchError, OSError) as error:
        logger.error(f"seer: /ohif/ serves stock OHIF without the SEER panel: {error}")
        return False


def ohif_file(path: str, overlay: Path | None) -> FileResponse:
    """A file of the viewer: from the overlay if patched there, else from the wheel; any other path is the app's
    index.html (OHIF's client-side routes, e.g. /ohif/monai-label). Paths never leave the two folders."""
    wheel = wheel_ohif_dir()
    relative = Path(path.strip("/")) if path.strip("/") else Path("index.html")
    if relative.is_absolute() or ".." in relative.parts:
        raise HTTPException(status_code=404, detail="not found")
    for folder in ([overlay] if overlay else []) + [wheel]:
        candidate = folder / relative
        if candidate.is_file() and candidate.name != STAMP:
            return FileResponse(candidate, media_type=get_mime_type(str(candidate)))
    return FileResponse(wheel / "index.html", media_type="text/html")


VIEWER_SOURCE_CONF = "ohif_dicomweb"  # --conf: the DICOMweb source OHIF reads when the studies are a local folder
VIEWER_SOURCE_ROOT = "/seer/dicomweb"


def viewer_source(app_instance) -> str | None:
    """Where OHIF reads pixels from on a server started on a local studies folder (the studies themselves are
    NIfTI, which OHIF cannot show): `--conf ohif_dicomweb URL`, e.g. the PACS the series were exported from.
    None on a DICOMweb datastore, where MONAI Label's /proxy/dicom/ serves the viewer."""
    from monailabel.config import settings

    if str(settings.MONAI_LABEL_STUDIES).startswith(("http://", "https://")):
        return None
    url = str((app_instance().conf or {}).get(VIEWER_SOURCE_CONF) or "").strip()
    return url.rstrip("/") or None


def app_config(app_instance) -> str:
    """The wheel's app-config.js; on a local studies folder with a viewer source, its DICOMweb roots point to
    this server's forwarder for that source instead of /proxy/dicom/; with `--conf ohif_oidc`, OHIF signs users in
    with that client, sends their token on its DICOMweb requests, and the SEER panel on its own."""
    from ..settings import oidc_clients

    text = (wheel_ohif_dir() / "app-config.js").read_text(encoding="utf-8")
    if viewer_source(app_instance):
        for root in ("/proxy/dicom/wado", "/proxy/dicom/qido"):
            text = text.replace(f"'{root}'", f"'{VIEWER_SOURCE_ROOT}'")
    oidc = getattr(getattr(app_instance(), "settings", None), "ohif_oidc", "")
    if oidc:
        text += f"\nwindow.config.oidc = {json.dumps(oidc_clients(oidc))};\n"
    return text


def viewer_source_router(app_instance) -> APIRouter:
    router = APIRouter(prefix=VIEWER_SOURCE_ROOT, tags=["SEER server"])

    @router.get("/{path:path}", include_in_schema=False)
    def forward(path: str, request: Request) -> Response:
        """Read-only DICOMweb (QIDO-RS, WADO-RS) from the viewer source, for OHIF on a local studies folder."""
        source = viewer_source(app_instance)
        if source is None:
            raise HTTPException(status_code=404, detail="no viewer source: on a local studies folder start the "
                                                        f"server with --conf {VIEWER_SOURCE_CONF} URL (a DICOMweb "
                                                        "root); on a PACS OHIF reads through /proxy/dicom/")
        if ".." in Path(path).parts:
            raise HTTPException(status_code=404, detail="not found")
        import requests

        try:
            reply = requests.get(f"{source}/{path}", params=list(request.query_params.multi_items()),
                                 headers={"Accept": request.headers.get("accept", "*/*")}, timeout=120)
        except requests.RequestException as error:
            raise HTTPException(status_code=502, detail=f"the viewer source did not answer: {error}") from None
        headers = {k: v for k, v in reply.headers.items() if k.lower() == "content-type"}
        return Response(content=reply.content, status_code=reply.status_code, headers=headers)

    return router


def concepts_router(app_instance) -> APIRouter:
    router = APIRouter(prefix="/seer", tags=["SEER server"])

    @router.get("/concepts", summary="Display names of the concepts this app can segment (the OHIF panel's "
                                     "candidate buttons)")
    def concepts() -> dict:
        ontology = app_instance().ontology
        return {"names": {c.id: c.name for c in ontology.concepts.values()}}

    @router.get("/requests", summary="Earlier requests for one image, newest first (the OHIF panel offers them "
                                     "for reuse)")
    def earlier_requests(image: str = Query(..., min_length=1, max_length=512)) -> dict:
        instance = app_instance()
        from ..guards import lookup_image

        lookup_image(instance.datastore(), image)  # 404 for an image the datastore does not hold
        prompts: list[str] = []
        for record in reversed(instance.requests.export({image})):
            prompt = record.get("prompt") if isinstance(record, dict) else None
            if isinstance(prompt, str) and prompt and prompt not in prompts:
                prompts.append(prompt)
        return {"image": image, "prompts": prompts[:20]}

    return router


def install(app: FastAPI, app_instance) -> None:
    """Serve /ohif/ from the overlay (ahead of MONAI Label's own /ohif/ route, which stays registered but is never
    reached) and add the panel's two read-only routes."""
    overlay = OVERLAY_DIR if ensure_overlay() else None

    async def seer_ohif(path: str = ""):
        if path.strip("/") == "app-config.js":
            return Response(content=app_config(app_instance), media_type="application/javascript")
        return ohif_file(path, overlay)

    app.router.routes.insert(0, APIRoute("/ohif/{path:path}", seer_ohif, methods=["GET"], include_in_schema=False))
    app.include_router(concepts_router(app_instance))
    app.include_router(viewer_source_router(app_instance))


def main() -> None:
    """`make ohif`: write the overlay; fails loudly when the wheel's build is not the pinned one."""
    written = apply()
    print(json.dumps({"overlay": str(OVERLAY_DIR), "files": [p.name for p in written]}))


if __name__ == "__main__":
    main()
