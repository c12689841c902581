"""Capture quality gates: is this photo good enough evidence, and if not, what to tell the user.

Each gate gives a :class:`Finding` with a stable code and a plain message. Findings are
reported; the analysis still runs unless it is impossible (no face).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from calibration.colorimetry import (
    D65_XYZ,
    LUMINANCE,
    rgb_lin_to_srgb,
    rgb_lin_to_xyz,
    xyz_to_lab,
)
from calibration.measure import MIN_COLOUR_RANGE, NO_COLOUR_CAUSES, colour_range
from models.face_matcher import SAME_PERSON_COSINE
from vision.landmarks import FaceLandmarks
from vision.metadata import CAPTURE_PAGE_CAMERA
from vision.redness import SMOOTH_FRACTION, _masked_blur, haemoglobin_map
from vision.regions import face_box, masked_pixels

__all__ = ["EXPRESSION_BLENDSHAPES", "FINDING_CODES", "LIMITS", "PHOTO_EDITORS", "Finding",
           "assess_quality", "baseline_size_findings", "capture_findings", "colour_findings",
           "compression_findings", "edit_findings", "expression_findings", "face_difference",
           "framing_findings", "grain_findings", "identity_findings", "origin_findings",
           "picture_difference", "pose_findings", "same_picture_findings", "skin_grain",
           "skin_texture", "texture_findings"]  # fmt: skip

#: Limits of the gates. Face size: MediaPipe needs ~100 px but skin texture and redness
#: need ~300 px across the face. Pose: beyond ~20° one cheek foreshortens and the mesh
#: guesses. Sharpness: variance of the Laplacian of the face resized to 256 px wide, so that
#: it does not depend on the face size: the astronaut test face scores 18-22 at any scale,
#: and a Gaussian blur of half its pixel pitch drops it to 6-8 (measured on the test set).
#: Exposure: share of clipped skin pixels and the skin's median L*. Colour cast: chroma of
#: the brightest 2 % of the frame (a white-patch estimate of the light), in CIELAB units.
#: Compression: the JPEG quality (vision/ingest.py estimates it from the file's tables), below which
#: before/after falls under its 0.85 mean IoU target and a single photo flags unmodified skin
#: (benchmarks/bench_redness.py, the faces as JPEG files, session 6): before/after mean IoU 0.934 as
#: PNGs, 0.904 at quality 97, 0.871 at 92, 0.822 at 90, 0.774 at 85, 0.726 at 80 (0.2 OD changes
#: found 35 of 50); a single photo flags none of the unmodified faces at 92 and above, up to 1.36 %
#: of the skin at 90, 0.96 % at 85 and 80 (the face's own perinasal redness pushed over the
#: threshold). Grain: the photo's own noise in haemoglobin density at the scale redness is
#: outlined at (:func:`skin_grain`). Measured on the test set with sensor noise added before
#: the file is written (σ a + 5a·√x in linear values; benchmarks/bench_redness.py, session 8):
#: the clean faces measure 0.0009-0.0031 OD (the astronaut scan's own grain and skin texture).
#: Face by face, a before/after pair keeps its mean IoU within 0.02 of the clean pair's
#: (0.935-0.946) while each photo stays under 0.01 OD, and falls to 0.84-0.90 at 0.012-0.015
#: OD, 0.75-0.82 at 0.025-0.03; darker skin gets there first (the same sensor noise is a larger
#: density on less light), and a larger face later (it is averaged over more pixels). A single
#: photo holds longer: its 0.35 and 0.5 OD patches' IoU 0.83-0.84 clean, 0.75-0.83 at 0.02-0.03
#: OD, 0.35-0.64 at 0.065-0.10, where unmodified skin is flagged too. Over the benchmark's ten
#: faces: at a = 0.002 the grain is 0.005-0.023 OD and the gate flags 6 of 10 photos, the
#: before/after mean IoU is 0.894 (dark skin 0.807), the single photo's 0.589; at a = 0.004,
#: 0.010-0.047, all flagged, 0.808 (dark skin 0.628) and 0.578. Outlining a grainy pair's
#: change at a wider scale, chosen so that the grain there stays at 0.005 or 0.0075 OD, made it
#: worse (mean IoU at a = 0.002: 0.753 and 0.857; at 0.004: 0.362 and 0.612): the wider outline
#: lowers the peaks under the 0.1 OD floor and the patches are lost. Grain is reported. The
#: estimate sees noise at the pixel scale: noise the camera's processing smoothed (demosaicing,
#: denoising, JPEG) reads as 0.001-0.005 OD while it harms a pair as much; a pair is judged on
#: its own change map instead (vision/beforeafter.py, ``noisy_pair``). A single photo has no
#: such reference, and its skin's own blotches look like smoothed colour noise: with noise
#: blurred by 0.8 px (a = 0.002 / 0.004) the ONNX path's mean IoU is 0.575 / 0.517 and up to
#: 0 / 0.87 % of unmodified skin is flagged; with colour-only noise blurred by 2 px, 0.546 /
#: 0.458 and up to 1.28 / 0.74 % (session 8, a separate script; 0.586 / 0.564 and 0 / 0.69 %
#: with white noise). Not caught: the same estimate on the map reduced 2× or 4× first reads
#: the clean faces' own texture as much as that noise (0.001-0.005 against 0.002-0.006 at 2×,
#: 0.010-0.015 against 0.010-0.020 at 4×). The capture page measures grain between video
#: frames instead (webar/js/claim.js), where the skin's texture cancels. Expression: the
#: largest change between a pair's two photos of the blendshapes in
#: :data:`EXPRESSION_BLENDSHAPES` (MediaPipe's scores, 0-1). A pair's baseline face size: the
#: photo from before is often an older, smaller photo (a thumbnail, a group photo, a crop).
#: Measured in session 10 (a separate script): the held-out people's synthetic pairs
#: (vision/people, the follow-up's face 248-301 px wide, 0.2 and 0.35 OD patches in five
#: zones) with the baseline photo shrunk (INTER_AREA) so its face is narrower: at full size
#: mean IoU 0.873 and unmodified skin flagged 0.19 % at worst; with the baseline's face
#: 112-212 px, 0.86-0.93 and 0-0.59 % (not monotonic in the size: resampling's phase moves
#: it); 99-121 px 0.804 and 0.97 %; 87-106 px 0.759 and 1.20 %; 74-91 px 0.745 and 1.46 %.
#: Every patch was still found and ``noisy_pair`` never fired, so nothing else reports it.
#: The astronaut test set, an upscale of a 90 px face with no finer texture to lose, holds to
#: 116 px (0.934, nothing flagged) and falls at 77 px (0.881, 0.23 %). A pair's baseline
#: texture: beauty modes smooth the skin and often take redness out with it, so an increase
#: against such a photo may not be new. The ratio of the earlier photo's :func:`skin_texture`
#: to the new one's, both at the analysis's working scale, measured in session 10 (a separate
#: script through analyze_selfie; the held-out people, each against its warped, relit copy):
#: unedited 0.94-0.97; the copy through a bilateral filter (OpenCV, diameter 0.03 face widths,
#: σ 25 levels) 0.39-0.52, twice as strong 0.20-0.29 (which flags 0.30-1.33 % of unchanged
#: skin, with no other finding); as JPEG 70 / 50 0.86-0.93 / 0.82-0.91 (noisy_pair reports
#: those); shrunk so the face is 124-212 px 0.68-0.81, 87-106 px 0.51-0.65 (reported as too
#: small). The real pairs of one man 0.80-1.25, the astronaut's pairs 1.00-1.02.
#: A filter that takes redness out and keeps the texture is not caught, and measured in
#: session 12 (a separate script) a finding on the redness's own contrast could not catch it
#: either: the robust spread of haemoglobin between 0.04 and 0.1 face widths is 0.039, 0.047
#: and 0.086 OD on three photos of one man (vision/people), 2.2× apart, where such a filter
#: (that band compressed to 0.4 of itself along haemoglobin) lowers it to 0.6×.
LIMITS = {
    "min_face_px": 300,
    "min_baseline_face_px": 120,
    "min_baseline_texture_ratio": 0.6,
    "min_face_fraction": 0.2,
    "max_centre_offset": 0.25,
    "max_yaw": 20.0,
    "max_pitch": 20.0,
    "max_roll": 20.0,
    "min_sharpness": 10.0,
    "max_clipped_fraction": 0.02,
    "min_skin_lstar": 25.0,
    "max_skin_lstar": 85.0,
    "max_cast_chroma": 12.0,
    "min_jpeg_quality": 92,
    "max_grain_od": 0.01,
    "max_expression_change": 0.25,
    "max_yaw_change": 7.0,
    "max_pitch_change": 10.0,
    "min_colour_range": MIN_COLOUR_RANGE,
    "min_picture_difference": 4.0,
    "min_face_picture_difference": 6.0,
    "min_same_person": SAME_PERSON_COSINE,
}

#: The expressions that change the skin a before/after pair compares: a smile deepens the
#: folds beside the nose and lifts the cheeks, an open jaw stretches cheeks and chin. Measured
#: (session 9): the test set's pairs (one photo and a warped, relit copy; 8-bit, JPEG 80 or
#: noisy files, 30 pairs) differ by at most 0.044; real pairs of the same man on different
#: days (vision/people) by 0.36-0.90. On those real pairs (a smile against a talking or a
#: neutral face, under other light) the change map spreads 0.13-0.22 OD at the outline's
#: scale (four measured) where the test set's clean pairs spread 0.002-0.016
#: (vision/beforeafter.py), and before/after finds 3 of 30 patches of 0.5 OD
#: (benchmarks/bench_redness.py, ``real_pairs``). Their light differs too, so the share of the
#: expression in that is not measured apart.
EXPRESSION_BLENDSHAPES = ("mouthSmileLeft", "mouthSmileRight", "jawOpen")


#: Every finding's code: the pages give each one words in their languages (webar/js/i18n.js
#: ``finding_<code>``), so a code is added here before a gate gives it.
FINDING_CODES = (
    # one photo: framing, light and the camera (assess_quality and its gates)
    "no_face", "no_chart", "face_too_small", "face_off_centre", "head_turned", "head_tilted",
    "head_rolled", "colour_cast", "no_colour", "blurry", "overexposed", "too_dark",
    "too_bright", "grainy", "compressed", "edited",
    # a pair: the photo from before, and how the two compare (vision/analysis.py,
    # vision/beforeafter.py)
    "baseline_no_face", "baseline_no_colour", "baseline_mirrored", "baseline_grainy",
    "baseline_compressed", "baseline_edited", "baseline_smoothed", "baseline_other_person",
    "baseline_same_photo", "baseline_face_too_small", "baseline_not_earlier",
    "expression_changed", "pose_changed", "camera_changed", "lighting_changed",
    "exposure_changed", "light_direction_changed", "noisy_pair",
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One quality problem: a code for machines (one of :data:`FINDING_CODES`), a message for
    people, the measured value."""

    code: str
    message: str
    value: float
    limit: float

    def __post_init__(self):
        if self.code not in FINDING_CODES:
            raise ValueError(f"unknown finding code {self.code!r}: add it to FINDING_CODES "
                             "(and its words to webar/js/i18n.js)")  # fmt: skip

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "value": round(float(self.value), 3),
            "limit": self.limit,
        }


def _sharpness(rgb_lin, face: FaceLandmarks) -> float:
    x, y, w, h = face.bbox
    H, W = rgb_lin.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    crop = np.clip(rgb_lin[y0:y1, x0:x1], 0, 1).astype(np.float32, copy=False)
    scale = 256.0 / max(1, x1 - x0)
    # the sRGB curve runs on the smaller of the face and its 256 px copy (a larger face is
    # averaged in linear light first, as a camera recording it smaller would)
    if scale < 1:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    crop = rgb_lin_to_srgb(crop).mean(axis=-1)
    if scale >= 1:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    return float(cv2.Laplacian(crop * 255.0, cv2.CV_32F).var())


#: Immerkær's noise kernel: two Laplacians' difference, blind to a plane and to the slow
#: curvature of skin; white noise of σ gives responses of σ·6 (the root of its weights'
#: squares, 36).
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def skin_grain(rgb_lin: np.ndarray, skin_mask: np.ndarray, face_width: float) -> float:
    """The photo's noise in haemoglobin density, at the scale redness is outlined at.

    Immerkær's estimator (J. Immerkær, "Fast noise variance estimation", Computer Vision and
    Image Understanding 64(2), 300-302, 1996) on the skin's haemoglobin map, 1 px inside the
    mask, made robust to hair strands and pores with the median of the absolute responses
    (σ = median / 0.6745 / 6); then what smoothing at :data:`vision.redness.SMOOTH_FRACTION`
    of the face width leaves of white noise of that σ (÷ 2√π·s for a Gaussian of s pixels).
    Film grain, sensor noise and the pixel-to-pixel texture of skin all count; the clean
    test faces measure 0.0009-0.0031 OD.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB, at the scale the redness is analysed at
    skin_mask : (H, W) bool
    face_width : float, pixels of ``rgb_lin``

    Returns
    -------
    float, haemoglobin OD (0.0 when fewer than about 400 skin pixels lie 1 px inside the mask)
    """
    mask = np.asarray(skin_mask, np.uint8)
    x, y, w, h = cv2.boundingRect(mask)
    inner = cv2.erode(mask[y : y + h, x : x + w], np.ones((3, 3), np.uint8)) > 0
    # every other row and column: a quarter of the responses give their median as well
    sample = inner[::2, ::2]
    if sample.sum() < 100:
        return 0.0
    hb = haemoglobin_map(rgb_lin[y : y + h, x : x + w])[0]
    response = cv2.filter2D(hb, -1, _NOISE_KERNEL, borderType=cv2.BORDER_REFLECT)
    sigma = float(np.median(np.abs(response[::2, ::2][sample]))) / (0.6745 * 6.0)
    return sigma / (2.0 * np.sqrt(np.pi) * SMOOTH_FRACTION * max(face_width, 1.0))


def grain_findings(
    rgb_lin: np.ndarray,
    face: FaceLandmarks,
    skin_mask: np.ndarray,
    *,
    baseline: bool = False,
    limits: dict | None = None,
) -> tuple[Finding, ...]:
    """The grain gate: :func:`skin_grain` above :data:`LIMITS` ``max_grain_od``.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB, at the scale the redness is analysed at
    face : FaceLandmarks, in ``rgb_lin``'s pixels
    skin_mask : (H, W) bool
    baseline : bool, keyword-only
        The photo is the earlier one of a before/after pair (code ``baseline_grainy``).
    limits : dict, keyword-only
        Overrides of :data:`LIMITS`.
    """
    limit = {**LIMITS, **(limits or {})}["max_grain_od"]
    grain = skin_grain(rgb_lin, skin_mask, face.width)
    if grain <= limit:
        return ()
    if baseline:
        code = "baseline_grainy"
        msg = ("The earlier photo is grainy (taken in too little light): its faint redness, "
               "and the outline of a change, are uncertain.")  # fmt: skip
    else:
        code = "grainy"
        msg = ("The photo is grainy: faint redness can be hidden or imitated by the grain. "
               "Take it in brighter light.")  # fmt: skip
    return (Finding(code, msg, grain, limit),)


def skin_texture(rgb_lin: np.ndarray, skin_mask: np.ndarray, face_width: float) -> float:
    """The skin's fine texture: the robust spread (1.4826 · MAD) of luminance optical density
    minus its own smoothing at :data:`vision.redness.SMOOTH_FRACTION` of the face width, on
    the skin 1 px inside the mask. Pores, fine lines and grain count; retouching ("beauty"
    modes) and upscaling take it away, JPEG compression little (see :data:`LIMITS`)."""
    inner = cv2.erode(np.asarray(skin_mask, np.uint8), np.ones((3, 3), np.uint8)) > 0
    if inner.sum() < 100:
        return 0.0
    od = -np.log(np.clip(np.asarray(rgb_lin, np.float32) @ LUMINANCE.astype(np.float32), 1e-3,
                         None))  # fmt: skip
    fine = od - _masked_blur(od, inner, max(0.5, SMOOTH_FRACTION * face_width))
    v = fine[inner]
    return float(1.4826 * np.median(np.abs(v - np.median(v))))


def texture_findings(after_texture: float, baseline_texture: float, *,
                     limits: dict | None = None) -> tuple[Finding, ...]:  # fmt: skip
    """``baseline_smoothed`` when a pair's earlier photo shows less than :data:`LIMITS`
    ``min_baseline_texture_ratio`` of the new photo's skin texture (:func:`skin_texture`)."""
    ratio = baseline_texture / max(after_texture, 1e-6)
    msg = (f"The photo from before shows {ratio:.0%} of the new photo's skin texture: it may "
           "be retouched (a beauty mode or filter) or enlarged from a small photo. Such a "
           "photo can hide redness that was already there, so an increase may not be new. "
           "Send the photo as the camera took it.")  # fmt: skip
    return _under("baseline_smoothed", ratio, "min_baseline_texture_ratio", msg, limits)


def colour_findings(face_rgb_lin: np.ndarray, *, baseline: bool = False,
                    limits: dict | None = None) -> tuple[Finding, ...]:  # fmt: skip
    """``no_colour`` (``baseline_no_colour`` for a pair's photo from before) when the face's
    box shows less colour than :data:`LIMITS` ``min_colour_range``
    (:func:`calibration.measure.colour_range`): black and white, sepia, a filter that took the
    colour out, or a light of one colour. Redness is a colour: such a photo shows none,
    whatever the skin.

    Parameters
    ----------
    face_rgb_lin : (H, W, 3) float32, linear sRGB; the face's box

    Examples
    --------
    >>> from vision.testset import astronaut_face
    >>> face = astronaut_face()
    >>> colour_findings(face)
    ()
    >>> grey = np.repeat(face.mean(axis=2, keepdims=True), 3, axis=2)
    >>> [(f.code, f.value, f.limit) for f in colour_findings(grey)]
    [('no_colour', 0.0, 0.6)]
    """
    spread = colour_range(face_rgb_lin)
    if not np.isfinite(spread):  # too dark or clipped to tell: the exposure gates say so
        return ()
    if baseline:
        code, msg = "baseline_no_colour", (
            f"The photo from before has no colour ({NO_COLOUR_CAUSES}): redness cannot be "
            "compared with it, so it was not used. Send the photo as the camera took "
            "it.")  # fmt: skip
    else:
        code, msg = "no_colour", (
            f"The photo has no colour ({NO_COLOUR_CAUSES}): redness and colours cannot be "
            "measured in it. Send a photo as the camera takes it, without a filter, in daylight "
            "or white light.")  # fmt: skip
    return _under(code, spread, "min_colour_range", msg, limits)


def identity_findings(face_match: float, *, limits: dict | None = None) -> tuple[Finding, ...]:
    """``baseline_other_person`` when the face matcher (models/face_matcher) scores a pair's
    two faces under :data:`LIMITS` ``min_same_person``: the photo from before shows someone
    else, and is not used (any difference would look like a change of skin).

    The limit is OpenCV's threshold for the matcher. Measured (session 14, a separate script):
    the man with three photos (vision/people) scored 0.66-0.69 between his photos (0.67-0.68
    with one mirrored); the astronaut against her second photo (vision/testset.py) 0.998, with
    five 0.8 OD patches added 0.92, her head turned 15° 0.88, her skin darkened to ITA° -4
    0.67; other people 0.30 at most, their skin tones matched to his included.
    """
    limit = {**LIMITS, **(limits or {})}["min_same_person"]
    msg = (f"The photo from before seems to show another person (their faces match "
           f"{face_match:.2f}; one person's photos match {limit} or more): redness cannot be "
           "compared across people, so it was not used. Send a photo of the same person from "
           "before.")  # fmt: skip
    return _under("baseline_other_person", face_match, "min_same_person", msg, limits)


#: The side (pixels) of the thumbnails :func:`picture_difference` compares, and how far the
#: two photos' aspect ratios may differ (natural log) for them to be the same picture.
THUMB_SIDE = 96
SAME_ASPECT = 0.01


def _thumbnail(rgb_lin, size) -> np.ndarray:
    """``rgb_lin`` shrunk to ``size`` (w, h) by area, as encoded sRGB in [0, 1]."""
    return rgb_lin_to_srgb(cv2.resize(np.ascontiguousarray(rgb_lin), size,
                                      interpolation=cv2.INTER_AREA))  # fmt: skip


def _thumbnail_size(w, h) -> tuple[int, int]:
    """(w, h) of a thumbnail THUMB_SIDE pixels on its long side, of a w × h picture."""
    s = THUMB_SIDE / max(w, h, 1)
    return max(1, round(w * s)), max(1, round(h * s))


def picture_difference(rgb_lin, baseline_rgb_lin, *, aspects=None) -> float:
    """How different two photos are as pictures: the mean absolute difference, in 8-bit sRGB
    levels, of the two shrunk to :data:`THUMB_SIDE` pixels on their long side, the earlier
    one as it is or mirrored, whichever is nearer; infinite when their aspect ratios differ by
    more than :data:`SAME_ASPECT` (another picture, or a crop).

    Parameters
    ----------
    rgb_lin, baseline_rgb_lin : (H, W, 3) float32, linear sRGB; the photos or their previews
    aspects : (float, float), keyword-only
        The photos' width / height when the arrays are previews that cut a few rows or columns.

    Examples
    --------
    >>> from vision.testset import astronaut_face
    >>> photo = astronaut_face()
    >>> round(picture_difference(photo, photo[:, ::-1]), 3)  # saved mirrored: the same
    0.0
    >>> round(picture_difference(photo, 0.8 * photo), 1)  # darker by a fifth
    12.5
    >>> picture_difference(photo, photo[:, : photo.shape[1] // 2])  # its half: a crop
    inf
    """
    ra, rb = aspects or (rgb_lin.shape[1] / rgb_lin.shape[0],
                         baseline_rgb_lin.shape[1] / baseline_rgb_lin.shape[0])  # fmt: skip
    if abs(np.log(ra / rb)) > SAME_ASPECT:
        return float("inf")
    # one size for both (their aspects may differ by rounding)
    size = _thumbnail_size(rgb_lin.shape[1], rgb_lin.shape[0])
    new, earlier = _thumbnail(rgb_lin, size), _thumbnail(baseline_rgb_lin, size)
    return float(min(np.abs(new - earlier).mean(), np.abs(new - earlier[:, ::-1]).mean()) * 255)


def face_difference(rgb_lin, face: FaceLandmarks, baseline_rgb_lin,
                    baseline_face: FaceLandmarks) -> float:  # fmt: skip
    """How different two photos are as pictures of the face: the earlier photo moved onto the
    new one by the similarity that best maps its landmarks onto the new ones, then the mean
    absolute difference, in 8-bit sRGB levels, of the new face's box in both, shrunk to
    :data:`THUMB_SIDE` pixels. Unlike :func:`picture_difference` it sees a crop or a turn of
    the picture.

    Parameters
    ----------
    rgb_lin, baseline_rgb_lin : (H, W, 3) float32, linear sRGB (any sizes)
    face, baseline_face : FaceLandmarks, in those images' pixels
    """
    move, _ = cv2.estimateAffinePartial2D(np.asarray(baseline_face.points, np.float32),
                                          np.asarray(face.points, np.float32))  # fmt: skip
    if move is None:
        return float("inf")
    x0, y0, x1, y1 = face_box(face, rgb_lin.shape[:2], margin=0.0)
    move[:, 2] -= (x0, y0)  # straight into the new face's box, not the whole frame
    moved = cv2.warpAffine(baseline_rgb_lin, move, (x1 - x0, y1 - y0), flags=cv2.INTER_AREA)
    size = _thumbnail_size(x1 - x0, y1 - y0)
    new, earlier = _thumbnail(rgb_lin[y0:y1, x0:x1], size), _thumbnail(moved, size)
    return float(np.abs(new - earlier).mean() * 255)


def same_picture_findings(difference: float, *, aligned: bool = False,
                          limits: dict | None = None) -> tuple[Finding, ...]:  # fmt: skip
    """``baseline_same_photo`` when a pair's photo from before is the new photo's picture: a
    copy, re-saved, resized, cropped, turned or recompressed, or the new photo edited. It
    shows the same moment, so it cannot show a change, and a red patch painted into a copy
    would read as one. ``difference`` is :func:`picture_difference`'s, against :data:`LIMITS`
    ``min_picture_difference``, or with ``aligned`` :func:`face_difference`'s, against
    ``min_face_picture_difference``.

    Measured in session 13 (separate scripts), :func:`picture_difference`: copies of
    vision/people's four photos differ from them by 0.24-0.43 levels as JPEG 80, 0.38-1.14 at
    half the size (JPEG 85), 1.16-2.56 at 0.3 of it (JPEG 60), 3.2-5.5 through a warm filter
    (red ×1.1, blue ×0.8); the same photos moved by 1 % of their width 5.98-15.4, by 3 %
    16.5-30.7; the test set's pairs (the second photo, turned 3° and relit) 24.8; its faces
    relit alone (exposure 0.9, warmer) 9.6; real pairs of one man have other aspect ratios.
    :func:`face_difference`: the same photos cropped (an eighth to a fifth off each side,
    JPEG 85) 1.73-4.04, cropped and shrunk to 0.6 2.24-4.00, turned 5° 1.36-2.93 (the
    landmarks of two detections do not fall exactly alike); the test set's pairs 11.3-11.4;
    real pairs of one man 41.6-56.2.

    Examples
    --------
    >>> [(f.code, f.limit) for f in same_picture_findings(0.4)]  # a copy saved again
    [('baseline_same_photo', 4.0)]
    >>> same_picture_findings(24.8)  # the test set's pairs: another moment
    ()
    """
    msg = ("The photo from before is the same picture as the new one (a copy: re-saved, "
           "resized, cropped or edited): it shows the same moment, so it cannot show a "
           "change, and it was not used. Send a photo taken before the product was "
           "used.")  # fmt: skip
    key = "min_face_picture_difference" if aligned else "min_picture_difference"
    return _under("baseline_same_photo", difference, key, msg, limits)


def _under(code: str, value: float, key: str, msg: str, limits) -> tuple[Finding, ...]:
    """A finding when ``value`` is under the limit ``key`` of :data:`LIMITS` (or ``limits``)."""
    limit = {**LIMITS, **(limits or {})}[key]
    return () if value >= limit else (Finding(code, msg, value, limit),)


def baseline_size_findings(
    baseline_face_width: float, *, limits: dict | None = None
) -> tuple[Finding, ...]:
    """``baseline_face_too_small`` when a pair's photo from before shows the face narrower than
    :data:`LIMITS` ``min_baseline_face_px`` in its own pixels."""
    msg = (f"The face in the photo from before is only {baseline_face_width:.0f} px wide: "
           "compared with it, unchanged skin can be flagged and a change's outline is "
           "uncertain. Send the original photo (not a thumbnail or a screenshot), or one taken "
           "closer.")  # fmt: skip
    return _under("baseline_face_too_small", baseline_face_width, "min_baseline_face_px", msg,
                  limits)  # fmt: skip


def expression_findings(
    face: FaceLandmarks, baseline_face: FaceLandmarks, *, limits: dict | None = None
) -> tuple[Finding, ...]:
    """``expression_changed`` when a pair's two faces differ in expression: the largest
    change of the :data:`EXPRESSION_BLENDSHAPES` scores above :data:`LIMITS`
    ``max_expression_change``. Faces without blendshapes give nothing."""
    limit = {**LIMITS, **(limits or {})}["max_expression_change"]
    now, then = face.blendshapes or {}, baseline_face.blendshapes or {}
    changes = [abs(now[k] - then[k]) for k in EXPRESSION_BLENDSHAPES if k in now and k in then]
    if not changes or max(changes) <= limit:
        return ()
    msg = ("The two photos show different expressions (a smile or an open mouth): the cheeks "
           "and the folds beside the nose change colour with expression, so changes there are "
           "uncertain. Take the new photo with the expression of the earlier one.")  # fmt: skip
    return (Finding("expression_changed", msg, max(changes), limit),)


def pose_findings(
    face: FaceLandmarks, baseline_face: FaceLandmarks, *, limits: dict | None = None
) -> tuple[Finding, ...]:
    """``pose_changed`` when a pair's two faces are turned differently: sideways (yaw) by more
    than :data:`LIMITS` ``max_yaw_change`` or up or down (pitch) by more than
    ``max_pitch_change`` degrees. The value is the change (degrees) further over its limit;
    the limits are measured in :mod:`vision.beforeafter` (at ``MAX_STRETCH``)."""
    lim = {**LIMITS, **(limits or {})}
    yaw, pitch = abs(face.yaw - baseline_face.yaw), abs(face.pitch - baseline_face.pitch)
    over = [(v, limit) for v, limit in ((yaw, lim["max_yaw_change"]),
                                        (pitch, lim["max_pitch_change"])) if v > limit]  # fmt: skip
    if not over:  # NaN (no pose) never exceeds a limit
        return ()
    value, limit = max(over, key=lambda o: o[0] / o[1])
    msg = (f"The head is turned differently in the two photos ({yaw:.0f}° sideways, {pitch:.0f}° "
           "up or down): where the earlier photo sees the skin at another angle, its colour "
           "and outline differ, and unchanged skin can be flagged. Take the new photo facing "
           "the camera as in the earlier one.")  # fmt: skip
    return (Finding("pose_changed", msg, value, limit),)


#: Photo editors and beauty-filter apps, as they name themselves in the EXIF ``Software`` tag
#: of a file they save (matched as whole words, case ignored: "Adobe Photoshop CC 2017
#: (Macintosh)", "Adobe Photoshop Lightroom Classic 7.4 (Macintosh)", "Pixelmator 3.6").
#: Cameras and phones write their firmware or camera app there ("00204", "Digital Camera
#: FinePix REAL 3D W3 Ver1.20", "HDR+ 1.0.621982163zd"), which is not an edit; nor are
#: converters, scanners and libraries (ImageMagick, Ghostscript, PIL). On the 64 files of
#: Pillow 11.0.0's test images that state a Software (session 15), these names flag the 43
#: saved by Photoshop, Lightroom, Pixelmator or IrfanView and none of the cameras'. A file
#: naming none of these may still have been edited: many apps write no ``Software``, and any
#: tag is easily changed.
PHOTO_EDITORS = ("Photoshop", "Lightroom", "GIMP", "Snapseed", "PicsArt", "VSCO", "Meitu",
                 "BeautyPlus", "BeautyCam", "Facetune", "FaceApp", "AirBrush", "YouCam",
                 "Perfect365", "Pixlr", "Fotor", "Canva", "Polarr", "Affinity Photo", "Luminar",
                 "Capture One", "darktable", "RawTherapee", "Paint.NET", "Picasa", "IrfanView",
                 "PhotoDirector", "PhotoScape", "Pixelmator", "Photopea", "Remini")  # fmt: skip
_EDITORS = "|".join(re.escape(e) for e in PHOTO_EDITORS)
_EDITOR = re.compile(rf"(?<![a-z0-9])(?:{_EDITORS})(?![a-z0-9])", re.IGNORECASE)


def edit_findings(origin, *, baseline: bool = False) -> tuple[Finding, ...]:
    """``edited`` (``baseline_edited`` for the photo from before): the file states that a
    photo editor (:data:`PHOTO_EDITORS`) saved it, so its colours and skin may have been
    changed after it was taken (a filter, smoothing, retouching). ``origin`` is the file's
    :class:`vision.metadata.Origin`, or None. Nothing is said of a file that names no
    editor: that proves nothing either way.
    """
    software = None if origin is None else origin.software
    if not software or not _EDITOR.search(software):
        return ()
    which = "The photo from before" if baseline else "The photo"
    msg = (f"{which} states that it was saved by {software}, a photo editor: its colours and "
           "skin may have been changed after it was taken. Ask for the file as the camera "
           "saved it.")  # fmt: skip
    return (Finding("baseline_edited" if baseline else "edited", msg, 1, 0),)


def origin_findings(origin, baseline_origin) -> tuple[Finding, ...]:
    """What the two files of a pair state about where they come from (each a
    :class:`vision.metadata.Origin`, or None).

    ``camera_changed``: both name a camera, and not the same one. Cameras and phones differ in
    colour processing, sharpening and smoothing beyond the light's colour, which the pair's
    gains correct (``lighting_changed``). A frame of the capture page's video
    (:data:`vision.metadata.CAPTURE_PAGE_CAMERA`) against a camera app's photo is said so: the
    two may come from one phone, processed differently.

    ``baseline_not_earlier``: by the dates both files state, the photo from before was taken
    at the same time as the new one or later (value: how many days later). The times are
    compared as the cameras' local times unless both files state their UTC offsets.
    """
    if origin is None or baseline_origin is None:
        return ()
    found = []
    now, then = origin.camera, baseline_origin.camera
    if now and then and now.casefold() != then.casefold():
        page = [c for c in (then, now) if c.startswith(CAPTURE_PAGE_CAMERA)]
        if len(page) == 1:  # a video frame and a camera app's photo: one phone or two
            msg = (f"One photo is a frame of the capture page's video ({page[0]}), the other "
                   f"was taken by {then if page[0] == now else now}: a browser's video and a "
                   "camera app process colour differently, even on one phone, so part of a "
                   "change may come from that.")  # fmt: skip
        else:
            msg = (f"The two photos were taken with different cameras (before: {then}; now: "
                   f"{now}): their colours and processing differ, so part of a change may "
                   "come from the cameras.")  # fmt: skip
        found.append(Finding("camera_changed", msg, 1, 0))
    now, then = origin.taken_at, baseline_origin.taken_at
    if now is not None and then is not None:
        if (now.tzinfo is None) != (then.tzinfo is None):
            now, then = now.replace(tzinfo=None), then.replace(tzinfo=None)
        if then >= now:
            days = (then - now).total_seconds() / 86400
            found.append(Finding("baseline_not_earlier", "By the dates the files state, the "
                                 f"photo from before was taken {days:.1f} days after the new "
                                 "one, not before it: ask which photo shows the skin before "
                                 "the product.", days, 0))  # fmt: skip
    return tuple(found)


def assess_quality(
    rgb_lin: np.ndarray,
    face: FaceLandmarks | None,
    *,
    skin_mask: np.ndarray | None = None,
    chart_found: bool | None = None,
    claim_type: str = "redness",
    limits: dict | None = None,
    scale: float = 1.0,
) -> tuple[Finding, ...]:
    """Check a capture; returns the problems found (``()`` when the photo is fine).

    :func:`framing_findings` and :func:`capture_findings` on the same image, then the chart.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB
    face : FaceLandmarks or None
        None (no face) gives the single finding ``no_face``.
    skin_mask : (H, W) bool, keyword-only
        For the exposure and grain gates.
    chart_found : bool, keyword-only
        For shade claims: whether a colour chart is in the frame.
    claim_type : {"redness", "shade"}, keyword-only
    limits : dict, keyword-only
        Overrides of :data:`LIMITS`.
    scale : float, keyword-only
        The image was downscaled by this factor from the photo: sizes are judged on the photo.
    """
    if face is None:
        return (Finding("no_face", "No face was found: face the camera in good light.", 0, 1),)
    out = [
        *framing_findings(rgb_lin, face, scale=scale, limits=limits),
        *capture_findings(rgb_lin, face, skin_mask=skin_mask, limits=limits),
    ]
    if claim_type == "shade" and chart_found is False:
        out.append(Finding("no_chart", "Hold the colour chart next to the product, fully visible.",
                           0, 1))  # fmt: skip
    return tuple(out)


def framing_findings(
    frame: np.ndarray, face: FaceLandmarks, *, scale: float = 1.0, limits: dict | None = None
) -> tuple[Finding, ...]:
    """The gates judged on the whole frame: face size and centring, head pose, colour cast.

    Parameters
    ----------
    frame : (H, W, 3) float32, linear sRGB; the whole photo, at any scale
    face : FaceLandmarks, in the frame's pixels
    scale : float, keyword-only
        The frame is the photo downscaled by this factor: sizes are judged on the photo.
    limits : dict, keyword-only
        Overrides of :data:`LIMITS`.
    """
    lim = {**LIMITS, **(limits or {})}
    H, W = frame.shape[:2]
    out = []
    x, y, w, h = face.bbox
    if w / scale < lim["min_face_px"] or w < lim["min_face_fraction"] * W:
        msg = "Move closer: your face should fill more of the frame."
        out.append(Finding("face_too_small", msg, w / scale, lim["min_face_px"]))
    off = max(abs((x + w / 2) / W - 0.5), abs((y + h / 2) / H - 0.5))
    if off > lim["max_centre_offset"]:
        out.append(Finding("face_off_centre", "Centre your face in the frame.", off,
                           lim["max_centre_offset"]))  # fmt: skip
    for code, attr, msg in (
        ("head_turned", "yaw", "Look straight at the camera: your head is turned."),
        ("head_tilted", "pitch", "Hold your head level: it is tilted up or down."),
        ("head_rolled", "roll", "Keep your head upright: it is leaning to one side."),
    ):
        v = abs(getattr(face, attr))
        if np.isfinite(v) and v > lim[f"max_{attr}"]:
            out.append(Finding(code, msg, v, lim[f"max_{attr}"]))
    n = max(1, max(H, W) // 256)  # a whole factor: cv2's fast box filter
    small = cv2.resize(frame[: H - H % n, : W - W % n], (W // n, H // n),
                       interpolation=cv2.INTER_AREA)  # fmt: skip
    px = small.reshape(-1, 3).astype(np.float64)
    lum = px @ LUMINANCE
    bright = px[lum >= np.quantile(lum, 0.98)].mean(axis=0)
    lab = xyz_to_lab(rgb_lin_to_xyz(bright / max(bright.max(), 1e-6)))
    cast = float(np.hypot(lab[1], lab[2]))
    if cast > lim["max_cast_chroma"]:
        msg = "The light is strongly coloured: use daylight or white light."
        out.append(Finding("colour_cast", msg, cast, lim["max_cast_chroma"]))
    return tuple(out)


def compression_findings(
    jpeg_quality: int | None, *, baseline: bool = False, limits: dict | None = None
) -> tuple[Finding, ...]:
    """The compression gate: a JPEG saved below :data:`LIMITS` ``min_jpeg_quality``.

    Parameters
    ----------
    jpeg_quality : int or None
        The file's JPEG quality (:attr:`vision.ingest.IngestedImage.jpeg_quality`); None for a
        file that is not a JPEG, which passes.
    baseline : bool, keyword-only
        The file is the earlier photo of a before/after pair (code ``baseline_compressed``).
    limits : dict, keyword-only
        Overrides of :data:`LIMITS`.
    """
    limit = {**LIMITS, **(limits or {})}["min_jpeg_quality"]
    if jpeg_quality is None or jpeg_quality >= limit:
        return ()
    which = "The earlier photo" if baseline else "The photo"
    msg = (
        f"{which} is strongly compressed (JPEG quality about {jpeg_quality}): faint redness "
        "can be hidden or imitated by compression. Send the original file if you have it."
    )
    return (Finding("baseline_compressed" if baseline else "compressed", msg,
                    float(jpeg_quality), float(limit)),)  # fmt: skip


def capture_findings(
    rgb_lin: np.ndarray,
    face: FaceLandmarks,
    *,
    skin_mask: np.ndarray | None = None,
    limits: dict | None = None,
) -> tuple[Finding, ...]:
    """The gates judged on the face's pixels: sharpness, exposure and grain.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB; the photo or a crop of it around the face
    face : FaceLandmarks, in ``rgb_lin``'s pixels
    skin_mask : (H, W) bool, keyword-only
        For the exposure and grain gates (none without it).
    limits : dict, keyword-only
        Overrides of :data:`LIMITS`.
    """
    lim = {**LIMITS, **(limits or {})}
    out = []
    sharp = _sharpness(rgb_lin, face)
    if sharp < lim["min_sharpness"]:
        out.append(Finding("blurry", "Hold still: the photo is blurred.", sharp,
                           lim["min_sharpness"]))  # fmt: skip
    if skin_mask is not None and skin_mask.any():
        skin = masked_pixels(rgb_lin, skin_mask)
        brightest = np.maximum(np.maximum(skin[:, 0], skin[:, 1]), skin[:, 2])
        clipped = float(np.mean(brightest >= 0.99))
        if clipped > lim["max_clipped_fraction"]:
            out.append(Finding("overexposed", "Too bright: part of your skin is washed out.",
                               clipped, lim["max_clipped_fraction"]))  # fmt: skip
        # L* rises with Y alone, so the median L* is the L* of the median Y
        y = float(np.median(skin @ LUMINANCE.astype(np.float32)))
        lstar = float(xyz_to_lab(D65_XYZ * y)[0])
        if lstar < lim["min_skin_lstar"]:
            out.append(Finding("too_dark", "Too dark: find more light.", lstar,
                               lim["min_skin_lstar"]))  # fmt: skip
        elif lstar > lim["max_skin_lstar"]:
            out.append(Finding("too_bright", "Too bright: step out of direct light.", lstar,
                               lim["max_skin_lstar"]))  # fmt: skip
        out.extend(grain_findings(rgb_lin, face, skin_mask, limits=limits))
    return tuple(out)
