"""A real PACS for tests and demos: Orthanc (Debian packages `orthanc`, `orthanc-dicomweb`) with DICOMweb enabled.

It listens on free loopback ports only, with a generated configuration and temporary storage, and is killed
afterwards. Nothing is installed here: `make pacs-deps` installs the packages (and `make test` runs it first).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import requests
from processes import free_port, stop_process_group, wait_until_ready

ORTHANC_BINARY = Path("/usr/sbin/Orthanc")
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
# Debian's orthanc-gdcm: transcodes JPEG 2000 and others. Loaded by the demo (`make pacs`) when installed, never by
# the tests, which must pass against a PACS that cannot transcode.
GDCM_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancGdcm.so")
STARTUP_TIMEOUT_S = 60


def orthanc_config(storage: Path, http_port: int, dicom_port: int, extra_plugins: tuple[Path, ...] = ()) -> dict:
    """Loopback only, no authentication (nothing else can reach it), DICOMweb at /dicom-web/; `extra_plugins`
    are loaded too (the demo's GDCM plugin)."""
    return {
        "Name": "SEER-TEST-PACS",
        "HttpPort": http_port,
        "DicomPort": dicom_port,
        "DicomAet": "SEERPACS",
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "StorageDirectory": str(storage / "db"),
        "IndexDirectory": str(storage / "index"),
        "Plugins": [str(DICOMWEB_PLUGIN), *(str(p) for p in extra_plugins)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        "HttpTimeout": 60,
        "StableAge": 1,
    }


def missing_packages() -> str | None:
    """Why Orthanc cannot start here, or None."""
    if not ORTHANC_BINARY.exists():
        return f"{ORTHANC_BINARY} is missing: run `make pacs-deps` (apt-get install orthanc orthanc-dicomweb)"
    if not DICOMWEB_PLUGIN.exists():
        return f"{DICOMWEB_PLUGIN} is missing: run `make pacs-deps` (apt-get install orthanc-dicomweb)"
    return None


@contextlib.contextmanager
def start_orthanc(storage: Path, http_port: int | None = None, log_path: Path | None = None,
                  extra_plugins: tuple[Path, ...] = ()) -> Iterator[dict]:
    """Start Orthanc with a generated configuration under `storage`; yield its addresses; kill it afterwards.

    Yields {"url", "dicomweb", "http_port", "dicom_port", "config", "log"}.
    """
    reason = missing_packages()
    if reason:
        raise RuntimeError(reason)
    storage.mkdir(parents=True, exist_ok=True)
    http_port = http_port or free_port()
    dicom_port = free_port()
    config_path = storage / "orthanc.json"
    config_path.write_text(json.dumps(orthanc_config(storage, http_port, dicom_port, extra_plugins), indent=2))
    log_path = log_path or storage / "orthanc.log"
    log = open(log_path, "w+")
    process = subprocess.Popen([str(ORTHANC_BINARY), str(config_path)], stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{http_port}"
    try:
        wait_until_ready(process, log, lambda: requests.get(f"{url}/dicom-web/studies", timeout=5).ok,
                         f"Orthanc ({url})", STARTUP_TIMEOUT_S)
        yield {"url": url, "dicomweb": f"{url}/dicom-web", "http_port": http_port, "dicom_port": dicom_port,
               "config": config_path, "log": log_path}
    finally:
        stop_process_group(process, signal.SIGTERM)
        log.close()


@contextlib.contextmanager
def running_orthanc(tmp_path_factory) -> Iterator[dict]:
    """Orthanc for a pytest session: temporary storage from pytest, fails the test with the reason if missing."""
    import pytest

    reason = missing_packages()
    if reason:
        pytest.fail(reason)
    with start_orthanc(tmp_path_factory.mktemp("orthanc")) as pacs:
        yield pacs


def upload_series(orthanc_url: str, folder: Path) -> dict:
    """POST every DICOM file of `folder` to Orthanc (/instances). Returns {"study", "series", "instances"}:
    the StudyInstanceUID, the SeriesInstanceUID and how many instances were stored."""
    import pydicom

    study_uids, series_uids, stored = set(), set(), 0
    for path in sorted(folder.glob("*.dcm")):
        answer = requests.post(f"{orthanc_url}/instances", data=path.read_bytes(),
                               headers={"Content-Type": "application/dicom"}, timeout=30)
        answer.raise_for_status()
        stored += 1
        header = pydicom.dcmread(path, stop_before_pixels=True)
        study_uids.add(header.StudyInstanceUID)
        series_uids.add(header.SeriesInstanceUID)
    if len(series_uids) != 1:
        raise ValueError(f"{folder} holds {len(series_uids)} series; expected exactly one")
    return {"study": study_uids.pop(), "series": series_uids.pop(), "instances": stored}


def main() -> None:
    """`make pacs`: Orthanc on loopback for demos, until Ctrl-C. Optional argument: the HTTP port."""
    # SIGTERM (and SIGINT, which a shell's background job ignores) end the demo through the context manager's
    # cleanup, so Orthanc never outlives it.
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else None
    storage = Path(os.environ.get("PACS_DIR") or tempfile.mkdtemp(prefix="seer-orthanc-"))
    plugins = (GDCM_PLUGIN,) if GDCM_PLUGIN.exists() else ()
    with start_orthanc(storage, port, extra_plugins=plugins) as pacs:
        print(f"Orthanc on {pacs['url']} (DICOMweb: {pacs['dicomweb']}), storage {storage}", flush=True)
        print(f"  JPEG 2000 transcoding for viewers: {'on (GDCM plugin)' if plugins else 'off (no orthanc-gdcm)'}",
              flush=True)
        print(f"  upload a series:  curl -X POST {pacs['url']}/instances --data-binary @slice.dcm", flush=True)
        print(f"  start SEER Label: make run STUDIES={pacs['dicomweb']}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()
