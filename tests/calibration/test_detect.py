"""Chart detection on physically simulated photos, and on photos without a chart."""

from dataclasses import replace

import numpy as np
import pytest
from skimage import data as skdata

from calibration.chart import chart_reference
from calibration.colorimetry import srgb_u8_to_rgb_lin
from calibration.detect import detect_colour_checker, sample_patches
from calibration.simulate import Scene, random_scene, render_scene


def _detect(scene):
    photo = render_scene(scene)
    found = detect_colour_checker(srgb_u8_to_rgb_lin(photo.srgb_u8))
    return photo, found


def _corner_error(photo, det):
    return float(np.abs(det.quad - photo.chart_corners).max())


def _pitch(scene):
    return scene.chart_width_px / 6.6


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_detects_every_rotation_with_corners_in_chart_order(rotation):
    scene = random_scene(101, chart_rotation_deg=rotation + 4.0, tilt_deg=(10.0, -8.0))
    photo, found = _detect(scene)
    assert len(found) == 1
    det = found[0]
    # quad[0] is the dark-skin corner: wrong orientation would move it by ≥ 4 pitches
    assert _corner_error(photo, det) < 0.15 * _pitch(scene)
    assert not det.mirrored


@pytest.mark.parametrize("tilt", [(30.0, 0.0), (0.0, 30.0), (-22.0, 22.0)])
def test_detects_under_strong_perspective(tilt):
    scene = random_scene(202, tilt_deg=tilt, chart_rotation_deg=12.0)
    photo, found = _detect(scene)
    assert len(found) == 1
    assert _corner_error(photo, found[0]) < 0.15 * _pitch(scene)


def test_detects_mirrored_chart_and_says_so():
    scene = random_scene(303, mirrored=True)
    photo, found = _detect(scene)
    assert len(found) == 1 and found[0].mirrored
    assert _corner_error(photo, found[0]) < 0.15 * _pitch(scene)


def test_detects_under_uneven_light():
    scene = random_scene(404, light_gradient=0.6, vignetting=0.3, gradient_angle_deg=30.0)
    photo, found = _detect(scene)
    assert len(found) == 1
    assert _corner_error(photo, found[0]) < 0.15 * _pitch(scene)


def test_detects_small_chart_in_12_megapixel_photo():
    # ~150 px wide chart in a 4000 × 3000 frame (the hardest size)
    scene = replace(
        random_scene(505), width=4000, height=3000, chart_width_px=155.0,
        swatch_size_px=300.0, tilt_deg=(12.0, -10.0), chart_rotation_deg=7.0,
    )  # fmt: skip
    photo, found = _detect(scene)
    assert len(found) == 1
    assert _corner_error(photo, found[0]) < 0.2 * _pitch(scene)


def test_patch_values_follow_the_reference_ordering():
    # Under D65 with a neutral pipeline, patch luminance ranks follow the reference's.
    scene = Scene(illuminant="D65", tone_contrast=1.0, wb_error=(0, 0), chart_rotation_deg=180.0)
    _, found = _detect(scene)
    det = found[0]
    y = det.patches_rgb_lin @ np.array([0.2126, 0.7152, 0.0722])
    ref_y = chart_reference().xyz[:, 1]
    rank_corr = np.corrcoef(np.argsort(np.argsort(y)), np.argsort(np.argsort(ref_y)))[0, 1]
    assert rank_corr > 0.97
    assert np.all(det.patch_pixels > 50)
    assert np.all(det.patches_spread < 0.05)


def test_no_chart_returns_empty_tuple():
    scene = random_scene(606, chart_width_px=0.0, distractors=30)
    photo = render_scene(replace(scene, chart_centre=(-5.0, -5.0)))
    assert detect_colour_checker(srgb_u8_to_rgb_lin(photo.srgb_u8)) == ()


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_real_photos_without_chart_return_empty(name):
    rgb_lin = srgb_u8_to_rgb_lin(getattr(skdata, name)())
    assert detect_colour_checker(rgb_lin) == ()


def test_flat_and_noise_images_return_empty(rng):
    assert detect_colour_checker(np.full((300, 400, 3), 0.2, np.float32)) == ()
    noise = rng.uniform(0, 1, size=(300, 400, 3)).astype(np.float32)
    assert detect_colour_checker(noise) == ()


def test_bad_shape_is_refused():
    with pytest.raises(ValueError, match=r"shape \(H, W, 3\)"):
        detect_colour_checker(np.zeros((10, 10), np.float32))


def test_sample_patches_outside_image_gives_nan():
    h = np.array([[10.0, 0, 500], [0, 10.0, 0], [0, 0, 1]])
    med, _, counts = sample_patches(np.zeros((100, 100, 3), np.float32), h)
    assert np.all(np.isnan(med)) and np.all(counts == 0)


def test_a_picture_too_small_for_a_chart_has_none_and_no_warning():
    """A picture whose shorter side cannot hold the chart's four rows of patches (1 × 1, a
    strip 3 px high): no chart, and quietly (before, NumPy warned of an empty median)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for shape in ((1, 1, 3), (3, 500, 3), (19, 19, 3)):
            assert detect_colour_checker(np.full(shape, 0.2, np.float32)) == ()
