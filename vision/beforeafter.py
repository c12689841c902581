"""Before/after: warp the baseline photo onto the follow-up along the face mesh, compare.

The "before" face is mapped triangle by triangle (piecewise affine over a Delaunay
triangulation of the follow-up's landmarks) onto the "after" face, the mapping refined by
optical flow between the two photos' melanin density, then normalised per channel on the skin
that did not change (a von Kries gain, estimated robustly), and the increase of haemoglobin
density is mapped. Skin the earlier photo shows foreshortened is left out. A change of light
or camera between the two photos is detected from those gains and reported, never silently
compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.spatial import Delaunay

from vision.redness import (
    LOW_THRESHOLD,
    SMOOTH_FRACTION,
    DetectionLimit,
    _masked_blur,
    _robust,
    detection_limit,
    flag_excess,
    haemoglobin_map,
    patch_response,
    skin_of_densities,
    zone_figures,
)

__all__ = ["RednessChange", "redness_change", "warp_face"]

#: Per-channel gain imbalance (|ln(gR/gG)| or |ln(gB/gG)|) beyond which the two photos are
#: taken under different light or by a different camera; exposure beyond |ln gG|.
MAX_CHROMATIC_GAIN = 0.08
MAX_EXPOSURE_GAIN = 0.5
#: The light's direction: the slope of a plane fitted to the change of shading density over
#: the compared skin (OD per face width, across or down the face) beyond which the light falls
#: from another side (``light_direction_changed``). Shading is separated from haemoglobin
#: exactly only in linear light; a phone's contrast (a tone curve steeper than sRGB's) lets a
#: change of shading leak into haemoglobin. Measured in session 10 (a separate script; the
#: pair of tests/vision/test_beforeafter.py with a shading ramp across the follow-up, both
#: photos through an S-curve on sRGB, 0.5 + 0.5·tanh(k(e − 0.5))/tanh(k/2)): under sRGB
#: alone no ramp up to 0.7 harms; at k = 2.5 (1.5× the mid-tone contrast) ramps of 0.5 and
#: more make the pair noisy_pair; at k = 4 (2×) a ramp of 0.2 flags 4.1 % of unchanged skin
#: with no finding (0.1: 0.08 %). The real pairs of vision/people ramp 0.16-1.04 across and
#: 0.15-0.36 down the face (every one over the limit), the test set's relit pairs 0.012 at most.
MAX_SHADING_SLOPE = 0.2
#: The change is outlined at the fine scale (SMOOTH_FRACTION of the face width) and detected
#: on the same map smoothed at CHANGE_DETECT_FRACTION, at CHANGE_THRESHOLD robust σ; the peak
#: floor MIN_PEAK_OD bounds the outlined change itself. JPEG compression is what this is
#: for: it quantises colour (chroma) in 16-pixel blocks, and haemoglobin density is mostly
#: colour, so the difference of two JPEGs carries blotches of that size. Measured in session 6
#: (benchmarks/bench_redness.py; the benchmark's faces and patches as JPEG files), before →
#: after this change: at quality 92, unmodified pairs flagged 0.82 → 0 % of skin at worst
#: (detected at the fine scale at 3.5σ, as before), mean IoU 0.837 → 0.871; at quality 80,
#: 1.22 → 0 %, IoU 0.617 → 0.726, but 35 instead of 45 of 50 patches of 0.2 OD found (weak
#: changes sink into the compression's blotches); as 8-bit PNGs, every patch found as before,
#: IoU 0.926 → 0.934 (radius 0.06 W) and 0.919 (0.04 W, unchanged). In a grid over qualities
#: 75-92 (a separate script, ten unmodified pairs) the worst flagged area was 0.22-2.04 %
#: before, 0.19-0.51 % after; at 4σ instead of 4.5σ, 0.61 % at quality 90 (alike when detected
#: at 0.025, 0.03 or 0.04 W). The floor on the detection map (as a single photo's) would lose
#: the 0.04 W patches of 0.2 OD (0 of 25 found).
CHANGE_DETECT_FRACTION = 0.03
CHANGE_THRESHOLD = 4.5
#: The change map's robust spread at the outline's scale (haemoglobin OD) above which the pair
#: is reported as too noisy for the outline of a change to be trusted (``noisy_pair``). It
#: measures whatever makes the two photos differ pixel to pixel: sensor noise, white or smoothed
#: by the camera's processing, and compression. Measured in session 8 (a separate script; the
#: benchmark's ten pairs, 0.35 OD patches in five zones, 100 pairs in all): clean pairs spread
#: 0.002-0.016 OD (darker skin higher: 8-bit levels are coarser densities there), mean IoU
#: 0.93-0.94. With sensor noise (σ a + 5a·√x in linear values, a 0.002 or 0.004: white, blurred
#: by 0.8 px, or in colour only and blurred by 2 px), noise then JPEG 95, or JPEG files of
#: quality 97, 92 or 80, the IoU falls with the spread, for noise and compression alike
#: (0.78-0.90 at 0.03-0.05 OD). Above 0.03, 52 pairs: 45 under IoU 0.88 (down to 0.05;
#: unmodified skin flagged up to 1.3 %); at or under it, three noisy pairs at 0.80-0.83 and the
#: rest 0.85 or more. A lower limit warns on ordinary files: at 0.02, 5 of the
#: ten JPEG 97 pairs (what the capture page sends; IoU 0.885-0.94) and 73 of the 100, 20 of them
#: at 0.88 or more; at 0.03, one JPEG 97 pair (the small dark face, 0.885), four JPEG 92 ones.
#: Noise the camera smoothed hides from a single photo's grain estimate (vision/quality.py:
#: 0.001-0.005 OD where the pair spreads 0.015-0.08 OD), not from this. Real pairs of one man
#: on different days (vision/people; another expression and light) spread 0.13-0.22 OD (four
#: measured): all six are reported (session 9).
MAX_CHANGE_SPREAD_OD = 0.03
#: Registration (session 11). A head turned a few degrees between the two photos is enough
#: for the mesh alone to flag unchanged skin: MediaPipe places a turned face's landmarks a few
#: pixels off its skin's features (turned 10°: 1.7 px median, 4.2 px at the 90th percentile,
#: 11.6 px at worst on a 364 px face; 5°: 0.9, 2.0, 6.1 px), most of all along the outline
#: and the jaw. Measured with the
#: test set's faces, the earlier photo's head turned by rotating the landmarks in depth
#: (vision/testset.py's head_turned; benchmarks/bench_redness.py, "the head turned"), patches
#: of 0.35 OD in every zone; mesh only → registered, MediaPipe's view of the turn in brackets:
#: - turned 5° sideways (3.5°): mean IoU 0.897 → 0.943, unchanged skin flagged 0.29 → 0 % at
#:   worst;
#: - 10° (6.5°): 0.401 → 0.894, 3.53 → 0.34 %; 15° (9.3°): 0.301 → 0.784, 6.01 → 0.43 %;
#: - 10° up (7.3°): 0.374 → 0.942, 5.66 → 0 %; 20° up (16.2°): 0.351 → 0.842, 3.25 → 0.66 %.
#: vision/quality.py's pose_changed limits lie between what holds and what does not.
#: The registration: the mesh is carried on around the face (REGISTER_MARGIN of the face width
#: beyond its box, moving as the face does overall) so that the flow sees the outline; OpenCV's
#: DIS optical flow (preset MEDIUM) between the two photos' melanin densities then moves the
#: warped photo. Melanin is what a change of redness leaves alone. Alternatives measured on the
#: same turned pairs (unchanged skin flagged, on average): the flow on log red (straight pairs
#: 0.13 % where melanin gave 0.06, at an earlier stage); the preset FAST (10° sideways 0.25 %,
#: MEDIUM 0.06), and with it the flow capped at 0.02 face widths, computed at half size or on
#: blurred densities (0.25-0.33 %); MEDIUM with the flow smoothed at 0.02 face widths (0.11 %);
#: the flow without the mesh carried on, the photos set grey outside the face (mean IoU 0.939
#: straight, but 0.626 at 10° sideways).
#: Skin whose mesh triangles are MAX_STRETCH times larger in the new photo than in the earlier
#: one (over the photos' scale) is left out: the earlier photo shows it foreshortened, turned
#: away from the camera. With the flow alone 10° sideways flagged 0.54 % on average and 15°
#: 1.85 %; with both 0.22 and 0.37 % (preset FAST). On the test pair of 10° it leaves out 8 %
#: of the skin; on the real pairs of vision/people (turned 11-26° sideways, and smiling in
#: one), 24-59 %.
MAX_STRETCH = 1.25
REGISTER_MARGIN = 0.15
# Measured in session 10 and not adopted: removing the part of the haemoglobin change that
# follows the shading change (a separate script; trimmed least squares of the change on the
# shading change over the compared skin, the slope times the shading change subtracted).
# - On the real pairs of vision/people, the change of light between the two photos leaks into
#   haemoglobin (the files' tone curves are not sRGB's): slopes 0.14-0.79, and the change's
#   robust spread at the detection scale falls from 0.096-0.253 to 0.083-0.172 OD. On the test
#   set's relit pairs the slopes are −0.12 to 0.03 and the spread does not move.
# - A real reaction, seen through the Nikon or Sigma sensitivities of colour-science under D65,
#   A or FL2, moves the model's shading by 0.04-0.12 per unit of haemoglobin: the correction
#   would take at most a tenth of it.
# - Fitted at the outline's scale: the test set's pairs 0.934 → 0.935 mean IoU; the held-out
#   people's synthetic pairs 0.877 → 0.940 and unmodified skin flagged 0.19 → 0 %; the real
#   pairs found 3 → 7 of 30 patches of 0.5 OD, but their unmodified skin was flagged 0 → 0.91 %
#   on average (3.62 % at worst); JPEG 80 pairs 0.726 → 0.710, unmodified 0 → 1.03 % at worst.
# - Fitted at 0.05 or 0.1 face widths, with only the smooth (0.1 W) shading change subtracted,
#   or with the detection threshold kept at the uncorrected map's spread: JPEG 80 unmodified
#   skin 0.85-1.04 % at worst, the real pairs 1.28-3.58 %.
# The subtraction carries the shading change's own structure (the warp's edges, highlights,
# compression blocks in brightness) into the change map: one slope for the face is not the
# local leak, and new false flags on shared and real photos weigh more than the patches found.


def _box(points, shape, margin: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the points' box grown by ``margin`` of its width, inside the image."""
    lo, hi = np.min(points, axis=0), np.max(points, axis=0)
    grow = margin * (hi[0] - lo[0])
    x0, y0 = np.floor(lo - grow).astype(int).clip(0)
    x1, y1 = np.ceil(hi + grow).astype(int) + 1
    return int(x0), int(y0), int(min(x1, shape[1])), int(min(y1, shape[0]))


def _mesh(src_points, dst_points, dst_shape, *, beyond: float):
    """The warp's triangulation: (triangulation, src points, for each pixel its triangle or
    -1, the pixels' x, y). The pixels are those of the face's box grown by ``beyond`` of the
    face width; with ``beyond`` the face's mesh is carried on there by points around it that
    move as the face does overall (a similarity fitted to the landmarks)."""
    src_points = np.asarray(src_points, np.float64)
    dst_points = np.asarray(dst_points, np.float64)
    x0, y0, x1, y1 = _box(dst_points, dst_shape, beyond)
    if beyond:
        m, _ = cv2.estimateAffinePartial2D(
            dst_points.astype(np.float32), src_points.astype(np.float32), method=cv2.LMEDS
        )
        centre = dst_points.mean(axis=0)
        radius = 0.75 * np.ptp(dst_points, axis=0).max()
        angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        ring = centre + radius * np.c_[np.cos(angles), np.sin(angles)]
        frame = np.array(
            [
                [x, y]
                for x in (x0 - 1, (x0 + x1) / 2, x1)
                for y in (y0 - 1, (y0 + y1) / 2, y1)
                if (x, y) != ((x0 + x1) / 2, (y0 + y1) / 2)
            ]
        )
        extra = np.vstack([ring, frame])
        dst_points = np.vstack([dst_points, extra])
        src_points = np.vstack([src_points, extra @ m[:, :2].T + m[:, 2]])
    tri = Delaunay(dst_points)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    simplex = tri.find_simplex(np.c_[xx.ravel(), yy.ravel()].astype(np.float64))
    return tri, src_points, simplex, xx.ravel(), yy.ravel()


def warp_face(src_rgb_lin, src_points, dst_points, dst_shape, *, beyond: float = 0.0):
    """Piecewise-affine warp of ``src`` so that its landmarks land on ``dst_points``.

    Parameters
    ----------
    src_rgb_lin : (H, W, 3) float32
    src_points, dst_points : (478, 2) float, pixel x, y
    dst_shape : (H, W) of the destination image
    beyond : float, keyword-only
        Warp the face's box grown by this fraction of the face width too, the mesh carried on
        around the face (:func:`_mesh`): what lies around the face (its outline, hair), for
        the registration to see.

    Returns
    -------
    warped : (H', W', 3) float32, valid : (H', W') bool
        ``valid`` marks pixels inside the destination mesh (the face's, also with ``beyond``);
        pixels not warped are 0.
    """
    n_face = len(dst_points)
    tri, src_points, simplex, xs, ys = _mesh(src_points, dst_points, dst_shape, beyond=beyond)
    h, w = dst_shape
    inside = simplex >= 0
    t = tri.transform[simplex[inside]]
    pts = np.c_[xs[inside], ys[inside]].astype(np.float64)
    bary2 = np.einsum("nij,nj->ni", t[:, :2], pts - t[:, 2])
    bary = np.c_[bary2, 1.0 - bary2.sum(axis=1)]
    verts = tri.simplices[simplex[inside]]
    src = np.einsum("ni,nij->nj", bary, src_points[verts])
    map_x = np.full((h, w), -1.0, np.float32)
    map_y = np.full((h, w), -1.0, np.float32)
    map_x[ys[inside], xs[inside]] = src[:, 0]
    map_y[ys[inside], xs[inside]] = src[:, 1]
    warped = cv2.remap(src_rgb_lin.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)  # fmt: skip
    valid = np.zeros((h, w), bool)
    face = np.zeros_like(inside)
    face[inside] = (verts < n_face).all(axis=1)
    valid[ys[face], xs[face]] = True
    return warped, valid


@dataclass(frozen=True)
class RednessChange:
    """Redness that increased between a baseline and a follow-up photo.

    ``increase`` is the haemoglobin increase in units of its robust spread over unchanged skin;
    ``gains`` are the per-channel factors that matched the baseline to the follow-up;
    ``compared_fraction`` the share of the follow-up's skin compared (the rest is not skin in
    one of the photos, or foreshortened in the earlier one: :data:`MAX_STRETCH`);
    ``melanin_mismatch`` the robust spread (OD) of the two photos' melanin difference over
    that skin once the mesh alone has warped one onto the other: how well the person's own
    features (brows, beard, moles, hairline) fall on each other, which tells a mirrored
    photo from a straight one (vision/analysis.py).
    """

    increase: np.ndarray = field(repr=False)
    mask: np.ndarray = field(repr=False)
    zones: dict
    gains: tuple[float, float, float]
    lighting_changed: bool
    exposure_changed: bool
    findings: tuple[dict, ...] = ()
    detection_limit: DetectionLimit | None = None
    compared_fraction: float = 1.0
    melanin_mismatch: float = 0.0

    def to_dict(self) -> dict:
        out = {
            "zones": {k: v.to_dict() for k, v in self.zones.items()},
            "gains": [round(g, 4) for g in self.gains],
            "lighting_changed": self.lighting_changed,
            "exposure_changed": self.exposure_changed,
            "findings": list(self.findings),
            "flagged_fraction": round(float(self.mask.mean()), 5),
            "compared_fraction": round(self.compared_fraction, 3),
            "melanin_mismatch_od": round(self.melanin_mismatch, 4),
        }
        if self.detection_limit is not None:
            out["detection_limit"] = self.detection_limit.to_dict()
        return out


def _grey_u8(density) -> np.ndarray:
    """A density map as 8-bit grey (its 1st-99th percentiles stretched over 0-255)."""
    lo, hi = np.percentile(density, (1, 99))
    return np.clip((density - lo) * (255.0 / max(hi - lo, 1e-6)), 0, 255).astype(np.uint8)


def _registered(after_melanin, warped, warped_melanin, box):
    """The warped photo moved onto the other, within ``box`` (x0, y0, x1, y1), by dense
    optical flow (OpenCV's DIS) between the two photos' melanin density. The landmarks place a
    face's outline and features a few pixels differently when its pose differs; the flow sees
    melanin and not haemoglobin, so a change of redness does not move it. ``after_melanin`` and
    ``warped_melanin`` are the two photos' melanin densities
    (:func:`~vision.redness.haemoglobin_map`); ``warped`` covers the box (the mesh carried on
    beyond the face) so that the flow sees the outline."""
    x0, y0, x1, y1 = box
    part = np.ascontiguousarray(warped[y0:y1, x0:x1])
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flow = dis.calc(_grey_u8(after_melanin[y0:y1, x0:x1]),
                    _grey_u8(warped_melanin[y0:y1, x0:x1]), None)  # fmt: skip
    yy, xx = np.mgrid[0 : y1 - y0, 0 : x1 - x0].astype(np.float32)
    out = warped.copy()
    out[y0:y1, x0:x1] = cv2.remap(part, xx + flow[..., 0], yy + flow[..., 1], cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    return out


def _stretch(before_points, after_points, shape) -> np.ndarray:
    """(H, W) how much larger each mesh triangle is in the new photo than in the earlier one,
    over the median of that ratio (the photos' scale); inf outside the mesh. Above 1 the
    earlier photo shows the skin foreshortened (turned away from the camera)."""
    tri, src, simplex, xs, ys = _mesh(before_points, after_points, shape, beyond=0.0)

    def areas(p):
        v = p[tri.simplices]
        e1, e2 = v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]
        return 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])

    ratio = areas(tri.points) / np.maximum(areas(src), 1e-6)
    ratio /= np.median(ratio)
    out = np.full(shape, np.inf)
    inside = simplex >= 0
    out[ys[inside], xs[inside]] = ratio[simplex[inside]]
    return out


def _gains(after, before, mask):
    """Per-channel gains, robust to the changed area: iteratively trimmed medians of ratios."""
    lr = np.log(np.clip(after[mask], 1e-4, None)) - np.log(np.clip(before[mask], 1e-4, None))
    keep = np.ones(len(lr), bool)
    for _ in range(3):
        med = np.median(lr[keep], axis=0)
        mad = 1.4826 * np.median(np.abs(lr[keep] - med), axis=0) + 1e-6
        keep = np.all(np.abs(lr - med) <= 2.5 * mad, axis=1)
    return np.exp(np.median(lr[keep], axis=0))


def _shading_slope(shade_change, region, points, face_w) -> float:
    """The steeper slope (across or down the face, OD per face width) of a plane fitted to
    the change of shading density over ``region`` (every fourth pixel each way)."""
    ys, xs = np.nonzero(region[::4, ::4])
    if len(xs) < 50:  # too little skin to tell a slope from the skin's own shading
        return 0.0
    centre = np.asarray(points, float).mean(axis=0)
    design = np.stack([(4 * xs - centre[0]) / face_w, (4 * ys - centre[1]) / face_w,
                       np.ones(len(xs))], axis=1)  # fmt: skip
    coef = np.linalg.lstsq(design, shade_change[::4, ::4][ys, xs], rcond=None)[0]
    return float(max(abs(coef[0]), abs(coef[1])))


def redness_change(
    after_rgb_lin,
    before_rgb_lin,
    *,
    after_points,
    before_points,
    skin_mask,
    zone_masks=None,
    high: float = CHANGE_THRESHOLD,
    low: float = LOW_THRESHOLD,
    register: bool = True,
) -> RednessChange:
    """Map where redness increased from ``before`` to ``after``.

    Parameters
    ----------
    after_rgb_lin, before_rgb_lin : (H, W, 3) float32, linear sRGB (sizes may differ)
    after_points, before_points : (478, 2) landmarks of each photo
    skin_mask : (H, W) bool, skin of the after photo
    zone_masks : dict of str → (H, W) bool, keyword-only
    high, low : float, hysteresis thresholds (σ units of the change): ``high`` at the detection
        scale, ``low`` at the outline scale
    register : bool, keyword-only
        Refine the mesh's warp by optical flow and leave out the skin the earlier photo shows
        foreshortened (:data:`MAX_STRETCH`); False only to measure what that does.

    Returns
    -------
    RednessChange

    Examples
    --------
    The astronaut with 0.3 OD of haemoglobin added on the left cheek, against another photo
    of her taken closer, turned and under warmer, dimmer light (vision/testset.py):

    >>> from vision.regions import region_masks
    >>> from vision.testset import (add_erythema, astronaut_face, landmarks_of, second_photo,
    ...                             zone_centre)
    >>> face = astronaut_face()
    >>> before = second_photo(face)
    >>> seen_before, seen = landmarks_of(before, face)
    >>> masks = region_masks(seen.points, face.shape[:2])
    >>> after, patch = add_erythema(face, centre=zone_centre(masks["left_cheek"]),
    ...                             radius=0.06 * seen.width, strength=0.3,
    ...                             skin_mask=masks["skin"])
    >>> change = redness_change(after, before, after_points=seen.points,
    ...                         before_points=seen_before.points, skin_mask=masks["skin"],
    ...                         zone_masks={k: masks[k] for k in ("left_cheek", "right_cheek")})
    >>> overlap = (change.mask & patch.truth).sum() / (change.mask | patch.truth).sum()
    >>> round(float(overlap), 2)
    0.96
    >>> {k: v.area_fraction > 0 for k, v in change.zones.items()}, change.lighting_changed
    ({'left_cheek': True, 'right_cheek': False}, True)
    """
    shape = after_rgb_lin.shape[:2]
    beyond = REGISTER_MARGIN if register else 0.0
    warped, valid = warp_face(before_rgb_lin, before_points, after_points, shape, beyond=beyond)
    face_w = float(np.ptp(np.asarray(after_points)[:, 0]))
    hb_after, mel_after, shade_after = haemoglobin_map(after_rgb_lin)  # once, used thrice
    region = skin_of_densities(skin_mask, mel_after, shade_after, face_w)[0] & valid
    mel_mesh = haemoglobin_map(warped)[1]  # the person's features as the mesh alone matches them
    if register:
        warped = _registered(mel_after, warped, mel_mesh, _box(after_points, shape, beyond))
        region &= _stretch(before_points, after_points, shape) <= MAX_STRETCH
    region &= (warped.min(axis=-1) > 1e-3) & (after_rgb_lin.min(axis=-1) > 1e-3)
    if region.sum() < 100:
        raise ValueError("the two faces share too little skin to be compared")
    sigma = max(0.5, SMOOTH_FRACTION * face_w)
    mismatch = _robust(_masked_blur(mel_after - mel_mesh, region, sigma)[region])[1]
    gains = _gains(after_rgb_lin, warped, region)
    lg = np.log(gains)
    lighting = bool(max(abs(lg[0] - lg[1]), abs(lg[2] - lg[1])) > MAX_CHROMATIC_GAIN)
    exposure = bool(abs(lg[1]) > MAX_EXPOSURE_GAIN)
    findings = []
    if lighting:
        findings.append({"code": "lighting_changed", "message": "The light or the camera "
                         "differs between the two photos; colours were matched on unchanged "
                         "skin, treat small changes with caution."})  # fmt: skip
    if exposure:
        findings.append({"code": "exposure_changed", "message": "The two photos differ "
                         "strongly in brightness."})  # fmt: skip
    before_n = (warped * gains.astype(np.float32)).astype(np.float32)
    hb_before, _, shade_before = haemoglobin_map(before_n)
    diff = hb_after - hb_before
    slope = _shading_slope(shade_after - shade_before, region, after_points, face_w)
    if slope > MAX_SHADING_SLOPE:
        findings.append({"code": "light_direction_changed", "message": "The light falls on the "
                         "face from another side than in the earlier photo: with a phone's "
                         "contrast, a change of shadows can look like a change of redness. "
                         "Take the new photo facing the light as in the earlier one.",
                         "value": slope, "limit": MAX_SHADING_SLOPE})  # fmt: skip
    d = _masked_blur(diff, region, sigma)
    detect = _masked_blur(diff, region, max(1.0, CHANGE_DETECT_FRACTION * face_w))
    increase, mask, _, spread, detect_spread = flag_excess(
        d, region, high=high, low=low, od_units=True, detect=detect, floor_on_outline=True
    )
    if spread > MAX_CHANGE_SPREAD_OD:
        findings.append({"code": "noisy_pair", "message": "The two photos differ on skin that "
                         "did not change (grain, compression, another expression or light): "
                         "faint changes, and the outline and area of a change, are uncertain.",
                         "value": spread,
                         "limit": MAX_CHANGE_SPREAD_OD})  # fmt: skip
    zones = zone_figures(increase, mask, region, zone_masks)
    # an increase is detected on the smoothed change and bounded by the floor on the outline
    limit = detection_limit(detect_spread, region, after_rgb_lin, high=high,
                            response=patch_response(CHANGE_DETECT_FRACTION),
                            floor_response=patch_response(SMOOTH_FRACTION))  # fmt: skip
    compared = float(region.sum() / max(1, np.count_nonzero(skin_mask)))
    return RednessChange(increase, mask, zones, tuple(float(g) for g in gains), lighting,
                         exposure, tuple(findings), limit, compared, mismatch)  # fmt: skip
