"""analyze_selfie on phone-sized photos: detection on a preview, analysis on the head only,
the mask back at the photo's size in the right place."""

import numpy as np
import pytest

from vision.analysis import WORK_FACE_WIDTH, analyze_selfie
from vision.regions import region_masks
from vision.testset import add_erythema, astronaut_face, second_photo, sensor_noise, zone_centre


def _photo(scale, frame=None, *, earlier=False):
    """The astronaut's head at ``scale`` (face ≈ 90 × scale px wide), centred in a grey frame
    of ``frame`` (H, W) when given; ``earlier``: another photo of it, as a pair's photo from
    before (vision/testset.py's second_photo: a little closer, turned, under warmer light),
    not the same picture at another size (which the analysis does not compare)."""
    head = astronaut_face(scale)
    if earlier:
        head = second_photo(head)
    if frame is not None:
        img = np.full((*frame, 3), 0.2, np.float32)
        y0, x0 = (frame[0] - head.shape[0]) // 2, (frame[1] - head.shape[1]) // 2
        img[y0 : y0 + head.shape[0], x0 : x0 + head.shape[1]] = head
        head = img
    return head


@pytest.mark.parametrize(
    "scale, frame",
    [
        (9.0, (3000, 2400)),  # the face is small in the preview: the head comes from the photo
        (19.0, None),  # a 15 MP close-up: the head comes from the preview
    ],
)
def test_the_mask_lands_on_the_patch_at_the_photos_size(landmarker, scale, frame):
    img = _photo(scale, frame)
    (face,) = landmarker.detect(img)
    masks = region_masks(face.points, img.shape[:2], names=("skin", "right_cheek"))
    img, er = add_erythema(img, centre=zone_centre(masks["right_cheek"]), radius=0.07 * face.width,
                           strength=0.5, skin_mask=masks["skin"])  # fmt: skip
    a = analyze_selfie(img, landmarker=landmarker)
    # the face comes back in the photo's pixels
    assert abs(a.face.width - face.width) < 0.03 * face.width
    assert np.median(np.linalg.norm(a.face.points - face.points, axis=1)) < 0.01 * face.width
    mask = a.images["redness_mask.png"] == 255
    assert mask.shape == img.shape[:2]
    assert (mask & er.truth).sum() > 0.5 * er.truth.sum()
    # nothing flagged away from the patch (the heatmap covers the head only)
    ys, xs = np.nonzero(mask)
    cx, cy = er.centre
    assert np.hypot(xs - cx, ys - cy).max() < 3 * er.radius
    heat = a.images["redness_heatmap.png"]
    assert heat.shape[0] < img.shape[0] * WORK_FACE_WIDTH / face.width * 1.05
    red = a.to_dict()["redness"]
    assert red["zones"]["right_cheek"]["area_fraction"] > 0.05
    # what "nothing flagged" would have meant here: the single photo's detection limit
    assert 0.2 < red["detection_limit"]["haemoglobin_od"] < 0.5


def test_a_baseline_at_another_size_is_compared(landmarker):
    after = _photo(9.0, (3000, 2400))
    before = _photo(6.0, (2000, 1600), earlier=True)
    a = analyze_selfie(after, landmarker=landmarker, baseline_rgb_lin=before)
    assert a.change is not None
    assert abs(a.baseline_face.width - landmarker.detect(before)[0].width) < 0.03 * 540
    # the same face, nothing added: (almost) nothing flagged as increased
    assert (a.images["redness_mask.png"] == 255).mean() < 0.001
    # against a baseline the limit is the pair's, far below a single photo's
    limit = a.to_dict()["redness"]["detection_limit"]
    assert limit == a.change.detection_limit.to_dict()
    assert 0.1 <= limit["haemoglobin_od"] < 0.2
    assert not {"grainy", "baseline_grainy"} & set(a.to_dict()["quality"]["problems"])


@pytest.mark.parametrize(("scale", "small"), [(1.2, True), (1.45, False)])
def test_a_small_baseline_face_is_reported(landmarker, scale, small):
    """A photo from before whose face is narrower than the limit (a thumbnail, a group photo)
    is reported with its width, and still compared; one just wide enough is not reported."""
    from vision.quality import LIMITS

    a = analyze_selfie(
        _photo(6.0), landmarker=landmarker, baseline_rgb_lin=_photo(scale, earlier=True)
    )
    width = a.baseline_face.width
    assert (width < LIMITS["min_baseline_face_px"]) == small, width
    assert a.change is not None
    found = [f for f in a.quality if f.code == "baseline_face_too_small"]
    assert len(found) == small
    if small:
        assert found[0].value == pytest.approx(width) and f"{width:.0f} px" in found[0].message


def test_a_grainy_baseline_is_reported(landmarker):
    after = _photo(6.0)
    before = _photo(5.0, earlier=True)
    before = sensor_noise(before, 0.01, rng=np.random.default_rng(3))
    a = analyze_selfie(after, landmarker=landmarker, baseline_rgb_lin=before)
    problems = a.to_dict()["quality"]["problems"]
    assert "baseline_grainy" in problems and "grainy" not in problems


def test_a_mirrored_photo_from_before_is_compared_flipped_back(landmarker):
    """Front cameras often save selfies mirrored: compared as it is, one cheek lies over the
    other and the pair is noisy (unchanged skin flagged); flipped back it is not, and the
    analysis says it did so. A pair that is not mirrored is never flipped."""
    after, before = _photo(6.0), _photo(5.0, earlier=True)
    straight = analyze_selfie(after, landmarker=landmarker, baseline_rgb_lin=before)
    mirrored = analyze_selfie(after, landmarker=landmarker,
                              baseline_rgb_lin=np.ascontiguousarray(before[:, ::-1]))  # fmt: skip
    codes = [f.code for f in mirrored.quality]
    assert "baseline_mirrored" in codes and "noisy_pair" not in codes
    assert (mirrored.images["redness_mask.png"] == 255).mean() < 0.001
    assert "baseline_mirrored" not in [f.code for f in straight.quality]
    assert mirrored.change.gains == pytest.approx(straight.change.gains, abs=0.01)


def _without_colour(rgb_lin, kind):
    """The photo in black and white (its luminance in every channel) or sepia (the usual sepia
    matrix on encoded sRGB), as filters make it."""
    from calibration.colorimetry import LUMINANCE, rgb_lin_to_srgb, srgb_to_rgb_lin

    if kind == "black and white":
        return np.repeat((rgb_lin @ LUMINANCE.astype(np.float32))[..., None], 3, axis=-1)
    sepia = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
    return srgb_to_rgb_lin(np.clip(rgb_lin_to_srgb(rgb_lin) @ sepia.T, 0, 1)).astype(np.float32)


@pytest.mark.parametrize("kind", ["black and white", "sepia"])
def test_a_photo_without_colour_measures_neither_redness_nor_lips(landmarker, kind):
    """A filter that takes the colour out leaves no redness to see and no lip colour to read:
    reported as not measurable (the chart-free model would still return a plausible lip
    colour), while the same photo in colour is measured, a red patch found."""
    from models.illuminant import default_model as colour_model

    img = _photo(6.0)
    (face,) = landmarker.detect(img)
    masks = region_masks(face.points, img.shape[:2], names=("skin", "right_cheek"))
    img, _ = add_erythema(img, centre=zone_centre(masks["right_cheek"]), radius=0.07 * face.width,
                          strength=0.5, skin_mask=masks["skin"])  # fmt: skip
    coloured = analyze_selfie(img, landmarker=landmarker, colour_model=colour_model()).to_dict()
    assert "no_colour" not in coloured["quality"]["problems"]
    assert coloured["redness"]["measurable"] is True
    assert coloured["redness"]["zones"]["right_cheek"]["area_fraction"] > 0.05
    assert coloured["lips"]["colour_source"] == "chart-free model"
    a = analyze_selfie(_without_colour(img, kind), landmarker=landmarker,
                       colour_model=colour_model())  # fmt: skip
    d = a.to_dict()
    (finding,) = [f for f in d["quality"]["findings"] if f["code"] == "no_colour"]
    assert finding["value"] < finding["limit"]
    assert d["redness"]["measurable"] is False and d["redness"]["zones"] == {}
    assert "detection_limit" not in d["redness"]
    assert not a.images["redness_mask.png"].any()
    assert d["lips"]["colour_source"] == "uncalibrated" and d["lips"]["uncertainty_de00"] is None
    from vision.shade import face_shade  # the lips as a shade claim reads them

    (grey_face,) = landmarker.detect(_without_colour(img, kind))
    m, _ = face_shade(_without_colour(img, kind), face=grey_face, colour_model=colour_model(),
                      reference_lab=[45, 60, 30])  # fmt: skip
    assert m.colourless and m.verdict.verdict == "inconclusive" and m.chart_free is None


def test_a_photo_from_before_without_colour_is_not_used(landmarker):
    """Compared with a black-and-white photo from before, the new photo's own redness would
    read as an increase: the earlier photo is not used, and the finding says why."""
    after = _photo(6.0)
    before = _without_colour(_photo(5.0, earlier=True), "black and white")
    a = analyze_selfie(after, landmarker=landmarker, baseline_rgb_lin=before)
    d = a.to_dict()
    assert a.change is None and d["redness"]["compared_to_baseline"] is False
    assert "baseline_no_colour" in d["quality"]["problems"]
    assert "no_colour" not in d["quality"]["problems"]
    coloured = analyze_selfie(
        after, landmarker=landmarker, baseline_rgb_lin=_photo(5.0, earlier=True)
    )
    assert coloured.change is not None


def test_the_same_picture_is_not_a_photo_from_before(landmarker):
    """A copy of the new photo (re-saved smaller, saved mirrored, cropped, or the new photo
    before a red patch was painted in) shows the same moment: it is not compared, and the
    new photo is analysed on its own, its patch found; another photo of the face (turned,
    closer, warmer) is compared."""
    import io

    from PIL import Image

    from calibration.colorimetry import rgb_lin_to_srgb_u8
    from vision.ingest import ingest_image
    from vision.quality import LIMITS, face_difference, picture_difference

    img = _photo(6.0)
    (face,) = landmarker.detect(img)
    masks = region_masks(face.points, img.shape[:2], names=("skin", "right_cheek"))
    red, er = add_erythema(img, centre=zone_centre(masks["right_cheek"]), radius=0.07 * face.width,
                           strength=0.5, skin_mask=masks["skin"])  # fmt: skip
    half = Image.fromarray(rgb_lin_to_srgb_u8(img)).resize((img.shape[1] // 2, img.shape[0] // 2))
    half.save(buf := io.BytesIO(), "JPEG", quality=85)
    copy = ingest_image(buf.getvalue()).rgb_lin
    earlier = _photo(6.0, earlier=True)
    limit = LIMITS["min_picture_difference"]
    assert picture_difference(red, copy) < limit / 2 < 2 * limit < picture_difference(red, earlier)
    assert picture_difference(red, img[:, : img.shape[1] // 2]) == np.inf  # another shape
    # aspects within rounding of each other give one thumbnail size (73 and 72.5 rows here)
    grey = np.full((1460, 1920, 3), 0.2, np.float32)
    assert picture_difference(grey, grey[:1450]) == pytest.approx(0.0, abs=1e-4)
    h, w = img.shape[:2]  # cropped (another shape): its face falls on the new one
    cropped = Image.fromarray(rgb_lin_to_srgb_u8(img[h // 10 : h - h // 20, w // 8 : w - w // 5]))
    cropped.save(buf := io.BytesIO(), "JPEG", quality=85)
    cropped = ingest_image(buf.getvalue()).rgb_lin
    assert picture_difference(red, cropped) == np.inf
    (f_red,), (f_crop,), (f_earlier,) = (landmarker.detect(x) for x in (red, cropped, earlier))
    face_limit = LIMITS["min_face_picture_difference"]
    assert face_difference(red, f_red, cropped, f_crop) < face_limit  # the patch counts too
    assert face_difference(red, f_red, earlier, f_earlier) > face_limit
    mirrored = (np.ascontiguousarray(x[:, ::-1]) for x in (copy, cropped))
    for before in (copy, img, cropped, *mirrored):
        a = analyze_selfie(red, landmarker=landmarker, baseline_rgb_lin=before)
        (finding,) = [f for f in a.quality if f.code == "baseline_same_photo"]
        assert finding.value < finding.limit and a.change is None
        mask = a.images["redness_mask.png"] == 255
        assert (mask & er.truth).sum() > 0.5 * er.truth.sum()  # the single photo's flags
        assert a.to_dict()["redness"]["compared_to_baseline"] is False
    pair = analyze_selfie(red, landmarker=landmarker, baseline_rgb_lin=earlier)
    assert pair.change is not None
    assert "baseline_same_photo" not in [f.code for f in pair.quality]
