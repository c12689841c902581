"""Redness of skin: haemoglobin separated from melanin and shading, relative to the person's skin.

Skin colour is, to first order, light attenuated by two pigments: melanin (in the epidermis)
and haemoglobin (in the dermal blood). In optical density (OD = −ln of linear RGB) their
effects add, each along a fixed direction, while shading and exposure add the same amount to
every channel. Projecting OD onto (melanin, haemoglobin, shading) therefore separates redness
from freckles, tan and shadows (Tsumura et al. 2003). The directions are derived from the
pigments' absorption spectra through a two-layer skin model and sRGB (see
:func:`pigment_vectors`).

The result is evidence for a human reviewer, not a diagnosis.

References
----------
.. [1] N. Tsumura, N. Ojima, K. Sato, M. Shiraishi, H. Shimizu, H. Nabeshima, S. Akazaki,
   K. Hori, Y. Miyake, "Image-based skin color and texture analysis/synthesis by extracting
   hemoglobin and melanin information in the skin", ACM Transactions on Graphics 22(3),
   770-779, 2003.
.. [2] S. L. Jacques, "Skin optics", Oregon Medical Laser Center News, 1998 (melanin
   absorption ∝ λ^-3.46).
.. [3] S. Prahl, "Tabulated molar extinction coefficient for hemoglobin in water", Oregon
   Medical Laser Center, 1999 (compiled from W. B. Gratzer and N. Kollias); selected values.
.. [4] J. B. Dawson et al., "A theoretical and experimental study of light absorption and
   scattering by in vivo skin", Phys. Med. Biol. 25(4), 695-709, 1980 (the erythema index,
   log of red over green reflectance: the ``erythema_index`` baseline).
.. [5] S. L. Jacques, "Optical properties of biological tissues: a review", Phys. Med. Biol.
   58(11), R37-R61, 2013.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np

from calibration.colorimetry import (
    colour_science,
    delta_e00,
    lab_to_xyz,
    rgb_lin_to_xyz,
    xyz_to_lab,
    xyz_to_rgb_lin,
)

__all__ = [
    "REDNESS_METHODS",
    "DetectionLimit",
    "RednessResult",
    "ZoneRedness",
    "detection_limit",
    "haemoglobin_map",
    "patch_profile",
    "patch_response",
    "pigment_vectors",
    "redness_map",
    "skin_of_densities",
    "skin_pixels",
    "typical_skin",
]

#: Oxy-haemoglobin molar extinction (cm⁻¹/M) at selected wavelengths, from Prahl's table [3].
HBO2_EXTINCTION = {
    400: 266232, 414: 524280, 420: 480360, 430: 214120, 440: 103292, 450: 62816,
    460: 44480, 480: 26629, 500: 20932, 520: 24202, 540: 53236, 542: 53788, 560: 32613,
    576: 55540, 580: 50104, 590: 14400, 600: 3200, 620: 942, 650: 368, 700: 290,
}  # fmt: skip
#: Eumelanin absorption exponent, μa ∝ λ^-3.46 (Jacques 1998 [2]).
MELANIN_EXPONENT = 3.46
#: Floor of linear RGB before the logarithm (8-bit black is ~0.0003 linear).
OD_FLOOR = 1e-3


#: Two-layer skin model (Jacques 2013 [5]): dermis reduced scattering
#: μs′ = 45.3·(λ/500 nm)^−1.292 cm⁻¹, eumelanin μa = 519·(λ/500 nm)^−3.5 cm⁻¹ (volume
#: fraction 1), baseline dermal absorption 0.2 cm⁻¹; whole blood 150 g/L haemoglobin (64 500
#: g/mol). Operating point of a light skin: 2 % melanin in a 60 µm epidermis, 2 % blood.
DERMIS_MUS = (45.3, 1.292)
MELANIN_MUA = (519.0, 3.5)
BASE_MUA = 0.2
BLOOD_HB_G_PER_L, HB_G_PER_MOL = 150.0, 64500.0
EPIDERMIS_CM, MELANIN_FRACTION, BLOOD_FRACTION = 0.006, 0.02, 0.02
#: Diffuse reflectance of a semi-infinite turbid medium, R = exp(−A·sqrt(3·μa/μs′))
#: (diffusion approximation, Jacques 2013 [5]); A chosen so that R(650 nm) ≈ 0.6.
DIFFUSION_A = 3.4


def skin_reflectance(lam, *, melanin=MELANIN_FRACTION, blood=BLOOD_FRACTION):
    """Model reflectance of skin at wavelengths ``lam`` (nm), see the constants above."""
    wl = np.array(sorted(HBO2_EXTINCTION), float)
    ext = np.array([HBO2_EXTINCTION[int(w)] for w in wl], float)
    eps = np.exp(np.interp(lam, wl, np.log(ext)))
    mua_blood = np.log(10) * eps * BLOOD_HB_G_PER_L / HB_G_PER_MOL
    mus = DERMIS_MUS[0] * (lam / 500.0) ** -DERMIS_MUS[1]
    mua_mel = MELANIN_MUA[0] * (lam / 500.0) ** -MELANIN_MUA[1]
    dermis = np.exp(-DIFFUSION_A * np.sqrt(3.0 * (blood * mua_blood + BASE_MUA) / mus))
    epidermis = np.exp(-2.0 * EPIDERMIS_CM * melanin * mua_mel)
    return epidermis * dermis


@cache
def pigment_vectors() -> tuple[np.ndarray, np.ndarray]:
    """Unit OD directions (linear sRGB) of melanin and haemoglobin.

    The two-layer skin model (:func:`skin_reflectance`) is seen under D65 through the CIE
    1931 observer and sRGB; a small increase of melanin, then of blood, changes −ln(linear
    sRGB) along the pigment's direction. Blue light is remitted from shallow skin, so the
    Soret band of haemoglobin matters far less than a single Beer-Lambert pass would say.

    Returns
    -------
    melanin, haemoglobin : (3,) float64 unit vectors, R, G, B

    Examples
    --------
    >>> melanin, haemoglobin = pigment_vectors()
    >>> np.round(melanin, 3).tolist(), np.round(haemoglobin, 3).tolist()
    ([0.236, 0.489, 0.84], [0.087, 0.684, 0.724])
    """
    from calibration.colorimetry import XYZ_TO_SRGB

    colour = colour_science()
    shape = colour.SpectralShape(400, 700, 5)
    lam = np.arange(400, 701, 5, dtype=float)
    cmfs = colour.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"].copy().align(shape).values
    d65 = colour.SDS_ILLUMINANTS["D65"].copy().align(shape).values

    def od(refl):
        xyz = (refl * d65) @ cmfs / (d65 @ cmfs[:, 1])
        return -np.log(xyz @ XYZ_TO_SRGB.T)

    base = od(skin_reflectance(lam))
    v_mel = od(skin_reflectance(lam, melanin=MELANIN_FRACTION * 1.05)) - base
    v_hb = od(skin_reflectance(lam, blood=BLOOD_FRACTION * 1.05)) - base
    return v_mel / np.linalg.norm(v_mel), v_hb / np.linalg.norm(v_hb)


def _od(rgb_lin):
    return -np.log(np.clip(np.asarray(rgb_lin, dtype=np.float32), OD_FLOOR, None))


def haemoglobin_map(rgb_lin):
    """Haemoglobin, melanin and shading densities of every pixel.

    The directions are the model's (:func:`pigment_vectors`), the same for every photo: a
    per-image refinement (the main skin variation taken as melanin, as Tsumura et al. find
    both per image) was measured on the test set and made the single-photo map worse (more
    false positives), so it is not used.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB

    Returns
    -------
    hb, mel, shade : (H, W) float32 each

    Examples
    --------
    A pixel of skin, the same skin with 0.2 OD more haemoglobin, and in a shadow at half the
    light:

    >>> skin = np.array([[[0.45, 0.25, 0.18]]], np.float32)
    >>> _, v_hb = pigment_vectors()
    >>> redder = skin * np.exp(-0.2 * v_hb).astype(np.float32)
    >>> hb, mel, shade = haemoglobin_map(np.concatenate([skin, redder, skin / 2], axis=1))
    >>> np.round((hb - hb[0, 0]).astype(float), 3).tolist()
    [[0.0, 0.2, 0.0]]
    >>> np.round((shade - shade[0, 0]).astype(float), 3).tolist()  # ln 2
    [[0.0, 0.0, 0.693]]
    >>> bool(np.allclose(mel, mel[0, 0], atol=1e-5))
    True
    """
    od = _od(rgb_lin)
    v_mel, v_hb = pigment_vectors()
    basis = np.stack([v_mel, v_hb, np.ones(3)], axis=1)  # OD = basis @ (mel, hb, shade)
    inv = np.linalg.inv(basis).astype(np.float32)
    comps = od @ inv.T
    return comps[..., 1], comps[..., 0], comps[..., 2]


def _a_star(rgb_lin, skin_mask):
    return xyz_to_lab(rgb_lin_to_xyz(np.asarray(rgb_lin, np.float32)))[..., 1] / 20.0


def _erythema_index(rgb_lin, skin_mask):
    od = _od(rgb_lin)
    return od[..., 1] - od[..., 0]  # log(R / G), Dawson et al. 1980


def _tsumura(rgb_lin, skin_mask):
    return haemoglobin_map(rgb_lin)[0]


#: Redness estimators: name → function(rgb_lin, skin_mask) returning a (H, W) map in which
#: larger means redder. The main method and two simple baselines for the benchmark.
REDNESS_METHODS = {
    "tsumura": _tsumura,
    "a_star": _a_star,
    "erythema_index": _erythema_index,
}


@dataclass(frozen=True)
class ZoneRedness:
    """Redness in one zone: flagged area fraction, mean and peak excess (in skin σ units), and
    the share of the flagged area lying in folds or shadows (:func:`shaded_skin`; None when
    not measured: a pair's change, the simple baselines)."""

    area_fraction: float
    mean_excess: float
    peak_excess: float
    pixels: int
    shaded_fraction: float | None = None

    def to_dict(self) -> dict:
        out = {
            "area_fraction": round(self.area_fraction, 4),
            "mean_excess": round(self.mean_excess, 3),
            "peak_excess": round(self.peak_excess, 3),
            "pixels": self.pixels,
        }
        if self.shaded_fraction is not None:
            out["shaded_fraction"] = round(self.shaded_fraction, 3)
        return out


@dataclass(frozen=True)
class DetectionLimit:
    """The weakest redness an analysis could have found, so that "nothing flagged" has a
    meaning: a round patch of :data:`REFERENCE_RADIUS` face widths, on this person's typical
    skin in this photo, is found from about this haemoglobin density at its centre. Weaker or
    smaller patches cannot be told from the person's own skin; larger ones can be found a
    little weaker. The skin's own blotches add to a patch or take away: on the test set
    (benchmarks/bench_redness.py, 50 patches in five zones of ten faces), single photos at
    0.75 / 1 / 1.33 times their limit were found 18 / 39 / 50 times, before/after pairs 7 /
    32 / 50 times (session 27's run; an earlier note said 14 at 0.75).

    ``a_star`` and ``delta_e00`` say what the density does to the person's median skin colour
    (CIELAB a* units, and CIEDE2000 against the skin itself).
    """

    haemoglobin_od: float
    a_star: float
    delta_e00: float
    patch_radius: float  # face widths

    def to_dict(self) -> dict:
        return {
            "haemoglobin_od": round(self.haemoglobin_od, 3),
            "a_star": round(self.a_star, 2),
            "delta_e00": round(self.delta_e00, 2),
            "patch_diameter_face_widths": round(2 * self.patch_radius, 3),
        }


@dataclass(frozen=True)
class RednessResult:
    """A redness analysis.

    ``excess`` is in units of the skin's own robust spread (0 = the person's typical skin);
    ``mask`` flags regions whose excess passed the hysteresis thresholds and minimum area.
    """

    excess: np.ndarray = field(repr=False)
    mask: np.ndarray = field(repr=False)
    zones: dict
    method: str
    baseline: float
    spread: float
    detection_limit: DetectionLimit | None = None
    #: skin in folds or shadows (:func:`shaded_skin`); None where not measured
    shaded: np.ndarray | None = field(default=None, repr=False)

    @property
    def shaded_fraction(self) -> float | None:
        """The share of the flagged area lying in folds or shadows."""
        return shaded_share(self.mask, self.shaded)

    def to_dict(self) -> dict:
        out = {
            "method": self.method,
            "zones": {k: v.to_dict() for k, v in self.zones.items()},
            "flagged_fraction": round(float(self.mask.mean()), 5),
        }
        if self.detection_limit is not None:
            out["detection_limit"] = self.detection_limit.to_dict()
        if self.shaded_fraction is not None:
            out["shaded_fraction"] = round(self.shaded_fraction, 3)
        return out


#: Hysteresis thresholds on the excess (skin σ units), the minimum flagged area as a fraction
#: of the skin area, and the scales of the smoothings as fractions of the face width: a small
#: one against pores and noise (the outline is drawn at this scale), one at about two thirds
#: of the radius of the smallest patch worth reporting (a single photo's regions are detected
#: at this scale, where the skin's own blotchiness is weaker than a patch), a large one for
#: the person's own local skin level (naturally rosier cheeks are not an excess). Chosen on
#: the astronaut test set (benchmarks/bench_redness.py, a grid over the detection scale,
#: background scale and threshold): detecting at the fine scale with 3.5σ against a 0.2 W
#: background gave mean IoU 0.46 and up to 2.7 % of skin flagged on unmodified faces; at
#: 0.04 W with 3σ against 0.1 W, 0.60 and none, also on a face size and patch shapes held out
#: of the choice (``--held-out``). Before/after compares two photos of the same skin, with
#: its own detection scale and threshold (vision/beforeafter.py). Lower detection thresholds
#: buy weak patches with false positives (the face's own perinasal and cheek redness): at
#: 2.5σ, 30 of 50 patches of 0.2 OD found and 0.84 % of unmodified skin flagged on average
#: (1.32 % worst), at 2.25σ 33 of 50 and 2.28 % (3σ: 10 of 50 and none). Standardising per zone
#: instead of over the whole skin lets a patch widen its own zone's spread: 13 of 50 found
#: even at 0.5 OD. A second, finer detection band (0.025 W against a 0.05 W background, whose
#: robust σ is half as large against a patch) united with this one: 25 of 50 at 4σ but 0.24 %
#: of unmodified skin flagged on average (1.31 % worst), no more patches than alone from
#: 4.5σ up: the false positives come from the tail of the face's own blotches, not its σ.
#: Why 0.2 OD patches stay below it (session 5, the benchmark's 50 cases): a 0.2 OD patch of
#: radius 0.06 W raises the detection band by only 0.070-0.085 OD at its peak (the 0.04 W
#: blur keeps about 0.6 of a disc that size and the 0.1 W level takes 0.17 back, computed),
#: 1.6-1.9σ of the face's own band (robust σ 0.043-0.045 OD); with the face's blotches the
#: patches' peaks reach 1.7-3.4σ (median 2.6), while the unmodified faces' own maxima reach
#: 2.49-2.79σ: no threshold on this band finds 90 % of them without flagging clean skin.
#: The same thin margin makes a single photo's clean skin fragile (session 6): whatever adds
#: blotches can push the face's own perinasal maxima over 3σ. As JPEG files of quality 90,
#: 85 or 80, one unmodified face of ten is flagged on 0.96-1.36 % of its skin (none at 92 and
#: above: vision/quality.py's compression gate); with sensor noise (σ 0.004 + 0.02·√x in
#: linear values, then JPEG 97) two faces are flagged on 1.04 % and 1.12 %, none with half
#: that noise or with more (0.008 + 0.03·√x): chance, not the noise's level.
#: A local level that leaves out what stands above it (session 6; σ-clipped like an
#: astronomer's sky background: one pass, the pixels more than 1.5 robust σ above the first
#: level dropped) keeps a patch from lifting its own level, and lifts the skin's own blotches
#: as much: the unmodified faces' maxima rise to 2.87-3.45σ (all three face sizes). In
#: place of the 0.1 W level at 3.5σ: 18 of 50 patches of 0.2 OD found instead of 10, 48
#: instead of 50 at 0.35 OD, mean IoU 0.599, nothing flagged, cheek-wide (0.15 W) IoU 0.539
#: → 0.667 and 15 → 25 of 25 found at 0.35 OD; but the threshold then sits 0.05σ above the
#: held-out face's own maximum (3.45σ), and at 3.25σ 0.92 % of clean skin is flagged. United
#: with the present bands as a third detection at 3.75σ (1.09× that maximum, the present
#: margin being 1.04×): cheek-wide 0.670-0.681 (25 of 25) but the main table 0.600 →
#: 0.585-0.588, the union widening 0.35 OD outlines (IoU 0.80 → 0.74-0.76). Not adopted.
#: The person's other side as the reference (session 7; a dermatologist compares a reaction
#: with the same place on the other cheek): the photo mirrored, landmarks found on the
#: mirror, warped back along the mesh (vision/beforeafter.py's warp) and subtracted, then the
#: same bands. Its spread is half the present band's (0.021-0.022 against 0.044 OD), but the
#: astronaut's face is neither frontal nor evenly lit: the unmodified faces' maxima reach
#: 4.5-4.6σ beside the nose (face width 225 px, two skin tones; 13-18σ before the hair on
#: the mirrored side was left out), while 0.2 OD patches peak at 2.5-3.5σ on the cheeks,
#: 3.7-3.9σ on the forehead, 2.3σ on the chin and 0.2-0.8σ on the nose (a patch on the
#: midline is its own mirror). Not adopted.
#: The best linear filter of this kind (session 7): a Fisher discriminant over the
#: haemoglobin map smoothed at ten scales (0.012-0.3 W), weights C⁻¹s from the clean skin's
#: covariance C (ten benchmark faces) and the reference patch's responses s. It doubles the
#: Gaussian signal-to-noise ratio (9.6 → 18.7 per OD) but the clean skin's tail grows with it
#: (maxima 4.4-5.8σ instead of 2.5-2.9σ): the density at which a patch alone reaches the
#: clean face's maximum falls from 0.26-0.31 OD to 0.21-0.26 (with a ridge of 3 % of the
#: mean variance, median 0.21 and worst 0.245; on the held-out face size 3.2, 0.215 and
#: 0.242), so 0.2 OD stays at or under the skin's own maxima, and the weights would be one
#: person's texture. Not adopted.
#: On people the thresholds were not chosen on (session 9; vision/people, four photos of two
#: men, benchmarks/bench_redness.py): unmodified skin is flagged on 1.06-4.30 % of the skin
#: (every photo), beside the nose, in the smile's folds, under the nose and the eyes; the
#: 0.35 and 0.5 OD patches are found 9 and 11 times of 20, the astronaut's 50 of 50. Their
#: skin's maxima reach 3.3-5.3σ of this band (the astronaut's 2.5-2.8σ). Measured (a separate
#: script, NumPy path), none adopted: a higher threshold (3.5 / 4 / 4.5 / 5 / 5.5σ: flagged
#: 2.36 / 2.17 / 1.28 / 0.54 / 0 % on average, 0.5 OD patches found 11 / 9 / 7 / 5 / 2 of
#: 20; on the astronaut 0.35 OD found 34 / 11 / 7 / 0 of 50 from 3.5σ); leaving out the sides
#: of the nose, the underside of its tip and the lower eyelids (landmark polygons, 11 % of
#: the skin: 1.60-2.81 % still flagged, at the polygons' edges and elsewhere); haemoglobin
#: made uncorrelated with melanin and shading per photo (a trimmed regression at the
#: detection scale: the held-out faces' flags 0.92-4.86 %, the astronaut's unmodified faces
#: 1.36-3.68 % instead of none); and leaving out regions darker than their surroundings
#: (15 of the 18 regions flagged on the clean photos are darker than their surroundings: at
#: 0.04 OD 3.20 → 1.22 % on average, but a tenth of every face's skin is more than 0.1 OD
#: darker than its surroundings, the astronaut's forehead under her fringe 0.06-0.14, and a
#: 0.6 OD reaction there went unflagged). Session 10: with shading alone (the same regression
#: at the detection scale, slopes −0.06 to −0.09) 0.5 OD patches are found 17 of 20 times,
#: but clean skin is flagged 3.67 % on average instead of 3.20 (obama3.jpg 1.06 → 3.84 %).
#: Nor are the flags where faces are red by nature alone: the clean photos' excess maps,
#: warped onto one face, correlate r 0.26-0.50 between photos of the same man and 0.19-0.55
#: between different people, and their regions above 2σ overlap (Jaccard) 0.04-0.27, so a
#: map of where faces are red, learned from a few photos, would not remove them; the photo
#: (expression, light) matters as much as the person. A single photo's flags are therefore
#: evidence for a reviewer that includes the person's natural redness and the photo's folds;
#: a baseline photo separates them (claims/policy.py says so).
DETECT_THRESHOLD = 3.0
LOW_THRESHOLD = 2.0
MIN_AREA_FRACTION = 0.002
SMOOTH_FRACTION = 0.012
DETECT_FRACTION = 0.04
BACKGROUND_FRACTION = 0.1
#: Folds and shadows, reported, never left out: a single photo's flags on people the
#: thresholds were not chosen on lie mostly there (above), and so does a reaction under a
#: fringe, which leaving them out lost (session 9). Skin whose smoothed shading density is
#: more than SHADED_OD above the person's local level counts as shaded, and every zone
#: reports the share of its flagged area lying in it (benchmarks/bench_redness.py, "folds
#: and shadows", session 10): of the held-out people's unmodified skin flagged, 54 / 50 / 99 /
#: 100 % lies there (obama.jpg, obama2.jpg, obama3.jpg, biden.jpg; ONNX path 54 / 52 / 99 /
#: 100); of the patches' flagged area (patches at zone centres, which are lit), 5 % on
#: average, 27 % at worst on those photos and 39 % on the astronaut test set; 31 % and 27 %
#: of all their skin lies there. With 0.02 or 0.06 OD instead (a separate script): 62 / 53 /
#: 100 / 100 and 48 / 49 / 99 / 99 % of the flags, 6-7 and 3-5 % of the patches.
SHADED_OD = 0.04
#: A second pair of scales for reactions wider than the person's local level reaches (a whole
#: cheek): detection at LARGE_DETECT_FRACTION against a LARGE_BACKGROUND_FRACTION background,
#: the same thresholds, regions united with the first pair's. Measured on the astronaut test
#: set (benchmarks/bench_redness.py, session 4): patches of radius 0.15 W found at 0.35 OD
#: 13 → 32 of 50 and mean IoU 0.393 → 0.557 (face widths 288-360 px); 0.06 W patches and
#: unmodified faces (nothing flagged) unchanged; 0.1 W patches IoU 0.625 → 0.655.
#: A lower detection threshold for the large scales alone (session 5; the unmodified faces'
#: large-scale maxima are 1.76-1.95σ, cheek-wide 0.35 OD patches' 2.2-4.3σ): at 2.25σ the
#: 0.15 W patches at 0.35 OD are found 24 instead of 15 of 25 (IoU 0.539 → 0.620), but the
#: large scales then also fire on 0.06 W patches and their wider outline drops the main
#: table's IoU 0.600 → 0.560 (held out 0.599 → 0.546); at 2σ unmodified faces are flagged
#: (0.32 % on average, 3.20 % worst). Adding at 2.25σ only the large regions that the patch
#: scales cover less than half of: main table 0.562, cheek-wide 0.505. Not adopted.
LARGE_DETECT_FRACTION = 0.08
LARGE_BACKGROUND_FRACTION = 0.3
#: Floors in haemoglobin optical density under the σ thresholds: a region must rise at least
#: this much above the person's skin (0.1 OD is about 2 CIELAB a* units on light skin, the
#: order of a just-visible erythema), however clean the photo and small its σ.
MIN_PEAK_OD = 0.1
MIN_EDGE_OD = 0.04
#: The peak a region is cut at half of (its full width at half maximum). A lower percentile
#: lies nearer a flat-topped patch's plateau (session 17, a separate script). At 95 / 85 /
#: 75 / 65: single photo mean IoU 0.5997 / 0.606 / 0.605 / 0.604 (held out 0.5994 / 0.607 /
#: 0.608 / 0.607), before/after 0.940 / 0.956 / 0.963 / 0.919. At 80 against 95: patches of
#: 0.04 face widths, whose blurred profile is peaked, 0.250 → 0.232; the held-out people's
#: natural redness flagged on 3.20 → 3.72 % of their skin, real pairs 0.07 → 0.11 % (worst
#: 0.43 → 0.69 %). It fits the test set's patch shape while real regions grow: not adopted.
PEAK_PERCENTILE = 95


#: The patch a detection limit refers to (:class:`DetectionLimit`): round, its full density
#: out to PATCH_CORE of its radius, then falling as a raised cosine to nothing at
#: REFERENCE_RADIUS face widths (about 1.7 cm across on a 14 cm wide face). It is the smallest
#: patch the detection scale is made for, and the test set's patch (vision/testset.py).
REFERENCE_RADIUS = 0.06
PATCH_CORE = 0.66
#: At most about this many skin pixels, evenly spread, give a detection limit's median skin
#: colour (the median of 20 000 in CIELAB took 3.1 ms on one core, of 5 000 under 1 ms).
LIMIT_COLOUR_SAMPLES = 5_000


def patch_profile(r):
    """The reference patch's density at ``r`` (in units of its radius), 1 at the centre.

    Examples
    --------
    >>> patch_profile([0.0, 0.66, 0.83, 1.0]).round(3).tolist()
    [1.0, 1.0, 0.5, 0.0]
    """
    r = np.asarray(r)
    t = np.clip((r - PATCH_CORE) / (1.0 - PATCH_CORE), 0.0, 1.0)
    return np.where(r <= PATCH_CORE, 1.0, 0.5 * (1.0 + np.cos(np.pi * t)))


def _centre_of_blurred_patch(sigma: float, radius: float) -> float:
    """The reference patch (unit density) smoothed by a Gaussian of ``sigma``, at its
    centre: the radial integral of profile × Gaussian (both in face widths)."""
    r = np.linspace(0.0, radius, 2001)
    f = patch_profile(r / radius) * r / sigma**2 * np.exp(-(r**2) / (2.0 * sigma**2))
    return float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(r)))


@cache
def patch_response(detect: float, background: float | None = None,
                   radius: float = REFERENCE_RADIUS) -> float:  # fmt: skip
    """The peak that a reference patch of unit density leaves in a band-passed map: the
    patch smoothed at ``detect`` minus the person's level, the fine map smoothed again at
    ``background`` (scales in face widths, as the constants above; no level when None).
    For the single photo's band, 0.42: a 0.2 OD patch raises it by 0.084 OD.

    Examples
    --------
    >>> round(patch_response(DETECT_FRACTION, BACKGROUND_FRACTION), 3)
    0.422
    """
    peak = _centre_of_blurred_patch(detect, radius)
    if background is not None:
        peak -= _centre_of_blurred_patch(float(np.hypot(SMOOTH_FRACTION, background)), radius)
    return peak


def detection_limit(
    detect_spread, region, rgb_lin, *, high, response=None, floor_response=None
) -> DetectionLimit:
    """The weakest reference patch a detection map finds on this person's typical skin.

    Parameters
    ----------
    detect_spread : float, the detection map's robust spread in haemoglobin OD, the σ of
        ``high`` (:func:`flag_excess` returns it)
    region : (H, W) bool, the skin compared (its median colour)
    rgb_lin : (H, W, 3) float, the photo (the person's median skin colour, for a* and ΔE00)
    high : float, the detection threshold in σ units of ``detect``
    response : float, optional
        :func:`patch_response` for ``detect``'s smoothing; by default the single photo's
        band (DETECT_FRACTION against the BACKGROUND_FRACTION level), which the NumPy path
        and the ONNX model share
    floor_response : float, optional
        The response of the map that :data:`MIN_PEAK_OD` bounds, when not ``detect``
        (before/after bounds the outlined map).
    """
    if response is None:
        response = patch_response(DETECT_FRACTION, BACKGROUND_FRACTION)
    floor_response = response if floor_response is None else floor_response
    od = max(high * detect_spread / response, MIN_PEAK_OD / floor_response)
    idx = np.flatnonzero(region)
    skin = np.asarray(rgb_lin).reshape(-1, 3)[idx[:: max(1, len(idx) // LIMIT_COLOUR_SAMPLES)]]
    lab = np.median(xyz_to_lab(rgb_lin_to_xyz(np.clip(skin, 1e-4, None))), axis=0)
    _, v_hb = pigment_vectors()
    redder_lin = xyz_to_rgb_lin(lab_to_xyz(lab)) * np.exp(-od * v_hb)
    redder = xyz_to_lab(rgb_lin_to_xyz(redder_lin))
    return DetectionLimit(haemoglobin_od=float(od), a_star=float(redder[1] - lab[1]),
                          delta_e00=float(delta_e00(lab, redder)),
                          patch_radius=REFERENCE_RADIUS)  # fmt: skip


def _robust(values):
    med = float(np.median(values))
    spread = float(1.4826 * np.median(np.abs(values - med)))
    return med, max(spread, 1e-6)


def _masked_blur(values, mask, sigma):
    """Gaussian smoothing inside a mask (normalised convolution): nothing leaks in from outside.

    Wide kernels run on a copy reduced so that σ is 4 pixels there (the result is smooth at
    that scale anyway), then come back by bilinear interpolation.
    """
    num = np.where(mask, values, 0).astype(np.float32)
    den = mask.astype(np.float32)
    h, w = num.shape
    f = sigma / 4.0
    if f > 2.0:
        size = (max(1, round(w / f)), max(1, round(h / f)))
        num = cv2.resize(num, size, interpolation=cv2.INTER_AREA)
        den = cv2.resize(den, size, interpolation=cv2.INTER_AREA)
        sigma = 4.0
    num = cv2.GaussianBlur(num, (0, 0), sigma)
    den = cv2.GaussianBlur(den, (0, 0), sigma)
    out = num / np.maximum(den, 1e-3)
    if out.shape != (h, w):
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


#: Pixels of the skin mask whose melanin or shading density (lightly smoothed) lies further
#: than this many robust σ from the person's median are not skin, or not usable skin: hair
#: over the forehead, brows, glasses frames, stubble, deep shadows, specular highlights.
#: Measured on the astronaut face: the forehead fringe is 9 % of the landmark skin mask and
#: beyond 3σ in melanin; left in, it biased the local skin level and raised the haemoglobin
#: spread from 0.105 to 0.126 OD.
NON_SKIN_Z = 3.0


def skin_pixels(rgb_lin, skin_mask, face_width: float) -> np.ndarray:
    """The landmark skin mask without what is not skin, by robust colour statistics.

    Melanin and shading densities are tested, never haemoglobin: a red patch has the
    person's melanin and lighting and is therefore kept, however red it is. Nothing is
    painted over; the rejected pixels are left out of every statistic and map.
    """
    return _skin_and_densities(rgb_lin, skin_mask, face_width)[0]


def _skin_and_densities(rgb_lin, skin_mask, face_width: float):
    """:func:`skin_pixels`, with the haemoglobin map and the smoothed shading it computed."""
    hb, mel, shade = haemoglobin_map(rgb_lin)
    skin, shading_fine = skin_of_densities(skin_mask, mel, shade, face_width)
    return skin, hb, shading_fine


def skin_of_densities(skin_mask, mel, shade, face_width: float):
    """:func:`skin_pixels` from a photo's melanin and shading densities
    (:func:`haemoglobin_map`) already computed: (skin, smoothed shading)."""
    skin_mask = np.asarray(skin_mask, bool)
    sigma = max(0.5, SMOOTH_FRACTION * face_width)
    fine = [_masked_blur(density, skin_mask, sigma) for density in (mel, shade)]
    return typical_skin(skin_mask, *fine), fine[1]


def shaded_skin(shading_fine, region, face_width: float) -> np.ndarray:
    """Skin in folds or shadows: smoothed shading density more than :data:`SHADED_OD` above
    the person's local level (at :data:`BACKGROUND_FRACTION` of the face width, as redness)."""
    local = _masked_blur(shading_fine, region, max(1.0, BACKGROUND_FRACTION * face_width))
    return region & (shading_fine - local > SHADED_OD)


def typical_skin(skin_mask, melanin_fine, shading_fine) -> np.ndarray:
    """The mask's pixels whose smoothed melanin and shading lie within NON_SKIN_Z robust σ of
    the person's median (the test of :func:`skin_pixels`, also applied to the ONNX model's
    maps)."""
    keep = np.asarray(skin_mask, bool).copy()
    for fine in (melanin_fine, shading_fine):
        med, spread = _robust(fine[skin_mask])
        keep &= np.abs(fine - med) <= NON_SKIN_Z * spread
    return keep


def hysteresis_mask(
    excess, skin_mask, *, high, low, min_pixels, seed_excess=None, min_peak=-np.inf
):
    """Regions above ``low`` that reach ``high``, cut at half their own peak.

    Cutting each region at half its peak (the patch's full width at half maximum) makes the
    outline independent of how strong the patch is. With ``seed_excess`` (the same map
    smoothed more, standardised on its own spread) a region is kept when *that* map reaches
    ``high`` inside it: detection at the scale of a patch, outline at the finer scale.
    ``min_peak`` is a floor on a region's peak in ``excess`` itself, whatever the seed map.

    Examples
    --------
    The region that reaches 3 is kept down to 2; the one that only reaches 2.5 is not:

    >>> excess = np.array([[0, 1, 2.5, 4, 2.5, 1, 0, 2.5, 0]], float)
    >>> mask = hysteresis_mask(excess, np.ones((1, 9), bool), high=3, low=2, min_pixels=1)
    >>> mask.astype(int).tolist()
    [[0, 0, 1, 1, 1, 0, 0, 0, 0]]
    """
    out = np.zeros(skin_mask.shape, bool)
    seed_map = excess if seed_excess is None else seed_excess
    if not (seed_map >= high).any():  # no region can be kept: spare the labelling
        return out
    weak = ((excess >= low) & skin_mask).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8)
    if n <= 1:
        return out
    inside = weak.astype(bool)
    ids = labels[inside]
    peaks = _label_maxima(ids, excess[inside], n)
    seeds = peaks if seed_excess is None else _label_maxima(ids, seed_excess[inside], n)
    keep = (seeds >= high) & (peaks >= min_peak) & (stats[:, cv2.CC_STAT_AREA] >= min_pixels)
    keep[0] = False
    if keep.any():
        # each kept region's peak, robustly: its PEAK_PERCENTILE, not one noisy pixel
        vals = excess[inside]
        for k in np.flatnonzero(keep):
            peaks[k] = np.percentile(vals[ids == k], PEAK_PERCENTILE)
        cut = np.where(keep, np.maximum(low, 0.5 * peaks), np.inf).astype(np.float32)
        out[inside] = vals >= cut[ids]
    return out


def _label_maxima(ids, values, n):
    """Maximum of ``values`` per label id in ``0 … n-1`` (−inf where a label has none)."""
    peaks = np.full(n, -np.inf)
    np.maximum.at(peaks, ids, values.astype(np.float64))
    return peaks


def _standardise(values, region):
    baseline, spread = _robust(values[region])
    return np.where(region, (values - baseline) / spread, 0.0).astype(np.float32), baseline, spread


def flag_excess(
    values, region, *, high, low, od_units: bool, detect=None, floor_on_outline: bool = False
):
    """Standardise a band-passed map over ``region`` and flag its excess regions.

    Parameters
    ----------
    values : (H, W) float, the map minus the person's own level (any constant offset is fine)
    region : (H, W) bool, the skin compared
    high, low : float
        Hysteresis thresholds in units of the robust spread: ``low`` of ``values``, ``high``
        of ``detect`` when given, else of ``values``.
    od_units : bool
        The maps are haemoglobin optical density: the physical floors :data:`MIN_PEAK_OD` and
        :data:`MIN_EDGE_OD` apply under the σ thresholds.
    detect : (H, W) float, optional
        The same map smoothed at the scale of a patch, for detection (see
        :func:`hysteresis_mask`).
    floor_on_outline : bool
        With ``detect``, :data:`MIN_PEAK_OD` bounds a region's peak in ``values`` (what is
        outlined) instead of in ``detect``: a change map smoothed for detection only, whose
        small regions' peaks the smoothing lowers below the floor (before/after).

    Returns
    -------
    excess : (H, W) float32, σ units, 0 outside ``region``; mask : (H, W) bool;
    baseline, spread : float; detect_spread : float, the robust spread of ``detect`` (of
    ``values`` without it), the σ of ``high`` (:func:`detection_limit` takes it)
    """
    excess, baseline, spread = _standardise(values, region)
    seed_excess, seed_spread = None, spread
    if detect is not None:
        seed_excess, _, seed_spread = _standardise(detect, region)
    min_peak = -np.inf
    if od_units:
        low = max(low, MIN_EDGE_OD / spread)
        if floor_on_outline and detect is not None:
            min_peak = MIN_PEAK_OD / spread
        else:
            high = max(high, MIN_PEAK_OD / seed_spread)
    min_pixels = max(4, int(MIN_AREA_FRACTION * region.sum()))
    mask = hysteresis_mask(excess, region, high=high, low=low, min_pixels=min_pixels,
                           seed_excess=seed_excess, min_peak=min_peak)  # fmt: skip
    return excess, mask, baseline, spread, seed_spread


def flag_two_scales(bands, region, *, high, low, od_units: bool):
    """:func:`flag_excess` at the patch scales and at the large ones, regions united.

    ``bands`` holds the four band-passed maps: ``fine``, ``detect`` (against the local
    level) and ``fine_large``, ``detect_large`` (against the wider one). Inside a region
    found at the large scales the excess shown is the larger of the two; elsewhere it is the
    patch scales' (the person's rosy cheeks are not redrawn). Baseline and both spreads are
    the patch scales'.
    """
    excess, mask, baseline, spread, detect_spread = flag_excess(
        bands["fine"], region, high=high, low=low, od_units=od_units, detect=bands["detect"]
    )
    excess_l, mask_l, *_ = flag_excess(
        bands["fine_large"], region, high=high, low=low, od_units=od_units,
        detect=bands["detect_large"],
    )  # fmt: skip
    return (*unite_scales(excess, mask, excess_l, mask_l), baseline, spread, detect_spread)


def unite_scales(excess, mask, excess_large, mask_large):
    """The patch scales' excess and regions with the large scales' regions added; inside
    those the larger excess of the two."""
    if not mask_large.any():
        return excess, mask
    return np.where(mask_large, np.maximum(excess, excess_large), excess), mask | mask_large


def shaded_share(mask, shaded) -> float | None:
    """The share of a mask's area lying in ``shaded`` (None without ``shaded``; 0 when
    nothing is flagged)."""
    if shaded is None:
        return None
    n = int(mask.sum())
    return float((mask & shaded).sum() / n) if n else 0.0


def zone_figures(excess, mask, region, zone_masks, shaded=None) -> dict:
    """Per zone: flagged area fraction, mean excess where flagged, peak excess (σ units) and,
    with ``shaded`` (:func:`shaded_skin`), the share of the flagged area lying there."""
    zones = {}
    for name, zm in (zone_masks or {}).items():
        zm = np.asarray(zm, bool) & region
        n = int(zm.sum())
        flagged = mask & zm
        zones[name] = ZoneRedness(
            area_fraction=float(flagged.sum() / n) if n else 0.0,
            mean_excess=float(excess[flagged].mean()) if flagged.any() else 0.0,
            peak_excess=float(excess[zm].max()) if n else 0.0,
            pixels=n,
            shaded_fraction=shaded_share(flagged, shaded),
        )
    return zones


def redness_map(
    rgb_lin,
    *,
    skin_mask,
    zone_masks: dict | None = None,
    face_width: float | None = None,
    method: str = "tsumura",
    high: float = DETECT_THRESHOLD,
    low: float = LOW_THRESHOLD,
) -> RednessResult:
    """Redness excess relative to the same person's skin, a binary mask and zone figures.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB
    skin_mask : (H, W) bool, keyword-only
        Skin pixels (eyes, brows, lips, nostrils excluded); hair and other non-skin inside it
        are left out by :func:`skin_pixels`.
    zone_masks : dict of str → (H, W) bool, keyword-only
        Zones to report (e.g. forehead, cheeks, nose, chin).
    face_width : float, keyword-only
        In pixels, to scale the smoothing; by default from the skin mask's width.
    method : str, keyword-only
        One of :data:`REDNESS_METHODS`; an unknown name raises ``ValueError`` listing them.
    high, low : float, keyword-only
        Hysteresis thresholds in skin σ units: ``high`` at the detection scale, ``low`` at the
        outline scale.

    Returns
    -------
    RednessResult

    Examples
    --------
    Skin whose three densities vary (0.02 OD each: blotches, freckles, relief) with a red disc
    of 0.3 OD of haemoglobin:

    >>> rng = np.random.default_rng(0)
    >>> od = rng.normal(0.0, 0.02, (200, 200, 3))  # melanin, haemoglobin, shading
    >>> yy, xx = np.mgrid[:200, :200]
    >>> disc = np.hypot(yy - 100, xx - 100) < 15
    >>> od[..., 1] += 0.3 * disc
    >>> basis = np.stack([*pigment_vectors(), np.ones(3)])  # each density's OD in R, G, B
    >>> rgb_lin = (np.array([0.45, 0.25, 0.18]) * np.exp(-od @ basis)).astype(np.float32)
    >>> result = redness_map(rgb_lin, skin_mask=np.ones((200, 200), bool), face_width=200.0)
    >>> bool(result.mask[100, 100]), int((result.mask & ~disc).sum())
    (True, 0)
    >>> round(float((result.mask & disc).sum() / disc.sum()), 2)
    0.89
    """
    try:
        estimator = REDNESS_METHODS[method]
    except KeyError:
        raise ValueError(
            f"unknown redness method {method!r}; expected one of {sorted(REDNESS_METHODS)}"
        ) from None
    skin_mask = np.asarray(skin_mask, dtype=bool)
    if skin_mask.shape != rgb_lin.shape[:2] or skin_mask.sum() < 100:
        raise ValueError(
            f"skin_mask must be a ({rgb_lin.shape[0]}, {rgb_lin.shape[1]}) mask with at least "
            f"100 pixels; got shape {skin_mask.shape} with {int(skin_mask.sum())}"
        )
    if face_width is None:
        face_width = float(np.ptp(np.nonzero(skin_mask)[1]))
    skin_mask, hb, shading_fine = _skin_and_densities(rgb_lin, skin_mask, face_width)
    shaded = None
    if method == "tsumura":  # the haemoglobin map skin_pixels computed, and where skin is shaded
        raw = hb
        shaded = shaded_skin(shading_fine, skin_mask, face_width)
    else:
        raw = estimator(rgb_lin, skin_mask).astype(np.float32)
    fine = _masked_blur(raw, skin_mask, max(0.5, SMOOTH_FRACTION * face_width))
    coarse = _masked_blur(raw, skin_mask, max(1.0, DETECT_FRACTION * face_width))
    local = _masked_blur(fine, skin_mask, max(1.0, BACKGROUND_FRACTION * face_width))
    coarse_l = _masked_blur(raw, skin_mask, max(1.0, LARGE_DETECT_FRACTION * face_width))
    local_l = _masked_blur(fine, skin_mask, max(1.0, LARGE_BACKGROUND_FRACTION * face_width))
    bands = {"fine": fine - local, "detect": coarse - local, "fine_large": fine - local_l,
             "detect_large": coarse_l - local_l}  # fmt: skip
    excess, mask, baseline, spread, detect_spread = flag_two_scales(
        bands, skin_mask, high=high, low=low, od_units=method == "tsumura"
    )
    zones = zone_figures(excess, mask, skin_mask, zone_masks, shaded)
    limit = None
    if method == "tsumura":
        limit = detection_limit(detect_spread, skin_mask, rgb_lin, high=high)
    return RednessResult(excess, mask, zones, method, baseline, spread, limit, shaded)
