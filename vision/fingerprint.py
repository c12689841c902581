"""A photo's perceptual fingerprint: the same picture found again, however it was re-saved.

A claim's photo that was filed before (by another shopper, for another order, or for the
same order again) is evidence of something else than the product: the adjudicator is told
and the claim is never approved automatically (claims/policy.py). The file's SHA-256 finds
the same file; a photo saved again as JPEG, made smaller, or recoloured (a shade "mismatch"
made by moving the white balance) is another file with the same picture. The fingerprint is
the difference hash (Krawetz 2013): the picture's brightness averaged down to 9 × 8 cells,
one bit per pair of neighbouring cells in a row (is the right one brighter?), 64 bits. It
follows the picture's coarse structure and ignores its colour, its size and its compression.

A mirror image (a selfie as the front camera's preview shows it, or a copy flipped to hide
it) and a picture turned upside down have their own difference hashes, which
:func:`mirrored_fingerprint` and :func:`upside_down_fingerprint` compute from the bits alone;
a picture turned a quarter (a photo saved sideways without its EXIF orientation, or turned
to hide it) needs the comparisons down its columns, the second fingerprint
:func:`photo_fingerprints` takes (of the picture transposed). From the two, the fingerprints
of the picture each of the eight ways it may be turned and flipped
(:func:`fingerprint_variants`), to compare with another's. A screenshot of a photo, or a photo
framed by plain bars (letterboxed, posted with a border), is fingerprinted without them
(:func:`picture_content`). What it does not find: a photo cropped by more than a few per
cent, turned by another angle than a quarter, or framed by something else than a plain
colour (measured in ``tests/vision/test_fingerprint.py`` and DEVELOPERS.md).

A photo with a face has a third fingerprint, of the face alone, taken once the analysis has
found its landmarks (:func:`face_fingerprint`): the same difference hash of the face turned
upright and brought to one size by its eyes, nose and mouth. Whatever was cropped around
the face, however the picture was turned, it is nearly the same (:data:`FACE_NEAR_DISTANCE`),
so a selfie sent again cropped or turned by any angle is found by it. But faces are alike:
two different faces' fingerprints are nearer than two pictures' are, so a face near another
is a candidate only, and the two faces' fine detail, laid on each other, decides
(:func:`face_correlation`). Neither fingerprint identifies a person: two photos of one man
are as far apart as two people's (24-31 bits, and their detail unlike); what neither tells
apart is two photos of one pose taken a moment apart in one place.

References
----------
.. [1] Krawetz, N. (2013). Kind of like that. The Hacker Factor Blog, 21 January 2013.
   https://www.hackerfactor.com/blog/index.php?/archives/529-Kind-of-Like-That.html
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import cv2
import numpy as np

from calibration.colorimetry import rgb_lin_to_srgb
from models.face_matcher import TEMPLATE, five_points

__all__ = [
    "BANDS",
    "COPY_DISTANCE",
    "FACE_HASHED",
    "FACE_NEAR_DISTANCE",
    "FINGERPRINT_BITS",
    "NEAR_DISTANCE",
    "NO_FINGERPRINTS",
    "SAME_FACE_CORRELATION",
    "Fingerprints",
    "Turn",
    "detail_fingerprint",
    "face_correlation",
    "face_detail",
    "face_fingerprint",
    "fingerprint_bands",
    "fingerprint_distance",
    "fingerprint_variants",
    "four_ways",
    "mirrored_fingerprint",
    "photo_fingerprints",
    "picture_content",
    "upside_down_fingerprint",
]

#: 8 rows of 8 comparisons
FINGERPRINT_BITS = 64
#: Fingerprints this many bits apart or fewer are the same picture, or nearly. Measured on
#: nine photos (the astronaut, the four held-out portraits, the swatch sample, three of
#: scikit-image's): saved again as JPEG at quality 60, halved, quartered and saved again,
#: recoloured (warmer, brighter, more saturated) 0-4 bits; cropped by 3 % on each side 1-12;
#: two different photos 23 or more (of the 36 pairs; the median 31, as for random bits 32).
#: Not measured: two photos one person took in the same place a moment apart; the test set's
#: simulated second photo of the astronaut (turned 3°, 6 % closer, warmer light) is 10 bits
#: from the first, so such a pair may be taken for nearly the same picture.
NEAR_DISTANCE = 10
#: ... and this many or fewer a copy (saved again, smaller, recoloured: 0-4 bits measured);
#: farther, "nearly the same picture" (a copy cropped, or another photo taken in the same
#: place), which the review page says so
COPY_DISTANCE = 4
#: bands a fingerprint is indexed by (:func:`fingerprint_bands`): any two within 4 bits share
#: one; 12-13 bits each, so that one band's value is shared by few pictures of many
BANDS = 5
#: A picture whose neighbouring cells differ this little (levels of 255, encoded) in most
#: pairs has no structure to fingerprint (a close-up of one colour, a blank frame): its bits
#: would be noise, and two such photos would match by chance.
FLAT_LEVELS = 2.0
#: ... the share of a fingerprint's pairs that must differ by more than FLAT_LEVELS
MIN_STRUCTURE = 0.5
#: a row's 8 bits mirrored: in the reverse order, inverted (:func:`mirrored_fingerprint`)
MIRRORED_BYTE = bytes(int(f"{v:08b}"[::-1], 2) ^ 0xFF for v in range(256))
_MIRRORED_BYTES = np.frombuffer(MIRRORED_BYTE, np.uint8)
#: A row (column) of a picture whose brightness varies this little (standard deviation,
#: levels of 255, encoded) is plain: a border's, a screenshot's bar, a clipped sky
#: (:func:`picture_content`). A JPEG's plain black or white border stays within 1 level.
PLAIN_LEVELS = 2.0
#: ... and plain rows (columns) this share of the picture's height (width) together, or more,
#: part two pictures (a screenshot's status bar from the photo it shows); fewer are the
#: photo's own (a line of clipped highlights)
PARTING_SHARE = 0.02


#: Face fingerprints this many bits apart or fewer may be one picture's face, which
#: :func:`face_correlation` decides (faces are alike: two different faces' fingerprints are
#: 14 bits apart or more, but 24.5 on average, sd 5.1, of the 66 pairs of 12 faces of
#: :data:`SAME_FACE_CORRELATION`'s note). Measured by benchmarks/bench_related.py on the
#: four held-out portraits and the astronaut, 100 copies: cropped to the face's landmarks
#: and 5-30 % of its width around them, made 0.4-1 times as small, turned 12-35°, mirrored
#: or recoloured, saved as JPEG at quality 60-85: 0-6 bits from the photo's face (mirrored
#: copies: the mirrored fingerprint's; mean 1.6). Taken of the whole square (before
#: :data:`FACE_HASHED`), the same copies were up to 13 bits apart, 11 of them more than 8:
#: those cropped to within 5 % of the face.
FACE_NEAR_DISTANCE = 8
#: A face is seen upright and at one size (:func:`face_detail`): laid by the similarity that
#: maps its five points (the eyes, the nose tip, the mouth's corners:
#: models.face_matcher.five_points) onto SFace's template (models.face_matcher.TEMPLATE, a
#: 112-pixel square, brows to chin), at this many pixels square; its fingerprint is taken of
#: it, and two faces whose fingerprints are near are compared there in detail
#: (:func:`face_correlation`) ...
FACE_DETAIL = 128
#: ... and are one picture's face from this correlation of their fine detail up. Measured
#: (separate scripts) on the five photos of :data:`FACE_NEAR_DISTANCE`'s note: 99 copies
#: (session 27: cropped around the face, turned 12-35°, mirrored, recoloured, made smaller,
#: JPEG 60-92), 0.66 or more, but 5 cropped to within 15 % of the face's width around its
#: landmarks and halved, 0.49-0.59; the 100 copies of benchmarks/bench_related.py, 0.44 or
#: more, either face laid on the other (the stored face laid on the new copy's only, 13 of
#: them under 0.4, down to 0.14); the 66 pairs of 12 different faces (the five, and seven in
#: insightface's sample pictures, six of them in a group photo, 96-115 pixels wide), as they
#: are or one mirrored: 0.27 or less (one man's three photos 0.03-0.11 from one another).
SAME_FACE_CORRELATION = 0.4
#: A face's fingerprint is taken of its square's inner 5/8 (these rows and columns: brows to
#: mouth, cheek to cheek), which a crop around the face leaves whole; the square's margins
#: hold the hair, ears and background a crop cuts (beyond the picture's edge, its edge
#: repeated: another picture to the hash)
FACE_HASHED = slice(FACE_DETAIL * 3 // 16, FACE_DETAIL * 13 // 16)
#: encoded sRGB's weights in a brightness (ITU-R BT.601, as Pillow's "L" that the picture's
#: fingerprints read: vision/ingest.py)
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)


#: the turns (mirrored, degrees clockwise) of a picture whose fingerprints are its upright
#: one, mirrored, its rows in the reverse order, and both (:func:`fingerprint_variants`)
UPRIGHT_WAYS = ((False, 0), (True, 0), (True, 180), (False, 180))
#: ... and the same four of its turned one (the picture transposed: mirrored, then turned a
#: quarter anticlockwise)
TURNED_WAYS = ((True, 270), (False, 90), (False, 270), (True, 90))


class Fingerprints(NamedTuple):
    """A picture's two fingerprints (:func:`photo_fingerprints`); either None when that way
    of comparing its cells finds too little structure."""

    #: along its rows: the difference hash of the picture as it is seen
    upright: int | None
    #: down its columns: the difference hash of the picture transposed (its rows its columns),
    #: which gives the fingerprints of the picture turned a quarter
    turned: int | None


#: a picture's fingerprints before it is fingerprinted, or when it has none
NO_FINGERPRINTS = Fingerprints(None, None)


class Turn(NamedTuple):
    """How one picture is another: mirrored (flipped left to right) or not, then turned
    clockwise by ``degrees`` (0, 90, 180 or 270)."""

    mirrored: bool
    degrees: int

    def inverse(self) -> Turn:
        """The turn that undoes this one: a mirrored picture's is the same (flipping twice
        undoes it), a picture turned clockwise is turned back the other way."""
        return self if self.mirrored else Turn(False, -self.degrees % 360)


def photo_fingerprints(grey: np.ndarray) -> Fingerprints:
    """The difference hashes of a picture along its rows and down its columns, without any
    plain border (:func:`picture_content`).

    Parameters
    ----------
    grey : (H, W) array, encoded brightness (luma) on any scale whose 255 is white
        Upright, as the photo is seen (EXIF orientation applied); H, W ≥ 1.

    Returns
    -------
    Fingerprints
        Each 64 bits, row by row from the top left, the first comparison the most
        significant bit; None when fewer than :data:`MIN_STRUCTURE` of its comparisons differ
        by more than :data:`FLAT_LEVELS`.

    References
    ----------
    .. [1] Krawetz, N. (2013). Kind of like that (module docstring).

    Examples
    --------
    >>> ramp = np.tile(np.arange(90, dtype=np.float32) * 2, (80, 1))  # brighter to the right
    >>> [None if fp is None else hex(fp) for fp in photo_fingerprints(ramp)]
    ['0xffffffffffffffff', None]
    """
    grey = np.asarray(grey)
    if grey.ndim != 2 or grey.size == 0 or not np.issubdtype(grey.dtype, np.number):
        raise ValueError(f"expected a (H, W) brightness array; got {grey.dtype} {grey.shape}")
    grey = grey.astype(np.float32)
    if not np.isfinite(grey).all():
        raise ValueError("expected finite brightness values; got NaN or infinity")
    content = np.ascontiguousarray(grey[picture_content(grey)])
    return Fingerprints(_difference_hash(content), _difference_hash(content.T))


def _difference_hash(grey: np.ndarray) -> int | None:
    """The 64-bit difference hash of ``grey`` (float32, finite) along its rows, or None."""
    cells = cv2.resize(np.ascontiguousarray(grey), (9, 8), interpolation=cv2.INTER_AREA)
    step = cells[:, 1:] - cells[:, :-1]
    if np.mean(np.abs(step) > FLAT_LEVELS) < MIN_STRUCTURE:
        return None
    return int.from_bytes(np.packbits((step > 0).ravel()).tobytes(), "big")


def face_fingerprint(rgb_lin: np.ndarray, points) -> int | None:
    """The difference hash of a face, taken upright and at one size by its landmarks.

    The face is cut out of the picture by the similarity that lays its five points on SFace's
    template (:func:`face_detail`) and its brightness, brows to mouth and cheek to cheek
    (:data:`FACE_HASHED`), hashed as a picture's (:func:`photo_fingerprints`,
    :func:`detail_fingerprint`). It does not change with what was cropped around the face,
    the picture's turn, size or colour; mirrored, it is the mirrored fingerprint
    (:func:`mirrored_fingerprint`: the template is symmetric). Faces are alike at this
    scale, far more than pictures: two faces' fingerprints are 14 bits apart or more, but
    24.5 on average (66 pairs of 12 faces, sd 5.1), so among thousands some are near by
    chance. Within :data:`FACE_NEAR_DISTANCE` of another, a face is a candidate only, which
    :func:`face_correlation` confirms or not.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float, linear sRGB, [0, 1]
    points : (478, 2) or (478, 3) float, the face's landmarks in ``rgb_lin``'s pixels (x, y)

    Returns
    -------
    int or None
        64 bits, unsigned; None when the face's crop has too little structure (as
        :func:`photo_fingerprints`) or lies outside the picture.

    Examples
    --------
    The astronaut, and a copy cropped to her head, made smaller and brighter:

    >>> from vision.testset import astronaut_face, landmarks_of
    >>> photo = astronaut_face()
    >>> copy = np.clip(cv2.resize(photo[60:700, 100:650], (275, 320)) * 1.3, 0, 1)
    >>> prints = [face_fingerprint(p, face.points)
    ...           for p, face in zip((photo, copy), landmarks_of(photo, copy), strict=True)]
    >>> fingerprint_distance(*prints) <= FACE_NEAR_DISTANCE
    True
    """
    return detail_fingerprint(face_detail(rgb_lin, points))


def detail_fingerprint(detail: np.ndarray | None) -> int | None:
    """:func:`face_fingerprint` of a face already cut out (:func:`face_detail`; None: None):
    the difference hash of its :data:`FACE_HASHED` part."""
    if detail is None:
        return None
    return _difference_hash(np.ascontiguousarray(detail[FACE_HASHED, FACE_HASHED]))


def face_detail(rgb_lin: np.ndarray, points) -> np.ndarray | None:
    """A face's brightness (encoded, :data:`LUMA_WEIGHTS`, levels of 255), upright and at one
    size, for :func:`face_fingerprint` and :func:`face_correlation`: the picture warped by the
    similarity that lays the face's five points (models.face_matcher.five_points) on SFace's
    template (models.face_matcher.TEMPLATE) scaled to :data:`FACE_DETAIL` pixels square; a
    face more than twice that wide is shrunk first, by area (sampled bilinearly, it would
    alias). Beyond the picture's edge, its edge repeated. Kept in memory only: it is a
    picture of the face.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float, linear sRGB, [0, 1]
    points : (478, 2) or (478, 3) float, the face's landmarks in ``rgb_lin``'s pixels (x, y)

    Returns
    -------
    (FACE_DETAIL, FACE_DETAIL) float32, or None when the face's square lies outside the
    picture
    """
    size = FACE_DETAIL
    points = np.asarray(points, np.float64)
    rgb_lin = np.asarray(rgb_lin)
    if points.ndim != 2 or points.shape[1] < 2 or rgb_lin.ndim != 3 or rgb_lin.shape[2] != 3:
        raise ValueError(f"expected (H, W, 3) linear RGB and (478, 2) landmarks; got "
                         f"{rgb_lin.shape} and {points.shape}")  # fmt: skip
    template = (TEMPLATE * (size / 112.0)).astype(np.float32)
    warp, _ = cv2.estimateAffinePartial2D(five_points(points), template, method=cv2.LMEDS)
    if warp is None:
        return None
    # the face's square in the picture, cut out (a 12 MP photo is not warped whole)
    square = np.array([[[0, 0], [size, 0], [0, size], [size, size]]], np.float32)
    corners = cv2.transform(square, cv2.invertAffineTransform(warp))[0]
    h, w = rgb_lin.shape[:2]
    x0, y0 = np.clip(np.floor(corners.min(axis=0)).astype(int) - 1, 0, (w, h))
    x1, y1 = np.clip(np.ceil(corners.max(axis=0)).astype(int) + 2, 0, (w, h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    part = rgb_lin[y0:y1, x0:x1].astype(np.float32, copy=False)  # a view: OpenCV takes it
    to_part = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
    scale = float(np.sqrt(abs(np.linalg.det(warp[:, :2]))))
    if scale < 0.5:
        shrunk = (
            max(2, round(part.shape[1] * 2 * scale)),
            max(2, round(part.shape[0] * 2 * scale)),
        )
        to_part = to_part @ np.diag([part.shape[1] / shrunk[0], part.shape[0] / shrunk[1], 1.0])
        part = cv2.resize(part, shrunk, interpolation=cv2.INTER_AREA)
    crop = cv2.warpAffine(part, warp @ to_part, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    luma = rgb_lin_to_srgb(np.clip(crop, 0.0, 1.0)) @ (255.0 * LUMA_WEIGHTS)
    return np.ascontiguousarray(luma, np.float32)


def face_correlation(detail: np.ndarray, other_detail: np.ndarray) -> float:
    """How alike two faces' fine detail is once laid on each other: whether two pictures
    show the same face in the same picture (a copy cropped, turned, mirrored, made smaller),
    not merely the same person.

    Each face is laid on the other by an affine warp refined on their brightness (enhanced
    correlation [1]_, from the landmarks' fit), as it is and mirrored; then their detail
    finer than about 2 pixels (pores, hair, grain: the picture's own, which another photo of
    the face does not share) is correlated over the inner seven eighths of the face laid on
    (Pearson's r, the best of the four ways). Both ways, as the correlation is symmetric: a
    copy cropped into the face's square has its edge repeated there (:func:`face_detail`),
    which the photo's face laid on it does not match (0.14 for obama2.jpg cropped to its
    landmarks, against 0.77 the other way; session 28).

    Parameters
    ----------
    detail, other_detail : (FACE_DETAIL, FACE_DETAIL) float32, :func:`face_detail`

    Returns
    -------
    float
        -1 to 1; at least :data:`SAME_FACE_CORRELATION` for one picture's face.

    References
    ----------
    .. [1] Evangelidis, G. D., Psarakis, E. Z. (2008). Parametric image alignment using
       enhanced correlation coefficient maximization. IEEE Transactions on Pattern Analysis
       and Machine Intelligence 30(10), 1858-1865.

    Examples
    --------
    The astronaut, and a copy of her head made smaller, brighter and mirrored:

    >>> from vision.testset import astronaut_face, landmarks_of
    >>> photo = astronaut_face()
    >>> copy = np.clip(cv2.resize(photo[60:700, 100:650], (275, 320)) * 1.3, 0, 1)[:, ::-1]
    >>> face, copied = (face_detail(p, seen.points)
    ...                 for p, seen in zip((photo, copy), landmarks_of(photo, copy), strict=True))
    >>> face_correlation(face, copied) >= SAME_FACE_CORRELATION
    True
    """
    ways = []
    for this, that in ((detail, other_detail), (other_detail, detail)):
        ways += [(this, that), (this, np.ascontiguousarray(that[:, ::-1]))]
    return max(_detail_correlation(this, that) for this, that in ways)


def _detail_correlation(this: np.ndarray, that: np.ndarray) -> float:
    warp = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-5)
    try:
        _, warp = cv2.findTransformECC(this, that, warp, cv2.MOTION_AFFINE, criteria, None, 5)
    except cv2.error:  # did not converge: the landmarks' fit as it is
        warp = np.eye(2, 3, dtype=np.float32)
    laid = cv2.warpAffine(that, warp, this.shape[::-1], flags=cv2.INTER_LINEAR
                          + cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    m = FACE_DETAIL // 16
    x, y = (_detail(face)[m:-m, m:-m].ravel() for face in (this, laid))
    x, y = x - x.mean(), y - y.mean()
    return float(x @ y / max(np.sqrt((x @ x) * (y @ y)), 1e-12))


def _detail(luma: np.ndarray) -> np.ndarray:
    """What a 4-pixel blur takes out of a picture, its own noise at 1 pixel smoothed away."""
    fine = luma - cv2.GaussianBlur(luma, (0, 0), 2.0)
    return cv2.GaussianBlur(fine, (0, 0), 0.5)


def picture_content(grey: np.ndarray) -> tuple[slice, slice]:
    """The rows and columns of a picture that hold it, without plain borders around it.

    A photo letterboxed, posted with a white border, or seen in a screenshot between a status
    bar and the screen's buttons is the same picture inside: its fingerprint is taken there.
    The rows whose brightness is plain (:data:`PLAIN_LEVELS`) are left out at the edges, and a
    band of them :data:`PARTING_SHARE` of the height thick, or thicker, parts the picture in
    two: the longest part is kept (the photo, and not a status bar), when plain rows are on
    both sides of it (a frame's); then the same for the columns of the rows kept. A picture
    with plain rows on one side only is kept whole (a photo brightened until its sky is
    clipped white: its copies, brightened less, would not lose the sky); one with no row
    that is not plain (a blank frame) too.

    Parameters
    ----------
    grey : (H, W) array of float, finite
        Encoded brightness, levels of 255.

    Returns
    -------
    (slice, slice)
        Rows and columns; ``grey[rows, cols]`` is the content.

    Examples
    --------
    >>> framed = np.zeros((100, 80), np.float32)
    >>> framed[20:70, 10:70] = np.add.outer(np.arange(50), np.arange(60))  # a picture
    >>> picture_content(framed)
    (slice(20, 70, None), slice(10, 70, None))
    """
    rows = _longest_part(grey.std(axis=1) > PLAIN_LEVELS)
    cols = _longest_part(grey[rows].std(axis=0) > PLAIN_LEVELS)
    return rows, cols


def _longest_part(varied: np.ndarray) -> slice:
    """The longest run of lines (``varied``: whether each is not plain) that no band of
    plain lines :data:`PARTING_SHARE` thick or more interrupts, without the plain lines at its
    ends; all of them when none is varied, or when plain lines are on one side of the run
    only."""
    where = np.flatnonzero(varied)
    if not len(where):
        return slice(0, len(varied))
    parting = max(2, math.ceil(PARTING_SHARE * len(varied)))
    # the varied lines' runs, a gap of fewer than `parting` plain lines joining two
    breaks = np.flatnonzero(np.diff(where) > parting)
    starts = np.concatenate(([where[0]], where[breaks + 1]))
    ends = np.concatenate((where[breaks], [where[-1]])) + 1
    longest = int(np.argmax(ends - starts))
    start, end = int(starts[longest]), int(ends[longest])
    if (start > 0) != (end < len(varied)):  # plain on one side only: the photo's own (a
        return slice(0, len(varied))  # clipped sky brightened), not a frame around it
    return slice(start, end)


def fingerprint_bands(fingerprint: int) -> list[tuple[int, int]]:
    """A fingerprint cut into :data:`BANDS` runs of bits, for finding near ones among many.

    Two fingerprints at most ``BANDS - 1`` bits apart share at least one band exactly (a
    differing bit falls in one band), so an index of ``(band, value)`` finds them without
    reading every fingerprint (multi-index hashing [1]_); farther copies mostly share one too
    (all 81 of the copies measured in :data:`NEAR_DISTANCE`'s note, 0-12 bits apart).

    Parameters
    ----------
    fingerprint : int
        64 bits; signed or not (only the low 64 count).

    Returns
    -------
    list of (band, value)
        ``band`` 0-4 from the most significant bits, ``value`` the band's bits as an unsigned
        integer (12 or 13 bits).

    References
    ----------
    .. [1] Norouzi, M., Punjani, A., Fleet, D. J. (2012). Fast search in Hamming space with
       multi-index hashing. CVPR 2012, 3108-3115.

    Examples
    --------
    >>> fingerprint_bands(2**64 - 1)
    [(0, 8191), (1, 8191), (2, 4095), (3, 8191), (4, 8191)]
    """
    bits = fingerprint & (2**FINGERPRINT_BITS - 1)
    edges = [round(FINGERPRINT_BITS * i / BANDS) for i in range(BANDS + 1)]
    out = []
    for i, (start, end) in enumerate(itertools.pairwise(edges)):
        out.append((i, (bits >> (FINGERPRINT_BITS - end)) & ((1 << (end - start)) - 1)))
    return out


def fingerprint_distance(a: int, b: int) -> int:
    """How many of two fingerprints' 64 bits differ (their Hamming distance).

    Either may be stored as a signed 64-bit integer (a database's BIGINT): only the low 64
    bits count.

    Examples
    --------
    >>> fingerprint_distance(0b1011, 0b0010)
    2
    >>> fingerprint_distance(-1, 2**64 - 1)
    0
    """
    return ((a ^ b) & (2**FINGERPRINT_BITS - 1)).bit_count()


def upside_down_fingerprint(fingerprint: int) -> int:
    """The fingerprint of the picture flipped top to bottom, from its bits alone: its rows in
    the reverse order (each row's comparisons are the same). Mirrored too, the picture turned
    upside down (:func:`fingerprint_variants`).

    Examples
    --------
    >>> hex(upside_down_fingerprint(0xFF))
    '0xff00000000000000'
    """
    rows = (fingerprint & (2**FINGERPRINT_BITS - 1)).to_bytes(8, "big")
    return int.from_bytes(rows[::-1], "big")


def fingerprint_variants(fingerprints: Fingerprints) -> list[tuple[int, Turn]]:
    """The fingerprints of a picture each way it may be turned or flipped, from its two
    (:func:`photo_fingerprints`): as it is, mirrored, upside down, and turned a quarter
    either way, each mirrored or not (the eight of a square's symmetries).

    The picture transposed is the picture mirrored, then turned a quarter anticlockwise; the
    other turns come from these by mirroring the rows' comparisons or reversing the rows
    (:func:`mirrored_fingerprint`, :func:`upside_down_fingerprint`). A fingerprint that is
    None gives none of its four.

    Returns
    -------
    list of (int, Turn)
        Unsigned 64-bit fingerprints and the :class:`Turn` of the picture each is of: its
        ``fingerprint_distance`` to another picture's upright fingerprint is small when that
        picture is this one turned so (measured: 0-1 bits, DEVELOPERS.md).

    Examples
    --------
    >>> [tuple(turn) for _, turn in fingerprint_variants(Fingerprints(1, None))]
    [(False, 0), (True, 0), (True, 180), (False, 180)]
    """
    out = []
    for fp, turns in ((fingerprints.upright, UPRIGHT_WAYS), (fingerprints.turned, TURNED_WAYS)):
        if fp is None:
            continue
        ways = four_ways(np.array([fp & (2**FINGERPRINT_BITS - 1)], np.uint64))[0]
        out += [(int(way), Turn(*turn)) for way, turn in zip(ways, turns, strict=True)]
    return out


def four_ways(fingerprints: np.ndarray) -> np.ndarray:
    """Each of an array of fingerprints the four ways its bits alone give: as it is,
    mirrored (:func:`mirrored_fingerprint`), its rows in the reverse order
    (:func:`upside_down_fingerprint`: the integer's bytes swapped), and both; in the order of
    :data:`UPRIGHT_WAYS` and :data:`TURNED_WAYS`. For a row of fingerprints compared with
    many at once (claims/related.py) as for one (:func:`fingerprint_variants`).

    Parameters
    ----------
    fingerprints : array of unsigned 64-bit integers, any shape

    Returns
    -------
    array of unsigned 64-bit integers, the shape and 4

    Examples
    --------
    >>> [hex(v) for v in four_ways(np.array([0x80], np.uint64))[0]]
    ['0x80', '0xfffffffffffffffe', '0x8000000000000000', '0xfeffffffffffffff']
    """
    fingerprints = np.ascontiguousarray(fingerprints, np.uint64)
    flipped = fingerprints.byteswap()

    def mirrored(values):  # each byte is one row of comparisons, whatever the byte order
        return _MIRRORED_BYTES[values.view(np.uint8)].view(np.uint64).reshape(values.shape)

    return np.stack([fingerprints, mirrored(fingerprints), flipped, mirrored(flipped)], axis=-1)


def mirrored_fingerprint(fingerprint: int) -> int:
    """The fingerprint of the picture mirrored left to right, from its bits alone.

    Mirrored, a row's cells come in the reverse order, so its comparison ``k`` (is cell
    ``k + 1`` brighter than cell ``k``?) is the original's comparison ``7 - k`` the other way
    round: each row's 8 bits reversed and inverted. A comparison of two equal cells (a
    clipped white wall) is 0 both ways and comes out 1: measured on nine photos, the mirrored
    photo's own fingerprint is 0-1 bits from this one, copies of it (saved again, smaller,
    recoloured) 0-3 (DEVELOPERS.md).

    Parameters
    ----------
    fingerprint : int
        64 bits (:func:`photo_fingerprint`); signed or not (only the low 64 count).

    Returns
    -------
    int
        64 bits, unsigned. Mirroring twice gives the fingerprint back, and
        ``fingerprint_distance(mirrored_fingerprint(a), b)`` is
        ``fingerprint_distance(a, mirrored_fingerprint(b))``.

    Examples
    --------
    >>> hex(mirrored_fingerprint(0x80_00_00_00_00_00_00_00))
    '0xfeffffffffffffff'
    >>> mirrored_fingerprint(mirrored_fingerprint(12345)) == 12345
    True
    """
    rows = (fingerprint & (2**FINGERPRINT_BITS - 1)).to_bytes(8, "big")
    return int.from_bytes(bytes(MIRRORED_BYTE[row] for row in rows), "big")
