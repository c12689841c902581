"""The simulated benchmark set: seeds → rendered photos → measurements (two processes)."""

from __future__ import annotations

import json
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")


def peak_rss_mib(cmd, cwd=None) -> float:
    """Peak resident memory of the command ``cmd`` (a list), run in a fresh process, in MiB."""
    import subprocess
    import sys

    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    res = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True,
                         cwd=cwd, check=True)  # fmt: skip
    return int(res.stdout.strip().splitlines()[-1]) / 1024.0


def best_of(fn, repeat=5) -> float:
    """The shortest of ``repeat`` runs of ``fn``, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _one(seed: int) -> dict:
    from calibration.colorimetry import delta_e00
    from calibration.measure import measure_shade
    from calibration.simulate import ILLUMINANT_FAMILIES, random_scene, render_scene
    from vision.ingest import ingest_image

    family = {n: f for f, names in ILLUMINANT_FAMILIES.items() for n in names}
    photo = render_scene(random_scene(seed))
    image = ingest_image(photo.jpeg)
    m = measure_shade(image.rgb_lin, roi=photo.roi)
    row = {
        "seed": seed,
        "family": family[photo.scene.illuminant],
        "illuminant": photo.scene.illuminant,
        "camera": photo.scene.camera,
        "product": photo.scene.product,
        "truth": photo.product_lab.tolist(),
        "detected": m.chart is not None,
        "calibrated": m.calibrated,
        "lab": m.lab.tolist(),
    }
    if m.calibrated:
        row["error"] = float(delta_e00(photo.product_lab, m.lab))
        row["U"] = m.uncertainty.expanded
        row["u_correction_raw"] = m.uncertainty.correction
        row["u_sampling"] = m.uncertainty.sampling
    return row


def measure_set(seeds, workers: int | None = None) -> list[dict]:
    """Render and measure every seed; rows in seed order."""
    workers = workers or min(2, os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_one, list(seeds), chunksize=4))


def save_json(result: dict, path: str) -> None:
    """Write a benchmark's figures next to what it printed."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))


def summary(values) -> str:
    v = np.asarray(values, float)
    if len(v) == 0:
        return "n=0"
    return (
        f"n={len(v):3d} median {np.median(v):5.2f} mean {v.mean():5.2f} "
        f"p90 {np.percentile(v, 90):5.2f} max {v.max():5.2f}"
    )


def target(what: str, value: float, limit: float, at_least: bool) -> tuple[str, str, bool]:
    """An issue's target as (what, the figure against the limit, met), at full precision."""
    return (what, f"{value:.4f} {'≥' if at_least else '≤'} {limit}",
            value >= limit if at_least else value <= limit)  # fmt: skip


def print_targets(title: str, rows) -> None:
    """The targets' rows, met or NOT met, and how many are met."""
    print(f"\n== {title} (full precision) ==")
    for what, measured, met in rows:
        print(f"{'met    ' if met else 'NOT met'}  {what}: {measured}")
    print(f"{sum(m for *_, m in rows)} of {len(rows)} met")
