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
it) has its own difference hash, which :func:`mirrored_fingerprint` computes from the bits
alone: a photo is compared with another as it is and mirrored. What it does not find: a
photo cropped by more than a few per cent, or rotated (measured in
``tests/vision/test_fingerprint.py`` and DEVELOPERS.md). It does not identify a person: two
photos of one face are as far apart as any two photos.

References
----------
.. [1] Krawetz, N. (2013). Kind of like that. The Hacker Factor Blog, 21 January 2013.
   https://www.hackerfactor.com/blog/index.php?/archives/529-Kind-of-Like-That.html
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

__all__ = [
    "BANDS",
    "COPY_DISTANCE",
    "FINGERPRINT_BITS",
    "NEAR_DISTANCE",
    "fingerprint_bands",
    "fingerprint_distance",
    "mirrored_fingerprint",
    "photo_fingerprint",
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


def photo_fingerprint(grey: np.ndarray) -> int | None:
    """The difference hash of a picture, or None when it has too little structure.

    Parameters
    ----------
    grey : (H, W) array, encoded brightness (luma) on any scale whose 255 is white
        Upright, as the photo is seen (EXIF orientation applied); H, W ≥ 1.

    Returns
    -------
    int or None
        64 bits, row by row from the top left, the first comparison the most significant bit;
        None when fewer than :data:`MIN_STRUCTURE` of the comparisons differ by more than
        :data:`FLAT_LEVELS`.

    References
    ----------
    .. [1] Krawetz, N. (2013). Kind of like that (module docstring).

    Examples
    --------
    >>> ramp = np.tile(np.arange(90, dtype=np.float32) * 2, (80, 1))
    >>> hex(photo_fingerprint(ramp))
    '0xffffffffffffffff'
    """
    grey = np.asarray(grey)
    if grey.ndim != 2 or grey.size == 0 or not np.issubdtype(grey.dtype, np.number):
        raise ValueError(f"expected a (H, W) brightness array; got {grey.dtype} {grey.shape}")
    cells = cv2.resize(grey.astype(np.float32), (9, 8), interpolation=cv2.INTER_AREA)
    if not np.isfinite(cells).all():
        raise ValueError("expected finite brightness values; got NaN or infinity")
    step = cells[:, 1:] - cells[:, :-1]
    if np.mean(np.abs(step) > FLAT_LEVELS) < MIN_STRUCTURE:
        return None
    return int.from_bytes(np.packbits((step > 0).ravel()).tobytes(), "big")


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
