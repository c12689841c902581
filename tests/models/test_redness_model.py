"""models/redness: the ONNX graph against its NumPy reference, shapes, errors, the registry."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

import cli
from models.redness import MODEL_PATH, RednessModel, redness_map_onnx
from models.redness.export import OUTPUTS, POOLED_OUTPUTS, build
from models.redness.reference import POOL, redness_maps
from models.registry import MODELS, ModelVerificationError, verify
from vision.testset import add_erythema, astronaut_face, zone_centre


@pytest.fixture(scope="module")
def model():
    return RednessModel()


def _crop(scale, size):
    img = astronaut_face(scale)
    h, w = size
    img = img[:h, :w]
    m = np.zeros(img.shape[:2], np.float32)
    m[h // 6 : 5 * h // 6, w // 6 : 5 * w // 6] = 1
    return np.ascontiguousarray(img), m


@pytest.mark.parametrize("size", [(160, 128), (256, 256), (512, 512)])
def test_onnx_matches_the_numpy_reference(model, size):
    img, m = _crop(3.0, size)
    ref = redness_maps(img, m)
    out = model.run(img, m)
    assert set(out) == set(OUTPUTS)
    for name in OUTPUTS:
        shape = tuple(n // POOL for n in size) if name in POOLED_OUTPUTS else size
        assert out[name].shape == shape and out[name].dtype == np.float32
        np.testing.assert_allclose(out[name], ref[name], atol=1e-4, err_msg=name)


def test_bad_inputs_are_refused_with_a_clear_message(model):
    img, m = _crop(2.5, (128, 128))
    with pytest.raises(ValueError, match="float32"):
        model.run(img.astype(np.float64), m)
    with pytest.raises(ValueError, match=r"expected rgb_lin \(H, W, 3\)"):
        model.run(img[..., :2], m)
    with pytest.raises(ValueError, match="multiples of 16"):
        model.run(img[:126], m[:126])


def test_the_committed_file_is_the_export_of_the_current_constants():
    committed = onnx.load(str(MODEL_PATH))
    fresh = build()
    assert [n.op_type for n in committed.graph.node] == [n.op_type for n in fresh.graph.node]
    a = {t.name: onnx.numpy_helper.to_array(t) for t in committed.graph.initializer}
    b = {t.name: onnx.numpy_helper.to_array(t) for t in fresh.graph.initializer}
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(a[k], b[k], atol=1e-6, err_msg=k)
    meta = {p.key: p.value for p in committed.metadata_props}
    assert meta["name"] == "redness" and "vision/redness.py" in meta["constants_source"]
    assert committed.opset_import[0].version == 17


def test_registry_refuses_a_file_whose_checksum_differs(tmp_path):
    assert verify("redness") == MODEL_PATH
    bad = tmp_path / "redness.onnx"
    data = bytearray(MODEL_PATH.read_bytes())
    data[-1] ^= 1
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelVerificationError, match="expected"):
        verify("redness", bad)
    with pytest.raises(ModelVerificationError, match="no file"):
        verify("redness", tmp_path / "missing.onnx")
    with pytest.raises(ValueError, match="unknown model"):
        verify("nope")


def test_models_cli(capsys):
    assert cli.main(["models", "list", "--json"]) == 0
    assert '"redness"' in capsys.readouterr().out
    assert cli.main(["models", "verify"]) == 0
    out = capsys.readouterr().out
    assert "redness" in out and "ok" in out
    assert set(MODELS) >= {"redness", "face_landmarker", "face_detector", "illuminant"}


def test_onnx_redness_finds_a_patch_like_the_numpy_path(model, landmarker):
    from vision.redness import redness_map
    from vision.regions import region_masks

    img = astronaut_face(3.0)
    (face,) = landmarker.detect(img)
    masks = region_masks(face.points, img.shape[:2])
    red, er = add_erythema(img, centre=zone_centre(masks["left_cheek"]), radius=0.06 * face.width,
                           strength=0.6, skin_mask=masks["skin"])  # fmt: skip
    for r in (redness_map_onnx(model, red, skin_mask=masks["skin"], face_width=face.width),
              redness_map(red, skin_mask=masks["skin"], face_width=face.width)):  # fmt: skip
        iou = (r.mask & er.truth).sum() / max(1, (r.mask | er.truth).sum())
        assert iou > 0.6, r.method
    clean = redness_map_onnx(model, img, skin_mask=masks["skin"], face_width=face.width)
    assert clean.mask.sum() <= 0.005 * masks["skin"].sum()
