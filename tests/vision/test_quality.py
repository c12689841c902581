import datetime as dt

import cv2
import numpy as np
import pytest

from calibration.colorimetry import srgb_u8_to_rgb_lin
from tests.vision.conftest import face_crop
from vision.ingest import Origin
from vision.metadata import CAPTURE_PAGE_CAMERA
from vision.quality import (
    FINDING_CODES,
    LIMITS,
    Finding,
    assess_quality,
    compression_findings,
    edit_findings,
    grain_findings,
    origin_findings,
    pose_findings,
    skin_grain,
)
from vision.regions import region_mask
from vision.testset import relight, sensor_noise


def _codes(findings):
    return {f.code for f in findings}


@pytest.fixture(scope="module")
def good(landmarker):
    lin = srgb_u8_to_rgb_lin(face_crop(4.0))
    (face,) = landmarker.detect(lin)
    return lin, face, region_mask(face.points, "skin", lin.shape[:2])


def test_a_good_close_selfie_passes(good):
    lin, face, skin = good
    assert assess_quality(lin, face, skin_mask=skin) == ()


def test_no_face():
    (f,) = assess_quality(np.zeros((8, 8, 3), np.float32), None)
    assert f.code == "no_face" and "face" in f.message


def test_a_finding_has_a_known_code():
    """The pages say each code in their language (webar/js/i18n.js): a gate cannot give a code
    they do not know."""
    assert len(set(FINDING_CODES)) == len(FINDING_CODES)
    with pytest.raises(ValueError, match="unknown finding code 'too_red': add it to FINDING_"):
        Finding("too_red", "Too red.", 1.0, 0.0)


def test_small_face_in_a_big_frame(landmarker, astronaut_srgb_u8):
    lin = srgb_u8_to_rgb_lin(astronaut_srgb_u8)
    (face,) = landmarker.detect(lin)
    assert "face_too_small" in _codes(assess_quality(lin, face))


def test_blur_is_caught(landmarker, good):
    lin, face, skin = good
    blurred = cv2.GaussianBlur(lin, (0, 0), 6)
    findings = assess_quality(blurred, face, skin_mask=skin)
    assert "blurry" in _codes(findings)
    f = next(x for x in findings if x.code == "blurry")
    assert f.value < LIMITS["min_sharpness"] and f.to_dict()["limit"] == LIMITS["min_sharpness"]


def test_dark_bright_and_cast(good):
    lin, face, skin = good
    assert "too_dark" in _codes(assess_quality(relight(lin, exposure=0.08), face, skin_mask=skin))
    bright = _codes(assess_quality(relight(lin, exposure=3.0), face, skin_mask=skin))
    assert "overexposed" in bright
    cast = _codes(assess_quality(relight(lin, gains=(1.0, 0.85, 0.45)), face, skin_mask=skin))
    assert "colour_cast" in cast


def test_turned_head_is_reported(good):
    lin, face, skin = good
    from dataclasses import replace

    turned = replace(face, yaw=35.0, roll=-25.0)
    codes = _codes(assess_quality(lin, turned, skin_mask=skin))
    assert {"head_turned", "head_rolled"} <= codes


def test_shade_claim_without_chart(good):
    lin, face, skin = good
    codes = _codes(assess_quality(lin, face, skin_mask=skin, chart_found=False, claim_type="shade"))
    assert "no_chart" in codes


def test_compression_gate():
    assert compression_findings(None) == ()
    assert compression_findings(LIMITS["min_jpeg_quality"]) == ()
    (f,) = compression_findings(80)
    assert (f.code, f.value, f.limit) == ("compressed", 80.0, LIMITS["min_jpeg_quality"])
    (b,) = compression_findings(60, baseline=True, limits={"min_jpeg_quality": 70})
    assert b.code == "baseline_compressed" and b.message.startswith("The earlier photo")


def test_grain_is_caught_and_grows_with_the_noise(good):
    lin, face, skin = good
    clean = skin_grain(lin, skin, face.width)
    assert 0 < clean < LIMITS["max_grain_od"] / 3
    images = {a: sensor_noise(lin, a, rng=np.random.default_rng(0)) for a in (0.002, 0.004, 0.008)}
    grains = [skin_grain(img, skin, face.width) for img in images.values()]
    # white noise: the estimate follows its σ (doubling it about doubles the grain)
    assert grains[0] > 2 * clean
    assert 1.7 < grains[1] / grains[0] < 2.3 and 1.7 < grains[2] / grains[1] < 2.3
    noisy = images[0.008]
    (f,) = [x for x in assess_quality(noisy, face, skin_mask=skin) if x.code == "grainy"]
    assert f.value == pytest.approx(grains[2]) and f.limit == LIMITS["max_grain_od"]
    assert "brighter light" in f.message
    (b,) = grain_findings(noisy, face, skin, baseline=True)
    assert b.code == "baseline_grainy" and b.message.startswith("The earlier photo")


def test_grain_is_judged_at_the_scale_redness_is_outlined_at(landmarker):
    """The same noise on a face twice as wide is averaged by smoothing twice as wide: about
    half the grain, as a larger face keeps faint redness better (LIMITS' figures)."""
    grains = []
    for scale in (2.0, 4.0):
        lin = srgb_u8_to_rgb_lin(face_crop(scale))
        (face,) = landmarker.detect(lin)
        skin = region_mask(face.points, "skin", lin.shape[:2])
        noisy = sensor_noise(lin, 0.004, rng=np.random.default_rng(0))
        grains.append(skin_grain(noisy, skin, face.width))
    assert 1.6 < grains[0] / grains[1] < 2.4


_UTC8 = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(("now", "then", "codes", "days"), [
    (Origin("Apple iPhone 12", dt.datetime(2026, 10, 9)),
     Origin("apple iphone 12", dt.datetime(2026, 10, 1)), set(), None),  # same camera, earlier
    (Origin("Apple iPhone 12", None), Origin("Samsung SM-G991B", None), {"camera_changed"}, None),
    (Origin("Apple iPhone 12 back dual wide camera 4.2mm f/1.6", None),
     Origin("Apple iPhone 12 front camera 2.71mm f/2.2", None), {"camera_changed"}, None),
    (Origin(None, None), Origin("Samsung SM-G991B", None), set(), None),  # one camera unknown
    (Origin("hueproof capture page (Front Camera)", None),
     Origin("hueproof capture page (front camera)", None), set(), None),  # one page camera
    (Origin("hueproof capture page (Front Camera)", None),
     Origin("hueproof capture page (Back Camera)", None), {"camera_changed"}, None),
    (Origin(None, dt.datetime(2026, 10, 1)), Origin(None, dt.datetime(2026, 10, 3, 12)),
     {"baseline_not_earlier"}, 2.5),
    (Origin(None, dt.datetime(2026, 10, 1)), Origin(None, dt.datetime(2026, 10, 1)),
     {"baseline_not_earlier"}, 0.0),  # the same moment: not a photo from before
    # both with offsets: 09:00 at UTC+8 is 01:00 UTC, before 02:00 UTC
    (Origin(None, dt.datetime(2026, 10, 1, 2, tzinfo=dt.UTC)),
     Origin(None, dt.datetime(2026, 10, 1, 9, tzinfo=_UTC8)), set(), None),
    # one offset unknown: the local times are compared
    (Origin(None, dt.datetime(2026, 10, 1, 2, tzinfo=dt.UTC)),
     Origin(None, dt.datetime(2026, 10, 1, 9)), {"baseline_not_earlier"}, 7 / 24),
    (Origin(None, dt.datetime(2026, 10, 1)), Origin(None, None), set(), None),
])  # fmt: skip
def test_a_pairs_files_are_compared_by_camera_and_date(now, then, codes, days):
    found = {f.code: f for f in origin_findings(now, then)}
    assert set(found) == codes
    if days is not None:
        assert found["baseline_not_earlier"].value == pytest.approx(days)
    assert origin_findings(None, then) == origin_findings(now, None) == ()


@pytest.mark.parametrize("page_photo", ["new", "earlier"])
def test_a_capture_page_frame_against_a_camera_apps_photo_is_said_so(page_photo):
    page = Origin(f"{CAPTURE_PAGE_CAMERA} (Front Camera)", None)
    app = Origin("Apple iPhone 12", None)
    now, then = (page, app) if page_photo == "new" else (app, page)
    (found,) = origin_findings(now, then)
    assert found.code == "camera_changed"
    assert found.message.startswith("One photo is a frame of the capture page's video "
                                    f"({CAPTURE_PAGE_CAMERA} (Front Camera)), the other was "
                                    "taken by Apple iPhone 12:")  # fmt: skip
    (other,) = origin_findings(app, Origin("Samsung SM-G991B", None))
    assert other.message.startswith("The two photos were taken with different cameras")


@pytest.mark.parametrize(("yaw", "pitch", "value"), [
    (6.0, 9.0, None), (8.0, 0.0, 8.0), (-8.0, 0.0, 8.0), (1.0, 12.0, 12.0),
    (10.0, 12.0, 10.0),  # both over: the one further over its limit (10/7 > 12/10)
    (float("nan"), 0.0, None),  # no pose from the face model
])  # fmt: skip
def test_a_pair_turned_differently_is_reported(good, yaw, pitch, value):
    import dataclasses

    _, face, _ = good
    turned = dataclasses.replace(face, yaw=face.yaw + yaw, pitch=face.pitch + pitch)
    found = pose_findings(face, turned)
    assert [f.value for f in found] == ([] if value is None else [pytest.approx(value)])
    if value is not None:
        assert found[0].code == "pose_changed"
        assert f"{abs(yaw):.0f}° sideways, {pitch:.0f}° up or down" in found[0].message


@pytest.mark.parametrize(("software", "edited"), [
    ("Adobe Photoshop 25.0 (Windows)", True),
    # as files in Pillow 11.0.0's test images state them
    ("Adobe Photoshop Elements 5.0", True),
    ("Adobe Photoshop Lightroom Classic 7.4 (Macintosh)", True),
    ("Pixelmator 3.6", True),
    ("IrfanView", True),
    ("Digital Camera FinePix REAL 3D W3 Ver1.20", False),
    ("00204", False),
    ("HDR+ 1.0.621982163zd", False),
    ("ImageMagick 6.5.7-8 2010-12-02 Q16 http://www.imagemagick.org", False),
    ("Adobe Photoshop Lightroom Classic 13.0 (Macintosh)", True),
    ("GIMP 2.10.34", True),
    ("Snapseed 2.0", True),
    ("meitu", True),  # case ignored
    ("17.1", False),  # an iPhone's firmware
    ("G991BXXU5CVDD", False),  # a Samsung's
    ("HDR+ 1.0.345618096zd", False),  # a Pixel's camera app
    ("Canvas Camera 2", False),  # a whole word only: not Canva
    (None, False),
])  # fmt: skip
def test_a_file_naming_a_photo_editor_is_reported(software, edited):
    found = edit_findings(Origin("Apple iPhone 12", None, software))
    assert _codes(found) == ({"edited"} if edited else set())
    if edited:
        assert f"saved by {software}, a photo editor" in found[0].message
        (before,) = edit_findings(Origin(None, None, software), baseline=True)
        assert before.code == "baseline_edited" and before.message.startswith(
            "The photo from before"
        )
    assert edit_findings(None) == ()
