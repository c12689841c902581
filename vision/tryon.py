"""The try-on's lip painting, in Python: the reference twin of ``webar/js/paint.js``.

A shade is painted in linear light: each lip pixel keeps its own luminance relative to the
lips' mean (so lip lines, texture and highlights survive) and takes the shade's chromaticity;
the shade's linear RGB is then corrected, in a few fixed-point steps, until the *mean CIELAB*
of the painted lips lands on the shade's calibrated Lab. Only the outer lip contour minus the
inner one is painted, so teeth and tongue never are; the mask's edge is feathered.

The browser does exactly these steps on every frame (same constants, same order); the
fidelity benchmark compares the two on the same photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from calibration.colorimetry import (
    LUMINANCE,
    lab_to_xyz,
    rgb_lin_to_xyz,
    xyz_to_lab,
    xyz_to_rgb_lin,
)
from vision.regions import LIPS_INNER, LIPS_OUTER, fill_polygons

__all__ = [
    "FEATHER_FRACTION",
    "FIT_STEPS",
    "PaintedLips",
    "lip_mask",
    "naive_alpha_blend",
    "paint_lips",
]

#: The mask's edge is blurred with σ = this fraction of the mouth width (corners and the lip
#: line blend in instead of showing a cut-out edge).
FEATHER_FRACTION = 0.02
#: Fixed-point steps that move the painted lips' mean Lab onto the shade's Lab.
FIT_STEPS = 3
#: Per-pixel relative luminance is limited to this range so that a specular highlight stays a
#: highlight without dragging the whole shade's fit, and a deep lip line stays dark.
SHADING_RANGE = (0.2, 3.0)
#: Mouth width: the two lip corners of the canonical face mesh.
LIP_CORNERS = (61, 291)


def lip_mask(points, shape) -> tuple[np.ndarray, np.ndarray]:
    """(hard, soft) masks of the lips: outer contour minus the mouth opening.

    Parameters
    ----------
    points : (478, 2) float, landmark pixels (x, y)
    shape : (H, W)

    Returns
    -------
    hard : (H, W) bool, soft : (H, W) float32 in [0, 1] (feathered)
    """
    points = np.asarray(points, np.float64)
    mask = fill_polygons(shape, (LIPS_OUTER,), points)
    mouth_opening = fill_polygons(shape, (LIPS_INNER,), points)
    mask[mouth_opening > 0] = 0
    mouth = float(np.linalg.norm(points[LIP_CORNERS[1]] - points[LIP_CORNERS[0]]))
    sigma = max(0.5, FEATHER_FRACTION * mouth)
    # the edge fades outwards onto the skin, never inwards onto the lips or into the mouth
    blurred = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)
    soft = np.maximum(mask.astype(np.float32), blurred) * (1 - mouth_opening)
    return mask.astype(bool), soft.astype(np.float32)


@dataclass(frozen=True)
class PaintedLips:
    rgb_lin: np.ndarray = field(repr=False)
    mask: np.ndarray = field(repr=False)
    shade_rgb_lin: np.ndarray
    mean_lab: np.ndarray


def _luminance(rgb_lin):
    return rgb_lin @ LUMINANCE.astype(np.float32)


def paint_lips(rgb_lin, points, shade_lab, *, opacity: float = 1.0) -> PaintedLips:
    """Paint ``shade_lab`` on the lips of ``rgb_lin``.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB, [0, 1]
    points : (478, 2) float, the face's landmarks in pixels
    shade_lab : (3,) CIELAB (D65, 2°), the shade's calibrated colour
    opacity : float in [0, 1], keyword-only

    Returns
    -------
    PaintedLips
        ``mean_lab`` is the mean CIELAB of the painted lips (hard mask) at this opacity.

    Examples
    --------
    >>> from vision.testset import astronaut_face, landmarks_of
    >>> rgb_lin = astronaut_face()
    >>> (face,) = landmarks_of(rgb_lin)
    >>> painted = paint_lips(rgb_lin, face.points, [40.2, 50.1, 28.5])
    >>> np.round(painted.mean_lab, 2).tolist()  # the lips' mean is the shade
    [40.2, 50.1, 28.5]
    >>> _, soft = lip_mask(face.points, rgb_lin.shape[:2])
    >>> bool((painted.rgb_lin[soft == 0] == rgb_lin[soft == 0]).all())  # nothing else painted
    True
    """
    rgb_lin = np.asarray(rgb_lin, np.float32)
    hard, soft = lip_mask(points, rgb_lin.shape[:2])
    if hard.sum() < 10:
        raise ValueError("the lips cover fewer than 10 pixels: nothing to paint")
    lips = rgb_lin[hard]
    y = _luminance(lips)
    shading = np.clip(y / max(float(y.mean()), 1e-6), *SHADING_RANGE)[:, None]
    target_lab = np.asarray(shade_lab, np.float64)
    shade = np.clip(xyz_to_rgb_lin(lab_to_xyz(target_lab)), 1e-4, 1.0)
    gain = shade.copy()
    for _ in range(FIT_STEPS):
        painted = np.clip(gain[None, :] * shading, 0.0, 1.0)
        mean_lab = xyz_to_lab(rgb_lin_to_xyz(painted.astype(np.float64))).mean(axis=0)
        got = np.clip(xyz_to_rgb_lin(lab_to_xyz(mean_lab)), 1e-4, None)
        gain = np.clip(gain * shade / got, 1e-4, 1.0)
    alpha = (float(opacity) * soft)[..., None]
    colour = np.clip(gain[None, None, :] * _shading_map(rgb_lin, y.mean()), 0.0, 1.0)
    out = rgb_lin * (1.0 - alpha) + colour * alpha
    mean_lab = xyz_to_lab(rgb_lin_to_xyz(out[hard].astype(np.float64))).mean(axis=0)
    return PaintedLips(out.astype(np.float32), hard, gain, mean_lab)


def _shading_map(rgb_lin, mean_y):
    y = _luminance(rgb_lin)
    return np.clip(y / max(float(mean_y), 1e-6), *SHADING_RANGE)[..., None].astype(np.float32)


def naive_alpha_blend(rgb_lin, points, shade_lab, *, alpha: float = 0.6) -> PaintedLips:
    """The common open-source try-on: the shade's sRGB blended at ``alpha`` in encoded sRGB."""
    from calibration.colorimetry import rgb_lin_to_srgb, srgb_to_rgb_lin

    hard, soft = lip_mask(points, rgb_lin.shape[:2])
    shade = np.clip(xyz_to_rgb_lin(lab_to_xyz(np.asarray(shade_lab, np.float64))), 0, 1)
    srgb = rgb_lin_to_srgb(np.asarray(rgb_lin, np.float32))
    a = (alpha * soft)[..., None]
    out = srgb_to_rgb_lin(srgb * (1 - a) + rgb_lin_to_srgb(shade.astype(np.float32)) * a)
    mean_lab = xyz_to_lab(rgb_lin_to_xyz(out[hard].astype(np.float64))).mean(axis=0)
    return PaintedLips(out.astype(np.float32), hard, shade, mean_lab)
