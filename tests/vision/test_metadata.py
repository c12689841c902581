"""Metadata removed before a file is stored (vision/metadata.py), through the upload check."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from calibration.errors import UnsupportedImageType
from calibration.simulate import matrix_trc_icc_profile
from vision.ingest import check_image, ingest_image
from vision.metadata import strip_metadata

#: What a phone's file may say that must not be stored, as bytes the file then contains.
SECRETS = (b"Jane Shopper", b"SERIAL-0042", b"Shenzhen")
XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
       b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Shenzhen"/>'
       b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')  # fmt: skip


def _exif(orientation=6) -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Apple", "iPhone 12", orientation
    exif[0x013B], exif[0x0131] = "Jane Shopper", "Snapseed 2.0"  # artist, software (kept)
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0x9011] = "2026:10:01 09:14:00", "+08:00"
    sub[0xA434] = "iPhone 12 front camera 2.71mm f/2.2"
    sub[0xA431] = "SERIAL-0042"  # the body's serial number
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (22.0, 32.0, 7.0)
    return exif.tobytes()


def _picture(w=64, h=48, mode="RGB"):
    rng = np.random.default_rng(7)
    return Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8)).convert(mode)


def _encode(im, fmt, **kw) -> bytes:
    im.save(buf := io.BytesIO(), format=fmt, **kw)
    return buf.getvalue()


def _kept_as_sent(upload: bytes):
    """The stored file: none of the secrets, the same pixels, profile and stated origin."""
    check = check_image(upload)
    stored = check.stored
    for secret in SECRETS:
        assert secret not in stored
    sent, kept = ingest_image(upload), ingest_image(stored)
    assert np.array_equal(sent.rgb_lin, kept.rgb_lin)
    assert kept.origin == sent.origin and kept.colour_profile == sent.colour_profile
    assert kept.orientation == sent.orientation
    assert check.sha256 == kept.sha256 and check.upload_sha256 == sent.sha256
    assert check.byte_size == len(stored) <= len(upload)  # HEIC: overwritten in place
    exif = Image.open(io.BytesIO(stored)).getexif()
    assert not exif.get_ifd(0x8825)  # no location
    assert set(exif) <= {0x010F, 0x0110, 0x0112, 0x0131, 0x8769}
    assert set(exif.get_ifd(0x8769)) <= {0x9003, 0x9011, 0xA434}
    return check, sent


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "HEIF"])
def test_a_phones_file_is_stored_without_what_it_says_about_its_owner(fmt):
    check, sent = _kept_as_sent(_encode(_picture(), fmt, quality=95, exif=_exif(), xmp=XMP))
    assert sent.origin.camera == "Apple iPhone 12 front camera 2.71mm f/2.2"
    assert sent.facts()["taken_at"] == "2026-10-01T09:14:00+08:00"
    assert sent.origin.software == sent.facts()["software"] == "Snapseed 2.0"
    if fmt != "HEIF":  # HEIC applies its rotation in the container; the EXIF tag is not used
        assert check.orientation == 6 and (check.width, check.height) == (48, 64)


def test_a_png_loses_its_text_chunks_and_keeps_its_profile():
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_text("Author", "Jane Shopper")
    info.add_text("Comment", "SERIAL-0042", zip=True)
    icc = matrix_trc_icc_profile([[0.64, 0.33], [0.21, 0.71], [0.15, 0.06]], "Adobe RGB-ish")
    check, sent = _kept_as_sent(_encode(_picture(), "PNG", exif=_exif(), pnginfo=info,
                                        icc_profile=icc))  # fmt: skip
    assert sent.profile_conversion == "lcms-relative-colorimetric"
    assert Image.open(io.BytesIO(check.stored)).info["icc_profile"] == icc


@pytest.mark.filterwarnings("ignore:Image appears to be a malformed MPO file")
def test_a_jpeg_keeps_its_scans_profile_and_adobe_segment_and_loses_the_rest():
    """A progressive JPEG with restart markers, an ICC profile and an Adobe segment; a JFIF
    thumbnail, IPTC, a comment, a second picture after the first (MPF) and a video after
    the end."""
    icc = matrix_trc_icc_profile([[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]], "sRGB-ish primaries")
    data = _encode(_picture(96, 64), "JPEG", quality=90, progressive=True,
                   restart_marker_blocks=2, exif=_exif(1), xmp=XMP, icc_profile=icc,
                   comment=b"Jane Shopper at home")  # fmt: skip
    segments = [
        (0xED, b"Photoshop 3.0\x008BIM SERIAL-0042"),  # IPTC
        (0xE2, b"MPF\x00 Shenzhen"),  # multi-picture: the second picture's index
        (0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01"),  # colour transform: YCbCr
    ]
    extra = b"".join(b"\xff" + bytes((m,)) + (len(p) + 2).to_bytes(2, "big") + p
                     for m, p in segments)  # fmt: skip
    # JFIF with a 1x1 thumbnail, then the rest of the file, then what follows the image
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x01\x01" + b"\x80\x10\x20"
    rest = data[4 + int.from_bytes(data[4:6], "big") :]  # after Pillow's own JFIF segment
    second = _encode(_picture(8, 8), "JPEG", comment=b"Jane Shopper")
    upload = (b"\xff\xd8\xff\xe0" + (len(jfif) + 2).to_bytes(2, "big") + jfif + extra + rest
              + second + b"ftypmp42 Shenzhen")  # fmt: skip
    check, _ = _kept_as_sent(upload)
    stored = Image.open(io.BytesIO(check.stored))
    assert [m for m, _ in stored.applist] == ["APP0", "APP14", "APP1", "APP2"]
    assert stored.info["icc_profile"] == icc and stored.info["progressive"]
    assert check.stored.count(b"\xff\xd8") == 1 and check.stored.endswith(b"\xff\xd9")
    assert check.stored.count(b"\xff\xd0") == data.count(b"\xff\xd0") > 0  # restarts kept
    assert check.stored[6:20] == jfif[:12] + b"\x00\x00"  # JFIF kept, its thumbnail not


def test_a_file_without_metadata_is_stored_as_it_came():
    data = _encode(_picture(), "PNG")
    check = check_image(data)
    assert check.stored == data and check.sha256 == check.upload_sha256


@pytest.mark.parametrize(("data", "fmt"), [
    (b"\xff\xd8\xff\xe1\x00\xff Exif", "JPEG"),  # a segment running past the end
    (b"\xff\xd8\x00\x00", "JPEG"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x10\x00IHDR", "PNG"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 \xff\x00\x00\x00", "WebP"),
    (b"\x00\x00\x00\x10ftypheic\x00\x00\x00\x00", "HEIC"),  # no meta box
])  # fmt: skip
def test_a_damaged_structure_is_refused_not_stored_as_it_is(data, fmt):
    with pytest.raises(UnsupportedImageType, match=f"expected a {fmt} file whose metadata"):
        strip_metadata(data, fmt, Image.Exif())


def _xmp(creator: str, *, element: bool = False) -> bytes:
    """An XMP packet naming its CreatorTool (as an attribute, or as an element) and a place."""
    tool = (f"><xmp:CreatorTool>{creator}</xmp:CreatorTool></rdf:Description>" if element
            else f' xmp:CreatorTool="{creator}"/>')  # fmt: skip
    return (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:'
            b'meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:photoshop='
            b'"http://ns.adobe.com/photoshop/1.0/" photoshop:City="Shenzhen"'
            + tool.encode() + b"</rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>")  # fmt: skip


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("element", [False, True])
def test_an_editor_named_only_in_xmp_is_read_and_stated_by_the_stored_file(fmt, element):
    """Editors that write no EXIF name themselves in XMP (Pixelmator's and Photoshop's PNGs
    in Pillow's test images do). The stored file loses the XMP, place and all, and states
    the editor in its EXIF, so the analysis of the stored file still reports it."""
    from vision.quality import edit_findings

    xmp = _xmp("Meitu 9.1 &amp; Snapseed", element=element)
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp.decode())
        data = _encode(_picture(), fmt, pnginfo=info)
    else:  # no EXIF at all: the JPEG's EXIF takes the XMP segment's place
        data = _encode(_picture(), fmt, quality=95, xmp=xmp)
    check, sent = _kept_as_sent(data)
    assert sent.origin.software == "Meitu 9.1 & Snapseed"
    assert b"xpacket" not in check.stored
    assert Image.open(io.BytesIO(check.stored)).getexif()[0x0131] == "Meitu 9.1 & Snapseed"
    assert [f.code for f in edit_findings(ingest_image(check.stored).origin)] == ["edited"]


def test_exif_software_comes_before_xmp_and_other_scripts_survive_as_question_marks():
    both = _encode(_picture(), "JPEG", quality=95, exif=_exif(), xmp=_xmp("Photoshop"))
    assert _kept_as_sent(both)[1].origin.software == "Snapseed 2.0"
    native = _encode(_picture(), "JPEG", quality=95, xmp=_xmp("美图秀秀 BeautyCam"))
    assert _kept_as_sent(native)[1].origin.software == "???? BeautyCam"


@pytest.mark.parametrize("element", [False, True])
def test_a_heic_files_xmp_keeps_only_the_editor_it_names(element):
    """A HEIC file is overwritten in place, where a longer EXIF may not fit: the editor its
    XMP names stays in that XMP, alone, and the stored file still reports it."""
    from vision.quality import edit_findings

    data = _encode(_picture(), "HEIF", quality=95, xmp=_xmp("Meitu 9.1 &amp; Snapseed",
                                                              element=element))  # fmt: skip
    check, sent = _kept_as_sent(data)
    assert sent.origin.software == "Meitu 9.1 & Snapseed"
    kept = Image.open(io.BytesIO(check.stored)).info["xmp"]
    assert kept.startswith(b"<?xpacket") and b"photoshop" not in kept
    assert [f.code for f in edit_findings(ingest_image(check.stored).origin)] == ["edited"]


def test_a_heic_files_exif_software_comes_first_and_a_bare_xmp_property_is_kept_bare():
    both = _encode(_picture(), "HEIF", quality=95, exif=_exif(), xmp=_xmp("Photoshop"))
    assert _kept_as_sent(both)[1].origin.software == "Snapseed 2.0"
    # an item holding just the property: the packet around it would not fit
    bare = _encode(_picture(), "HEIF", quality=95, xmp=b"xmp:CreatorTool='Facetune 2'")
    check, sent = _kept_as_sent(bare)
    assert sent.origin.software == "Facetune 2"
    assert Image.open(io.BytesIO(check.stored)).info["xmp"] == b"xmp:CreatorTool='Facetune 2'"
