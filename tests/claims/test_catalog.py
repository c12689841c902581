"""Brand catalog: calibrations as immutable versions, shades for the try-on, ingredients,
policy, statistics with suppression and alerts."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from calibration.colorimetry import delta_e00
from calibration.simulate import product_lab, random_scene, render_scene
from claims.catalog import ingredient_flags, irritants
from claims.stats import _metrics, _tally, brand_stats, facts
from tests.claims.conftest import (
    another_photo,
    bearer,
    claims_analysed,
    face_jpeg,
    file_claim,
    wait,
)


def test_lab_calibrations_are_versions_and_feed_the_shade_list(client, tokens):
    brand = bearer(tokens["brand"])
    url = "/api/v1/brands/demo-cosmetics/shades"
    one = client.post(url, json={"sku": "LIP-NEW", "shade": "C1", "name": "coral",
                                 "lab": [60.0, 45.0, 30.0]}, headers=brand)  # fmt: skip
    two = client.post(url, json={"sku": "LIP-NEW", "shade": "C1", "lab": [59.0, 46.0, 30.5],
                                 "illuminant": "D50", "observer": "10"}, headers=brand)  # fmt: skip
    assert one.status_code == two.status_code == 201
    assert (one.json["version"], two.json["version"]) == (1, 2)
    assert one.json["lab"] == [60.0, 45.0, 30.0]
    assert two.json["uncertainty_de00"] > one.json["uncertainty_de00"]  # 10° costs accuracy
    (shade,) = client.get("/api/v1/shades?sku=LIP-NEW").json["shades"]
    assert shade["calibration_version"] == 2 and shade["name"] == "coral"
    render = shade["render"]
    assert render["srgb_hex"].startswith("#") and len(render["rgb_linear"]) == 3
    assert np.allclose(render["lab"], two.json["lab"], atol=1e-3)
    both = client.post(url, json={"sku": "X", "shade": "Y", "lab": [50, 0, 0],
                                  "spectral": {"500": 0.5}}, headers=brand)  # fmt: skip
    assert both.status_code == 422
    bad_lab = client.post(url, json={"sku": "X", "shade": "Y", "lab": [150, 0, 0]}, headers=brand)
    assert bad_lab.status_code == 422
    # keys that are no wavelength: a clear 422, not a server error (schemathesis found "")
    for key in ("", "red", "nan"):
        bad = client.post(url, json={"sku": "X", "shade": "Y", "spectral": {key: 0.5}},
                          headers=brand)  # fmt: skip
        assert bad.status_code == 422 and "wavelengths in nm" in bad.get_data(as_text=True)
    # a code the catalog cannot hold: a clear 422, before anything is calibrated
    for code in ({"shade": "C2,60"}, {"sku": "LIP NEW"}):
        bad = client.post(url, json={"sku": "LIP-NEW", "shade": "C2", "lab": [40.0, 20.0, 10.0],
                                     **code}, headers=brand)  # fmt: skip
        assert bad.status_code == 422 and "pattern" in bad.get_data(as_text=True), bad.json
    # an illuminant with a comma stays one CSV field: refused as an unknown illuminant
    odd = client.post(url, json={"sku": "LIP-NEW", "shade": "C2", "lab": [40.0, 20.0, 10.0],
                                 "illuminant": "D65,2"}, headers=brand)  # fmt: skip
    assert odd.status_code == 422 and "D65,2" in odd.get_data(as_text=True), odd.json


def test_a_shades_history_lists_every_version_and_how_far_each_moved(app, client, tokens):
    """A brand (or an adjudicator, whose verdicts name the version they used) reads every
    version of a shade's reference, newest first, each with its ΔE00 from the one before;
    another brand's shade answers 404, a shopper 403."""
    from claims.auth import create_user

    brand = bearer(tokens["brand"])
    url = "/api/v1/brands/demo-cosmetics/shades"
    labs = ([62.0, 40.0, 25.0], [60.0, 42.0, 26.0], [60.0, 42.0, 26.0])
    for lab in labs:
        assert client.post(url, json={"sku": "LIP-HIST", "shade": "H1", "lab": lab},
                           headers=brand).status_code == 201  # fmt: skip
    history = "/api/v1/brands/demo-cosmetics/skus/LIP-HIST/shades/H1/calibrations"
    resp = client.get(history, headers=brand)
    assert resp.status_code == 200, resp.json
    versions = resp.json["versions"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert [v["lab"] for v in versions] == [labs[2], labs[1], labs[0]]
    assert versions[2]["delta_e00_from_previous"] is None  # the first
    assert versions[1]["delta_e00_from_previous"] == pytest.approx(
        float(delta_e00(labs[0], labs[1])), abs=1e-3)  # fmt: skip
    assert versions[0]["delta_e00_from_previous"] == 0.0
    assert versions[0]["source"] == "spectro-lab" and "spectrophotometer" in versions[0]["method"]
    assert resp.json["tolerance"] == 3.0
    adjudicator = client.get(history, headers=bearer(tokens["adjudicator"]))
    assert adjudicator.status_code == 200 and adjudicator.json == resp.json
    assert client.get(history, headers=bearer(tokens["shopper"])).status_code == 403
    assert client.get(history.replace("H1", "NOPE"), headers=brand).status_code == 404
    with app.extensions["hueproof"]["store"].write() as s:
        _, other = create_user(s, role="brand", brand="other-brand")
    assert client.get(history, headers=bearer(other)).status_code == 404


def test_a_shades_tolerance_is_set_kept_and_recorded_in_the_chain(app, client, tokens):
    """The tolerance decides a shade's verdicts as much as its reference: a calibration that
    sets it states it in the chain, and one that does not keeps it (before, the chain's
    entry left it out)."""
    from sqlalchemy import select

    from claims.models import AuditEntry

    brand = bearer(tokens["brand"])
    url = "/api/v1/brands/demo-cosmetics/shades"
    for body in ({"lab": [60.0, 45.0, 30.0], "tolerance": 2.0}, {"lab": [59.5, 45.0, 30.0]}):
        resp = client.post(url, json={"sku": "LIP-TOL", "shade": "T1", **body}, headers=brand)
        assert resp.status_code == 201, resp.json
    (shade,) = client.get("/api/v1/shades?sku=LIP-TOL").json["shades"]
    assert shade["tolerance"] == 2.0
    with app.extensions["hueproof"]["store"].read() as s:
        rows = s.execute(select(AuditEntry).where(AuditEntry.action == "catalog.calibrated"))
        stated = [e.payload["tolerance"] for e in rows.scalars() if e.payload["sku"] == "LIP-TOL"]
    assert stated == [2.0, 2.0]


def test_spectral_and_photo_calibrations(client, tokens):
    brand = bearer(tokens["brand"])
    url = "/api/v1/brands/demo-cosmetics/shades"
    spectral = {str(w): 0.2 + 0.5 / (1 + np.exp(-(w - 600) / 12)) for w in range(400, 701, 10)}
    resp = client.post(url, json={"sku": "LIP-S", "shade": "S1", "spectral": spectral},
                       headers=brand)  # fmt: skip
    assert resp.status_code == 201 and resp.json["source"] == "spectral"
    # NaN: Python reads it, JSON has none; a NaN reflectance gave a NaN Lab (a 500)
    import json

    odd = json.dumps({"sku": "LIP-S", "shade": "S2", "spectral": {**spectral, "550": math.nan}})
    assert "NaN" in odd  # as Python's json writes it
    resp = client.post(url, data=odd, headers=brand, content_type="application/json")
    assert resp.status_code == 422 and "NaN is no JSON number" in resp.json["detail"]
    ph = render_scene(random_scene(4242, illuminant="D65", product="berry"))
    form = {"sku": "LIP-P", "shade": "P1", "roi": ",".join(map(str, ph.roi)),
            "photo": (io.BytesIO(ph.jpeg), "swatch.jpg")}  # fmt: skip
    resp = client.post(url, data=form, headers=brand, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    assert resp.json["source"] == "photo"
    assert delta_e00(product_lab("berry"), resp.json["lab"]) < 4.0
    assert resp.json["record"]["details"]  # chart residuals travel with the version


def test_ingredients_cross_reference():
    table = irritants()
    eu26 = [v for v in table.values() if v["category"] == "fragrance_allergen_eu26"]
    assert len(eu26) >= 20
    flags = ingredient_flags(["Aqua", "LIMONENE", "alcohol denat", "Retinol", "Glycerin"])
    assert [f["ingredient"] for f in flags] == ["LIMONENE", "alcohol denat", "Retinol"]
    assert flags[0]["category"] == "fragrance_allergen_eu26"


def test_sku_ingredients_via_the_api(client, tokens):
    resp = client.put("/api/v1/brands/demo-cosmetics/skus/CREAM-1", headers=bearer(
        tokens["brand"]), json={"name": "Day cream", "ingredients": ["Aqua", "Parfum",
                                                                     "Citral"]})  # fmt: skip
    assert resp.status_code == 200
    assert {f["ingredient"] for f in resp.json["flagged_ingredients"]} == {"Parfum", "Citral"}
    # the brand's products, each as the PUT answered it
    listed = client.get("/api/v1/brands/demo-cosmetics/skus", headers=bearer(tokens["brand"]))
    skus = {p["sku"]: p for p in listed.json["skus"]}
    assert skus["CREAM-1"] == resp.json and {"LIP-VELVET", "SERUM-RETINOL"} <= set(skus)
    assert [p["sku"] for p in listed.json["skus"]] == sorted(skus)


def test_a_batch_the_brand_does_not_list_is_told_and_never_approved_automatically(
    app, client, tokens
):
    """The brand lists LIP-VELVET's batches; mismatches are approved automatically. A claim
    on a listed batch (typed "b2026 12") is; one on a batch not listed ("FAKE-01": a
    counterfeit, or a code mistyped) waits for an adjudicator, who is told; a claim without a
    batch, or a brand listing none, says nothing of it. Shoppers are not told."""
    brand = bearer(tokens["brand"])
    sku = "/api/v1/brands/demo-cosmetics/skus/LIP-VELVET"
    resp = client.put(sku, headers=brand, json={"batches": ["B2026-11", "B2026-12", "b2026 11"]})
    assert resp.status_code == 200 and resp.json["batches"] == ["B2026-11", "B2026-12"]
    for bad in ([""], ["x" * 101], ["--"], "B2026-11", [3]):
        refused = client.put(sku, headers=brand, json={"batches": bad})
        assert refused.status_code == 422, (bad, refused.json)
    client.put("/api/v1/brands/demo-cosmetics/policy", json={"auto_approve": ["shade_mismatch"]},
               headers=brand)  # fmt: skip
    ids = {batch: file_claim(client, tokens["shopper"], key=f"b-{batch}", shade="N02",
                             batch=batch, order_ref=f"O-{batch}", photo=another_photo(k)).json["id"]
           for k, batch in enumerate(("b2026 12", "FAKE-01", ""))}  # fmt: skip
    wait(app)
    adj, shopper = bearer(tokens["adjudicator"]), bearer(tokens["shopper"])
    views = {b: client.get(f"/api/v1/claims/{cid}", headers=adj).json for b, cid in ids.items()}
    listed, fake, none = views["b2026 12"], views["FAKE-01"], views[""]
    assert listed["status"] == "decided" and listed["batch_listed"] is True
    assert fake["status"] == "ready" and fake["batch_listed"] is False
    note = {"code": "batch_not_listed", "batch": "FAKE-01"}
    assert note in fake["suggestion"]["notes"] and not fake["suggestion"]["automatic"]
    assert "(FAKE-01) is not among those the brand lists" in fake["suggestion"]["text"]
    assert none["status"] == "decided" and "batch_listed" not in none
    own = client.get(f"/api/v1/claims/{ids['FAKE-01']}", headers=shopper).json
    assert "batch_listed" not in own and "suggestion" not in own
    # the list taken away: nothing to compare with
    assert client.put(sku, headers=brand, json={"batches": []}).json["batches"] == []
    again = client.get(f"/api/v1/claims/{ids['FAKE-01']}", headers=adj).json
    assert "batch_listed" not in again and note not in again["suggestion"]["notes"]


def test_claims_naming_batches_the_brand_does_not_list_raise_an_alert(app, client, tokens):
    """LIP-VELVET lists one batch; 6 of its 8 claims name others: its cell counts them
    (perturbed) and a yellow alert says counterfeits may be on sale. SERUM-RETINOL lists none:
    no such figure (nothing to compare with)."""
    client.put("/api/v1/brands/demo-cosmetics/skus/LIP-VELVET", headers=bearer(tokens["brand"]),
               json={"batches": ["B2026-11"]})  # fmt: skip
    claims_analysed(app, client, tokens, {"R01": 8},
                    batches=["B2026-11", "FAKE-1", "FAKE-2", "FAKE-3"])  # fmt: skip
    stats = client.get("/api/v1/brands/demo-cosmetics/stats",
                       headers=bearer(tokens["brand"])).json  # fmt: skip
    lip = stats["skus"]["LIP-VELVET"]
    assert abs(lip["unlisted_batch_claims"] - 6) <= 2, lip
    alerts = [a for a in stats["alerts"] if a.get("code") == "unlisted_batches"]
    assert alerts == ([{"level": "yellow", "sku": "LIP-VELVET", "code": "unlisted_batches",
                        "claims": lip["unlisted_batch_claims"]}]
                      if lip["unlisted_batch_claims"] >= 5 else [])  # fmt: skip
    assert alerts, "the record keys set, the perturbed count is 5 or more"
    assert "unlisted_batch_claims" not in str(stats["skus"].get("SERUM-RETINOL", {}))


def test_a_batch_is_one_however_shoppers_type_it(app, client, tokens):
    """Shoppers copy a batch code off the pack as they read it: "b2026 12" 3 times and
    "B2026-12" twice are one batch of 5, in the statistics (named as typed most, then as the
    brand lists it), beside a claim for the adjudicator, and in the redness cluster alert
    ("lot 9", "LOT-9", "Lot9" on 3 redness claims). Before, each spelling was a batch."""
    typed = ["b2026 12"] * 3 + ["B2026-12"] * 2
    ids = [file_claim(client, tokens["shopper"], key=f"t{k}", batch=b, order_ref=f"T{k}")
           .json["id"] for k, b in enumerate(typed)]  # fmt: skip
    red = dict(type="redness", sku="SERUM-RETINOL", shade=None, roi=None, consent_health="true")
    for k, b in enumerate(["lot 9", "LOT-9", "Lot9"]):
        file_claim(client, tokens["shopper"], key=f"r{k}", batch=b, photo=face_jpeg(2.0 + k / 10),
                   order_ref=f"R{k}", **red)  # fmt: skip
    wait(app)
    brand = bearer(tokens["brand"])

    def batches():
        stats = client.get("/api/v1/brands/demo-cosmetics/stats", headers=brand).json
        return {c["batch"]: c for c in stats["batches"] if c["sku"] == "LIP-VELVET"}, stats

    cells, stats = batches()
    assert list(cells) == ["b2026 12"] and not cells["b2026 12"]["suppressed"], cells
    (cluster,) = (a for a in stats["alerts"] if a.get("code") == "redness_cluster")
    assert cluster["sku"] == "SERUM-RETINOL" and cluster["batch"] in ("lot 9", "LOT-9", "Lot9")
    client.put("/api/v1/brands/demo-cosmetics/skus/LIP-VELVET", headers=brand,
               json={"batches": ["B2026-12"]})  # fmt: skip
    assert list(batches()[0]) == ["B2026-12"]  # the brand's spelling
    beside = client.get(f"/api/v1/claims/{ids[0]}", headers=bearer(tokens["adjudicator"])).json
    assert beside["same_batch"]["claims"] == 4 and beside["batch_listed"] is True


def test_auto_approval_is_decided_and_logged_as_such(app, client, tokens):
    brand = bearer(tokens["brand"])
    # the sample photo is "classic red"; against the nude reference it is a clear mismatch
    client.put("/api/v1/brands/demo-cosmetics/policy", json={"auto_approve": ["shade_mismatch"]},
               headers=brand)  # fmt: skip
    resp = file_claim(client, tokens["shopper"], shade="N02")
    wait(app)
    view = client.get(f"/api/v1/claims/{resp.json['id']}", headers=bearer(tokens["shopper"]))
    assert view.json["status"] == "decided", view.json
    assert view.json["decision"]["automatic"] is True
    report = client.get(f"/api/v1/claims/{resp.json['id']}/report",
                        headers=bearer(tokens["shopper"])).json  # fmt: skip
    assert report["decision"]["rule"] == "shade_mismatch"
    assert report["decision"]["adjudicator"] == "system"
    assert report["measurements"]["verdict"] == "mismatch"


def test_stats_suppress_small_cells_and_raise_alerts(app, client, tokens):
    ext = app.extensions["hueproof"]
    for k in range(5):
        file_claim(client, tokens["shopper"], key=f"s{k}", order_ref=f"O{k}")
    for k in range(3):
        file_claim(client, tokens["shopper"], key=f"r{k}", type="redness", sku="SERUM-RETINOL",
                   shade=None, roi=None, consent_health="true", batch="BAD-LOT",
                   photo=face_jpeg(2.0 + 0.1 * k))  # fmt: skip
    wait(app)
    stats = client.get("/api/v1/brands/demo-cosmetics/stats", headers=bearer(tokens["brand"])).json
    lip = stats["skus"]["LIP-VELVET"]
    # counts moved by 2 at most (claims/stats.py NOISE); a cell shown shows 5 or more
    assert lip["suppressed"] is False and 5 <= lip["claims"] <= 7 and abs(lip["shade_claims"]
                                                                          - 5) <= 2  # fmt: skip
    assert lip["delta_e00"]["median"] < 3
    assert stats["skus"]["SERUM-RETINOL"] == {"suppressed": True, "claims": "<5"}
    (cluster,) = (a for a in stats["alerts"] if a["level"] == "red")
    assert cluster["batch"] == "BAD-LOT" and cluster["code"] == "redness_cluster"
    assert (cluster["claims"], cluster["hours"]) == (3, 72), cluster  # what the pages say
    with ext["store"].read() as s:
        from claims.catalog import get_brand

        strict = brand_stats(s, get_brand(s, "demo-cosmetics"), min_cell=10)
    assert strict["skus"]["LIP-VELVET"]["suppressed"] is True
    assert "claim" not in str(stats["batches"]).lower().replace("claims", "")  # no ids leak
    # a shopper withdrawing consent on a claim takes it out of the statistics
    one = client.get("/api/v1/claims?limit=1&sku=LIP-VELVET",
                     headers=bearer(tokens["shopper"])).json["items"][0]  # fmt: skip
    assert client.post(f"/api/v1/claims/{one['id']}/withdraw",
                       headers=bearer(tokens["shopper"])).status_code == 200  # fmt: skip
    after = client.get("/api/v1/brands/demo-cosmetics/stats", headers=bearer(tokens["brand"])).json
    assert after["skus"]["LIP-VELVET"] == {"suppressed": True, "claims": "<5"}  # 4 now


def test_no_suppressed_cell_can_be_worked_out_from_a_total_less_the_cells_shown(
    app, client, tokens
):
    """LIP-VELVET: 6 claims on batch A, 2 on batch B; SERUM-RETINOL: 3. Batch B is under 5,
    so batch A is hidden too (the SKU's 8 less A's 6 gave B's 2 claims, and their figures,
    away); the SKU's own cell stays. SERUM-RETINOL is under 5, so the brand-wide cell is
    hidden (it less LIP-VELVET's 8 gave SERUM's 3 away). Before, both could be worked out."""
    for k in range(8):
        file_claim(client, tokens["shopper"], key=f"lip-{k}", batch="A" if k < 6 else "B")
    for k in range(3):
        file_claim(client, tokens["shopper_b"], key=f"serum-{k}", type="redness",
                   sku="SERUM-RETINOL", shade=None, roi=None, consent_health="true",
                   photo=face_jpeg(2.0 + 0.1 * k))  # fmt: skip
    wait(app)
    stats = client.get("/api/v1/brands/demo-cosmetics/stats", headers=bearer(tokens["brand"])).json
    batches = {(b["sku"], b["batch"]): b for b in stats["batches"]}
    assert batches[("LIP-VELVET", "B")] == {"sku": "LIP-VELVET", "batch": "B",
                                           "suppressed": True, "claims": "<5"}  # fmt: skip
    assert batches[("LIP-VELVET", "A")] == {"sku": "LIP-VELVET", "batch": "A",
                                           "suppressed": True, "claims": "hidden"}  # fmt: skip
    assert abs(stats["skus"]["LIP-VELVET"]["claims"] - 8) <= 2  # the product's figures stay
    assert stats["skus"]["SERUM-RETINOL"] == {"suppressed": True, "claims": "<5"}
    assert stats["baseline"] == {"suppressed": True, "claims": "hidden"}
    # what is shown now never adds up to a cell under 5
    shown = [b["claims"] for b in stats["batches"] if b["sku"] == "LIP-VELVET"
             and not b["suppressed"]]  # fmt: skip
    assert not 0 < stats["skus"]["LIP-VELVET"]["claims"] - sum(shown) < 5


def test_a_brand_sees_each_shade_and_how_most_of_its_claims_differ(app, client, tokens):
    """LIP-VELVET's shade claims by shade: the sample photo is "classic red" (R01 matches it;
    against the nude N02 it is a clear mismatch). B03's 2 claims are suppressed and N02, the
    smallest shade shown, hidden with them (the SKU's shade claims less R01's gave them
    away); with 3 more on B03 every shade shows, N02 saying how its claims differ."""
    shopper = tokens["shopper"]
    for shade, n in (("R01", 6), ("N02", 5), ("B03", 2)):
        for k in range(n):
            file_claim(client, shopper, key=f"{shade}-{k}", shade=shade, order_ref=f"{shade}{k}")
    wait(app)
    brand = bearer(tokens["brand"])
    shades = {c["shade"]: c for c in client.get("/api/v1/brands/demo-cosmetics/stats",
                                                headers=brand).json["shades"]}  # fmt: skip
    assert shades["B03"] == {"sku": "LIP-VELVET", "shade": "B03", "suppressed": True,
                             "claims": "<5"}  # fmt: skip
    assert shades["N02"]["claims"] == "hidden" and "difference" not in shades["N02"]
    r01 = shades["R01"]
    assert not r01["suppressed"] and 5 <= r01["claims"] <= 8 and r01["mismatch_share"] == 0.0
    assert r01["difference"] == [] and r01["delta_e00"]["p90"] <= 1.0
    for k in range(3):
        file_claim(client, shopper, key=f"B03-more-{k}", shade="B03", order_ref=f"B03-{k}")
    wait(app)
    stats = client.get("/api/v1/brands/demo-cosmetics/stats", headers=brand).json
    shades = {c["shade"]: c for c in stats["shades"]}
    assert not any(c["suppressed"] for c in shades.values()), shades
    n02 = shades["N02"]
    listed = client.get("/api/v1/claims?sku=LIP-VELVET&limit=100", headers=bearer(shopper)).json
    (codes,) = {tuple(c["analysis"]["shade"]["difference"]) for c in listed["items"]
                if c["shade"] == "N02"}  # fmt: skip
    assert codes and sorted(n02["difference"]) == sorted(codes), (n02, codes)
    verdicts = [c["analysis"]["shade"]["verdict"] for c in listed["items"] if c["shade"] == "N02"]
    assert verdicts == ["mismatch"] * 5, verdicts
    # all 5 shown as a share of perturbed counts, each moved by 2 at most (claims/stats.py
    # NOISE): 3 of 7 or more; these claims' record keys are random (0.571, 4 of 7, seen in CI)
    assert n02["mismatch_share"] >= 3 / 7 and n02["delta_e00"]["median"] > 3
    assert shades["R01"] == r01  # the same claims, the same figures


def test_a_shade_mismatched_more_than_the_brands_claims_raises_an_alert(app, client, tokens):
    """10 claims on R01 (matching the sample photo) and 5 on N02 (a mismatch): N02's
    mismatch share is above 1.5 times the brand's, an alert naming the shade and how its
    claims differ; R01's is not."""
    claims_analysed(app, client, tokens, {"R01": 10, "N02": 5})
    stats = client.get("/api/v1/brands/demo-cosmetics/stats",
                       headers=bearer(tokens["brand"])).json  # fmt: skip
    base = stats["baseline"]["mismatch_share"]
    alerts = {a.get("shade"): a for a in stats["alerts"] if a.get("shade")}
    for cell in stats["shades"]:  # an alert exactly where the figures shown are above
        assert (cell["shade"] in alerts) == (cell["mismatch_share"] > 1.5 * base), (cell, base)
    n02 = next(c for c in stats["shades"] if c["shade"] == "N02")
    assert alerts["N02"] == {"level": "blue", "sku": "LIP-VELVET", "shade": "N02",
                             "metrics_above_baseline": ["mismatch_share"],
                             "difference": n02["difference"]}  # fmt: skip
    assert n02["difference"] and "R01" not in alerts


def test_a_brand_sees_each_products_months_small_ones_suppressed(app, client, tokens):
    """LIP-VELVET's 15 claims filed 6 in September, 5 in October and 4 in November: November
    is under 5 and October, the smallest month shown, hidden with it (the SKU less September
    gave them away); September's figures are near its 6 claims."""
    import datetime as dt

    from claims.models import Claim

    claims_analysed(app, client, tokens, {"R01": 10, "N02": 5})
    with app.extensions["hueproof"]["store"].write() as s:
        for k, claim in enumerate(s.query(Claim).order_by(Claim.created_at)):
            month = 9 if k < 6 else 10 if k < 11 else 11
            claim.created_at = dt.datetime(2026, month, 15, tzinfo=dt.UTC)
    stats = client.get("/api/v1/brands/demo-cosmetics/stats",
                       headers=bearer(tokens["brand"])).json  # fmt: skip
    months = {c["month"]: c for c in stats["months"] if c["sku"] == "LIP-VELVET"}
    assert sorted(months) == ["2026-09", "2026-10", "2026-11"]
    assert months["2026-11"]["claims"] == "<5" and months["2026-10"]["claims"] == "hidden"
    september = months["2026-09"]
    assert not september["suppressed"] and 5 <= september["claims"] <= 8
    assert september["mismatch_share"] is not None and september["redness_claims"] == 0


def test_the_statistics_as_csv_are_the_json_figures_a_row_a_cell(app, client, tokens):
    """GET /brands/B/stats.csv: a header, then the brand's, each SKU's, batch's and shade's
    cell with the JSON's figures; a batch a shopper typed as a formula stays text in a
    spreadsheet; another brand is refused as for the JSON."""
    import csv
    import io

    from claims.stats import CSV_COLUMNS

    claims_analysed(app, client, tokens, {"R01": 5, "N02": 5})
    file_claim(client, tokens["shopper"], key="formula", batch='=HYPERLINK("http://x")')
    wait(app)
    brand = bearer(tokens["brand"])
    stats = client.get("/api/v1/brands/demo-cosmetics/stats", headers=brand).json
    resp = client.get("/api/v1/brands/demo-cosmetics/stats.csv", headers=brand)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "hueproof-stats-demo-cosmetics.csv" in resp.headers["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert tuple(header) == CSV_COLUMNS
    rows = [dict(zip(header, r, strict=True)) for r in rows]
    assert [r["level"] for r in rows] == ["brand"] + ["sku"] * len(stats["skus"]) + [
        "batch"] * len(stats["batches"]) + ["shade"] * len(stats["shades"]) + [
        "month"] * len(stats["months"])  # fmt: skip
    assert {r["month"] for r in rows if r["level"] == "month"} == {
        c["month"] for c in stats["months"]}  # fmt: skip
    lip = next(r for r in rows if r["level"] == "sku" and r["sku"] == "LIP-VELVET")
    json_lip = stats["skus"]["LIP-VELVET"]
    assert int(lip["claims"]) == json_lip["claims"] and lip["suppressed"] == ""
    assert float(lip["mismatch_share"]) == json_lip["mismatch_share"]
    assert float(lip["delta_e00_p90"]) == json_lip["delta_e00"]["p90"]
    n02 = next(r for r in rows if r["level"] == "shade" and r["shade"] == "N02")
    json_n02 = next(c for c in stats["shades"] if c["shade"] == "N02")
    assert n02["difference"].split() == json_n02["difference"]
    formula = next(r for r in rows if r["batch"].endswith('HYPERLINK("http://x")'))
    assert formula["batch"] == '\'=HYPERLINK("http://x")' and formula["suppressed"] == "<5"
    assert formula["claims"] == ""  # a suppressed cell's figures are empty
    other = bearer(tokens["brand_y"])
    refused = [client.get(f"/api/v1/brands/demo-cosmetics/{path}", headers=other).status_code
               for path in ("stats", "stats.csv")]  # fmt: skip
    assert refused[0] == refused[1] != 200


def test_redness_statistics_keep_an_increase_apart_from_a_single_photos_flags():
    """A single photo flags the person's own redness too; only an increase against a
    baseline photo is the product's redness rate."""
    from types import SimpleNamespace

    def claim(compared, flagged, shaded=None, problems=()):
        zones = {"chin": {"area_fraction": 0.02 if flagged else 0.0}}
        red = {"zones": zones, "compared_to_baseline": compared}
        if shaded is not None:
            red["shaded_fraction"] = shaded
        analysis = {"redness": {"redness": red, "quality": {"problems": list(problems)}}}
        return SimpleNamespace(type="redness", analysis=analysis, stats_key=0, created_at=None)

    def tally(claims):
        return _tally([facts(c) for c in claims])

    m = tally([claim(True, True), claim(True, False), claim(False, True, 0.9),
               claim(False, True, 0.1), claim(False, False, 0.0),
               claim(True, True, problems=["light_direction_changed"])])  # fmt: skip
    assert m["redness_claims"] == 6 and m["redness_with_baseline"] == 3
    assert m["redness_increase"] == 2
    # the pair whose photos differ is left out of the matched pairs
    assert m["redness_matched_pairs"] == 2 and m["redness_increase_matched"] == 1
    assert (m["redness_single"], m["redness_single_flagged"]) == (3, 2)
    # the photo flagged mostly in folds or shadows is not counted on open skin
    assert m["redness_single_open_skin"] == 1
    single_only = tally([claim(False, True)])
    assert (single_only["redness_with_baseline"], single_only["redness_single_flagged"]) == (0, 1)
    # a photo without colour shows nothing either way: counted, but in no share
    colourless = claim(False, False)
    colourless.analysis["redness"]["redness"].update(measurable=False, zones={})
    m = tally([claim(False, True), colourless])
    assert m["redness_claims"] == 2 and m["redness_unmeasurable"] == 1
    assert (m["redness_single"], m["redness_single_flagged"]) == (1, 1)


def _shade_claims(rng, n, mismatch_rate=0.3):
    from types import SimpleNamespace

    from claims.models import STATS_KEY_RANGE

    def one(mismatch):
        de = rng.uniform(3.5, 9.0) if mismatch else rng.uniform(0.3, 2.9)
        shade = {"delta_e00": de, "verdict": "mismatch" if mismatch else "match"}
        key = rng.randrange(STATS_KEY_RANGE)
        return facts(SimpleNamespace(type="shade", stats_key=key, created_at=None,
                                     analysis={"shade": shade}))  # fmt: skip

    if isinstance(n, bool):
        return one(n)
    return [one(rng.random() < mismatch_rate) for _ in range(n)]


def test_a_cells_figures_are_the_same_for_the_same_claims_and_near_the_truth():
    import random
    from types import SimpleNamespace

    rng = random.Random(3)
    for n in range(5, 40):
        claims = _shade_claims(rng, n)
        m = _metrics(claims, 5)
        assert m == _metrics(list(reversed(claims)), 5)  # asking again tells nothing new
        mismatches = sum(c.verdict == "mismatch" for c in claims)
        assert n <= m["claims"] + 2 and 5 <= m["claims"] <= n + 2
        assert abs(m["shade_claims"] - n) <= 2 and m["redness_claims"] == 0
        assert abs(round(m["mismatch_share"] * m["shade_claims"]) - mismatches) <= 2
        des = sorted(c.delta_e00 for c in claims)
        median = des[round((n - 1) / 2) - 1 : round((n - 1) / 2) + 2]
        assert min(median) - 0.25 <= m["delta_e00"]["median"] <= max(median) + 0.25
        assert m["delta_e00"]["median"] % 0.5 == 0 and "max" not in m["delta_e00"]
    # a share of fewer than 5 claims is not shown: 4 shade claims among 5 redness claims
    few = _shade_claims(rng, 4)
    red = [facts(SimpleNamespace(type="redness", stats_key=7, created_at=None, analysis=None))
           for _ in range(5)]  # fmt: skip
    m = _metrics(few + red, 5)
    assert m["mismatch_share"] is None and m["delta_e00"] is None and m["claims"] >= 5


def _bayes_accuracy(seen: dict) -> float:
    """The best guess's accuracy from what was seen ({truth: Counter of observations})."""
    keys = set().union(*seen.values())
    return sum(max(c[k] for c in seen.values()) for k in keys) / sum(
        sum(c.values()) for c in seen.values()
    )


def test_comparing_a_cells_figures_before_and_after_one_claim_does_not_tell_its_outcome():
    """A brand reading its figures before and after one shopper's claim (its order known to
    it) tried to tell her verdict, and on which side of the median her ΔE00 lay. Exact
    figures told both every time (the mismatch count moved by 1 exactly when it was a
    mismatch); perturbed, the best guess from the figures is right about 2 times in 3
    (0.68, measured), where a coin is right 1 time in 2."""
    import collections
    import random

    rng = random.Random(11)
    verdict = {"mismatch": collections.Counter(), "match": collections.Counter()}
    side = {True: collections.Counter(), False: collections.Counter()}
    for k in range(1500):
        others, her = _shade_claims(rng, rng.randint(6, 20)), _shade_claims(rng, k % 2 == 0)
        before, after = _metrics(others, 5), _metrics([*others, her], 5)
        mismatches = [round(m["mismatch_share"] * m["shade_claims"]) for m in (before, after)]
        verdict[her.verdict][mismatches[1] - mismatches[0]] += 1
        values = sorted(c.delta_e00 for c in others)
        above = her.delta_e00 > values[len(values) // 2]
        moved = after["delta_e00"]["median"] - before["delta_e00"]["median"]
        side[above][(moved > 0) - (moved < 0)] += 1
    assert _bayes_accuracy(verdict) < 0.75, verdict
    assert _bayes_accuracy(side) < 0.75, side


@pytest.mark.parametrize("slug", ["UPPER", "-x", "a b", "x" * 65])
def test_brand_slugs_are_checked(app, slug):
    from claims.auth import create_user

    with (
        pytest.raises(ValueError, match="brand slug"),
        app.extensions["hueproof"]["store"].write() as s,
    ):
        create_user(s, role="brand", brand=slug)


def test_an_adjudicator_is_told_when_the_reference_was_recalibrated_after_the_verdict(
    app, client, tokens
):
    """The verdict stands on the reference version of its analysis; when the brand has
    recalibrated the shade since, the adjudicator's view names the newest version and how far
    the reference moved (a shopper's does not)."""
    cid = file_claim(client, tokens["shopper"], key="recal").json["id"]
    wait(app)
    adj = bearer(tokens["adjudicator"])
    view = client.get(f"/api/v1/claims/{cid}", headers=adj).json
    used = view["analysis"]["reference"]
    assert "reference_now" not in view  # the newest version is the one used
    new_lab = [used["lab"][0] - 4.0, used["lab"][1], used["lab"][2]]
    resp = client.post("/api/v1/brands/demo-cosmetics/shades", headers=bearer(tokens["brand"]),
                       json={"sku": "LIP-VELVET", "shade": "R01", "lab": new_lab})  # fmt: skip
    assert resp.status_code == 201
    now = client.get(f"/api/v1/claims/{cid}", headers=adj).json["reference_now"]
    assert now["version"] == used["version"] + 1 and now["lab"] == new_lab
    assert now["delta_e00_from_used"] == pytest.approx(float(delta_e00(used["lab"], new_lab)),
                                                       abs=1e-3)  # fmt: skip
    own = client.get(f"/api/v1/claims/{cid}", headers=bearer(tokens["shopper"])).json
    assert "reference_now" not in own


def test_a_sku_code_two_brands_sell_needs_the_brand(app, client, tokens):
    """Another brand lists a SKU under the demo brand's code: a claim without a brand is
    refused naming both (before, it was filed against whichever brand came first: its
    reference, its statistics); with the brand it lands on that brand's product."""
    other = bearer(tokens["brand_y"])
    assert client.put("/api/v1/brands/other-brand/skus/LIP-VELVET", headers=other,
                      json={"name": "Their lipstick"}).status_code == 200  # fmt: skip
    assert (
        client.post(
            "/api/v1/brands/other-brand/shades",
            headers=other,
            json={"sku": "LIP-VELVET", "shade": "R01", "lab": [60.0, 20.0, 10.0]},
        ).status_code
        == 201
    )
    refused = file_claim(client, tokens["shopper"], key="no-brand")
    assert refused.status_code == 422, refused.json
    assert "(demo-cosmetics, other-brand)" in refused.json["detail"]
    for brand in ("other-brand", "demo-cosmetics"):
        filed = file_claim(client, tokens["shopper"], key=brand, brand=brand)
        assert (filed.status_code, filed.json["brand"]) == (202, brand), filed.json
    wait(app)
    mine = client.get("/api/v1/claims", headers=bearer(tokens["shopper"])).json["items"]
    refs = {c["brand"]: c["analysis"]["reference"]["lab"] for c in mine}
    assert refs["other-brand"] == [60.0, 20.0, 10.0]
    assert refs["demo-cosmetics"] != refs["other-brand"]


def test_a_spectrophotometer_csv_calibrates_a_skus_shades_all_or_none(client, tokens):
    """A CSV of readings (a shade's repeated readings averaged, its name taken from the file)
    previewed, then saved as new versions; a spectral CSV the same way; one bad row saves
    nothing and says which line; the wrong media type is 415, another role 403."""
    url = "/api/v1/brands/demo-cosmetics/skus/LIP-CSV/shades"
    h = {**bearer(tokens["brand"]), "Content-Type": "text/csv"}
    readings = ("shade,L,a,b,illuminant,observer,name\nP1,45,40,20,D65,2,Poppy\n"
                "P1,45.4,40.2,19.8,D65,2,\nP2,60,10,12,D50,10,Petal\n")  # fmt: skip
    preview = client.post(f"{url}?dry_run=true", headers=h, data=readings)
    assert preview.status_code == 200 and preview.json["saved"] is False
    assert client.get("/api/v1/shades?sku=LIP-CSV").json["shades"] == []
    p1, p2 = preview.json["shades"]
    assert (p1["shade"], p1["name"], p1["version"]) == ("P1", "Poppy", 0)
    assert p1["lab"] == pytest.approx([45.2, 40.1, 19.9], abs=1e-3)  # the two readings' mean
    assert p1["record"]["details"]["readings"] == 2 and p2["name"] == "Petal"
    saved = client.post(url, headers=h, data=readings)
    assert saved.status_code == 201 and [s["version"] for s in saved.json["shades"]] == [1, 1]
    listed = {s["shade"]: s for s in client.get("/api/v1/shades?sku=LIP-CSV").json["shades"]}
    assert listed["P1"]["name"] == "Poppy" and listed["P2"]["render"]["lab"] == pytest.approx(
        p2["lab"], abs=0.01
    )
    spectral = "wavelength,P1,S2\n" + "".join(f"{w},{0.08 + 0.5 * (w > 600)},0.3\n"
                                              for w in range(400, 701, 10))  # fmt: skip
    again = client.post(url, headers=h, data=spectral)
    assert again.status_code == 201 and [s["version"] for s in again.json["shades"]] == [2, 1]
    assert again.json["shades"][0]["source"] == "spectral"
    bad = "shade,L,a,b,illuminant,observer\nP9,45,40,20,D65,2\nP10,145,40,20,D65,2\n"
    refused = client.post(url, headers=h, data=bad)
    assert refused.status_code == 422 and "line 3" in refused.json["detail"]
    refused = client.post(url, headers=h, data="shade,L,a,b,illuminant,observer\nP 9,4,0,0,D65,2\n")
    assert refused.status_code == 422 and "shade code" in refused.json["detail"]
    assert "P9" not in {s["shade"] for s in client.get("/api/v1/shades?sku=LIP-CSV").json["shades"]}
    assert client.post(url, headers=bearer(tokens["brand"]), json={}).status_code == 415
    assert client.post(url, headers={**bearer(tokens["shopper"]), "Content-Type": "text/csv"},
                       data=readings).status_code == 403  # fmt: skip


def test_a_sku_code_that_cannot_be_one_is_refused_not_a_server_error(client, tokens):
    """PUT /brands/B/skus/<code> with a space in the code: 422 saying what a code is (it
    was a 500)."""
    r = client.put("/api/v1/brands/demo-cosmetics/skus/LIP%201", headers=bearer(tokens["brand"]),
                   json={"name": "x"})  # fmt: skip
    assert r.status_code == 422 and "a SKU code matching" in r.json["detail"], r.json


def test_an_adjudicator_sees_the_other_claims_on_the_batch(app, client, tokens):
    """The product, or the person's skin? Beside a redness claim, the other claims on its
    product and batch within 90 days: redness increases documented against a photo from
    before (on matching photos apart), single photos flagged, how those decided were decided;
    claims on another batch, withdrawn, or long before are not counted; shoppers do not see
    it."""
    import datetime as dt

    from claims.models import Claim
    from tests.claims.conftest import claim_copies

    red = dict(type="redness", sku="SERUM-RETINOL", shade=None, roi=None,
               consent_health="true", batch="LOT-9")  # fmt: skip
    cid = file_claim(client, tokens["shopper"], key="lot-9", photo=face_jpeg(), **red).json["id"]
    wait(app)
    now = dt.datetime.now(dt.UTC)
    flagged = {"chin": {"area_fraction": 0.02}}
    kinds = {  # what each copy's analysis says
        "increase": {"redness": {"redness": {"compared_to_baseline": True, "zones": flagged},
                                 "quality": {"problems": []}}},
        "increase, photos differ": {"redness": {"redness": {"compared_to_baseline": True,
                                                            "zones": flagged},
                                                "quality": {"problems": ["lighting_changed"]}}},
        "single flagged": {"redness": {"redness": {"compared_to_baseline": False,
                                                   "zones": flagged}}},
        "nothing": {"redness": {"redness": {"compared_to_baseline": True, "zones": {}}}},
    }  # fmt: skip
    copies = {}
    for kind, analysis in kinds.items():
        (copies[kind],) = claim_copies(app, cid, [now - dt.timedelta(days=3)], "ready")
        with app.extensions["hueproof"]["store"].write() as s:
            s.get(Claim, copies[kind]).analysis = analysis
    other_lot, withdrawn, long_ago = (claim_copies(app, cid, [now], "ready")[0],
                                      claim_copies(app, cid, [now], "withdrawn")[0],
                                      claim_copies(app, cid, [now - dt.timedelta(days=200)],
                                                   "ready")[0])  # fmt: skip
    with app.extensions["hueproof"]["store"].write() as s:
        s.get(Claim, other_lot).batch, s.get(Claim, other_lot).batch_key = "LOT-10", "LOT10"
    decided = client.post(
        f"/api/v1/claims/{copies['nothing']}/decision",
        headers=bearer(tokens["adjudicator"]),
        json={"outcome": "reject", "reason_code": "redness_not_documented"},
    )
    assert decided.status_code == 201, decided.json
    same = client.get(f"/api/v1/claims/{cid}", headers=bearer(tokens["adjudicator"])).json[
        "same_batch"]  # fmt: skip
    assert same == {"batch": "LOT-9", "window_days": 90, "claims": 4, "redness_claims": 4,
                    "redness_increase_documented": 2, "redness_increase_matched": 1,
                    "redness_single_flagged": 1, "shade_claims": 0, "shade_mismatch": 0,
                    "decisions": {"reject": 1}}  # fmt: skip
    assert withdrawn and long_ago  # counted out above
    with app.extensions["hueproof"]["store"].write() as s:  # its shopper withdraws consent
        from claims.models import Consent

        gone = s.get(Claim, copies["nothing"])
        old = s.get(Consent, gone.consent_id)
        consent = Consent(user_id=old.user_id, notice_version=old.notice_version,
                          notice_sha256=old.notice_sha256, purpose=old.purpose, facial=True,
                          health=True, withdrawn_at=now)  # fmt: skip
        s.add(consent)
        s.flush()
        gone.consent_id = consent.id
    after = client.get(f"/api/v1/claims/{cid}", headers=bearer(tokens["adjudicator"])).json[
        "same_batch"]  # fmt: skip
    assert (after["claims"], after["decisions"]) == (3, {}), after
    view = client.get(f"/api/v1/claims/{cid}", headers=bearer(tokens["adjudicator"])).json
    notes = {n["code"]: n for n in view["suggestion"]["notes"]}
    assert notes["batch_increases"] == {"code": "batch_increases", "claims": 2, "matched": 1}
    assert "2 other claims on this product's batch" in view["suggestion"]["text"]
    mine = client.get(f"/api/v1/claims/{cid}", headers=bearer(tokens["shopper"])).json
    assert "same_batch" not in mine
    # the report records the suggestion the adjudicator saw, the batch's note included
    report = client.post(f"/api/v1/claims/{cid}/decision", headers=bearer(tokens["adjudicator"]),
                         json={"outcome": "escalate", "reason_code": "redness_increase_documented"}
                         ).json  # fmt: skip
    assert "batch_increases" in [n["code"] for n in report["decision"]["suggestion"]["notes"]]
