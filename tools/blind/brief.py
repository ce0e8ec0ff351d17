"""Write a blind round's brief from BRIEF_TEMPLATE.md, with the structures present on the shared CT and MR and their
volumes filled in from the engine's own evidence (the presence rule an author cannot know). Usage (repository root):

    .venv/bin/python tools/blind/brief.py ROUND DEADLINE_UTC OUT_FOLDER     # e.g. 87 11:20 /work/blind/r87
"""
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
IMAGES = {"CT": ("example_ct_sm.nii.gz", "example_seg.nii.gz", "total"),
          "MR": ("example_mr_sm.nii.gz", "example_seg_mr.nii.gz", "total_mr")}


def present_structures(image: str, reference: str, vocab: str) -> dict[str, float]:
    """Concept id -> volume in ml, for what the presence rule keeps, largest first."""
    pipeline = build_pipeline(SeerSettings(vocab=vocab, model_dir=str(REPO / "apps" / "seer" / "model")))
    volume = read_volume(str(DATA / image))
    volume.everything_path = str(DATA / reference)
    evidence = Bench(pipeline, volume, ["seer"]).evidence
    sizes = {c: s.volume_ml for c, s in evidence.present.items()}
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))


def main() -> None:
    round_number, deadline, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    text = (REPO / "tools" / "blind" / "BRIEF_TEMPLATE.md").read_text()
    text = text.replace("RN", round_number).replace("DEADLINE", deadline)
    for modality, (image, reference, vocab) in IMAGES.items():
        sizes = present_structures(image, reference, vocab)
        text = text.replace(f"{modality}_PRESENT", ", ".join(sorted(sizes)))
        text = text.replace(f"{modality}_VOLUMES", ", ".join(f"{c} {v:.1f}" for c, v in sizes.items()))
    out.mkdir(parents=True, exist_ok=True)
    (out / "BRIEF.md").write_text(text)
    print(out / "BRIEF.md")


if __name__ == "__main__":
    main()
