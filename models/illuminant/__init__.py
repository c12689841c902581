"""The chart-free colour model (``illuminant.onnx``): preprocess / infer / postprocess.

Input: the mean linear sRGB of the face's skin, lips, sclera and (when visible) teeth
(``vision/chartfree.py`` finds them), and optionally a swatch's colour; output: the photo's
white (ln R/G, ln B/G, ln Y), the lips' CIELAB under D65 and the swatch's, each with the
model's validated expanded uncertainty (its metadata ``u_de00`` and ``u_swatch_de00``: the
error that covers 90 % of simulated scenes with a held-out camera with 95 % confidence,
because a shopper's phone is not the training camera; ``train.expanded_u``).
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
    "swatch_lab",
    "typical_swatch_rgb",
    "white_corrected_lab",
]

MODEL_PATH = Path(__file__).resolve().parent / "illuminant.onnx"


@dataclass(frozen=True)
class ChartFreePrediction:
    lips_lab: np.ndarray
    white: np.ndarray
    expanded_u: float
    model_sha256: str
    #: CIELAB (D65) of the swatch given to :meth:`IlluminantModel.predict`, else None
    swatch_lab: np.ndarray | None = None


class IlluminantModel:
    """An onnxruntime session over ``illuminant.onnx`` (one thread), built once."""

    def __init__(self, model_path: str | None = None):
        from models.registry import open_session

        self.session, self.path, self.sha256 = open_session("illuminant", model_path)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.expanded_u = float(meta["u_de00"])
        #: U of a swatch beside the face, and the white route's share in its estimate
        self.swatch_u = float(meta["u_swatch_de00"])
        self.swatch_weight = float(meta["swatch_white_weight"])
        self._lock = threading.Lock()

    def predict(self, region_rgb: dict, swatch_rgb=None) -> ChartFreePrediction:
        """From the regions' mean linear sRGB (skin, lips, sclera, optional teeth) and, for
        a swatch beside the face, its typical linear sRGB (3,) (:func:`typical_swatch_rgb`)."""
        from models.illuminant.train import colour_features, features

        missing = {"skin", "lips", "sclera"} - set(region_rgb)
        if missing:
            raise ValueError(f"expected the mean colours of skin, lips and sclera; missing "
                             f"{sorted(missing)}")  # fmt: skip
        x = features(region_rgb)[None].astype(np.float32)
        # without a swatch the lips stand in for it (its output is not used)
        swatch = colour_features(region_rgb["lips"] if swatch_rgb is None else swatch_rgb)
        with self._lock:
            white, lab, by_net = self.session.run(None, {"features": x, "swatch": swatch[None]})
        white = white[0].astype(np.float64)
        swatch_lab_d65 = None
        if swatch_rgb is not None:
            by_white = white_corrected_lab(swatch_rgb, white)
            swatch_lab_d65 = swatch_lab(by_white, by_net[0].astype(np.float64), self.swatch_weight)
        return ChartFreePrediction(lab[0].astype(np.float64), white, self.expanded_u,
                                   self.sha256, swatch_lab_d65)  # fmt: skip


def _white_rgb(white) -> np.ndarray:
    """The linear sRGB (3,) of the white ln(R/G), ln(B/G), ln Y."""
    from calibration.colorimetry import LUMINANCE

    rg, bg, ly = (float(v) for v in white)
    w = np.array([np.exp(rg), 1.0, np.exp(bg)])
    return w * np.exp(ly) / float(w @ LUMINANCE)


def white_corrected_lab(rgb_lin, white) -> np.ndarray:
    """CIELAB (D65) of linear sRGB colours (..., 3) divided by the predicted white."""
    from calibration.colorimetry import rgb_lin_to_xyz, xyz_to_lab

    return xyz_to_lab(rgb_lin_to_xyz(np.asarray(rgb_lin, np.float64) / _white_rgb(white)))


def typical_swatch_rgb(rgb_lin, white) -> np.ndarray:
    """One linear sRGB (3,) for a swatch's pixels (N, 3): their median in CIELAB once divided
    by the white (a median in Lab, not a mean in RGB), brought back to the photo's RGB."""
    from calibration.colorimetry import lab_to_xyz, xyz_to_rgb_lin

    lab = np.median(white_corrected_lab(rgb_lin, white), axis=0)
    return xyz_to_rgb_lin(lab_to_xyz(lab)) * _white_rgb(white)


def swatch_lab(by_white, by_network, weight: float) -> np.ndarray:
    """A swatch's CIELAB from its two routes: divided by the white (share ``weight``) and
    from the swatch network (the rest); (..., 3) each."""
    return weight * np.asarray(by_white) + (1.0 - weight) * np.asarray(by_network)


@cache
def default_model() -> IlluminantModel:
    return IlluminantModel()
