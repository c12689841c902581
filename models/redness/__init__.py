"""The redness model (``redness.onnx``): preprocess / infer / postprocess.

The server and the capture page run the same file (onnxruntime here, onnxruntime-web in the
browser). :func:`redness_map_onnx` gives the same :class:`vision.redness.RednessResult` as
:func:`vision.redness.redness_map`, computed at the model's fixed face scale.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from models.redness.reference import FACE_WIDTH, INPUT_MULTIPLE

__all__ = [
    "MODEL_PATH",
    "RednessModel",
    "RednessModelOptions",
    "default_model",
    "redness_map_onnx",
]

MODEL_PATH = Path(__file__).resolve().parent / "redness.onnx"


@dataclass(frozen=True)
class RednessModelOptions:
    """How to build a :class:`RednessModel` (one thread: phone-class CPUs have few)."""

    model_path: str | None = None
    threads: int = 1


class RednessModel:
    """An onnxruntime session over ``redness.onnx``, built once; ``run`` is thread-safe."""

    def __init__(self, options: RednessModelOptions | None = None):
        from models.registry import open_session

        self.options = options or RednessModelOptions()
        self.session, self.path, self.sha256 = open_session(
            "redness", self.options.model_path, threads=self.options.threads
        )
        self.outputs = [o.name for o in self.session.get_outputs()]
        self._lock = threading.Lock()

    def run(self, rgb_lin, skin) -> dict[str, np.ndarray]:
        """Infer on one crop: (H, W, 3) linear RGB and (H, W) mask, H, W multiples of 16.

        Raises ``ValueError`` for a wrong shape or dtype (before onnxruntime sees it).
        """
        rgb_lin = np.asarray(rgb_lin)
        skin = np.asarray(skin)
        if rgb_lin.ndim != 3 or rgb_lin.shape[2] != 3 or skin.shape != rgb_lin.shape[:2]:
            raise ValueError(f"expected rgb_lin (H, W, 3) and skin (H, W); got {rgb_lin.shape} "
                             f"and {skin.shape}")  # fmt: skip
        if rgb_lin.dtype != np.float32:
            raise ValueError(f"expected float32 linear RGB; got {rgb_lin.dtype}")
        h, w = skin.shape
        if h % INPUT_MULTIPLE or w % INPUT_MULTIPLE:
            raise ValueError(f"expected H and W multiples of {INPUT_MULTIPLE}; got {h}x{w}")
        feeds = {"rgb_lin": np.ascontiguousarray(rgb_lin.transpose(2, 0, 1)[None]),
                 "skin": np.asarray(skin, np.float32)[None, None]}  # fmt: skip
        with self._lock:
            out = self.session.run(None, feeds)
        return {name: o[0, 0] for name, o in zip(self.outputs, out, strict=True)}


@cache
def default_model() -> RednessModel:
    """The process's shared model (the verified committed file, one thread)."""
    return RednessModel()


def _to_model_scale(rgb_lin, skin, face_width):
    s = FACE_WIDTH / max(float(face_width), 1.0)
    h, w = skin.shape
    hh, ww = max(INPUT_MULTIPLE, round(h * s)), max(INPUT_MULTIPLE, round(w * s))
    small = cv2.resize(rgb_lin, (ww, hh), interpolation=cv2.INTER_AREA if s < 1 else
                       cv2.INTER_LINEAR)  # fmt: skip
    m = cv2.resize(skin.astype(np.float32), (ww, hh), interpolation=cv2.INTER_AREA) >= 0.5
    ph, pw = (-hh) % INPUT_MULTIPLE, (-ww) % INPUT_MULTIPLE
    small = np.pad(small, ((0, ph), (0, pw), (0, 0)), mode="edge")
    m = np.pad(m, ((0, ph), (0, pw)))
    return small.astype(np.float32), m, (hh, ww)


def redness_map_onnx(model: RednessModel, rgb_lin, *, skin_mask, zone_masks=None,
                     face_width=None, high=None, low=None):  # fmt: skip
    """:func:`vision.redness.redness_map` through the ONNX model (method ``tsumura``).

    Examples
    --------
    The red disc of :func:`vision.redness.redness_map`'s example, through the model and
    through NumPy:

    >>> from vision.redness import pigment_vectors, redness_map
    >>> rng = np.random.default_rng(0)
    >>> od = rng.normal(0.0, 0.02, (200, 200, 3))
    >>> yy, xx = np.mgrid[:200, :200]
    >>> od[..., 1] += 0.3 * (np.hypot(yy - 100, xx - 100) < 15)
    >>> basis = np.stack([*pigment_vectors(), np.ones(3)])
    >>> rgb_lin = (np.array([0.45, 0.25, 0.18]) * np.exp(-od @ basis)).astype(np.float32)
    >>> skin = np.ones((200, 200), bool)
    >>> onnx = redness_map_onnx(default_model(), rgb_lin, skin_mask=skin, face_width=200.0)
    >>> reference = redness_map(rgb_lin, skin_mask=skin, face_width=200.0)
    >>> overlap = (onnx.mask & reference.mask).sum() / (onnx.mask | reference.mask).sum()
    >>> bool(onnx.mask[100, 100]), round(float(overlap), 2)
    (True, 0.99)
    """
    from vision.redness import (
        DETECT_THRESHOLD,
        LOW_THRESHOLD,
        RednessResult,
        detection_limit,
        flag_excess,
        shaded_skin,
        typical_skin,
        unite_scales,
        zone_figures,
    )

    skin_mask = np.asarray(skin_mask, bool)
    if face_width is None:
        face_width = float(np.ptp(np.nonzero(skin_mask)[1]))
    small, m, (hh, ww) = _to_model_scale(np.asarray(rgb_lin, np.float32), skin_mask, face_width)
    first = model.run(small, m)
    keep = typical_skin(m, first["melanin_fine"], first["shading_fine"])
    maps = model.run(small, keep)
    # the maps back at the caller's scale first, then standardised and cut there: the outline
    # follows the smooth map, not the model's coarser pixel grid (its face is 128 px wide)
    h, w = skin_mask.shape

    def up(a):
        return cv2.resize(np.ascontiguousarray(a[:hh, :ww]), (w, h), interpolation=cv2.INTER_LINEAR)

    high = DETECT_THRESHOLD if high is None else high
    low = LOW_THRESHOLD if low is None else low
    region = (up(keep.astype(np.float32)) >= 0.5) & skin_mask
    excess, mask, baseline, spread, detect_spread = flag_excess(
        up(maps["band_fine"]), region, high=high, low=low, od_units=True,
        detect=up(maps["band_detect"]),
    )  # fmt: skip
    # the large scales are flagged at the model's scale, where their maps are as smooth, and
    # the regions brought back: flagged at the caller's scale they made this whole function
    # 1.5-1.8x slower (faces 364 and 728 px wide), here 1.03-1.10x
    model_region = keep[:hh, :ww]
    grid_h, grid_w = keep.shape

    def from_pool(a):  # a POOL-grid map at the model's scale, cropped like the maps
        return cv2.resize(a, (grid_w, grid_h), interpolation=cv2.INTER_LINEAR)[:hh, :ww]

    fine_l = maps["band_fine"][:hh, :ww] + from_pool(maps["large_shift"])
    detect_l = from_pool(maps["band_detect_large"])
    excess_l, mask_l, *_ = flag_excess(
        np.where(model_region, fine_l, 0), model_region, high=high, low=low, od_units=True,
        detect=np.where(model_region, detect_l, 0),
    )  # fmt: skip
    if mask_l.any():
        excess, mask = unite_scales(excess, mask, up(excess_l),
                                    (up(mask_l.astype(np.float32)) >= 0.5) & region)  # fmt: skip
    # folds and shadows, found on the model's grid as the NumPy path finds them at its scale
    shaded = shaded_skin(maps["shading_fine"], keep, FACE_WIDTH)
    shaded = (up(shaded.astype(np.float32)) >= 0.5) & region
    zones = zone_figures(excess, mask, region, zone_masks, shaded)
    limit = detection_limit(detect_spread, region, rgb_lin, high=high)
    return RednessResult(excess, mask, zones, "tsumura-onnx", baseline, spread, limit, shaded)
