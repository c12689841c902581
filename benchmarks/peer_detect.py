"""Run colour-checker-detection's segmentation detector on images (in its own venv).

colour-checker-detection pins ``opencv-python<5`` and pulls OpenImageIO, which would put a
second OpenCV beside mediapipe's ``opencv-contrib-python`` in hueproof's environment; so it is
measured from a separate virtual environment (``make peer``), never imported by hueproof.

Usage: ``.venv-peer/bin/python benchmarks/peer_detect.py IMAGE...`` → one JSON line per image.
"""

import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from colour_checker_detection import detect_colour_checkers_segmentation  # noqa: E402


def main(paths):
    for path in paths:
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        srgb = bgr[..., ::-1].astype(np.float32) / 255.0
        t0 = time.perf_counter()
        found = detect_colour_checkers_segmentation(srgb, apply_cctf_decoding=True)
        dt = time.perf_counter() - t0
        swatches = [np.asarray(f).tolist() for f in found]
        print(json.dumps({"path": path, "seconds": dt, "found": len(found), "swatches": swatches}))
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
