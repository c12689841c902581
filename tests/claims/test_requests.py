"""Bad requests get a specific problem+json and leave nothing half-written; idempotency."""

from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from claims.models import AuditEntry, Claim, Consent, Image, Job
from tests.claims.conftest import bearer, file_claim, sample_photo, seeded_app, wait


def _counts(app):
    ext = app.extensions["hueproof"]
    with ext["store"].read() as s:
        rows = {m.__name__: s.execute(select(func.count()).select_from(m)).scalar()
                for m in (Claim, Consent, Image, Job, AuditEntry)}  # fmt: skip
    files = sorted(p.name for p in ext["store"].blobs.root.rglob("*") if p.is_file())
    return rows, files


@pytest.mark.parametrize(
    ("fields", "status", "kind", "words"),
    [
        ({"type": None}, 422, "invalid-input", "type"),
        ({"type": "smell"}, 422, "invalid-input", "type"),
        ({"sku": None}, 422, "invalid-input", "sku"),
        ({"sku": "NO-SUCH-SKU"}, 404, "not-found", "SKU"),
        ({"shade": "Z99"}, 404, "not-found", "shade"),
        ({"shade": None}, 422, "invalid-input", "shade"),
        ({"roi": "1,2,three,4"}, 422, "invalid-input", "roi"),
        ({"roi": "5000,10,10,10"}, 422, "invalid-input", "inside"),
        ({"roi": "inf,10,10,10"}, 422, "invalid-input", "roi as X,Y,W,H"),  # a 500 before
        ({"roi": "1e300,10,10,10"}, 422, "invalid-input", "got '1e300,10,10,10'"),
        ({"brand": "nobody"}, 404, "not-found", "brand"),
        # kept whole or refused: before, the 101st character on was dropped unsaid
        (
            {"order_ref": "O" * 101},
            422,
            "invalid-input",
            "order number (order_ref) of at most 100 characters; got 101",
        ),
        ({"batch": "B" * 101}, 422, "invalid-input", "batch code (batch) of at most 100"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(app, client, tokens, fields, status,
                                                        kind, words):  # fmt: skip
    before = _counts(app)
    resp = file_claim(client, tokens["shopper"], key=f"bad-{kind}", **fields)
    assert resp.status_code == status, resp.json
    assert resp.mimetype == "application/problem+json" and resp.json["type"].endswith(kind)
    assert words.lower() in resp.json["detail"].lower()
    assert _counts(app) == before


def test_image_problems_are_413_415_422(app, client, tokens):
    before = _counts(app)
    gif = file_claim(client, tokens["shopper"], key="gif", photo=b"GIF89a" + b"\0" * 64)
    assert gif.status_code == 415 and gif.json["type"].endswith("/unsupported-media-type")
    cut = sample_photo()[:5000]
    trunc = file_claim(client, tokens["shopper"], key="cut", photo=cut)
    assert trunc.status_code == 422 and trunc.json["type"].endswith("/invalid-image")
    no_photo = client.post("/api/v1/claims", data={"type": "shade"},
                           headers={**bearer(tokens["shopper"]), "Idempotency-Key": "x"},
                           content_type="multipart/form-data")  # fmt: skip
    assert no_photo.status_code == 422
    assert _counts(app) == before


def test_request_over_the_size_limit_is_413(tmp_path):
    app, tokens = seeded_app(tmp_path / "d", MAX_CONTENT_LENGTH=50_000)
    client = app.test_client()
    resp = file_claim(client, tokens["shopper"], photo=sample_photo() + b"\0" * 60_000)
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"
    assert _counts(app)[0]["Claim"] == 0
    app.extensions["hueproof"]["close"]()


def test_json_endpoints_want_json(app, client, tokens):
    resp = client.put("/api/v1/brands/demo-cosmetics/skus/A1", data="name=x",
                      headers=bearer(tokens["brand"]))  # fmt: skip
    assert resp.status_code == 415
    wrong = client.put("/api/v1/brands/demo-cosmetics/skus/A1", json={"ingredients": "Aqua"},
                       headers=bearer(tokens["brand"]))  # fmt: skip
    assert wrong.status_code == 422 and wrong.json["errors"][0]["loc"] == ["ingredients"]
    extra = client.put("/api/v1/brands/demo-cosmetics/skus/A1", json={"colour": "red"},
                       headers=bearer(tokens["brand"]))  # fmt: skip
    assert extra.status_code == 422
    assert client.get("/api/v1/nowhere").json["type"].endswith("/not-found")
    assert client.delete("/api/v1/claims").status_code == 405


def test_idempotency_key(app, client, tokens):
    first = file_claim(client, tokens["shopper"], key="same")
    again = file_claim(client, tokens["shopper"], key="same")
    assert first.status_code == 202 and again.status_code == 200
    assert again.json["id"] == first.json["id"]
    other = file_claim(client, tokens["shopper"], key="same", order_ref="ANOTHER")
    assert other.status_code == 422 and other.json["type"].endswith("/idempotency-key-reused")
    # the key is per shopper: another shopper's same key is another claim
    theirs = file_claim(client, tokens["shopper_b"], key="same")
    assert theirs.status_code == 202 and theirs.json["id"] != first.json["id"]
    missing = client.post("/api/v1/claims", data={"photo": (io.BytesIO(b"x"), "a.jpg")},
                          headers=bearer(tokens["shopper"]),
                          content_type="multipart/form-data")  # fmt: skip
    assert missing.status_code == 422 and "Idempotency-Key" in missing.json["detail"]
    wait(app)
    rows, _ = _counts(app)
    assert rows["Claim"] == 2 and rows["Job"] == 2


def _analysed(app, client, tokens, key: str, **fields) -> dict:
    """The shopper's claim filed with ``fields`` (claim_form's otherwise), once its analysis
    has run: its view."""
    resp = file_claim(client, tokens["shopper"], key=key, **fields)
    wait(app)
    return client.get(f"/api/v1/claims/{resp.json['id']}", headers=bearer(tokens["shopper"])).json


def test_a_face_less_photo_without_roi_fails_with_a_reason(app, client, tokens):
    view = _analysed(app, client, tokens, "noroi", roi=None)
    assert view["status"] == "failed"
    assert "no face" in view["failure_reason"]
    assert view["failure_code"] == "no_face"  # for the pages to say in their language


def test_a_strip_of_a_picture_fails_as_faceless_not_stuck(app, client, tokens):
    """A redness claim whose photo is a strip (5000 × 3 pixels): failed, no face. Before, the
    analysis's preview shrank it to no pixels (an OpenCV error) and the claim stayed
    "analyzing", run again and again."""
    strip = io.BytesIO()
    PILImage.new("RGB", (5000, 3), (200, 150, 130)).save(strip, "PNG")
    view = _analysed(app, client, tokens, "strip", type="redness", sku="SERUM-RETINOL",
                     shade=None, roi=None, consent_health="true",
                     photo=strip.getvalue())  # fmt: skip
    assert (view["status"], view["failure_code"]) == ("failed", "no_face")


def test_an_unexpected_fault_of_the_analysis_fails_the_claim_and_says_so(app, client, tokens,
                                                                         monkeypatch):  # fmt: skip
    """An error the analysis does not expect (a bug meeting a photo): the claim fails,
    analysis_error, and says which error, where it stayed "analyzing" and was run again at
    every lease's end. The store or the machine failing (OSError, MemoryError) leaves it to
    be run again."""
    import claims.service

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(claims.service, "analyse_claim", broken)
    view = _analysed(app, client, tokens, "bug")
    assert (view["status"], view["failure_code"]) == ("failed", "analysis_error")
    assert view["failure_reason"] == "the analysis failed (RuntimeError)"

    def away(*args, **kwargs):
        raise OSError("the store is away")

    monkeypatch.setattr(claims.service, "analyse_claim", away)
    view = _analysed(app, client, tokens, "away", order_ref="O-2")
    assert view["status"] == "analyzing"  # run again once its lease runs out


def test_a_fault_writing_an_analysis_fails_the_claim_not_holds_it(app, client, tokens,
                                                                   monkeypatch):  # fmt: skip
    """An error the service does not expect while writing an analysis's result (here, its
    suggestion): the claim fails, analysis_error, in a transaction of its own; its result
    is not half-written. Before, the transaction was undone and the claim stayed
    "analyzing", run again at every lease's end."""
    import claims.service

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(claims.service, "_suggestion", broken)
    view = _analysed(app, client, tokens, "write")
    assert (view["status"], view["failure_code"]) == ("failed", "analysis_error")
    assert view["failure_reason"] == "the analysis's result could not be written (KeyError)"
    assert view["analysis"] is None


def test_a_failure_has_a_known_code():
    from claims.analysis import AnalysisFailed

    assert AnalysisFailed("no_lips", "the lips region is empty").code == "no_lips"
    with pytest.raises(ValueError, match="unknown failure code 'dark'; expected one of"):
        AnalysisFailed("dark", "too dark")


def test_a_shopper_filing_more_claims_an_hour_than_allowed_gets_429(tmp_path):
    """Three claims an hour allowed: the fourth answers 429 with Retry-After, before its photo
    is stored; a replay of a claim filed (same key) is still answered; another shopper files
    as before; claims filed over an hour ago do not count. Before, one account, or a script
    with its token, could queue analyses without end ahead of everyone else's claims."""
    import datetime as dt

    from claims.auth import create_user
    from claims.models import utcnow

    app, tokens = seeded_app(tmp_path / "d", CLAIMS_PER_HOUR=3, ANALYSIS_WORKERS=0)
    with app.extensions["hueproof"]["store"].write() as s:
        other = create_user(s, role="shopper")[1]
    client = app.test_client()
    first = [file_claim(client, tokens["shopper"], key=f"rate-{k}") for k in range(3)]
    assert [r.status_code for r in first] == [202, 202, 202]
    before = _counts(app)
    over = file_claim(client, tokens["shopper"], key="rate-3")
    assert over.status_code == 429 and over.mimetype == "application/problem+json"
    assert over.json["type"].endswith("/too-many-requests")
    assert "at most 3 claims an hour" in over.json["detail"]
    assert 3500 <= int(over.headers["Retry-After"]) <= 3600
    assert _counts(app) == before  # nothing written
    replay = file_claim(client, tokens["shopper"], key="rate-1")
    assert replay.status_code == 200 and replay.json["id"] == first[1].json["id"]
    assert file_claim(client, other, key="rate-other").status_code == 202
    # the three, filed over an hour ago now, no longer count
    with app.extensions["hueproof"]["store"].write() as s:
        for r in first:
            s.get(Claim, r.json["id"]).created_at = utcnow() - dt.timedelta(hours=1, minutes=1)
    assert file_claim(client, tokens["shopper"], key="rate-4").status_code == 202
    documented = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/claims"]
    assert "429" in documented["post"]["responses"] and "429" not in documented["get"]["responses"]


@pytest.mark.parametrize("query, said", [
    ("limit=0", "1 ≤ limit ≤ 200"), ("limit=201", "1 ≤ limit ≤ 200"),
    ("offset=-1", "0 ≤ offset"), ("offset=99999999999999999999", "0 ≤ offset ≤ 1000000000"),
    ("limit=ten", "integer limit and offset"),
])  # fmt: skip
def test_a_claims_page_out_of_range_is_refused_with_the_range(client, tokens, query, said):
    """A page start past any database's integers was a 500 (found by schemathesis with more
    examples than the suite runs); every page out of range is a 422 naming the range."""
    r = client.get(f"/api/v1/claims?{query}", headers=bearer(tokens["adjudicator"]))
    assert r.status_code == 422 and said in r.json["detail"], r.json


def test_an_order_number_and_batch_of_100_characters_are_kept_whole(app, client, tokens):
    """The longest a claim keeps, spaces around them aside."""
    order, batch = "O" * 100, "B-" * 50
    resp = file_claim(client, tokens["shopper"], key="long", order_ref=f"  {order} ",
                      batch=f"{batch}\t")  # fmt: skip
    assert resp.status_code == 202, resp.json
    assert (resp.json["order_ref"], resp.json["batch"]) == (order, batch)
