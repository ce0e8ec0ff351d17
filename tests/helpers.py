"""Test helpers that build inputs the tests need from the shared sample (never stored in the repository)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
import SimpleITK as sitk

REPO = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_S = 300


def write_dicom_series(image_path: Path, out_dir: Path, modality: str = "CT") -> Path:
    """Write a NIfTI volume as an uncompressed DICOM series, one file per slice, with full geometry tags."""
    image = sitk.Cast(sitk.ReadImage(str(image_path)), sitk.sitkInt16)
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    direction = image.GetDirection()
    stamp = time.strftime("%Y%m%d"), time.strftime("%H%M%S")
    uid_root = "1.2.826.0.1.3680043.2.1125." + str(int(time.time()))
    shared = {
        "0008|0060": modality, "0008|0020": stamp[0], "0008|0030": stamp[1], "0010|0010": "SEER^TEST",
        "0010|0020": "seer-test", "0020|000d": uid_root + ".1", "0020|000e": uid_root + ".2",
        "0020|0037": "\\".join(f"{v:.6f}" for v in (direction[0], direction[3], direction[6],
                                                      direction[1], direction[4], direction[7])),
        "0008|103e": "SEER test series",
    }
    for k in range(image.GetDepth()):
        slice_image = image[:, :, k]
        for tag, value in shared.items():
            slice_image.SetMetaData(tag, value)
        position = image.TransformIndexToPhysicalPoint((0, 0, k))
        slice_image.SetMetaData("0020|0032", "\\".join(f"{v:.4f}" for v in position))
        slice_image.SetMetaData("0020|0013", str(k + 1))
        slice_image.SetMetaData("0008|0018", f"{uid_root}.3.{k + 1}")
        slice_image.SetMetaData("0018|0050", f"{image.GetSpacing()[2]:.4f}")
        writer.SetFileName(str(out_dir / f"slice{k:04d}.dcm"))
        writer.Execute(slice_image)
    return out_dir


def reorient(path: Path, out_path: Path, orientation: str = "LPS") -> Path:
    """The same label map, stored with another axis order and direction (same physical space)."""
    sitk.WriteImage(sitk.DICOMOrient(sitk.ReadImage(str(path)), orientation), str(out_path))
    return out_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(tmp_path_factory, server_args: str = ""):
    """The real MONAI Label server, started with the README's own command (`make run`) on a free port and a
    temporary studies folder. Yields {"url", "studies", "log"}; stops the whole process group afterwards."""
    port = free_port()
    studies = tmp_path_factory.mktemp("studies")
    log_path = tmp_path_factory.mktemp("log") / "server.log"
    log = open(log_path, "w+")
    command = ["make", "run", f"PORT={port}", f"STUDIES={studies}", f"SERVER_ARGS={server_args}"]
    process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"`make run` exited with {process.returncode}:\n{log.read()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the server did not answer /info/ in time")
            try:
                if requests.get(f"{url}/info/", timeout=5).ok:
                    break
            except requests.ConnectionError:
                time.sleep(1)
        yield {"url": url, "studies": studies, "log": log_path}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log.close()
