"""vision/fingerprint.py: the same picture found again however it was re-saved, and two
pictures told apart; vision/ingest.py: the fingerprint of an upload as it is seen."""

import io
import itertools

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from skimage import data

from vision.fingerprint import (
    BANDS,
    NEAR_DISTANCE,
    fingerprint_bands,
    fingerprint_distance,
    mirrored_fingerprint,
    photo_fingerprint,
)
from vision.ingest import UPRIGHT, check_image, file_fingerprint, picture_fingerprint

SAMPLE = "samples/swatch_with_chart.jpg"


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
    first = picture_fingerprint(im)
    for how, copy in _copies(im):
        assert fingerprint_distance(first, picture_fingerprint(copy)) <= NEAR_DISTANCE, how


def test_different_photos_are_far_apart():
    """The ten pairs of five different photos are all farther apart than a copy may be
    (measured: 23 bits or more, the median 31 as for random bits), also with one of the two
    mirrored (24 or more)."""
    prints = {k: picture_fingerprint(v) for k, v in _pictures().items()}
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
    expected = mirrored_fingerprint(picture_fingerprint(im))
    mirrored = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    assert fingerprint_distance(expected, picture_fingerprint(mirrored)) <= 1
    for how, copy in _copies(mirrored):
        got = picture_fingerprint(copy)
        assert fingerprint_distance(expected, got) <= NEAR_DISTANCE, how
        assert set(fingerprint_bands(expected)) & set(fingerprint_bands(got)), how
    if name == "astronaut":
        assert fingerprint_distance(picture_fingerprint(im), picture_fingerprint(mirrored)) > 30


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
    assert photo_fingerprint(flat) is None
    assert picture_fingerprint(Image.new("RGB", (64, 48), (200, 30, 40))) is None
    ramp = np.tile(np.arange(90, dtype=np.float32) * 2, (80, 1))  # brighter to the right
    assert photo_fingerprint(ramp) == 2**64 - 1
    assert photo_fingerprint(ramp[:, ::-1]) == 0


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
    assert fingerprint_distance(checked.fingerprint, picture_fingerprint(upright)) <= 2
    # the stored file (its metadata removed, its orientation kept), decoded small
    assert fingerprint_distance(file_fingerprint(checked.stored), checked.fingerprint) <= 3


@pytest.mark.parametrize("mode", ["L", "LA", "P", "1", "RGBA", "CMYK", "I;16"])
def test_every_decoded_mode_gives_the_pictures_fingerprint(mode):
    im = _pictures()["astronaut"]
    if mode == "I;16":  # a 16-bit grey PNG: 65535 is white
        other = Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16) * 257)
    else:
        other = im.convert(mode)
    assert fingerprint_distance(picture_fingerprint(im), picture_fingerprint(other)) <= 4


def test_bad_input_says_what_was_expected():
    with pytest.raises(
        ValueError, match=r"expected a \(H, W\) brightness array; got uint8 \(4, 4, 3\)"
    ):
        photo_fingerprint(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(
        ValueError, match=r"expected a \(H, W\) brightness array; got float32 \(0, 5\)"
    ):
        photo_fingerprint(np.array([], np.float32).reshape(0, 5))
    with pytest.raises(ValueError, match="NaN or infinity"):
        photo_fingerprint(np.full((16, 18), np.nan))


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
    first = set(fingerprint_bands(picture_fingerprint(im)))
    for how, copy in _copies(im):
        assert first & set(fingerprint_bands(picture_fingerprint(copy))), how
