import functools

import numpy as np
import pytest

from vision.beforeafter import (
    MAX_CHANGE_SPREAD_OD,
    MAX_STRETCH,
    _stretch,
    redness_change,
    warp_face,
)
from vision.quality import LIMITS, skin_grain
from vision.redness import MIN_PEAK_OD, SMOOTH_FRACTION, patch_response
from vision.regions import REDNESS_ZONES, region_masks
from vision.testset import (
    add_erythema,
    add_melanin,
    astronaut_face,
    head_turned,
    photograph,
    relight,
    second_photo,
    sensor_noise,
    turned,
    zone_centre,
)


def _iou(a, b):
    return (a & b).sum() / max(1, (a | b).sum())


@pytest.fixture(scope="module")
def pair(landmarker):
    """A baseline, and a follow-up taken a little closer and turned (a real second photo)."""
    before = astronaut_face(3.5)
    after = turned(before, degrees=4.0, zoom=1.08)
    (fb,) = landmarker.detect(before)
    (fa,) = landmarker.detect(after)
    masks = region_masks(fa.points, after.shape[:2])
    return before, fb, after, fa, masks


def test_warp_brings_the_baseline_onto_the_follow_up(pair):
    before, fb, after, fa, masks = pair
    warped, valid = warp_face(before, fb.points, fa.points, after.shape[:2])
    skin = masks["skin"] & valid
    err = np.median(np.abs(warped[skin] - after[skin]))
    unwarped = np.median(np.abs(before[skin] - after[skin]))
    assert err < 0.3 * unwarped


def test_increase_is_found_and_old_redness_is_not(pair):
    before, fb, after, fa, masks = pair
    red, er = add_erythema(after, centre=zone_centre(masks["right_cheek"]), radius=0.07 * fa.width,
                           strength=0.3, skin_mask=masks["skin"])  # fmt: skip
    zones = {z: masks[z] for z in REDNESS_ZONES}
    ch = redness_change(red, before, after_points=fa.points, before_points=fb.points,
                        skin_mask=masks["skin"], zone_masks=zones)  # fmt: skip
    assert _iou(ch.mask, er.truth) >= 0.6
    assert ch.zones["right_cheek"].area_fraction > 0.05
    assert ch.zones["left_cheek"].area_fraction == 0.0
    assert not ch.lighting_changed and ch.findings == ()
    same = redness_change(after, before, after_points=fa.points, before_points=fb.points,
                          skin_mask=masks["skin"])  # fmt: skip
    assert same.mask.sum() <= 0.005 * masks["skin"].sum()


def test_different_light_is_reported_and_compensated(pair):
    before, fb, after, fa, masks = pair
    red, er = add_erythema(after, centre=zone_centre(masks["forehead"]), radius=0.07 * fa.width,
                           strength=0.3, skin_mask=masks["skin"])  # fmt: skip
    warm = relight(red, gains=(1.0, 0.9, 0.7), exposure=0.8)  # tungsten-ish, darker
    ch = redness_change(warm, before, after_points=fa.points, before_points=fb.points,
                        skin_mask=masks["skin"])  # fmt: skip
    assert ch.lighting_changed and ch.findings[0]["code"] == "lighting_changed"
    assert ch.gains[2] < ch.gains[0]
    assert _iou(ch.mask, er.truth) >= 0.5


@pytest.mark.parametrize("ramp", [0.1, 0.4])
def test_light_from_another_side_is_reported(pair, ramp):
    """A shading ramp across the follow-up (the light moved to one side: pure shading, in
    OD per face width) is measured as such and reported above MAX_SHADING_SLOPE; under it,
    or with light of another colour or strength only, it is not."""
    from vision.beforeafter import MAX_SHADING_SLOPE

    before, fb, after, fa, masks = pair
    x = (np.arange(after.shape[1]) - fa.points[:, 0].mean()) / fa.width
    side = (after * np.exp(-ramp * x)[None, :, None]).astype(np.float32)
    ch = redness_change(side, before, after_points=fa.points, before_points=fb.points,
                        skin_mask=masks["skin"])  # fmt: skip
    found = [f for f in ch.findings if f["code"] == "light_direction_changed"]
    if ramp > MAX_SHADING_SLOPE:
        assert len(found) == 1 and found[0]["value"] == pytest.approx(ramp, abs=0.05)
    else:
        assert found == []
    assert ch.mask.sum() <= 0.005 * masks["skin"].sum()  # in linear light, nothing leaks


def test_jpeg_blocks_are_not_an_increase_and_a_real_one_is_found(landmarker):
    """Two JPEGs (quality 85, as a chat app re-compresses) of the same dark skin: JPEG quantises
    colour in 16-pixel blocks, and the difference of two such files must not read as redness
    that increased (detected at the fine scale, 2 % of this skin was flagged); a patch that
    did appear is still outlined."""
    base = astronaut_face(2.5)
    (f0,) = landmarker.detect(base)
    skin0 = region_masks(f0.points, base.shape[:2], names=("skin",))["skin"]
    face = photograph(add_melanin(base, 3.0, mask=skin0))
    jpeg_85 = functools.partial(photograph, jpeg_quality=85)
    before, after = second_photo(face, photo=jpeg_85), jpeg_85(face)
    (fb,), (fa,) = landmarker.detect(before), landmarker.detect(after)
    masks = region_masks(fa.points, after.shape[:2])
    skin = masks["skin"]
    same = redness_change(after, before, after_points=fa.points, before_points=fb.points,
                          skin_mask=skin)  # fmt: skip
    assert same.mask.sum() <= 0.005 * skin.sum()

    red, er = add_erythema(face, centre=zone_centre(masks["right_cheek"]), radius=0.08 * fa.width,
                           strength=0.35, skin_mask=skin)  # fmt: skip
    changed = redness_change(photograph(red, jpeg_quality=85), before, after_points=fa.points,
                             before_points=fb.points, skin_mask=skin)  # fmt: skip
    assert _iou(changed.mask, er.truth) >= 0.6


def test_a_pair_states_its_detection_limit(pair):
    """Two clean photos of the same skin: the floor of 0.1 OD bounds what can be found (the
    benchmark: patches at 1.33 times it found 50 of 50, at 0.75 times 12 of 50); a patch at
    1.5 times it is found, at half of it not. A JPEG 50 follow-up's blotches raise it."""
    before, fb, after, fa, masks = pair
    same = redness_change(after, before, after_points=fa.points, before_points=fb.points,
                          skin_mask=masks["skin"])  # fmt: skip
    lim = same.detection_limit
    assert lim.haemoglobin_od == pytest.approx(MIN_PEAK_OD / patch_response(SMOOTH_FRACTION))
    assert 1.0 < lim.a_star < 3.0
    assert same.to_dict()["detection_limit"]["haemoglobin_od"] == pytest.approx(0.1, abs=1e-3)
    for factor, found in ((0.5, False), (1.5, True)):
        red, er = add_erythema(after, centre=zone_centre(masks["left_cheek"]),
                               radius=0.06 * fa.width, strength=factor * lim.haemoglobin_od,
                               skin_mask=masks["skin"])  # fmt: skip
        ch = redness_change(red, before, after_points=fa.points, before_points=fb.points,
                            skin_mask=masks["skin"])  # fmt: skip
        assert bool((ch.mask & er.truth).sum() >= 0.5 * er.truth.sum()) is found
    coarse = photograph(after, jpeg_quality=50)
    worse = redness_change(coarse, before, after_points=fa.points, before_points=fb.points,
                           skin_mask=masks["skin"]).detection_limit  # fmt: skip
    assert worse.haemoglobin_od > 1.1 * lim.haemoglobin_od


def test_a_noisy_pair_is_reported_even_where_the_grain_gate_is_blind(pair):
    """Noise the camera smoothed hardly shows pixel to pixel (the single photo's grain gate
    stays quiet) but blotches the change map: the pair says so, with its spread."""
    before, fb, after, fa, masks = pair
    clean = redness_change(after, before, after_points=fa.points, before_points=fb.points,
                           skin_mask=masks["skin"])  # fmt: skip
    assert "noisy_pair" not in {f["code"] for f in clean.findings}
    noisy_before, noisy_after = (
        photograph(sensor_noise(x, 0.004, rng=np.random.default_rng(seed), smooth=0.8))
        for x, seed in ((before, 1), (after, 2))
    )
    assert skin_grain(noisy_after, masks["skin"], fa.width) < LIMITS["max_grain_od"]
    ch = redness_change(noisy_after, noisy_before, after_points=fa.points,
                        before_points=fb.points, skin_mask=masks["skin"])  # fmt: skip
    (f,) = [f for f in ch.findings if f["code"] == "noisy_pair"]
    assert f["value"] > f["limit"] == MAX_CHANGE_SPREAD_OD
    assert "uncertain" in f["message"]


@pytest.fixture(scope="module")
def turned_pair(landmarker):
    """A follow-up facing the camera, and the same face turned 10° sideways as the earlier
    photo (MediaPipe sees 6-7°): the landmarks of a turned face sit a few pixels off its skin's
    features, most of all along the outline."""
    after = photograph(astronaut_face(4.0))
    (fa,) = landmarker.detect(after)
    before = photograph(head_turned(after, fa, yaw=10.0))
    (fb,) = landmarker.detect(before)
    masks = region_masks(fa.points, after.shape[:2])
    return before, fb, after, fa, masks


def test_a_turned_head_is_registered_and_its_foreshortened_skin_left_out(turned_pair):
    """Without the registration, unchanged skin along the outline is flagged as increased;
    with it, (almost) none is, and a patch on the cheek is found with its outline."""
    before, fb, after, fa, masks = turned_pair
    assert 4 < abs(fa.yaw - fb.yaw) < 9
    skin = masks["skin"]
    change = functools.partial(redness_change, before_rgb_lin=before, after_points=fa.points,
                               before_points=fb.points, skin_mask=skin)  # fmt: skip
    assert change(after, register=False).mask.sum() > 0.01 * skin.sum()
    assert change(after).mask.sum() <= 0.005 * skin.sum()  # the FP target of a pair
    red, er = add_erythema(after, centre=zone_centre(masks["right_cheek"]),
                           radius=0.06 * fa.width, strength=0.35, skin_mask=skin)  # fmt: skip
    assert _iou(change(red).mask, er.truth) >= 0.7
    # the earlier photo shows the side it turned away foreshortened: some skin is left out
    stretch = _stretch(fb.points, fa.points, after.shape[:2])
    assert 0.01 < (skin & (stretch > MAX_STRETCH)).sum() / skin.sum() < 0.2
