"""Tone linearisation and colour correction fitted on a ColorChecker.

A phone JPEG is not linear light: after the sRGB decoding done at ingest, what remains is the
phone's own tone curve and white balance. :func:`fit_colour_correction` first fits one tone
curve, shared by the three channels, that makes the six neutral patches proportional to their
reference luminance, then a regression from the linearised camera values to CIE XYZ (D65) on
all 24 patches. Both steps are exposure invariant, so a brighter or darker photo of the same scene
gives the same colours.

References
----------
.. [1] G. D. Finlayson, M. Mackiewicz, A. Hurlbert, "Color Correction Using Root-Polynomial
   Regression", IEEE Transactions on Image Processing 24(5), 1460-1470, 2015.
.. [2] V. Cheung, S. Westland, D. Connah, C. Ripamonti, "A comparative study of the
   characterisation of colour cameras by means of neural networks and polynomial transforms",
   Coloration Technology 120(1), 19-25, 2004.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from calibration.chart import DEFAULT_CHART_REFERENCE, NEUTRAL_PATCHES, chart_reference
from calibration.colorimetry import delta_e00, xyz_to_lab
from calibration.errors import CalibrationError

__all__ = [
    "CORRECTION_METHODS",
    "DEFAULT_CORRECTION_METHOD",
    "ColourCorrection",
    "ToneCurve",
    "fit_colour_correction",
    "fit_tone_curve",
    "root_polynomial_terms",
]

#: A neutral patch this close to 1 is taken as clipped and not used for the tone curve.
CLIP_LEVEL = 0.98
#: Values below this are treated as this (logarithms need a positive floor).
FLOOR = 1e-5


@dataclass(frozen=True)
class ToneCurve:
    """One tone curve shared by the three channels: camera value → value ∝ light.

    A phone applies the same tone curve to R, G and B after white balance, so one inverse
    curve, fitted on all channels of the neutral patches at once, undoes it; the channels'
    gains (white balance and its error) are left for the colour correction matrix.
    In log-log the curve is a polynomial between ``lo`` and ``hi`` and continues beyond them
    as the power law tangent at the ends.
    """

    coeffs: np.ndarray = field(repr=False)  # highest power first, for np.polyval
    lo: float
    hi: float

    def apply(self, rgb):
        """Linearise ``(..., 3)`` camera values; returns float64 of the same shape."""
        u = np.log10(np.clip(np.asarray(rgb, dtype=np.float64), FLOOR, None))
        d = np.polyder(self.coeffs)
        inside = np.polyval(self.coeffs, np.clip(u, self.lo, self.hi))
        below = np.polyval(self.coeffs, self.lo) + np.polyval(d, self.lo) * (u - self.lo)
        above = np.polyval(self.coeffs, self.hi) + np.polyval(d, self.hi) * (u - self.hi)
        return 10.0 ** np.where(u < self.lo, below, np.where(u > self.hi, above, inside))


def fit_tone_curve(neutral_rgb, neutral_y, *, degree: int = 3) -> ToneCurve:
    """Fit the shared tone curve on the neutral patches.

    Solves, by linear least squares over all unclipped channel readings,
    ``p(log10 v[k, c]) = log10 Y[k] + g[c]``: a polynomial ``p`` common to the channels and
    one offset ``g[c]`` per channel (its gain). The degree is lowered until ``p`` increases
    over the observed range.

    Parameters
    ----------
    neutral_rgb : (N, 3) float array, camera values of the neutral patches (N ≥ 3)
    neutral_y : (N,) float array, their reference luminance (white = 1)
    degree : int, keyword-only, highest degree tried

    Returns
    -------
    ToneCurve

    Raises
    ------
    CalibrationError
        Fewer than three unclipped neutral readings in some channel.

    Examples
    --------
    >>> y = np.array([0.9, 0.59, 0.36, 0.19, 0.09, 0.03])  # a chart's neutral row
    >>> camera = (y[:, None] * [1.0, 0.9, 1.1]) ** (1 / 2.2)  # channel gains, then a power
    >>> curve = fit_tone_curve(camera, y)
    >>> (np.round(curve.coeffs, 4) + 0.0).tolist()  # slope 2.2 in log-log: the power undone
    [0.0, 0.0, 2.2, 0.0]
    >>> linear = curve.apply(camera)  # ∝ light, the gains left for the colour correction
    >>> np.round(linear[:, 0] / linear[0, 0] * 0.9, 4).tolist()
    [0.9, 0.59, 0.36, 0.19, 0.09, 0.03]
    """
    v = np.asarray(neutral_rgb, dtype=np.float64)
    y = np.asarray(neutral_y, dtype=np.float64)
    ok = np.isfinite(v) & (v < CLIP_LEVEL) & (v > FLOOR)
    per_channel = ok.sum(axis=0)
    if per_channel.min() < 3:
        c = int(np.argmin(per_channel))
        raise CalibrationError(
            f"expected at least 3 unclipped neutral patches in channel {'RGB'[c]}; got "
            f"{per_channel[c]} (values {np.round(v[:, c], 4).tolist()})"
        )
    k_idx, c_idx = np.nonzero(ok)
    u = np.log10(v[k_idx, c_idx])
    target = np.log10(y[k_idx])
    lo, hi = float(u.min()), float(u.max())
    for deg in range(degree, 0, -1):
        # columns: u^deg ... u^1, then one offset per channel (the constant is in them)
        powers = np.stack([u**p for p in range(deg, 0, -1)], axis=1)
        gains = np.eye(3)[c_idx]
        a = np.hstack([powers, -gains])
        sol, *_ = np.linalg.lstsq(a, target, rcond=None)
        coeffs = np.append(sol[:deg], 0.0)
        grid = np.linspace(lo, hi, 64)
        if np.all(np.polyval(np.polyder(coeffs), grid) > 0.05):
            return ToneCurve(coeffs, lo, hi)
    raise CalibrationError("expected the neutral patches to get brighter from black to white")


def root_polynomial_terms(rgb, *, degree: int = 2):
    """Root-polynomial expansion (Finlayson et al. 2015), homogeneous of degree 1.

    Parameters
    ----------
    rgb : (..., 3) float array, non-negative
    degree : {1, 2}, keyword-only
        1 gives R, G, B (the 3×3 case); 2 adds √(RG), √(GB), √(RB).

    Returns
    -------
    terms : (..., 3) or (..., 6) float64 array

    References
    ----------
    .. [1] G. D. Finlayson, M. Mackiewicz, A. Hurlbert, "Color Correction Using
       Root-Polynomial Regression", IEEE Transactions on Image Processing 24(5), 1460-1470,
       2015.

    Examples
    --------
    >>> root_polynomial_terms([0.04, 0.09, 0.16]).round(3).tolist()
    [0.04, 0.09, 0.16, 0.06, 0.12, 0.08]
    >>> rgb = np.array([0.04, 0.09, 0.16])  # twice the light, twice every term
    >>> bool(np.allclose(root_polynomial_terms(2 * rgb), 2 * root_polynomial_terms(rgb)))
    True
    """
    rgb = np.clip(np.asarray(rgb, dtype=np.float64), 0.0, None)
    if degree == 1:
        return rgb
    if degree != 2:
        raise ValueError(f"degree must be 1 or 2; got {degree}")
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return np.stack([r, g, b, np.sqrt(r * g), np.sqrt(g * b), np.sqrt(r * b)], axis=-1)


#: Registry of correction methods: name → (description, degree of the expansion).
CORRECTION_METHODS = {
    "Finlayson 2015": ("root-polynomial, degree 2 (6 terms)", 2),
    "Cheung 2004": ("linear 3×3 matrix", 1),
}
DEFAULT_CORRECTION_METHOD = "Finlayson 2015"


def _check_method(method: str) -> int:
    try:
        return CORRECTION_METHODS[method][1]
    except KeyError:
        raise ValueError(
            f"unknown correction method {method!r}; expected one of {sorted(CORRECTION_METHODS)}"
        ) from None


def _solve(terms, xyz, weights):
    w = np.sqrt(weights)[:, None]
    m, *_ = np.linalg.lstsq(terms * w, xyz * w, rcond=None)
    return m


def _weights(ref_xyz):
    # Least squares in XYZ favours bright patches; weighting by 1/Y^0.7 roughly equalises
    # the errors in CIELAB, whose lightness scale is close to a cube root.
    return 1.0 / np.clip(ref_xyz[:, 1], 0.02, None) ** 0.7


@dataclass(frozen=True)
class ColourCorrection:
    """A fitted camera → CIE XYZ (D65) correction and how well it fits.

    Attributes
    ----------
    method : str
        Key of :data:`CORRECTION_METHODS`.
    reference : str
        Chart reference name.
    tone : ToneCurve
    matrix : (n_terms, 3) float64
    reference_lab : (24, 3) float64, CIELAB of the chart reference
    fitted_lab : (24, 3) float64, CIELAB of the patches through the full fit
    residual_de00 : (24,) float64, ΔE00(reference, fitted)
    loo_de00 : (24,) float64
        Leave-one-out ΔE00: each patch predicted by a fit made without it. This is the
        honest estimate of the error for a colour the chart does not contain.
    """

    method: str
    reference: str
    tone: ToneCurve = field(repr=False)
    matrix: np.ndarray = field(repr=False)
    reference_lab: np.ndarray = field(repr=False)
    fitted_lab: np.ndarray = field(repr=False)
    residual_de00: np.ndarray = field(repr=False)
    loo_de00: np.ndarray = field(repr=False)

    def apply(self, rgb_lin):
        """Camera linear RGB ``(..., 3)`` → CIE XYZ (D65) ``(..., 3)`` float64."""
        degree = _check_method(self.method)
        return root_polynomial_terms(self.tone.apply(rgb_lin), degree=degree) @ self.matrix

    def apply_lab(self, rgb_lin):
        """Camera linear RGB ``(..., 3)`` → CIELAB (D65) ``(..., 3)`` float64."""
        return xyz_to_lab(np.clip(self.apply(rgb_lin), 0.0, None))

    def summary(self) -> dict:
        """JSON-ready method, reference and leave-one-out residuals: mean and max (the DESIGN.md
        fields) and per patch, in chart order (dark skin … black)."""
        return {
            "residual_de00_mean": round(float(self.loo_de00.mean()), 3),
            "residual_de00_max": round(float(self.loo_de00.max()), 3),
            "residuals_de00": [round(float(v), 3) for v in self.loo_de00],
            "method": self.method,
            "reference": self.reference,
        }


def fit_colour_correction(
    patches_rgb_lin,
    *,
    reference: str = DEFAULT_CHART_REFERENCE,
    method: str = DEFAULT_CORRECTION_METHOD,
) -> ColourCorrection:
    """Fit tone curves and a colour correction on the 24 patches of a ColorChecker.

    Parameters
    ----------
    patches_rgb_lin : (24, 3) float array, camera values as ingested (linear sRGB decoding)
    reference : str, keyword-only
        Chart reference, see :data:`calibration.chart.CHART_REFERENCES`.
    method : str, keyword-only
        Key of :data:`CORRECTION_METHODS`; an unknown name raises ``ValueError`` listing them.

    Returns
    -------
    ColourCorrection
        With fit and leave-one-out residuals so the caller can judge the fit.

    Raises
    ------
    CalibrationError
        When the neutral patches cannot define a tone curve.

    Examples
    --------
    >>> from calibration.chart import chart_reference
    >>> from calibration.colorimetry import XYZ_TO_SRGB
    >>> ref = chart_reference()
    >>> cc = fit_colour_correction(0.5 * ref.xyz @ XYZ_TO_SRGB.T)
    >>> bool(cc.loo_de00.mean() < 2.0)
    True
    """
    degree = _check_method(method)
    patches = np.asarray(patches_rgb_lin, dtype=np.float64)
    if patches.shape != (24, 3):
        raise ValueError(f"patches_rgb_lin must have shape (24, 3); got {patches.shape}")
    if not np.all(np.isfinite(patches)):
        raise CalibrationError("expected 24 finite patch values; got NaN or inf")
    ref = chart_reference(reference)
    idx = list(NEUTRAL_PATCHES)
    tone = fit_tone_curve(patches[idx], ref.xyz[idx, 1])
    terms = root_polynomial_terms(tone.apply(patches), degree=degree)
    weights = _weights(ref.xyz)
    matrix = _solve(terms, ref.xyz, weights)
    fitted_lab = xyz_to_lab(np.clip(terms @ matrix, 0.0, None))
    residual = delta_e00(ref.lab, fitted_lab)

    loo = np.empty(24)
    for k in range(24):
        keep = np.arange(24) != k
        m_k = _solve(terms[keep], ref.xyz[keep], weights[keep])
        lab_k = xyz_to_lab(np.clip(terms[k] @ m_k, 0.0, None))
        loo[k] = delta_e00(ref.lab[k], lab_k)
    return ColourCorrection(method, reference, tone, matrix, ref.lab, fitted_lab, residual, loo)
