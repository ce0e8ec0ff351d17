"""Write a blind round's brief from BRIEF_TEMPLATE.md, with the structures present on the shared CT and MR and their
volumes filled in from the engine's own evidence (the presence rule an author cannot know). Usage (repository root):

    .venv/bin/python tools/blind/brief.py ROUND DEADLINE_UTC OUT_FOLDER     # e.g. 87 11:20 /work/blind/r87
"""
import sys
from pathlib import Path

from images import REPO, bench_for


def present_structures(kind: str) -> dict[str, float]:
    """Concept id -> volume in ml, for what the presence rule keeps, largest first."""
    sizes = {c: s.volume_ml for c, s in bench_for(kind).evidence.present.items()}
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))


def main() -> None:
    round_number, deadline, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    text = (REPO / "tools" / "blind" / "BRIEF_TEMPLATE.md").read_text()
    text = text.replace("RN", round_number).replace("DEADLINE", deadline)
    for modality in ("CT", "MR"):
        sizes = present_structures(modality.lower())
        text = text.replace(f"{modality}_PRESENT", ", ".join(sorted(sizes)))
        text = text.replace(f"{modality}_VOLUMES", ", ".join(f"{c} {v:.1f}" for c, v in sizes.items()))
    out.mkdir(parents=True, exist_ok=True)
    (out / "BRIEF.md").write_text(text)
    print(out / "BRIEF.md")


if __name__ == "__main__":
    main()
