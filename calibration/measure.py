"""Measure a product's colour in a photo: chart → correction → robust region Lab → verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from calibration.chart import DEFAULT_CHART_REFERENCE
from calibration.colorimetry import rgb_lin_to_xyz, xyz_to_lab
from calibration.correction import (
    DEFAULT_CORRECTION_METHOD,
    ColourCorrection,
    fit_colour_correction,
)
from calibration.detect import ChartDetection, detect_colour_checker
from calibration.errors import CalibrationError, InvalidInputError
from calibration.region import RegionColour, robust_region_lab
from calibration.uncertainty import UncertaintyBudget, measurement_uncertainty
from calibration.verdict import DEFAULT_TOLERANCE, Verdict, shade_verdict

__all__ = [
    "ALGORITHM_VERSION",
    "MIN_COLOUR_RANGE",
    "NO_COLOUR_CAUSES",
    "NO_COLOUR_REASON",
    "POOR_FIT_MAX",
    "POOR_FIT_MEAN",
    "REASON_CODES",
    "Reason",
    "ShadeMeasurement",
    "colour_range",
    "measure_shade",
]


#: 0.2: a photo without colour (black and white, sepia, a filter that takes colour out) is
#: not measured (:data:`MIN_COLOUR_RANGE`).
ALGORITHM_VERSION = "hueproof-measure/0.2"
#: A chart whose leave-one-out residuals exceed these (ΔE00) is too poorly fitted to judge by:
#: glare on the chart, a chart partly in shadow, or an extreme light source.
POOR_FIT_MEAN = 3.0
POOR_FIT_MAX = 12.0
#: A photo whose pixels show less colour than this (:func:`colour_range`) has none to
#: measure: black and white, sepia, or a filter that takes the colour out. Its "colour" is not
#: the product's, and the chart-free model, fed faces without colour, still returns a
#: plausible lip colour (a black-and-white copy of the astronaut's face read as Lab 64.8,
#: 15.7, 8.6, a mismatch against a red reference). The range is a ratio of channels, so a
#: coloured light (a gain per channel) leaves it alone. Measured in session 13 (a separate
#: script, 8-bit files): the boxes of the astronaut's face in four skin tones and under warm
#: and cool light and of vision/people's four photos (JPEG 92) read 1.47-3.59, the same with
#: half their saturation 0.80-1.93, a quarter 0.41-0.94, in sepia 0.30-0.39 (the tails are
#: the dark pixels' quantisation), in black and white 0; sixteen simulated photos of a
#: product beside a chart (calibration/simulate.py, the whole frame) 2.24-4.99, a quarter
#: 0.57-1.32, sepia 0.14-0.20, black and white 0 (two of the four real photos lose their face
#: to the landmarker in sepia and in black and white). The limit sits 1.5× over sepia and 2.5×
#: under the least coloured face. A frame mostly of plain background reads low whatever its
#: colours (those scenes inside a neutral border, the frame three times as wide and high:
#: 0.16-0.89), so a photo is judged on a face's box or on a chart's 24 patches (3.5-6.7 on
#: those scenes; the chart detector finds no chart in their sepia or black-and-white copies),
#: never on the whole frame. The 5th-95th percentiles instead of the 1st and 99th read the
#: bulk of what they are given: one colour scene's frame 0.40. A light of one colour (a
#: sodium lamp, one LED colour) leaves no colour either. Half the saturation is not told, by
#: this range nor by the skin's own chroma (session 17, a separate script: the skin's median
#: C*ab on the astronaut's face in four skin tones and vision/people's four photos 16.8-34.8,
#: at half saturation 8.1-16.4: the least coloured face in full colour, 16.8, lies 0.4 over
#: the most coloured at half, so no limit tells them apart with any margin).
MIN_COLOUR_RANGE = 0.6
#: :func:`colour_range` reads at most this many pixels (a regular subsample of larger images):
#: 1.7-2.7 ms for a face's box at the analysis's scale, 6.6-10 ms with four times as many.
COLOUR_RANGE_PIXELS = 16_384
#: What leaves a photo without colour, as every message about it names it.
NO_COLOUR_CAUSES = (
    "black and white, sepia, a filter that takes colour out, or a light of one colour"
)
NO_COLOUR_REASON = (
    f"No colour ({NO_COLOUR_CAUSES}): the photo's colours are not the product's and cannot be "
    "measured."
)


#: Why a measurement is uncalibrated or gives no verdict, each reason's code: the pages give
#: each one words in their languages (webar/js/i18n.js ``measureReason_<code>``).
REASON_CODES = (
    "no_colour",  # the photo has no colour (NO_COLOUR_REASON)
    "no_chart",  # no chart was found
    "chart_unusable",  # a chart was found but could not be fitted
    "chart_poor_fit",  # its fit is too poor (POOR_FIT_MEAN, POOR_FIT_MAX)
    "chart_free",  # without a chart, the colour is the chart-free model's (vision/shade.py)
    "no_chart_free",  # nor could the model estimate it (no colour on the face, eyes closed...)
)


@dataclass(frozen=True)
class Reason:
    """Why a measurement is uncalibrated or gives no verdict: a code for machines (one of
    :data:`REASON_CODES`), a message for people with the specifics."""

    code: str
    message: str

    def __post_init__(self):
        if self.code not in REASON_CODES:
            raise ValueError(f"unknown reason code {self.code!r}; expected one of "
                             f"{', '.join(REASON_CODES)}")  # fmt: skip

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class ShadeMeasurement:
    """Everything ``hueproof measure`` reports.

    ``lab`` is calibrated when ``correction`` is set; otherwise it is the colour the pixels
    have if the photo were true sRGB, and there is no uncertainty and no verdict but
    ``inconclusive``.
    """

    lab: np.ndarray
    region: RegionColour
    roi: tuple[int, int, int, int]
    chart: ChartDetection | None = field(repr=False)
    correction: ColourCorrection | None = field(repr=False)
    uncertainty: UncertaintyBudget | None
    reference_lab: np.ndarray | None
    verdict: Verdict | None
    reasons: tuple[Reason, ...] = ()
    #: Without a usable chart, a chart-free estimate: {"model", "model_sha256", "white", ...}
    chart_free: dict | None = None
    #: How much colour the chart's patches show (:func:`colour_range`), or without a chart the
    #: face's box the chart-free route read (vision/shade.py; else None): under
    #: MIN_COLOUR_RANGE, none
    colour_range: float | None = None

    @property
    def colourless(self) -> bool:
        return self.colour_range is not None and self.colour_range < MIN_COLOUR_RANGE

    @property
    def calibrated(self) -> bool:
        return self.correction is not None and self.uncertainty is not None

    @property
    def colour_source(self) -> str:
        if self.calibrated:
            return "chart"
        return "chart-free model" if self.chart_free is not None else "uncalibrated"

    def to_dict(self) -> dict:
        corr = self.correction
        chart = {"detected": self.chart is not None}
        if self.chart is not None:
            chart.update(self.chart.to_dict())
        if corr is not None:
            chart.update(corr.summary())
        u, ref = self.uncertainty, self.reference_lab
        out = {
            "lab": np.round(self.lab, 3).tolist(),
            "calibrated": self.calibrated,
            "chart": chart,
            "uncertainty_de00": None if u is None else round(u.expanded, 3),
            "uncertainty_budget": None if u is None else u.to_dict(),
            "reference_lab": None if ref is None else np.round(ref, 3).tolist(),
            "delta_e00": None,
            "delta": None,
            "verdict": None,
            "tolerance": None,
            "explanation": "; ".join(r.message for r in self.reasons) or None,
            "roi": list(self.roi),
            "region": self.region.to_dict(),
            "reasons": [r.to_dict() for r in self.reasons],
            "algorithm_version": ALGORITHM_VERSION,
            "colour_source": self.colour_source,
            "chart_free": self.chart_free,
            "colour_range": None if self.colour_range is None or not np.isfinite(
                self.colour_range) else round(self.colour_range, 3),
        }  # fmt: skip
        if self.verdict is not None:
            v = self.verdict.to_dict()
            out.update({k: v[k] for k in ("delta_e00", "delta", "verdict", "tolerance",
                                          "difference")})  # fmt: skip
            out["explanation"] = " ".join([*(r.message for r in self.reasons),
                                           v["explanation"]]).strip()  # fmt: skip
        return out


def colour_range(rgb_lin: np.ndarray, *, min_pixels: int = 50) -> float:
    """How much colour an image shows: the larger of the 1st-99th percentile ranges of
    ln(R/G) and ln(B/G) over its pixels that are neither dark nor clipped.

    Parameters
    ----------
    rgb_lin : (..., 3) float, linear sRGB, [0, 1]; images larger than
        :data:`COLOUR_RANGE_PIXELS` are read on a regular subsample; a face's box or a
        chart's patches, not a whole frame (:data:`MIN_COLOUR_RANGE`)
    min_pixels : int, keyword-only
        Fewer usable pixels than this tell nothing (24 patches: pass 10)

    Returns
    -------
    float, natural-log units: 0 for black and white; NaN when fewer than ``min_pixels`` are
    neither darker than a hundredth of their channel's 99th percentile nor brighter than 0.98
    in any channel (nothing to tell by)

    Examples
    --------
    >>> grey = np.full((8, 8, 3), 0.5) * np.linspace(0.2, 1, 8)[:, None, None]
    >>> colour_range(grey)
    0.0
    """
    rgb_lin = np.asarray(rgb_lin)
    if rgb_lin.ndim == 3:  # an image: a regular subsample, both ways
        step = max(1, int(np.ceil(np.sqrt(rgb_lin.shape[0] * rgb_lin.shape[1]
                                          / COLOUR_RANGE_PIXELS))))  # fmt: skip
        rgb_lin = rgb_lin[::step, ::step]
    px = rgb_lin.reshape(-1, 3).astype(np.float32)
    px = px[px.max(axis=1) < 0.98]
    # dark relative to each channel's own bright end: a coloured light (a gain per channel)
    # then keeps and drops the same pixels
    dark = 0.01 * np.percentile(px, 99, axis=0) if len(px) else 0.0
    px = px[(px > np.maximum(dark, 1e-4)).all(axis=1)]
    if len(px) < min_pixels:
        return float("nan")
    ratios = np.log(px[:, [0, 2]] / px[:, 1:2])
    lo, hi = np.percentile(ratios, (1, 99), axis=0)
    return float(np.max(hi - lo))


def _check_lab(lab, name):
    lab = np.asarray(lab, dtype=np.float64)
    if lab.shape != (3,) or not np.all(np.isfinite(lab)):
        raise InvalidInputError(
            f"expected {name} as three finite numbers L,a,b; got {lab.tolist()}"
        )
    if not 0.0 <= lab[0] <= 100.0:
        raise InvalidInputError(f"expected {name} L* in [0, 100]; got {lab[0]}")
    return lab


def measure_shade(
    rgb_lin: np.ndarray,
    *,
    roi: tuple[int, int, int, int] | None = None,
    mask: np.ndarray | None = None,
    reference_lab=None,
    reference_expanded_u: float = 0.0,
    tolerance: float = DEFAULT_TOLERANCE,
    method: str = DEFAULT_CORRECTION_METHOD,
    chart_reference_name: str = DEFAULT_CHART_REFERENCE,
    detections: tuple[ChartDetection, ...] | None = None,
) -> ShadeMeasurement:
    """Measure the colour inside ``roi`` and, given a reference, decide the shade verdict.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB as ingested
    roi : (x, y, w, h) int, keyword-only
        The product region, in pixels, inside the image.
    mask : (H, W) bool, keyword-only
        The region as a mask instead (e.g. the lips of a face); exactly one of roi and mask.
    reference_lab : (3,) float, optional, keyword-only
        The brand's reference CIELAB (D65, 2°).
    reference_expanded_u : float, keyword-only
        The reference's own expanded uncertainty.
    tolerance : float, keyword-only
        ΔE00 tolerance T of the shade.
    method : str, keyword-only
        Colour correction method (see ``calibration.correction.CORRECTION_METHODS``).
    chart_reference_name : str, keyword-only
    detections : tuple of ChartDetection, optional, keyword-only
        Reuse a detection made earlier; by default the chart is searched for.

    Returns
    -------
    ShadeMeasurement

    Examples
    --------
    A simulated phone photo of a lipstick swatch beside a ColorChecker, under tungsten light
    (calibration/simulate.py):

    >>> from calibration.simulate import Scene, render_scene
    >>> from vision.ingest import ingest_image
    >>> photo = render_scene(Scene(illuminant="A", seed=3, width=800, height=600,
    ...                            chart_width_px=300, swatch_size_px=110))
    >>> rgb_lin = ingest_image(photo.jpeg).rgb_lin
    >>> m = measure_shade(rgb_lin, roi=photo.roi, reference_lab=photo.product_lab)
    >>> m.verdict.verdict, round(m.verdict.delta_e00, 1), round(m.verdict.uncertainty_de00, 1)
    ('match', 0.5, 2.5)
    >>> measure_shade(rgb_lin, roi=photo.roi, reference_lab=(46, 58, 24)).verdict.explanation
    'The measured colour is darker and warmer (more orange) than the reference (ΔE00 7.25 ...'
    """
    rgb_lin = np.asarray(rgb_lin)
    h, w = rgb_lin.shape[:2]
    if (roi is None) == (mask is None):
        raise InvalidInputError("expected exactly one of an ROI and a mask")
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (h, w) or not mask.any():
            raise InvalidInputError(
                f"expected a non-empty ({h}, {w}) mask; got shape {mask.shape} with "
                f"{int(mask.sum())} pixels"
            )
        ys, xs = np.nonzero(mask)
        roi = (int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
    x, y, rw, rh = (int(v) for v in roi)
    if rw <= 0 or rh <= 0 or x < 0 or y < 0 or x + rw > w or y + rh > h:
        raise InvalidInputError(f"expected an ROI inside the {w}x{h} image; got {x},{y},{rw},{rh}")
    if reference_lab is not None:
        reference_lab = _check_lab(reference_lab, "the reference Lab")
    if not np.isfinite(tolerance) or tolerance <= 0:  # a ValueError of the verdict's, before
        raise InvalidInputError(f"expected the tolerance as a finite number > 0 (ΔE00); got "
                                f"{tolerance}")  # fmt: skip
    if not np.isfinite(reference_expanded_u) or reference_expanded_u < 0:
        raise InvalidInputError(f"expected the reference's U as a finite number ≥ 0 (ΔE00); "
                                f"got {reference_expanded_u}")  # fmt: skip
    if mask is not None:
        pixels = rgb_lin[mask]
    else:
        pixels = rgb_lin[y : y + rh, x : x + rw].reshape(-1, 3)

    reasons: list[Reason] = []
    if detections is None:
        detections = detect_colour_checker(rgb_lin, reference=chart_reference_name)
    chart = detections[0] if detections else None
    # a chart without colour (NaN, too dark or clipped to tell, is not colourless)
    spread = None if chart is None else colour_range(chart.patches_rgb_lin, min_pixels=10)
    correction = None
    if spread is not None and spread < MIN_COLOUR_RANGE:
        reasons.append(Reason("no_colour", NO_COLOUR_REASON))
    elif chart is None:
        reasons.append(Reason("no_chart",
            "Uncalibrated: no colour chart was found in the photo, so the colour is read as if "
            "the phone rendered true sRGB and no verdict can be given."))  # fmt: skip
    else:
        try:
            correction = fit_colour_correction(
                chart.patches_rgb_lin, reference=chart_reference_name, method=method
            )
        except CalibrationError as exc:
            reasons.append(
                Reason("chart_unusable", f"Uncalibrated: the chart could not be used ({exc}).")
            )
        else:
            mean, worst = float(correction.loo_de00.mean()), float(correction.loo_de00.max())
            if mean > POOR_FIT_MEAN or worst > POOR_FIT_MAX:
                reasons.append(Reason("chart_poor_fit",
                    f"Uncalibrated: the chart fit is poor (leave-one-out ΔE00 mean {mean:.2f}, "
                    f"max {worst:.2f}; limits {POOR_FIT_MEAN}, {POOR_FIT_MAX}); glare or uneven "
                    "light on the chart is the usual cause."))  # fmt: skip
                correction = None

    if correction is not None:
        region = robust_region_lab(correction.apply_lab(pixels))
        budget = measurement_uncertainty(
            region.lab,
            correction,
            sampling_u=region.sampling_u,
            reference_expanded_u=reference_expanded_u,
        )
    else:
        region = robust_region_lab(xyz_to_lab(rgb_lin_to_xyz(pixels.astype(np.float64))))
        budget = None

    verdict = None
    if reference_lab is not None:
        verdict = shade_verdict(
            reference_lab,
            region.lab,
            uncertainty=None if budget is None else budget.expanded,
            tolerance=tolerance,
        )
    return ShadeMeasurement(
        lab=region.lab,
        region=region,
        roi=(x, y, rw, rh),
        chart=chart,
        correction=correction,
        uncertainty=budget,
        reference_lab=reference_lab,
        verdict=verdict,
        reasons=tuple(reasons),
        colour_range=spread,
    )
