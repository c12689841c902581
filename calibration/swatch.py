"""Brand swatch calibration: the reference colour of a shade, with its own uncertainty.

Three ways in: a photo of the swatch beside a ColorChecker, spectrophotometer CIELAB readings
(any common illuminant, 2° or 10° observer), or spectral reflectance. Each gives an immutable
:class:`SwatchCalibration` that the claims store persists as one version of the shade.
"""

from __future__ import annotations

import csv
import hashlib
import io
import warnings
from dataclasses import dataclass, field

import numpy as np

from calibration.colorimetry import D65_XYZ, colour_science, delta_e00, lab_to_xyz, xyz_to_lab
from calibration.errors import InvalidInputError
from calibration.measure import ALGORITHM_VERSION, measure_shade

__all__ = [
    "INSTRUMENT_U",
    "SwatchCalibration",
    "calibrate_from_csv",
    "calibrate_from_lab_csv",
    "calibrate_from_photo",
    "calibrate_from_spectral_csv",
    "read_csv",
]

#: Expanded uncertainty (ΔE00) of a single spectrophotometer reading: manufacturers of
#: portable sphere instruments quote 0.2-0.4 ΔE*ab inter-instrument agreement on BCRA tiles;
#: the upper figure is used.
INSTRUMENT_U = 0.4
#: Extra standard uncertainty when CIELAB was given for the 10° observer: without spectra it
#: can only be re-referenced through the white point; 2° and 10° CIELAB of saturated colours
#: typically differ by up to about 1 ΔE00.
OBSERVER_10_U = 0.5


@dataclass(frozen=True)
class SwatchCalibration:
    """One immutable calibration of a shade.

    Attributes
    ----------
    shade : str
    lab : (3,) float64, CIELAB, D65, 2°
    expanded_u : float, ΔE00, k = 2
    source : ``"photo"``, ``"spectro-lab"`` or ``"spectral"``
    inputs_sha256 : tuple of str, hashes of the input files
    method : str, how the input became D65 2° CIELAB
    details : dict, residuals and other facts (JSON-ready)
    """

    shade: str
    lab: np.ndarray
    expanded_u: float
    source: str
    inputs_sha256: tuple[str, ...]
    method: str
    details: dict = field(default_factory=dict)
    algorithm_version: str = ALGORITHM_VERSION

    def to_dict(self) -> dict:
        return {
            "shade": self.shade,
            "lab": np.round(self.lab, 3).tolist(),
            "uncertainty_de00": round(float(self.expanded_u), 3),
            "source": self.source,
            "inputs_sha256": list(self.inputs_sha256),
            "method": self.method,
            "details": self.details,
            "algorithm_version": self.algorithm_version,
        }


def calibrate_from_photo(image, *, roi, shade: str = "") -> SwatchCalibration:
    """Reference colour of a swatch photographed beside a ColorChecker.

    Parameters
    ----------
    image : vision.ingest.IngestedImage
    roi : (x, y, w, h), keyword-only, the swatch region
    shade : str, keyword-only

    Raises
    ------
    InvalidInputError
        When the photo has no usable chart: a brand reference must be calibrated.
    """
    m = measure_shade(image.rgb_lin, roi=roi)
    if not m.calibrated:
        raise InvalidInputError(
            "expected a swatch photo with a usable ColorChecker; "
            + " ".join(r.message for r in m.reasons)
        )
    details = {"chart": m.to_dict()["chart"], "region": m.region.to_dict(), "roi": list(roi)}
    details["uncertainty_budget"] = m.uncertainty.to_dict()
    return SwatchCalibration(
        shade, m.lab, m.uncertainty.expanded, "photo", (image.sha256,),
        f"chart-calibrated photo ({m.correction.method}, {m.correction.reference})", details,
    )  # fmt: skip


def _white_xyz(illuminant: str, observer: str):
    colour = colour_science()
    obs = {
        "2": "CIE 1931 2 Degree Standard Observer",
        "10": "CIE 1964 10 Degree Standard Observer",
    }[observer]
    table = colour.CCS_ILLUMINANTS[obs]
    if illuminant not in table:
        raise InvalidInputError(
            f"expected an illuminant among {sorted(k for k in table if len(k) < 6)}; "
            f"got {illuminant!r}"
        )
    return colour.xy_to_XYZ(table[illuminant])


def _to_d65_2deg(lab, illuminant: str, observer: str):
    colour = colour_science()
    white = _white_xyz(illuminant, observer)
    xyz = lab_to_xyz(lab, white_xyz=white)
    d65 = D65_XYZ
    xyz65 = colour.adaptation.chromatic_adaptation_VonKries(xyz, white, d65, transform="Bradford")
    return xyz_to_lab(xyz65)


_EXTRA = object()  # the key of a row's fields beyond the header's


def read_csv(data: bytes | str) -> list[dict]:
    """A CSV file's rows as dicts by header (UTF-8, a BOM allowed), or InvalidInputError."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"expected a CSV in UTF-8 text; got bytes that are not "
                                f"({exc.reason} at byte {exc.start})") from None  # fmt: skip
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), restval="", restkey=_EXTRA)
        rows = list(reader)
    except csv.Error as exc:  # a bare carriage return in a field, a NUL byte ...
        raise InvalidInputError(f"expected a CSV file; line {reader.line_num}: {exc}") from None
    if not rows:
        raise InvalidInputError("expected a CSV with a header row and at least one data row")
    header = [name.strip() for name in reader.fieldnames]
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:  # which of the two a row's value is would be the reader's choice (the last)
        raise InvalidInputError(f"expected each column once in the header; got {twice} more "
                                "than once")  # fmt: skip
    if len(header) == 1 and ";" in header[0]:  # a spreadsheet's export in some languages
        raise InvalidInputError("expected values separated by commas; the header's are "
                                "separated by ';' (export the CSV with commas, and points for "
                                "decimals)")  # fmt: skip
    for n, row in enumerate(rows, start=2):
        if _EXTRA in row:
            raise InvalidInputError(f"expected at most {len(reader.fieldnames)} fields on line "
                                    f"{n}, as in the header; got more")  # fmt: skip
    return rows


def calibrate_from_lab_csv(data: bytes | str) -> tuple[SwatchCalibration, ...]:
    """Reference colours from spectrophotometer CIELAB readings.

    The CSV has the columns ``shade, L, a, b, illuminant, observer`` (observer ``2`` or
    ``10``); several rows of the same shade are repeated readings and are averaged, their
    spread entering the uncertainty.

    Returns
    -------
    tuple of SwatchCalibration, one per shade, in order of first appearance

    Raises
    ------
    InvalidInputError
        Missing columns, non-numeric values, unknown illuminant or observer (with the row).

    Examples
    --------
    Two readings of one shade, averaged; their spread is part of the uncertainty:

    >>> (r01,) = calibrate_from_lab_csv("shade,L,a,b,illuminant,observer\\n"
    ...                                 "R01,40.1,50.2,28.4,D65,2\\n"
    ...                                 "R01,40.3,50.0,28.6,D65,2\\n")
    >>> r01.shade, np.round(r01.lab, 2).tolist(), round(r01.expanded_u, 2)
    ('R01', [40.2, 50.1, 28.5], 0.43)
    """
    raw = data.encode() if isinstance(data, str) else bytes(data)
    digest = hashlib.sha256(raw).hexdigest()
    rows = read_csv(raw)
    need = {"shade", "L", "a", "b", "illuminant", "observer"}
    missing = need - set(rows[0])
    if missing:
        raise InvalidInputError(f"expected CSV columns {sorted(need)}; missing {sorted(missing)}")
    by_shade: dict[str, list] = {}
    for n, row in enumerate(rows, start=2):
        try:
            lab = np.array([float(row["L"]), float(row["a"]), float(row["b"])])
        except (TypeError, ValueError):
            raise InvalidInputError(f"expected numeric L, a, b on line {n}; got {row}") from None
        observer = str(row["observer"]).strip().replace("°", "")
        if observer not in ("2", "10"):
            raise InvalidInputError(
                f"expected observer 2 or 10 on line {n}; got {row['observer']!r}"
            )
        if not 0 <= lab[0] <= 100:
            raise InvalidInputError(f"expected L in [0, 100] on line {n}; got {lab[0]}")
        if not all(-200 <= v <= 200 for v in lab[1:]):  # NaN too (and inf, before: -inf L*)
            raise InvalidInputError(f"expected a and b in [-200, 200] on line {n}; got "
                                    f"{lab[1]}, {lab[2]}")  # fmt: skip
        illum = str(row["illuminant"]).strip().upper()
        lab65 = _to_d65_2deg(lab, illum, observer)
        by_shade.setdefault(row["shade"].strip(), []).append((lab65, illum, observer))
    out = []
    for shade, readings in by_shade.items():
        labs = np.array([r[0] for r in readings])
        mean = labs.mean(axis=0)
        u_rep = 0.0
        if len(labs) > 1:
            u_rep = float(np.sqrt(np.mean(delta_e00(mean, labs) ** 2) / len(labs)))
        u_obs = OBSERVER_10_U if any(r[2] == "10" for r in readings) else 0.0
        u = 2.0 * float(np.sqrt((INSTRUMENT_U / 2) ** 2 + u_rep**2 + u_obs**2))
        illums = sorted({r[1] for r in readings})
        method = (
            f"spectrophotometer CIELAB ({', '.join(illums)}; observer "
            + "/".join(sorted({r[2] for r in readings}))
            + "°) Bradford-adapted to D65 2°"
        )
        out.append(
            SwatchCalibration(
                shade, mean, u, "spectro-lab", (digest,), method, {"readings": len(labs)}
            )
        )
    return tuple(out)


def calibrate_from_spectral_csv(data: bytes | str) -> tuple[SwatchCalibration, ...]:
    """Reference colours from spectral reflectance.

    The CSV's first column is the wavelength in nm (header ``wavelength``), each further
    column one shade's reflectance, as a fraction or in percent (detected: values above 1.5).
    CIELAB is computed under CIE D65 with the CIE 1931 2° observer (colour-science).
    """
    raw = data.encode() if isinstance(data, str) else bytes(data)
    digest = hashlib.sha256(raw).hexdigest()
    rows = read_csv(raw)
    header = list(rows[0])
    if not header or header[0].strip().lower() not in ("wavelength", "nm", "lambda"):
        raise InvalidInputError(f"expected the first column to be 'wavelength'; got {header[:1]}")
    try:
        wl = np.array([float(r[header[0]]) for r in rows])
        values = {s: np.array([float(r[s]) for r in rows]) for s in header[1:]}
    except (TypeError, ValueError):
        raise InvalidInputError("expected numeric wavelengths and reflectances") from None
    if (len(wl) < 10 or not np.isfinite(wl).all() or wl.min() > 420 or wl.max() < 680
            or np.any(np.diff(wl) <= 0)):  # fmt: skip
        raise InvalidInputError(
            f"expected increasing wavelengths covering at least 420-680 nm; got {wl.min():g}-"
            f"{wl.max():g} nm in {len(wl)} rows"
        )
    colour = colour_science()
    cmfs = colour.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"]
    d65 = colour.SDS_ILLUMINANTS["D65"]
    out = []
    for shade, refl in values.items():
        if refl.max() > 1.5:
            refl = refl / 100.0
        # NaN or a negative value gave a NaN Lab that no report could record (a 500 through
        # the API); up to 1.5: a fluorescent sample reflects more than white at some
        if not (np.isfinite(refl).all() and refl.min() >= 0 and refl.max() <= 1.5):
            raise InvalidInputError(
                f"expected reflectances from 0 to 1 (or 0-100 %) for {shade.strip()!r}; got "
                f"{np.nanmin(refl):g} to {np.nanmax(refl):g}"
                + (" and values that are not numbers" if np.isnan(refl).any() else "")
            )
        sd = colour.SpectralDistribution(dict(zip(wl, refl, strict=True)), name=shade)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            xyz = colour.sd_to_XYZ(sd, cmfs, d65) / 100.0
        out.append(
            SwatchCalibration(
                shade.strip(), xyz_to_lab(xyz), INSTRUMENT_U, "spectral", (digest,),
                "spectral reflectance integrated under CIE D65, CIE 1931 2° (colour-science)",
                {"wavelengths": [float(wl.min()), float(wl.max()), len(wl)]},
            )
        )  # fmt: skip
    return tuple(out)


def calibrate_from_csv(data: bytes | str) -> tuple[tuple[SwatchCalibration, ...], dict]:
    """(one calibration per shade, shade → name) of a spectrophotometer's CSV: spectral
    (:func:`calibrate_from_spectral_csv`) when its first column is the wavelength, else
    CIELAB readings (:func:`calibrate_from_lab_csv`), whose optional ``name`` column names
    the shades (a shade's first name given)."""
    rows = read_csv(data)
    if next(iter(rows[0]), "").strip().lower() in ("wavelength", "nm", "lambda"):
        return calibrate_from_spectral_csv(data), {}
    records = calibrate_from_lab_csv(data)
    names: dict[str, str] = {}
    for row in rows:
        name = (row.get("name") or "").strip()
        if name:
            names.setdefault((row.get("shade") or "").strip(), name[:200])
    return records, names
