import hashlib

import cv2
import numpy as np
import pytest
from skimage import data as skdata

from calibration.colorimetry import srgb_u8_to_rgb_lin
from models.face_landmarker import provision
from tests.vision.conftest import face_crop
from vision.landmarks import FaceLandmarker, LandmarkerOptions, head_pose_degrees


def test_astronaut_face_has_478_points_inside_the_face(landmarker, astronaut_srgb_u8):
    (face,) = landmarker.detect(srgb_u8_to_rgb_lin(astronaut_srgb_u8))
    assert face.points.shape == (478, 2) and face.depth.shape == (478,)
    x, y, w, h = face.bbox
    # the face is about 90 px wide and a little taller, left of centre, in the upper half
    assert 70 < w < 120 and w < h < 1.5 * w and 150 < x < 220 and 50 < y < 110
    assert abs(face.yaw) < 15 and abs(face.roll) < 10
    assert len(face.blendshapes) == 52 and face.blendshapes["mouthSmileLeft"] > 0.3
    assert face.faces_in_image == 1 and face.warnings == ()
    assert face.to_dict()["landmarks"] == 478


def test_roll_follows_an_in_plane_rotation(landmarker, big_face):
    u8, lin = big_face
    (upright,) = landmarker.detect(lin)
    h, w = u8.shape[:2]
    rot = cv2.warpAffine(u8, cv2.getRotationMatrix2D((w / 2, h / 2), 20, 1.0), (w, h),
                         borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    (turned,) = landmarker.detect(srgb_u8_to_rgb_lin(rot))
    assert abs(abs(turned.roll - upright.roll) - 20) < 4


def test_mirror_flips_yaw_and_roll(landmarker, big_face):
    u8, lin = big_face
    (a,) = landmarker.detect(lin)
    (b,) = landmarker.detect(srgb_u8_to_rgb_lin(np.ascontiguousarray(u8[:, ::-1])))
    w = u8.shape[1]
    # the mirrored nose tip (landmark 1) lands where the mirror puts it
    assert abs((w - 1 - b.points[1, 0]) - a.points[1, 0]) < 4
    assert np.sign(a.roll) != np.sign(b.roll) or abs(a.roll) < 1


def test_no_face_is_an_empty_result(landmarker):
    assert landmarker.detect(srgb_u8_to_rgb_lin(skdata.coffee())) == ()


def test_several_faces_pick_the_largest_with_a_warning(landmarker):
    big, small = face_crop(2.0), face_crop(1.5)
    canvas = np.full((big.shape[0], big.shape[1] + small.shape[1], 3), 200, np.uint8)
    canvas[:, : big.shape[1]] = big
    canvas[: small.shape[0], big.shape[1] :] = small
    (face,) = landmarker.detect(srgb_u8_to_rgb_lin(canvas))
    assert face.faces_in_image == 2 and "2 faces" in face.warnings[0]
    assert face.bbox[0] < big.shape[1]  # the big face, not the small one


def test_bad_input_shape(landmarker):
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        landmarker.detect(np.zeros((10, 10), np.float32))


def test_head_pose_of_identity_and_known_rotation():
    assert head_pose_degrees(np.eye(4)) == pytest.approx((0.0, 0.0, 0.0))
    t = np.radians(30)
    rz = np.eye(4)
    rz[:2, :2] = [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]
    assert head_pose_degrees(rz)[2] == pytest.approx(30.0)


def test_missing_override_model_names_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv(provision.FACE_MODEL_ENV, str(tmp_path / "nope.task"))
    with pytest.raises(provision.FaceModelError, match=r"HUEPROOF_FACE_MODEL=.*does not exist"):
        FaceLandmarker()


def test_wrong_provisioned_model_is_refused(monkeypatch, tmp_path):
    fake = tmp_path / "face_landmarker.task"
    fake.write_bytes(b"not the model")
    monkeypatch.delenv(provision.FACE_MODEL_ENV, raising=False)
    monkeypatch.setattr(provision, "DEFAULT_PATH", fake)
    with pytest.raises(provision.FaceModelError, match="--force"):
        provision.face_model_path()


def test_missing_provisioned_model_says_make_setup(monkeypatch, tmp_path):
    monkeypatch.delenv(provision.FACE_MODEL_ENV, raising=False)
    monkeypatch.setattr(provision, "DEFAULT_PATH", tmp_path / "absent.task")
    with pytest.raises(provision.FaceModelError, match="make setup"):
        provision.face_model_path()


def test_provisioned_model_is_the_pinned_file(landmarker):
    assert landmarker.model_sha256 == provision.FACE_MODEL_SHA256
    data = landmarker.model_path.read_bytes()
    assert len(data) == provision.FACE_MODEL_SIZE
    assert hashlib.sha256(data).hexdigest() == provision.FACE_MODEL_SHA256


def test_explicit_model_path_option(landmarker):
    lm = FaceLandmarker(LandmarkerOptions(model_path=str(landmarker.model_path), max_faces=1))
    try:
        assert lm.model_sha256 == provision.FACE_MODEL_SHA256
    finally:
        lm.close()
    with pytest.raises(RuntimeError, match="closed"):
        lm.detect(np.zeros((32, 32, 3), np.float32))
