"""The redness model's computation in NumPy: the reference the ONNX graph must match.

On a face crop scaled so that the face is :data:`FACE_WIDTH` pixels wide (the model's fixed
scale, so every smoothing is a fixed kernel):

1. optical density of linear RGB, projected on the skin model's melanin, haemoglobin and
   shading directions (``vision.redness.pigment_vectors``, Tsumura et al. 2003);
2. smoothings inside the skin mask (normalised convolution: nothing leaks in from outside):
   fine (outline), detection (patch scale, on a 2× pooled grid) and the person's local level
   (on a 4× pooled grid), the pooled ones brought back by bilinear interpolation;
3. the two band-passed haemoglobin maps that ``vision.redness.flag_excess`` standardises and
   thresholds, and the fine melanin and shading maps ``vision.redness.skin_pixels`` tests;
4. the large scales of ``vision.redness.flag_two_scales``, given on the POOL grid (they are
   smooth, and the caller resizes them to its own scale anyway); the wide level is smoothed
   on a WIDE_POOL grid and brought to the POOL grid by bilinear interpolation.

Every constant comes from ``vision/redness.py``.
"""

from __future__ import annotations

import numpy as np

from vision.redness import (
    BACKGROUND_FRACTION,
    DETECT_FRACTION,
    LARGE_BACKGROUND_FRACTION,
    LARGE_DETECT_FRACTION,
    OD_FLOOR,
    SMOOTH_FRACTION,
    pigment_vectors,
)

__all__ = ["DETECT_POOL", "FACE_WIDTH", "INPUT_MULTIPLE", "POOL", "WIDE_POOL", "kernels",
           "redness_maps", "unmixing_matrix"]  # fmt: skip

#: Face width (pixels) of the model's input crop.
FACE_WIDTH = 128.0
#: The local level is smoothed on a grid pooled by this factor, the detection map on one
#: pooled by DETECT_POOL (both cost a quarter or less at full size), the wide level of the
#: large scales on one pooled by WIDE_POOL; inputs are multiples of INPUT_MULTIPLE.
POOL = 4
DETECT_POOL = 2
WIDE_POOL = 16
INPUT_MULTIPLE = WIDE_POOL
#: Minimum weight of the normalised convolution's denominator.
DEN_FLOOR = 1e-3


def unmixing_matrix() -> np.ndarray:
    """(3, 3) float32: rows give melanin, haemoglobin and shading from OD (R, G, B)."""
    v_mel, v_hb = pigment_vectors()
    basis = np.stack([v_mel, v_hb, np.ones(3)], axis=1)
    return np.linalg.inv(basis).astype(np.float32)


def _gauss(sigma: float) -> np.ndarray:
    r = int(np.ceil(3.0 * sigma))
    x = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


def kernels() -> dict[str, np.ndarray]:
    """The 1-D Gaussian kernels: fine, detection, pooled background, and the large scales'
    detection (on the POOL grid) and wide background (on the WIDE_POOL grid)."""
    return {
        "fine": _gauss(max(0.5, SMOOTH_FRACTION * FACE_WIDTH)),
        "detect": _gauss(max(1.0, DETECT_FRACTION * FACE_WIDTH) / DETECT_POOL),
        "background": _gauss(max(1.0, BACKGROUND_FRACTION * FACE_WIDTH) / POOL),
        "large_detect": _gauss(LARGE_DETECT_FRACTION * FACE_WIDTH / POOL),
        "large_background": _gauss(LARGE_BACKGROUND_FRACTION * FACE_WIDTH / WIDE_POOL),
    }


def _conv_same(x, k, axis):
    """Zero-padded 'same' correlation along ``axis`` (float32, like ONNX Conv)."""
    r = len(k) // 2
    pad = [(0, 0)] * x.ndim
    pad[axis] = (r, r)
    xp = np.pad(x, pad)
    out = np.zeros_like(x)
    n = x.shape[axis]
    for j, w in enumerate(k):
        sl = [slice(None)] * x.ndim
        sl[axis] = slice(j, j + n)
        out += w * xp[tuple(sl)]
    return out


def _blur(x, k):
    return _conv_same(_conv_same(x, k, -1), k, -2)


def _pool(x, f=POOL):
    h, w = x.shape[-2:]
    return x.reshape(*x.shape[:-2], h // f, f, w // f, f).mean(axis=(-1, -3))


def _upsample(x, f=POOL):
    """Bilinear ×f with half-pixel centres and edge clamping (ONNX Resize, linear)."""

    def axis_weights(n):
        src = (np.arange(n * f) + 0.5) / f - 0.5
        src = np.clip(src, 0, n - 1)
        i0 = np.floor(src).astype(int)
        i1 = np.minimum(i0 + 1, n - 1)
        return i0, i1, (src - i0).astype(np.float32)

    h, w = x.shape[-2:]
    y0, y1, fy = axis_weights(h)
    x0, x1, fx = axis_weights(w)
    rows = x[..., y0, :] * (1 - fy)[:, None] + x[..., y1, :] * fy[:, None]
    return rows[..., x0] * (1 - fx) + rows[..., x1] * fx


def _ratio(num, den, k):
    """Normalised convolution: the blurred numerator over the floored blurred denominator."""
    return _blur(num, k) / np.maximum(_blur(den, k), DEN_FLOOR)


def _masked(x, m, k):
    return _ratio(x * m, m, k)


def _pooled_ratio(num, den, k, f):
    """:func:`_ratio` on a grid pooled by ``f``, numerator and denominator brought back by
    bilinear interpolation before the division (as the graph does)."""
    up_num = _upsample(_blur(_pool(num, f), k), f)
    up_den = _upsample(_blur(_pool(den, f), k), f)
    return up_num / np.maximum(up_den, DEN_FLOOR)


def redness_maps(rgb_lin, skin) -> dict[str, np.ndarray]:
    """The model's outputs for one crop.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float, linear sRGB; H and W multiples of :data:`INPUT_MULTIPLE`
    skin : (H, W) bool or float mask

    Returns
    -------
    dict of (H, W) float32: ``haemoglobin``, ``melanin``, ``shading`` (OD), ``band_fine``,
    ``band_detect`` (haemoglobin OD above the local level; 0 outside the mask),
    ``melanin_fine``, ``shading_fine``; and of (H / POOL, W / POOL) float32, not masked:
    ``large_shift`` (the local level minus the wider one: ``band_fine`` plus it is the fine
    map against the wider level) and ``band_detect_large`` (haemoglobin at the large
    detection scale above the wider level)
    """
    x = np.asarray(rgb_lin, np.float32)
    m = np.asarray(skin, np.float32)
    h, w = m.shape
    if h % INPUT_MULTIPLE or w % INPUT_MULTIPLE:
        raise ValueError(f"expected H and W multiples of {INPUT_MULTIPLE}; got {h}x{w}")
    od = -np.log(np.maximum(x, np.float32(OD_FLOOR)))
    comps = od @ unmixing_matrix().T
    mel, hb, shade = comps[..., 0], comps[..., 1], comps[..., 2]
    k = kernels()
    fine = _masked(hb, m, k["fine"])
    coarse = _pooled_ratio(hb * m, m, k["detect"], DETECT_POOL)
    local = _pooled_ratio(fine * m, m, k["background"], POOL)
    # the large scales, left on the POOL grid (the caller brings them to its own scale)
    fine_p, hb_p, m_p = _pool(fine * m), _pool(hb * m), _pool(m)
    local_p = _ratio(fine_p, m_p, k["background"])
    local_large = _pooled_ratio(fine_p, m_p, k["large_background"], WIDE_POOL // POOL)
    coarse_large = _ratio(hb_p, m_p, k["large_detect"])
    return {
        "haemoglobin": hb,
        "melanin": mel,
        "shading": shade,
        "band_fine": ((fine - local) * m).astype(np.float32),
        "band_detect": ((coarse - local) * m).astype(np.float32),
        "melanin_fine": _masked(mel, m, k["fine"]).astype(np.float32),
        "shading_fine": _masked(shade, m, k["fine"]).astype(np.float32),
        "large_shift": (local_p - local_large).astype(np.float32),
        "band_detect_large": (coarse_large - local_large).astype(np.float32),
    }
