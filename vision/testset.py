"""The project's face test set, built from the real face of ``skimage.data.astronaut()``.

Variants follow the same optics as the redness model: skin tone is changed by scaling melanin
density in optical density, erythema is added along the haemoglobin direction with a known
true mask, and relighting multiplies linear RGB per channel (a different illuminant or
exposure between a "before" and an "after" photo).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from calibration.colorimetry import (
    rgb_lin_to_srgb_u8,
    rgb_lin_to_xyz,
    srgb_u8_to_rgb_lin,
    xyz_to_lab,
)
from vision.redness import patch_profile, pigment_vectors

__all__ = [
    "ITA_BANDS",
    "Erythema",
    "add_erythema",
    "add_melanin",
    "astronaut_face",
    "camera_frame",
    "head_turned",
    "ita_band",
    "ita_degrees",
    "landmarks_of",
    "photograph",
    "relight",
    "second_photo",
    "sensor_noise",
    "skin_tone_direction",
    "turned",
    "write_y4m",
    "zone_centre",
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


def landmarks_of(*rgb_lins) -> list:
    """The landmarks (vision.landmarks.FaceLandmarks) of each picture's face, the largest
    (None where none is found), by one landmarker made for them: the examples' way.

    Examples
    --------
    >>> (face,) = landmarks_of(astronaut_face())
    >>> face.points.shape, face.width > 300
    ((478, 2), True)
    """
    from vision.landmarks import FaceLandmarker

    with FaceLandmarker() as landmarker:
        return [found[0] if (found := landmarker.detect(p)) else None for p in rgb_lins]


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


@cache
def skin_tone_direction() -> np.ndarray:
    """Unit OD direction (linear sRGB) from light to dark skin, as measured.

    The ColorChecker's "light skin" and "dark skin" patches were made to match real skin
    (their reflectances, BabelColor average, ship with colour-science); seen under D65 through
    the CIE 1931 observer and sRGB, the OD of dark minus light skin is this direction. It is
    greyer than the skin model's melanin direction (:func:`vision.redness.pigment_vectors`):
    adding density along the model's direction empties the blue channel long before skin
    reaches the dark ITA° band, which real dark skin does not do.
    """
    from calibration.colorimetry import XYZ_TO_SRGB, colour_science

    colour = colour_science()
    shape = colour.SpectralShape(400, 700, 5)
    cmfs = colour.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"].copy().align(shape).values
    d65 = colour.SDS_ILLUMINANTS["D65"].copy().align(shape).values
    patches = colour.SDS_COLOURCHECKERS["BabelColor Average"]

    def od(name):
        refl = patches[name].copy().align(shape).values
        return -np.log((refl * d65) @ cmfs / (d65 @ cmfs[:, 1]) @ XYZ_TO_SRGB.T)

    d = od("dark skin") - od("light skin")
    return d / np.linalg.norm(d)


def add_melanin(rgb_lin, delta: float, *, mask, feather: float = 6.0) -> np.ndarray:
    """Darken (delta > 0) or lighten skin by density ``delta`` (OD units) inside ``mask``.

    The change follows the measured light-to-dark skin direction (:func:`skin_tone_direction`)
    with a feathered edge.
    """
    w = _feather(mask, feather)[..., None]
    v = skin_tone_direction().astype(np.float32)
    return (rgb_lin * np.exp(-delta * w * v)).astype(np.float32)


def photograph(rgb_lin, *, jpeg_quality: int | None = None) -> np.ndarray:
    """What a camera file keeps: 8-bit sRGB, decoded back to linear (dark skin loses levels).

    With ``jpeg_quality`` (1-100) the file is a JPEG as phones and chat apps write it (libjpeg
    through Pillow, colour subsampled 4:2:0): the capture page sends quality 97, many apps
    92, and a photo shared through a chat app is often compressed again to 70-85.
    """
    srgb_u8 = rgb_lin_to_srgb_u8(np.clip(rgb_lin, 0.0, 1.0))
    if jpeg_quality is not None:
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(srgb_u8).save(buf, format="JPEG", quality=int(jpeg_quality))
        srgb_u8 = np.asarray(Image.open(buf).convert("RGB"))
    return srgb_u8_to_rgb_lin(srgb_u8)


@dataclass(frozen=True)
class Erythema:
    """A synthetic red patch: where it is and how strong (haemoglobin OD at its centre)."""

    centre: tuple[float, float]
    radius: float
    strength: float
    truth: np.ndarray = field(repr=False)  # (H, W) bool, where the added density ≥ half


def zone_centre(zone_mask) -> tuple[float, float]:
    """(x, y) of a zone mask's mean pixel, in pixels: where a test patch is centred."""
    ys, xs = np.nonzero(zone_mask)
    return float(xs.mean()), float(ys.mean())


def add_erythema(rgb_lin, *, centre, radius, strength, skin_mask, rng=None):
    """Add a soft, irregular patch of haemoglobin; returns (new image, Erythema).

    The profile is the reference patch of :func:`vision.redness.patch_profile` (a flat-topped
    disc with a smooth edge, a raised cosine over the outer third of the radius), made
    irregular by a low-frequency random modulation of the radius.
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
    profile = patch_profile(r).astype(np.float32) * skin_mask
    out = rgb_lin * np.exp(-strength * profile[..., None] * v_hb.astype(np.float32))
    truth = (profile >= 0.5) & skin_mask
    return out.astype(np.float32), Erythema(tuple(centre), float(radius), float(strength), truth)


def relight(rgb_lin, *, gains=(1.0, 1.0, 1.0), exposure: float = 1.0) -> np.ndarray:
    """Another light or exposure: per-channel gains on linear RGB (clipped at 1)."""
    g = np.asarray(gains, np.float32) * np.float32(exposure)
    return np.clip(rgb_lin * g, 0.0, 1.0).astype(np.float32)


def sensor_noise(rgb_lin, a: float, *, rng, smooth: float = 0.0) -> np.ndarray:
    """The scene with a camera's noise added in linear values, σ a + 5a·√x (read and shot
    noise: a photo taken in dim light has a larger ``a``), clipped to [0, 1].

    With ``smooth`` (pixels) the noise is blurred by a Gaussian of that σ, as a camera's
    demosaicing and denoising leave it, then scaled back to unit variance per pixel: the same
    σ, spread over blotches a few pixels wide."""
    x = np.clip(np.asarray(rgb_lin, np.float32), 0.0, 1.0)
    noise = rng.normal(0.0, 1.0, x.shape).astype(np.float32)
    if smooth:
        noise = cv2.GaussianBlur(noise, (0, 0), smooth)
        noise /= noise.std()
    return np.clip(x + noise * (a + 5 * a * np.sqrt(x)), 0.0, 1.0).astype(np.float32)


def turned(rgb_lin, *, degrees: float, zoom: float) -> np.ndarray:
    """The same scene photographed turned by ``degrees`` about the centre and ``zoom`` times
    closer (bicubic, edges reflected)."""
    h, w = rgb_lin.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, zoom)
    return cv2.warpAffine(rgb_lin, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def head_turned(rgb_lin, face, *, yaw: float = 0.0, pitch: float = 0.0) -> np.ndarray:
    """The same head turned by ``yaw`` and ``pitch`` degrees (about its landmarks' centre).

    The face's 478 landmarks, with MediaPipe's depth, are rotated and projected straight on
    (``face`` is a :class:`vision.landmarks.FaceLandmarks` of this image). The image follows
    piecewise linearly over the mesh, and outside it with the displacement of the nearest
    landmark fading out over 0.3 face widths, so that hair and background move with the
    outline (no doubled edge). The light turns with the head; what a turn hides is not
    hidden, and nothing new comes into view."""
    from scipy.interpolate import griddata

    pts = np.c_[face.points, face.depth]
    centre = pts.mean(axis=0)
    a, b = np.radians(yaw), np.radians(pitch)
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    dst = ((pts - centre) @ (rx @ ry).T + centre)[:, :2]
    h, w = rgb_lin.shape[:2]
    step = 4  # the displacement is smooth: found on a coarse grid, then resized
    gy, gx = np.mgrid[0:h:step, 0:w:step]
    back = face.points - dst  # at a destination point, where it comes from
    linear = np.stack([griddata(dst, back[:, k], (gx, gy)) for k in (0, 1)], axis=-1)
    nearest = np.stack([griddata(dst, back[:, k], (gx, gy), method="nearest")
                        for k in (0, 1)], axis=-1)  # fmt: skip
    inside = ~np.isnan(linear[..., 0])
    away = cv2.distanceTransform((~inside).astype(np.uint8), cv2.DIST_L2, 5) * step
    fade = np.exp(-((away / (0.3 * face.width)) ** 2))[..., None]
    field = np.where(inside[..., None], linear, nearest * fade).astype(np.float32)
    field = np.where(inside[..., None], field, cv2.GaussianBlur(field, (0, 0), 2.0))
    field = cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(rgb_lin.astype(np.float32), xx + field[..., 0], yy + field[..., 1],
                     cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)  # fmt: skip


def second_photo(rgb_lin, *, photo=photograph) -> np.ndarray:
    """Another photo of the same face, as a before/after pair's baseline: a little closer,
    turned and under warmer, dimmer light, made into a file by ``photo``."""
    moved = turned(rgb_lin, degrees=3.0, zoom=1.06)
    return photo(relight(moved, gains=(1.0, 0.95, 0.85), exposure=0.9))


def camera_frame(width=640, height=480) -> np.ndarray:
    """The astronaut's head filling a 640×480 frame: (H, W, 3) uint8 sRGB."""
    from skimage import data as skdata

    crop = skdata.astronaut()[0:270, 90:450]  # 4:3 around the face (a third of the width)
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)


def write_y4m(path: Path, rgb: np.ndarray, frames: int = 60) -> Path:
    """A Y4M (4:2:0, 30 fps) video of one still frame repeated, or of a (N, H, W, 3) stack of
    frames in turn (uint8 sRGB)."""
    stack = rgb[None] if rgb.ndim == 3 else rgb
    h, w = stack.shape[1:3]
    yuv = [cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2YUV_I420) for f in stack]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(frames):
            f.write(b"FRAME\n")
            f.write(yuv[i % len(yuv)].tobytes())
    return path
