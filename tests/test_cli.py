"""The ``hueproof`` command as a user runs it (in-process, and once as a real subprocess)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cli
from calibration.simulate import random_scene, render_scene

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    ph = render_scene(random_scene(9001, illuminant="D65"))
    path = tmp_path_factory.mktemp("img") / "swatch.jpg"
    path.write_bytes(ph.jpeg)
    return path, ph


MEASURE_ROI = ["measure", "{img}", "--roi", "0,0,5,5"]
#: measure against a catalog shade (test_measure_against_a_catalog_shade)
MEASURE_SHADE = [*MEASURE_ROI, "--sku", "S", "--shade", "C"]


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_measure_json_contract(capsys, photo):
    path, ph = photo
    roi = ",".join(map(str, ph.roi))
    ref = ",".join(f"{v:.2f}" for v in ph.product_lab)
    code, out, err = _run(
        capsys, "measure", str(path), "--roi", roi, "--reference-lab", ref, "--json"
    )
    assert code == 0, err
    r = json.loads(out)
    assert r["chart"]["detected"] is True
    assert r["verdict"] in ("match", "inconclusive")
    assert r["reference_lab"] == pytest.approx(list(ph.product_lab), abs=0.01)
    assert r["uncertainty_de00"] > 0 and r["delta_e00"] <= r["uncertainty_de00"]
    assert r["image"]["format"] == "JPEG" and len(r["image"]["sha256"]) == 64
    assert r["algorithm_version"]


def test_measure_human_output(capsys, photo):
    path, ph = photo
    code, out, _ = _run(capsys, "measure", str(path), "--roi", ",".join(map(str, ph.roi)))
    assert code == 0
    assert out.startswith("Lab: ") and "Uncertainty U (k=2)" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["measure", "{img}", "--roi", "1,2,3"], "four numbers"),
        (["measure", "{img}", "--roi", "99999,0,10,10"], "inside the"),
        (["measure", "{img}"], "expected a face in the photo"),
        (["measure", "/nonexistent.jpg", "--roi", "0,0,1,1"], "readable image file"),
        (["measure", "{txt}", "--roi", "0,0,1,1"], "no decoder recognises"),
        (["analyze", "{img}", "--out", "{txt}"], "a directory to write into; got"),
        (["analyze", "{img}", "--out", "/proc/hueproof"], "a directory to write into; got"),
        (["simulate", "/proc/hueproof.jpg"], "a path to write the photo to"),
        (["simulate", "{tmp}/x.jpg", "--illuminant", "candle"], "unknown illuminant 'candle'"),
        (["simulate", "{tmp}/x.jpg", "--illuminant", "CCT 2000"], "from 4000 to 25000"),
        (["simulate", "{tmp}/x.jpg", "--camera", "Pixel"], "unknown camera 'Pixel'"),
        (["simulate", "{tmp}/x.jpg", "--size", "10,10"], "160 px or more a side"),
        (["verify", "/nonexistent.json"], "expected a readable report file"),
        (["verify", "{tmp}"], "expected a readable report file"),
        (["verify", "{img}"], "expected a JSON report"),
        (["verify", "{txt}"], "expected a JSON report"),
        (["reference", "--lab-csv", "/nonexistent.csv"], "expected a readable CSV file"),
        (["reference", "--spectral-csv", "{tmp}"], "expected a readable CSV file"),
        (["reference", "--lab-csv", "{img}"], "expected a CSV in UTF-8 text"),
        (["verify", "{json}", "--key", "/nonexistent.json"], "readable public key file"),
        (["verify", "{json}", "--key", "{txt}"], "expected a public key in"),
        (["verify", "{json}", "--key", "{json}"], "missing 'public_key'"),
        (["audit", "verify", "--data", "{tmp}/typo"], "holds no store"),
        (["purge", "--data", "{tmp}/typo"], "holds no store"),
        (["images", "strip-metadata", "--data", "{tmp}/typo"], "holds no store"),
        (["claims", "link", "--data", "{tmp}/typo"], "holds no store"),
        (["worker", "--once", "--data", "{tmp}/typo"], "holds no store"),
        ([*MEASURE_SHADE, "--data", "{tmp}/typo"], "holds no store"),
        (MEASURE_SHADE[:-2], "--sku and --shade together"),
        ([*MEASURE_ROI, "--region", "lips"], "not both"),
        ([*MEASURE_ROI, "--reference-lab", "50,0,0", "--reference-u", "-3"], "U as a finite"),
        ([*MEASURE_SHADE, "--reference-lab", "50,0,0"], "not both"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, photo, tmp_path, argv, message):
    txt = tmp_path / "notes.txt"
    txt.write_text("not an image")
    (tmp_path / "empty.json").write_text("{}")
    argv = [a.format(img=photo[0], txt=txt, tmp=tmp_path, json=tmp_path / "empty.json")
            for a in argv]  # fmt: skip
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert message in err and err.count("\n") == 1 and out == ""
    assert not (tmp_path / "typo").exists()  # a mistyped --data makes no new, empty store


def test_measure_against_a_catalog_shade(capsys, photo, tmp_path):
    """``--sku S --shade C`` (DESIGN.md's interface): the reference is the catalog shade's
    newest calibration, with its U and the shade's tolerance, named in the result; an
    unknown shade says so; ``--tolerance`` overrides the shade's."""
    from calibration.swatch import calibrate_from_lab_csv
    from claims.catalog import add_calibration, ensure_brand, upsert_sku
    from claims.db import open_store
    from claims.keys import KeyRing

    path, ph = photo
    data = tmp_path / "data"
    store = open_store(data)
    KeyRing(data / "keys")

    lab = ",".join(f"{v:.3f}" for v in ph.product_lab)
    with store.write() as s:
        brand = ensure_brand(s, "acme", "Acme")
        upsert_sku(s, brand, "LIP-1", name="Lip", ingredients=[])
        (record,) = calibrate_from_lab_csv(f"shade,L,a,b,illuminant,observer\nR1,{lab},D65,2\n"
                                           .encode())  # fmt: skip
        add_calibration(s, brand, sku="LIP-1", shade="R1", record=record, name="red",
                        tolerance=2.5)  # fmt: skip
    store.dispose()
    roi = ",".join(map(str, ph.roi))
    code, out, err = _run(capsys, "measure", str(path), "--roi", roi, "--sku", "LIP-1",
                          "--shade", "R1", "--data", str(data), "--json")  # fmt: skip
    assert code == 0, err
    r = json.loads(out)
    assert r["reference"]["version"] == 1 and r["reference"]["brand"] == "acme"
    assert r["reference_lab"] == pytest.approx(list(ph.product_lab), abs=0.01)
    assert r["tolerance"] == 2.5 and r["verdict"] in ("match", "inconclusive")
    assert r["uncertainty_budget"]["reference"] == pytest.approx(record.expanded_u / 2, abs=1e-3)
    code, out, err = _run(capsys, "measure", str(path), "--roi", roi, "--sku", "LIP-1",
                          "--shade", "R9", "--data", str(data))  # fmt: skip
    assert code == 2 and "no shade 'R9'" in err
    code, out, err = _run(capsys, "measure", str(path), "--roi", roi, "--sku", "LIP-1",
                          "--shade", "R1", "--data", str(data), "--tolerance", "9")  # fmt: skip
    assert code == 0 and "tolerance 9.0" in out


@pytest.mark.parametrize("argv, message", [
    (["measure", "{img}", "--roi", "0,0,5,5", "--reference-lab", "1,2"], "L,A,B"),
    (["measure", "{img}", "--roi", "0,0,5,5", "--reference-lab", "nan,0,0"], "L,A,B"),
    (["simulate", "x.jpg", "--size", "1,2,3"], "argument --size: expected W,H"),  # a traceback
    (["simulate", "x.jpg", "--size", "inf,200"], "argument --size: expected W,H"),  # before
    (["simulate", "x.jpg", "--seed", "-5"], "argument --seed: expected a whole number ≥ 0"),
])  # fmt: skip
def test_a_malformed_argument_is_an_argparse_error(capsys, photo, argv, message):
    with pytest.raises(SystemExit) as exc:
        cli.main([a.format(img=photo[0]) for a in argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_reference_from_lab_csv(capsys, tmp_path):
    csv = tmp_path / "spectro.csv"
    csv.write_text("shade,L,a,b,illuminant,observer\nR01,42,55,31,D50,2\n")
    code, out, _ = _run(capsys, "reference", "--lab-csv", str(csv), "--json")
    assert code == 0
    (rec,) = json.loads(out)["references"]
    assert rec["shade"] == "R01" and rec["source"] == "spectro-lab"


def test_simulate_then_measure_as_a_real_process(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "sim.jpg"
    sim = subprocess.run(
        [sys.executable, "-m", "cli", "simulate", str(out), "--seed", "3", "--json"],
        capture_output=True, text=True, env=env, cwd=ROOT, check=True,
    )  # fmt: skip
    info = json.loads(sim.stdout)
    res = subprocess.run(
        [sys.executable, "-m", "cli", "measure", str(out), "--roi", info["roi_arg"], "--json"],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["chart"]["detected"] is True


def test_measure_without_roi_reads_the_lips(capsys, tmp_path):
    from PIL import Image
    from skimage import data as skdata

    path = tmp_path / "selfie.png"
    Image.fromarray(skdata.astronaut()).save(path)
    code, out, err = _run(capsys, "measure", str(path), "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["face"]["landmarks"] == 478 and r["region_name"] == "lips"
    assert r["calibrated"] is False and r["lab"][1] > 10


def test_measure_without_roi_and_without_face_exits_2(capsys, tmp_path):
    from PIL import Image
    from skimage import data as skdata

    path = tmp_path / "coffee.png"
    Image.fromarray(skdata.coffee()).save(path)
    code, out, err = _run(capsys, "measure", str(path))
    assert code == 2 and "expected a face" in err and out == ""


def test_analyze_writes_the_mask_and_heatmaps(capsys, tmp_path):
    import numpy as np
    from PIL import Image

    from calibration.colorimetry import rgb_lin_to_srgb_u8
    from vision.landmarks import FaceLandmarker
    from vision.regions import region_masks
    from vision.testset import add_erythema, astronaut_face, second_photo, zone_centre

    img = astronaut_face(3.0)
    with FaceLandmarker() as lm:
        (face,) = lm.detect(img)
    masks = region_masks(face.points, img.shape[:2])
    red, er = add_erythema(img, centre=zone_centre(masks["right_cheek"]), radius=0.07 * face.width,
                           strength=0.6, skin_mask=masks["skin"])  # fmt: skip
    before, after = tmp_path / "before.png", tmp_path / "after.jpg"
    Image.fromarray(rgb_lin_to_srgb_u8(second_photo(img))).save(before)  # another photo of it
    Image.fromarray(rgb_lin_to_srgb_u8(red)).save(after, quality=95)
    out = tmp_path / "out"
    code, stdout, err = _run(capsys, "analyze", str(after), "--baseline", str(before),
                             "--out", str(out), "--json")  # fmt: skip
    assert code == 0, err
    r = json.loads(stdout)
    assert r["face"]["detected"] and r["face"]["landmarks"] == 478 and len(r["face"]["bbox"]) == 4
    assert set(r["redness"]["zones"]) == {"forehead", "left_cheek", "right_cheek", "nose", "chin"}
    assert r["redness"]["zones"]["right_cheek"]["area_fraction"] > 0.05
    assert r["redness"]["compared_to_baseline"] is True
    mask = np.asarray(Image.open(out / "redness_mask.png"))
    assert mask.shape == img.shape[:2] and set(np.unique(mask)) <= {0, 255}
    assert ((mask == 255) & er.truth).sum() > 0.5 * er.truth.sum()
    heat = np.asarray(Image.open(out / r["redness"]["heatmap"]))
    face_w = r["face"]["bbox"][2]
    # the head (face box + margin) with a legend beside it
    assert face_w < heat.shape[1] and heat.shape[0] <= img.shape[0] and heat.shape[2] == 3
    assert r["lips"]["lab"][1] > 10
    assert r["image"]["jpeg_quality"] == 95 and "compressed" not in r["quality"]["problems"]


def test_analyze_reports_strongly_compressed_photos(capsys, tmp_path):
    from PIL import Image

    from calibration.colorimetry import rgb_lin_to_srgb_u8
    from vision.testset import astronaut_face, second_photo

    face = astronaut_face(3.0)
    before, after = tmp_path / "before.jpg", tmp_path / "after.jpg"
    Image.fromarray(rgb_lin_to_srgb_u8(second_photo(face))).save(before, quality=75)
    Image.fromarray(rgb_lin_to_srgb_u8(face)).save(after, quality=80)
    code, stdout, err = _run(capsys, "analyze", str(after), "--baseline", str(before),
                             "--out", str(tmp_path / "out"), "--json")  # fmt: skip
    assert code == 0, err
    r = json.loads(stdout)
    findings = {f["code"]: f for f in r["quality"]["findings"]}
    assert findings["compressed"]["value"] == 80 and findings["compressed"]["limit"] == 92
    assert findings["baseline_compressed"]["value"] == 75
    assert "JPEG quality about 80" in findings["compressed"]["message"]


def test_analyze_without_face_exits_2(capsys, tmp_path):
    from PIL import Image
    from skimage import data as skdata

    path = tmp_path / "coffee.png"
    Image.fromarray(skdata.coffee()).save(path)
    code, out, err = _run(capsys, "analyze", str(path), "--out", str(tmp_path / "o"), "--json")
    assert code == 2 and "no face" in err
    assert json.loads(out)["quality"]["problems"] == ["no_face"]


def test_users_are_listed_disabled_and_given_new_tokens(capsys, tmp_path):
    """An admin lists the users, disables one whose device was lost (its token stops
    working at once) and gives it a new token (the old one stays dead); each change is a link
    of the chain. Before, `users add` was the only command: a lost token could not be
    revoked but by editing the database."""
    from claims.auth import authenticate
    from claims.db import open_store
    from claims.errors import Unauthorized

    data = str(tmp_path / "var")

    def run(*argv):
        code = cli.main([*argv, "--data", data, "--json"])
        out = json.loads(capsys.readouterr().out) if code == 0 else None
        return code, out

    def works(token):
        with open_store(data).read() as s:
            try:
                return authenticate(s, f"Bearer {token}") is not None
            except Unauthorized:
                return False

    _, adj = run("users", "add", "--role", "adjudicator", "--name", "Li Wei")
    _, brand = run("users", "add", "--role", "brand", "--brand", "acme")
    _, listed = run("users", "list")
    assert [
        (u["id"], u["role"], u["brand"], u["name"], u["disabled"]) for u in listed["users"]
    ] == [
        (adj["id"], "adjudicator", None, "Li Wei", False),
        (brand["id"], "brand", "acme", "", False),
    ]
    assert "token" not in json.dumps(listed)
    assert works(adj["token"])
    code, off = run("users", "disable", str(adj["id"]))
    assert code == 0 and off["disabled"] is True and not works(adj["token"])
    assert works(brand["token"])  # the others keep working
    code, new = run("users", "token", str(adj["id"]))
    assert code == 0 and new["disabled"] is False
    assert works(new["token"]) and not works(adj["token"])
    assert cli.main(["users", "token", "99", "--data", data]) == 2
    assert "no user 99; `hueproof users list` shows them" in capsys.readouterr().err
    code, chain = run("audit", "verify")
    assert code == 0 and chain["ok"]
    from claims.models import AuditEntry

    with open_store(data).read() as s:
        actions = [e.action for e in s.query(AuditEntry).order_by(AuditEntry.seq)]
    assert actions == ["user.created", "user.created", "user.disabled", "user.token_replaced"]


def test_an_operator_erases_a_shoppers_account_on_her_request(capsys, tmp_path):
    """`users erase ID`: a shopper who lost her token asks another way; her claims' consents
    are withdrawn and their photos erased, her name erased, her token refused, each a link of
    the chain named as the command line's. A staff account is refused (disable it)."""
    from sqlalchemy import select

    from claims.auth import create_user
    from claims.models import AuditEntry, Claim, User
    from tests.claims.conftest import file_claim, seeded_app, wait

    app, _ = seeded_app(tmp_path / "var")  # the demo catalog
    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:
        shopper, token = create_user(s, role="shopper", name="Wang Fang")
        staff, _ = create_user(s, role="adjudicator", name="Li Wei")
        ids = (shopper.id, staff.id)
    filed = file_claim(app.test_client(), token, key="lost-token")
    assert filed.status_code == 202, filed.json
    cid = filed.json["id"]
    wait(app)
    with ext["store"].read() as s:
        photo = s.get(Claim, cid).photo_sha256
    ext["close"]()
    data = str(tmp_path / "var")
    assert cli.main(["users", "erase", str(ids[1]), "--data", data]) == 2
    assert "not a shopper" in capsys.readouterr().err
    assert cli.main(["users", "erase", str(ids[0]), "--data", data, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["id"], out["claims"], out["consents_withdrawn"]) == (ids[0], 1, 1)
    from claims.db import open_store

    store = open_store(tmp_path / "var")
    assert not store.blobs.exists(photo)
    with store.read() as s:
        user = s.get(User, ids[0])
        assert (user.name, user.disabled) == ("", True)
        actors = dict(s.execute(select(AuditEntry.action, AuditEntry.actor).where(
            AuditEntry.action.in_(("consent.withdrawn", "user.erased")))).all())  # fmt: skip
    assert actors == {"consent.withdrawn": "cli", "user.erased": "cli"}
    store.dispose()


def test_every_commands_every_argument_says_what_it_is():
    """``hueproof CMD --help`` explains each argument (before, measure's photo, --method and
    --chart-reference, and every simulate argument but --size, said nothing)."""
    import argparse

    from cli import build_parser

    def parsers(parser, name):
        yield name, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, p in action.choices.items():
                    yield from parsers(p, f"{name} {sub}")

    silent = [f"{name}: {action.dest}" for name, p in parsers(build_parser(), "hueproof")
              for action in p._actions
              if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction)
              and not action.help]  # fmt: skip
    assert silent == []


def test_verify_answers_a_report_of_any_shape(capsys, tmp_path):
    """``hueproof verify`` on JSON that is no report (its chain a list, its signature a
    number): "report INVALID" and exit 1, where a chain that was no object ended in a
    traceback."""
    path = tmp_path / "odd.json"
    for odd in ({"signature": 5, "chain": []}, {"signature": {"key_id": [1], "value": 5},
                                                 "chain": {"seq": "x"}}):  # fmt: skip
        path.write_text(json.dumps(odd))
        code, out, err = _run(capsys, "verify", str(path), "--data", str(tmp_path / "var"))
        assert code == 1 and out.startswith("report INVALID") and err == "", (out, err)
