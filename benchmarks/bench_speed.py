"""Speed, as ratios measured in one run (figures printed, never asserted).

1. Chart detection + measurement of a 12 MP photo ÷ the JPEG decode time of the same file
   (target ≤ 4×), for a large chart and for a ~150 px chart; and the upload check a claim's
   photo passes before it is stored (decode, metadata removed, the stored file decoded again).
2. hueproof's chart detector vs colour-checker-detection's segmentation detector on the same
   images: detection rate (correct chart, right patch order) and time per image (target: ≥ 4×
   faster at an equal or better rate). The peer runs from ``.venv-peer`` (``make peer``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from calibration.chart import GRID_CORNERS  # noqa: E402
from calibration.colorimetry import srgb_u8_to_rgb_lin  # noqa: E402
from calibration.detect import detect_colour_checker, sample_patches  # noqa: E402
from calibration.measure import measure_shade  # noqa: E402
from calibration.simulate import random_scene, render_scene  # noqa: E402
from vision.ingest import check_image, ingest_image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from simset import best_of, save_json  # noqa: E402


def decode(jpeg: bytes):
    im = Image.open(io.BytesIO(jpeg))
    im.load()
    return im


def twelve_mp(chart_width: float, seed: int):
    scene = replace(
        random_scene(seed),
        width=4000,
        height=3000,
        chart_width_px=chart_width,
        swatch_size_px=600.0,
    )
    return render_scene(scene)


def speed_12mp() -> dict:
    out = {}
    for label, width in (("large chart (1400 px)", 1400.0), ("small chart (155 px)", 155.0)):
        photo = twelve_mp(width, 31)
        t_decode = best_of(lambda p=photo: decode(p.jpeg))
        image = ingest_image(photo.jpeg)
        t_ingest = best_of(lambda p=photo: ingest_image(p.jpeg), repeat=3)
        t_check = best_of(lambda p=photo: check_image(p.jpeg), repeat=3)

        def pipeline(img=image, p=photo):
            det = detect_colour_checker(img.rgb_lin)
            return measure_shade(img.rgb_lin, roi=p.roi, detections=det)

        m = pipeline()
        t_pipe = best_of(pipeline, repeat=3)
        ratio = t_pipe / t_decode
        print(
            f"12 MP, {label}: JPEG decode {1000 * t_decode:.0f} ms; ingest (decode + "
            f"linearise) {1000 * t_ingest:.0f} ms; detection + measurement "
            f"{1000 * t_pipe:.0f} ms = {ratio:.2f}x decode; chart found: {m.chart is not None}"
        )
        print(f"  upload check (decode, metadata removed, stored file decoded again) "
              f"{1000 * t_check:.0f} ms = {t_check / t_decode:.2f}x decode")  # fmt: skip
        out[label] = {
            "decode_ms": 1000 * t_decode,
            "ingest_ms": 1000 * t_ingest,
            "upload_check_ms": 1000 * t_check,
            "pipeline_ms": 1000 * t_pipe,
            "ratio": ratio,
            "found": m.chart is not None,
        }
    return out


def _truth_patches(photo):
    import cv2

    corners = photo.chart_corners.astype(np.float32)
    h = cv2.getPerspectiveTransform(GRID_CORNERS.astype(np.float32), corners)
    return sample_patches(srgb_u8_to_rgb_lin(photo.srgb_u8), h.astype(np.float64))[0]


def _patches_match(values, truth) -> bool:
    values = np.asarray(values, float).reshape(-1, 3)
    if values.shape != (24, 3):
        return False
    for candidate in (values, values[::-1]):  # the peer's order may be rotated by 180°
        rel = np.abs(candidate - truth) / (truth + 0.02)
        if np.median(rel) < 0.1:
            return True
    return False


def detector_comparison(n_images: int, peer_python: str | None) -> dict:
    from skimage import data as skdata

    photos = [render_scene(random_scene(20000 + i)) for i in range(n_images)]
    negatives = [skdata.astronaut(), skdata.coffee(), skdata.chelsea()]
    tmp = Path(tempfile.mkdtemp(prefix="hueproof-bench-"))
    paths = []
    for i, ph in enumerate(photos):
        p = tmp / f"chart_{i:03d}.jpg"
        p.write_bytes(ph.jpeg)
        paths.append(p)
    for i, arr in enumerate(negatives):
        p = tmp / f"nochart_{i}.jpg"
        Image.fromarray(arr).save(p, quality=92)
        paths.append(p)

    ours_ok, ours_fp, ours_t = 0, 0, []
    for i, p in enumerate(paths):
        rgb_lin = ingest_image(p.read_bytes()).rgb_lin
        t0 = time.perf_counter()
        found = detect_colour_checker(rgb_lin)
        ours_t.append(time.perf_counter() - t0)
        if i < len(photos):
            pitch = photos[i].scene.chart_width_px / 6.6
            if found and np.abs(found[0].quad - photos[i].chart_corners).max() < 0.25 * pitch:
                ours_ok += 1
        elif found:
            ours_fp += 1
    print(
        f"\nhueproof detector: {ours_ok}/{len(photos)} charts correct, {ours_fp}/"
        f"{len(negatives)} false detections, median {1000 * np.median(ours_t):.0f} ms/image"
    )
    result = {
        "images": len(photos),
        "ours_correct": ours_ok,
        "ours_false": ours_fp,
        "ours_ms": 1000 * float(np.median(ours_t)),
    }
    if not peer_python or not Path(peer_python).exists():
        print("colour-checker-detection: not measured (run `make peer` to create .venv-peer)")
        return result
    proc = subprocess.run(
        [peer_python, str(ROOT / "benchmarks" / "peer_detect.py"), *map(str, paths)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        print(f"colour-checker-detection failed: {proc.stderr.strip().splitlines()[-1:]}")
        return result
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    peer_ok, peer_fp, peer_t = 0, 0, []
    for i, rec in enumerate(lines):
        peer_t.append(rec["seconds"])
        if i < len(photos):
            truth = _truth_patches(photos[i])
            if any(_patches_match(s, truth) for s in rec["swatches"]):
                peer_ok += 1
        elif rec["found"]:
            peer_fp += 1
    speedup = float(np.median(peer_t) / np.median(ours_t))
    print(
        f"colour-checker-detection (segmentation): {peer_ok}/{len(photos)} charts correct, "
        f"{peer_fp}/{len(negatives)} false detections, median {1000 * np.median(peer_t):.0f} "
        f"ms/image"
    )
    print(f"hueproof is {speedup:.1f}x faster (median time ratio, same images, same machine)")
    result.update(
        {
            "peer_correct": peer_ok,
            "peer_false": peer_fp,
            "peer_ms": 1000 * float(np.median(peer_t)),
            "speedup": speedup,
        }
    )
    return result


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--images", type=int, default=30)
    p.add_argument(
        "--peer-python", default=os.environ.get("PEER_PYTHON", str(ROOT / ".venv-peer/bin/python"))
    )
    p.add_argument("--out", default="bench-out/speed.json")
    args = p.parse_args(argv)
    print("\n== Speed ==")
    result = {"12mp": speed_12mp(), "detectors": detector_comparison(args.images, args.peer_python)}
    save_json(result, args.out)
    return result


if __name__ == "__main__":
    main()
