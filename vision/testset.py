"""The project's face test set, built from the real face of ``skimage.data.astronaut()``.

Variants follow the same optics as the redness model: skin tone is changed by scaling melanin
density in optical density, erythema is added along the haemoglobin direction with a known
true mask, and relighting multiplies linear RGB per channel (a different illuminant or
exposure between a "before" and an "after" photo).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from calibration.colorimetry import rgb_lin_to_xyz, srgb_u8_to_rgb_lin, xyz_to_lab
from vision.redness import pigment_vectors

__all__ = [
    "ITA_BANDS",
    "Erythema",
    "add_erythema",
    "add_melanin",
    "astronaut_face",
    "ita_band",
    "ita_degrees",
    "relight",
]

#: Individual typology angle bands (Chardon et al. 1991; Del Bino et al. 2006).
ITA_BANDS = (
    ("very light", 55.0, 90.0),
    ("light", 41.0, 55.0),
    ("intermediate", 28.0, 41.0),
    ("tan", 10.0, 28.0),
    ("brown", -30.0, 10.0),
    ("dark", -90.0, -30.0),
)


def astronaut_face(scale: float = 4.0) -> np.ndarray:
    """The astronaut's head, cropped and scaled; (H, W, 3) float32 linear sRGB."""
    from skimage import data as skdata

    crop = skdata.astronaut()[20:240, 130:320]
    u8 = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return srgb_u8_to_rgb_lin(np.ascontiguousarray(u8))


def ita_degrees(rgb_lin, mask) -> float:
    """Individual typology angle of the skin: atan((L* − 50) / b*) in degrees."""
    lab = xyz_to_lab(rgb_lin_to_xyz(np.asarray(rgb_lin, np.float64)[mask]))
    L, b = np.median(lab[:, 0]), np.median(lab[:, 2])
    return float(np.degrees(np.arctan2(L - 50.0, b)))


def ita_band(ita: float) -> str:
    """Name of the ITA° band."""
    for name, lo, hi in ITA_BANDS:
        if lo <= ita < hi:
            return name
    return "very light" if ita >= 90 else "dark"


def _feather(mask, sigma):
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)


def add_melanin(rgb_lin, delta: float, *, mask, feather: float = 6.0) -> np.ndarray:
    """Darken (delta > 0) or lighten skin by melanin density ``delta`` (OD units).

    The change is applied inside ``mask`` with a feathered edge, along the melanin direction.
    """
    v_mel, _ = pigment_vectors()
    w = _feather(mask, feather)[..., None]
    return (rgb_lin * np.exp(-delta * w * v_mel.astype(np.float32))).astype(np.float32)


@dataclass(frozen=True)
class Erythema:
    """A synthetic red patch: where it is and how strong (haemoglobin OD at its centre)."""

    centre: tuple[float, float]
    radius: float
    strength: float
    truth: np.ndarray = field(repr=False)  # (H, W) bool, where the added density ≥ half


def add_erythema(rgb_lin, *, centre, radius, strength, skin_mask, rng=None):
    """Add a soft, irregular patch of haemoglobin; returns (new image, Erythema).

    The profile is a flat-topped disc with a smooth edge (a raised cosine over the outer
    third of the radius), made irregular by a low-frequency random modulation of the radius.
    """
    rng = rng or np.random.default_rng(0)
    _, v_hb = pigment_vectors()
    h, w = rgb_lin.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = np.arctan2(yy - centre[1], xx - centre[0])
    wobble = 1.0 + 0.15 * sum(
        rng.uniform(0.3, 1.0) * np.cos(k * ang + rng.uniform(0, 2 * np.pi)) for k in (2, 3)
    )
    r = np.hypot(xx - centre[0], yy - centre[1]) / (radius * wobble)
    edge0, edge1 = 0.66, 1.0
    t = np.clip((r - edge0) / (edge1 - edge0), 0.0, 1.0)
    profile = np.where(r <= edge0, 1.0, 0.5 * (1 + np.cos(np.pi * t))).astype(np.float32)
    profile *= skin_mask
    out = rgb_lin * np.exp(-strength * profile[..., None] * v_hb.astype(np.float32))
    truth = (profile >= 0.5) & skin_mask
    return out.astype(np.float32), Erythema(tuple(centre), float(radius), float(strength), truth)


def relight(rgb_lin, *, gains=(1.0, 1.0, 1.0), exposure: float = 1.0) -> np.ndarray:
    """Another light or exposure: per-channel gains on linear RGB (clipped at 1)."""
    g = np.asarray(gains, np.float32) * np.float32(exposure)
    return np.clip(rgb_lin * g, 0.0, 1.0).astype(np.float32)
