import numpy as np

from tests.vision.conftest import face_crop
from vision.overlay import heatmap_image, pixelate


def test_pixelation_destroys_facial_detail(landmarker):
    from calibration.colorimetry import srgb_u8_to_rgb_lin

    u8 = face_crop(3.0)
    lin = srgb_u8_to_rgb_lin(u8)
    (face,) = landmarker.detect(lin)
    mosaic = pixelate(u8, face.width)
    assert mosaic.shape == u8.shape
    # a face matcher needs the eyes: on the mosaic the landmarker no longer finds a face
    assert landmarker.detect(srgb_u8_to_rgb_lin(np.ascontiguousarray(mosaic))) == ()
    block = max(8, round(face.width / 10))
    assert len(np.unique(mosaic[:block, :block].reshape(-1, 3), axis=0)) <= 4


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
