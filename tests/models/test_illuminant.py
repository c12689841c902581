"""models/illuminant: the committed chart-free colour model, its registry entry and its use."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from calibration.colorimetry import delta_e00
from models.illuminant import MODEL_PATH, default_model
from models.illuminant import train as T
from models.registry import verify


def test_committed_model_is_registered_and_meets_the_held_out_lips_target():
    assert verify("illuminant") == MODEL_PATH
    model = default_model()
    assert 0 < model.expanded_u < 50
    rng = np.random.default_rng(99)
    scenes = T.simulate(150, list(T.HELD_OUT_ILLUMINANTS), [T.TRAIN_CAMERA], rng)
    de, ang = [], []
    for s in scenes:
        p = model.predict(s.region_rgb)
        de.append(delta_e00(s.lips_lab_d65, p.lips_lab))
        ang.append(T.angular_error(p.white, s.white))
    assert np.median(ang) <= 3.0 and np.median(de) <= 3.0
    assert np.mean(np.asarray(de) <= model.expanded_u) >= 0.9


def test_the_swatch_route_beats_dividing_by_the_white_on_held_out_swatches():
    """A swatch beside the face (colours never trained on: held-out colour samples, the
    ColorChecker's, new lipsticks and foundations): the swatch route (the white's division
    mixed with the swatch network) against the white's division alone, on a camera like the
    training one and on the held-out (Sigma) camera."""
    from models.illuminant import white_corrected_lab

    model = default_model()
    assert 0 <= model.swatch_weight <= 1 and 0 < model.swatch_u < 50
    train_ill = [n for n in T._illuminants() if n not in T.HELD_OUT_ILLUMINANTS]
    for illuminants, camera in ((T.HELD_OUT_ILLUMINANTS, T.TRAIN_CAMERA),
                                (train_ill, T.HELD_OUT_CAMERA)):  # fmt: skip
        rng = np.random.default_rng(5)
        scenes = T.simulate(150, list(illuminants), [camera], rng, swatch_rng=rng,
                            held_out_swatches=True)  # fmt: skip
        route, by_white = [], []
        for s in scenes:
            p = model.predict(s.region_rgb, s.swatch_rgb)
            route.append(delta_e00(s.swatch_lab_d65, p.swatch_lab))
            by_white.append(delta_e00(s.swatch_lab_d65, white_corrected_lab(s.swatch_rgb, p.white)))
        assert np.median(route) < np.median(by_white), camera
    assert model.predict(scenes[0].region_rgb).swatch_lab is None


def test_missing_regions_are_refused():
    with pytest.raises(ValueError, match="sclera"):
        default_model().predict({"skin": np.ones(3), "lips": np.ones(3)})


def test_face_regions_and_chart_free_measurement(landmarker):
    from calibration.simulate import product_lab
    from vision.chartfree import face_region_colours
    from vision.shade import face_shade
    from vision.testset import astronaut_face

    img = astronaut_face(3.0)
    (face,) = landmarker.detect(img)
    regions = face_region_colours(img, face)
    luma = {k: float(v @ [0.2126, 0.7152, 0.0722]) for k, v in regions.items()}
    assert luma["sclera"] > luma["skin"] and "teeth" in regions  # she smiles
    near, _ = face_shade(img, face=face, reference_lab=[62, 18, 11],
                         colour_model=default_model())  # fmt: skip
    assert near.colour_source == "chart-free model" and not near.calibrated
    assert near.to_dict()["uncertainty_de00"] == pytest.approx(default_model().expanded_u, 1e-3)
    assert near.verdict.verdict == "inconclusive"
    far, _ = face_shade(img, face=face, reference_lab=product_lab("deep plum"),
                        colour_model=default_model())  # fmt: skip
    assert far.verdict.verdict == "mismatch"
    plain, _ = face_shade(img, face=face, reference_lab=[62, 18, 11])
    assert plain.colour_source == "uncalibrated" and plain.verdict.verdict == "inconclusive"
    tiny = dataclasses.replace(face, points=face.points / 20)
    with pytest.raises(ValueError, match="too small"):
        face_region_colours(img[:40, :40], tiny)


def test_a_swatch_beside_a_face_gets_a_chart_free_reading(capsys, tmp_path):
    import json

    from PIL import Image

    import cli
    from calibration.colorimetry import rgb_lin_to_srgb_u8
    from vision.testset import astronaut_face

    img = rgb_lin_to_srgb_u8(astronaut_face(3.0)).copy()
    img[20:80, 20:100] = (150, 30, 50)  # a red swatch beside the face
    path = tmp_path / "swatch.jpg"
    Image.fromarray(img).save(path, quality=95)
    assert cli.main(["measure", str(path), "--roi", "30,30,60,40", "--reference-lab",
                     "35,55,20", "--json"]) == 0  # fmt: skip
    r = json.loads(capsys.readouterr().out)
    assert r["colour_source"] == "chart-free model" and r["chart_free"]["route"] == "swatch"
    assert "region_name" not in r  # the swatch was measured, not the lips (said before)
    assert r["uncertainty_de00"] == pytest.approx(default_model().swatch_u, abs=1e-3)
    assert r["verdict"] == "inconclusive"
    faceless = tmp_path / "plain.jpg"
    Image.fromarray(img[:100, :120]).save(faceless, quality=95)
    assert cli.main(["measure", str(faceless), "--roi", "30,30,60,40", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["colour_source"] == "uncalibrated" and r["uncertainty_de00"] is None


def test_a_large_face_is_measured_on_a_shrunk_copy(landmarker, monkeypatch):
    import vision.chartfree as C
    from vision.testset import astronaut_face

    img = astronaut_face(7.0)
    (face,) = landmarker.detect(img)
    assert face.width > C.MAX_FACE_WIDTH
    shrunk = C.face_region_colours(img, face)
    monkeypatch.setattr(C, "MAX_FACE_WIDTH", float("inf"))
    full = C.face_region_colours(img, face)
    assert shrunk.keys() == full.keys()
    for name in full:  # the means survive area-averaging (the sclera's brighter half least)
        assert np.allclose(shrunk[name], full[name], rtol=0.03), name
    a, b = default_model().predict(full), default_model().predict(shrunk)
    assert delta_e00(a.lips_lab, b.lips_lab) < 0.5


def test_expanded_u_covers_ninety_percent_of_new_errors_with_95_percent_confidence():
    """The U's guarantee, on errors whose quantile is known (exponential, 90 % under ln 10):
    of 400 calibration draws of 600 errors, the plain 90th percentile falls short on about
    half, ``expanded_u`` on at most about 5 %."""
    rng = np.random.default_rng(7)
    true_q90 = np.log(10.0)
    draws = rng.exponential(size=(400, 600))
    short_plain = np.mean([np.percentile(d, 90) < true_q90 for d in draws])
    short_u = np.mean([T.expanded_u(d) < true_q90 for d in draws])
    assert short_plain > 0.3
    assert short_u <= 0.08
    assert T.expanded_u(draws[0], confidence=0.5) <= T.expanded_u(draws[0])
    with pytest.raises(ValueError, match="cannot bound"):
        T.expanded_u(draws[0][:15])  # even the largest of 15 misses the 90 % quantile often


def test_the_committed_metadata_is_what_validating_its_networks_gives():
    """``train.py --revalidate`` on the committed file reproduces its U's and swatch weight:
    the service's uncertainty is what the code and the networks give, not a hand-set number
    (about 20 seconds: 11 800 simulated scenes)."""
    meta = default_model().session.get_modelmeta().custom_metadata_map
    _, fresh = T.validate(*T.load_onnx(MODEL_PATH), 600)
    for key in ("u_de00", "u_de00_known_camera", "u_swatch_de00", "swatch_white_weight",
                "version", "calibration_scenes", "validation_seed"):  # fmt: skip
        assert float(meta[key]) == pytest.approx(float(fresh[key]), abs=2e-3), key
