"""The chart-free colour model (``illuminant.onnx``): preprocess / infer / postprocess.

Input: the mean linear sRGB of the face's skin, lips, sclera and (when visible) teeth
(``vision/chartfree.py`` finds them); output: the photo's white (ln R/G, ln B/G, ln Y) and
the lips' CIELAB under D65 with the model's validated expanded uncertainty (its metadata
``u_de00``: the 90th percentile of the lips' error on simulated scenes with a held-out
camera, because a shopper's phone is not the training camera).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

__all__ = [
    "MODEL_PATH",
    "ChartFreePrediction",
    "IlluminantModel",
    "default_model",
    "white_corrected_lab",
]

MODEL_PATH = Path(__file__).resolve().parent / "illuminant.onnx"


@dataclass(frozen=True)
class ChartFreePrediction:
    lips_lab: np.ndarray
    white: np.ndarray
    expanded_u: float
    model_sha256: str


class IlluminantModel:
    """An onnxruntime session over ``illuminant.onnx`` (one thread), built once."""

    def __init__(self, model_path: str | None = None):
        from models.registry import open_session

        self.session, self.path, self.sha256 = open_session("illuminant", model_path)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.expanded_u = float(meta["u_de00"])
        #: U of another colour in the photo divided by the predicted white (a swatch)
        self.swatch_u = float(meta["u_swatch_de00"])
        self._lock = threading.Lock()

    def predict(self, region_rgb: dict) -> ChartFreePrediction:
        """From the regions' mean linear sRGB (skin, lips, sclera, optional teeth)."""
        from models.illuminant.train import features

        missing = {"skin", "lips", "sclera"} - set(region_rgb)
        if missing:
            raise ValueError(f"expected the mean colours of skin, lips and sclera; missing "
                             f"{sorted(missing)}")  # fmt: skip
        x = features(region_rgb)[None].astype(np.float32)
        with self._lock:
            white, lab = self.session.run(None, {"features": x})
        return ChartFreePrediction(lab[0].astype(np.float64), white[0].astype(np.float64),
                                   self.expanded_u, self.sha256)  # fmt: skip


def white_corrected_lab(rgb_lin, white) -> np.ndarray:
    """CIELAB (D65) of linear sRGB colours (..., 3) divided by the predicted white."""
    from calibration.colorimetry import LUMINANCE, rgb_lin_to_xyz, xyz_to_lab

    rg, bg, ly = (float(v) for v in white)
    w = np.array([np.exp(rg), 1.0, np.exp(bg)])
    w = w * np.exp(ly) / float(w @ LUMINANCE)
    return xyz_to_lab(rgb_lin_to_xyz(np.asarray(rgb_lin, np.float64) / w))


@cache
def default_model() -> IlluminantModel:
    return IlluminantModel()
