"""vision/fingerprint.py: the same picture found again however it was re-saved, and two
pictures told apart; vision/ingest.py: the fingerprint of an upload as it is seen."""

import io
import itertools

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance
from skimage import data

from vision.fingerprint import (
    BANDS,
    FACE_NEAR_DISTANCE,
    NEAR_DISTANCE,
    SAME_FACE_CORRELATION,
    Fingerprints,
    Turn,
    face_correlation,
    face_detail,
    face_fingerprint,
    fingerprint_bands,
    fingerprint_distance,
    fingerprint_variants,
    mirrored_fingerprint,
    photo_fingerprints,
    picture_content,
    upside_down_fingerprint,
)
from vision.ingest import UPRIGHT, check_image, file_fingerprints, picture_fingerprints

SAMPLE = "samples/swatch_with_chart.jpg"


def _upright(im: Image.Image) -> int | None:
    """A decoded picture's upright fingerprint (vision.ingest)."""
    return picture_fingerprints(im).upright


def _upright_of(grey) -> int | None:
    return photo_fingerprints(grey).upright


def _pictures() -> dict[str, Image.Image]:
    """Five different photos: a face, a simulated swatch photo, three of scikit-image's."""
    names = ("astronaut", "coffee", "chelsea", "rocket")
    out = {name: Image.fromarray(getattr(data, name)()) for name in names}
    out["swatch"] = Image.open(SAMPLE).convert("RGB")
    return out


def _jpeg(im: Image.Image, quality=92, **kw) -> bytes:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=quality, **kw)
    return buf.getvalue()


def _copies(im: Image.Image):
    """What a shopper may do to a photo before sending it again: save it again as a JPEG of
    low quality, make it smaller, change its colours (a shade "mismatch" made by the white
    balance)."""
    w, h = im.size
    r, g, b = im.split()
    yield "jpeg60", Image.open(io.BytesIO(_jpeg(im, 60)))
    yield "half", im.resize((w // 2, h // 2), Image.BILINEAR)
    yield "quarter", Image.open(io.BytesIO(_jpeg(im.resize((w // 4, h // 4)), 75)))
    yield "warmer", Image.merge("RGB", (r.point(lambda v: min(255, round(v * 1.15))), g,
                                        b.point(lambda v: round(v * 0.85))))  # fmt: skip
    yield "brighter", ImageEnhance.Brightness(im).enhance(1.25)
    yield "more saturated", ImageEnhance.Color(im).enhance(1.6)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket", "swatch"])
def test_a_photo_saved_again_smaller_or_recoloured_is_the_same_picture(name):
    im = _pictures()[name]
    first = _upright(im)
    for how, copy in _copies(im):
        assert fingerprint_distance(first, _upright(copy)) <= NEAR_DISTANCE, how


def test_different_photos_are_far_apart():
    """The ten pairs of five different photos are all farther apart than a copy may be
    (measured: 23 bits or more, the median 31 as for random bits), also with one of the two
    mirrored (24 or more)."""
    prints = {k: _upright(v) for k, v in _pictures().items()}
    apart = {(a, b): fingerprint_distance(prints[a], prints[b])
             for a, b in itertools.combinations(prints, 2)}  # fmt: skip
    assert min(apart.values()) > 2 * NEAR_DISTANCE, apart
    mirrored = {(a, b): fingerprint_distance(mirrored_fingerprint(prints[a]), prints[b])
                for a, b in itertools.permutations(prints, 2)}  # fmt: skip
    assert min(mirrored.values()) > 2 * NEAR_DISTANCE, mirrored


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket", "swatch"])
def test_a_mirrored_photo_is_found_through_its_mirrored_fingerprint(name):
    """A mirror image has another difference hash (the astronaut's is 34 bits from the
    photo's: not found as it is), computed from the photo's bits: the mirrored photo's own is
    within a bit of it, and the mirrored photo's copies are within reach and share a band."""
    im = _pictures()[name]
    expected = mirrored_fingerprint(_upright(im))
    mirrored = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    assert fingerprint_distance(expected, _upright(mirrored)) <= 1
    for how, copy in _copies(mirrored):
        got = _upright(copy)
        assert fingerprint_distance(expected, got) <= NEAR_DISTANCE, how
        assert set(fingerprint_bands(expected)) & set(fingerprint_bands(got)), how
    if name == "astronaut":
        assert fingerprint_distance(_upright(im), _upright(mirrored)) > 30


def test_mirroring_twice_gives_the_fingerprint_back_and_distances_agree():
    """An involution on the 64 bits, whichever fingerprint is mirrored; signed (a database's
    BIGINT) or not."""
    rng = np.random.default_rng(7)
    for a, b in rng.integers(0, 2**63, size=(200, 2), dtype=np.int64).tolist():
        a, b = a * 2 + (b & 1), b  # the top bit too
        assert mirrored_fingerprint(mirrored_fingerprint(a)) == a & (2**64 - 1)
        assert fingerprint_distance(mirrored_fingerprint(a), b) == fingerprint_distance(
            a, mirrored_fingerprint(b))  # fmt: skip
    assert mirrored_fingerprint(-1) == mirrored_fingerprint(2**64 - 1) == 0


def test_a_picture_without_structure_has_no_fingerprint():
    """A blank frame or a close-up of one colour would match any other by chance."""
    rng = np.random.default_rng(0)
    flat = 128 + rng.normal(0, 1.0, (300, 400))  # one colour and a sensor's noise
    assert _upright_of(flat) is None
    assert _upright(Image.new("RGB", (64, 48), (200, 30, 40))) is None
    ramp = np.tile(np.arange(90, dtype=np.float32) * 2, (80, 1))  # brighter to the right
    assert _upright_of(ramp) == 2**64 - 1
    assert _upright_of(ramp[:, ::-1]) == 0


@pytest.mark.parametrize("orientation", range(1, 9))
def test_an_upload_is_fingerprinted_as_it_is_seen(orientation):
    """A phone stores a photo turned, with an EXIF orientation: the fingerprint is the
    upright picture's, as the same photo stored upright (within a JPEG's re-encoding)."""
    upright = _pictures()["astronaut"]
    stored = upright
    if orientation in UPRIGHT:  # the inverse turn of the one that makes it upright
        turns = {5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
                 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}  # fmt: skip
        stored = upright.transpose(turns.get(orientation, UPRIGHT[orientation]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    checked = check_image(_jpeg(stored, 95, exif=exif.tobytes()))
    assert fingerprint_distance(checked.fingerprints.upright, _upright(upright)) <= 2
    # the stored file (its metadata removed, its orientation kept), decoded small
    stored = file_fingerprints(checked.stored)
    assert fingerprint_distance(stored.upright, checked.fingerprints.upright) <= 3


@pytest.mark.parametrize("mode", ["L", "LA", "P", "1", "RGBA", "CMYK", "I;16"])
def test_every_decoded_mode_gives_the_pictures_fingerprint(mode):
    im = _pictures()["astronaut"]
    if mode == "I;16":  # a 16-bit grey PNG: 65535 is white
        other = Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16) * 257)
    else:
        other = im.convert(mode)
    assert fingerprint_distance(_upright(im), _upright(other)) <= 4


def test_bad_input_says_what_was_expected():
    with pytest.raises(
        ValueError, match=r"expected a \(H, W\) brightness array; got uint8 \(4, 4, 3\)"
    ):
        _upright_of(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(
        ValueError, match=r"expected a \(H, W\) brightness array; got float32 \(0, 5\)"
    ):
        _upright_of(np.array([], np.float32).reshape(0, 5))
    with pytest.raises(ValueError, match="NaN or infinity"):
        _upright_of(np.full((16, 18), np.nan))


def test_distance_reads_signed_and_unsigned_alike():
    """A database's BIGINT holds the fingerprint signed (claims.models.signed64)."""
    from claims.models import signed64

    value = 0xF0F0_0000_0000_0001
    assert signed64(value) < 0 and fingerprint_distance(signed64(value), value) == 0
    assert fingerprint_distance(signed64(value), 1) == 8
    assert signed64(None) is None and signed64(5) == 5


def test_fingerprints_a_few_bits_apart_share_a_band():
    """Any two within BANDS - 1 bits share a band (a flipped bit falls in one), which the
    index of claims/related.py relies on; the bands cover the 64 bits once."""
    rng = np.random.default_rng(3)
    for _ in range(2000):
        a = int(rng.integers(0, 2**63)) * 2 + int(rng.integers(0, 2))
        flips = rng.choice(64, size=int(rng.integers(0, BANDS)), replace=False)
        b = a ^ sum(1 << int(f) for f in flips)
        assert set(fingerprint_bands(a)) & set(fingerprint_bands(b)), (hex(a), flips)
    widths = [int(v).bit_length() for _, v in fingerprint_bands(2**64 - 1)]
    assert sum(widths) == 64 and [i for i, _ in fingerprint_bands(0)] == list(range(BANDS))


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket", "swatch"])
def test_a_photos_copies_share_a_band_with_it(name):
    """The copies a shopper may send (saved again, smaller, recoloured) are found by a band,
    however far apart within NEAR_DISTANCE."""
    im = _pictures()[name]
    first = set(fingerprint_bands(_upright(im)))
    for how, copy in _copies(im):
        assert first & set(fingerprint_bands(_upright(copy))), how


#: Pillow's turns and flips, and the Turn that makes a picture the picture turned so (mirrored
#: first, then turned clockwise)
TURNS = {Image.Transpose.ROTATE_90: Turn(False, 270),  # Pillow turns anticlockwise
         Image.Transpose.ROTATE_270: Turn(False, 90),
         Image.Transpose.ROTATE_180: Turn(False, 180),
         Image.Transpose.FLIP_LEFT_RIGHT: Turn(True, 0),
         Image.Transpose.FLIP_TOP_BOTTOM: Turn(True, 180),
         Image.Transpose.TRANSPOSE: Turn(True, 270),
         Image.Transpose.TRANSVERSE: Turn(True, 90)}  # fmt: skip


def _closest(a, b) -> tuple[int, Turn]:
    """How far picture ``b``'s upright fingerprint is from ``a``'s variants, and by which."""
    return min((fingerprint_distance(fp, b.upright), turn)
               for fp, turn in fingerprint_variants(a))  # fmt: skip


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket", "swatch"])
def test_a_turned_photo_is_found_through_the_variants_of_its_fingerprints(name):
    """A photo turned a quarter, upside down or flipped (saved without its EXIF orientation,
    or turned to hide it) is another picture to its upright fingerprint (the astronaut turned
    a quarter: 29 bits from the photo's, 27 mirrored); the variant of the photo's
    fingerprints for that turn is within a bit of the turned photo's own (0 measured), and
    its copies (saved again, smaller, recoloured) within reach (0-2), sharing a band."""
    im = _pictures()[name]
    prints = picture_fingerprints(im)
    for transpose, expected in TURNS.items():
        turned = im.transpose(transpose)
        distance, turn = _closest(prints, picture_fingerprints(turned))
        assert (distance, turn) <= (1, expected), (transpose, distance, turn)
        way = dict((t, fp) for fp, t in fingerprint_variants(prints))[expected]
        for how, copy in _copies(turned):
            got = _upright(copy)
            assert fingerprint_distance(way, got) <= NEAR_DISTANCE, (transpose, how)
            assert set(fingerprint_bands(way)) & set(fingerprint_bands(got)), (transpose, how)
        # and the other way round: the turned photo's variant for the inverse turn is the photo
        back = _closest(picture_fingerprints(turned), prints)
        assert back <= (1, expected.inverse()), (transpose, back)
    if name == "astronaut":
        quarter = _upright(im.transpose(Image.Transpose.ROTATE_90))
        assert fingerprint_distance(prints.upright, quarter) > 2 * NEAR_DISTANCE
        assert fingerprint_distance(mirrored_fingerprint(prints.upright), quarter) > NEAR_DISTANCE


def test_the_variants_are_the_eight_turns_and_none_without_a_fingerprint():
    fps = Fingerprints(0x0123456789ABCDEF, 0xFEDCBA9876543210)
    turns = [turn for _, turn in fingerprint_variants(fps)]
    assert sorted(turns) == sorted([*TURNS.values(), Turn(False, 0)])
    assert fingerprint_variants(fps)[0] == (fps.upright, Turn(False, 0))
    assert [t for _, t in fingerprint_variants(Fingerprints(None, 5))] == turns[4:]
    assert fingerprint_variants(Fingerprints(None, None)) == []
    assert upside_down_fingerprint(upside_down_fingerprint(fps.upright)) == fps.upright
    assert all(t.inverse().inverse() == t for t in turns)
    assert Turn(False, 90).inverse() == Turn(False, 270) and Turn(True, 90).inverse() == Turn(
        True, 90)  # fmt: skip


def test_different_photos_are_far_apart_turned_or_flipped_any_way():
    """Eight ways to compare two photos give chance more ways to bring them close: the ten
    pairs of five different photos are still farther apart than a copy may be (measured: 20
    bits or more; nine photos' 36 pairs, four of them portraits: 18 or more)."""
    prints = {k: picture_fingerprints(v) for k, v in _pictures().items()}
    apart = {(a, b): _closest(prints[a], prints[b])[0]
             for a, b in itertools.permutations(prints, 2)}  # fmt: skip
    assert min(apart.values()) > 1.5 * NEAR_DISTANCE, apart


def _framed(im: Image.Image, share: float, colour, bars: bool = False) -> Image.Image:
    """``im`` in a frame ``share`` of its width wide, plain ``colour``; ``bars``: on a
    phone's screen (9:19.5) between a status bar and the screen's buttons, as a screenshot."""
    w, h = im.size
    width = w + 2 * round(share * w)
    height = round(width * 19.5 / 9) if bars else h + 2 * round(share * h)
    framed = Image.new("RGB", (width, height), colour)
    framed.paste(im, ((width - w) // 2, (height - h) // 2))
    if bars:
        ink = (0, 0, 0) if sum(colour) > 384 else (255, 255, 255)
        draw = ImageDraw.Draw(framed)
        draw.text((10, 5), "9:41    LTE  87%", fill=ink)
        draw.text((width // 3, height - 20), "<    O    []", fill=ink)
    return Image.open(io.BytesIO(_jpeg(framed, 80)))


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket", "swatch"])
def test_a_framed_photo_or_a_screenshot_of_it_is_the_same_picture(name):
    """A photo letterboxed or posted with a plain border, or a screenshot of it, is
    fingerprinted without the frame (vision.fingerprint.picture_content): within reach of the
    photo (0-9 bits measured on these five, 65 of 120 comparisons 0; a screenshot whose
    status bar is closer to the photo than 2 % of the screen's height is not parted from
    it). Whole, the frame's brightness would be most of the picture's cells (the astronaut's
    in a black frame a quarter wide: 36 bits from the photo's)."""
    im = _pictures()[name]
    first = picture_fingerprints(im)
    colours = [(0, 0, 0), (255, 255, 255), (236, 236, 236)]
    for share, colour, bars in itertools.product((0.05, 0.25), colours, (False, True)):
        framed = _framed(im, share + 0.05 * bars, colour, bars)
        got = picture_fingerprints(framed)
        assert fingerprint_distance(first.upright, got.upright) <= NEAR_DISTANCE, (share, colour)
        assert fingerprint_distance(first.turned, got.turned) <= NEAR_DISTANCE, (share, colour)
        grey = np.asarray(framed.convert("L"), np.float32)
        rows, cols = picture_content(grey)
        top, left = (grey.shape[0] - im.height) // 2, (grey.shape[1] - im.width) // 2
        # within a JPEG block of the photo's edges (its ringing is not plain): 0-6 measured
        assert abs(rows.start - top) <= 8 and abs(rows.stop - top - im.height) <= 8
        assert abs(cols.start - left) <= 8 and abs(cols.stop - left - im.width) <= 8
    if name == "astronaut":
        whole = np.asarray(_framed(im, 0.25, (0, 0, 0)).convert("L"), np.float32)
        assert fingerprint_distance(first.upright, _whole(whole)) > 2 * NEAR_DISTANCE


def _whole(grey) -> int:
    """The difference hash of the whole picture, frame and all."""
    cells = cv2.resize(grey, (9, 8), interpolation=cv2.INTER_AREA)
    return int.from_bytes(np.packbits((cells[:, 1:] > cells[:, :-1]).ravel()).tobytes(), "big")


def test_plain_rows_on_one_side_only_are_the_photos_own():
    """A photo brightened until its sky is clipped white has plain rows at its top only: they
    are the photo's (its copies, brightened less, keep them), not a frame. Measured on a
    portrait brightened by a quarter: cut there, it was 12 bits from the photo; kept, 3."""
    rng = np.random.default_rng(5)
    photo = rng.uniform(40, 200, (120, 90)).astype(np.float32)
    photo[:15] = 255.0  # a clipped sky
    assert picture_content(photo) == (slice(0, 120), slice(0, 90))
    photo[-15:] = 0.0  # and a frame's bottom too: plain on both sides, cut
    assert picture_content(photo) == (slice(15, 105), slice(0, 90))
    photo[50:52] = 128.0  # a plain line inside (fewer than 2 % of the rows) parts nothing
    assert picture_content(photo) == (slice(15, 105), slice(0, 90))
    photo[50:60] = 128.0  # a plain band 10 rows thick (8 %) parts it: the longer part is kept
    assert picture_content(photo) == (slice(60, 105), slice(0, 90))
    blank = np.full((40, 30), 7.0, np.float32)
    assert picture_content(blank) == (slice(0, 40), slice(0, 30))


def _faces() -> dict[str, np.ndarray]:
    """Five photos of faces as 8-bit sRGB: the held-out portraits (vision/people: one man's
    three photos and another man's) and the astronaut."""
    from vision.people import people_photos

    out = {p.name: np.asarray(Image.open(p.path).convert("RGB")) for p in people_photos()}
    out["astronaut"] = data.astronaut()
    return out


def _face(landmarker, srgb_u8):
    """(fingerprint, detail) of the largest face in an 8-bit sRGB picture."""
    from calibration.colorimetry import srgb_u8_to_rgb_lin

    rgb_lin = srgb_u8_to_rgb_lin(np.ascontiguousarray(srgb_u8))
    (face,) = landmarker.detect(rgb_lin)
    return face_fingerprint(rgb_lin, face.points), face_detail(rgb_lin, face.points)


def _face_copies(srgb_u8, box):
    """What a shopper may do to a photo to send it again unrecognised: crop it around the
    face (``box``: x, y, w, h), also tightly and smaller, turn it by an angle, mirror it,
    recolour it, save it again."""
    h, w = srgb_u8.shape[:2]
    x, y, bw, bh = box

    def around(img, grow):  # the face's box grown by ``grow`` of its width on every side
        m = grow * bw
        return img[max(0, int(y - m)):min(h, int(y + bh + m)),
                   max(0, int(x - m)):min(w, int(x + bw + m))]  # fmt: skip

    def saved(img, quality=85):
        return np.asarray(Image.open(io.BytesIO(_jpeg(Image.fromarray(img), quality))))

    cropped = around(srgb_u8, 0.3)
    yield "cropped", saved(cropped)
    tight = around(srgb_u8, 0.15)
    yield "cropped tightly, smaller", saved(cv2.resize(tight, None, fx=0.6, fy=0.6,
                                                       interpolation=cv2.INTER_AREA))  # fmt: skip
    turn = cv2.getRotationMatrix2D((x + bw / 2, y + bh / 2), 20, 1.0)
    yield "turned 20°", saved(around(cv2.warpAffine(srgb_u8, turn, (w, h)), 0.3))
    yield "mirrored", saved(np.ascontiguousarray(cropped[:, ::-1]))
    warmer = np.clip(cropped * np.array([1.15, 1.0, 0.85]), 0, 255).astype(np.uint8)
    yield "recoloured", saved(warmer, 70)


def test_a_face_cropped_turned_mirrored_or_recoloured_is_one_pictures_face(landmarker):
    """Copies that the picture's own fingerprint misses (cropped beyond a few per cent,
    turned by another angle than a quarter) are found by the face's: within
    FACE_NEAR_DISTANCE of the photo's (mirrored: its mirrored fingerprint), and their
    detail as alike as one picture's face is (SAME_FACE_CORRELATION), for five photos
    (measured: 0-4 bits, 0.90-0.99; the pictures' fingerprints 23-36 bits apart)."""
    from calibration.colorimetry import srgb_u8_to_rgb_lin

    missed_by_picture = 0
    for name, photo in _faces().items():
        (face,) = landmarker.detect(srgb_u8_to_rgb_lin(photo))
        first, detail = _face(landmarker, photo)
        for how, copy in _face_copies(photo, face.bbox):
            fp, copy_detail = _face(landmarker, copy)
            if how == "mirrored":
                fp = mirrored_fingerprint(fp)
            assert fingerprint_distance(first, fp) <= FACE_NEAR_DISTANCE, (name, how)
            assert face_correlation(detail, copy_detail) >= SAME_FACE_CORRELATION, (name, how)
            pictures = _upright_of(photo.mean(axis=2)), _upright_of(copy.mean(axis=2))
            missed_by_picture += fingerprint_distance(*pictures) > NEAR_DISTANCE
    assert missed_by_picture == 25  # the face's is what finds them


def test_a_face_cropped_to_its_landmarks_keeps_its_fingerprint(landmarker):
    """A copy cropped to the face's landmarks, or to 5 % of its width around them, as it is
    or 0.6 times as small: its face's fingerprint within FACE_NEAR_DISTANCE of the photo's,
    for five photos (measured: 0-5 bits), and its detail one picture's face whichever face is
    laid on the other (the copy's first, as the service compares a new photo with a stored
    one). Before session 28, of the face's whole square, up to 13 bits apart (the crop cut
    the square's margins: hair, ears, background, which FACE_HASHED leaves out); and with
    the copy's face first, its edge repeated where the crop cut, 0.14 for obama2.jpg."""
    from calibration.colorimetry import srgb_u8_to_rgb_lin

    for name, photo in _faces().items():
        (face,) = landmarker.detect(srgb_u8_to_rgb_lin(photo))
        first, detail = _face(landmarker, photo)
        x, y, w, h = face.bbox
        for grow, size in itertools.product((0.0, 0.05), (1.0, 0.6)):
            m = int(grow * w)
            crop = photo[max(0, y - m) : y + h + m, max(0, x - m) : x + w + m]
            crop = cv2.resize(crop, None, fx=size, fy=size, interpolation=cv2.INTER_AREA)
            copy = np.asarray(Image.open(io.BytesIO(_jpeg(Image.fromarray(crop), 85))))
            fp, copy_detail = _face(landmarker, copy)
            assert fingerprint_distance(first, fp) <= FACE_NEAR_DISTANCE, (name, grow, size)
            alike = face_correlation(copy_detail, detail)
            assert alike == face_correlation(detail, copy_detail) >= SAME_FACE_CORRELATION


def test_different_faces_and_one_mans_photos_are_not_one_pictures_face(landmarker):
    """The ten pairs of the five photos, as they are or one mirrored: their faces'
    fingerprints 17 bits apart or more (one man's three photos 20; measured), farther
    than FACE_NEAR_DISTANCE; their detail correlated 0.14 or less, under
    SAME_FACE_CORRELATION, one man's photos too."""
    faces = {name: _face(landmarker, photo) for name, photo in _faces().items()}
    for (a, (fa, da)), (b, (fb, db)) in itertools.combinations(faces.items(), 2):
        apart = min(fingerprint_distance(way, fb) for way in (fa, mirrored_fingerprint(fa)))
        assert apart > FACE_NEAR_DISTANCE + 4, (a, b, apart)
        assert face_correlation(da, db) < SAME_FACE_CORRELATION - 0.1, (a, b)


def test_a_face_outside_the_picture_or_bad_input_gives_none_or_a_clear_error():
    from vision.landmarks import N_LANDMARKS

    points = np.tile([[5000.0, 5000.0]], (N_LANDMARKS, 1)) + np.random.default_rng(0).normal(
        0, 30, (N_LANDMARKS, 2))  # fmt: skip
    assert face_fingerprint(np.zeros((100, 80, 3), np.float32), points) is None
    assert face_detail(np.zeros((100, 80, 3), np.float32), points) is None
    with pytest.raises(ValueError, match=r"expected \(H, W, 3\) linear RGB"):
        face_fingerprint(np.zeros((100, 80), np.float32), points)
    with pytest.raises(ValueError, match="landmarks"):
        face_fingerprint(np.zeros((100, 80, 3), np.float32), points[:, 0])
