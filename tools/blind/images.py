"""The shared CT and MR a blind round is written and scored on, and the in-process `Bench` over one of them (the
same `Bench` as `cli.py bench`), for `check.py` and `brief.py`."""
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "apps" / "seer"))
from lib.bench.run import Bench
from lib.pipeline import build_pipeline
from lib.settings import SeerSettings
from lib.volume import read_volume

DATA = Path(os.environ.get("SEER_DATA_DIR", REPO.parent / "shared" / "data")) / "totalseg_example"
# kind -> (image, reference label map, vocabulary)
IMAGES = {"ct": (DATA / "example_ct_sm.nii.gz", DATA / "example_seg.nii.gz", "total"),
          "mr": (DATA / "example_mr_sm.nii.gz", DATA / "example_seg_mr.nii.gz", "total_mr")}


def bench_for(kind: str, image: str | None = None) -> Bench:
    """The engine with its evidence on the CT or MR (`image` replaces the image, e.g. a DICOM folder)."""
    default, reference, vocab = IMAGES[kind]
    pipeline = build_pipeline(SeerSettings(vocab=vocab, model_dir=str(REPO / "apps" / "seer" / "model")))
    volume = read_volume(str(image or default))
    volume.everything_path = str(reference)
    return Bench(pipeline, volume, ["seer"])
