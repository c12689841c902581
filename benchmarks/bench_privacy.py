"""Does a pixelated picture still tell who is in it? (figures printed, not asserted)

An off-the-shelf face matcher (SFace, models/face_matcher; vision/people/matcher.py) scores
obscured pictures of the held-out people, the astronaut, and copies of the light-skinned ones
with darker skin (so that skin tone alone does not single out the one man with three photos)
against their unaltered photos. Each line gives, for one mosaic (blocks across the face
width) and what an attacker does to it first (nothing, blurring the blocks away,
re-interpolating the block grid):
- separation: the share of (same man's other photo, other person) pairs the matcher ranks
  right, 0.5 being chance and 1 every time (the area under its ROC curve);
- the same man's other photos' scores against the best other person's;
- a picture against the photo it was made from (the strongest case).
The matcher is aligned on each face's true landmarks: the attacker knows where the face is.
Then the heatmap picture the service serves, at the shipped mosaic.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from simset import save_json  # noqa: E402

from calibration.colorimetry import srgb_u8_to_rgb_lin  # noqa: E402
from models.face_matcher import SAME_PERSON_COSINE, FaceMatcher  # noqa: E402
from vision.analysis import HEATMAP_MARGIN, analyze_selfie  # noqa: E402
from vision.landmarks import FaceLandmarker  # noqa: E402
from vision.overlay import (  # noqa: E402
    PIXELATION_BLOCKS_PER_FACE,
    mosaic_edges,
    pixelate,
    pixelation_block,
)
from vision.people.matcher import (  # noqa: E402
    ATTACKS,
    Portrait,
    identity_scores,
    pixelated,
    portraits,
)
from vision.regions import face_box  # noqa: E402

BLOCKS = (4, 5, 6, 7, 8, 10, 12, 16)
#: The heatmap's working scale against the shown photo's in the two-picture attack: equal for
#: a small photo (its face under 480 px, the whole under 1024), 1.6 for a 12 MP selfie whose
#: face spans a third of the frame (shown at 1024 px, analysed with its face 480 px wide).
TWO_SCALES = (1.0, 1.6)


def _line(label, s) -> dict:
    print(f"{label:<28} separation {s.separation:.2f} | same man, other photos "
          f"{min(s.genuine):+.2f}..{max(s.genuine):+.2f}, other people up to "
          f"{max(s.impostor):+.2f} | own photo median {np.median(s.same_photo):+.2f}")  # fmt: skip
    return {
        "separation": s.separation,
        "genuine": [min(s.genuine), max(s.genuine)],
        "impostor_max": max(s.impostor),
        "same_photo_median": float(np.median(s.same_photo)),
    }


def _head(p: Portrait, scale: float = 1.0):
    """The head as the analysis crops it for its heatmap (the face's box grown by
    HEATMAP_MARGIN), at ``scale``: the picture, its box in the portrait, and the face's width
    in the picture's pixels."""
    x0, y0, x1, y1 = face_box(SimpleNamespace(points=p.points, width=p.face_width),
                              p.srgb_u8.shape[:2], margin=HEATMAP_MARGIN)  # fmt: skip
    head = p.srgb_u8[y0:y1, x0:x1]
    if scale != 1.0:
        head = cv2.resize(head, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return head, (x0, y0, x1, y1), p.face_width * scale


def _served_heatmap(landmarker):
    """The heatmap the service serves, put back where the head lies in the pixelated photo."""

    def obscure(p: Portrait):
        photo, grid = pixelated()(p)
        a = analyze_selfie(srgb_u8_to_rgb_lin(p.srgb_u8), landmarker=landmarker)
        x0, y0, x1, y1 = face_box(a.face, p.srgb_u8.shape[:2], margin=HEATMAP_MARGIN)
        picture = photo.copy()
        picture[y0:y1, x0:x1] = a.images["redness_heatmap.png"][: y1 - y0, : x1 - x0]
        return picture, grid

    return obscure


def _block_ids(edges_y, edges_x, shape):
    rows = np.searchsorted(edges_y, np.arange(shape[0]) + 0.5, side="right") - 1
    cols = np.searchsorted(edges_x, np.arange(shape[1]) + 0.5, side="right") - 1
    return (rows[:, None] * len(edges_x) + cols[None, :]).ravel()


def _back_projected(observations, shape, rounds=20):
    """An image whose block means agree with every (picture, block ids) observation: their
    mean, then each picture's disagreement added back in turn (iterative back-projection)."""
    est = np.mean([o for o, _ in observations], axis=0)
    for _ in range(rounds):
        for obs, ids in observations:
            n = ids.max() + 1
            count = np.maximum(np.bincount(ids, minlength=n), 1)
            for c in range(3):
                mean = np.bincount(ids, est[..., c].ravel(), n) / count
                est[..., c] += obs[..., c] - mean[ids].reshape(shape)
        est = cv2.GaussianBlur(est, (0, 0), 1.0)
    return np.clip(est, 0, 255).astype(np.uint8)


def _two_pictures(anchored: bool, scale: float):
    """The head from two pictures of one photo, combined (:func:`_back_projected`): the photo
    as shown (the portrait's scale) and the heatmap's base, the head at ``scale`` of it (the
    analysis's working size differs from the shown photo's). The heatmap's mosaic anchored at
    the photo's corner, as shipped, or at the head's own (before session 14)."""

    def obscure(p: Portrait):
        photo = pixelate(p.srgb_u8, p.face_width)
        head, (x0, y0, x1, y1), head_width = _head(p, scale)
        corner = (-x0 * scale, -y0 * scale) if anchored else (0.0, 0.0)
        base = pixelate(head, head_width, corner)
        block, head_block = pixelation_block(p.face_width), pixelation_block(head_width)
        shape = (y1 - y0, x1 - x0)
        h, w = p.srgb_u8.shape[:2]
        ids_photo = _block_ids(mosaic_edges(h, 0.0, block) - y0,
                               mosaic_edges(w, 0.0, block) - x0, shape)  # fmt: skip
        ids_head = _block_ids(mosaic_edges(head.shape[0], corner[1], head_block) / scale,
                              mosaic_edges(head.shape[1], corner[0], head_block) / scale,
                              shape)  # fmt: skip
        up = cv2.resize(base, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
        observations = [(photo[y0:y1, x0:x1].astype(np.float64), ids_photo),
                        (up.astype(np.float64), ids_head)]  # fmt: skip
        picture = photo.copy()
        picture[y0:y1, x0:x1] = _back_projected(observations, shape)
        return picture, (block, (0.0, 0.0))

    return obscure


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="bench-out/privacy.json")
    args = p.parse_args(argv)
    matcher = FaceMatcher()
    with FaceLandmarker() as landmarker:
        gallery = portraits(landmarker)
        print("\n== Pixelation against a face matcher (SFace; "
              f"{len(gallery)} portraits, shipped: {PIXELATION_BLOCKS_PER_FACE} blocks per face "
              f"width; 'the same person' at cosine {SAME_PERSON_COSINE}) ==")  # fmt: skip
        result = {"unaltered": _line("unaltered", identity_scores(matcher, gallery))}
        for blocks in BLOCKS:
            for attack in ATTACKS:
                s = identity_scores(matcher, gallery, pixelated(blocks), attack)
                result[f"{blocks}/{attack}"] = _line(f"{blocks:>2} blocks, {attack}", s)
        for attack in ATTACKS:
            s = identity_scores(matcher, gallery, _served_heatmap(landmarker), attack)
            result[f"heatmap/{attack}"] = _line(f"heatmap as served, {attack}", s)
        print("-- the photo and the heatmap's base combined by back-projection --")
        for scale in TWO_SCALES:
            for anchored, at in ((False, "head's"), (True, "photo's")):
                s = identity_scores(matcher, gallery, _two_pictures(anchored, scale))
                key = f"two_pictures/{scale}/{'photo' if anchored else 'head'}_corner"
                result[key] = _line(f"×{scale}, heatmap at the {at} corner", s)
    save_json(result, args.out)
    return result


if __name__ == "__main__":
    main()
