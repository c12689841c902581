"""ColorChecker Classic 24 reference values and layout.

Patch order is the chart's own: row by row from "dark skin" (top left when the chart is read
with its neutral row at the bottom) to "black 2" (bottom right).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np

from calibration.colorimetry import D65_XYZ, colour_science, xyz_to_lab

__all__ = [
    "CHART_COLUMNS",
    "CHART_REFERENCES",
    "CHART_ROWS",
    "DEFAULT_CHART_REFERENCE",
    "GRID_CORNERS",
    "NEUTRAL_PATCHES",
    "PATCH_NAMES",
    "ChartReference",
    "chart_reference",
]

CHART_COLUMNS, CHART_ROWS = 6, 4
#: Indices of white 9.5, neutral 8, 6.5, 5, 3.5 and black 2 (the bottom row).
NEUTRAL_PATCHES = (18, 19, 20, 21, 22, 23)
#: Outer corners of the patch grid in chart units (patch pitch = 1), in chart order: at dark
#: skin, bluish green, black and white.
GRID_CORNERS = np.array([[0, 0], [6, 0], [6, 4], [0, 4]], dtype=np.float64)
PATCH_NAMES = (
    "dark skin", "light skin", "blue sky", "foliage", "blue flower", "bluish green",
    "orange", "purplish blue", "moderate red", "purple", "yellow green", "orange yellow",
    "blue", "green", "red", "yellow", "magenta", "cyan",
    "white 9.5", "neutral 8", "neutral 6.5", "neutral 5", "neutral 3.5", "black 2",
)  # fmt: skip

#: X-Rite's values for charts made after November 2014 (D50, 2°), as shipped by colour-science.
DEFAULT_CHART_REFERENCE = "ColorChecker24 - After November 2014"


@dataclass(frozen=True)
class ChartReference:
    """Reference colours of the 24 patches under D65, 2° observer.

    Attributes
    ----------
    name : str
    xyz : (24, 3) float64, CIE XYZ, D65, Y of the perfect diffuser = 1
    lab : (24, 3) float64, CIELAB, D65
    source : str
        Where the numbers come from and how they were brought to D65.
    """

    name: str
    xyz: np.ndarray
    lab: np.ndarray
    source: str


def _from_xyy_d50(name: str) -> ChartReference:
    colour = colour_science()
    cc = colour.CCS_COLOURCHECKERS[name]
    xyy = np.array([cc.data[key] for key in cc.data])
    xyz_src = colour.xyY_to_XYZ(xyy)
    white_src = colour.xy_to_XYZ(cc.illuminant)
    white_d65 = D65_XYZ
    xyz = colour.adaptation.chromatic_adaptation_VonKries(
        xyz_src, white_src, white_d65, transform="Bradford"
    )
    return ChartReference(
        name,
        xyz,
        xyz_to_lab(xyz),
        f"colour-science CCS_COLOURCHECKERS[{name!r}] (xyY, illuminant xy "
        f"{tuple(np.round(cc.illuminant, 4))}), Bradford-adapted to D65",
    )


def _from_spectra(name: str) -> ChartReference:
    colour = colour_science()
    shape = colour.SpectralShape(380, 780, 5)
    cmfs = colour.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"].copy().align(shape)
    d65 = colour.SDS_ILLUMINANTS["D65"].copy().align(shape)
    sds = colour.SDS_COLOURCHECKERS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # colour-science notes it integrates at 5 nm
        xyz = np.array(
            [colour.sd_to_XYZ(sd.copy().align(shape), cmfs, d65) / 100.0 for sd in sds.values()]
        )
    return ChartReference(
        name,
        xyz,
        xyz_to_lab(xyz),
        f"colour-science SDS_COLOURCHECKERS[{name!r}] reflectances integrated under CIE D65, "
        "CIE 1931 2° observer",
    )


CHART_REFERENCES = {
    "ColorChecker24 - After November 2014": _from_xyy_d50,
    "ColorChecker24 - Before November 2014": _from_xyy_d50,
    "BabelColor Average": _from_spectra,
}


@cache
def chart_reference(name: str = DEFAULT_CHART_REFERENCE) -> ChartReference:
    """The reference colours of a chart, by name.

    Parameters
    ----------
    name : str
        One of :data:`CHART_REFERENCES`.

    Returns
    -------
    ChartReference

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.

    Examples
    --------
    >>> ref = chart_reference()
    >>> ref.name, ref.xyz.shape
    ('ColorChecker24 - After November 2014', (24, 3))
    >>> chart_reference("Macbeth")
    Traceback (most recent call last):
    ...
    ValueError: unknown chart reference 'Macbeth'; expected one of [...]
    """
    try:
        build = CHART_REFERENCES[name]
    except KeyError:
        raise ValueError(
            f"unknown chart reference {name!r}; expected one of {sorted(CHART_REFERENCES)}"
        ) from None
    return build(name)
