"""Expanded uncertainty of a colour measured through a chart-fitted correction.

The budget has four parts, combined in quadrature and expanded with k = 2:

* **correction**: the leave-one-out ΔE00 of the chart patches near the measured colour (a
  Gaussian kernel in CIELAB), blended with the all-patch RMS. It is what the fit gets wrong
  for a colour it has not seen.
* **sampling**: the standard uncertainty of the region's median.
* **reference**: the standard uncertainty of the brand's reference (half its U).
* **scene**: what the chart cannot reveal (the product's spectrum unlike any patch, light
  that differs between the chart and the product); a floor found on the simulated set.

``CORRECTION_SCALE`` and ``SCENE_FLOOR`` were fitted with ``benchmarks/calibrate_uncertainty.py``
on simulated scenes (seeds 10000-10149), then checked on held-out scenes (seeds 0-149, the
accuracy benchmark): the smallest values for which U covers at least 90 % of the errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calibration.correction import ColourCorrection

__all__ = ["COVERAGE_FACTOR", "UncertaintyBudget", "measurement_uncertainty"]

COVERAGE_FACTOR = 2.0
#: Width (CIELAB units) of the kernel that picks the chart patches "near" a colour.
KERNEL_WIDTH = 20.0
#: Weight of the all-patch RMS relative to one fully weighted neighbouring patch.
GLOBAL_WEIGHT = 1.0
#: Fitted on simulated scenes, see the module docstring.
CORRECTION_SCALE = 0.5
SCENE_FLOOR = 0.5


@dataclass(frozen=True)
class UncertaintyBudget:
    """Standard uncertainties (ΔE00 units) and the expanded uncertainty U."""

    correction: float
    sampling: float
    reference: float
    scene: float
    coverage_factor: float
    expanded: float

    def to_dict(self) -> dict:
        return {
            "correction": round(self.correction, 3),
            "sampling": round(self.sampling, 3),
            "reference": round(self.reference, 3),
            "scene": round(self.scene, 3),
            "coverage_factor": self.coverage_factor,
            "expanded": round(self.expanded, 3),
        }


def correction_uncertainty(lab, correction: ColourCorrection) -> float:
    """Standard uncertainty of the correction near a CIELAB colour, from LOO residuals."""
    d = np.linalg.norm(correction.reference_lab - np.asarray(lab, float), axis=1)
    w = np.exp(-0.5 * (d / KERNEL_WIDTH) ** 2)
    loo2 = correction.loo_de00**2
    local = (w @ loo2 + GLOBAL_WEIGHT * loo2.mean()) / (w.sum() + GLOBAL_WEIGHT)
    return float(np.sqrt(local))


def measurement_uncertainty(
    lab,
    correction: ColourCorrection,
    *,
    sampling_u: float,
    reference_expanded_u: float = 0.0,
    k: float = COVERAGE_FACTOR,
) -> UncertaintyBudget:
    """Expanded uncertainty U (ΔE00) of a colour measured through ``correction``.

    Parameters
    ----------
    lab : (3,) float, CIELAB of the measured colour
    correction : ColourCorrection
    sampling_u : float, keyword-only
        Standard uncertainty of the region statistic.
    reference_expanded_u : float, keyword-only
        The reference's own expanded uncertainty (k = 2); 0 for an exact reference.
    k : float, keyword-only
        Coverage factor.

    Returns
    -------
    UncertaintyBudget

    References
    ----------
    .. [1] JCGM 100:2008, Evaluation of measurement data - Guide to the expression of
       uncertainty in measurement (GUM), sections 5 (combined standard uncertainty) and 6
       (expanded uncertainty).

    Examples
    --------
    >>> from calibration.chart import chart_reference
    >>> from calibration.colorimetry import XYZ_TO_SRGB
    >>> from calibration.correction import fit_colour_correction
    >>> correction = fit_colour_correction(0.5 * chart_reference().xyz @ XYZ_TO_SRGB.T)
    >>> budget = measurement_uncertainty([40.2, 50.1, 28.5], correction, sampling_u=0.3,
    ...                                  reference_expanded_u=0.8)
    >>> round(budget.correction, 3), budget.reference, budget.scene
    (0.257, 0.4, 0.5)
    >>> round(budget.expanded, 3)  # 2·√(0.257² + 0.3² + 0.4² + 0.5²)
    1.505
    """
    u_corr = CORRECTION_SCALE * correction_uncertainty(lab, correction)
    u_ref = float(reference_expanded_u) / COVERAGE_FACTOR
    u = np.sqrt(u_corr**2 + sampling_u**2 + u_ref**2 + SCENE_FLOOR**2)
    return UncertaintyBudget(u_corr, float(sampling_u), u_ref, SCENE_FLOOR, k, float(k * u))
