import numpy as np
import pytest

from calibration.chart import NEUTRAL_PATCHES, chart_reference
from calibration.colorimetry import delta_e00, rgb_lin_to_srgb, srgb_to_rgb_lin
from calibration.correction import (
    CORRECTION_METHODS,
    fit_colour_correction,
    fit_tone_curve,
    root_polynomial_terms,
)
from calibration.errors import CalibrationError

REF = chart_reference()


# A camera whose sensitivities are a positive mix of the CIE colour-matching functions (it
# meets the Luther condition, so a 3×3 fit can be exact): camera RGB = XYZ @ CAMERA.T.
CAMERA = np.array([[0.9, 0.2, -0.05], [0.15, 0.9, 0.05], [0.0, 0.1, 0.8]])


def _camera_patches(gain=(0.9, 1.0, 0.7), tone=None, exposure=0.8):
    """Chart patches as such a camera with channel gains and an optional tone curve sees them."""
    rgb = exposure * (REF.xyz @ CAMERA.T) * np.array(gain)
    assert rgb.min() > 0
    return tone(rgb) if tone else rgb


def test_registry_rejects_unknown_method_listing_valid_ones():
    with pytest.raises(ValueError, match=r"expected one of \['Cheung 2004', 'Finlayson 2015'\]"):
        fit_colour_correction(_camera_patches(), method="magic")


@pytest.mark.parametrize("method", sorted(CORRECTION_METHODS))
def test_linear_camera_is_recovered_almost_exactly(method):
    cc = fit_colour_correction(_camera_patches(), method=method)
    # A camera that is a 3×3 away from XYZ is fitted almost exactly by both methods; what is
    # left comes from the per-channel tone curves (the chart's greys are not perfectly grey).
    assert cc.residual_de00.max() < 0.6
    assert cc.loo_de00.mean() < 0.5


def test_tone_curve_is_undone():
    def phone_tone(x):  # an S-curve on top of the sRGB encoding, decoded as plain sRGB
        s = rgb_lin_to_srgb(np.clip(x, 0, 1))
        s = s**1.3 / (s**1.3 + (1 - s) ** 1.3)
        return srgb_to_rgb_lin(s)

    cc = fit_colour_correction(_camera_patches(tone=phone_tone))
    assert np.median(cc.residual_de00) < 1.0
    plain = fit_colour_correction(_camera_patches())
    assert np.median(cc.loo_de00) < 3 * np.median(plain.loo_de00) + 1.0


def test_correction_is_exposure_invariant():
    a = fit_colour_correction(_camera_patches(exposure=0.8))
    b = fit_colour_correction(_camera_patches(exposure=0.3))
    probe = np.array([[0.2, 0.1, 0.05], [0.05, 0.2, 0.3]])
    lab_a = a.apply_lab(probe * 0.8)
    lab_b = b.apply_lab(probe * 0.3)
    np.testing.assert_allclose(lab_a, lab_b, atol=1e-6)


def test_loo_is_never_better_than_the_fit():
    rng = np.random.default_rng(3)
    noisy = _camera_patches() * (1 + rng.normal(0, 0.02, (24, 3)))
    cc = fit_colour_correction(noisy)
    assert np.all(cc.loo_de00 >= cc.residual_de00 - 1e-9)
    assert cc.loo_de00.mean() > cc.residual_de00.mean()


def test_root_polynomial_terms_are_degree_one_homogeneous():
    rgb = np.array([[0.2, 0.4, 0.1], [0.9, 0.3, 0.05]])
    np.testing.assert_allclose(root_polynomial_terms(3 * rgb), 3 * root_polynomial_terms(rgb))
    assert root_polynomial_terms(rgb).shape == (2, 6)
    assert root_polynomial_terms(rgb, degree=1).shape == (2, 3)
    with pytest.raises(ValueError, match="degree must be 1 or 2; got 3"):
        root_polynomial_terms(rgb, degree=3)


def test_tone_curve_is_monotone_and_inverts_a_gamma_up_to_scale():
    y = REF.xyz[list(NEUTRAL_PATCHES), 1]
    observed = np.repeat((0.7 * y) ** (1 / 1.8), 3).reshape(-1, 3)
    tone = fit_tone_curve(observed, y)
    x = np.linspace(0.001, 1.0, 500)[:, None].repeat(3, axis=1)
    assert np.all(np.diff(tone.apply(x)[:, 0]) > 0)
    # the curve is linear light up to a gain (the gain belongs to the correction matrix)
    lin = tone.apply(np.array([(0.7 * 0.3) ** (1 / 1.8), (0.7 * 0.6) ** (1 / 1.8)]))
    assert lin[0] / lin[1] == pytest.approx(0.5, rel=0.01)


def test_clipped_neutrals_raise_calibration_error():
    patches = _camera_patches()
    patches[list(NEUTRAL_PATCHES)] = 1.0  # all six neutrals blown out
    with pytest.raises(CalibrationError, match="at least 3 unclipped"):
        fit_colour_correction(patches)


def test_nan_patches_raise():
    patches = _camera_patches()
    patches[3, 1] = np.nan
    with pytest.raises(CalibrationError, match="finite"):
        fit_colour_correction(patches)
    with pytest.raises(ValueError, match=r"shape \(24, 3\)"):
        fit_colour_correction(patches[:20])


def test_reference_is_d65_adapted_from_d50():
    # the white patch of the 2014 chart is near-neutral under D65 after Bradford adaptation
    white = REF.lab[18]
    assert white[0] > 94 and abs(white[1]) < 1.5 and abs(white[2]) < 3.5
    babel = chart_reference("BabelColor Average")
    assert np.median(delta_e00(REF.lab, babel.lab)) < 1.5
    with pytest.raises(ValueError, match="unknown chart reference"):
        chart_reference("Kodak Q-13")
