"""Does a pixelated picture still tell who is in it? (figures printed, not asserted)

An off-the-shelf face matcher (SFace, vision/people/matcher.py) scores obscured pictures of
the held-out people, the astronaut, and copies of the light-skinned ones with darker skin (so
that skin tone alone does not single out the one man with three photos) against their
unaltered photos. Each line gives, for one mosaic (blocks across the face width) and what an
attacker does to it first (nothing, blurring the blocks away, re-interpolating the block
grid):
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from simset import save_json  # noqa: E402

from calibration.colorimetry import srgb_u8_to_rgb_lin  # noqa: E402
from vision.analysis import analyze_selfie  # noqa: E402
from vision.landmarks import FaceLandmarker  # noqa: E402
from vision.overlay import PIXELATION_BLOCKS_PER_FACE, pixelation_block  # noqa: E402
from vision.people.matcher import (  # noqa: E402
    ATTACKS,
    SAME_PERSON_COSINE,
    FaceMatcher,
    identity_scores,
    pixelated,
    portraits,
)

BLOCKS = (4, 5, 6, 7, 8, 10, 12, 16)


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
        result = {"unaltered": _line("unaltered", identity_scores(
            matcher, gallery, lambda u8, w: (u8, 1)))}  # fmt: skip
        for blocks in BLOCKS:
            for attack in ATTACKS:
                s = identity_scores(matcher, gallery, pixelated(blocks), attack)
                result[f"{blocks}/{attack}"] = _line(f"{blocks:>2} blocks, {attack}", s)

        def heatmap(u8, w):
            a = analyze_selfie(srgb_u8_to_rgb_lin(u8), landmarker=landmarker)
            return a.images["redness_heatmap.png"], pixelation_block(w)

        for attack in ATTACKS:
            s = identity_scores(matcher, gallery, heatmap, attack)
            result[f"heatmap/{attack}"] = _line(f"heatmap as served, {attack}", s)
    save_json(result, args.out)
    return result


if __name__ == "__main__":
    main()
