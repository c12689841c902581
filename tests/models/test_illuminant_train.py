"""models/illuminant/train.py: the simulation is self-consistent and the network learns."""

from __future__ import annotations

import numpy as np

from models.illuminant import train as T


def test_features_and_the_oracle_white():
    rng = np.random.default_rng(0)
    samples = T.simulate(20, ["D65", "A", "FL2"], [T.TRAIN_CAMERA], rng)
    for s in samples:
        assert s.features.shape == (len(T.FEATURES),) and np.isfinite(s.features).all()
        assert T.angular_error(s.white, s.white) < 1e-3
    # under D65 with a near-perfect white balance the photographed white is nearly neutral
    d65 = [s for s in samples if s.illuminant == "D65"]
    assert all(abs(s.white[0]) < 0.25 and abs(s.white[1]) < 0.25 for s in d65)


def test_the_network_beats_grey_world_on_held_out_illuminants(tmp_path):
    rng = np.random.default_rng(1)
    train_ill = [n for n in T._illuminants() if n not in T.HELD_OUT_ILLUMINANTS]
    net = T.fit(T.simulate(800, train_ill, [T.TRAIN_CAMERA], rng), rng)
    test = T.simulate(100, list(T.HELD_OUT_ILLUMINANTS), [T.TRAIN_CAMERA], rng)
    res = T.evaluate(net, test)
    assert res["model"]["angular_median"] < 3.0
    assert res["model"]["angular_median"] < res["grey_world"]["angular_median"] / 3
    path = tmp_path / "ill.onnx"
    T.export_onnx(net, path, {"name": "illuminant"})
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.stack([s.features for s in test[:5]]).astype(np.float32)
    np.testing.assert_allclose(sess.run(None, {"features": x})[0], net.predict(x), atol=1e-4)
