import numpy as np

from tests.vision.conftest import face_crop
from vision.overlay import heatmap_image, pixelate, pixelation_block
from vision.people.matcher import (
    ATTACKS,
    SAME_PERSON_COSINE,
    FaceMatcher,
    identity_scores,
    pixelated,
    portraits,
)


def test_pixelation_destroys_facial_detail(landmarker):
    from calibration.colorimetry import srgb_u8_to_rgb_lin

    u8 = face_crop(3.0)
    lin = srgb_u8_to_rgb_lin(u8)
    (face,) = landmarker.detect(lin)
    mosaic = pixelate(u8, face.width)
    assert mosaic.shape == u8.shape
    # a face matcher needs the eyes: on the mosaic the landmarker no longer finds a face
    assert landmarker.detect(srgb_u8_to_rgb_lin(np.ascontiguousarray(mosaic))) == ()
    block = pixelation_block(face.width)
    assert len(np.unique(mosaic[:block, :block].reshape(-1, 3), axis=0)) <= 4


def test_a_face_matcher_cannot_tell_who_is_in_the_pixelated_picture(landmarker):
    """SFace tells the man with three photos (vision/people) from everyone else every time on
    the photos themselves; on the pixelated pictures, shown as they are, blurred or with their
    block grid interpolated again, it must rank at most 4 in 5 of (his, someone else's) pairs
    right and never reach its own threshold for "the same person". At 10 blocks per face width
    (the first choice) the re-interpolated pictures tell him apart every time: this fails."""
    matcher = FaceMatcher()
    gallery = portraits(landmarker)
    plain = identity_scores(matcher, gallery, lambda u8, w: (u8, 1))
    assert plain.separation == 1.0 and min(plain.genuine) > SAME_PERSON_COSINE
    for attack in ATTACKS:
        scores = identity_scores(matcher, gallery, pixelated(), attack)
        assert scores.separation <= 0.8, attack
        assert max(scores.genuine) < SAME_PERSON_COSINE, attack


def test_heatmap_keeps_the_flagged_region_sharp():
    lin = np.full((200, 300, 3), 0.3, np.float32)
    excess = np.zeros((200, 300), np.float32)
    excess[80:120, 100:160] = 8.0
    mask = excess > 4
    out = heatmap_image(lin, excess, mask, face_width=150.0)
    assert out.shape[0] == 200 and out.shape[1] > 300 and out.dtype == np.uint8
    inside, outside = out[100, 130], out[20, 20]
    assert inside[0] > outside[0] + 40  # warm colour where flagged
    assert (out[80, 100:160] > 240).all(axis=-1).any()  # white outline at the border
