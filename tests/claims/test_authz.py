"""Every endpoint × anonymous, shopper A, shopper B, adjudicator, brand X, brand Y, admin."""

from __future__ import annotations

import pytest

from tests.claims.conftest import bearer, file_claim, sample_photo, wait

WHO = ("anonymous", "shopper", "shopper_b", "adjudicator", "brand", "brand_y", "admin")

# (method, path, body kind, expected status per principal in WHO order); {c} is shopper A's
# claim, of brand X = demo-cosmetics. Destructive calls come last, on their own claims.
MATRIX = [
    ("GET", "/api/v1/claims", None, (401, 200, 200, 200, 403, 403, 200)),
    ("GET", "/api/v1/claims/{c}", None, (401, 200, 404, 200, 404, 404, 200)),
    ("GET", "/api/v1/claims/{c}/photo.png", None, (401, 200, 404, 200, 404, 404, 200)),
    ("GET", "/api/v1/claims/{c}/heatmap.png", None, (401, 404, 404, 404, 404, 404, 404)),
    ("GET", "/api/v1/claims/{c}/baseline.png", None, (401, 404, 404, 404, 404, 404, 404)),
    ("GET", "/api/v1/claims/{c}/report", None, (401, 404, 404, 404, 404, 404, 404)),
    ("POST", "/api/v1/claims/{c}/reveal", "reveal", (401, 403, 404, 200, 404, 404, 403)),
    ("GET", "/api/v1/shades", None, (200,) * 7),
    ("GET", "/api/v1/keys", None, (200,) * 7),
    ("GET", "/api/v1/me", None, (401, 200, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/consent", None, (200,) * 7),
    ("GET", "/api/v1/openapi.json", None, (200,) * 7),
    ("POST", "/api/v1/brands/demo-cosmetics/shades", "shade", (401, 403, 403, 403, 201, 404, 201)),
    ("GET", "/api/v1/brands/demo-cosmetics/skus", None, (401, 403, 403, 403, 200, 404, 200)),
    ("PUT", "/api/v1/brands/demo-cosmetics/skus/NEW-1", "sku", (401, 403, 403, 403, 200, 404, 200)),
    ("PUT", "/api/v1/brands/demo-cosmetics/policy", "policy", (401, 403, 403, 403, 200, 404, 200)),
    ("GET", "/api/v1/brands/demo-cosmetics/stats", None, (401, 403, 403, 403, 200, 404, 200)),
    ("GET", "/api/v1/brands/demo-cosmetics/stats.csv", None, (401, 403, 403, 403, 200, 404, 200)),
    ("GET", "/api/v1/alerts", None, (401, 403, 403, 403, 403, 403, 200)),
    ("POST", "/api/v1/claims", "claim", (401, 202, 202, 403, 403, 403, 403)),
    ("POST", "/api/v1/claims/{c}/decision", "decision", (401, 403, 404, 201, 404, 404, 403)),
    ("POST", "/api/v1/claims/{c}/withdraw", None, (401, 200, 404, 403, 404, 404, 403)),
]  # fmt: skip

BODIES = {
    "reveal": {"reason": "check the product region of the photo"},
    "shade": {"sku": "LIP-VELVET", "shade": "X9", "lab": [45.0, 40.0, 20.0]},
    "sku": {"name": "New", "ingredients": ["Aqua", "Limonene"]},
    "policy": {"no_proof_allergy": False},
    "decision": {"outcome": "reject", "reason_code": "shade_within_tolerance"},
}


@pytest.fixture()
def claim_id(app, client, tokens):
    resp = file_claim(client, tokens["shopper"], key="authz")
    assert resp.status_code == 202
    wait(app)
    return resp.json["id"]


def _call(client, method, path, kind, token, n):
    headers = bearer(token)
    if kind == "claim":
        from tests.claims.conftest import claim_form

        headers["Idempotency-Key"] = f"matrix-{n}"
        return client.post(path, data=claim_form(sample_photo()), headers=headers,
                           content_type="multipart/form-data")  # fmt: skip
    if kind in BODIES:
        return client.open(path, method=method, json=BODIES[kind], headers=headers)
    return client.open(path, method=method, headers=headers)


def test_authorisation_matrix(app, client, tokens, claim_id):
    failures = []
    for method, path, kind, expected in MATRIX:
        for n, (who, want) in enumerate(zip(WHO, expected, strict=True)):
            if (
                method == "POST"
                and path.endswith(("/decision", "/withdraw"))
                and want in (200, 201)
            ):
                continue  # done below, once, on a fresh claim
            resp = _call(client, method, path.format(c=claim_id), kind, tokens.get(who), n)
            if resp.status_code != want:
                failures.append(f"{method} {path} as {who}: {resp.status_code} (want {want})")
            if resp.status_code >= 400:
                assert resp.mimetype == "application/problem+json", (method, path, who)
    assert not failures, "\n".join(failures)
    wait(app)
    adj, shopper = bearer(tokens["adjudicator"]), bearer(tokens["shopper"])
    decided = client.post(f"/api/v1/claims/{claim_id}/decision", json=BODIES["decision"],
                          headers=adj)  # fmt: skip
    assert decided.status_code == 201
    other = file_claim(client, tokens["shopper"], key="to-withdraw").json["id"]
    assert client.post(f"/api/v1/claims/{other}/withdraw", headers=shopper).status_code == 200


def test_another_shoppers_claims_are_invisible_in_lists(client, tokens, claim_id):
    mine = client.get("/api/v1/claims", headers=bearer(tokens["shopper"])).json
    theirs = client.get("/api/v1/claims", headers=bearer(tokens["shopper_b"])).json
    assert [c["id"] for c in mine["items"]] == [claim_id]
    assert theirs["items"] == [] and theirs["total"] == 0


def test_bad_tokens_are_401_not_anonymous(client):
    for header in ("Bearer nope", "Basic abc", "Bearer "):
        resp = client.get("/api/v1/shades", headers={"Authorization": header})
        # public routes ignore identity; protected ones refuse a wrong token
        assert resp.status_code == 200
        resp = client.get("/api/v1/claims", headers={"Authorization": header})
        assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_raw_photo_link_is_for_its_adjudicator_only(app, client, tokens, claim_id):
    adj = bearer(tokens["adjudicator"])
    url = client.post(f"/api/v1/claims/{claim_id}/reveal", json=BODIES["reveal"],
                      headers=adj).json["url"]  # fmt: skip
    raw = client.get(url, headers=adj)
    assert raw.status_code == 200 and raw.data == sample_photo()
    assert client.get(url).status_code == 401  # the link alone is not enough
    assert client.get(url, headers=bearer(tokens["shopper"])).status_code == 403
    assert client.get("/api/v1/raw/forged", headers=adj).status_code == 404


def test_a_refusal_says_what_was_refused_and_who_may(client, tokens, claim_id):
    """In words, with the right article. Before: "a shopper may not claims decide", "a
    adjudicator may not catalog write", "claims.list needs a bearer token"."""
    from claims.auth import ACTION_WORDS, PERMISSIONS

    assert set(ACTION_WORDS) == set(PERMISSIONS)
    cases = [
        ("POST", f"/api/v1/claims/{claim_id}/decision", "decision", "shopper", 403,
         "a shopper may not decide a claim; an adjudicator may"),
        ("PUT", "/api/v1/brands/demo-cosmetics/skus/NEW-2", "sku", "adjudicator", 403,
         "an adjudicator may not change a brand's catalog; an admin or a brand may"),
        ("GET", "/api/v1/claims", None, "anonymous", 401,
         "expected a bearer token (Authorization: Bearer …) to list claims"),
    ]  # fmt: skip
    for n, (method, path, kind, who, status, detail) in enumerate(cases):
        resp = _call(client, method, path, kind, tokens.get(who), n)
        assert (resp.status_code, resp.json["detail"]) == (status, detail)
