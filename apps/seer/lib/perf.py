"""`cli.py perf`: where the time of one request goes, compared with the bare network on the same tensor.

Cold start is measured in-process: building the pipeline (ontology, reasoning engine and text encoder, network
and weights on the device) and its warm-up, i.e. what the server does before it answers `/info`. The HTTP
server's own start-up (uvicorn, MONAI Label's datastore scan) is not included.

Every request reads the image from disk, as the infer task does. The stages of a warm request:
- load_preprocess_s: reading the file, then RAS, 1.5 mm, crop and intensity window;
- network_s: the sliding-window forward and the post-transform (labels in network space);
- resample_write_s: back onto the input grid, and writing the label map (NIfTI, compressed);
- reasoning_s: the pipeline's time outside the backbone (evidence, understanding, postprocess).
bare_network_s is the sliding-window forward alone, on the same preprocessed tensor and classes.
"""

from __future__ import annotations

import json
import platform
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import SimpleITK as sitk

STAGES = ("load_preprocess_s", "network_s", "resample_write_s", "reasoning_s")
SYNTHETIC_SHAPE = (512, 512, 300)  # x, y, z voxels: a typical abdominal CT
SYNTHETIC_SPACING = (0.8, 0.8, 1.5)  # mm
INPUTS = ("example", "synthetic")
RANDOM_SEED = 0
# Hounsfield units of the synthetic phantom: air around an elliptic soft-tissue body with a denser core.
AIR_HU, TISSUE_HU, DENSE_HU, NOISE_HU = -1000.0, 40.0, 400.0, 20.0


def synthetic_ct(shape_xyz: tuple[int, int, int], spacing: tuple[float, float, float] = SYNTHETIC_SPACING
                 ) -> sitk.Image:
    """A CT-sized phantom: compute does not depend on content, but the foreground crop does, so it has a body."""
    x, y, z = shape_xyz
    rng = np.random.default_rng(RANDOM_SEED)
    yy, xx = np.mgrid[0:y, 0:x]
    ellipse = ((xx - x / 2) / (0.42 * x)) ** 2 + ((yy - y / 2) / (0.32 * y)) ** 2
    plane = np.where(ellipse < 1, TISSUE_HU, AIR_HU) + np.where(ellipse < 0.05, DENSE_HU, 0.0)
    volume = np.repeat(plane[None], z, axis=0) + rng.normal(0, NOISE_HU, (z, y, x))
    image = sitk.GetImageFromArray(volume.astype(np.int16))
    image.SetSpacing(spacing)
    return image


def _peak_memory(device) -> dict[str, float]:
    import torch

    if device.type == "cuda":
        return {"peak_gpu_gib": round(torch.cuda.max_memory_allocated(device) / 2**30, 2)}
    # Linux reports kilobytes; this is the process's peak since it started (it cannot be reset).
    return {"peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)}


def _default_prompt(pipeline) -> str:
    """A lateral structure of the backbone's vocabulary, named as a user would (no organ names in code)."""
    ontology = pipeline.engine.ontology
    for concept_id in pipeline.backbone.vocabulary():
        if ontology[concept_id].laterality:
            return f"the {ontology[concept_id].name.lower()}"
    return ontology[pipeline.backbone.vocabulary()[0]].name.lower()


def build_perf_pipeline(device: str, weights: str | None, roi: int | None, evidence: str, model_dir: str,
                        departures: str = ""):
    """The pipeline the server would build; with no weights, VISTA3D with random weights made in memory."""
    import torch

    from .backbones.vista3d import Vista3DBackbone, build_network
    from .pipeline import SeerPipeline, build_pipeline
    from .settings import SeerSettings

    settings = SeerSettings(backbone="vista3d", vocab="vista3d", device=device, vista3d_weights=weights or "",
                            evidence=evidence, model_dir=model_dir, vista3d_departures=departures)
    if weights:
        pipeline = build_pipeline(settings)
    else:
        engine = build_pipeline(replace(settings, backbone="labelmap")).engine  # the same engine wiring
        torch.manual_seed(RANDOM_SEED)
        pipeline = SeerPipeline(engine, Vista3DBackbone(engine.ontology, settings, network=build_network()))
    if roi:
        backbone = pipeline.backbone
        backbone.preprocessing = replace(backbone.preprocessing, roi=(roi, roi, roi))
    pipeline.warm_up()
    return pipeline


def _request(pipeline, path: Path, prompt: str, out: Path) -> dict[str, float]:
    from .volume import read_volume, write_label_map

    backbone = pipeline.backbone
    started = time.perf_counter()
    volume = read_volume(path)
    loaded = time.perf_counter()
    result = pipeline.run(volume, prompt)
    ran = time.perf_counter()
    if result.labels is None:
        raise RuntimeError(f"perf prompt {prompt!r} was not segmented: {result.spec.message}")
    write_label_map(result.labels, volume.image, out)
    written = time.perf_counter()
    timings = backbone.last_timings
    in_backbone = timings["preprocess_s"] + timings["network_s"] + timings["resample_s"]
    return {"load_preprocess_s": loaded - started + timings["preprocess_s"],
            "network_s": timings["network_s"],
            "resample_write_s": timings["resample_s"] + written - ran,
            "reasoning_s": ran - loaded - in_backbone,
            "end_to_end_s": written - started,
            "targets": result.spec.targets}


def run_perf(device: str = "auto", shape: tuple[int, int, int] = SYNTHETIC_SHAPE, inputs: tuple[str, ...] = INPUTS,
             weights: str | None = None, roi: int | None = None, prompt: str | None = None,
             evidence: str = "cheap", departures: str = "", print_fn=print) -> dict:
    """Time cold start, the first request, the stages of a warm request and the bare network, per input."""
    import torch

    from .sample import sample_dir
    from .volume import read_volume

    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        started = time.perf_counter()
        pipeline = build_perf_pipeline(device, weights, roi, evidence, str(scratch / "model"), departures)
        cold_start_s = time.perf_counter() - started
        backbone = pipeline.backbone
        prompt = prompt or _default_prompt(pipeline)
        report = {"backbone": backbone.name, "device": str(backbone.device),
                  "device_name": (torch.cuda.get_device_name(backbone.device) if backbone.device.type == "cuda"
                                  else f"{platform.processor() or platform.machine()} CPU, "
                                       f"{torch.get_num_threads()} threads"),
                  "weights": weights or "random weights (timing only: compute does not depend on weight values)",
                  "model_version": backbone.model_version, "torch": torch.__version__, "prompt": prompt,
                  "roi": list(backbone.preprocessing.roi), "sw_batch_size": backbone.sw_batch_size,
                  "precision": backbone.precision, "departures": sorted(backbone.departures),
                  "evidence": evidence, "cold_start_s": round(cold_start_s, 3), "cold_start_kind": "in-process",
                  "cases": []}
        cases = []
        if "example" in inputs:
            cases.append(("example_ct", sample_dir() / "example_ct.nii.gz"))
        if "synthetic" in inputs:
            path = scratch / "synthetic.nii.gz"
            sitk.WriteImage(synthetic_ct(shape), str(path), useCompression=True)
            cases.append((f"synthetic {'x'.join(map(str, shape))}", path))
        for name, path in cases:
            if backbone.device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(backbone.device)
            first = _request(pipeline, path, prompt, scratch / "first.nii.gz")
            warm = _request(pipeline, path, prompt, scratch / "warm.nii.gz")
            volume = read_volume(path)
            labels = [backbone.label_of(t) for t in warm["targets"]]
            prepared, bare_s = backbone.bare_forward(volume, labels)
            image = sitk.ReadImage(str(path))
            case = {"input": name, "shape_xyz": list(image.GetSize()),
                    "spacing_mm": [round(s, 3) for s in image.GetSpacing()],
                    "network_input_ijk": list(prepared.tensor.shape[-3:]), "classes": len(labels),
                    "first_request_s": round(first["end_to_end_s"], 3),
                    **{stage: round(warm[stage], 3) for stage in STAGES},
                    "end_to_end_s": round(warm["end_to_end_s"], 3), "bare_network_s": round(bare_s, 3),
                    "ratio_end_to_end_to_bare": round(warm["end_to_end_s"] / bare_s, 3),
                    **_peak_memory(backbone.device)}
            report["cases"].append(case)
    print_fn(format_table(report))
    return report


def format_table(report: dict) -> str:
    lines = [f"perf: {report['backbone']} on {report['device']} ({report['device_name']}), torch {report['torch']}",
             f"weights: {report['weights']}",
             f"roi {report['roi']}, sw batch {report['sw_batch_size']}, {report['precision']}, "
             f"evidence {report['evidence']}, "
             f"prompt {report['prompt']!r}",
             f"cold start (in-process: pipeline, encoder, network on device, warm-up): {report['cold_start_s']:.2f} s",
             ""]
    columns = ["first_request_s", *STAGES, "end_to_end_s", "bare_network_s", "ratio_end_to_end_to_bare"]
    header = ["input", "network input", *(c.removesuffix("_s") for c in columns), "peak memory"]
    rows = [header]
    for case in report["cases"]:
        memory = (f"{case['peak_gpu_gib']} GiB GPU" if "peak_gpu_gib" in case else f"{case['peak_rss_gib']} GiB RSS")
        rows.append([case["input"], "x".join(map(str, case["network_input_ijk"])),
                     *(f"{case[c]:.3f}" for c in columns), memory])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def report_json(report: dict) -> str:
    return json.dumps(report, separators=(",", ":"))
