import io

import numpy as np
import pytest
from PIL import Image

from models.face_matcher import SAME_PERSON_COSINE, FaceMatcher
from tests.vision.conftest import face_crop
from vision.overlay import heatmap_image, legend_layout, pixelate, pixelation_block
from vision.people.matcher import ATTACKS, identity_scores, pixelated, portraits


def test_pixelation_destroys_facial_detail(landmarker):
    from calibration.colorimetry import srgb_u8_to_rgb_lin

    u8 = face_crop(3.0)
    lin = srgb_u8_to_rgb_lin(u8)
    (face,) = landmarker.detect(lin)
    mosaic = pixelate(u8, face.width)
    assert mosaic.shape == u8.shape
    # a face matcher needs the eyes: on the mosaic the landmarker no longer finds a face
    assert landmarker.detect(srgb_u8_to_rgb_lin(np.ascontiguousarray(mosaic))) == ()
    block = int(pixelation_block(face.width))  # the first block, from the corner
    assert len(np.unique(mosaic[:block, :block].reshape(-1, 3), axis=0)) == 1
    assert np.abs(mosaic[0, 0].astype(float) - u8[:block, :block].mean(axis=(0, 1))).max() <= 1


def _edges(line):
    """Where a row of a mosaic changes colour: its blocks' edges."""
    return np.flatnonzero(np.any(line[1:] != line[:-1], axis=-1)) + 1


def assert_one_grid(lin, a, photo_png: bytes):
    """The heatmap of analysis ``a`` of photo ``lin`` (the head at the working scale) and the
    pixelated photo (the whole frame at 1024 px): block edges at the same places of the photo,
    within the two resamplings' rounding."""
    from vision.analysis import HEATMAP_MARGIN, WORK_FACE_WIDTH
    from vision.regions import face_box

    scale = min(1.0, WORK_FACE_WIDTH / a.face.width)
    shown = min(1.0, 1024 / max(lin.shape[:2]))
    x0, y0, x1, y1 = face_box(a.face, lin.shape[:2], margin=HEATMAP_MARGIN)
    photo = np.asarray(Image.open(io.BytesIO(photo_png)))
    heat = a.images["redness_heatmap.png"]
    cols, rows = round((x1 - x0) * scale), round((y1 - y0) * scale)  # the legend follows
    lines = ((photo[round(y0 * shown)], heat[0, :cols], x0),
             (photo[:, round(x0 * shown)], heat[:rows, 0], y0))  # fmt: skip
    for photo_line, heat_line, start in lines:
        photo_edges = _edges(photo_line) / shown
        heat_edges = start + _edges(heat_line) / scale
        assert len(heat_edges) >= 4
        gap = np.abs(heat_edges[:, None] - photo_edges[None, :]).min(axis=1)
        assert gap.max() <= 1.0 / scale + 1.0 / shown, gap
    return scale, shown


def test_the_photo_and_its_heatmap_cut_the_face_into_the_same_blocks(landmarker):
    """The heatmap is the head cut out at the analysis's working size, the photo shown is the
    whole frame shrunk to 1024 px: two scales. Anchored at the photo's corner, the heatmap's
    mosaic has its block edges where the pixelated photo's are (within the two resamplings'
    rounding); anchored at the head's own corner (as before) they fell elsewhere."""
    from calibration.colorimetry import srgb_u8_to_rgb_lin
    from claims.analysis import _pixelated_photo
    from vision.analysis import analyze_selfie

    lin = srgb_u8_to_rgb_lin(face_crop(6.0))
    a = analyze_selfie(lin, landmarker=landmarker)
    photo = _pixelated_photo(lin, mosaic_width=a.mosaic_face_width)
    assert photo == _pixelated_photo(lin, a.face)  # the analysis chose what the photo would
    scale, shown = assert_one_grid(lin, a, photo)
    assert scale < 0.9 and shown < 0.9 and abs(scale - shown) > 0.02  # three scales


def test_a_face_matcher_cannot_tell_who_is_in_the_pixelated_picture(landmarker):
    """SFace tells the man with three photos (vision/people) from everyone else every time on
    the photos themselves. On the pixelated pictures, shown as they are, blurred, or with their
    blocks interpolated again, it must rank at most 9 in 10 of (his other photo, someone
    else's) pairs right and 3 in 4 over the four, and once the blocks are smoothed never reach
    its own threshold for "the same person". At 10 blocks per face width (the first choice)
    the interpolated pictures tell him apart every time, above that threshold: this fails."""
    matcher = FaceMatcher()
    gallery = portraits(landmarker)
    plain = identity_scores(matcher, gallery)
    assert plain.separation == 1.0 and min(plain.genuine) > SAME_PERSON_COSINE
    separations = []
    for attack in ATTACKS:
        scores = identity_scores(matcher, gallery, pixelated(), attack)
        separations.append(scores.separation)
        assert scores.separation <= 0.9, attack
        if attack != "as shown":  # raw blocks score everyone high, whoever they are
            assert max(scores.genuine) < SAME_PERSON_COSINE, attack
    assert np.mean(separations) <= 0.75, separations


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


@pytest.mark.parametrize("h", [90, 120, 162, 240, 400, 700, 1000, 1600, 3000])
def test_the_legend_never_writes_over_itself(h):
    """At every height: each line of text, the bar and each of its labels keep rows of their
    own (a label shares rows only with the bar it marks), all inside the picture, and the
    column is as wide as the widest line. Before, a small face's heatmap (162 px tall, the
    astronaut's 512 px photo) had its "10 sd" written over "above own" and its "0" beside
    "not a"; from about 1000 px "above own" ran off the column's edge."""
    import cv2

    font, w = cv2.FONT_HERSHEY_SIMPLEX, int(0.7 * h)
    lay = legend_layout(h, w)
    (_, cap), descent = cv2.getTextSize("0g", font, lay.scale, 1)

    def rows(y):
        return set(range(y - cap, y + descent))

    text = [rows(y) for y, _ in lay.lines]
    marks = [rows(y) for y, _ in lay.labels]
    bar = set(range(lay.top, lay.bottom + 1))
    for group in (text, marks):
        for i, a in enumerate(group):
            assert all(not (a & b) for b in group[i + 1 :]), lay
    assert all(not (t & (m | bar)) for t in text for m in marks), lay
    assert min(min(r) for r in text + marks) >= 0 and max(max(r) for r in text + marks) < h
    assert len(lay.labels) == 3 or lay.bottom - lay.top < 2 * (cap + descent + 1)
    widest = max(cv2.getTextSize(t, font, lay.scale, 1)[0][0] for _, t in lay.lines)
    assert 4 + widest < lay.width
    legend = heatmap_image(np.full((h, w, 3), 0.3, np.float32), np.zeros((h, w), np.float32),
                           np.zeros((h, w), bool), face_width=0.5 * h)[:, w:]  # fmt: skip
    assert legend.shape[1] == lay.width and (legend[:, -2:] == 255).all()  # nothing cut off
