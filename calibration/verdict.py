"""Shade verdicts: ΔE00 against the brand's reference, with an expanded uncertainty."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calibration.colorimetry import delta_e00_terms, lab_to_lch

__all__ = [
    "DEFAULT_TOLERANCE",
    "DIFFERENCE_WORDS",
    "Verdict",
    "describe_difference",
    "difference_terms",
    "shade_verdict",
]

#: ΔE00 tolerance per shade unless the brand sets one; 3 is a common commercial
#: acceptability limit for cosmetics and printed colour (about twice the perceptibility limit).
DEFAULT_TOLERANCE = 3.0
#: A weighted CIEDE2000 term smaller than this (and than 30 % of ΔE00) is not worth a word.
_NEGLIGIBLE = 0.5
#: The directions a sample can differ from its reference in (:func:`difference_terms`), in
#: English; the pages give each code words in their languages (webar/js/i18n.js
#: ``difference_<code>``).
DIFFERENCE_WORDS = {
    "lighter": "lighter", "darker": "darker",
    "more_saturated": "more saturated", "less_saturated": "less saturated",
    "warmer": "warmer (more orange)", "cooler": "cooler (more pink-purple)",
    "yellower": "yellower", "greener": "greener", "bluer": "bluer", "redder": "redder",
}  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """The shade verdict and its explanation.

    ``delta`` holds ΔL′, ΔC′, ΔH′ (sample minus reference, CIELAB units, Sharma et al. 2005).
    """

    verdict: str  # "match" | "mismatch" | "inconclusive"
    delta_e00: float
    uncertainty_de00: float | None  # None: uncalibrated, the verdict is then inconclusive
    tolerance: float
    delta: dict
    explanation: str
    #: how the measured colour differs, codes of :data:`DIFFERENCE_WORDS` (none: practically
    #: the same colour)
    difference: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "delta_e00": round(self.delta_e00, 3),
            "uncertainty_de00": None
            if self.uncertainty_de00 is None
            else round(self.uncertainty_de00, 3),
            "tolerance": self.tolerance,
            "delta": {k: round(v, 3) for k, v in self.delta.items()},
            "explanation": self.explanation,
            "difference": list(self.difference),
        }


def _hue_direction(h_ref: float, dh: float) -> str:
    """Name the direction of a hue shift from a reference hue angle (degrees).

    Lip and skin shades sit between purple-pink and orange (h ≈ 300°-90°), where the trade's
    words are warmer (towards orange and yellow) and cooler (towards pink and purple).
    Elsewhere the shift is named after the next CIELAB opponent hue in its direction.
    """
    if h_ref >= 300.0 or h_ref < 90.0:
        return "warmer" if dh > 0 else "cooler"
    nxt = [(90, "yellower"), (180, "greener"), (270, "bluer"), (360, "redder")]
    if dh > 0:
        return next(name for angle, name in nxt if angle > h_ref)
    prev = [(270, "bluer"), (180, "greener"), (90, "yellower"), (0, "redder")]
    return next(name for angle, name in prev if angle < h_ref)


def difference_terms(reference_lab, sample_lab) -> tuple[str, ...]:
    """How the sample differs from the reference: codes of :data:`DIFFERENCE_WORDS`, for each
    CIEDE2000 term (lightness, chroma, hue) that is worth a word; () when none is.

    Examples
    --------
    >>> difference_terms([50, 40, 20], [45, 30, 15])
    ('darker', 'less_saturated')
    """
    return _terms_worth_a_word(delta_e00_terms(reference_lab, sample_lab), reference_lab)


def _terms_worth_a_word(t, reference_lab) -> tuple[str, ...]:
    """:func:`difference_terms` of the CIEDE2000 terms ``t`` already computed."""
    de = float(t.delta_e)
    terms = []
    parts = (
        (float(t.dL_w), "lighter", "darker"),
        (float(t.dC_w), "more_saturated", "less_saturated"),
    )
    for value, pos, neg in parts:
        if abs(value) >= _NEGLIGIBLE and abs(value) >= 0.3 * de:
            terms.append(pos if value > 0 else neg)
    dh_w = float(t.dH_w)
    if abs(dh_w) >= _NEGLIGIBLE and abs(dh_w) >= 0.3 * de:
        h_ref = float(lab_to_lch(np.asarray(reference_lab, float))[2])
        terms.append(_hue_direction(h_ref, float(t.dh)))
    return tuple(terms)


def describe_difference(reference_lab, sample_lab) -> str:
    """One phrase saying how the sample differs from the reference.

    Examples
    --------
    >>> describe_difference([50, 40, 20], [45, 30, 15])
    'darker and less saturated than the reference'
    """
    return _phrase(difference_terms(reference_lab, sample_lab))


def _phrase(terms: tuple[str, ...]) -> str:
    words = [DIFFERENCE_WORDS[t] for t in terms]
    if not words:
        return "practically the same colour as the reference"
    if len(words) == 1:
        return f"{words[0]} than the reference"
    return f"{', '.join(words[:-1])} and {words[-1]} than the reference"


def shade_verdict(
    reference_lab, measured_lab, *, uncertainty: float | None, tolerance: float = DEFAULT_TOLERANCE
) -> Verdict:
    """Decide match / mismatch / inconclusive.

    ``match`` if ΔE00 + U ≤ T, ``mismatch`` if ΔE00 − U > T, otherwise ``inconclusive``.
    Without an uncertainty (an uncalibrated photo) the verdict is always ``inconclusive``.

    Parameters
    ----------
    reference_lab : (3,) CIELAB of the brand's shade (first argument of ΔE00)
    measured_lab : (3,) CIELAB measured from the photo
    uncertainty : float, keyword-only
        Expanded uncertainty U (k = 2) of ΔE00.
    tolerance : float, keyword-only
        T, in ΔE00.

    Examples
    --------
    >>> shade_verdict([50, 40, 20], [50, 40, 20.5], uncertainty=1.0).verdict
    'match'
    """
    if uncertainty is not None and (not np.isfinite(uncertainty) or uncertainty < 0):
        raise ValueError(f"uncertainty must be a finite number ≥ 0; got {uncertainty}")
    if not np.isfinite(tolerance) or tolerance <= 0:
        raise ValueError(f"tolerance must be a finite number > 0; got {tolerance}")
    t = delta_e00_terms(reference_lab, measured_lab)
    de = float(t.delta_e)
    terms = _terms_worth_a_word(t, reference_lab)
    how = _phrase(terms)
    delta = {"L": float(t.dL), "C": float(t.dC), "H": float(t.dH)}
    if uncertainty is None:
        explanation = (
            f"The photo reads {how} (ΔE00 {de:.2f}, tolerance {tolerance:g}), but without a "
            "calibrated measurement this cannot be judged."
        )
        return Verdict("inconclusive", de, None, float(tolerance), delta, explanation, terms)
    if de + uncertainty <= tolerance:
        verdict = "match"
    elif de - uncertainty > tolerance:
        verdict = "mismatch"
    else:
        verdict = "inconclusive"
    tail = {
        "match": "within the tolerance even at the edge of the uncertainty",
        "mismatch": "beyond the tolerance even at the edge of the uncertainty",
        "inconclusive": "too close to the tolerance to decide at this uncertainty",
    }[verdict]
    explanation = (
        f"The measured colour is {how} (ΔE00 {de:.2f} ± {uncertainty:.2f}, tolerance "
        f"{tolerance:g}): {tail}."
    )
    return Verdict(verdict, de, float(uncertainty), float(tolerance), delta, explanation, terms)
