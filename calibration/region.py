"""Robust colour of a region: median in CIELAB after rejecting highlights and shadows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calibration.errors import InvalidInputError

__all__ = ["RegionColour", "parse_roi", "robust_region_lab", "roi_numbers"]

#: Pixels brighter than the median by this many robust σ of L* (and at least 3 L* units)
#: are specular highlights; darker by SHADOW_Z, shadows or pores.
HIGHLIGHT_Z = 2.5
SHADOW_Z = 3.0
MIN_LSTAR_BAND = 3.0
#: Neighbouring pixels of a phone photo are not independent (demosaicing, JPEG 8×8 blocks,
#: noise reduction): one independent sample per 4×4 pixels is the assumption here.
PIXELS_PER_INDEPENDENT_SAMPLE = 16.0


@dataclass(frozen=True)
class RegionColour:
    """The robust colour of a region.

    Attributes
    ----------
    lab : (3,) float64, CIELAB, per-axis median of the kept pixels
    spread : (3,) float64, robust standard deviation (1.4826 · MAD) per axis of kept pixels
    n_pixels : int, pixels in the region
    n_kept : int, pixels left after rejection
    highlights : int, pixels rejected as highlights
    shadows : int, pixels rejected as shadows
    """

    lab: np.ndarray
    spread: np.ndarray
    n_pixels: int
    n_kept: int
    highlights: int
    shadows: int

    @property
    def sampling_u(self) -> float:
        """Standard uncertainty of the median (CIELAB units, an upper bound for ΔE00)."""
        n_eff = max(1.0, self.n_kept / PIXELS_PER_INDEPENDENT_SAMPLE)
        return float(1.2533 * np.linalg.norm(self.spread) / np.sqrt(n_eff))

    def to_dict(self) -> dict:
        return {
            "lab": np.round(self.lab, 3).tolist(),
            "spread": np.round(self.spread, 3).tolist(),
            "pixels": self.n_pixels,
            "kept": self.n_kept,
            "rejected_highlights": self.highlights,
            "rejected_shadows": self.shadows,
        }


def robust_region_lab(lab_pixels, *, highlight_z=HIGHLIGHT_Z, shadow_z=SHADOW_Z) -> RegionColour:
    """Median CIELAB of a set of pixels, highlights and shadows rejected.

    Parameters
    ----------
    lab_pixels : (N, 3) float array, CIELAB
    highlight_z, shadow_z : float, keyword-only
        Rejection thresholds in robust standard deviations of L*.

    Returns
    -------
    RegionColour

    Raises
    ------
    InvalidInputError
        When there are no finite pixels.

    Examples
    --------
    >>> px = np.tile([50.0, 20.0, 10.0], (100, 1)); px[:5, 0] = 95.0  # five glints
    >>> rc = robust_region_lab(px)
    >>> rc.lab.tolist(), rc.highlights
    ([50.0, 20.0, 10.0], 5)
    """
    lab = np.asarray(lab_pixels, dtype=np.float64).reshape(-1, 3)
    lab = lab[np.all(np.isfinite(lab), axis=1)]
    if len(lab) == 0:
        raise InvalidInputError("expected a region with at least one pixel; got none")
    n = len(lab)
    keep = np.ones(n, bool)
    for _ in range(2):
        L = lab[keep, 0]
        med = np.median(L)
        s = 1.4826 * np.median(np.abs(L - med))
        hi = med + max(highlight_z * s, MIN_LSTAR_BAND)
        lo = med - max(shadow_z * s, MIN_LSTAR_BAND)
        keep = (lab[:, 0] <= hi) & (lab[:, 0] >= lo)
    kept = lab[keep]
    med = np.median(kept, axis=0)
    spread = 1.4826 * np.median(np.abs(kept - med), axis=0)
    return RegionColour(
        lab=med,
        spread=spread,
        n_pixels=n,
        n_kept=int(keep.sum()),
        highlights=int((lab[:, 0] > hi).sum()),
        shadows=int((lab[:, 0] < lo).sum()),
    )


def roi_numbers(text) -> tuple[int, ...] | None:
    """``"X,Y,W,H"``'s numbers rounded to whole pixels, or None when it is not four finite
    numbers (each caller says what it expected: :func:`parse_roi`, a claim's form).

    >>> roi_numbers("218,455.4,90,72"), roi_numbers("1,2,3"), roi_numbers("inf,0,1,1")
    ((218, 455, 90, 72), None, None)
    """
    try:
        values = tuple(int(round(float(v))) for v in str(text).split(","))
    except (ValueError, OverflowError):  # OverflowError: an infinite number
        return None
    return values if len(values) == 4 else None


def parse_roi(text: str, *, width: int, height: int) -> tuple[int, int, int, int]:
    """Parse ``"X,Y,W,H"`` (pixels) and check that it lies inside a ``width × height`` image.

    Raises
    ------
    InvalidInputError
        With what was expected and what came.

    Examples
    --------
    >>> parse_roi("218,455,90,72", width=1200, height=900)
    (218, 455, 90, 72)
    >>> parse_roi("10,10,50,50", width=40, height=40)
    Traceback (most recent call last):
    ...
    calibration.errors.InvalidInputError: expected the ROI inside the 40x40 image; got 10,10,50,50
    """
    values = roi_numbers(text)
    if values is None:
        raise InvalidInputError(f"expected the ROI as X,Y,W,H: four numbers; got {text!r}")
    x, y, w, h = values
    if w <= 0 or h <= 0:
        raise InvalidInputError(f"expected a positive ROI width and height; got {w}x{h}")
    if x < 0 or y < 0 or x + w > width or y + h > height:
        raise InvalidInputError(
            f"expected the ROI inside the {width}x{height} image; got {str(text).strip()}"
        )
    return x, y, w, h
