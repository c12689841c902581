"""The face detector that sets the privacy mosaic when the landmarker finds no face."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

import models.face_detector as detector
from calibration.colorimetry import rgb_lin_to_srgb_u8
from vision.ingest import load_image
from vision.overlay import OTHER_FACE, mosaic_face_width
from vision.people import people_photos


def _close_up(landmarker):
    """Biden's photo cut to a close-up selfie (the face half the frame's width) in 8-bit sRGB,
    the same with the left half of the face out of the frame, and the face's width (the
    landmarker's)."""
    photo = next(p for p in people_photos() if p.name == "biden.jpg")
    rgb_lin = load_image(photo.path).rgb_lin
    (face,) = landmarker.detect(rgb_lin)
    (x0, y0), (x1, y1) = face.points.min(axis=0), face.points.max(axis=0)
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, face.width
    srgb = rgb_lin_to_srgb_u8(rgb_lin[int(cy - 1.2 * half) : int(cy + 1.2 * half),
                                      int(cx - half) : int(cx + half)])  # fmt: skip
    return srgb, np.ascontiguousarray(srgb[:, srgb.shape[1] // 2 :]), face.width


def test_a_face_the_landmarker_misses_still_sets_the_mosaic(landmarker):
    """The shade claim's pixelated photo of a close-up face half out of the frame: blocks of
    a sixth of the face the detector finds. Before, the mosaic assumed a face a sixth of the
    frame wide: this one was about 7 such blocks wide in what is left of it (15 in full)."""
    from calibration.colorimetry import srgb_u8_to_rgb_lin
    from claims.analysis import _pixelated_photo

    _, cut, width = _close_up(landmarker)
    assert landmarker.detect(srgb_u8_to_rgb_lin(cut)) == ()
    found = detector.face_widths(cut)
    assert len(found) == 1 and 0.35 * width < found[0] < 0.75 * width  # the half in the frame
    shown = np.asarray(Image.open(io.BytesIO(_pixelated_photo(srgb_u8_to_rgb_lin(cut), None))))
    s = shown.shape[0] / cut.shape[0]
    row = shown[int(0.3 * shown.shape[0])]
    edges = np.flatnonzero(np.any(row[1:] != row[:-1], axis=-1)) + 1
    block = np.median(np.diff(edges)) / s  # in the photo's pixels
    assert abs(block - found[0] / 6) <= 2 / s
    assert found[0] / (max(cut.shape[:2]) / 36) > 6  # the frame's guess was finer


def test_a_wider_face_beside_the_landmarked_one_sets_the_mosaic(landmarker):
    """Another face, nearer the camera, widens the blocks; the same face found by both does
    not change the landmarked width (the photo and its heatmap keep one grid)."""
    srgb, _, width = _close_up(landmarker)
    assert mosaic_face_width(srgb, width) == width
    h, w = srgb.shape[:2]
    near = cv2.resize(srgb, None, fx=1.6, fy=1.6, interpolation=cv2.INTER_LINEAR)
    scene = np.full((near.shape[0], w + near.shape[1], 3), 128, np.uint8)
    scene[:h, :w], scene[:, w:] = srgb, near
    wider = mosaic_face_width(scene, width)
    assert wider > OTHER_FACE * width and abs(wider - 1.6 * width) < 0.2 * width
