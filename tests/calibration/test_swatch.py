import warnings

import numpy as np
import pytest

from calibration.colorimetry import D65_XY, delta_e00, xyz_to_lab
from calibration.errors import InvalidInputError
from calibration.simulate import (
    PRODUCT_SHADES,
    product_lab,
    random_scene,
    render_scene,
    shade_reflectance,
    wavelengths,
)
from calibration.swatch import (
    INSTRUMENT_U,
    calibrate_from_lab_csv,
    calibrate_from_photo,
    calibrate_from_spectral_csv,
)
from vision.ingest import ingest_image


def _colour():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour
    return colour


def test_d65_lab_passes_through_unchanged():
    (rec,) = calibrate_from_lab_csv("shade,L,a,b,illuminant,observer\nR01,42.5,55.1,31.2,D65,2\n")
    np.testing.assert_allclose(rec.lab, [42.5, 55.1, 31.2], atol=1e-6)
    assert rec.expanded_u == pytest.approx(INSTRUMENT_U)
    assert rec.source == "spectro-lab" and len(rec.inputs_sha256[0]) == 64


def test_d50_lab_is_bradford_adapted_like_colour_science():
    colour = _colour()
    (rec,) = calibrate_from_lab_csv("shade,L,a,b,illuminant,observer\nR01,42.5,55.1,31.2,D50,2\n")
    d50 = colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D50"]
    xyz = colour.Lab_to_XYZ([42.5, 55.1, 31.2], d50)
    xyz65 = colour.chromatic_adaptation(
        xyz,
        colour.xy_to_XYZ(d50),
        colour.xy_to_XYZ(D65_XY),
        method="Von Kries",
        transform="Bradford",
    )
    np.testing.assert_allclose(rec.lab, xyz_to_lab(xyz65), atol=1e-6)


def test_repeated_readings_average_and_widen_u_10deg_widens_more():
    text = (
        "shade,L,a,b,illuminant,observer\nA,40,50,30,D65,2\nA,41,50,30,D65,2\nB,60,10,10,D65,10\n"
    )
    a, b = calibrate_from_lab_csv(text)
    assert a.shade == "A" and a.lab[0] == pytest.approx(40.5)
    assert a.details["readings"] == 2
    assert a.expanded_u > INSTRUMENT_U
    assert b.expanded_u > a.expanded_u - 0.3 and b.expanded_u > INSTRUMENT_U + 0.3


@pytest.mark.parametrize(
    "text, message",
    [
        ("shade,L,a,b\nA,1,2,3\n", "missing \\['illuminant', 'observer'\\]"),
        ("shade,L,a,b,illuminant,observer\nA,x,2,3,D65,2\n", "numeric L, a, b on line 2"),
        ("shade,L,a,b,illuminant,observer\nA,40,2,3,D65,5\n", "observer 2 or 10 on line 2"),
        ("shade,L,a,b,illuminant,observer\nA,40,2,3,TL84X,2\n", "illuminant"),
        ("shade,L,a,b,illuminant,observer\n", "at least one data row"),
        ("shade,L,a,b,illuminant,observer\nA,40,inf,3,D65,2\n", "a and b in \\[-200, 200\\]"),
        ("shade,L,a,b,illuminant,observer\nA,40,2,nan,D65,2\n", "a and b in \\[-200, 200\\]"),
    ],
)
def test_lab_csv_errors_say_what_was_expected(text, message):
    with pytest.raises(InvalidInputError, match=message):
        calibrate_from_lab_csv(text)


def test_spectral_csv_agrees_with_the_simulator_truth():
    wl = wavelengths()
    names = ["classic red", "nude"]
    cols = [shade_reflectance(PRODUCT_SHADES[n]) for n in names]
    lines = ["wavelength," + ",".join(names)]
    lines += [f"{w:g}," + ",".join(f"{100 * c[i]:.4f}" for c in cols) for i, w in enumerate(wl)]
    recs = calibrate_from_spectral_csv("\n".join(lines))
    for rec, name in zip(recs, names, strict=True):
        assert rec.shade == name
        assert float(delta_e00(product_lab(name), rec.lab)) < 0.05  # two integrations agree


def test_spectral_csv_needs_the_visible_range():
    with pytest.raises(InvalidInputError, match="420-680 nm"):
        calibrate_from_spectral_csv(
            "wavelength,A\n" + "\n".join(f"{w},0.5" for w in range(500, 600, 10))
        )
    with pytest.raises(InvalidInputError, match="'wavelength'"):
        calibrate_from_spectral_csv("nm_x,A\n400,1\n")


@pytest.mark.parametrize("value, said", [
    ("nan", "0.5 to 0.5 and values that are not numbers"),  # a NaN Lab, before
    ("-0.2", "-0.2 to 0.5"),
    ("inf", "0.005 to inf"),  # read as per cent
    ("160", "0.005 to 1.6"),  # per cent: 160 % is no reflectance
])  # fmt: skip
def test_spectral_csv_refuses_what_is_no_reflectance(value, said):
    rows = [f"{w},{value if w == 550 else 0.5}" for w in range(400, 701, 10)]
    with pytest.raises(InvalidInputError, match=f"from 0 to 1 .* for 'A'; got {said}"):
        calibrate_from_spectral_csv("wavelength,A\n" + "\n".join(rows))
    with pytest.raises(InvalidInputError, match="420-680 nm"):  # a wavelength NaN
        calibrate_from_spectral_csv("wavelength,A\nnan,0.5\n" + "\n".join(rows[1:]))


def test_photo_calibration_has_u_and_refuses_photos_without_chart():
    photo = render_scene(random_scene(8001, illuminant="D65"))
    image = ingest_image(photo.jpeg)
    rec = calibrate_from_photo(image, roi=photo.roi, shade="R01")
    assert rec.source == "photo" and rec.inputs_sha256 == (image.sha256,)
    assert float(delta_e00(photo.product_lab, rec.lab)) <= rec.expanded_u
    assert rec.to_dict()["details"]["chart"]["detected"] is True
    from dataclasses import replace

    bare = render_scene(replace(random_scene(8001), chart_centre=(-5.0, -5.0)))
    with pytest.raises(InvalidInputError, match="usable ColorChecker"):
        calibrate_from_photo(ingest_image(bare.jpeg), roi=bare.roi)


def test_record_is_immutable():
    (rec,) = calibrate_from_lab_csv("shade,L,a,b,illuminant,observer\nR,40,5,5,D65,2\n")
    with pytest.raises(AttributeError):
        rec.lab = np.zeros(3)


def test_calibrate_from_csv_tells_readings_from_spectra_and_takes_names():
    from calibration.swatch import calibrate_from_csv

    readings = ("shade,L,a,b,illuminant,observer,name\nP1,45,40,20,D65,2,\n"
                "P1,45.4,40.2,19.8,D65,2,Poppy\nP2,60,10,12,D65,2,Petal\n")  # fmt: skip
    records, names = calibrate_from_csv(readings)
    assert [r.shade for r in records] == ["P1", "P2"] and records[0].source == "spectro-lab"
    assert names == {"P1": "Poppy", "P2": "Petal"}  # a shade's first name given
    spectra = "wavelength,S1\n" + "".join(f"{w},0.4\n" for w in range(400, 701, 10))
    records, names = calibrate_from_csv(spectra.encode())
    assert [r.shade for r in records] == ["S1"] and records[0].source == "spectral"
    assert names == {}


@pytest.mark.parametrize("body, said", [
    (b"shade,L,a,b,illuminant,observer\nP1,45,40,20,D65,2,extra\n", "at most 6 fields on line 2"),
    (b"shade,L,a,b,illuminant,observer\nP1,45\n", "numeric L, a, b on line 2"),
    (b"shade,L,a,b,illuminant,observer\r\nP1,4\r5,40,20,D65,2\r\n", "numeric L, a, b on line 2"),
    (b"wavelength\n", "a header row and at least one data row"),
    (b"\xff\xfe", "UTF-8"),
    # a column twice: which value a row has was the reader's choice (the last)
    (b"shade,L,a,b,illuminant,observer,shade\nP1,45,40,20,D65,2,P2\n", r"\['shade'\] more"),
    (b"shade;L;a;b;illuminant;observer\nP1;45;40;20;D65;2\n", "separated by ';'"),
])  # fmt: skip
def test_a_malformed_csv_is_refused_with_where(body, said):
    """Rows longer or shorter than the header and a bare carriage return in a field are
    refused with their line (a bare carriage return raised csv.Error: a 500 from the API,
    found by schemathesis), not read as missing values; a header with a column twice, or
    separated by semicolons (before: "missing" every column), says so."""
    from calibration.swatch import calibrate_from_csv

    with pytest.raises(InvalidInputError, match=said):
        calibrate_from_csv(body)
