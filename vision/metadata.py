"""What an image file states beyond its pixels: the little hueproof reads, and the rest removed.

A phone photo's metadata can say where it was taken (GPS), who owns the phone, the camera's
serial number, the editing software, and can carry a thumbnail of the uncropped photo or a
few seconds of video. hueproof reads only the camera and the time of taking (a pair's
findings compare them, vision/quality.py), the software that saved the file (a photo
editor's name is reported: vision/quality.py edit_findings) and the orientation;
:func:`strip_metadata` keeps those and removes everything else before a file is stored,
without decoding the pixels: the stored file decodes to the same pixels, in the same colour
profile, as the upload. The software is EXIF's, or else the XMP packet's ``CreatorTool``,
which the stored file then states in its EXIF (JPEG, PNG, WebP) or, as a HEIC file is
overwritten in place where a longer EXIF may not fit, in what is left of its XMP.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import struct
import zlib
from typing import NamedTuple

from PIL import Image

from calibration.errors import UnsupportedImageType

__all__ = [
    "CAPTURE_PAGE_CAMERA",
    "NO_ORIGIN",
    "Origin",
    "capture_origin",
    "image_xmp",
    "kept_exif",
    "strip_metadata",
    "xmp_creator_tool",
]

#: EXIF tags: the orientation, the camera (make, model, lens), when it took the photo and the
#: software that saved the file. Of a file's metadata only these are read, and kept in a
#: stored file.
_ORIENTATION, _MAKE, _MODEL, _SOFTWARE, _EXIF_IFD = 0x0112, 0x010F, 0x0110, 0x0131, 0x8769
_TAKEN, _TAKEN_OFFSET, _LENS = 0x9003, 0x9011, 0xA434
_MAX_CAMERA_CHARS = 80


class Origin(NamedTuple):
    """What a file states about where it comes from.

    ``camera``: the EXIF make and model, or for a phone that names its camera modules the
    module (front or back, from the lens model). ``taken_at``: EXIF ``DateTimeOriginal``, the
    camera's local time, aware when the file records its UTC offset (``OffsetTimeOriginal``).
    ``software``: EXIF ``Software``, what last saved the file (a phone's firmware, a camera
    app, a photo editor), or without it the XMP packet's ``CreatorTool`` (what made the
    file: editors that write no EXIF write it). Each is None when absent: files edited or
    sent through messengers often lose them. All are easily changed: statements of the
    file, not proof.
    """

    camera: str | None
    taken_at: dt.datetime | None
    software: str | None = None


NO_ORIGIN = Origin(None, None)
#: The camera the capture page's photo states (webar/js/exif.js: Make "hueproof", Model
#: "capture page" and the browser's name for the camera in brackets): a frame of the
#: browser's video.
CAPTURE_PAGE_CAMERA = "hueproof capture page"


def _exif_text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return ""
    return " ".join("".join(c for c in value if c.isprintable()).split())


def _sub_ifd(exif: Image.Exif) -> dict:
    try:
        return exif.get_ifd(_EXIF_IFD)
    except (KeyError, TypeError, ValueError, struct.error):  # a broken EXIF sub-directory
        return {}


#: ``xmp:CreatorTool`` as an attribute or as an element (the XMP namespace's usual prefix).
_CREATOR_TOOL = re.compile(rb'xmp:CreatorTool\s*=\s*(?:"([^"]*)"|\'([^\']*)\')'
                           rb"|<xmp:CreatorTool>([^<]*)</xmp:CreatorTool>")  # fmt: skip


def xmp_creator_tool(xmp: bytes | str | None) -> str | None:
    """The ``CreatorTool`` an XMP packet names (XML entities resolved), or None; in ASCII,
    as the stored file's EXIF states it (other characters become "?")."""
    if not xmp:
        return None
    found = _CREATOR_TOOL.search(xmp.encode("utf-8", "replace") if isinstance(xmp, str) else xmp)
    if found is None:
        return None
    text = html.unescape(
        next(g for g in found.groups() if g is not None).decode("utf-8", "replace")
    )
    text = text.encode("ascii", "replace").decode("ascii")
    return _exif_text(text)[:_MAX_CAMERA_CHARS] or None


def image_xmp(im: Image.Image) -> bytes | str | None:
    """The XMP packet Pillow (pillow-heif for HEIC) read from a JPEG, PNG, WebP or HEIC
    file."""
    if im.format not in ("JPEG", "PNG", "WEBP", "HEIF"):
        return None
    return im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")


def capture_origin(exif: Image.Exif, xmp: bytes | str | None = None) -> Origin:
    """The :class:`Origin` a file's EXIF (and, for the software, its XMP) states.

    The camera is "make model", the make once when the model repeats it; the lens model
    replaces the model when it starts with it, as phones name their front and back cameras
    ("iPhone 12 front camera 2.71mm f/2.2"). The time is ``DateTimeOriginal``, with
    ``OffsetTimeOriginal`` when present. What is absent or unreadable is None: cameras write
    ``0000:00:00 00:00:00``, and some append junk after the seconds (only the first 19
    characters are read). The software is the ``Software`` tag's text, or without one the
    ``CreatorTool`` of ``xmp`` (:func:`image_xmp`).
    """
    software = _exif_text(exif.get(_SOFTWARE))[:_MAX_CAMERA_CHARS] or xmp_creator_tool(xmp)
    make, model = _exif_text(exif.get(_MAKE)), _exif_text(exif.get(_MODEL))
    if make and model.casefold().startswith(make.casefold()):
        make = ""
    ifd = _sub_ifd(exif)
    lens = _exif_text(ifd.get(_LENS))
    if model and lens.casefold().startswith(model.casefold()):
        model = lens
    camera = " ".join(filter(None, (make, model)))[:_MAX_CAMERA_CHARS] or None
    try:
        taken = dt.datetime.strptime(_exif_text(ifd.get(_TAKEN))[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:  # no date, or not one
        return Origin(camera, None, software)
    offset = re.fullmatch(r"([+-])(\d\d):(\d\d)", _exif_text(ifd.get(_TAKEN_OFFSET)))
    if offset:
        sign = -1 if offset[1] == "-" else 1
        delta = dt.timedelta(hours=int(offset[2]), minutes=int(offset[3]))
        if delta <= dt.timedelta(hours=14):
            taken = taken.replace(tzinfo=dt.timezone(sign * delta))
    return Origin(camera, taken, software)


def kept_exif(exif: Image.Exif, xmp: bytes | str | None = None) -> bytes | None:
    """The TIFF structure of an EXIF holding only what hueproof reads (orientation, camera,
    time of taking, software: without EXIF's, the ``CreatorTool`` of ``xmp``); None when the
    file states none of it."""
    kept = Image.Exif()
    for tag in (_ORIENTATION, _MAKE, _MODEL, _SOFTWARE):
        if isinstance(exif.get(tag), str | int):
            kept[tag] = exif[tag]
    creator = None if _exif_text(exif.get(_SOFTWARE)) else xmp_creator_tool(xmp)
    if creator is not None:
        kept[_SOFTWARE] = creator
    sub = {t: v for t, v in _sub_ifd(exif).items() if t in (_TAKEN, _TAKEN_OFFSET, _LENS)
           and isinstance(v, str)}  # fmt: skip
    if sub:
        kept.get_ifd(_EXIF_IFD).update(sub)
    if not len(kept) and not sub:
        return None
    data = kept.tobytes()
    return data[6:] if data.startswith(b"Exif\x00\x00") else data


def strip_metadata(
    data: bytes, fmt: str, exif: Image.Exif, xmp: bytes | str | None = None
) -> bytes:
    """The file without its metadata, its pixels untouched.

    ``fmt`` is the file's format as :mod:`vision.ingest` names it (``"JPEG"``, ``"PNG"``,
    ``"WebP"``, ``"HEIC"``); ``exif`` its EXIF as Pillow read it, of which :func:`kept_exif`
    is written back (with the ``CreatorTool`` of ``xmp``, :func:`image_xmp`, when EXIF names
    no software). Kept besides: what decoding needs (tables, colour profile, Adobe's colour
    transform, transparency, animation). Removed: every other EXIF tag (location, owner,
    serial numbers, maker notes, the thumbnail), XMP, IPTC, comments, text chunks,
    JPEG's other application segments (multi-picture images among them) and whatever follows
    the image's end (a motion photo's video). A HEIC file keeps its layout: its EXIF and XMP
    items are overwritten in place, the XMP keeping only its ``CreatorTool`` (the EXIF gains
    none: it may have no room for it).

    Raises
    ------
    UnsupportedImageType
        The file's structure does not allow removing its metadata safely.
    """
    tiff = kept_exif(exif, None if fmt == "HEIC" else xmp)
    strip = {"JPEG": _strip_jpeg, "PNG": _strip_png, "WebP": _strip_webp, "HEIC": _strip_heic}
    try:
        return strip[fmt](data, tiff)
    except (IndexError, ValueError, struct.error) as exc:
        raise UnsupportedImageType(f"expected a {fmt} file whose metadata can be removed; its "
                                   f"structure is damaged: {exc}") from exc  # fmt: skip


# ---- JPEG: segments kept, replaced or dropped; nothing after the end of the image -------------

_SOI, _EOI, _SOS, _APP0, _APP1, _APP2, _APP14, _COM = (0xD8, 0xD9, 0xDA, 0xE0, 0xE1, 0xE2,
                                                        0xEE, 0xFE)  # fmt: skip


#: In entropy-coded data 0xFF is followed by 0x00 (a stuffed byte), a restart marker or more
#: 0xFF (fill); anything else is the next segment's marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


#: The start of an APP1 segment holding an XMP packet.
_XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _jpeg_payload(marker: int, payload: bytes, tiff: bytes | None) -> bytes | None:
    """What a JPEG segment becomes: its payload, a replacement, or None (dropped)."""
    if marker == _APP0:  # JFIF kept without its thumbnail; JFXX (a thumbnail) dropped
        if payload.startswith(b"JFIF\x00") and len(payload) >= 14:
            return payload[:12] + b"\x00\x00"
        return None
    if marker == _APP1:  # the kept EXIF where the EXIF was, or the XMP when there was none
        if payload.startswith((b"Exif\x00\x00", _XMP_ID)) and tiff is not None:
            return b"Exif\x00\x00" + tiff
        return None  # extended XMP, or an EXIF with nothing to keep
    if marker == _APP2:
        return payload if payload.startswith(b"ICC_PROFILE\x00") else None  # not MPF, FPXR
    if marker == _APP14:
        return payload  # Adobe: tells the decoder how the colours were transformed
    if 0xE0 <= marker <= 0xEF or marker == _COM:
        return None  # IPTC (APP13), other applications' data, comments
    return payload  # tables, frame and scan headers, restart interval


def _strip_jpeg(data: bytes, tiff: bytes | None) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("no start-of-image marker")
    out, i, wrote_exif = [data[:2]], 2, False
    while True:
        if data[i] != 0xFF:
            raise ValueError(f"expected a marker at byte {i}")
        while data[i + 1] == 0xFF:  # fill bytes before a marker
            i += 1
        marker = data[i + 1]
        if marker == _EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)  # a motion photo's video, further pictures: not kept
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            out.append(data[i : i + 2])
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        end = i + 2 + length
        if length < 2 or end > len(data):
            raise ValueError(f"segment 0x{marker:02X} at byte {i} runs past the file's end")
        payload = _jpeg_payload(marker, data[i + 4 : end], tiff)
        if payload is not None and not (marker == _APP1 and wrote_exif):
            wrote_exif |= marker == _APP1
            out.append(_segment(marker, payload))
        i = end
        if marker == _SOS:  # entropy-coded data, up to the next marker that is not a restart
            found = _NEXT_MARKER.search(data, i)
            if found is None:
                raise ValueError("the scan runs past the file's end")
            out.append(data[i : found.start()])
            i = found.start()


# ---- PNG: chunks that decoding needs, and the kept EXIF --------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Critical chunks, colour, transparency, resolution and animation: what decoding and display
#: need. Text (tEXt, zTXt, iTXt), time, EXIF and any other chunk are not kept.
_PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT",
             b"sRGB", b"cICP", b"mDCV", b"cLLI", b"bKGD", b"pHYs", b"acTL", b"fcTL",
             b"fdAT"}  # fmt: skip


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _strip_png(data: bytes, tiff: bytes | None) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("no PNG signature")
    out, i = [_PNG_SIGNATURE], len(_PNG_SIGNATURE)
    while i < len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind, end = data[i + 4 : i + 8], i + 12 + length
        if end > len(data):
            raise ValueError(f"chunk {kind!r} at byte {i} runs past the file's end")
        if kind == b"IDAT" and tiff is not None:  # the EXIF before the image data
            out.append(_png_chunk(b"eXIf", tiff))
            tiff = None
        if kind in _PNG_KEPT:
            out.append(data[i:end])
        i = end
        if kind == b"IEND":
            break
    return b"".join(out)


# ---- WebP: RIFF chunks, with the extended header's flags made true ---------------------------

_WEBP_KEPT = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) % 2)


def _strip_webp(data: bytes, tiff: bytes | None) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("no RIFF WEBP header")
    chunks, i = [], 12
    while i + 8 <= len(data):
        kind, (size,) = data[i : i + 4], struct.unpack("<I", data[i + 4 : i + 8])
        body = data[i + 8 : i + 8 + size]
        if len(body) != size:
            raise ValueError(f"chunk {kind!r} at byte {i} runs past the file's end")
        chunks.append((kind, body))
        i += 8 + size + size % 2
    extended = any(kind == b"VP8X" for kind, _ in chunks)
    out = []
    for kind, body in chunks:
        if kind == b"VP8X":
            flags = (body[0] & ~(_VP8X_EXIF | _VP8X_XMP)) | (_VP8X_EXIF if tiff else 0)
            body = bytes((flags,)) + body[1:]
        if kind in _WEBP_KEPT:
            out.append(_riff_chunk(kind, body))
    if tiff is not None and extended:  # a simple WebP (no VP8X) cannot carry EXIF
        out.append(_riff_chunk(b"EXIF", tiff))
    body = b"WEBP" + b"".join(out)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# ---- HEIC: the EXIF and XMP items overwritten in place ---------------------------------------

#: An empty XMP packet, padded with spaces to the item's length (whitespace is allowed there).
_EMPTY_XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta '
              b'xmlns:x="adobe:ns:meta/"/><?xpacket end="w"?>')  # fmt: skip
#: A packet stating one property of the XMP namespace, around it.
_XMP_OPEN = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:'
             b'meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
             b'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"')  # fmt: skip
_XMP_CLOSE = b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'


def _kept_xmp(payload: bytes) -> bytes:
    """A HEIC's XMP item as stored, as long as it was: a packet stating only the
    ``CreatorTool`` the item named, in the item's own bytes so that it reads back alike; the
    bare property when the packet would not fit (the property always fits: the item held
    it); an empty packet when the item names none. Padded with spaces."""
    found = _CREATOR_TOOL.search(payload)
    if found is None:
        options = (_EMPTY_XMP,)
    else:
        tool = found.group(0)
        if tool.startswith(b"xmp:"):  # an attribute
            inside = b" " + tool + b"/>"
        else:  # an element
            inside = b">" + tool + b"</rdf:Description>"
        options = (_XMP_OPEN + inside + _XMP_CLOSE, tool)
    new = next((o for o in options if len(o) <= len(payload)), b"")
    return new + b" " * (len(payload) - len(new))


def _boxes(data: bytes, start: int, end: int):
    """(type, start of the body, end) of each ISO-BMFF box in data[start:end]."""
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", data[i : i + 8])
        head = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[i + 8 : i + 16])
            head = 16
        elif size == 0:
            size = end - i
        if size < head or i + size > end:
            raise ValueError(f"box {kind!r} at byte {i} runs past its parent")
        yield kind, i + head, i + size
        i += size


def _uint(data: bytes, i: int, n: int) -> tuple[int, int]:
    return (int.from_bytes(data[i : i + n], "big") if n else 0), i + n


def _heic_items(data: bytes, meta: int, meta_end: int):
    """{item id: kind} of the EXIF and XMP items, and {item id: [(offset, length)]}."""
    kinds, places, idat = {}, {}, None
    for kind, body, end in _boxes(data, meta + 4, meta_end):  # meta is a full box
        version = data[body] if body < end else 0
        if kind == b"idat":
            idat = body
        elif kind == b"iinf":
            n = 2 if version == 0 else 4
            for entry, ebody, _ in _boxes(data, body + 4 + n, end):
                if entry != b"infe" or data[ebody] < 2:
                    continue
                item, j = _uint(data, ebody + 4, 2 if data[ebody] == 2 else 4)
                item_type = data[j + 2 : j + 6]
                if item_type == b"Exif":
                    kinds[item] = "exif"
                elif item_type == b"mime" and b"rdf+xml" in data[j + 6 : end]:
                    kinds[item] = "xmp"
        elif kind == b"iloc":
            j = body + 4
            offset_size, length_size = data[j] >> 4, data[j] & 15
            base_size, index_size = data[j + 1] >> 4, data[j + 1] & 15
            count, j = _uint(data, j + 2, 2 if version < 2 else 4)
            for _ in range(count):
                item, j = _uint(data, j, 2 if version < 2 else 4)
                method = 0
                if version in (1, 2):
                    method, j = _uint(data, j, 2)
                    method &= 15
                j += 2  # data reference index
                base, j = _uint(data, j, base_size)
                extents, j = _uint(data, j, 2)
                spans = []
                for _ in range(extents):
                    if version in (1, 2):
                        j += index_size
                    offset, j = _uint(data, j, offset_size)
                    length, j = _uint(data, j, length_size)
                    spans.append((method, base + offset, length))
                places[item] = spans
    located = {}
    for item in kinds:
        spans = []
        for method, offset, length in places.get(item, ()):
            if method == 1 and idat is not None:
                offset += idat
            elif method != 0:
                raise ValueError(f"item {item} is stored in a way not handled (method {method})")
            if offset + length > len(data) or length == 0:
                raise ValueError(f"item {item} lies outside the file")
            spans.append((offset, length))
        if not spans:
            raise ValueError(f"item {item} has no location")
        located[item] = spans
    return kinds, located


def _strip_heic(data: bytes, tiff: bytes | None) -> bytes:
    top = list(_boxes(data, 0, len(data)))
    metas = [(body, end) for kind, body, end in top if kind == b"meta"]
    if len(metas) != 1:
        raise ValueError(f"expected one meta box; found {len(metas)}")
    kinds, located = _heic_items(data, *metas[0])
    out = bytearray(data)
    for item, kind in kinds.items():
        spans = located[item]
        payload = b"".join(data[o : o + n] for o, n in spans)
        if kind == "exif":  # a 4-byte offset to the TIFF header, then the TIFF structure
            (skip,) = struct.unpack(">I", payload[:4])
            head = 4 + skip
            room = len(payload) - head
            body = tiff if tiff is not None and len(tiff) <= room else b""
            new = payload[:head] + body + b"\x00" * (room - len(body))
        else:
            new = _kept_xmp(payload)
        k = 0
        for offset, length in spans:
            out[offset : offset + length] = new[k : k + length]
            k += length
    return bytes(out)
