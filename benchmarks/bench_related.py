"""A stored picture's face read from its file (figures printed, not asserted).

The search for a claim's photo sent again cropped or turned (claims/related.py) reads the
files of the stored pictures whose face's fingerprint is near (up to 8 per analysis), and a
store from before the faces' fingerprints reads every stored photo once. Each read is
``claims.analysis.file_face``: a JPEG decoded at 1/2, 1/4 or 1/8 of its size, its face
found there. The baseline, measured in the same run: the same file decoded whole, its face
found and captured as the analysis does (what each read cost before). Printed per photo:
both times (best of 3), their ratio, the reduction used, and how far the reduced read's face
is from the whole one's: its fingerprint's bits apart and the detail's correlation
(vision.fingerprint.face_correlation; 1: the same).

Photos: the astronaut's head and the four held-out portraits (``make people``), each filling a
3000 × 4000 frame (a 12 MP selfie, faces 570-1440 px wide) and a third of that width (faces
190-480 px wide: the face landmarker finds the two of 450 px or more, read at 1/4 then at 1/2),
and the portraits as they are (0.7-3.3 MP).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from simset import best_of, save_json  # noqa: E402


def _jpeg(u8: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(u8).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _in_frame(u8: np.ndarray, share: float, size=(3000, 4000)) -> np.ndarray:
    """``u8`` scaled to ``share`` of a portrait frame's width, centred on grey with noise."""
    width, height = size
    w = round(width * share)
    u8 = cv2.resize(u8, (w, round(w * u8.shape[0] / u8.shape[1])), interpolation=cv2.INTER_CUBIC)
    u8 = u8[:height]
    canvas = np.full((height, width, 3), 180.0)
    y0, x0 = (height - u8.shape[0]) // 2, (width - w) // 2
    canvas[y0 : y0 + u8.shape[0], x0 : x0 + w] = u8
    canvas += np.random.default_rng(0).normal(0, 3, canvas.shape)
    return np.clip(canvas, 0, 255).astype(np.uint8)


def photos() -> dict[str, bytes]:
    from calibration.colorimetry import rgb_lin_to_srgb_u8
    from vision.people import people_photos
    from vision.testset import astronaut_face

    heads = {"astronaut": rgb_lin_to_srgb_u8(astronaut_face(1.0))}
    files = {}
    for photo in people_photos():
        data = photo.path.read_bytes()
        heads[photo.name] = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        files[photo.name] = data
    out = {}
    for name, u8 in heads.items():
        out[f"{name}, 12 MP"] = _jpeg(_in_frame(u8, 1.0))
        out[f"{name}, 12 MP, a third as wide"] = _jpeg(_in_frame(u8, 1 / 3))
    for name, data in files.items():
        out[f"{name}, as it is"] = data
    return out


def main(argv=None) -> dict:
    from claims.analysis import face_capture, file_face
    from vision.fingerprint import face_correlation
    from vision.ingest import ingest_image
    from vision.landmarks import FaceLandmarker

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="bench-out/related.json")
    args = p.parse_args(argv)
    print("\n== A stored picture's face read from its file: reduced ÷ whole ==")
    rows = {}
    with FaceLandmarker() as landmarker:

        def whole(data):
            rgb_lin = ingest_image(data).rgb_lin
            found = landmarker.detect(rgb_lin)
            return face_capture(rgb_lin, found[0] if found else None)

        for name, data in photos().items():
            ref, got = whole(data), file_face(data, landmarker)
            t_whole = best_of(lambda d=data: whole(d), repeat=3)
            t_file = best_of(lambda d=data: file_face(d, landmarker), repeat=3)
            width, height = Image.open(io.BytesIO(data)).size
            row = {
                "pixels": width * height,
                "whole_ms": 1000 * t_whole,
                "reduced_ms": 1000 * t_file,
                "ratio": t_file / t_whole,
                "face_whole": ref.fingerprint is not None,
                "face_reduced": got.fingerprint is not None,
            }
            if row["face_whole"] and row["face_reduced"]:
                row["bits_apart"] = ((ref.fingerprint ^ got.fingerprint) & (2**64 - 1)).bit_count()
                row["correlation"] = face_correlation(ref.detail, got.detail)
                alike = f"{row['bits_apart']} bits apart, detail {row['correlation']:.3f}"
            else:
                alike = f"a face found whole: {row['face_whole']}, reduced: {row['face_reduced']}"
            rows[name] = row
            times = f"whole {1000 * t_whole:4.0f} ms, reduced {1000 * t_file:4.0f} ms"
            print(f"{name:<34} {width * height / 1e6:4.1f} MP: {times} = {row['ratio']:.2f}×; "
                  f"{alike}")  # fmt: skip
    ratios = sorted(r["ratio"] for r in rows.values() if r["pixels"] >= 10e6)
    bits = [r.get("bits_apart") for r in rows.values()]
    summary = {
        "ratio_12mp_median": ratios[len(ratios) // 2],
        "ratio_12mp_max": ratios[-1],
        "bits_apart_max": max(b for b in bits if b is not None),
        "correlation_min": min(r["correlation"] for r in rows.values() if "correlation" in r),
        "faces_lost": sum(r["face_whole"] != r["face_reduced"] for r in rows.values()),
    }
    print(f"12 MP photos: the reduced read takes {summary['ratio_12mp_median']:.2f}× the whole "
          f"one's time (median; at most {summary['ratio_12mp_max']:.2f}×); faces' fingerprints "
          f"at most {summary['bits_apart_max']} bits from the whole picture's, detail "
          f"correlated {summary['correlation_min']:.3f} or more; faces found in one read and "
          f"not the other: {summary['faces_lost']}")  # fmt: skip
    save_json({"photos": rows, "summary": summary}, args.out)
    return summary


if __name__ == "__main__":
    main()
