"""Finding the public sample CT and MR (never committed), and laying them out as a MONAI Label studies folder."""

from __future__ import annotations

import os
import shutil
import urllib.request
from pathlib import Path

SAMPLE_SUBDIR = "totalseg_example"
SAMPLE_IMAGE, SAMPLE_MAP = "example_ct_sm.nii.gz", "example_seg.nii.gz"
PUBLIC_SOURCE = "https://github.com/wasserth/TotalSegmentator/raw/master/tests/reference_files/"
REPO_ROOT = Path(__file__).resolve().parents[3]


class SampleMissing(FileNotFoundError):
    pass


def sample_dir() -> Path:
    """$SEER_DATA_DIR/totalseg_example first, then ../shared/data/totalseg_example beside the repository."""
    candidates = []
    if os.environ.get("SEER_DATA_DIR"):
        candidates.append(Path(os.environ["SEER_DATA_DIR"]) / SAMPLE_SUBDIR)
    candidates.append(REPO_ROOT.parent / "shared" / "data" / SAMPLE_SUBDIR)
    for candidate in candidates:
        if (candidate / SAMPLE_IMAGE).exists():
            return candidate
    raise SampleMissing(f"sample data not found in {[str(c) for c in candidates]}; set SEER_DATA_DIR")


def label_maps_dir() -> Path:
    return sample_dir().parent / "label_maps"


def fetch_sample(target: Path) -> Path:
    """Download the two sample files from their public source (only for machines without ../shared/data)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in (SAMPLE_IMAGE, SAMPLE_MAP):
        if not (target / name).exists():
            print(f"downloading {name} from {PUBLIC_SOURCE}")
            urllib.request.urlretrieve(PUBLIC_SOURCE + name, target / f"{name}.part")
            os.replace(target / f"{name}.part", target / name)
    return target


def lay_out_studies(studies: Path, labelmap_tag: str = "everything", download_to: Path | None = None) -> str:
    """Copy the sample CT into `studies/` and its segment-everything map into `studies/labels/<tag>/`.

    Returns the image id.
    """
    try:
        source = sample_dir()
    except SampleMissing:
        if download_to is None:
            raise
        source = fetch_sample(download_to)
    image_id = SAMPLE_IMAGE.removesuffix(".nii.gz")
    (studies / "labels" / labelmap_tag).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / SAMPLE_IMAGE, studies / SAMPLE_IMAGE)
    shutil.copyfile(source / SAMPLE_MAP, studies / "labels" / labelmap_tag / SAMPLE_IMAGE)
    return image_id
