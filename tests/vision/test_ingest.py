import hashlib
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from calibration.errors import ImageTooLarge, InvalidImageError, UnsupportedImageType
from calibration.simulate import matrix_trc_icc_profile
from vision.ingest import P3_TO_SRGB_LIN, ingest_image

P3_PRIMARIES = [[0.680, 0.320], [0.265, 0.690], [0.150, 0.060]]


def _encode(im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _marker_image(w=40, h=20):
    """A grey image with a red block at the top-left, to track orientation."""
    a = np.full((h, w, 3), 128, np.uint8)
    a[:5, :8] = (255, 0, 0)
    return Image.fromarray(a)


@pytest.mark.parametrize(
    "fmt, name", [("JPEG", "JPEG"), ("PNG", "PNG"), ("WEBP", "WebP"), ("HEIF", "HEIC")]
)
def test_allowed_formats_decode_to_float32_linear(fmt, name):
    data = _encode(_marker_image(), fmt, **({"quality": 95} if fmt != "PNG" else {}))
    img = ingest_image(data)
    assert img.format == name
    assert img.rgb_lin.dtype == np.float32 and img.rgb_lin.shape == (20, 40, 3)
    assert img.sha256 == hashlib.sha256(data).hexdigest()
    # mid grey 128 decodes to linear 0.2158 (sRGB EOTF), not 0.5
    assert img.rgb_lin[15, 30, 1] == pytest.approx(0.2158, abs=0.02)


def test_png_is_lossless():
    data = _encode(_marker_image(), "PNG")
    img = ingest_image(data)
    assert img.rgb_lin[0, 0].tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert img.rgb_lin[10, 20, 0] == pytest.approx(0.21586, abs=1e-4)


@pytest.mark.parametrize("orientation, shape, marker", [
    (1, (20, 40), (0, 0)),
    (3, (20, 40), (19, 39)),   # rotated 180°
    (6, (40, 20), (0, 19)),    # rotated 90° clockwise for display
    (8, (40, 20), (39, 0)),    # rotated 90° counter-clockwise
])  # fmt: skip
def test_exif_orientation_is_applied_once(orientation, shape, marker):
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(_marker_image(), "JPEG", quality=95, exif=exif.tobytes())
    img = ingest_image(data)
    assert img.rgb_lin.shape[:2] == shape
    assert img.orientation == orientation
    y, x = marker
    assert img.rgb_lin[y, x, 0] > 0.8 and img.rgb_lin[y, x, 1] < 0.1


@pytest.mark.parametrize("reduce, shape", [(2, (10, 20)), (4, (5, 10)), (8, (3, 5))])
def test_a_jpeg_is_decoded_reduced_when_asked_upright_and_with_its_colours(reduce, shape):
    """``reduce``: a JPEG at that fraction of its size per side (rounded up), turned upright
    as whole, its grey and its marker's red as whole's; a PNG is decoded whole (``reduced``
    1); other factors refused."""
    exif = Image.Exif()
    exif[0x0112] = 3  # rotated 180°: the marker bottom right
    data = _encode(_marker_image(), "JPEG", quality=95, exif=exif.tobytes())
    whole, img = ingest_image(data), ingest_image(data, reduce=reduce)
    assert (whole.reduced, img.reduced, img.rgb_lin.shape[:2]) == (1, reduce, shape)
    assert img.rgb_lin[0, 0].tolist() == pytest.approx(whole.rgb_lin[0, 0].tolist(), abs=0.02)
    assert img.rgb_lin[-1, -1, 0] > 0.5 > img.rgb_lin[-1, -1, 1] + 0.4
    png = ingest_image(_encode(_marker_image(), "PNG"), reduce=reduce)
    assert (png.reduced, png.rgb_lin.shape[:2]) == (1, (20, 40))
    with pytest.raises(ValueError, match="reduce 1, 2, 4 or 8"):
        ingest_image(data, reduce=3)


def test_display_p3_is_converted_in_float_without_clipping():
    icc = matrix_trc_icc_profile(P3_PRIMARIES, "Display P3")
    a = np.zeros((8, 8, 3), np.uint8)
    a[...] = (255, 0, 0)
    img = ingest_image(_encode(Image.fromarray(a), "PNG", icc_profile=icc))
    assert img.colour_profile == "Display P3"
    assert img.profile_conversion == "display-p3-matrix"
    # P3 red lies outside sRGB: linear sRGB red above 1 and green below 0 (kept, not clipped).
    np.testing.assert_allclose(img.rgb_lin[0, 0], P3_TO_SRGB_LIN[:, 0], atol=1e-5)
    assert img.rgb_lin[0, 0, 0] > 1.2 and img.rgb_lin[0, 0, 1] < -0.04


def test_p3_white_stays_white():
    icc = matrix_trc_icc_profile(P3_PRIMARIES, "Display P3")
    a = np.full((4, 4, 3), 255, np.uint8)
    img = ingest_image(_encode(Image.fromarray(a), "PNG", icc_profile=icc))
    np.testing.assert_allclose(img.rgb_lin[0, 0], [1, 1, 1], atol=1e-5)


def test_other_icc_profiles_go_through_lcms():
    icc = matrix_trc_icc_profile([[0.64, 0.33], [0.21, 0.71], [0.15, 0.06]], "Wide test RGB")
    a = np.full((4, 4, 3), (0, 200, 0), np.uint8)
    img = ingest_image(_encode(Image.fromarray(a), "PNG", icc_profile=icc))
    assert img.profile_conversion == "lcms-relative-colorimetric"
    assert img.colour_profile == "Wide test RGB"
    # a wide-gamut green is clipped into sRGB's green corner: red channel 0, green high
    assert img.rgb_lin[0, 0, 1] > 0.5


def test_unreadable_icc_is_recorded_not_trusted():
    data = _encode(_marker_image(), "PNG", icc_profile=b"not a profile at all")
    img = ingest_image(data)
    assert "unreadable" in img.colour_profile


def _exif(**tags):
    """EXIF with a camera, a date, the software that saved it, and what must never leave the
    file: a location, the owner and the body's serial number."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = tags.get("make", "Apple"), tags.get("model", "iPhone 12")
    exif[0x0112] = 1
    exif[0x013B], exif[0x0131] = "Jane Shopper", "PhotoEditor 2.0"  # artist, software
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = tags.get("taken", "2026:10:01 09:14:00")
    if "offset" in tags:
        sub[0x9011] = tags["offset"]
    if "lens" in tags:
        sub[0xA434] = tags["lens"]
    sub[0xA431] = "SERIAL-0042"  # body serial number
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (22.0, 32.0, 7.0)
    return exif.tobytes()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_facts_carry_the_camera_and_date_and_no_other_metadata(fmt):
    img = ingest_image(_encode(_marker_image(), fmt, exif=_exif()))
    facts = img.facts()
    assert facts["camera"] == "Apple iPhone 12" and facts["taken_at"] == "2026-10-01T09:14:00"
    assert facts["software"] == "PhotoEditor 2.0"  # what saved the file: reported
    for secret in ("Jane Shopper", "SERIAL-0042", "22.0", "32.0"):
        assert secret not in repr(facts) and secret not in repr(img)
    assert set(facts) == {"sha256", "format", "width", "height", "orientation", "colour_profile",
                          "profile_conversion", "bytes", "jpeg_quality", "camera",
                          "taken_at", "software"}  # fmt: skip


@pytest.mark.parametrize(("tags", "camera", "taken_at"), [
    ({"make": "Canon", "model": "Canon EOS 5D Mark II"}, "Canon EOS 5D Mark II",
     "2026-10-01T09:14:00"),  # the make said once
    ({"lens": "iPhone 12 front camera 2.71mm f/2.2"}, "Apple iPhone 12 front camera 2.71mm f/2.2",
     "2026-10-01T09:14:00"),  # a phone's camera module
    ({"lens": "EF24-70mm f/2.8L II USM"}, "Apple iPhone 12", "2026-10-01T09:14:00"),
    ({"offset": "+08:00"}, "Apple iPhone 12", "2026-10-01T09:14:00+08:00"),
    ({"offset": "-03:30"}, "Apple iPhone 12", "2026-10-01T09:14:00-03:30"),
    ({"offset": "+99:00"}, "Apple iPhone 12", "2026-10-01T09:14:00"),  # no such offset
    ({"taken": "2009:09:09 20:27:09.60:04:00"}, "Apple iPhone 12", "2009-09-09T20:27:09"),
    ({"taken": "0000:00:00 00:00:00"}, "Apple iPhone 12", None),
    ({"taken": "    :  :     :  :  "}, "Apple iPhone 12", None),
    ({"make": "\x00 ", "model": "Pixel\x00 8 "}, "Pixel 8", "2026-10-01T09:14:00"),
    ({"make": "", "model": ""}, None, "2026-10-01T09:14:00"),
])  # fmt: skip
def test_the_camera_and_date_are_read_as_files_write_them(tags, camera, taken_at):
    facts = ingest_image(_encode(_marker_image(), "JPEG", exif=_exif(**tags))).facts()
    assert (facts["camera"], facts["taken_at"]) == (camera, taken_at)


def test_a_file_without_exif_states_no_origin():
    facts = ingest_image(_encode(_marker_image(), "PNG")).facts()
    assert facts["camera"] is None and facts["taken_at"] is None


@pytest.mark.parametrize("quality", [40, 75, 85, 92, 97])
def test_jpeg_quality_is_read_from_the_quantisation_tables(quality):
    data = _encode(_marker_image(), "JPEG", quality=quality)
    assert ingest_image(data).jpeg_quality == quality
    assert ingest_image(_encode(_marker_image(), "PNG")).jpeg_quality is None


def test_a_foreign_jpeg_table_gets_the_nearest_libjpeg_quality():
    # a camera's own tables: libjpeg's quality-90 table made a little coarser
    Image.new("L", (8, 8)).save(buf := io.BytesIO(), format="JPEG", quality=90)
    table = [min(255, round(v * 1.15)) for v in Image.open(buf).quantization[0]]
    data = _encode(_marker_image(), "JPEG", qtables=[table, table])
    assert 86 <= ingest_image(data).jpeg_quality <= 89


def test_empty_bytes_are_refused():
    with pytest.raises(InvalidImageError, match="got 0 bytes"):
        ingest_image(b"")


def test_not_an_image_is_refused():
    with pytest.raises(UnsupportedImageType, match="no decoder recognises"):
        ingest_image(b"%PDF-1.4 not an image" * 10)


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_an_animation_is_refused(fmt):
    """Evidence is one photo: which frame of an animation was measured would be the decoder's
    choice. The same file with one frame is taken."""
    first = _marker_image()
    second = first.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    buf = io.BytesIO()
    first.save(buf, format=fmt, save_all=True, append_images=[second], duration=100)
    with pytest.raises(UnsupportedImageType, match="expected a still photo; got an animated"):
        ingest_image(buf.getvalue())
    assert ingest_image(_encode(first, fmt)).width == first.width


def test_disallowed_format_is_refused():
    with pytest.raises(UnsupportedImageType, match="got GIF"):
        ingest_image(_encode(_marker_image(), "GIF"))


def test_truncated_jpeg_is_refused():
    noise = np.random.default_rng(1).integers(0, 256, size=(100, 200, 3), dtype=np.uint8)
    data = _encode(Image.fromarray(noise), "JPEG", quality=95)
    with pytest.raises(InvalidImageError, match="complete JPEG"):
        ingest_image(data[: len(data) // 2])


def _png_header_only(width, height):
    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding():
    bomb = _png_header_only(100_000, 100_000)  # 10 gigapixels declared in 70 bytes
    assert len(bomb) < 100
    with pytest.raises(InvalidImageError, match="pixels"):
        ingest_image(bomb)


def test_pixel_limit_is_configurable():
    data = _encode(_marker_image(40, 20), "PNG")
    with pytest.raises(ImageTooLarge, match="at most 500 pixels; got 40x20 = 800"):
        ingest_image(data, max_pixels=500)


def test_byte_limit():
    data = _encode(_marker_image(40, 20), "PNG")
    with pytest.raises(ImageTooLarge, match="at most 10 bytes"):
        ingest_image(data, max_bytes=10)


def test_wrong_type_is_refused():
    with pytest.raises(InvalidImageError, match="expected image bytes; got str"):
        ingest_image("photo.jpg")


@pytest.mark.parametrize("orientation", [1, 6])
def test_check_image_states_what_ingest_would_without_pixels(orientation):
    from vision.ingest import check_image

    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(_marker_image(), "JPEG", quality=95, exif=exif.tobytes())
    checked, img = check_image(data), ingest_image(data)
    assert (checked.sha256, checked.format, checked.orientation, checked.byte_size) == (
        img.sha256, img.format, img.orientation, img.byte_size)  # fmt: skip
    assert (checked.height, checked.width) == img.rgb_lin.shape[:2]


def test_check_image_refuses_what_ingest_refuses():
    from vision.ingest import check_image

    noise = np.random.default_rng(1).integers(0, 256, size=(100, 200, 3), dtype=np.uint8)
    data = _encode(Image.fromarray(noise), "JPEG", quality=95)
    with pytest.raises(InvalidImageError, match="complete JPEG"):
        check_image(data[: len(data) // 2])
    with pytest.raises(ImageTooLarge, match="at most 500 pixels"):
        check_image(_encode(_marker_image(40, 20), "PNG"), max_pixels=500)
    cmyk = _encode(_marker_image().convert("CMYK"), "JPEG", quality=95)
    with pytest.raises(InvalidImageError, match="CMYK without a colour profile"):
        ingest_image(cmyk)
    with pytest.raises(InvalidImageError, match="CMYK without a colour profile"):
        check_image(cmyk)
