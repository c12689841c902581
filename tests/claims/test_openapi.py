"""The OpenAPI document describes what the API really answers.

Real responses (shade claims measured with a chart and from the lips, redness claims single
and paired, a failed and a withdrawn claim, a claim whose reference was recalibrated since,
a decision and its report, the report check, an appeal and its decision's report, a
brand's statistics with every cell shown and an alert, the admin's alerts, a measurement, an
account erased) must validate against the schema the document
gives for their route, and must carry no key the document does not declare: an integrating
platform codes against the document, so a field the code adds undeclared is a test failure,
not a surprise. Free-form objects (a chart fit's details, an uncertainty budget) are declared
as such and not looked into.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from jsonschema_rs import Draft202012Validator
from PIL import Image

from tests.claims.conftest import (
    SAMPLE_ROI,
    bearer,
    face_jpeg,
    file_claim,
    reject_within_tolerance,
    sample_photo,
    seeded_app,
    wait,
)

API = "/api/v1"


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """(the OpenAPI document, [(method, path template, status, body)]) from one service."""
    from claims.auth import create_user
    from vision.testset import add_erythema

    app, tokens = seeded_app(tmp_path_factory.mktemp("openapi") / "data",
                             REVEAL_ALERT_PER_HOUR=1)  # fmt: skip
    client = app.test_client()
    shopper, adj = bearer(tokens["shopper"]), bearer(tokens["adjudicator"])
    got = []

    def keep(method, template, response, status=200):
        assert response.status_code == status, (template, response.status_code, response.json)
        got.append((method, template, str(status), response.json))
        return response.json

    def claim(key, **fields):
        r = file_claim(client, tokens["shopper"], key=key, **fields)
        return keep("post", "/claims", r, 202)["id"]

    def red_cheek(img):  # a red patch on the left cheek
        h, w = img.shape[:2]
        skin = np.ones((h, w), bool)
        return add_erythema(img, centre=(0.38 * w, 0.55 * h), radius=0.08 * w, strength=0.5,
                            skin_mask=skin)[0]  # fmt: skip

    blank = io.BytesIO()
    Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(blank, format="JPEG")
    # five shade claims on one batch (a SKU's and a batch's figures shown), one decided
    shade_ids = [claim(f"roi-{i}") for i in range(5)]
    lips = claim("lips", photo=face_jpeg(), roi=None, shade="N02")
    redness = dict(type="redness", sku="SERUM-RETINOL", shade=None, roi=None, consent_health="true")
    single = claim("single", photo=face_jpeg(erythema=red_cheek), **redness)
    paired = claim("paired", photo=face_jpeg(erythema=red_cheek),
                   baseline=face_jpeg(earlier=True), **redness)  # fmt: skip
    claim("third-redness", photo=face_jpeg(), **redness)  # three on one batch: a red alert
    failed = claim("failed", photo=blank.getvalue(), **redness)
    withdrawn = claim("withdrawn", photo=face_jpeg(), roi=None, shade="N02")
    keep("post", "/claims/{claim_id}/withdraw",
         client.post(f"{API}/claims/{withdrawn}/withdraw", headers=shopper))  # fmt: skip
    wait(app)
    report = reject_within_tolerance(client, tokens, shade_ids[0])
    got.append(("post", "/claims/{claim_id}/decision", "201", report))
    # the brand recalibrates R01: the undecided claims' verdicts used version 1
    keep("post", "/brands/{brand}/shades", client.post(
        f"{API}/brands/demo-cosmetics/shades", headers=bearer(tokens["brand"]),
        json={"sku": "LIP-VELVET", "shade": "R01", "lab": [41.0, 55.0, 30.0]}), 201)  # fmt: skip
    for cid in (*shade_ids, lips, single, paired, failed, withdrawn):
        for who in (shopper, adj):
            keep("get", "/claims/{claim_id}", client.get(f"{API}/claims/{cid}", headers=who))
    for _ in range(2):  # over the hourly reveal limit of 1: an alert
        keep("post", "/claims/{claim_id}/reveal", client.post(
            f"{API}/claims/{single}/reveal", headers=adj,
            json={"reason": "the shopper disputes the pixelated area"}))  # fmt: skip
    keep("get", "/claims", client.get(f"{API}/claims?limit=200", headers=adj))
    keep("get", "/claims/{claim_id}/report",
         client.get(f"{API}/claims/{shade_ids[0]}/report", headers=shopper))  # fmt: skip
    keep("post", "/reports/verify", client.post(f"{API}/reports/verify", json=report))
    keep("get", "/brands/{brand}/stats", client.get(f"{API}/brands/demo-cosmetics/stats",
                                                    headers=bearer(tokens["brand"])))  # fmt: skip
    keep("get", "/alerts", client.get(f"{API}/alerts", headers=bearer(tokens["admin"])))
    keep(
        "get",
        "/brands/{brand}/skus/{sku}/shades/{shade}/calibrations",
        client.get(
            f"{API}/brands/demo-cosmetics/skus/LIP-VELVET/shades/R01/calibrations", headers=adj
        ),
    )
    keep("put", "/brands/{brand}/skus/{sku}", client.put(
        f"{API}/brands/demo-cosmetics/skus/SERUM-RETINOL", headers=bearer(tokens["brand"]),
        json={"ingredients": ["Aqua", "Retinol", "Linalool"]}))  # fmt: skip
    keep("put", "/brands/{brand}/policy", client.put(
        f"{API}/brands/demo-cosmetics/policy", headers=bearer(tokens["brand"]),
        json={"auto_approve": ["shade_mismatch"]}))  # fmt: skip
    keep("post", "/brands/{brand}/skus/{sku}/shades", client.post(
        f"{API}/brands/demo-cosmetics/skus/LIP-CSV/shades?dry_run=true",
        headers={**bearer(tokens["brand"]), "Content-Type": "text/csv"},
        data="shade,L,a,b,illuminant,observer,name\nC1,45,40,20,D65,2,Coral\n"))  # fmt: skip
    admin = bearer(tokens["admin"])
    hook = keep("post", "/webhooks", client.post(f"{API}/webhooks", headers=admin, json={
        "url": "http://127.0.0.1:9/hooks", "events": ["claim.decided"]}), 201)  # fmt: skip
    keep("get", "/webhooks", client.get(f"{API}/webhooks", headers=admin))
    keep("get", "/webhooks/{webhook_id}/deliveries",
         client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=admin))  # fmt: skip
    keep("post", "/webhooks/{webhook_id}/disable",
         client.post(f"{API}/webhooks/{hook['id']}/disable", headers=admin))  # fmt: skip
    keep("post", "/measure", client.post(f"{API}/measure", data={
        "photo": (io.BytesIO(sample_photo()), "s.jpg"), "roi": SAMPLE_ROI,
        "reference_lab": "40,50,25"}))  # fmt: skip
    for path in ("/shades", "/keys", "/consent"):
        keep("get", path, client.get(API + path))
    keep("get", "/me", client.get(f"{API}/me", headers=adj))
    # an appeal, decided by a second adjudicator: the claim's views, the appeal's report
    keep("post", "/claims/{claim_id}/appeal", client.post(
        f"{API}/claims/{shade_ids[0]}/appeal", headers=shopper,
        json={"statement": "The shade I received is darker than the one shown."}))  # fmt: skip
    with app.extensions["hueproof"]["store"].write() as s:
        second = bearer(create_user(s, role="adjudicator", name="second")[1])
    for who in (shopper, adj):
        keep("get", "/claims/{claim_id}", client.get(f"{API}/claims/{shade_ids[0]}", headers=who))
    keep("post", "/claims/{claim_id}/decision", client.post(
        f"{API}/claims/{shade_ids[0]}/decision", headers=second,
        json={"outcome": "approve_refund", "reason_code": "other", "note": "Chart in shade."}),
        201)  # fmt: skip
    for who in (shopper, adj):
        keep("get", "/claims/{claim_id}", client.get(f"{API}/claims/{shade_ids[0]}", headers=who))
    appeal_report = keep("get", "/claims/{claim_id}/report", client.get(
        f"{API}/claims/{shade_ids[0]}/report", headers=shopper))  # fmt: skip
    keep("post", "/reports/verify", client.post(f"{API}/reports/verify", json=appeal_report))
    keep("get", "/me/export", client.get(f"{API}/me/export", headers=shopper))
    keep("get", "/me", client.get(f"{API}/me", headers=shopper))
    keep("delete", "/me", client.delete(f"{API}/me", headers=shopper))
    doc = client.get(f"{API}/openapi.json").json
    app.extensions["hueproof"]["close"]()
    return doc, got


def _schema(doc, method, template, status) -> dict:
    op = doc["paths"][API + template][method]
    return op["responses"][status]["content"]["application/json"]["schema"]


def _validator(doc, schema):
    return Draft202012Validator({**schema, "components": doc["components"]})


def _resolve(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def undeclared(doc, value, schema, path="") -> list[str]:
    """Paths of the keys in ``value`` that ``schema`` (of ``doc``) does not declare; objects
    declared free-form (no properties, any values) are not looked into."""
    schema = _resolve(doc, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            fits = [s for s in schema[key] if _validator(doc, s).is_valid(value)]
            assert fits, f"{path}: fits none of {key}"
            return undeclared(doc, value, fits[0], path)
    out = []
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            if props is not None and k in props:
                out += undeclared(doc, v, props[k], f"{path}.{k}")
            elif props is not None:
                out.append(f"{path}.{k}")
            elif isinstance(extra, dict):
                out += undeclared(doc, v, extra, f"{path}.{k}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, v in enumerate(value):
            out += undeclared(doc, v, schema["items"], f"{path}[{i}]")
    return out


def test_every_response_validates_against_its_document(answers):
    doc, got = answers
    failures = []
    for method, template, status, body in got:
        errors = list(_validator(doc, _schema(doc, method, template, status)).iter_errors(body))
        failures += [f"{method.upper()} {template}: {'/'.join(map(str, e.instance_path))}: "
                     f"{e.message[:200]}" for e in errors[:3]]  # fmt: skip
    assert failures == []


def test_no_response_carries_an_undeclared_key(answers):
    doc, got = answers
    found = sorted(
        {
            f"{method.upper()} {template}: {p}"
            for method, template, status, body in got
            for p in undeclared(doc, body, _schema(doc, method, template, status))
        }
    )
    assert found == [], "\n".join(found)


def test_the_answers_cover_what_the_document_types(answers):
    """The fixture's claims reach the typed parts this test is for: a chart measurement and a
    chart-free one, a single photo's and a pair's redness, a failure's code, a recalibrated
    reference, related claims, every statistics cell shown, a brand alert and an admin
    alert."""
    _, got = answers
    claims = [b for m, t, _, b in got if (m, t) == ("get", "/claims/{claim_id}")]
    shade = [c["analysis"]["shade"] for c in claims if c["type"] == "shade" and c["analysis"]]
    assert {s["colour_source"] for s in shade} == {"chart", "chart-free model"}
    red = [c["analysis"]["redness"]["redness"] for c in claims
           if c["type"] == "redness" and c["analysis"]]  # fmt: skip
    assert {r["compared_to_baseline"] for r in red} == {True, False}
    assert {c["failure_code"] for c in claims} >= {"no_face"}
    assert any(c.get("reference_now") for c in claims)
    assert any(c.get("ingredients") for c in claims)
    related = [r for c in claims if c.get("related") for r in c["related"]["claims"]]
    assert any(r["photo"] for r in related) and any(r["same_order"] for r in related)
    (stats,) = [b for m, t, _, b in got if t == "/brands/{brand}/stats"]
    assert not stats["skus"]["LIP-VELVET"]["suppressed"], stats
    assert any(a["level"] == "red" for a in stats["alerts"]), stats["alerts"]
    (alerts,) = [b for m, t, _, b in got if t == "/alerts"]
    assert alerts["alerts"], alerts


def test_an_undeclared_key_is_found(answers):
    """The check above can fail: a key the document does not declare, deep in an analysis,
    and a value outside an enumeration."""
    doc, got = answers
    body = next(b for m, t, _, b in got if t == "/claims/{claim_id}" and b["analysis"]
                and b["type"] == "shade")  # fmt: skip
    body = {**body, "analysis": {**body["analysis"], "shade": {**body["analysis"]["shade"],
                                                               "secret": 1}}}  # fmt: skip
    schema = _schema(doc, "get", "/claims/{claim_id}", "200")
    assert undeclared(doc, body, schema) == [".analysis.shade.secret"]
    wrong = {**body, "failure_code": "gremlins"}
    assert not _validator(doc, schema).is_valid(wrong)
