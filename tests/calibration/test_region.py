import numpy as np
import pytest

from calibration.errors import InvalidInputError
from calibration.region import parse_roi, robust_region_lab


def test_highlights_and_shadows_are_rejected(rng):
    base = np.array([45.0, 35.0, 15.0])
    px = base + rng.normal(0, 0.8, size=(2000, 3))
    px[:100] = [92.0, 2.0, 3.0]  # specular glints: bright and colourless
    px[100:160, 0] = 10.0  # shadow in a crease
    rc = robust_region_lab(px)
    np.testing.assert_allclose(rc.lab, base, atol=0.15)
    # the glints and the crease, plus at most a few noise pixels in the far tails
    assert 100 <= rc.highlights <= 103 and 60 <= rc.shadows <= 63
    assert rc.n_kept == 2000 - rc.highlights - rc.shadows


def test_median_in_lab_not_mean_in_rgb():
    # Half the pixels at L 40, half at L 60 plus one outlier: the median stays in the data.
    px = np.array([[40.0, 10, 10]] * 50 + [[60.0, 10, 10]] * 51)
    assert robust_region_lab(px, highlight_z=100, shadow_z=100).lab[0] == 60.0


def test_sampling_uncertainty_shrinks_with_pixels(rng):
    small = robust_region_lab(50 + rng.normal(0, 2, size=(100, 3)))
    large = robust_region_lab(50 + rng.normal(0, 2, size=(10000, 3)))
    assert large.sampling_u < small.sampling_u / 5


def test_nan_pixels_are_ignored_and_empty_region_raises():
    px = np.array([[50.0, 1, 1], [np.nan, 0, 0], [50.0, 1, 1]])
    assert robust_region_lab(px).n_pixels == 2
    with pytest.raises(InvalidInputError, match="at least one pixel"):
        robust_region_lab(np.full((4, 3), np.nan))


def test_parse_roi():
    assert parse_roi("10,20,30,40", width=100, height=100) == (10, 20, 30, 40)
    with pytest.raises(InvalidInputError, match="four numbers"):
        parse_roi("10,20,30", width=100, height=100)
    with pytest.raises(InvalidInputError, match="inside the 100x100 image; got 90,20,30,40"):
        parse_roi("90,20,30,40", width=100, height=100)
    with pytest.raises(InvalidInputError, match="positive"):
        parse_roi("10,20,0,40", width=100, height=100)
    with pytest.raises(InvalidInputError, match="four numbers"):  # an OverflowError before
        parse_roi("inf,20,30,40", width=100, height=100)
    with pytest.raises(InvalidInputError, match=r"got 1e300,20,30,40$"):  # as given
        parse_roi("1e300,20,30,40", width=100, height=100)
