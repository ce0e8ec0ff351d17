"""A small archive for `cli.py batch`: crops of the shared sample CT written as DICOM series, each with its crop of
the sample's reference map in a `labelmap_dir`, and one corrupt series (a slice lost). Built in a temporary folder from the
shared sample (never copied into the repository); used by tests/test_batch.py and tests/bench_batch.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from helpers import write_dicom_series
from orthanc import upload_series

CROP = (40, 40, 10)  # voxels (x, y, z) at the sample's 3 mm: small, so that one series takes well under a second


def crop_offsets(count: int, size: tuple[int, int, int], crop: tuple[int, int, int] = CROP) -> list[tuple]:
    """`count` different crop corners spread over an image of `size` (x, y, z)."""
    spans = [max(1, s - c + 1) for s, c in zip(size, crop)]
    return [((i * 17) % spans[0], (i * 11) % spans[1], (i * 5) % spans[2]) for i in range(count)]


def build_archive(ct_path: Path, map_path: Path, root: Path, orthanc_url: str, count: int,
                  corrupt: bool = True) -> dict:
    """Write `count` crop series (and a corrupt one) under `root`, upload them to Orthanc, and put each good
    series' reference map in `root/maps/<SeriesInstanceUID>.nii.gz`.

    Returns {"series": {uid: reference map path}, "corrupt": uid or None, "maps": folder}."""
    ct, reference = sitk.ReadImage(str(ct_path)), sitk.ReadImage(str(map_path))
    maps = root / "maps"
    maps.mkdir(parents=True, exist_ok=True)
    series: dict[str, Path] = {}
    offsets = crop_offsets(count + (1 if corrupt else 0), ct.GetSize())
    for index, (x, y, z) in enumerate(offsets):
        box = (slice(x, x + CROP[0]), slice(y, y + CROP[1]), slice(z, z + CROP[2]))
        crop_file = root / f"crop{index:03d}.nii.gz"
        sitk.WriteImage(ct[box], str(crop_file))
        folder = write_dicom_series(crop_file, root / f"series{index:03d}", description=f"CT crop {index}")
        if corrupt and index == count:
            _lose_a_slice(folder)
        uid = upload_series(orthanc_url, folder)["series"]
        map_file = maps / f"{uid}.nii.gz"
        sitk.WriteImage(reference[box], str(map_file))  # the corrupt series has its map: its pixels fail it
        if corrupt and index == count:
            return {"series": series, "corrupt": uid, "maps": maps}
        series[uid] = map_file
    return {"series": series, "corrupt": None, "maps": maps}


def _lose_a_slice(folder: Path) -> None:
    """Delete the middle slice, as a broken transfer leaves a series: every file is valid DICOM (Orthanc stores
    them), and the series has a gap that no reader should interpolate over. A slice whose pixel data is cut
    short would not do: lib/dicom_series.py reads it today without a complaint."""
    files = sorted(folder.glob("*.dcm"))
    files[len(files) // 2].unlink()


def reference_volumes(map_file: Path, label_to_concept: dict[int, str]) -> dict[str, float]:
    """Millilitres per concept of a reference map, on its own grid."""
    image = sitk.ReadImage(str(map_file))
    counts = np.bincount(sitk.GetArrayViewFromImage(image).astype(np.int64).ravel())
    voxel_ml = float(np.prod(image.GetSpacing())) / 1000.0
    return {label_to_concept[v]: n * voxel_ml for v, n in enumerate(counts) if v and n and v in label_to_concept}
