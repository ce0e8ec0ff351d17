"""Shared fixtures: the real sample data (never copied into the repository), the real engine and encoder."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "apps" / "seer"
sys.path.insert(0, str(APP))

from lib.sample import label_maps_dir, sample_dir  # noqa: E402


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return sample_dir()


@pytest.fixture(scope="session")
def ct_path(data_dir) -> Path:
    return data_dir / "example_ct_sm.nii.gz"


@pytest.fixture(scope="session")
def ct_map_path(data_dir) -> Path:
    return data_dir / "example_seg.nii.gz"


@pytest.fixture(scope="session")
def mr_path(data_dir) -> Path:
    return data_dir / "example_mr_sm.nii.gz"


@pytest.fixture(scope="session")
def mr_map_path(data_dir) -> Path:
    return data_dir / "example_seg_mr.nii.gz"


@pytest.fixture(scope="session")
def maps_dir() -> Path:
    return label_maps_dir()


@pytest.fixture(scope="session")
def ontology():
    from lib.ontology import load_ontology

    return load_ontology()


@pytest.fixture(scope="session")
def encoder():
    from lib.reasoning.embed import TextEncoder

    return TextEncoder()


@pytest.fixture(scope="session")
def embed_cache_dir() -> str:
    """The concept-embedding cache the app uses (built by `make install`, keyed by its phrases' digest, so a
    changed ontology gets its own file). Encoding the phrases anew takes 15-30 s per engine on this CPU; every
    engine a test builds shares it; a missing file is built by the first engine that needs it."""
    from lib.pipeline import default_cache_dir

    return default_cache_dir()


@pytest.fixture(scope="session")
def engine(ontology, encoder, embed_cache_dir):
    from lib.reasoning.engine import ReasoningEngine

    return ReasoningEngine(ontology, encoder=encoder, cache_dir=embed_cache_dir)


@pytest.fixture(scope="session")
def ct_pipeline(engine, ontology, ct_map_path):
    from lib.backbones.labelmap import LabelmapBackbone
    from lib.pipeline import SeerPipeline

    return SeerPipeline(engine, LabelmapBackbone(ontology, "total"))


@pytest.fixture(scope="session")
def ct_volume(ct_path, ct_map_path):
    from lib.volume import read_volume

    volume = read_volume(ct_path)
    volume.everything_path = str(ct_map_path)
    return volume


@pytest.fixture(scope="session")
def ct_evidence(ct_pipeline, ct_volume):
    return ct_pipeline.evidence_for(ct_volume)


@pytest.fixture(scope="session")
def mr_evidence(engine, ontology, mr_path, mr_map_path):
    """The sample MR's evidence from its reference map (task total_mr), shared by the reasoning tests."""
    from lib.backbones.labelmap import LabelmapBackbone
    from lib.pipeline import SeerPipeline
    from lib.volume import read_volume

    volume = read_volume(str(mr_path))
    volume.everything_path = str(mr_map_path)
    return SeerPipeline(engine, LabelmapBackbone(ontology, "total_mr")).evidence_for(volume)


def reference_mask(map_path: Path, label_ids: list[int]) -> np.ndarray:
    array = sitk.GetArrayFromImage(sitk.ReadImage(str(map_path)))
    return np.isin(array, label_ids)


# --- PACS fixtures ---
@pytest.fixture(scope="session")
def orthanc(tmp_path_factory):
    """A real Orthanc with DICOMweb on free loopback ports (see tests/orthanc.py), for the whole session."""
    from orthanc import running_orthanc

    with running_orthanc(tmp_path_factory) as pacs:
        yield pacs


# --- order ---
# `make test` gives whole files to two workers in collection order. The files that take a minute or more (servers,
# browsers, subprocesses) go first, so that the two workers finish together rather than one running a long file
# alone at the end. Measured with `--durations`; the order changes no result.
LONGEST_FIRST = ("test_ohif_loop.py", "test_team.py", "test_ohif_auth.py", "test_crash.py", "test_bench.py",
                 "test_privacy.py", "test_ohif.py", "test_vista3d_bundle.py", "test_cli.py", "test_perf.py",
                 "test_loop_server.py", "test_vista3d.py", "test_pacs.py", "test_fuzz.py", "test_batch.py",
                 "test_server.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: k for k, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
