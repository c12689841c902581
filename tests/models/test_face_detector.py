"""The face detector that sets the privacy mosaic when the landmarker finds no face."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

import models.face_detector as detector
from calibration.colorimetry import rgb_lin_to_srgb_u8
from vision.ingest import load_image
from vision.overlay import OTHER_FACE, mosaic_face_width
from vision.people import people_photos


def _box(landmarker, srgb):
    """The landmarked face's box (x0, y0, x1, y1) in an 8-bit sRGB picture."""
    from calibration.colorimetry import srgb_u8_to_rgb_lin

    (face,) = landmarker.detect(srgb_u8_to_rgb_lin(srgb))
    return (*face.points.min(axis=0), *face.points.max(axis=0))


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


def _beside_half_obama(landmarker, times: float, turns: int = 0):
    """Biden's close-up (8-bit sRGB), the scene with, at its right edge, the left half of
    Obama's face ``times`` as wide as Biden's turned ``turns`` quarter turns (anticlockwise),
    and Biden's width."""
    srgb, _, width = _close_up(landmarker)
    obama = next(p for p in people_photos() if p.name == "obama.jpg")
    other = load_image(obama.path).rgb_lin
    (face,) = landmarker.detect(other)
    f = times * width / face.width
    near = cv2.resize(rgb_lin_to_srgb_u8(other), None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    (x0, y0), (x1, y1) = face.points.min(axis=0) * f, face.points.max(axis=0) * f
    margin = 0.2 * (y1 - y0)
    half = near[max(0, int(y0 - margin)) : int(y1 + margin), int(x0 - margin) : int((x0 + x1) / 2)]
    half = np.ascontiguousarray(np.rot90(half, turns))
    scene = np.full((max(srgb.shape[0], half.shape[0]), srgb.shape[1] + half.shape[1], 3), 128,
                    np.uint8)  # fmt: skip
    scene[: srgb.shape[0], : srgb.shape[1]] = srgb
    scene[: half.shape[0], srgb.shape[1] :] = half
    return srgb, scene, width


def test_a_face_the_landmarker_misses_still_sets_the_mosaic(landmarker):
    """The shade claim's pixelated photo of a close-up face half out of the frame: blocks of
    a sixth of the face the detector finds, taken from the face's height (which the frame
    did not cut) since its box is half as wide. Before, the mosaic assumed a face a sixth of
    the frame wide: this one was about 7 such blocks wide in what is left of it (15 in full)."""
    from calibration.colorimetry import srgb_u8_to_rgb_lin
    from claims.analysis import _pixelated_photo

    _, cut, width = _close_up(landmarker)
    assert landmarker.detect(srgb_u8_to_rgb_lin(cut)) == ()
    found = detector.face_widths(cut)
    assert len(found) == 1 and 0.75 * width < found[0] < 1.05 * width  # not only the half in view
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
    box = _box(landmarker, srgb)
    assert mosaic_face_width(srgb, width, box) == width
    h, w = srgb.shape[:2]
    near = cv2.resize(srgb, None, fx=1.6, fy=1.6, interpolation=cv2.INTER_LINEAR)
    scene = np.full((near.shape[0], w + near.shape[1], 3), 128, np.uint8)
    scene[:h, :w], scene[:, w:] = srgb, near
    wider = mosaic_face_width(scene, width, box)
    assert wider > OTHER_FACE * width and abs(wider - 1.6 * width) < 0.2 * width


def test_the_heatmap_is_cut_for_the_wider_face_as_the_photo_is(landmarker):
    """A redness claim's photo with Biden's close-up and, nearer the camera at the frame's
    edge, half of Obama's face 1.8 times as wide, which the landmarker misses: the pixelated
    photo is cut for the wider face, and so is the heatmap of Biden's head, on the same grid.
    Before, the heatmap kept blocks of a sixth of Biden's face (finer, on another grid), and
    the half face counted by the box's width (0.9 of Biden's), not its height."""
    from calibration.colorimetry import srgb_u8_to_rgb_lin
    from claims.analysis import _redness_claim
    from tests.vision.test_overlay import assert_one_grid
    from vision.analysis import WORK_FACE_WIDTH, analyze_selfie
    from vision.ingest import ingest_image

    _, scene, width = _beside_half_obama(landmarker, 1.8)
    lin = srgb_u8_to_rgb_lin(scene)
    a = analyze_selfie(lin, landmarker=landmarker)
    assert abs(a.face.width - width) < 0.05 * width  # Biden's face, not the half one
    assert a.mosaic_face_width > OTHER_FACE * a.face.width
    buf = io.BytesIO()
    Image.fromarray(scene).save(buf, format="PNG")
    shown = _redness_claim(ingest_image(buf.getvalue()), None, landmarker, {"versions": {}})
    assert_one_grid(lin, a, shown.pictures["photo_pixelated"])
    heat = a.images["redness_heatmap.png"]
    block = np.median(np.diff(np.flatnonzero(np.any(heat[0, 1:] != heat[0, :-1], axis=-1))))
    scale = min(1.0, WORK_FACE_WIDTH / a.face.width)
    assert abs(block - a.mosaic_face_width * scale / 6) <= 1.5


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_a_turned_half_face_beside_the_landmarked_one_sets_the_mosaic(landmarker, turns):
    """Obama's face, 2.2 times as wide as Biden's close-up, half out of the frame and turned a
    quarter turn either way or upside down: the upright search misses it, the turned one
    finds it. Biden's own face turned is not taken for another (his box is set aside): turned
    a quarter turn, it looks 1.3 times as wide as he is."""
    srgb, scene, width = _beside_half_obama(landmarker, 2.2, turns)
    box = _box(landmarker, srgb)
    assert max(detector.face_widths(scene)) < OTHER_FACE * width  # upright: missed
    assert 1.8 * width < mosaic_face_width(scene, width, box) < 3.5 * width
    alone = detector.face_widths(srgb, at_least=OTHER_FACE * width)
    assert max(alone) > OTHER_FACE * width  # his own face, turned
    assert mosaic_face_width(srgb, width, box) == width
    with pytest.raises(ValueError, match="box"):
        mosaic_face_width(srgb, width)


def test_a_face_that_matters_is_looked_for_however_small_it_is_in_the_photo(landmarker):
    """The left half of Obama's face, 80 px wide and a quarter turn, at the edge of a
    2400 × 1800 photo: beside a landmarked face 64 px wide (which the pinned landmarker would
    not find in such a photo, but another model may) it matters. The search looks where it
    spans :data:`SEARCH_MIN_FACE` px, here the whole photo. Before, the side stopped at 640 px,
    where the half face spans 21 px and was missed."""
    obama = next(p for p in people_photos() if p.name == "obama.jpg")
    rgb_lin = load_image(obama.path).rgb_lin
    (face,) = landmarker.detect(rgb_lin)
    f = 80 / face.width
    near = cv2.resize(rgb_lin_to_srgb_u8(rgb_lin), None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    (x0, y0), (x1, y1) = face.points.min(axis=0) * f, face.points.max(axis=0) * f
    margin = 0.3 * (y1 - y0)
    half = near[int(y0 - margin) : int(y1 + margin), int(x0 - margin) : int((x0 + x1) / 2)]
    half = np.rot90(half)
    scene = np.full((1800, 2400, 3), 128, np.uint8)
    scene[700 : 700 + half.shape[0], 2400 - half.shape[1] :] = half
    bar = 0.8 * 80
    assert any(w > bar for w in detector.face_widths(scene, at_least=bar))
