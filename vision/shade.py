"""Shade of a product worn on the face: the lips (or a cheek, for foundation)."""

from __future__ import annotations

import numpy as np

from calibration.errors import InvalidInputError
from calibration.measure import ShadeMeasurement, measure_shade
from vision.landmarks import FaceLandmarker, FaceLandmarks
from vision.regions import region_mask

__all__ = ["SHADE_REGIONS", "face_shade"]

#: Where each kind of product is measured on the face.
SHADE_REGIONS = ("lips", "upper_lip", "lower_lip", "left_cheek", "right_cheek")


def face_shade(
    rgb_lin: np.ndarray,
    *,
    landmarker: FaceLandmarker | None = None,
    face: FaceLandmarks | None = None,
    region: str = "lips",
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
    mask = region_mask(face.points, region, rgb_lin.shape[:2])
    if not mask.any():
        raise InvalidInputError(f"the {region} region of the face is empty (face too small?)")
    return measure_shade(rgb_lin, mask=mask, **measure_options), face
