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
    "POOR_FIT_MAX",
    "POOR_FIT_MEAN",
    "ShadeMeasurement",
    "measure_shade",
]

ALGORITHM_VERSION = "hueproof-measure/0.1"
#: A chart whose leave-one-out residuals exceed these (ΔE00) is too poorly fitted to judge by:
#: glare on the chart, a chart partly in shadow, or an extreme light source.
POOR_FIT_MEAN = 3.0
POOR_FIT_MAX = 12.0


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
    reasons: tuple[str, ...] = ()
    #: Without a usable chart, a chart-free estimate: {"model", "model_sha256", "white", ...}
    chart_free: dict | None = None

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
            "explanation": "; ".join(self.reasons) if self.reasons else None,
            "roi": list(self.roi),
            "region": self.region.to_dict(),
            "reasons": list(self.reasons),
            "algorithm_version": ALGORITHM_VERSION,
            "colour_source": self.colour_source,
            "chart_free": self.chart_free,
        }  # fmt: skip
        if self.verdict is not None:
            v = self.verdict.to_dict()
            out.update({k: v[k] for k in ("delta_e00", "delta", "verdict", "tolerance")})
            out["explanation"] = " ".join([*self.reasons, v["explanation"]]).strip()
        return out


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
    if mask is not None:
        pixels = rgb_lin[mask]
    else:
        pixels = rgb_lin[y : y + rh, x : x + rw].reshape(-1, 3)

    reasons: list[str] = []
    if detections is None:
        detections = detect_colour_checker(rgb_lin, reference=chart_reference_name)
    chart = detections[0] if detections else None
    correction = None
    if chart is None:
        reasons.append(
            "Uncalibrated: no colour chart was found in the photo, so the colour is read as if "
            "the phone rendered true sRGB and no verdict can be given."
        )
    else:
        try:
            correction = fit_colour_correction(
                chart.patches_rgb_lin, reference=chart_reference_name, method=method
            )
        except CalibrationError as exc:
            reasons.append(f"Uncalibrated: the chart could not be used ({exc}).")
        else:
            mean, worst = float(correction.loo_de00.mean()), float(correction.loo_de00.max())
            if mean > POOR_FIT_MEAN or worst > POOR_FIT_MAX:
                reasons.append(
                    f"Uncalibrated: the chart fit is poor (leave-one-out ΔE00 mean {mean:.2f}, "
                    f"max {worst:.2f}; limits {POOR_FIT_MEAN}, {POOR_FIT_MAX}); glare or uneven "
                    "light on the chart is the usual cause."
                )
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
    )
