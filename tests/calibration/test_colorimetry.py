from pathlib import Path

import numpy as np
import pytest

from calibration import colorimetry as cm

SHARMA = np.loadtxt(Path(__file__).parents[1] / "data" / "sharma_ciede2000.txt")


def _colour():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour
    return colour


def test_ciede2000_matches_sharma_table_1():
    assert SHARMA.shape == (34, 7)
    de = cm.delta_e00(SHARMA[:, :3], SHARMA[:, 3:6])
    np.testing.assert_allclose(de, SHARMA[:, 6], atol=5e-5)


def test_ciede2000_is_symmetric_in_value_but_terms_change_sign():
    a, b = SHARMA[24, :3], SHARMA[24, 3:6]
    t_ab, t_ba = cm.delta_e00_terms(a, b), cm.delta_e00_terms(b, a)
    assert float(t_ab.delta_e) == pytest.approx(float(t_ba.delta_e), abs=1e-12)
    assert float(t_ab.dL) == pytest.approx(-float(t_ba.dL))
    assert float(t_ab.dC) == pytest.approx(-float(t_ba.dC))


def test_ciede2000_terms_recompose_delta_e():
    t = cm.delta_e00_terms(SHARMA[:, :3], SHARMA[:, 3:6])
    # ΔE00² = ΔL_w² + ΔC_w² + ΔH_w² + R_T ΔC_w ΔH_w; without R_T it differs only in the blue
    # region, so check the lightness term exactly against a pure-lightness pair.
    pure = cm.delta_e00_terms([50, 0, 0], [60, 0, 0])
    assert float(pure.delta_e) == pytest.approx(abs(float(pure.dL_w)))
    assert np.all(t.delta_e >= 0)


def test_ciede2000_agrees_with_colour_science(rng):
    colour = _colour()
    a = rng.uniform([0, -80, -80], [100, 80, 80], size=(200, 3))
    b = a + rng.normal(0, 5, size=a.shape)
    np.testing.assert_allclose(
        cm.delta_e00(a, b), colour.delta_E(a, b, method="CIE 2000"), atol=1e-9
    )


def test_srgb_primaries_have_their_published_lab():
    # sRGB red under D65 with the matrix derived from the IEC 61966-2-1 primaries and D65 xy:
    # L* 53.2371, a* 80.0901, b* 67.2033 (the often quoted 53.2408 comes from the rounded
    # 4-digit matrix of the standard's text).
    lab = cm.xyz_to_lab(cm.rgb_lin_to_xyz(np.array([1.0, 0.0, 0.0])))
    np.testing.assert_allclose(lab, [53.2371, 80.0901, 67.2033], atol=1e-3)
    np.testing.assert_allclose(cm.xyz_to_lab(cm.D65_XYZ), [100, 0, 0], atol=1e-9)


@pytest.mark.parametrize(
    "forward, inverse, lo, hi",
    [
        (cm.srgb_to_rgb_lin, cm.rgb_lin_to_srgb, -0.2, 1.2),
        (cm.rgb_lin_to_xyz, cm.xyz_to_rgb_lin, 0.0, 1.0),
        (cm.xyz_to_lab, cm.lab_to_xyz, 0.0, 1.0),
    ],
)
def test_round_trips_keep_shape_and_dtype(forward, inverse, lo, hi, rng):
    x = rng.uniform(lo, hi, size=(4, 5, 3)).astype(np.float32)
    y = forward(x)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_allclose(inverse(y), x, atol=2e-5)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(inverse(forward(x64)), x64, atol=1e-12)


def test_lab_agrees_with_colour_science(rng):
    colour = _colour()
    xyz = rng.uniform(0.001, 1.0, size=(100, 3))
    ours = cm.xyz_to_lab(xyz)
    theirs = colour.XYZ_to_Lab(xyz, cm.D65_XY)
    np.testing.assert_allclose(ours, theirs, atol=1e-8)


def test_u8_table_matches_formula():
    u8 = np.arange(256, dtype=np.uint8).reshape(-1, 1).repeat(3, axis=1)
    np.testing.assert_allclose(cm.srgb_u8_to_rgb_lin(u8), cm.srgb_to_rgb_lin(u8 / 255.0), atol=1e-7)
    assert cm.srgb_u8_to_rgb_lin(u8).dtype == np.float32
    np.testing.assert_array_equal(cm.rgb_lin_to_srgb_u8(cm.srgb_u8_to_rgb_lin(u8)), u8)


def test_u8_decode_rejects_floats():
    with pytest.raises(TypeError, match="uint8"):
        cm.srgb_u8_to_rgb_lin(np.zeros((2, 3), np.float32))


def test_nan_propagates_and_shapes_are_checked():
    out = cm.xyz_to_lab(np.array([np.nan, 0.5, 0.5]))
    assert np.isfinite(out[0]) and np.isnan(out[1])  # L* needs only Y; a* needs X
    assert np.isnan(cm.delta_e00([50, 0, np.nan], [50, 0, 0]))
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 3\)"):
        cm.xyz_to_lab(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="lab_reference"):
        cm.delta_e00(np.zeros(2), np.zeros(3))
