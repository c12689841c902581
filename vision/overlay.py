"""Heatmap images for reviewers: over a pixelated face (the privacy default) or the raw face.

The pixelation block is a sixth of the face width (:data:`PIXELATION_BLOCKS_PER_FACE`): eyes,
mouth and nose fall inside one or two blocks, while the heatmap (drawn after the pixelation,
at full resolution) stays sharp.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from calibration.colorimetry import rgb_lin_to_srgb_u8

__all__ = [
    "PIXELATION_BLOCKS_PER_FACE",
    "PNG_COMPRESS_LEVEL",
    "LegendLayout",
    "heatmap_image",
    "legend_layout",
    "mosaic_edges",
    "mosaic_face_width",
    "pixelate",
    "pixelation_block",
    "scaled_box",
]

#: Blocks across the face width when pixelating. Measured with a face matcher nobody here
#: trained (SFace, models/face_matcher; benchmarks/bench_privacy.py) on the held-out
#: people and the astronaut, two of them also with their skin darkened to match the third: at
#: 10 blocks (the first choice), with the blocks interpolated again (bicubic), the one man's
#: pictures scored +0.26..+0.37 against his other photos and at most +0.24 against other
#: people's, telling him apart every time (separation 1.00; blurred 0.92, bilinear 0.99); at 12
#: and 16 every smoothing told him apart every time. At 6 the separation is 0.50-0.77 over the
#: four attacks (0.5 is chance) and his smoothed pictures score at most +0.15; at 7 and 8 it
#: was 0.61-0.90. One man with several photos is all the measurement has: its separations
#: move by about ±0.15 from one block count to the next. People recognise familiar faces from
#: about 12 × 14 pixels and identify them far less well at 9-15 pixels per face (Bachmann 1991;
#: Costen, Parker & Craw 1994): 10 blocks across the cheeks are about 12 across the head.
PIXELATION_BLOCKS_PER_FACE = 6
#: Excess (σ units) mapped to the top of the colour scale.
HEATMAP_MAX = 10.0
#: zlib level for the pictures' PNGs: level 1 writes a 12 MP selfie's raw heatmap in 79 ms
#: instead of 375 ms at Pillow's default 6, for a file 15 % larger (the full-size mask: 41
#: instead of 104 ms, 52 KB instead of 12 KB).
PNG_COMPRESS_LEVEL = 1
#: cv2's inferno colour map as a (256, 3) float32 RGB table.
_INFERNO_RGB = cv2.applyColorMap(np.arange(256, dtype=np.uint8)[:, None], cv2.COLORMAP_INFERNO)[
    :, 0, ::-1
].astype(np.float32)
#: What every heatmap's legend says, above and below its colour bar: what is shown, and that
#: it is evidence for review, not a diagnosis (DESIGN.md, "Measurement honesty").
LEGEND_ABOVE, LEGEND_BELOW = ("redness", "above own", "skin"), ("not a", "diagnosis")
_FONT = cv2.FONT_HERSHEY_SIMPLEX


#: The face detector (models/face_detector) measured the faces the landmarker found 0.77-1.19
#: times as wide as the landmarks (vision/people's four photos and the astronaut, upright, turned
#: 60° in the picture, partly covered, 40 px wide; session 14): a face it finds wider than this
#: many times the landmarked one is another face, nearer the camera.
OTHER_FACE = 1.25


def mosaic_face_width(image: np.ndarray, face_width: float | None = None,
                      face_box=None) -> float:  # fmt: skip
    """The face width a shown picture's mosaic is cut for (pixels of ``image``: uint8 sRGB or
    float linear sRGB, as :func:`models.face_detector.face_widths` reads them).

    The landmarked face's ``face_width``, unless the face detector finds a face
    :data:`OTHER_FACE` times wider (another person, nearer the camera; upright or turned,
    the landmarked face's ``face_box``, x0, y0, x1, y1, aside); without a landmarked face,
    the widest face the detector finds, and never less than a sixth of the picture's longer
    side (a face may be there that neither finds).
    """
    from models.face_detector import face_widths

    if face_width is not None:
        if face_box is None:  # turned, the face itself may look wider than it is
            raise ValueError("expected the landmarked face's box with its width")
        bar = OTHER_FACE * float(face_width)
        found = face_widths(image, at_least=bar, known_box=face_box)
        return max([float(face_width)] + [w for w in found if w > bar])
    least = max(image.shape[:2]) / 6.0
    return max([least, *face_widths(image, at_least=least)])


def scaled_box(face, scale: float = 1.0) -> tuple[float, float, float, float]:
    """A landmarked face's box (its ``bbox``) as x0, y0, x1, y1 in a picture scaled by
    ``scale``: what :func:`mosaic_face_width` sets aside."""
    x, y, w, h = face.bbox
    return (x * scale, y * scale, (x + w) * scale, (y + h) * scale)


def pixelation_block(face_width: float, blocks: int = PIXELATION_BLOCKS_PER_FACE) -> float:
    """The mosaic's block side in pixels: ``face_width / blocks``, at least 8.

    Examples
    --------
    >>> pixelation_block(300.0), pixelation_block(30.0)
    (50.0, 8.0)
    """
    return max(8.0, float(face_width) / blocks)


def mosaic_edges(length: int, anchor: float, block: float) -> np.ndarray:
    """A mosaic's block edges along one axis: ``anchor + k·block`` for whole k, rounded to
    whole pixels and clipped to ``0 … length`` (both ends included).

    Examples
    --------
    >>> mosaic_edges(100, 0.0, 30.0).tolist(), mosaic_edges(100, 50.0, 30.0).tolist()
    ([0, 30, 60, 90, 100], [0, 20, 50, 80, 100])
    """
    k = np.arange(np.floor(-anchor / block), np.ceil((length - anchor) / block) + 1)
    return np.unique(np.clip(np.round(anchor + k * block), 0, length).astype(np.int64))


def pixelate(srgb_u8: np.ndarray, face_width: float, anchor=None, *,
             blocks: int = PIXELATION_BLOCKS_PER_FACE) -> np.ndarray:  # fmt: skip
    """Mosaic the whole image: each block (:func:`pixelation_block` pixels) painted with its
    mean colour.

    The block grid passes through ``anchor`` (x, y; by default the image's corner). Every
    picture made of one photo is anchored at that photo's corner, in its own pixels: the photo
    shown and the heatmap of its head (a crop at another scale) then cut the face into the same
    blocks, and together show no more than one of them. On differing grids they are more
    samples of the face: combined by back-projection they gave the face matcher a separation
    of 0.80 and 0.67 at two scales, against 0.75 and 0.73 on one grid
    (benchmarks/bench_privacy.py); within that measurement's noise, a leak this removes rather
    than one measured. A grid tied to the face (anchored at its centre) lays the same features
    on the same blocks in every photo of a person: "as shown", the separation rose from 0.77 to
    0.83 (a separate script).

    Parameters
    ----------
    srgb_u8 : (H, W, 3) uint8
    face_width : float, pixels
    anchor : (x, y), optional, pixels
    blocks : int, keyword-only; other than the default only to measure what the default does

    Examples
    --------
    A face 48 pixels wide is cut into blocks of 8 (six across it):

    >>> srgb_u8 = np.zeros((16, 24, 3), np.uint8)
    >>> srgb_u8[:, 12:] = 200  # the right half light: the middle blocks straddle it
    >>> srgb_u8[0, 0] = 255  # one bright pixel, in the first block
    >>> pixelate(srgb_u8, 48.0)[::8, ::8, 0].tolist()
    [[4, 100, 200], [0, 100, 200]]
    """
    h, w = srgb_u8.shape[:2]
    block = pixelation_block(face_width, blocks)
    cx, cy = (0.0, 0.0) if anchor is None else (float(anchor[0]), float(anchor[1]))
    ye, xe = mosaic_edges(h, cy, block), mosaic_edges(w, cx, block)
    # sums of 8-bit values fit 32-bit integers up to 8.4 MP (a 64-bit table of a 0.8 MP head
    # raised the analysis's peak memory by 15 MiB)
    depth = cv2.CV_32S if h * w <= 8_000_000 else cv2.CV_64F
    sums = cv2.integral(np.ascontiguousarray(srgb_u8), sdepth=depth)

    def at(rows, cols):  # the table at the blocks' corners, in floats (few: one per block)
        return sums[rows][:, cols].astype(np.float64)

    top, bottom, left, right = ye[:-1], ye[1:], xe[:-1], xe[1:]
    total = at(bottom, right) - at(top, right) - at(bottom, left) + at(top, left)
    dy, dx = np.diff(ye), np.diff(xe)
    means = np.round(total / (dy[:, None, None] * dx[None, :, None])).astype(np.uint8)
    return np.repeat(np.repeat(means, dy, axis=0), dx, axis=1)


def heatmap_image(
    rgb_lin,
    excess,
    mask,
    *,
    face_width: float,
    anchor=None,
    pixelated: bool = True,
) -> np.ndarray:
    """An (H, W + legend, 3) uint8 sRGB picture of the redness excess over the face.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB (or the same already encoded, uint8 sRGB)
    excess : (H, W) float, redness excess in σ units (0 outside skin)
    mask : (H, W) bool, the flagged regions (outlined)
    face_width : float, pixels
    anchor : (x, y), where the mosaic's grid is anchored (:func:`pixelate`): the photo's
        corner when ``rgb_lin`` is a crop of it
    pixelated : bool, keyword-only; False only for authorised (revealed) views
    """
    base = rgb_lin if rgb_lin.dtype == np.uint8 else rgb_lin_to_srgb_u8(rgb_lin)
    if pixelated:
        base = pixelate(base, face_width, anchor)
    grey = cv2.cvtColor(cv2.cvtColor(base, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    base = cv2.addWeighted(base, 0.55, grey, 0.45, 0.0)  # muted, so the heatmap stands out
    # only pixels above 1 σ get colour (alpha is 0 below): blend those, not the whole head,
    # addressed by flat index (a boolean mask over the head costs ten times more per pass)
    excess = np.asarray(excess, np.float32)
    idx = np.flatnonzero(excess > 1.0)
    if idx.size:
        e = excess.ravel().take(idx)
        level = np.clip(e * np.float32(255.0 / HEATMAP_MAX), 0, 255).astype(np.uint8)
        alpha = np.clip((e - np.float32(1.0)) / np.float32(3.0), 0, 0.85)[:, None]
        flat = base.reshape(-1, 3)  # a view: addWeighted's output is contiguous
        under = flat.take(idx, axis=0).astype(np.float32)
        flat[idx] = (under + alpha * (_INFERNO_RGB[level] - under)).astype(np.uint8)
    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    thick = max(1, int(face_width / 150))
    cv2.drawContours(base, contours, -1, (255, 255, 255), thick)
    return _with_legend(base)


@dataclass(frozen=True)
class LegendLayout:
    """Where :func:`heatmap_image`'s legend puts things, in pixels of a picture ``h`` tall:
    text lines as (baseline, text) at x = 4, the colour bar's rows ``top`` to ``bottom`` at
    columns ``bar_x``, its labels as (baseline, text) right of it."""

    width: int
    scale: float
    lines: tuple
    top: int
    bottom: int
    bar_x: tuple
    labels: tuple


def legend_layout(h: int, w: int) -> LegendLayout:
    """The legend beside a heatmap ``h`` × ``w``: the title above the bar, "not a diagnosis"
    below it. On a small picture (a small face's head) the bar shortens, and loses its middle
    label, so that neither text block runs into the labels; the column is as wide as the
    widest line."""
    scale = max(0.35, h / 1600)
    cap = cv2.getTextSize("0", _FONT, scale, 1)[0][1]
    descent = cv2.getTextSize("g", _FONT, scale, 1)[1]
    step = int(22 * scale * 1.6)  # one line of text at this scale, with leading
    first, last = int(max(0.04 * h, cap + 2)), int(0.96 * h - step)
    lines = (*((first + i * step, t) for i, t in enumerate(LEGEND_ABOVE)),
             *((last + i * step, t) for i, t in enumerate(LEGEND_BELOW)))  # fmt: skip
    widest = max(cv2.getTextSize(t, _FONT, scale, 1)[0][0] for _, t in lines)
    width = max(90, w // 8, widest + 8)
    # a label is centred on its end of the bar (its baseline half a digit below): the bar
    # starts and ends where its end labels clear the text above and below by a row
    top = int(max(0.1 * h, lines[2][0] + descent + 1 + cap - cap // 2))
    bottom = int(min(0.85 * h, lines[3][0] - cap - 1 - cap // 2 - descent))
    marks = ((0.0, f"{HEATMAP_MAX:g} sd"), (0.5, f"{HEATMAP_MAX / 2:g} sd"), (1.0, "0"))
    if bottom - top < 2 * (cap + descent + 1):  # no room for the middle one
        marks = marks[::2]
    labels = tuple((int(top + f * (bottom - top)) + cap // 2, t) for f, t in marks)
    return LegendLayout(width, scale, lines, top, bottom,
                        (width // 8, width // 8 + width // 5), labels)  # fmt: skip


def _with_legend(img):
    h, w = img.shape[:2]
    lay = legend_layout(h, w)
    legend = np.full((h, lay.width, 3), 255, np.uint8)
    ramp = np.linspace(1, 0, max(2, lay.bottom - lay.top))[:, None]
    bar = cv2.applyColorMap((ramp * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)[..., ::-1]
    x0, x1 = lay.bar_x
    legend[lay.top : lay.top + len(bar), x0:x1] = np.repeat(bar, x1 - x0, axis=1)
    for x, texts in ((x1 + 4, lay.labels), (4, lay.lines)):
        for y, text in texts:
            cv2.putText(legend, text, (x, y), _FONT, lay.scale, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([img, legend], axis=1)
