import cv2
import numpy as np
import pytest

from calibration.colorimetry import rgb_lin_to_xyz, xyz_to_lab
from calibration.errors import InvalidInputError
from calibration.region import robust_region_lab
from tests.vision.conftest import face_crop
from vision.regions import FACE_OVAL, LIPS_INNER, REDNESS_ZONES, REGIONS, region_mask, region_masks
from vision.shade import face_shade


@pytest.fixture(scope="module")
def face(landmarker, big_face):
    _, lin = big_face
    (f,) = landmarker.detect(lin)
    return f


@pytest.fixture(scope="module")
def masks(face, big_face):
    return region_masks(face.points, big_face[1].shape[:2])


def _lab(lin, mask):
    return xyz_to_lab(rgb_lin_to_xyz(lin[mask].astype(np.float64)))


def test_every_region_is_non_empty_and_inside_the_face_oval(masks, face, big_face):
    shape = big_face[1].shape[:2]
    oval = np.zeros(shape, np.uint8)
    cv2.fillPoly(oval, [np.round(face.points[list(FACE_OVAL)]).astype(np.int32)], 1)
    for name, m in masks.items():
        assert m.dtype == bool and m.shape == shape
        assert m.sum() > 150, name  # the upper lip of a broad smile is thin
        assert (m & ~oval.astype(bool)).sum() <= 0.01 * m.sum(), name


def test_lips_never_include_the_mouth_opening(masks, face, big_face):
    _, lin = big_face
    mouth = np.zeros(lin.shape[:2], np.uint8)
    cv2.fillPoly(mouth, [np.round(face.points[list(LIPS_INNER)]).astype(np.int32)], 1)
    mouth = mouth.astype(bool)
    assert not (masks["lips"] & mouth).any()
    # the astronaut smiles: the opening shows teeth, lighter and far less red than her lips
    lips, teeth = _lab(lin, masks["lips"]), _lab(lin, mouth)
    assert np.median(lips[:, 1]) > np.median(teeth[:, 1]) + 8
    assert np.median(lips[:, 0]) < np.median(teeth[:, 0])


def test_lip_halves_are_disjoint_and_inside_the_lips(masks):
    assert not (masks["upper_lip"] & masks["lower_lip"]).any()
    union = masks["upper_lip"] | masks["lower_lip"]
    assert (union & ~masks["lips"]).sum() <= 0.05 * union.sum()


def test_skin_excludes_eyes_brows_lips_and_nostrils(masks, face):
    skin = masks["skin"]
    for idx in (468, 473, 105, 334, 13, 14):  # iris centres, brows, lips middle
        x, y = np.round(face.points[idx]).astype(int)
        assert not skin[y, x], idx
    for name in REDNESS_ZONES:
        assert (masks[name] & skin).sum() > 0.5 * masks[name].sum(), name


def test_cheeks_are_mirror_images(masks, face):
    left, right = masks["left_cheek"].sum(), masks["right_cheek"].sum()
    assert 0.7 < left / right < 1.4
    # subject's left cheek is on the image's right
    assert np.nonzero(masks["left_cheek"])[1].mean() > np.nonzero(masks["right_cheek"])[1].mean()


def test_masks_scale_with_the_face(landmarker):
    from calibration.colorimetry import srgb_u8_to_rgb_lin

    areas = []
    for scale in (2.0, 4.0):
        lin = srgb_u8_to_rgb_lin(face_crop(scale))
        (f,) = landmarker.detect(lin)
        areas.append(region_mask(f.points, "right_cheek", lin.shape[:2]).sum())
    assert 3.0 < areas[1] / areas[0] < 5.5  # area grows with the square of the scale


def test_unknown_region_and_bad_points():
    with pytest.raises(ValueError, match="unknown region 'ear'; expected one of"):
        region_mask(np.zeros((478, 2)), "ear", (10, 10))
    with pytest.raises(ValueError, match=r"\(478, 2\)"):
        region_mask(np.zeros((468, 2)), "lips", (10, 10))
    assert set(REDNESS_ZONES) <= set(REGIONS)


def test_lip_shade_without_chart_is_uncalibrated(landmarker, big_face):
    _, lin = big_face
    m, face = face_shade(lin, landmarker=landmarker, reference_lab=[60, 30, 15])
    assert face.faces_in_image == 1
    assert not m.calibrated and m.verdict.verdict == "inconclusive"
    lab = robust_region_lab(_lab(lin, region_mask(face.points, "lips", lin.shape[:2]))).lab
    np.testing.assert_allclose(m.lab, lab, atol=1e-6)
    assert m.lab[1] > 12  # pink-red lips


def test_face_shade_refuses_a_photo_without_face(landmarker):
    from skimage import data as skdata

    from calibration.colorimetry import srgb_u8_to_rgb_lin

    with pytest.raises(InvalidInputError, match="expected a face"):
        face_shade(srgb_u8_to_rgb_lin(skdata.coffee()), landmarker=landmarker)
    with pytest.raises(InvalidInputError, match="unknown shade region"):
        face_shade(np.zeros((8, 8, 3), np.float32), landmarker=landmarker, region="nose")
