"""The same store, chain and claim flow on PostgreSQL (the scale-out database).

Uses the PostgreSQL server at ``HUEPROOF_TEST_POSTGRES`` (``pg_url`` in
tests/claims/conftest.py: by default the local one with trust authentication, as on the
project's CI machines); each test gets its own database, dropped afterwards. Without a
reachable server the test is skipped (a failure under ``CI=true``).
"""

from __future__ import annotations

import functools
import threading


def _at_once(*calls) -> list:
    """Each of ``calls`` in its own thread (a process of its own, on one database), released
    at the same instant: what each returned, in order, or the name of what it raised (what
    its process would die of, or answer 500 for)."""
    start, out = threading.Barrier(len(calls)), [None] * len(calls)

    def run(k, call):
        start.wait()
        try:
            out[k] = call()
        except Exception as exc:
            out[k] = type(exc).__name__

    threads = [threading.Thread(target=run, args=(k, call)) for k, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_claim_flow_and_chain_on_postgresql(pg_url, tmp_path):
    from claims.demo import seed_demo
    from tests.claims.conftest import _make_app, bearer, file_claim, wait

    app = _make_app(tmp_path / "d", DATABASE_URL=pg_url)
    ext = app.extensions["hueproof"]
    assert ext["store"].engine.dialect.name == "postgresql"
    client = app.test_client()
    with ext["store"].write() as s:
        tokens = seed_demo(s)
    resp = file_claim(client, tokens["shopper"])
    assert resp.status_code == 202, resp.json
    again = file_claim(client, tokens["shopper"])
    assert again.status_code == 200 and again.json["id"] == resp.json["id"]
    wait(app)
    adj = bearer(tokens["adjudicator"])
    view = client.get(f"/api/v1/claims/{resp.json['id']}", headers=adj).json
    assert view["status"] == "ready" and view["analysis"]["shade"]["verdict"] == "match"
    decision = {"outcome": "reject", "reason_code": "shade_within_tolerance"}
    report = client.post(f"/api/v1/claims/{resp.json['id']}/decision", headers=adj, json=decision)
    assert report.status_code == 201
    from claims.audit import verify_chain
    from claims.reports import verify_report

    with ext["store"].read() as s:
        assert verify_chain(s, ext["keys"].public_keys()).ok
        assert verify_report(report.json, ext["keys"].public_keys(), s) == []
    ext["close"]()


def test_two_adjudicators_deciding_one_claim_at_once_get_one_report_and_a_409(pg_url, tmp_path):
    """Two decisions on one claim at the same instant, three times: one is signed, the other
    answers 409 (the claim's row is locked while its status is checked and changed). Before,
    both passed the status check and the second failed on the decisions' unique key: a 500."""
    import threading

    from claims.audit import verify_chain
    from claims.demo import seed_demo
    from tests.claims.conftest import _make_app, bearer, file_claim, wait

    app = _make_app(tmp_path / "d", DATABASE_URL=pg_url)
    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:
        tokens = seed_demo(s)
    adj = bearer(tokens["adjudicator"])
    for n in range(3):
        cid = file_claim(app.test_client(), tokens["shopper"], key=f"race-{n}").json["id"]
        wait(app)
        start, answers = threading.Barrier(2), []

        def decide(outcome, reason, cid=cid, start=start, answers=answers):
            client = app.test_client()
            start.wait()
            resp = client.post(f"/api/v1/claims/{cid}/decision", headers=adj,
                               json={"outcome": outcome, "reason_code": reason,
                                     "note": "two adjudicators at once"})  # fmt: skip
            answers.append(resp.status_code)

        both = [threading.Thread(target=decide, args=("reject", "shade_within_tolerance")),
                threading.Thread(target=decide, args=("escalate", "other"))]  # fmt: skip
        for t in both:
            t.start()
        for t in both:
            t.join()
        assert sorted(answers) == [201, 409], answers
    with ext["store"].read() as s:
        assert verify_chain(s, ext["keys"].public_keys()).problems == ()
    ext["close"]()


def test_an_appeal_sent_twice_at_once_and_decided_twice_at_once_counts_once(pg_url, tmp_path):
    """On PostgreSQL: the shopper's appeal sent twice at the same instant (a double tap) is
    filed once, the other answered 409; two adjudicators deciding the appeal at once sign one
    report, the other answered 409; the chain stays whole."""
    import threading

    from sqlalchemy import func, select

    from claims.audit import verify_chain
    from claims.auth import create_user
    from claims.demo import seed_demo
    from claims.models import Appeal
    from tests.claims.conftest import _make_app, bearer, decided_claim

    app = _make_app(tmp_path / "d", DATABASE_URL=pg_url)
    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:
        tokens = seed_demo(s)
        others = [bearer(create_user(s, role="adjudicator", name=f"a{k}")[1]) for k in range(2)]
    cid, _ = decided_claim(app, app.test_client(), tokens, "twice")

    def at_once(calls):
        start, answers = threading.Barrier(len(calls)), []

        def run(call):
            client = app.test_client()
            start.wait()
            answers.append(call(client).status_code)

        threads = [threading.Thread(target=run, args=(c,)) for c in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sorted(answers)

    statement = {"statement": "The colour is not the one shown in the livestream."}
    assert at_once(
        [
            lambda c: c.post(
                f"/api/v1/claims/{cid}/appeal", json=statement, headers=bearer(tokens["shopper"])
            )
        ]
        * 2
    ) == [200, 409]
    decision = {"outcome": "approve_refund", "reason_code": "other", "note": "on appeal"}
    assert at_once(
        [
            lambda c, h=h: c.post(f"/api/v1/claims/{cid}/decision", json=decision, headers=h)
            for h in others
        ]
    ) == [201, 409]
    with ext["store"].read() as s:
        assert s.execute(select(func.count()).select_from(Appeal)).scalar() == 1
        assert verify_chain(s, ext["keys"].public_keys()).problems == ()
    ext["close"]()


def test_a_brand_posting_shades_at_once_gets_every_one_saved(pg_url, tmp_path):
    """Six calibrations at one instant: four shades of a SKU that does not exist yet, and two
    versions of one shade. Every one is saved (201) with its own version. Before, the brand's
    rows were not locked: the second to create the SKU, or to take a shade's next version,
    failed on a unique key (a 500)."""
    import threading

    from claims.demo import seed_demo
    from tests.claims.conftest import _make_app, bearer

    app = _make_app(tmp_path / "d", DATABASE_URL=pg_url)
    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:
        tokens = seed_demo(s)
    brand = bearer(tokens["brand"])
    bodies = [{"sku": "LIP-NEW", "shade": f"S{k}", "lab": [50.0 + k, 20.0, 10.0]}
              for k in range(4)]  # fmt: skip
    bodies += [{"sku": "LIP-VELVET", "shade": "R01", "lab": [40.0 + k, 50.0, 28.0]}
               for k in range(2)]  # fmt: skip
    start, answers = threading.Barrier(len(bodies)), []

    def calibrate(body):
        client = app.test_client()
        start.wait()
        resp = client.post("/api/v1/brands/demo-cosmetics/shades", headers=brand, json=body)
        answers.append((resp.status_code, body["shade"], resp.json.get("version")))

    threads = [threading.Thread(target=calibrate, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [(201, "R01", 2), (201, "R01", 3)] + [
        (201, f"S{k}", 1) for k in range(4)
    ], answers
    ext["close"]()


def test_two_workers_taking_one_queued_claim_analyse_it_once(pg_url, tmp_path):
    """Two `hueproof worker` processes on one database pick the same queued claim at the same
    instant: one analyses it, the other leaves it to the first (its job's lease). Before, both
    read the claim before the other had taken it, and both analysed it."""
    from sqlalchemy import func, select

    from claims.demo import seed_demo
    from claims.models import AuditEntry
    from tests.claims.conftest import _make_app, file_claim

    app = _make_app(tmp_path / "d", DATABASE_URL=pg_url, ANALYSIS_WORKERS=0)  # web only
    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:
        tokens = seed_demo(s)
    cid = file_claim(app.test_client(), tokens["shopper"], key="two-workers").json["id"]
    ends = _at_once(*[lambda: ext["service"].run_analysis(cid)] * 2)
    assert sorted(ends) == ["analyzing", "ready"], ends
    with ext["store"].read() as s:
        started = s.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "claim.analyzing")).scalar()  # fmt: skip
    assert started == 1
    ext["close"]()


def test_brand_statistics_on_postgresql_are_those_on_sqlite(pg_url, tmp_path):
    """The statistics read parts of the analyses in the database's JSON functions: the same
    claims (their record keys the same) give the same figures on both databases."""
    from claims.catalog import get_brand
    from claims.demo import seed_demo
    from claims.stats import brand_stats
    from tests.claims.conftest import _make_app, claims_analysed

    figures = []
    for name, config in (("pg", {"DATABASE_URL": pg_url}), ("sqlite", {})):
        app = _make_app(tmp_path / name, **config)
        ext = app.extensions["hueproof"]
        with ext["store"].write() as s:
            tokens = seed_demo(s)
        claims_analysed(app, app.test_client(), tokens, {"R01": 5, "N02": 5, "redness": 5})
        with ext["store"].read() as s:
            figures.append(brand_stats(s, get_brand(s, "demo-cosmetics")))
        ext["close"]()
    pg, sqlite = figures
    assert not pg["skus"]["SERUM-RETINOL"]["suppressed"] and pg["shades"], pg
    assert pg == sqlite


def test_related_claims_on_postgresql_are_found_as_on_sqlite(pg_url, tmp_path):
    """Fingerprints of 2**63 and above (stored as negative BIGINTs) and the bands' (band,
    value) lookup: a recoloured copy of a selfie filed for another product by another shopper, and
    the same order's product claimed again, are found alike on both databases."""
    from claims.auth import create_user
    from claims.demo import seed_demo
    from claims.models import Image
    from claims.related import index_picture
    from tests.claims.conftest import (
        _make_app,
        another_photo,
        bearer,
        face_jpeg,
        file_claim,
        recoloured_copy,
        wait,
    )
    from vision.fingerprint import Fingerprints

    selfie = face_jpeg()
    found = []
    for name, config in (("pg", {"DATABASE_URL": pg_url}), ("sqlite", {})):
        app = _make_app(tmp_path / name, **config)
        ext = app.extensions["hueproof"]
        with ext["store"].write() as s:
            tokens = seed_demo(s)
            other = create_user(s, role="shopper", name="B")[1]
        client = app.test_client()
        file_claim(
            client,
            tokens["shopper"],
            key="r",
            type="redness",
            sku="SERUM-RETINOL",
            shade=None,
            roi=None,
            consent_health="true",
            order_ref="O-1",
            photo=selfie,
        )
        file_claim(client, tokens["shopper"], key="s", order_ref="o 1", photo=another_photo(0))
        lips = file_claim(client, other, key="l", shade="N02", roi=None, order_ref="O-2",
                          photo=recoloured_copy(selfie)).json["id"]  # fmt: skip
        wait(app)
        adj = bearer(tokens["adjudicator"])
        views = [
            client.get(f"/api/v1/claims/{c['id']}", headers=adj).json
            for c in client.get("/api/v1/claims?order=oldest", headers=adj).json["items"]
        ]
        found.append([[(r["same_order"], r["same_product"], r["same_shopper"],
                        r["photo"] and r["photo"]["distance"]) for r in v["related"]["claims"]]
                      for v in views])  # fmt: skip
        assert views[2]["id"] == lips
        with ext["store"].write() as s:  # the top bit set: a negative BIGINT, the same bits
            s.add(Image(sha256="f" * 64, media_type="image/png", size=1, width=1, height=1))
            s.flush()
            index_picture(s, "f" * 64, Fingerprints(2**64 - 1, 2**63))
        with ext["store"].read() as s:
            image = s.get(Image, "f" * 64)
            assert (image.fingerprint, image.fingerprint_turned) == (-1, -(2**63))
        ext["close"]()
    pg, sqlite = found
    assert pg == sqlite, (pg, sqlite)
    assert pg[2] == [(False, False, False, pg[2][0][3])] and pg[2][0][3] <= 10, pg
    assert pg[1] == [(True, False, True, None)], pg


def test_web_processes_starting_at_once_fingerprint_each_stored_photo_once(pg_url, tmp_path):
    """Every web process fingerprints the stored photos that have none as it starts; several
    starting at once on one database each take a photo's row in turn: one writes its bands,
    the others find it done. Before the row lock, both wrote the same band rows."""
    from sqlalchemy import delete, func, select, update

    from claims.demo import seed_demo
    from claims.models import Image, ImageBand
    from tests.claims.conftest import _make_app, another_photo, file_claim

    app = _make_app(tmp_path / "d", DATABASE_URL=pg_url, ANALYSIS_WORKERS=0)
    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:
        tokens = seed_demo(s)
    for k in range(6):
        file_claim(app.test_client(), tokens["shopper"], key=f"k{k}", order_ref=f"O{k}",
                   photo=another_photo(k))  # fmt: skip
    with ext["store"].write() as s:  # as stored before fingerprints were taken
        s.execute(delete(ImageBand))
        s.execute(update(Image).values(fingerprint=None, fingerprinted=False))
    reports = _at_once(*[ext["service"].fingerprint_stored_photos] * 3)
    assert all(isinstance(r, dict) for r in reports), reports
    assert sum(r["fingerprinted"] for r in reports) == 6, reports
    with ext["store"].read() as s:
        assert s.execute(select(func.count()).select_from(ImageBand)).scalar() == 6 * 5
    ext["close"]()


def test_two_processes_filing_one_new_photo_at_once_both_file(pg_url, tmp_path):
    """Two web processes on one database (two apps) file the same new photo for two shoppers
    at the same instant, ten times: every claim is filed. Before, the second insert of the
    photo's row failed the claim (a 500) whenever the first had not committed yet."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from claims.auth import create_user
    from claims.demo import seed_demo
    from claims.models import Claim, ClaimLink
    from tests.claims.conftest import _make_app, another_photo, file_claim

    Other = aliased(Claim)
    apps = [_make_app(tmp_path / "d", DATABASE_URL=pg_url, ANALYSIS_WORKERS=0,
                      CLAIMS_PER_HOUR=0) for _ in range(2)]  # fmt: skip
    with apps[0].extensions["hueproof"]["store"].write() as s:
        tokens = seed_demo(s)
        shoppers = [tokens["shopper"], create_user(s, role="shopper", name="B")[1]]
    statuses = []
    for k in range(10):
        photo = another_photo(100 + k)

        def filing(app, token, key, photo=photo):
            resp = file_claim(app.test_client(), token, key=key, order_ref=key, photo=photo)
            return resp.status_code

        pairs = enumerate(zip(apps, shoppers, strict=True))
        statuses += _at_once(*[functools.partial(filing, app, token, f"k{k}-{i}")
                               for i, (app, token) in pairs])  # fmt: skip
    assert statuses == [202] * 20, statuses
    # and each is linked to the other filed with it: the second to be linked found the first
    # committed (claims.related.link_claim), a pair written by both kept once
    with apps[0].extensions["hueproof"]["store"].read() as s:
        assert all(s.scalars(select(Claim.links_version)).all())
        pairs = s.execute(select(Claim.order_ref, Other.order_ref).select_from(ClaimLink)
                          .join(Claim, Claim.id == ClaimLink.claim_id)
                          .join(Other, Other.id == ClaimLink.other_id)).all()  # fmt: skip
    assert sorted(pairs) == sorted((f"k{k}-{i}", f"k{k}-{1 - i}")
                                   for k in range(10) for i in (0, 1)), pairs  # fmt: skip
    for app in apps:
        app.extensions["hueproof"]["close"]()


def test_web_processes_starting_at_once_link_each_claim_once(pg_url, tmp_path):
    """Claims filed before links were kept are linked by every web process as it starts;
    three at once on one database take a claim's row in turn and write each pair once."""
    from sqlalchemy import delete, func, select, update

    from claims.demo import seed_demo
    from claims.models import Claim, ClaimLink
    from tests.claims.conftest import _make_app, another_photo, file_claim

    app = _make_app(tmp_path / "d", DATABASE_URL=pg_url, ANALYSIS_WORKERS=0)
    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:
        tokens = seed_demo(s)
    for k in range(6):  # one order: each claim related to the five others
        file_claim(app.test_client(), tokens["shopper"], key=f"k{k}", order_ref="O-1",
                   photo=another_photo(k))  # fmt: skip
    with ext["store"].write() as s:  # as filed before links were kept
        s.execute(delete(ClaimLink))
        s.execute(update(Claim).values(links_version=0))
    linked = _at_once(*[ext["service"].link_stored_claims] * 3)
    assert all(isinstance(n, int) for n in linked) and sum(linked) == 6, linked
    with ext["store"].read() as s:
        assert s.execute(select(func.count()).select_from(ClaimLink)).scalar() == 6 * 5
    ext["close"]()
