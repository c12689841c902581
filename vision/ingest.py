"""Upload bytes → one upright float32 linear-sRGB image and the facts about it.

Every path into hueproof (CLI, HTTP upload, tests) goes through :func:`ingest_image`, so that
format checks, size limits, orientation and colour profiles are handled once, in one place.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageCms, ImageOps

from calibration.colorimetry import SRGB_TO_XYZ, srgb_to_rgb_lin, srgb_u8_to_rgb_lin
from calibration.errors import ImageTooLarge, InvalidImageError, UnsupportedImageType
from vision.fingerprint import NO_FINGERPRINTS, Fingerprints, photo_fingerprints
from vision.metadata import NO_ORIGIN, Origin, capture_origin, image_xmp, strip_metadata

try:  # HEIC/HEIF from phones; registered as the Pillow format "HEIF".
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
    _HEIF_AVAILABLE = False

__all__ = [
    "ALLOWED_FORMATS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "ImageCheck",
    "IngestedImage",
    "Origin",
    "check_image",
    "estimate_jpeg_quality",
    "file_fingerprints",
    "ingest_image",
    "load_image",
    "picture_fingerprints",
]

#: Pillow format names accepted, and the words used in error messages.
ALLOWED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC"}
#: 64 MP: above today's largest phone sensors in their default modes; a decompression bomb
#: declares far more in its header, and is refused before a single pixel is decoded.
DEFAULT_MAX_PIXELS = 64_000_000
DEFAULT_MAX_BYTES = 40 * 1024 * 1024

# Display P3 (Apple, also Android's wide-gamut default): DCI-P3 primaries, D65 white, sRGB
# transfer curve. Primaries from SMPTE EG 432-1:2010; the matrix is derived like sRGB's.
_P3_PRIMARIES_XY = np.array([[0.680, 0.320], [0.265, 0.690], [0.150, 0.060]])


def _rgb_to_xyz_matrix(primaries_xy, white_xy=(0.3127, 0.3290)):
    xyz = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in primaries_xy]).T
    wx, wy = white_xy
    white = np.array([wx / wy, 1.0, (1 - wx - wy) / wy])
    return xyz * np.linalg.solve(xyz, white)


P3_TO_SRGB_LIN = np.linalg.inv(SRGB_TO_XYZ) @ _rgb_to_xyz_matrix(_P3_PRIMARIES_XY)


@dataclass(frozen=True)
class IngestedImage:
    """An upload, decoded once.

    Attributes
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB, nominally [0, 1]
        Upright (EXIF orientation applied). Colours converted from a wide-gamut profile may lie
        outside [0, 1]; they are kept, not clipped.
    sha256 : str
        Hex digest of the original bytes, before any decoding.
    format : str
        ``"JPEG"``, ``"PNG"``, ``"WebP"`` or ``"HEIC"``.
    orientation : int
        The EXIF orientation (1-8) that was applied; 1 when there was none.
    colour_profile : str
        The embedded ICC profile's description, or ``"sRGB (assumed)"``.
    profile_conversion : str
        ``"none"``, ``"display-p3-matrix"`` (float, unclipped) or ``"lcms-relative-colorimetric"``.
    jpeg_quality : int or None
        For a JPEG, the libjpeg quality (1-100) whose luminance quantisation table is nearest
        the file's (:func:`estimate_jpeg_quality`); None for other formats.
    origin : Origin
        The camera, the time of taking and the software that the file states
        (:func:`capture_origin`).
    reduced : int
        1 for the whole picture; 2, 4 or 8 when ``rgb_lin`` is a JPEG decoded at that fraction
        of its size per side (:func:`ingest_image`'s ``reduce``): ``width`` and ``height`` are
        then the reduced picture's.
    """

    rgb_lin: np.ndarray = field(repr=False)
    sha256: str
    format: str
    orientation: int
    colour_profile: str
    profile_conversion: str
    byte_size: int
    jpeg_quality: int | None = None
    origin: Origin = NO_ORIGIN
    reduced: int = 1

    @property
    def height(self) -> int:
        return int(self.rgb_lin.shape[0])

    @property
    def width(self) -> int:
        return int(self.rgb_lin.shape[1])

    def facts(self) -> dict:
        """JSON-ready description of the image (no pixels)."""
        return {
            "sha256": self.sha256,
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "orientation": self.orientation,
            "colour_profile": self.colour_profile,
            "profile_conversion": self.profile_conversion,
            "bytes": self.byte_size,
            "jpeg_quality": self.jpeg_quality,
            "camera": self.origin.camera,
            "taken_at": None if self.origin.taken_at is None else self.origin.taken_at.isoformat(),
            "software": self.origin.software,
        }


def load_image(path, **limits) -> IngestedImage:
    """Read a file and :func:`ingest_image` its bytes.

    Raises
    ------
    InvalidImageError
        When the file cannot be read or is not an acceptable image.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidImageError(
            f"expected a readable image file; got {path!s}: {exc.strerror}"
        ) from exc
    return ingest_image(data, **limits)


def ingest_image(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    reduce: int = 1,
) -> IngestedImage:
    """Decode upload bytes into an upright float32 linear-sRGB image.

    Parameters
    ----------
    data : bytes
        The file as uploaded.
    max_pixels : int, keyword-only
        Images declaring more pixels are refused before decoding (decompression bombs).
    max_bytes : int, keyword-only
        Larger uploads are refused before parsing.
    reduce : {1, 2, 4, 8}, keyword-only
        A JPEG is decoded at this fraction of its size per side, by libjpeg's scaled inverse
        DCT (an average over blocks: no aliasing), several times faster than whole: for what
        needs no full resolution, like a large face's fingerprint. Other formats are decoded
        whole; ``reduced`` in the result says which.

    Returns
    -------
    IngestedImage

    Raises
    ------
    InvalidImageError
        Empty, oversized, unreadable, truncated or not an allowed format. Nothing is
        half-processed: either a whole image comes back or this is raised.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> png = io.BytesIO()
    >>> Image.new("RGB", (4, 3), (255, 128, 0)).save(png, "PNG")
    >>> img = ingest_image(png.getvalue())
    >>> img.rgb_lin.shape, img.rgb_lin.dtype, img.format, img.colour_profile
    ((3, 4, 3), dtype('float32'), 'PNG', 'sRGB (assumed)')
    >>> [round(float(v), 4) for v in img.rgb_lin[0, 0]]  # sRGB 128 is 0.2159 linear
    [1.0, 0.2159, 0.0]
    >>> jpeg = io.BytesIO()
    >>> Image.new("RGB", (40, 30), (255, 128, 0)).save(jpeg, "JPEG")
    >>> quarter = ingest_image(jpeg.getvalue(), reduce=4)
    >>> quarter.width, quarter.height, quarter.reduced
    (10, 8, 4)
    """
    if reduce not in (1, 2, 4, 8):
        raise ValueError(f"expected reduce 1, 2, 4 or 8; got {reduce!r}")
    im, fmt, digest, orientation, icc, reduced = _decoded(data, max_pixels, max_bytes, reduce)
    quality = estimate_jpeg_quality(im) if fmt == "JPEG" else None
    origin = capture_origin(im.getexif(), image_xmp(im))
    # applies and removes the tag (never applied twice); in place: without a rotation this
    # costs nothing, where a returned copy costs a quarter of a 12 MP decode
    ImageOps.exif_transpose(im, in_place=True)
    rgb_lin, profile, conversion = _to_rgb_lin(im, icc)
    return IngestedImage(
        rgb_lin=rgb_lin,
        sha256=digest,
        format=fmt,
        orientation=orientation,
        colour_profile=profile,
        profile_conversion=conversion,
        byte_size=len(data),
        jpeg_quality=quality,
        origin=origin,
        reduced=reduced,
    )


@dataclass(frozen=True)
class ImageCheck:
    """An upload that passed every check of :func:`ingest_image`, without its pixels, and the
    file to store: the upload without its metadata (:func:`vision.metadata.strip_metadata`).

    ``sha256`` and ``byte_size`` are the stored file's, ``upload_sha256`` the upload's.
    """

    sha256: str
    format: str
    width: int  # upright (EXIF orientation applied)
    height: int
    orientation: int
    byte_size: int
    stored: bytes = field(repr=False)
    upload_sha256: str
    #: the picture's :func:`vision.fingerprint.photo_fingerprints` (either None: too little
    #: structure)
    fingerprints: Fingerprints = NO_FINGERPRINTS


def check_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES
) -> ImageCheck:
    """Every check of :func:`ingest_image` (format, limits, a complete decode, a usable colour
    profile) without making the float image: for an upload that is stored now and analysed
    later, whose linear copy (144 MB for 12 MP) would be thrown away. The file to store is
    the upload without its metadata; it is decoded again and must give the same pixels, the
    same colour profile and the same EXIF that hueproof reads.

    Raises
    ------
    InvalidImageError
        Exactly where :func:`ingest_image` would, and when the metadata cannot be removed
        (:class:`UnsupportedImageType`).
    """
    im, fmt, digest, orientation, icc, _ = _decoded(data, max_pixels, max_bytes)
    _to_rgb_lin(im, icc, pixels=False)
    exif, xmp = im.getexif(), image_xmp(im)
    stored = strip_metadata(data, fmt, exif, xmp)
    if not _decodes_alike(stored, im, icc, exif, xmp):
        raise UnsupportedImageType(f"expected a {fmt} file whose metadata can be removed "
                                   "without changing its picture; this one cannot")  # fmt: skip
    width, height = im.size
    if orientation in (5, 6, 7, 8):  # a quarter turn swaps the sides
        width, height = height, width
    fingerprints = picture_fingerprints(im, orientation)
    return ImageCheck(hashlib.sha256(stored).hexdigest(), fmt, width, height, orientation,
                      len(stored), stored, digest, fingerprints)  # fmt: skip


#: Pillow's modes of a 16-bit greyscale PNG (it decodes as I;16 or I)
SIXTEEN_BIT_GREYS = ("I;16", "I;16B", "I;16L", "I")
#: EXIF orientation → the turn that makes the picture upright (EXIF 2.32, tag 0x0112; the
#: table of Pillow's ``ImageOps.exif_transpose``)
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
           4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
           6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}  # fmt: skip


def file_fingerprints(data: bytes) -> Fingerprints:
    """:func:`picture_fingerprints` of a stored file (checked when it was stored), decoded at
    an eighth of its size where the format allows (JPEG): for photos stored before
    fingerprints were taken, each a tenth of a full decode."""
    im = Image.open(io.BytesIO(data))
    im.draft("RGB", (im.width // 8, im.height // 8))
    return picture_fingerprints(im, _orientation(im))


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (1-8) a file states; 1 when none or out of range."""
    orientation = int(im.getexif().get(0x0112, 1) or 1)
    return orientation if orientation in range(1, 9) else 1


def picture_fingerprints(im: Image.Image, orientation: int = 1) -> Fingerprints:
    """The :func:`vision.fingerprint.photo_fingerprints` of a decoded picture as it is seen
    (``orientation`` applied), from a copy about 256 pixels wide: the 9 × 8 cells' averages
    are the same, and a 12 MP photo is not turned or converted whole."""
    if im.mode in SIXTEEN_BIT_GREYS:  # 65535 is white
        grey = np.asarray(im, dtype=np.float32) / 257.0
    else:
        if im.mode in ("1", "P", "PA"):  # reduced as they are, a palette's indices averaged
            im = im.convert("L")
        grey = np.asarray(im.reduce(max(1, min(im.size) // 256)).convert("L"), dtype=np.float32)
    if orientation in UPRIGHT:
        grey = np.asarray(Image.fromarray(grey).transpose(UPRIGHT[orientation]))
    return photo_fingerprints(grey)


def _decodes_alike(stored: bytes, im: Image.Image, icc: bytes | None, exif: Image.Exif,
                   xmp) -> bool:  # fmt: skip
    """Whether a stored file decodes to the upload's pixels, colour profile, orientation and
    stated origin."""
    again = Image.open(io.BytesIO(stored))
    again.load()
    seen = again.getexif()
    return (again.size == im.size and again.mode == im.mode
            and again.info.get("icc_profile") == icc and seen.get(0x0112) == exif.get(0x0112)
            and capture_origin(seen, image_xmp(again)) == capture_origin(exif, xmp)
            and _same_pixels(again, im))  # fmt: skip


def _same_pixels(a: Image.Image, b: Image.Image) -> bool:
    try:  # in C, without copying 36 MB out of each 12 MP image
        return ImageChops.difference(a, b).getbbox() is None
    except ValueError:  # modes ImageChops does not handle (16-bit greys)
        return a.tobytes() == b.tobytes()


@cache
def _libjpeg_luma_tables() -> np.ndarray:
    """(100, 64) the luminance quantisation tables libjpeg writes at qualities 1-100, read back
    from files Pillow (libjpeg) encodes: the same order as any JPEG's ``quantization``."""
    tables = []
    for quality in range(1, 101):
        buf = io.BytesIO()
        Image.new("L", (8, 8)).save(buf, format="JPEG", quality=quality)
        tables.append(Image.open(buf).quantization[0])
    return np.log(np.asarray(tables, np.float64))


def estimate_jpeg_quality(im: Image.Image) -> int | None:
    """The libjpeg quality (1-100) nearest to a JPEG's luminance quantisation table.

    Exact for files written by libjpeg (Pillow, browsers' canvas, many apps); for a camera's
    own tables, the libjpeg quality that quantises about as coarsely (nearest in log scale).
    Compression quantises colour in blocks, and redness is mostly colour (see
    ``vision/quality.py``: ``compressed``).

    Returns
    -------
    int, or None when the image carries no quantisation table (not a JPEG).
    """
    tables = getattr(im, "quantization", None) or {}
    luma = tables.get(0)
    if luma is None or len(luma) != 64:
        return None
    cost = np.abs(_libjpeg_luma_tables() - np.log(np.maximum(np.asarray(luma, float), 1))).sum(1)
    return int(np.argmin(cost)) + 1


def _decoded(data, max_pixels: int, max_bytes: int, reduce: int = 1):
    """The checks every upload passes, up to a complete decode (a JPEG's at 1/``reduce`` of
    its size per side): (image, format name, sha256, EXIF orientation, ICC profile bytes, the
    reduction made)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidImageError(f"expected image bytes; got {type(data).__name__}")
    data = bytes(data)
    allowed = ", ".join(ALLOWED_FORMATS.values())
    if not data:
        raise InvalidImageError(f"expected an image ({allowed}); got 0 bytes")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"expected at most {max_bytes} bytes; got {len(data)} bytes")
    digest = hashlib.sha256(data).hexdigest()

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ImageTooLarge(f"expected at most {max_pixels} pixels; got {exc}") from exc
        except Exception as exc:
            raise UnsupportedImageType(
                f"expected an image ({allowed}); got {len(data)} bytes that no decoder "
                f"recognises (starting {data[:8].hex()})"
            ) from exc
        fmt = ALLOWED_FORMATS.get(im.format or "")
        if fmt is None:
            raise UnsupportedImageType(f"expected an image in {allowed}; got {im.format}")
        # evidence is one photo: an animation's frames may differ, and which one was measured
        # would be the decoder's choice (a HEIC's primary image is the photo the phone shows)
        if fmt != "HEIC" and getattr(im, "is_animated", False):
            raise UnsupportedImageType(f"expected a still photo; got an animated {fmt} of "
                                       f"{im.n_frames} frames")  # fmt: skip
        width, height = im.size
        if width <= 0 or height <= 0 or width * height > max_pixels:
            raise ImageTooLarge(
                f"expected at most {max_pixels} pixels; got {width}x{height} = {width * height}"
            )
        reduced = 1
        if reduce > 1 and fmt == "JPEG":  # the decoder's scale: whole / reduced, rounded up
            drafted = im.draft(im.mode, (max(1, width // reduce), max(1, height // reduce)))
            if drafted is not None:  # its box: the whole picture in the reduced one's pixels
                reduced = round(width / drafted[1][2])
        try:
            im.load()
        except Exception as exc:
            raise InvalidImageError(
                f"expected a complete {fmt} file; decoding failed: {exc}"
            ) from exc

    orientation = _orientation(im)
    icc = im.info.get("icc_profile")
    return im, fmt, digest, orientation, icc, reduced


def _profile_description(icc: bytes) -> tuple[ImageCms.ImageCmsProfile | None, str]:
    try:
        prof = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return prof, (ImageCms.getProfileDescription(prof) or "").strip()
    except (OSError, ImageCms.PyCMSError, TypeError, ValueError):
        return None, ""


def _rgb_array(im: Image.Image) -> np.ndarray:
    """(H, W, 3) uint8 of a decoded image; no extra copy when it is RGB already."""
    return np.asarray(im if im.mode == "RGB" else im.convert("RGB"))


def _to_rgb_lin(im: Image.Image, icc: bytes | None, *, pixels: bool = True):
    """(rgb_lin, profile, conversion); with ``pixels=False`` the same checks and profile
    conversion, and None instead of the float image."""
    if im.mode in SIXTEEN_BIT_GREYS:
        if not pixels:
            return None, "sRGB (assumed)", "none"
        # 16-bit greyscale PNG: keep the precision.
        grey = np.asarray(im, dtype=np.float32) / 65535.0  # PNG 16-bit greys decode as I;16 or I
        srgb = np.repeat(np.clip(grey, 0, 1)[..., None], 3, axis=-1)
        return srgb_to_rgb_lin(srgb).astype(np.float32), "sRGB (assumed)", "none"

    profile, conversion = "sRGB (assumed)", "none"
    prof, desc = (None, "")
    if icc:
        prof, desc = _profile_description(icc)
        if prof is None:
            profile = "sRGB (assumed: embedded ICC profile unreadable)"
    if im.mode == "CMYK" and prof is None:
        raise InvalidImageError("expected an RGB image; got CMYK without a colour profile")

    if prof is not None and "sRGB" not in desc and "P3" in desc and im.mode in ("RGB", "RGBA"):
        if not pixels:
            return None, desc or "Display P3", "display-p3-matrix"
        srgb_u8 = _rgb_array(im)
        p3_lin = srgb_u8_to_rgb_lin(srgb_u8)
        rgb_lin = (p3_lin @ P3_TO_SRGB_LIN.T.astype(np.float32)).astype(np.float32)
        return rgb_lin, desc or "Display P3", "display-p3-matrix"

    if prof is not None and "sRGB" not in desc:
        try:
            im = ImageCms.profileToProfile(
                im,
                prof,
                ImageCms.createProfile("sRGB"),
                renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                outputMode="RGB",
            )
            profile, conversion = desc or "unnamed ICC profile", "lcms-relative-colorimetric"
        except ImageCms.PyCMSError as exc:
            raise InvalidImageError(
                f"expected an ICC profile convertible to sRGB; got {desc!r}: {exc}"
            ) from exc
    elif prof is not None:
        profile = desc
    if not pixels:
        return None, profile, conversion
    srgb_u8 = _rgb_array(im)
    return srgb_u8_to_rgb_lin(srgb_u8), profile, conversion
