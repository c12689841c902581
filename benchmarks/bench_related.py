"""A selfie sent again: its face's fingerprint and detail against the copies a shopper may
make, and a stored picture's face read from its file (figures printed, not asserted).

1. Copies. The five photos of faces (the four held-out portraits, ``make people``, and the
   astronaut), 20 copies each: cropped to the face's landmarks and to 5-30 % of its width
   around them, as they are, 0.6 and 0.4 times as small (JPEG 85, 0.4 at 60), turned 12-35°,
   mirrored, recoloured (JPEG 70). Printed: how many bits each copy's face's fingerprint is
   from the photo's (vision.fingerprint.face_fingerprint; mirrored copies against the
   mirrored fingerprint; a candidate within FACE_NEAR_DISTANCE), and how alike their detail
   is (face_correlation; one picture's face from SAME_FACE_CORRELATION); the same for the 10
   pairs of the five photos, which are different pictures (one man's three photos among
   them). The baseline in the same run: the fingerprint of the face's whole square (before
   session 28) and the detail laid one way only, the stored face on the new copy's.

2. File reads. The search for a claim's photo sent again cropped or turned
   (claims/related.py) reads the files of the stored pictures whose face's fingerprint is
   near (up to 8 per analysis), and a store from before the faces' fingerprints (or their
   kind) reads every stored photo with a face once. Each read is
   ``claims.analysis.file_face``: a JPEG decoded at 1/2, 1/4 or 1/8 of its size, its face
   found there. The baseline, measured in the same run: the same file decoded whole, its
   face found and captured as the analysis does (what each read cost before). Printed per
   photo: both times (best of 3), their ratio, and how far the reduced read's face is from
   the whole one's: its fingerprint's bits apart and the detail's correlation (1: the same).
   Photos: the astronaut's head and the four held-out portraits, each filling a 3000 × 4000
   frame (a 12 MP selfie, faces 570-1440 px wide) and a third of that width (faces 190-480
   px wide: the face landmarker finds the two of 450 px or more, read at 1/4 then at 1/2),
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

from vision.fingerprint import FACE_NEAR_DISTANCE, SAME_FACE_CORRELATION  # noqa: E402


def _jpeg(u8: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(u8).save(buf, "JPEG", quality=quality)
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


def _copies(u8: np.ndarray, box) -> dict[str, np.ndarray]:
    """What a shopper may do to a photo to send it again: 20 copies (the module's note)."""
    h, w = u8.shape[:2]
    x, y, bw, bh = box

    def around(img, grow):  # the face's box grown by ``grow`` of its width on every side
        m = grow * bw
        return img[max(0, int(y - m)) : min(h, int(y + bh + m)),
                   max(0, int(x - m)) : min(w, int(x + bw + m))]  # fmt: skip

    def saved(img, quality=85):
        return np.asarray(Image.open(io.BytesIO(_jpeg(np.ascontiguousarray(img), quality))))

    def smaller(img, scale):
        return cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)

    out = {}
    for grow in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3):
        out[f"cropped to {grow:.0%}"] = saved(around(u8, grow))
        out[f"cropped to {grow:.0%}, 0.6 as small"] = saved(smaller(around(u8, grow), 0.6))
    for grow in (0.0, 0.15, 0.3):
        out[f"cropped to {grow:.0%}, 0.4 as small"] = saved(smaller(around(u8, grow), 0.4), 60)
    for angle in (12, 20, 35):
        turn = cv2.getRotationMatrix2D((x + bw / 2, y + bh / 2), angle, 1.0)
        out[f"turned {angle}°"] = saved(around(cv2.warpAffine(u8, turn, (w, h)), 0.3))
    out["mirrored"] = saved(around(u8, 0.3)[:, ::-1])
    warmer = np.clip(around(u8, 0.3) * np.array([1.15, 1.0, 0.85]), 0, 255).astype(np.uint8)
    out["recoloured"] = saved(warmer, 70)
    return out


def copies(landmarker) -> dict:
    """Section 1 (the module's note)."""
    import itertools

    from calibration.colorimetry import rgb_lin_to_srgb_u8, srgb_u8_to_rgb_lin
    from vision.fingerprint import (
        _detail_correlation,
        _difference_hash,
        detail_fingerprint,
        face_correlation,
        face_detail,
        fingerprint_distance,
        mirrored_fingerprint,
    )
    from vision.people import people_photos
    from vision.testset import astronaut_face

    def face_of(u8):
        rgb_lin = srgb_u8_to_rgb_lin(np.ascontiguousarray(u8))
        found = landmarker.detect(rgb_lin)
        return (found[0], face_detail(rgb_lin, found[0].points)) if found else (None, None)

    def prints(detail, mirrored):  # (of FACE_HASHED, of the whole square)
        both = detail_fingerprint(detail), _difference_hash(detail)
        return tuple(mirrored_fingerprint(fp) for fp in both) if mirrored else both

    def one_way(this, that):  # ``that`` laid on ``this`` only, as the service did before
        flipped = np.ascontiguousarray(that[:, ::-1])
        return max(_detail_correlation(this, that), _detail_correlation(this, flipped))

    photos = {p.name: np.asarray(Image.open(p.path).convert("RGB")) for p in people_photos()}
    photos["astronaut"] = rgb_lin_to_srgb_u8(astronaut_face(1.0))
    faces, rows = {}, []
    for name, u8 in photos.items():
        face, detail = face_of(u8)
        faces[name] = detail
        for how, copy in _copies(u8, face.bbox).items():
            _, seen = face_of(copy)
            if seen is None:
                rows.append({"photo": name, "copy": how, "face": False})
                continue
            (new, whole), (new_c, whole_c) = prints(detail, False), prints(seen, how == "mirrored")
            rows.append({"photo": name, "copy": how, "face": True,
                         "bits": fingerprint_distance(new, new_c),
                         "bits_whole_square": fingerprint_distance(whole, whole_c),
                         "correlation": face_correlation(seen, detail),
                         "correlation_one_way": one_way(seen, detail)})  # fmt: skip
    pairs = []
    for (a, da), (b, db) in itertools.combinations(faces.items(), 2):
        pa, pb = prints(da, False), prints(db, False)
        pairs.append({"pair": f"{a} / {b}",
                      "bits": min(fingerprint_distance(w, pb[0])
                                  for w in (pa[0], mirrored_fingerprint(pa[0]))),
                      "bits_whole_square": min(fingerprint_distance(w, pb[1])
                                               for w in (pa[1], mirrored_fingerprint(pa[1]))),
                      "correlation": face_correlation(da, db)})  # fmt: skip
    found = [r for r in rows if r["face"]]
    summary = {
        "copies": len(rows),
        "faces_found": len(found),
        "bits_max": max(r["bits"] for r in found),
        "bits_mean": float(np.mean([r["bits"] for r in found])),
        "over_near_distance": sum(r["bits"] > FACE_NEAR_DISTANCE for r in found),
        "whole_square_bits_max": max(r["bits_whole_square"] for r in found),
        "whole_square_over_near_distance": sum(
            r["bits_whole_square"] > FACE_NEAR_DISTANCE for r in found
        ),
        "correlation_min": min(r["correlation"] for r in found),
        "under_same_face": sum(r["correlation"] < SAME_FACE_CORRELATION for r in found),
        "one_way_correlation_min": min(r["correlation_one_way"] for r in found),
        "one_way_under_same_face": sum(
            r["correlation_one_way"] < SAME_FACE_CORRELATION for r in found
        ),
        "pairs_bits_min": min(p["bits"] for p in pairs),
        "pairs_whole_square_bits_min": min(p["bits_whole_square"] for p in pairs),
        "pairs_correlation_max": max(p["correlation"] for p in pairs),
    }
    for r in found:
        if r["bits"] > FACE_NEAR_DISTANCE or r["correlation"] < SAME_FACE_CORRELATION:
            print(f"  missed: {r['photo']}, {r['copy']}: {r['bits']} bits, detail "
                  f"{r['correlation']:.2f}")  # fmt: skip
    print(f"copies: the face found in {summary['faces_found']} of {summary['copies']}; its "
          f"fingerprint {summary['bits_mean']:.1f} bits from the photo's on average, at most "
          f"{summary['bits_max']}, {summary['over_near_distance']} over {FACE_NEAR_DISTANCE} "
          f"(the whole square's, before: at most {summary['whole_square_bits_max']}, "
          f"{summary['whole_square_over_near_distance']} over); detail correlated "
          f"{summary['correlation_min']:.2f} or more, {summary['under_same_face']} under "
          f"{SAME_FACE_CORRELATION} (the stored face laid on the copy's only, before: "
          f"{summary['one_way_correlation_min']:.2f}, {summary['one_way_under_same_face']} "
          f"under)")  # fmt: skip
    print(f"the 10 pairs of different photos: fingerprints {summary['pairs_bits_min']} bits "
          f"apart or more (the whole square's: {summary['pairs_whole_square_bits_min']}), "
          f"detail correlated {summary['pairs_correlation_max']:.2f} at most")  # fmt: skip
    return {"copies": rows, "pairs": pairs, "summary": summary}


def main(argv=None) -> dict:
    from claims.analysis import face_capture, file_face
    from vision.fingerprint import face_correlation
    from vision.ingest import ingest_image
    from vision.landmarks import FaceLandmarker

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="bench-out/related.json")
    args = p.parse_args(argv)
    print("\n== A selfie sent again: its copies' faces against the photo's ==")
    with FaceLandmarker() as landmarker:
        faces = copies(landmarker)
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
    save_json({"copies": faces, "reads": {"photos": rows, "summary": summary}}, args.out)
    return {"copies": faces["summary"], "reads": summary}


if __name__ == "__main__":
    main()
