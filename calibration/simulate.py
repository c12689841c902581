"""A physical simulator of phone photos of a product swatch next to a ColorChecker.

Test photos are rendered from spectra, as colour science does it: reflectance × illuminant ×
camera sensitivity, then a phone-like pipeline (imperfect white balance, a fixed colour
matrix fitted under D65, an S-shaped tone curve, noise, perspective, JPEG). The ground truth
is the product's CIELAB under D65 (CIE 1931 2°), which no step of the measurement sees.

Spectral data (ColorChecker reflectances, CIE illuminants, light sources, the Nikon 5100 and
Sigma SD Merrill sensitivities measured by the NPL) all ship with colour-science.

References
----------
.. [1] Finlayson, Mackiewicz, Hurlbert, "Color Correction Using Root-Polynomial Regression",
   IEEE TIP 24(5), 2015 (the simulated pipeline follows their camera model).
.. [2] Darrodi, Finlayson, Goodman, Mackiewicz, "Reference data set for camera spectral
   sensitivity estimation", JOSA A 32(3), 2015 (the NPL sensitivities).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np
from PIL import Image

from calibration.chart import GRID_CORNERS, chart_reference
from calibration.colorimetry import (
    XYZ_TO_SRGB,
    colour_science,
    rgb_lin_to_srgb,
    srgb_to_rgb_lin,
    xyz_to_lab,
)

__all__ = [
    "CAMERAS",
    "ILLUMINANT_FAMILIES",
    "PRODUCT_SHADES",
    "Scene",
    "SimulatedPhoto",
    "product_lab",
    "random_scene",
    "render_scene",
]

SHAPE = (380.0, 780.0, 5.0)
CAMERAS = ("Nikon 5100 (NPL)", "Sigma SDMerill (NPL)")

#: Illuminants by family: CIE names from colour-science's SDS_ILLUMINANTS, "CCT <K>" for a
#: CIE D-series daylight at that correlated colour temperature, "Planck <K>" for a blackbody.
ILLUMINANT_FAMILIES = {
    "daylight": ("D50", "D55", "D65", "D75", "CCT 4500", "CCT 6000", "CCT 8000"),
    "tungsten": ("A", "Planck 2700", "Planck 3000", "Planck 3300", "ISO 7589 Studio Tungsten"),
    "fluorescent": ("FL1", "FL2", "FL4", "FL7", "FL11", "FL12", "FL3.3", "FL3.8", "FL3.12"),
    "led": ("LED-B1", "LED-B3", "LED-B5", "LED-BH1", "LED-RGB1", "LED-V1", "LED-V2"),
}

#: Product reflectances, parametric: base + (top − base)·sigmoid((λ − λ0)/w) plus an optional
#: blue bump amp·exp(−((λ − λb)/σb)²). The shapes follow published lipstick and foundation
#: spectra (a red edge between 570 and 630 nm; pinks and berries reflect some blue).
PRODUCT_SHADES = {
    "classic red": dict(base=0.04, top=0.55, l0=605, w=10),
    "coral": dict(base=0.08, top=0.70, l0=585, w=14),
    "nude": dict(base=0.18, top=0.55, l0=575, w=40),
    "rose pink": dict(base=0.15, top=0.75, l0=590, w=15, amp=0.25, lb=440, sb=30),
    "berry": dict(base=0.03, top=0.35, l0=625, w=12, amp=0.10, lb=430, sb=30),
    "deep plum": dict(base=0.03, top=0.16, l0=630, w=15, amp=0.06, lb=420, sb=35),
    "mauve": dict(base=0.12, top=0.40, l0=590, w=25, amp=0.12, lb=450, sb=35),
    "brick": dict(base=0.05, top=0.32, l0=595, w=18),
    "foundation fair": dict(base=0.30, top=0.62, l0=590, w=40),
    "foundation medium": dict(base=0.15, top=0.45, l0=595, w=40),
    "foundation deep": dict(base=0.05, top=0.24, l0=600, w=45),
}


def wavelengths():
    return np.arange(SHAPE[0], SHAPE[1] + SHAPE[2] / 2, SHAPE[2])


def _align(sd):
    colour = colour_science()
    sd = sd.copy()
    sd.align(
        colour.SpectralShape(*SHAPE),
        extrapolator_kwargs={"method": "Constant", "left": 0.0, "right": 0.0},
    )
    return np.asarray(sd.values, dtype=np.float64)


def shade_reflectance(params: dict) -> np.ndarray:
    """Reflectance (n_wavelengths,) of a parametric shade, see :data:`PRODUCT_SHADES`."""
    lam = wavelengths()
    r = params["base"] + (params["top"] - params["base"]) / (
        1.0 + np.exp(-(lam - params["l0"]) / params["w"])
    )
    if params.get("amp"):
        r = r + params["amp"] * np.exp(-(((lam - params["lb"]) / params["sb"]) ** 2))
    return np.clip(r, 0.0, 1.0)


@cache
def _cmfs():
    colour = colour_science()
    return np.stack(
        [_align(sd) for sd in colour.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"].to_sds()],
        axis=-1,
    )


@cache
def illuminant_spd(name: str) -> np.ndarray:
    """Relative spectral power (n_wavelengths,) of an illuminant: a name of
    :data:`ILLUMINANT_FAMILIES`, any of colour-science's illuminants and light sources,
    ``"CCT <kelvin>"`` (a CIE daylight, 4000-25000 K) or ``"Planck <kelvin>"`` (a black
    body, 1000-25000 K).

    Raises
    ------
    ValueError
        Another name, or a temperature out of range.

    Examples
    --------
    >>> illuminant_spd("Planck 2700")[[0, -1]].round(3).tolist()  # 380 and 780 nm
    [0.027, 1.0]
    >>> illuminant_spd("candle")
    Traceback (most recent call last):
    ...
    ValueError: unknown illuminant 'candle'; expected one of D50, D55, D65, ...
    """
    colour = colour_science()
    kind, _, kelvin = name.partition(" ")
    if kind in ("CCT", "Planck"):
        low = 4000.0 if kind == "CCT" else 1000.0
        try:
            t = float(kelvin)
        except ValueError:
            t = float("nan")
        if not low <= t <= 25000.0:
            raise ValueError(f"expected {kind} <kelvin> from {low:.0f} to 25000; got {name!r}")
        if kind == "CCT":
            xy = colour.temperature.CCT_to_xy_CIE_D(t * 1.4388 / 1.4380)
            sd = colour.sd_CIE_illuminant_D_series(xy)
        else:
            sd = colour.sd_blackbody(t, colour.SpectralShape(*SHAPE))
    elif name in colour.SDS_ILLUMINANTS:
        sd = colour.SDS_ILLUMINANTS[name]
    elif name in colour.SDS_LIGHT_SOURCES:
        sd = colour.SDS_LIGHT_SOURCES[name]
    else:
        names = ", ".join(n for family in ILLUMINANT_FAMILIES.values() for n in family)
        raise ValueError(f"unknown illuminant {name!r}; expected one of {names}, another of "
                         "colour-science's illuminants or light sources, 'CCT <kelvin>' or "
                         "'Planck <kelvin>'")  # fmt: skip
    values = _align(sd)
    return values / values.max()


@cache
def camera_sensitivities(name: str) -> np.ndarray:
    """Spectral sensitivities (n_wavelengths, 3) of a camera of :data:`CAMERAS`."""
    colour = colour_science()
    if name not in CAMERAS:
        raise ValueError(f"unknown camera {name!r}; expected one of {list(CAMERAS)}")
    msds = colour.MSDS_CAMERA_SENSITIVITIES[name]
    return np.stack([_align(sd) for sd in msds.to_sds()], axis=-1)


@cache
def chart_reflectances() -> np.ndarray:
    """Reflectances (24, n_wavelengths) of a ColorChecker made to the default reference.

    colour-science ships spectra only for older charts (the BabelColor average of charts
    made before 2014), whose colours differ from X-Rite's post-2014 values by 0.8 ΔE00 at the
    median. A chart bought today is made to the newer values, so each BabelColor spectrum
    is multiplied by a smooth factor 1 + Σ cᵢ·x̄ᵢ(λ) (the CIE colour-matching functions,
    normalised) whose three coefficients make its D65 XYZ equal the default reference's.
    Per-chart production spread is added per scene (``Scene.chart_variation``).
    """
    colour = colour_science()
    base = np.stack([_align(sd) for sd in colour.SDS_COLOURCHECKERS["BabelColor Average"].values()])
    target = chart_reference().xyz
    basis = _cmfs() / _cmfs().max(axis=0)
    out = np.empty_like(base)
    for k in range(24):
        cols = np.stack([reflectance_to_xyz_d65(base[k] * basis[:, i]) for i in range(3)], axis=1)
        c = np.linalg.solve(cols, target[k] - reflectance_to_xyz_d65(base[k]))
        out[k] = np.clip(base[k] * (1.0 + basis @ c), 0.0, 1.0)
    return out


def reflectance_to_xyz_d65(reflectance: np.ndarray) -> np.ndarray:
    """CIE XYZ (D65, 2°, Y of the perfect diffuser = 1) of reflectances (..., n_wavelengths)."""
    e = illuminant_spd("D65")
    cmfs = _cmfs()
    k = 1.0 / (e @ cmfs[:, 1])
    return k * (np.asarray(reflectance) * e) @ cmfs


def product_lab(name: str) -> np.ndarray:
    """Ground-truth CIELAB (D65, 2°) of a product shade of :data:`PRODUCT_SHADES`."""
    return xyz_to_lab(reflectance_to_xyz_d65(shade_reflectance(PRODUCT_SHADES[name])))


def _camera_raw(reflectance, illuminant, camera):
    return (np.asarray(reflectance) * illuminant_spd(illuminant)) @ camera_sensitivities(camera)


@cache
def _phone_colour_matrix(camera: str) -> np.ndarray:
    """The phone's fixed camera→linear-sRGB matrix, fitted once on the chart under D65."""
    raw = _camera_raw(chart_reflectances(), "D65", camera)
    white = _camera_raw(np.ones_like(wavelengths()), "D65", camera)
    balanced = raw / white
    target = reflectance_to_xyz_d65(chart_reflectances()) @ XYZ_TO_SRGB.T
    m, *_ = np.linalg.lstsq(balanced, target, rcond=None)
    return m.T


@dataclass(frozen=True)
class Scene:
    """Everything that decides one simulated photo; ``random_scene`` draws them."""

    illuminant: str = "D65"
    camera: str = CAMERAS[0]
    product: str = "classic red"
    #: A shade given by reflectance parameters instead of a catalogue name.
    product_params: dict | None = None
    width: int = 1600
    height: int = 1200
    chart_width_px: float = 600.0
    chart_centre: tuple[float, float] = (0.62, 0.5)  # fractions of width, height
    chart_rotation_deg: float = 0.0
    tilt_deg: tuple[float, float] = (0.0, 0.0)  # about the chart's x and y axes
    mirrored: bool = False
    swatch_centre: tuple[float, float] = (0.2, 0.5)
    swatch_size_px: float = 220.0
    exposure: float = 0.8  # linear value of a perfect white after white balance
    wb_error: tuple[float, float] = (0.0, 0.0)  # relative error of the R and B gains
    tone_contrast: float = 1.15  # S-curve power in the encoded domain (1 = plain sRGB)
    noise: float = 2e-4  # shot noise variance per unit signal; read noise is 1/50 of it
    light_gradient: float = 0.0  # relative irradiance change across the frame width
    gradient_angle_deg: float = 0.0
    vignetting: float = 0.0  # relative fall-off at the corners
    specular: bool = False  # a highlight streak across the swatch
    distractors: int = 6  # loose coloured squares in the background
    chart_variation: float = 0.01  # relative reflectance spread of this chart's patches
    jpeg_quality: int = 90
    seed: int = 0


@dataclass(frozen=True)
class SimulatedPhoto:
    """A rendered photo and its ground truth."""

    jpeg: bytes = field(repr=False)
    srgb_u8: np.ndarray = field(repr=False)
    roi: tuple[int, int, int, int]
    chart_corners: np.ndarray  # (4, 2) image xy of the patch grid's outer corners, chart order
    product_lab: np.ndarray  # (3,), CIELAB D65
    scene: Scene


def _scene_reflectance(scene: Scene) -> np.ndarray:
    if scene.product_params is not None:
        return shade_reflectance(scene.product_params)
    if scene.product not in PRODUCT_SHADES:
        raise ValueError(
            f"unknown product {scene.product!r}; expected one of {list(PRODUCT_SHADES)}"
        )
    return shade_reflectance(PRODUCT_SHADES[scene.product])


# Chart geometry in units of the patch pitch: the grid spans 6 × 4 units, each patch is
# a square of side PATCH_SIDE centred in its cell, and the black body extends BODY_MARGIN.
PATCH_SIDE = 0.82
BODY_MARGIN = 0.3
BODY_REFLECTANCE = 0.03


def _chart_homography(scene: Scene) -> np.ndarray:
    """3×3 homography from chart units (grid corner at 0, 0) to image pixels."""
    w_units = 6 + 2 * BODY_MARGIN
    scale = scene.chart_width_px / w_units
    # Chart plane centred at the origin, in pixels, then tilted in 3-D and projected.
    pts = GRID_CORNERS - [3, 2]
    if scene.mirrored:
        pts[:, 0] = -pts[:, 0]
    pts3 = np.c_[pts * scale, np.zeros(4)]
    ax, ay = np.radians(scene.tilt_deg)
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    t = np.radians(scene.chart_rotation_deg)
    rz = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    p = pts3 @ (rz @ ry @ rx).T
    f = 1.2 * max(scene.width, scene.height)  # about a 45° field of view, like a phone
    z = f + p[:, 2]
    img = np.c_[p[:, 0] * f / z, p[:, 1] * f / z]
    img += [scene.chart_centre[0] * scene.width, scene.chart_centre[1] * scene.height]
    return cv2.getPerspectiveTransform(GRID_CORNERS.astype(np.float32), img.astype(np.float32))


def render_scene(scene: Scene) -> SimulatedPhoto:
    """Render one photo of a product swatch beside a ColorChecker.

    Parameters
    ----------
    scene : Scene

    Returns
    -------
    SimulatedPhoto
        ``srgb_u8`` is the decoded JPEG, ``roi`` an axis-aligned box inside the swatch.
    """
    rng = np.random.default_rng(scene.seed)
    h, w = scene.height, scene.width
    camera, light = scene.camera, scene.illuminant

    # Background: a smooth field of muted chart-like colours.
    chart_r = chart_reflectances()
    mix = rng.dirichlet(np.ones(24) * 0.3, size=(4, 5)) @ chart_r
    bg_refl = 0.25 + 0.5 * mix
    bg_raw = _camera_raw(bg_refl, light, camera).astype(np.float32)
    raw = cv2.resize(bg_raw, (w, h), interpolation=cv2.INTER_CUBIC)
    raw = np.clip(raw, 1e-4, None)
    tex = rng.normal(1.0, 0.03, size=(h // 8 + 1, w // 8 + 1)).astype(np.float32)
    raw *= cv2.resize(tex, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]

    # Distractors: loose squares of chart colours, never arranged as a chart.
    for _ in range(scene.distractors):
        side = rng.uniform(0.02, 0.06) * w
        cx, cy = rng.uniform(0.05, 0.95) * w, rng.uniform(0.05, 0.95) * h
        ang = rng.uniform(0, 90)
        box = cv2.boxPoints(((cx, cy), (side, side), ang)).astype(np.int32)
        colour_raw = _camera_raw(chart_r[rng.integers(24)], light, camera)
        mask = np.zeros((h, w), np.uint8)
        cv2.fillConvexPoly(mask, box, 1)
        raw[mask.astype(bool)] = colour_raw

    # The chart, rendered in its own plane at the image's scale, then warped.
    H = _chart_homography(scene)
    ppu = max(8.0, scene.chart_width_px / (6 + 2 * BODY_MARGIN))
    pw, ph = int(np.ceil((6 + 2 * BODY_MARGIN) * ppu)), int(np.ceil((4 + 2 * BODY_MARGIN) * ppu))
    plane = np.empty((ph, pw, 3), np.float32)
    plane[:] = _camera_raw(np.full(wavelengths().shape, BODY_REFLECTANCE), light, camera)
    # This particular chart: production spread around the nominal reflectances.
    chart_refl = chart_r * (1.0 + scene.chart_variation * rng.standard_normal((24, 1)))
    patch_raw = _camera_raw(chart_refl, light, camera)
    half = PATCH_SIDE / 2
    for k in range(24):
        r, c = divmod(k, 6)
        x0 = (BODY_MARGIN + c + 0.5 - half) * ppu
        y0 = (BODY_MARGIN + r + 0.5 - half) * ppu
        x1, y1 = x0 + PATCH_SIDE * ppu, y0 + PATCH_SIDE * ppu
        plane[int(round(y0)) : int(round(y1)), int(round(x0)) : int(round(x1))] = patch_raw[k]
    to_units = np.array([[1 / ppu, 0, -BODY_MARGIN], [0, 1 / ppu, -BODY_MARGIN], [0, 0, 1]])
    M = H @ to_units
    warped = cv2.warpPerspective(plane, M, (w, h), flags=cv2.INTER_LINEAR)
    cover = cv2.warpPerspective(np.ones((ph, pw), np.float32), M, (w, h), flags=cv2.INTER_LINEAR)
    raw = raw * (1 - cover[..., None]) + warped

    # The product swatch: a painted card, slightly rotated, with a little texture.
    prod_raw = _camera_raw(_scene_reflectance(scene), light, camera).astype(np.float32)
    sx, sy = scene.swatch_centre[0] * w, scene.swatch_centre[1] * h
    side = scene.swatch_size_px
    ang = float(rng.uniform(-8, 8))
    box = cv2.boxPoints(((sx, sy), (side, side * 0.8), ang)).astype(np.float32)
    mask = np.zeros((h, w), np.float32)
    cv2.fillConvexPoly(
        mask, np.round(box * 16).astype(np.int32), 1.0, lineType=cv2.LINE_AA, shift=4
    )
    grain = rng.normal(1.0, 0.02, size=(h, w)).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), 1.5)
    swatch = prod_raw[None, None, :] * grain[..., None]
    if scene.specular:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        d = np.abs((xx - sx) * 0.6 + (yy - sy) * 0.8 - side * 0.15)
        streak = np.exp(-((d / (side * 0.03)) ** 2)) * 0.8
        white_raw = _camera_raw(np.ones_like(wavelengths()), light, camera)
        swatch = swatch + streak[..., None] * white_raw
    raw = raw * (1 - mask[..., None]) + swatch * mask[..., None]
    q = side * 0.28
    roi = (int(sx - q), int(sy - q * 0.8), int(2 * q), int(2 * q * 0.8))

    # Irradiance field: a linear gradient and a vignette.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    g = np.radians(scene.gradient_angle_deg)
    u = ((xx - w / 2) * np.cos(g) + (yy - h / 2) * np.sin(g)) / w
    field_ = 1.0 + scene.light_gradient * u
    r2 = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
    field_ *= 1.0 - scene.vignetting * r2
    raw *= field_[..., None]

    # Exposure and sensor noise (shot + read), in raw camera units.
    white_raw = _camera_raw(np.ones_like(wavelengths()), light, camera)
    raw = raw * (scene.exposure / white_raw[1])
    sigma = np.sqrt(np.clip(raw, 0, None) * scene.noise + scene.noise / 50.0)
    raw = raw + rng.standard_normal(raw.shape).astype(np.float32) * sigma.astype(np.float32)

    # Phone pipeline: white balance from a grey-world-like estimate with an error, fixed matrix.
    gains = white_raw[1] / white_raw
    gains = gains * np.array([1 + scene.wb_error[0], 1.0, 1 + scene.wb_error[1]])
    rgb_lin = (raw * gains.astype(np.float32)) @ _phone_colour_matrix(camera).T.astype(np.float32)
    srgb = rgb_lin_to_srgb(np.clip(rgb_lin, 0.0, 1.0))
    p = scene.tone_contrast
    srgb = srgb**p / (srgb**p + (1 - srgb) ** p)
    srgb_u8 = np.round(np.clip(srgb, 0, 1) * 255).astype(np.uint8)

    buf = io.BytesIO()
    Image.fromarray(srgb_u8).save(buf, format="JPEG", quality=scene.jpeg_quality)
    jpeg = buf.getvalue()
    decoded = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))

    corners = cv2.perspectiveTransform(GRID_CORNERS[None], H)[0]
    truth = xyz_to_lab(reflectance_to_xyz_d65(_scene_reflectance(scene)))
    return SimulatedPhoto(jpeg, decoded, roi, corners, truth, scene)


def random_scene(seed: int, **overrides) -> Scene:
    """Draw a plausible phone capture: any illuminant family, either camera, any shade.

    Parameters
    ----------
    seed : int
        The same seed gives the same scene.
    **overrides
        Scene fields to force (e.g. ``illuminant="A"``).
    """
    rng = np.random.default_rng(seed)
    family = list(ILLUMINANT_FAMILIES)[rng.integers(len(ILLUMINANT_FAMILIES))]
    names = ILLUMINANT_FAMILIES[family]
    width, height = 1600, 1200
    chart_w = float(rng.uniform(0.3, 0.5) * width)
    values = dict(
        illuminant=names[rng.integers(len(names))],
        camera=CAMERAS[rng.integers(len(CAMERAS))],
        product=list(PRODUCT_SHADES)[rng.integers(len(PRODUCT_SHADES))],
        width=width,
        height=height,
        chart_width_px=chart_w,
        chart_centre=(float(rng.uniform(0.58, 0.68)), float(rng.uniform(0.4, 0.6))),
        chart_rotation_deg=float(90 * rng.integers(4) + rng.uniform(-10, 10)),
        tilt_deg=(float(rng.uniform(-25, 25)), float(rng.uniform(-25, 25))),
        swatch_centre=(float(rng.uniform(0.16, 0.22)), float(rng.uniform(0.35, 0.65))),
        swatch_size_px=float(rng.uniform(0.12, 0.18) * width),
        exposure=float(rng.uniform(0.6, 0.9)),
        wb_error=(float(rng.normal(0, 0.06)), float(rng.normal(0, 0.06))),
        tone_contrast=float(rng.uniform(1.0, 1.3)),
        noise=float(10 ** rng.uniform(-4.5, -3.3)),
        light_gradient=float(rng.uniform(0.0, 0.06)),
        gradient_angle_deg=float(rng.uniform(0, 360)),
        vignetting=float(rng.uniform(0.0, 0.1)),
        specular=bool(rng.random() < 0.3),
        jpeg_quality=int(rng.integers(80, 96)),
        seed=int(seed),
    )
    values.update(overrides)
    return Scene(**values)


def _s15f16(v: float) -> bytes:
    return int(round(v * 65536)).to_bytes(4, "big", signed=True)


def matrix_trc_icc_profile(primaries_xy, description: str) -> bytes:
    """A minimal ICC v2 display profile (matrix + sRGB tone curve), as phones embed.

    Parameters
    ----------
    primaries_xy : (3, 2) float, the R, G, B chromaticities (white is D65)
    description : str, the profile description (e.g. ``"Display P3"``)

    Returns
    -------
    bytes
        A profile LittleCMS reads; colorants are Bradford-adapted to the D50 PCS
        (ICC.1:2001-04, clause 6.3 and annex E).
    """
    colour = colour_science()
    prim = np.asarray(primaries_xy, float)
    xyz = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in prim]).T
    white = colour.xy_to_XYZ(np.array([0.3127, 0.3290]))
    m = xyz * np.linalg.solve(xyz, white)
    d50 = np.array([0.9642, 1.0, 0.8249])
    cat = colour.adaptation.matrix_chromatic_adaptation_VonKries(white, d50, "Bradford")
    m50 = cat @ m

    def xyz_tag(v):
        return b"XYZ " + bytes(4) + b"".join(_s15f16(c) for c in v)

    def desc_tag(text):
        a = text.encode("ascii") + b"\0"
        return (
            b"desc"
            + bytes(4)
            + len(a).to_bytes(4, "big")
            + a
            + bytes(4)
            + bytes(4)
            + bytes(2)
            + bytes(1)
            + bytes(67)
        )

    lut = np.round(srgb_to_rgb_lin(np.linspace(0, 1, 1024)) * 65535).astype(">u2").tobytes()
    curve = b"curv" + bytes(4) + (1024).to_bytes(4, "big") + lut
    tags = [
        (b"desc", desc_tag(description)),
        (b"wtpt", xyz_tag(d50)),
        (b"rXYZ", xyz_tag(m50[:, 0])),
        (b"gXYZ", xyz_tag(m50[:, 1])),
        (b"bXYZ", xyz_tag(m50[:, 2])),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text" + bytes(4) + b"hueproof test profile\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        pad = (-len(data)) % 4
        table += sig + (offset + len(body)).to_bytes(4, "big") + len(data).to_bytes(4, "big")
        body += data + bytes(pad)
    size = offset + len(body)
    header = (
        size.to_bytes(4, "big") + bytes(4) + bytes([2, 0x40, 0, 0]) + b"mntrRGB XYZ "
        + bytes(12) + b"acsp" + bytes(4) + bytes(4) + bytes(4) + bytes(4) + bytes(8)
        + bytes(4) + b"".join(_s15f16(c) for c in d50) + bytes(4) + bytes(16) + bytes(28)
    )  # fmt: skip
    assert len(header) == 128
    return header + len(tags).to_bytes(4, "big") + table + body
