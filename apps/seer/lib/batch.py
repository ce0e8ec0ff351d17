"""`cli.py batch`: segment a whole archive on a Ray cluster, resumably.

    cli.py batch --studies URL_OR_FOLDER [--series UID ...] (--everything | --prompt TEXT)
                 [--ray-address ADDR] [--workers N] [--conf KEY VALUE ...] --out DIR

The work of one series runs as three steps, chained by Ray object references:
1. `prepare` (a CPU task): fetch the series from the PACS as stored (`dicom_series.fetch_series`), read its volume
   (`dicom_series.read_series`), and find its segment-everything map as the server does (`maps.locate_everything`);
2. `Segmenter.run` (an actor; one per GPU, or `--workers` on the CPU): the network, built once per actor through
   `build_pipeline(settings)`, the same factory the server uses. `--everything` makes the map; `--prompt` runs the
   request through `SeerPipeline.run`, so a batch answers exactly as the server would, refusals included;
3. `write` (a CPU task): a DICOM SEG coded from the ontology (`dicom_seg.label_map_to_seg`) stored to the PACS,
   under `labelmap_tag` for maps (the server reads those as a map source) and with the request as its
   SeriesDescription otherwise. From a studies folder the results land in DIR instead (see `FolderSource`).

Results: `DIR/results.jsonl` is the job's record, one line per finished series, keyed by (series, model version,
request); a rerun skips the series whose key holds a `done` or `refused` record, so a killed job resumes where it
stopped. SEGs get UIDs derived from that key, so a SEG stored again after a crash between store and record is the
same instance, not a second one. `DIR/results.csv` and `DIR/volumes.csv` are written from the record at the end.

Failures: an exception of one series (a corrupt file, a missing map) is that series' `failed` record with its
reason; the job goes on. A Ray worker that dies is Ray's to recover: tasks are retried (`max_retries`), the actor
restarts and its in-flight calls are retried (`max_restarts`, `max_task_retries`); a series whose retries ran out
is resubmitted whole, up to `RESUBMITS` times, before it is recorded as failed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import numpy as np

from .settings import SeerSettings

APP_DIR = Path(__file__).resolve().parents[1]  # apps/seer: what Ray's workers need on sys.path to import `lib`
EVERYTHING = "everything"  # the request key of segment-everything maps
MAP_SUFFIXES = (".nii.gz", ".nii", ".nrrd")
FINAL = ("done", "refused")  # statuses a rerun skips; `failed` series are tried again
RESUBMITS = 2  # whole-series resubmissions after Ray's own retries ran out (a worker died again and again)
TASK_RETRIES = 3  # Ray retries of a CPU task whose worker died
ACTOR_RESTARTS = 4  # Ray restarts of a Segmenter whose process died; its in-flight calls are retried as often
IN_FLIGHT_PER_WORKER = 3  # series queued per actor: enough to keep it busy, few enough to bound object memory
SEG_DESCRIPTION_CHARS = 64  # DICOM LO
NAMESPACE_PREFIX = "seer-batch-"


class BatchError(ValueError):
    """The job cannot start as asked (bad input, unreachable archive); the message says what to change."""


# ---- what a job is ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceSpec:
    """Where the series come from: a DICOMweb base URL (with an optional QIDO query) or a studies folder. Plain
    data, so that Ray ships it to each task, which opens its own client."""

    location: str
    query: tuple[tuple[str, str], ...] = ()
    kind: str = "dicomweb"  # or "folder"

    @classmethod
    def parse(cls, studies: str) -> "SourceSpec":
        if studies.startswith(("http://", "https://")):
            parts = urlsplit(studies)
            base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
            return cls(base, tuple(parse_qsl(parts.query)), "dicomweb")
        folder = Path(studies).expanduser()
        if not folder.is_dir():
            raise BatchError(f"--studies {studies}: neither a DICOMweb URL (http://...) nor a folder")
        return cls(str(folder.resolve()), (), "folder")


def request_key(prompt: str | None) -> str:
    """The request part of a result's key: `everything`, or a digest of the prompt (the prompt itself is stored
    scrubbed, lib/privacy.py)."""
    if prompt is None:
        return EVERYTHING
    return "prompt-" + hashlib.sha256(prompt.strip().encode()).hexdigest()[:16]


def namespace_for(out_dir: str | Path) -> str:
    """The Ray namespace of the job writing `out_dir`: its actors are named in it, so a second job on the same
    DIR fails at once instead of interleaving records, and an operator (or a test) can find the actors."""
    return NAMESPACE_PREFIX + hashlib.sha1(str(Path(out_dir).resolve()).encode()).hexdigest()[:12]


def actor_name(index: int) -> str:
    return f"segmenter-{index}"


@dataclass
class Result:
    """One series' outcome: a line of results.jsonl, a row of results.csv."""

    series_uid: str
    status: str  # done | refused | failed | skipped
    model_version: str = ""
    request: str = ""  # request_key()
    prompt: str = ""  # the scrubbed prompt, or "" for everything
    targets: list[str] = field(default_factory=list)
    voxels: int = 0
    seconds: float = 0.0
    reason: str = ""
    volumes_ml: dict[str, float] = field(default_factory=dict)
    output: str = ""  # the SEG's SeriesInstanceUID on a PACS, or the file written under DIR
    finished: str = ""  # ISO time the record was written
    worker: str = ""  # host:pid of the actor that segmented it (a restarted actor shows a new pid)


# ---- sources ----------------------------------------------------------------------------------------------------

def _dicomweb_client(url: str):
    from dicomweb_client.api import DICOMwebClient

    return DICOMwebClient(url=url)


def _value(entry: dict, tag: str) -> str | None:
    values = (entry.get(tag) or {}).get("Value") or []
    return str(values[0]) if values else None


def list_series(spec: SourceSpec, series: list[str] | None) -> list[str]:
    """The image series a job covers: `series` when given (checked to exist), else all image series the QIDO query
    finds (SEG, SR and other non-image series are left out), or every image of the folder."""
    from .maps import IMAGE_MODALITIES_EXCLUDED, MODALITY, SERIES_UID

    if spec.kind == "folder":
        found = FolderSource(spec).list()
        if series:
            missing = sorted(set(series) - set(found))
            if missing:
                raise BatchError(f"--series {missing[:3]}: not in {spec.location} (ids: {found[:5]}...)")
            return list(dict.fromkeys(series))
        return found
    import requests

    client = _dicomweb_client(spec.location)
    try:
        if series:
            return list(dict.fromkeys(series))  # each is looked up by its own task: an unknown one fails alone
        answer = client.search_for_series(search_filters=dict(spec.query), get_remaining=True)
    except requests.RequestException as error:
        raise BatchError(f"--studies {spec.location}: the archive did not answer a QIDO search "
                         f"({str(error)[:200]})") from None
    return [uid for entry in answer if (uid := _value(entry, SERIES_UID))
            and _value(entry, MODALITY) not in IMAGE_MODALITIES_EXCLUDED]


class _SeriesDatastore:
    """What `maps.locate_everything` asks of MONAI Label's DICOMweb datastore, for one series a batch task fetched:
    no datastore labels, the archive's client (for a map SEG in the study), and the fetched volume."""

    def __init__(self, client, url: str, volume_path: str):
        self._client, self._url, self._volume_path = client, url, volume_path

    def get_label_by_image_id(self, image_id: str, tag: str) -> str | None:
        return None

    def get_image_uri(self, image_id: str) -> str:
        return self._volume_path

    def name(self) -> str:
        return self._url


class FolderSource:
    """A studies folder, as `make run` serves it: NIfTI/NRRD images (id: the file name without suffix) and
    folders of DICOM series (id: the folder name). Maps come from `--conf labelmap_dir`, then from the datastore's
    `labels/<labelmap_tag>/`. Results land in DIR: `seg/<id>.dcm` for a DICOM series, `labels/<id>.nii.gz` for an
    image, and for `--everything` also `everything/<id>.nii.gz`, a folder to give the server as `labelmap_dir`."""

    SKIPPED = {"labels", ".sample"}  # MONAI Label's own label folders, and the sample's download folder

    def __init__(self, spec: SourceSpec):
        self.root = Path(spec.location)

    def list(self) -> list[str]:
        ids = []
        for path in sorted(self.root.iterdir()):
            if path.name.startswith(".") or path.name in self.SKIPPED:
                continue
            if path.is_dir() and any(p.is_file() for p in path.iterdir()):
                ids.append(path.name)
            elif path.is_file() and path.name.endswith(MAP_SUFFIXES):
                ids.append(_strip_suffix(path.name))
        return ids

    def path_of(self, uid: str) -> Path:
        if (self.root / uid).is_dir():
            return self.root / uid
        for suffix in MAP_SUFFIXES:
            if (self.root / f"{uid}{suffix}").is_file():
                return self.root / f"{uid}{suffix}"
        raise FileNotFoundError(f"{uid}: not in {self.root}")

    def map_of(self, uid: str, settings: SeerSettings) -> Path | None:
        folders = [Path(settings.labelmap_dir)] if settings.labelmap_dir else []
        folders.append(self.root / "labels" / settings.labelmap_tag)
        for folder in folders:
            for suffix in MAP_SUFFIXES:
                if (folder / f"{uid}{suffix}").is_file():
                    return folder / f"{uid}{suffix}"
        return None


def _strip_suffix(name: str) -> str:
    for suffix in MAP_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# ---- the three steps --------------------------------------------------------------------------------------------

@dataclass
class Prepared:
    """A series read by `prepare`: its volume as an array and geometry (Ray ships arrays without copying on one
    node), its map file's bytes (any node can then use it), or the reason it could not be read."""

    uid: str
    array: np.ndarray | None = None  # (z, y, x)
    origin: tuple = ()
    spacing: tuple = ()
    direction: tuple = ()
    modality: str | None = None
    series: dict | None = None
    map_name: str = ""  # file name (its suffix tells the format)
    map_bytes: bytes | None = None
    error: str = ""
    seconds: float = 0.0

    def image(self):
        import SimpleITK as sitk

        image = sitk.GetImageFromArray(self.array)
        image.SetOrigin(self.origin)
        image.SetSpacing(self.spacing)
        image.SetDirection(self.direction)
        return image


@dataclass
class Segmented:
    """What the network made of one series: a label map on the volume's grid and the value of each target."""

    uid: str
    status: str  # ok | refused | failed
    labels: np.ndarray | None = None
    label_names: dict[str, int] = field(default_factory=dict)
    geometry: tuple = ()  # (origin, spacing, direction) of `labels`
    voxels: dict[str, int] = field(default_factory=dict)
    volumes_ml: dict[str, float] = field(default_factory=dict)
    reason: str = ""
    model_version: str = ""
    seconds: float = 0.0
    worker: str = ""
    vocab: str = ""  # the vocabulary of the label values (the backbone's: VISTA3D ids for vista3d)


def _failure(error: BaseException) -> str:
    """One line naming what went wrong with a series, for its record."""
    detail = getattr(error, "detail", None) or str(error).strip().splitlines()[-1:] or [""]
    text = detail if isinstance(detail, str) else detail[0]
    return f"{type(error).__name__}: {text}"[:500]


def scratch_root(namespace: str) -> Path:
    """Node-local working space of one job (series fetched for reading and for writing their SEG)."""
    return Path(tempfile.gettempdir()) / "seer-batch" / namespace


def _series_folder(spec: SourceSpec, uid: str, namespace: str) -> Path:
    """The series' DICOM files on this node: fetched from the PACS once per node (a write task on another node
    than its prepare task fetches again), or the folder of a studies folder itself."""
    from types import SimpleNamespace

    from .dicom_series import choose_slices, fetch_series, prune_to_used, scan_folder

    if spec.kind == "folder":
        return FolderSource(spec).path_of(uid)
    folder = scratch_root(namespace) / uid / "dicom"
    if not folder.is_dir():
        staging = folder.with_name("fetched")
        fetch_series(_dicomweb_client(spec.location), uid, staging)
        # Only the images the volume is made of stay (from the headers, as the reader chooses them): dcmqi
        # references every instance it is given, and a SEG must not reference a localizer (the server does the same).
        slices, dropped, _ = scan_folder(staging)
        chosen, _ = choose_slices(slices, dropped)
        prune_to_used(staging, SimpleNamespace(used=[s.name for s in chosen]))
        staging.rename(folder)
    return folder


def prepare(spec: SourceSpec, uid: str, settings: SeerSettings, namespace: str, everything: bool) -> Prepared:
    """Step 1 (CPU task): read the series and find its map. Never raises for a bad series: the reason is returned,
    so that one series cannot stop the job."""
    import SimpleITK as sitk

    from .maps import locate_everything
    from .volume import read_volume

    started = time.perf_counter()
    try:
        source = _series_folder(spec, uid, namespace)
        volume = read_volume(source)
        map_path: str | None = None
        if spec.kind == "folder":
            found = FolderSource(spec).map_of(uid, settings)
            map_path = str(found) if found else None
        else:
            if everything:
                # A map to publish comes from labelmap_dir (a folder of TotalSegmentator outputs, say); one that is
                # already in the study as a SEG under labelmap_tag is published already.
                candidates = [Path(settings.labelmap_dir) / f"{uid}{s}" for s in MAP_SUFFIXES] \
                    if settings.labelmap_dir else []
                map_path = next((str(p) for p in candidates if p.is_file()), None)
            else:
                # The server's lookup (lib/maps.py); a map SEG in the study is read onto this file's grid.
                nifti = scratch_root(namespace) / uid / "volume.nii"
                sitk.WriteImage(volume.image, str(nifti))
                datastore = _SeriesDatastore(_dicomweb_client(spec.location), spec.location, str(nifti))
                map_path = locate_everything(datastore, uid, settings)
        array = sitk.GetArrayFromImage(volume.image)
        return Prepared(uid=uid, array=array, origin=volume.image.GetOrigin(), spacing=volume.image.GetSpacing(),
                        direction=volume.image.GetDirection(), modality=volume.modality, series=volume.series,
                        map_name=Path(map_path).name if map_path else "",
                        map_bytes=Path(map_path).read_bytes() if map_path else None,
                        seconds=time.perf_counter() - started)
    except Exception as error:  # any failure of this series is its record, never the job's end
        return Prepared(uid=uid, error=_failure(error), seconds=time.perf_counter() - started)


class Segmenter:
    """Step 2 (a Ray actor): holds the pipeline, built once through `build_pipeline(settings)`."""

    def __init__(self, settings: SeerSettings):
        from .pipeline import build_pipeline

        self.settings = settings
        self.pipeline = build_pipeline(settings)
        self.scratch = Path(tempfile.mkdtemp(prefix="seer-segmenter-"))

    def pid(self) -> int:
        return os.getpid()

    def model_version(self) -> str:
        return str(self.pipeline.backbone.model_version)

    def run(self, prepared: Prepared, prompt: str | None) -> Segmented:
        from .volume import Volume

        started = time.perf_counter()
        version = self.model_version()
        worker = f"{socket.gethostname()}:{os.getpid()}"
        if prepared.error:
            return Segmented(prepared.uid, "failed", reason=prepared.error, model_version=version,
                             seconds=prepared.seconds, worker=worker)
        try:
            image = prepared.image()
            volume = Volume(image=image, source=f"batch:{prepared.uid}", modality=prepared.modality, id=prepared.uid,
                            series=prepared.series)
            if prepared.map_bytes is not None:
                map_file = self.scratch / f"{prepared.uid}-{prepared.map_name}"
                map_file.write_bytes(prepared.map_bytes)
                volume.everything_path = str(map_file)
            try:
                segmented = self._everything(volume) if prompt is None else self._request(volume, prompt)
            finally:
                if volume.everything_path:
                    Path(volume.everything_path).unlink(missing_ok=True)
            segmented.geometry = (image.GetOrigin(), image.GetSpacing(), image.GetDirection())
        except Exception as error:  # a series the network cannot take is that series' record
            segmented = Segmented(prepared.uid, "failed", reason=_failure(error))
        segmented.model_version = version
        segmented.vocab = self.pipeline.backbone.vocab
        segmented.worker = worker
        segmented.seconds = prepared.seconds + time.perf_counter() - started
        return segmented

    def _everything(self, volume) -> Segmented:
        backbone = self.pipeline.backbone
        compute = getattr(backbone, "compute_everything", None)
        # A network makes the map even where the server would not (`--conf evidence cheap`): that is the job.
        labels = backbone.everything(volume) if volume.everything_path or compute is None else compute(volume)
        if labels is None:
            raise ValueError("the backbone made no segment-everything map")
        concept_of = backbone.label_to_concept()
        names = {concept_of[int(v)]: int(v) for v in np.unique(labels) if int(v) in concept_of}
        if not names:
            return Segmented(volume.id, "refused", reason="the segment-everything map holds no known structure")
        return self._measured(volume, labels, names)

    def _request(self, volume, prompt: str) -> Segmented:
        result = self.pipeline.run(volume, prompt)
        if result.spec.status != "ok" or result.labels is None:
            return Segmented(volume.id, "refused", reason=f"{result.spec.status}: {result.spec.message}")
        return self._measured(volume, result.labels, dict(result.label_names))

    @staticmethod
    def _measured(volume, labels: np.ndarray, names: dict[str, int]) -> Segmented:
        counts = np.bincount(np.asarray(labels, dtype=np.int64).ravel(), minlength=max(names.values()) + 1)
        voxels = {concept: int(counts[value]) for concept, value in names.items()}
        volumes = {concept: round(n * volume.voxel_volume_ml, 4) for concept, n in voxels.items()}
        return Segmented(volume.id, "ok", labels=np.asarray(labels), label_names=names, voxels=voxels,
                         volumes_ml=volumes)


def output_uids(uid: str, model_version: str, request: str) -> tuple[str, str]:
    """The SEG's Series and SOP Instance UIDs, derived from the result's key: the same result stored twice is the
    same instance on the PACS (a store after a crash before the record is then harmless)."""
    from pydicom.uid import generate_uid

    sources = [uid, model_version, request]
    return generate_uid(None, [*sources, "series"]), generate_uid(None, [*sources, "instance"])


def write(spec: SourceSpec, segmented: Segmented, settings: SeerSettings, namespace: str, prompt: str | None,
          out_dir: str) -> Result:
    """Step 3 (CPU task): store the result and return its record. Never raises for a bad series."""
    import SimpleITK as sitk

    from .privacy import scrub

    started = time.perf_counter()
    key = request_key(prompt)
    stored_prompt = scrub(prompt) if prompt else ""
    result = Result(segmented.uid, segmented.status, segmented.model_version, key, stored_prompt,
                    reason=segmented.reason, worker=segmented.worker)
    try:
        if segmented.status == "ok":
            image = sitk.GetImageFromArray(segmented.labels.astype(np.uint16))
            image.SetOrigin(segmented.geometry[0])
            image.SetSpacing(segmented.geometry[1])
            image.SetDirection(segmented.geometry[2])
            result.output = _store(spec, segmented, image, settings, namespace, prompt, stored_prompt,
                                   Path(out_dir))
            result.status = "done"
            result.targets = list(segmented.label_names)
            result.voxels = int(sum(segmented.voxels.values()))
            result.volumes_ml = dict(segmented.volumes_ml)
    except Exception as error:  # a SEG that cannot be written or stored fails this series only
        result.status, result.reason = "failed", _failure(error)
    finally:
        if spec.kind == "dicomweb":
            shutil.rmtree(scratch_root(namespace) / segmented.uid, ignore_errors=True)
    result.seconds = round(segmented.seconds + time.perf_counter() - started, 3)
    return result


def _store(spec: SourceSpec, segmented: Segmented, image, settings: SeerSettings, namespace: str,
           prompt: str | None, stored_prompt: str, out_dir: Path) -> str:
    import pydicom

    from .dicom_seg import ensure_dcmqi_on_path, label_map_to_seg
    from .ontology import load_ontology
    from .volume import write_everything_map, write_label_map

    uid = segmented.uid
    if spec.kind == "folder" and not FolderSource(spec).path_of(uid).is_dir():
        # An image file has no DICOM to reference: the label map itself is the result.
        folder = out_dir / ("everything" if prompt is None else "labels")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{uid}.nii.gz"
        if prompt is None:
            write_everything_map(segmented.labels, image, target, segmented.vocab)
        else:
            write_label_map(segmented.labels, image, target)
        return str(target.relative_to(out_dir))
    ensure_dcmqi_on_path()
    source = _series_folder(spec, uid, namespace)
    description = settings.labelmap_tag if prompt is None else f"SEER batch: {stored_prompt}"
    scratch = Path(tempfile.mkdtemp(prefix="seer-seg-"))
    try:
        seg_file = label_map_to_seg(image, segmented.label_names, source, load_ontology(), scratch / "seg.dcm",
                                    description[:SEG_DESCRIPTION_CHARS])
        ds = pydicom.dcmread(seg_file)
        ds.SeriesInstanceUID, ds.SOPInstanceUID = output_uids(uid, segmented.model_version, request_key(prompt))
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        if spec.kind == "dicomweb":
            _dicomweb_client(spec.location).store_instances([ds])
            return str(ds.SeriesInstanceUID)
        folder = out_dir / "seg"
        folder.mkdir(parents=True, exist_ok=True)
        ds.save_as(str(folder / f"{uid}.dcm"))
        if prompt is None:
            everything = out_dir / "everything"
            everything.mkdir(parents=True, exist_ok=True)
            write_everything_map(segmented.labels, image, everything / f"{uid}.nii.gz", segmented.vocab)
        return f"seg/{uid}.dcm"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---- the record ---------------------------------------------------------------------------------------------------

class ResultsRecord:
    """DIR/results.jsonl: appended one line per finished series, fsynced, so that a killed job keeps every result
    it announced. A torn last line (a job killed mid-write) is skipped on read."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / "results.jsonl"

    def load(self) -> dict[tuple[str, str, str], Result]:
        latest: dict[tuple[str, str, str], Result] = {}
        if not self.path.is_file():
            return latest
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                result = Result(**json.loads(line))
            except (ValueError, TypeError):
                continue
            latest[(result.series_uid, result.model_version, result.request)] = result
        return latest

    def append(self, result: Result) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())


RESULT_COLUMNS = ["series_uid", "status", "targets", "voxels", "seconds", "reason"]
VOLUME_COLUMNS = ["series_uid", "target", "volume_ml"]


def write_tables(out_dir: Path, results: list[Result]) -> None:
    """results.csv (one row per series of this job) and volumes.csv (one row per series and target)."""
    from .files import atomic_write_text

    def table(columns: list[str], rows: list[list]) -> str:
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue()

    atomic_write_text(out_dir / "results.csv", table(RESULT_COLUMNS, [
        [r.series_uid, r.status, ";".join(r.targets), r.voxels, f"{r.seconds:.3f}", r.reason] for r in results]))
    atomic_write_text(out_dir / "volumes.csv", table(VOLUME_COLUMNS, [
        [r.series_uid, target, f"{ml:.4f}"] for r in results for target, ml in r.volumes_ml.items()]))


# ---- the driver ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchJob:
    studies: str
    out_dir: Path
    settings: SeerSettings
    prompt: str | None = None  # None: segment everything
    series: tuple[str, ...] = ()
    ray_address: str | None = None
    workers: int | None = None  # None: one per GPU of the cluster, else 1


def _connect(job: BatchJob, namespace: str):
    import ray

    runtime_env = {"env_vars": {"PYTHONPATH": os.pathsep.join(
        p for p in (str(APP_DIR), os.environ.get("PYTHONPATH", "")) if p)}}
    # Without --ray-address, a local cluster for this job only: the CPU tasks get every core; the actors take none
    # (see _actor_count).
    ray.init(address=job.ray_address or "local", namespace=namespace, runtime_env=runtime_env, log_to_driver=False,
             include_dashboard=False)
    return ray


def _actor_count(ray, job: BatchJob) -> tuple[int, dict]:
    """How many Segmenters, and what each reserves: one GPU each when the cluster has GPUs and the backbone uses
    them; on the CPU, `--workers` actors that reserve no CPU, so the read and write tasks are never starved of
    the cores the actors sit on (an actor is busy only while it computes)."""
    gpus = int(ray.cluster_resources().get("GPU", 0))
    if gpus and job.settings.backbone == "vista3d" and job.settings.device != "cpu":
        return (job.workers or gpus), {"num_gpus": 1}
    return (job.workers or 1), {"num_cpus": 0}


def model_version_of(settings: SeerSettings) -> str:
    """The backbone's model version, as its actors will report it, known before any actor starts: a rerun whose
    series are all done needs no cluster at all."""
    if settings.backbone == "vista3d":
        from .backbones.vista3d import resolve_weights, weights_version

        return weights_version(resolve_weights(settings.vista3d_weights))
    from .backbones.labelmap import LabelmapBackbone

    return LabelmapBackbone.model_version


def run_batch(job: BatchJob, progress: bool = True, echo=print) -> dict:
    """Run the job; returns the counts printed as its last line."""
    started = time.perf_counter()
    spec = SourceSpec.parse(job.studies)
    job.out_dir.mkdir(parents=True, exist_ok=True)
    series = list_series(spec, list(job.series))
    if not series:
        raise BatchError(f"--studies {job.studies}: no image series found" + (
            f" for the query {dict(spec.query)}" if spec.query else ""))
    model_version, key = model_version_of(job.settings), request_key(job.prompt)
    record = ResultsRecord(job.out_dir)
    known = record.load()
    results: dict[str, Result] = {}
    pending = []
    for uid in series:
        earlier = known.get((uid, model_version, key))
        if earlier is not None and earlier.status in FINAL:
            results[uid] = Result(**{**asdict(earlier), "status": "skipped",
                                     "reason": f"{earlier.status} before ({earlier.finished})"
                                               + (f": {earlier.reason}" if earlier.reason else "")})
        else:
            pending.append(uid)
    workers = _run_on_ray(job, spec, pending, model_version, record, results, progress) if pending else 0
    ordered = [results[uid] for uid in series]
    write_tables(job.out_dir, ordered)
    counts = {"series": len(series), "done": sum(r.status == "done" for r in ordered),
              "skipped": sum(r.status == "skipped" for r in ordered),
              "failed": sum(r.status == "failed" for r in ordered),
              "refused": sum(r.status == "refused" for r in ordered)}
    seconds = time.perf_counter() - started
    processed = len(pending)
    echo(f"batch: {counts['series']} series in {seconds:.1f} s with {workers} worker(s): {counts['done']} done, "
         f"{counts['refused']} refused, {counts['skipped']} skipped, {counts['failed']} failed"
         + (f"; {60 * processed / seconds:.1f} series/min" if processed else ""))
    for result in [r for r in ordered if r.status in ("failed", "refused")][:10]:
        echo(f"  {result.status} {result.series_uid}: {result.reason}")
    echo(f"  model {model_version}, request {key}; results: {job.out_dir / 'results.csv'}, volumes: "
         f"{job.out_dir / 'volumes.csv'}")
    counts["seconds"] = round(seconds, 2)
    counts["workers"] = workers
    return counts


def _run_on_ray(job: BatchJob, spec: SourceSpec, pending: list[str], model_version: str, record: ResultsRecord,
                results: dict[str, Result], progress: bool) -> int:
    """Segment `pending` on the cluster, recording each series as it finishes; returns the number of actors."""
    from tqdm import tqdm

    from .privacy import scrub

    namespace = namespace_for(job.out_dir)
    ray = _connect(job, namespace)
    try:
        count, reserve = _actor_count(ray, job)
        try:
            actors = [ray.remote(Segmenter).options(name=actor_name(i), max_restarts=ACTOR_RESTARTS,
                                                    max_task_retries=ACTOR_RESTARTS, **reserve).remote(job.settings)
                      for i in range(count)]
        except ValueError as error:  # the name is taken: another job writes the same DIR
            raise BatchError(f"--out {job.out_dir}: another batch job is writing there ({error})") from None
        prepare_task = ray.remote(prepare).options(max_retries=TASK_RETRIES, num_cpus=1)
        write_task = ray.remote(write).options(max_retries=TASK_RETRIES, num_cpus=1)
        attempts: dict[str, int] = {}
        in_flight: dict = {}
        queue = list(pending)
        submitted = 0

        def submit(uid: str) -> None:
            nonlocal submitted
            actor = actors[submitted % len(actors)]
            submitted += 1
            prepared = prepare_task.remote(spec, uid, job.settings, namespace, job.prompt is None)
            segmented = actor.run.remote(prepared, job.prompt)
            in_flight[write_task.remote(spec, segmented, job.settings, namespace, job.prompt,
                                        str(job.out_dir))] = uid

        bar = tqdm(total=len(pending), unit="series", file=sys.stderr, disable=not progress, desc="batch")
        while queue or in_flight:
            while queue and len(in_flight) < IN_FLIGHT_PER_WORKER * len(actors):
                submit(queue.pop(0))
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            uid = in_flight.pop(ready[0])
            try:
                result = ray.get(ready[0])
            except ray.exceptions.RayError as error:
                # Ray's own retries ran out (workers died again and again): resubmit the whole series, then give up.
                attempts[uid] = attempts.get(uid, 0) + 1
                if attempts[uid] <= RESUBMITS:
                    queue.append(uid)
                    continue
                result = Result(uid, "failed", model_version, request_key(job.prompt),
                                scrub(job.prompt) if job.prompt else "",
                                reason=f"ray: {_failure(error)} (after {RESUBMITS} resubmissions)")
            result.finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            record.append(result)
            results[uid] = result
            bar.update(1)
        bar.close()
        return count
    finally:
        ray.shutdown()
        shutil.rmtree(scratch_root(namespace), ignore_errors=True)
