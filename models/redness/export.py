"""Build ``redness.onnx`` from the constants of ``vision/redness.py`` (no training involved).

Run ``python -m models.redness.export`` (``make setup`` does when the file is missing or older
than its sources). Opset :data:`OPSET`; inputs ``rgb_lin`` (N, 3, H, W) float32 linear sRGB
and ``skin`` (N, 1, H, W) float32 mask, H and W multiples of
:data:`models.redness.reference.INPUT_MULTIPLE`, the face
:data:`models.redness.reference.FACE_WIDTH` pixels wide; outputs named as in
:func:`models.redness.reference.redness_maps` (two of them, :data:`POOLED_OUTPUTS`, on the
grid pooled by POOL).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.redness.reference import (
    DEN_FLOOR,
    DETECT_POOL,
    FACE_WIDTH,
    INPUT_MULTIPLE,
    POOL,
    WIDE_POOL,
    kernels,
    unmixing_matrix,
)
from vision.redness import (
    BACKGROUND_FRACTION,
    DETECT_FRACTION,
    LARGE_BACKGROUND_FRACTION,
    LARGE_DETECT_FRACTION,
    OD_FLOOR,
    SMOOTH_FRACTION,
    pigment_vectors,
)

__all__ = ["MODEL_VERSION", "OPSET", "OUTPUTS", "POOLED_OUTPUTS", "build", "main"]

OPSET = 17
MODEL_VERSION = 2
OUTPUTS = ("haemoglobin", "melanin", "shading", "band_fine", "band_detect", "melanin_fine",
           "shading_fine", "large_shift", "band_detect_large")  # fmt: skip
#: Outputs left on the POOL grid, (N, 1, H / POOL, W / POOL).
POOLED_OUTPUTS = ("large_shift", "band_detect_large")
DEFAULT_PATH = Path(__file__).resolve().parent / "redness.onnx"


def _const(name, array):
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def _blur_nodes(prefix, src, channels, kernel, nodes, inits):
    """Separable Gaussian of every channel of ``src`` (grouped Conv, zero padding)."""
    k = np.asarray(kernel, np.float32)
    r = len(k) // 2
    inits.append(_const(f"{prefix}_wh", np.tile(k.reshape(1, 1, 1, -1), (channels, 1, 1, 1))))
    inits.append(_const(f"{prefix}_wv", np.tile(k.reshape(1, 1, -1, 1), (channels, 1, 1, 1))))
    nodes.append(helper.make_node("Conv", [src, f"{prefix}_wh"], [f"{prefix}_h"], group=channels,
                                  pads=[0, r, 0, r]))  # fmt: skip
    nodes.append(helper.make_node("Conv", [f"{prefix}_h", f"{prefix}_wv"], [f"{prefix}_hv"],
                                  group=channels, pads=[r, 0, r, 0]))  # fmt: skip
    return f"{prefix}_hv"


def _ratio_nodes(src, out):
    """``out`` = numerator ÷ floored denominator of a blurred (numerator, denominator) pair:
    the normalised convolution's last step."""
    n = helper.make_node
    return [n("Split", [src], [f"{out}_num", f"{out}_den"], axis=1),
            n("Max", [f"{out}_den", "den_floor"], [f"{out}_den_c"]),
            n("Div", [f"{out}_num", f"{out}_den_c"], [out])]  # fmt: skip


def _upsample_node(src, scales, out):
    """Bilinear upsampling by the factors in ``scales`` (half-pixel centres, edges clamped)."""
    return helper.make_node("Resize", [src, "", scales], [out], mode="linear",
                            coordinate_transformation_mode="half_pixel")  # fmt: skip


def build() -> onnx.ModelProto:
    k = kernels()
    nodes, inits = [], []
    inits += [_const("od_floor", OD_FLOOR), _const("den_floor", DEN_FLOOR),
              _const("unmix", unmixing_matrix().reshape(3, 3, 1, 1)),
              _const("scales", [1.0, 1.0, float(POOL), float(POOL)]),
              _const("scales_detect", [1.0, 1.0] + [float(DETECT_POOL)] * 2)]  # fmt: skip
    n = helper.make_node
    nodes += [
        n("Max", ["rgb_lin", "od_floor"], ["clipped"]),
        n("Log", ["clipped"], ["log_rgb"]),
        n("Neg", ["log_rgb"], ["od"]),
        n("Conv", ["od", "unmix"], ["comps"]),
        n("Split", ["comps"], ["melanin", "haemoglobin", "shading"], axis=1, num_outputs=3)
        if OPSET >= 18 else n("Split", ["comps"], ["melanin", "haemoglobin", "shading"], axis=1),
        n("Mul", ["haemoglobin", "skin"], ["hb_m"]),
        n("Mul", ["melanin", "skin"], ["mel_m"]),
        n("Mul", ["shading", "skin"], ["sh_m"]),
        n("Concat", ["hb_m", "mel_m", "sh_m", "skin"], ["fine_in"], axis=1),
    ]  # fmt: skip
    fine = _blur_nodes("fine", "fine_in", 4, k["fine"], nodes, inits)
    nodes += [
        n("Split", [fine], ["f_hb", "f_mel", "f_sh", "f_den"], axis=1),
        n("Max", ["f_den", "den_floor"], ["f_den_c"]),
        n("Div", ["f_hb", "f_den_c"], ["fine_hb"]),
        n("Div", ["f_mel", "f_den_c"], ["melanin_fine"]),
        n("Div", ["f_sh", "f_den_c"], ["shading_fine"]),
        n("Concat", ["hb_m", "skin"], ["detect_in"], axis=1),
        n("AveragePool", ["detect_in"], ["detect_pooled"], kernel_shape=[DETECT_POOL] * 2,
          strides=[DETECT_POOL] * 2),
    ]  # fmt: skip
    detect = _blur_nodes("detect", "detect_pooled", 2, k["detect"], nodes, inits)
    nodes += [
        _upsample_node(detect, "scales_detect", "detect_up"),
        *_ratio_nodes("detect_up", "coarse_hb"),
        n("Mul", ["fine_hb", "skin"], ["fine_m"]),
        n("Concat", ["fine_m", "skin"], ["local_in"], axis=1),
        n("AveragePool", ["local_in"], ["pooled"], kernel_shape=[POOL, POOL],
          strides=[POOL, POOL]),
    ]  # fmt: skip
    local = _blur_nodes("local", "pooled", 2, k["background"], nodes, inits)
    nodes += [
        _upsample_node(local, "scales", "local_up"),
        *_ratio_nodes("local_up", "local"),
        n("Sub", ["fine_hb", "local"], ["band_fine_raw"]),
        n("Mul", ["band_fine_raw", "skin"], ["band_fine"]),
        n("Sub", ["coarse_hb", "local"], ["band_detect_raw"]),
        n("Mul", ["band_detect_raw", "skin"], ["band_detect"]),
        # the large scales, on the POOL grid: the local level there, a wider one, and the
        # haemoglobin at the large detection scale (pooled 4× = the 2× pooled, pooled again)
        *_ratio_nodes(local, "local_p"),
        n("AveragePool", ["detect_pooled"], ["hb_pooled"], kernel_shape=[POOL // DETECT_POOL] * 2,
          strides=[POOL // DETECT_POOL] * 2),
    ]  # fmt: skip
    f = WIDE_POOL // POOL
    inits.append(_const("scales_wide", [1.0, 1.0, float(f), float(f)]))
    nodes.append(n("AveragePool", ["pooled"], ["wide_pooled"], kernel_shape=[f, f], strides=[f, f]))
    wide = _blur_nodes("large_background", "wide_pooled", 2, k["large_background"], nodes, inits)
    wide_detect = _blur_nodes("large_detect", "hb_pooled", 2, k["large_detect"], nodes, inits)
    nodes += [
        _upsample_node(wide, "scales_wide", "wide_up"),
        *_ratio_nodes("wide_up", "local_large"),
        *_ratio_nodes(wide_detect, "coarse_large"),
        n("Sub", ["local_p", "local_large"], ["large_shift"]),
        n("Sub", ["coarse_large", "local_large"], ["band_detect_large"]),
    ]  # fmt: skip
    one = ["N", 1, "H", "W"]
    inputs = [helper.make_tensor_value_info("rgb_lin", TensorProto.FLOAT, ["N", 3, "H", "W"]),
              helper.make_tensor_value_info("skin", TensorProto.FLOAT, one)]  # fmt: skip
    pooled = ["N", 1, "H_pooled", "W_pooled"]
    outputs = [helper.make_tensor_value_info(o, TensorProto.FLOAT,
                                             pooled if o in POOLED_OUTPUTS else one)
               for o in OUTPUTS]  # fmt: skip
    graph = helper.make_graph(nodes, "hueproof_redness", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="hueproof models/redness/export.py",
                              model_version=MODEL_VERSION)  # fmt: skip
    model.ir_version = 8  # readable by onnxruntime-web as well as the Python runtime
    v_mel, v_hb = pigment_vectors()
    meta = {
        "name": "redness",
        "version": str(MODEL_VERSION),
        "face_width_px": str(FACE_WIDTH),
        "pool": str(POOL),
        "detect_pool": str(DETECT_POOL),
        "wide_pool": str(WIDE_POOL),
        "input_multiple": str(INPUT_MULTIPLE),
        "constants_source": "vision/redness.py (two-layer skin model: Jacques 1998, 2013; "
        "Prahl 1999 haemoglobin extinction; Tsumura et al. 2003 separation)",
        "melanin_od_direction": json.dumps([round(float(v), 8) for v in v_mel]),
        "haemoglobin_od_direction": json.dumps([round(float(v), 8) for v in v_hb]),
        "od_floor": str(OD_FLOOR),
        "smooth_fraction": str(SMOOTH_FRACTION),
        "detect_fraction": str(DETECT_FRACTION),
        "background_fraction": str(BACKGROUND_FRACTION),
        "large_detect_fraction": str(LARGE_DETECT_FRACTION),
        "large_background_fraction": str(LARGE_BACKGROUND_FRACTION),
    }
    for key, value in meta.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    model.doc_string = __doc__
    onnx.checker.check_model(model)
    return model


def main(argv=None) -> Path:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default=str(DEFAULT_PATH))
    args = p.parse_args(argv)
    out = Path(args.out)
    out.write_bytes(build().SerializeToString())
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return out


if __name__ == "__main__":
    main()
