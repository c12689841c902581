"""models/illuminant/train.py: the simulation is self-consistent and the network learns."""

from __future__ import annotations

import numpy as np

from models.illuminant import train as T


def test_features_and_the_oracle_white():
    rng = np.random.default_rng(0)
    samples = T.simulate(60, ["D65", "A", "FL2"], [T.TRAIN_CAMERA], rng)
    for s in samples:
        assert s.features.shape == (len(T.FEATURES),) and np.isfinite(s.features).all()
        assert T.angular_error(s.white, s.white) < 1e-3
    # the simulated auto white balance is right on average: the white is neutral on average
    whites = np.stack([s.white[:2] for s in samples])
    assert np.abs(whites.mean(axis=0)).max() < 0.1 and whites.std(axis=0).max() < 0.3


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
    white, lab = sess.run(None, {"features": x})
    np.testing.assert_allclose(np.c_[white, lab], net.predict(x), atol=1e-3)


def test_the_swatch_network_and_an_ensemble_export_beside_each_other(tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(2)
    train_ill = [n for n in T._illuminants() if n not in T.HELD_OUT_ILLUMINANTS]
    scenes = T.simulate(600, train_ill, [T.TRAIN_CAMERA], rng, swatch_rng=rng)
    assert {s.swatch_family for s in scenes} == {"lipstick", "foundation", "colour sample"}
    net, swatch_net = T.fit(scenes, rng, members=2), T.fit_swatch(scenes, rng)
    assert isinstance(net, T.Ensemble) and len(net.members) == 2
    test = T.simulate(100, list(T.HELD_OUT_ILLUMINANTS), [T.TRAIN_CAMERA], rng,
                      swatch_rng=rng, held_out_swatches=True)  # fmt: skip
    assert "ColorChecker" in {s.swatch_family for s in test}
    res = T.evaluate(net, test, swatch_net, 0.5)["model"]
    assert res["swatch_net_de00_median"] < 8.0  # learned: 5.4 here, untrained 14.7
    assert T.choose_swatch_weight([T.evaluate(net, test, swatch_net)]) in T.SWATCH_WEIGHTS
    path = tmp_path / "ill.onnx"
    T.export_onnx(net, path, {"name": "illuminant"}, swatch_net)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = T.swatch_inputs(test[:5]).astype(np.float32)
    white, lips, swatch = sess.run(None, {"features": x[:, :12], "swatch": x[:, 12:]})
    np.testing.assert_allclose(np.c_[white, lips], net.predict(x[:, :12]), atol=1e-3)
    np.testing.assert_allclose(swatch, swatch_net.predict(x), atol=1e-3)


def test_the_database_camera_is_a_plausible_camera_kept_out_of_training():
    name = T.database_camera()
    sens, _ = T._camera(name)
    lam = T.wavelengths()
    assert sens.shape == (len(lam), 3) and (sens >= 0).all()
    peaks = lam[sens.argmax(axis=0)]
    assert peaks[0] > peaks[1] > peaks[2]  # red, green, blue in that order
    assert name not in (T.TRAIN_CAMERA, T.HELD_OUT_CAMERA, *T.random_cameras())
    # its phone matrix, after the simulated auto white balance, renders a white neutral
    scenes = T.simulate(40, ["D65", "A"], [name], np.random.default_rng(3))
    assert all(np.isfinite(s.features).all() for s in scenes)
    assert np.abs(np.mean([s.white[:2] for s in scenes], axis=0)).max() < 0.1


def test_span_residual_separates_a_bayer_camera_from_the_foveon():
    """The projection on the camera database's principal components: the Nikon's curves lie
    inside that span, the Sigma (Foveon) sensor's well outside it."""
    assert T.span_residual(T._camera(T.TRAIN_CAMERA)[0]).max() < 0.05
    assert T.span_residual(T._camera(T.HELD_OUT_CAMERA)[0]).min() > 0.15
    assert T.span_residual(T._camera(T.database_camera())[0]).max() < 1e-6
