"""Chart-free colour from the face: the regions the colour model reads, found by landmarks.

Skin and lips come from :mod:`vision.regions`; the whites of the eyes are the eye contours
minus the iris (MediaPipe's iris landmarks 468-477), keeping their brighter half (lashes and
lid shadows are darker); teeth are the bright, nearly neutral pixels of the mouth opening, or
absent when the mouth is closed. Each region gives the trimmed mean of its linear RGB (the
model was trained on region means; the trimming drops specular glints and stray pixels).
"""

from __future__ import annotations

import cv2
import numpy as np

from calibration.colorimetry import LUMINANCE
from vision.regions import (
    LEFT_EYE,
    LIPS_INNER,
    RIGHT_EYE,
    face_box,
    fill_polygons,
    masked_pixels,
    region_mask,
)

__all__ = ["IRIS", "MAX_FACE_WIDTH", "MIN_PIXELS", "face_region_colours"]

#: Iris centre and ring landmarks (MediaPipe Face Landmarker with refined irises).
IRIS = ((468, (469, 470, 471, 472)), (473, (474, 475, 476, 477)))
#: A region with fewer pixels is not used (teeth: treated as hidden).
MIN_PIXELS = 12
#: Region means need no more detail than a face this wide: a larger face is area-averaged
#: down to it first (which keeps the means), so that a 12 MP selfie's masks are not eroded
#: at full size (0.72 s of a shade claim's 2.4 s before).
MAX_FACE_WIDTH = 480.0
LUMA = LUMINANCE.astype(np.float32)


def _trimmed_mean(pixels: np.ndarray, trim: float = 0.1) -> np.ndarray:
    y = pixels @ LUMA
    lo, hi = np.quantile(y, [trim, 1 - trim])
    keep = ((y >= lo) & (y <= hi)).astype(np.float64)
    if not keep.any():
        keep[:] = 1.0
    return (keep @ pixels) / keep.sum()  # a weighted sum: no gather of the kept pixels


def sclera_mask(points, shape) -> np.ndarray:
    """The whites of both eyes: eye contours minus the irises, the brighter half kept later."""
    mask = fill_polygons(shape, (RIGHT_EYE, LEFT_EYE), points).astype(bool)
    for centre, ring in IRIS:
        c = points[centre]
        r = 1.15 * float(np.mean(np.linalg.norm(points[list(ring)] - c, axis=1)))
        iris = np.zeros(shape, np.uint8)
        cv2.circle(iris, (int(round(c[0])), int(round(c[1]))), max(1, int(round(r))), 1, -1)
        mask &= ~iris.astype(bool)
    return cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def _shrunk_face(rgb_lin, face, s):
    """The face's box (:func:`vision.regions.face_box`) area-averaged by ``s``, and the
    landmarks in it."""
    x0, y0, x1, y1 = face_box(face, rgb_lin.shape[:2])
    points = np.asarray(face.points, np.float64)
    size = (max(1, round((x1 - x0) * s)), max(1, round((y1 - y0) * s)))
    small = cv2.resize(rgb_lin[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
    return small, (points - (x0, y0)) * (size[0] / (x1 - x0), size[1] / (y1 - y0))


def face_region_colours(rgb_lin, face, *, masks=None) -> dict[str, np.ndarray]:
    """Mean linear sRGB of skin, lips, sclera and (when visible) teeth.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB
    face : vision.landmarks.FaceLandmarks
    masks : dict of str → (H, W) bool, keyword-only
        Skin and lip masks already made for these landmarks (:func:`vision.regions.region_masks`);
        the missing ones are made here. Without them a face wider than :data:`MAX_FACE_WIDTH`
        is measured on a copy shrunk to that width.

    Returns
    -------
    dict region → (3,) float64; ``teeth`` is missing when the mouth shows too few of them.

    Raises
    ------
    ValueError
        When skin, lips or sclera cover fewer than :data:`MIN_PIXELS` pixels (face too small).
    """
    rgb_lin = np.asarray(rgb_lin, np.float32)
    points = np.asarray(face.points, np.float64)
    masks = masks or {}
    if not masks and face.width > MAX_FACE_WIDTH:
        rgb_lin, points = _shrunk_face(rgb_lin, face, MAX_FACE_WIDTH / face.width)
    shape = rgb_lin.shape[:2]
    out = {}
    for name in ("skin", "lips"):
        mask = masks[name] if name in masks else region_mask(points, name, shape)
        px = masked_pixels(rgb_lin, mask)
        if len(px) < MIN_PIXELS:
            raise ValueError(f"the {name} region has {len(px)} pixels: the face is too small")
        out[name] = _trimmed_mean(px).astype(np.float64)
    px = masked_pixels(rgb_lin, sclera_mask(points, shape))
    if len(px) < MIN_PIXELS:
        raise ValueError(f"the whites of the eyes show {len(px)} pixels: eyes closed or too small")
    y = px @ LUMA
    bright = px[y >= np.median(y)]
    out["sclera"] = _trimmed_mean(bright).astype(np.float64)
    mouth = fill_polygons(shape, (LIPS_INNER,), points).astype(bool)
    px = masked_pixels(rgb_lin, mouth)
    if len(px):
        y = px @ LUMA
        ratio = px.max(axis=1) / np.maximum(px.min(axis=1), 1e-4)
        teeth = px[(y >= 0.5 * float(out["sclera"] @ LUMA)) & (ratio < 2.0)]
        if len(teeth) >= MIN_PIXELS:
            out["teeth"] = _trimmed_mean(teeth).astype(np.float64)
    return out
