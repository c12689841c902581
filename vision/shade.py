"""Shade of a product worn on the face: the lips (or a cheek, for foundation)."""

from __future__ import annotations

import numpy as np

from calibration.errors import InvalidInputError
from calibration.measure import (
    MIN_COLOUR_RANGE,
    NO_COLOUR_CAUSES,
    Reason,
    ShadeMeasurement,
    colour_range,
    measure_shade,
)
from vision.landmarks import FaceLandmarker, FaceLandmarks
from vision.regions import face_box, region_mask

__all__ = ["SHADE_REGIONS", "chart_free_swatch", "face_shade"]

#: Where each kind of product is measured on the face.
SHADE_REGIONS = ("lips", "upper_lip", "lower_lip", "left_cheek", "right_cheek")


def face_shade(
    rgb_lin: np.ndarray,
    *,
    landmarker: FaceLandmarker | None = None,
    face: FaceLandmarks | None = None,
    region: str = "lips",
    colour_model=None,
    masks: dict | None = None,
    **measure_options,
) -> tuple[ShadeMeasurement, FaceLandmarks]:
    """Measure the colour of a face region, chart-corrected when a chart is in the frame.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB
    landmarker : FaceLandmarker, keyword-only
        Used when ``face`` is not given.
    face : FaceLandmarks, keyword-only
        Landmarks found earlier.
    region : str, keyword-only
        One of :data:`SHADE_REGIONS`.
    colour_model : models.illuminant.IlluminantModel, keyword-only
        Without a usable chart, the lips' colour is estimated by this chart-free model from
        the face itself, with the model's validated uncertainty (so the verdict stays
        ``inconclusive`` unless the difference dwarfs it).
    masks : dict of str → (H, W) bool, keyword-only
        Region masks already made for ``face`` (:func:`vision.regions.region_masks`); the
        missing ones are made here.
    **measure_options
        Passed to :func:`calibration.measure.measure_shade` (reference, tolerance, ...).

    Raises
    ------
    InvalidInputError
        No face in the photo, or an unknown region.
    """
    if region not in SHADE_REGIONS:
        raise InvalidInputError(f"unknown shade region {region!r}; expected one of {SHADE_REGIONS}")
    if face is None:
        if landmarker is None:
            raise ValueError("face_shade needs a landmarker or a face")
        found = landmarker.detect(rgb_lin)
        if not found:
            raise InvalidInputError("expected a face in the photo; none was found")
        face = found[0]
    masks = masks or {}
    mask = masks[region] if region in masks else region_mask(face.points, region, rgb_lin.shape[:2])
    if not mask.any():
        raise InvalidInputError(f"the {region} region of the face is empty (face too small?)")
    m = measure_shade(rgb_lin, mask=mask, **measure_options)
    if m.calibrated or colour_model is None or region not in ("lips", "upper_lip", "lower_lip"):
        return m, face
    return _chart_free(m, rgb_lin, face, colour_model, measure_options, masks=masks), face


def chart_free_swatch(m: ShadeMeasurement, rgb_lin, face, model, roi, **options):
    """Without a chart but with a face in the frame: the colour of ``roi`` (x, y, w, h; a
    swatch beside the face) as the chart-free model reads it with the face (its swatch
    route: divided by the white it reads from the face, mixed with its swatch network), with
    that route's validated uncertainty."""
    x, y, w, h = roi
    swatch = np.asarray(rgb_lin)[y : y + h, x : x + w].reshape(-1, 3)  # the ROI's pixels
    return _chart_free(m, rgb_lin, face, model, options, swatch=swatch)


def _chart_free(m: ShadeMeasurement, rgb_lin, face, model, options, swatch=None, masks=None):
    """The chart-free Lab (the lips', or by the swatch route that of ``swatch``, a swatch's
    (N, 3) pixels) and its uncertainty, with the verdict they allow; ``masks`` are the
    face's region masks made earlier."""
    from dataclasses import replace

    from calibration.uncertainty import UncertaintyBudget
    from calibration.verdict import DEFAULT_TOLERANCE, shade_verdict
    from models.illuminant import typical_swatch_rgb
    from vision.chartfree import face_region_colours

    x0, y0, x1, y1 = face_box(face, np.shape(rgb_lin)[:2])
    spread = colour_range(np.asarray(rgb_lin)[y0:y1, x0:x1])
    if spread < MIN_COLOUR_RANGE:
        # a face without colour still gets a plausible lip colour from the model
        why = Reason("no_chart_free", "No chart-free estimate either: the face shows no "
                     f"colour ({NO_COLOUR_CAUSES}).")  # fmt: skip
        return replace(m, colour_range=spread, reasons=(*m.reasons, why))
    try:
        colours = face_region_colours(rgb_lin, face, masks=masks)
        pred = model.predict(colours)
    except ValueError as exc:  # eyes closed, face too small: stay uncalibrated, say why
        why = Reason("no_chart_free", f"No chart-free estimate either: {exc}.")
        return replace(m, reasons=(*m.reasons, why))
    lab, model_u = pred.lips_lab, pred.expanded_u
    if swatch is not None:  # its pixels' median in Lab, then the swatch route
        pred = model.predict(colours, typical_swatch_rgb(swatch, pred.white))
        lab, model_u = pred.swatch_lab, model.swatch_u
    ref_u = float(options.get("reference_expanded_u", 0.0) or 0.0)
    expanded = float(np.hypot(model_u, ref_u))
    budget = UncertaintyBudget(correction=model_u / 2, sampling=0.0, reference=ref_u / 2,
                               scene=0.0, coverage_factor=2.0, expanded=expanded)  # fmt: skip
    verdict = None
    if options.get("reference_lab") is not None:
        verdict = shade_verdict(options["reference_lab"], lab, uncertainty=expanded,
                                tolerance=options.get("tolerance", DEFAULT_TOLERANCE))  # fmt: skip
    # the chart-free estimate replaces the "uncalibrated, no verdict" reading
    kept = tuple(r for r in m.reasons if r.code not in ("no_chart", "chart_unusable",
                                                        "chart_poor_fit"))  # fmt: skip
    reasons = (*kept, Reason("chart_free", "No usable colour chart: the colour is a chart-free "
               f"estimate from the face, with its validated uncertainty (U {expanded:.1f} "
               "ΔE00)."))  # fmt: skip
    what = "the lips'" if swatch is None else "a swatch's (lipsticks, foundations, other colours)"
    details = {"model": "illuminant", "model_sha256": pred.model_sha256,
               "white": np.round(pred.white, 4).tolist(),
               "route": "lips" if swatch is None else "swatch",
               "uncertainty_source": f"90th percentile of {what} ΔE00 on simulated scenes "
                                     "with a held-out camera (models/illuminant)"}  # fmt: skip
    return replace(m, lab=np.asarray(lab, np.float64), uncertainty=budget, verdict=verdict,
                   reasons=reasons, chart_free=details)  # fmt: skip
