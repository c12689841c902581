"""Consent, pixelation by default, logged reveals, withdrawal and retention."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from claims.models import AuditEntry, Claim
from claims.models import Image as ImageRow
from server import create_app
from tests.claims.conftest import another_photo, bearer, face_jpeg, file_claim, seeded_app, wait
from vision.ingest import ingest_image

REASON = {"reason": "verify the swatch region is the product"}


def _actions(app):
    with app.extensions["hueproof"]["store"].read() as s:
        return [e.action for e in s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()]


def _ready_claim(app, client, tokens, key="p1"):
    resp = file_claim(client, tokens["shopper"], key=key)
    assert resp.status_code == 202
    wait(app)
    return resp.json["id"]


def test_served_photo_is_pixelated(app, client, tokens):
    cid = _ready_claim(app, client, tokens)
    png = client.get(f"/api/v1/claims/{cid}/photo.png", headers=bearer(tokens["shopper"])).data
    px = np.asarray(Image.open(io.BytesIO(png)))
    # a mosaic: runs of identical pixels at least 8 long along every row
    changes = np.count_nonzero(np.any(np.diff(px.astype(int), axis=1) != 0, axis=-1))
    assert changes <= px.shape[0] * px.shape[1] / 8


def _phone_jpeg() -> bytes:
    """A face as a phone might send it: EXIF with a camera, a date, a location, the owner and
    the body's serial number; XMP with a city; a comment; a motion photo's video after the
    image."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x013B] = "Google", "Pixel 8", "Jane Shopper"
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0xA431] = "2026:10:01 09:14:00", "SERIAL-0042"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (22.0, 32.0, 7.0)
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
           b'22-rdf-syntax-ns#"><rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/'
           b'1.0/" photoshop:City="Shenzhen"/></rdf:RDF></x:xmpmeta>')  # fmt: skip
    Image.open(io.BytesIO(face_jpeg(3.0))).save(buf := io.BytesIO(), format="JPEG", quality=97,
                                                 exif=exif.tobytes(), xmp=xmp,
                                                 comment=b"Jane at home")  # fmt: skip
    return buf.getvalue() + b"ftypmp42 MOTION-PHOTO-VIDEO"


def test_stored_photos_keep_no_metadata_but_what_the_analysis_reads(app, client, tokens):
    """The revealed raw photo is the upload without its location, owner, serial number, XMP,
    comment and trailing video; it decodes to the same pixels and states the same camera and
    date. The chain records the upload's hash beside the stored file's."""
    upload = _phone_jpeg()
    resp = file_claim(client, tokens["shopper"], key="meta-1", photo=upload)
    assert resp.status_code == 202
    wait(app)
    cid, adj = resp.json["id"], bearer(tokens["adjudicator"])
    url = client.post(f"/api/v1/claims/{cid}/reveal", json=REASON, headers=adj).json["url"]
    raw = client.get(url, headers=adj).data
    for secret in (b"Jane", b"SERIAL-0042", b"Shenzhen", b"xmpmeta", b"MOTION-PHOTO"):
        assert secret in upload and secret not in raw
    exif = Image.open(io.BytesIO(raw)).getexif()
    assert not exif.get_ifd(0x8825) and 0x013B not in exif  # no location, no owner
    sent, kept = ingest_image(upload), ingest_image(raw)
    assert np.array_equal(sent.rgb_lin, kept.rgb_lin)
    assert kept.facts()["camera"] == "Google Pixel 8" == sent.facts()["camera"]
    assert kept.facts()["taken_at"] == "2026-10-01T09:14:00"
    view = client.get(f"/api/v1/claims/{cid}", headers=adj).json
    assert view["photo_sha256"] == hashlib.sha256(raw).hexdigest()
    assert view["analysis"]["photo"]["camera"] == "Google Pixel 8"
    with app.extensions["hueproof"]["store"].read() as s:
        filed = s.execute(select(AuditEntry).where(AuditEntry.action == "claim.filed")).scalar()
        assert s.get(ImageRow, view["photo_sha256"]).size == len(raw)
    assert filed.payload["uploads_sha256"] == [hashlib.sha256(upload).hexdigest()]


def test_reveal_needs_a_reason_and_is_logged_in_the_same_transaction(app, client, tokens):
    cid = _ready_claim(app, client, tokens)
    adj = bearer(tokens["adjudicator"])
    short = client.post(f"/api/v1/claims/{cid}/reveal", json={"reason": "why"}, headers=adj)
    assert short.status_code == 422 and "photo.revealed" not in _actions(app)
    ok = client.post(f"/api/v1/claims/{cid}/reveal", json=REASON, headers=adj)
    assert ok.status_code == 200
    with app.extensions["hueproof"]["store"].read() as s:
        e = s.execute(select(AuditEntry).where(AuditEntry.action == "photo.revealed")).scalar()
    assert e.payload["reason"] == REASON["reason"] and e.subject == f"claim:{cid}"
    assert e.actor.startswith("user:") and e.actor.endswith(":adjudicator")


def test_reveal_links_expire(tmp_path):
    app, tokens = seeded_app(tmp_path / "d", REVEAL_SECONDS=0)
    client = app.test_client()
    cid = _ready_claim(app, client, tokens)
    adj = bearer(tokens["adjudicator"])
    url = client.post(f"/api/v1/claims/{cid}/reveal", json=REASON, headers=adj).json["url"]
    assert client.get(url, headers=adj).status_code == 404
    app.extensions["hueproof"]["close"]()


def test_many_reveals_in_an_hour_raise_an_alert_for_admins(tmp_path):
    app, tokens = seeded_app(tmp_path / "d", REVEAL_ALERT_PER_HOUR=2)
    client = app.test_client()
    cid = _ready_claim(app, client, tokens)
    adj = bearer(tokens["adjudicator"])
    for _ in range(3):
        assert client.post(f"/api/v1/claims/{cid}/reveal", json=REASON,
                           headers=adj).status_code == 200  # fmt: skip
    alerts = client.get("/api/v1/alerts", headers=bearer(tokens["admin"])).json["alerts"]
    assert [a["kind"] for a in alerts] == ["reveal_rate"]
    assert alerts[0]["detail"]["reveals_last_hour"] == 3
    assert "alert.raised" in _actions(app)
    app.extensions["hueproof"]["close"]()


def test_withdrawal_stops_processing_and_erases_the_photos(tmp_path):
    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)  # nothing runs until asked
    client = app.test_client()
    ext = app.extensions["hueproof"]
    cid = file_claim(client, tokens["shopper"]).json["id"]
    with ext["store"].read() as s:
        sha = s.get(Claim, cid).photo_sha256
    assert ext["store"].blobs.exists(sha)
    resp = client.post(f"/api/v1/claims/{cid}/withdraw", headers=bearer(tokens["shopper"]))
    assert resp.status_code == 200 and resp.json["status"] == "withdrawn"
    assert resp.json["consent"]["withdrawn"] is True
    assert not ext["store"].blobs.exists(sha)
    assert ext["service"].run_analysis(cid) == "withdrawn"  # a late job does nothing
    with ext["store"].read() as s:
        assert s.get(Claim, cid).analysis is None
        assert s.get(ImageRow, sha).erased_at is not None  # the hash stays as evidence
    assert {"consent.withdrawn", "claim.photos_erased"} <= set(_actions(app))
    assert client.get(f"/api/v1/claims/{cid}/photo.png",
                      headers=bearer(tokens["shopper"])).status_code == 404  # fmt: skip
    ext["close"]()


def test_the_same_photo_in_another_live_claim_is_not_erased(app, client, tokens):
    first = file_claim(client, tokens["shopper"], key="a").json["id"]
    second = file_claim(client, tokens["shopper"], key="b", order_ref="ORDER-2").json["id"]
    wait(app)
    client.post(f"/api/v1/claims/{first}/withdraw", headers=bearer(tokens["shopper"]))
    photo = client.get(f"/api/v1/claims/{second}/photo.png", headers=bearer(tokens["shopper"]))
    assert photo.status_code == 200
    with app.extensions["hueproof"]["store"].read() as s:
        assert app.extensions["hueproof"]["store"].blobs.exists(s.get(Claim, second).photo_sha256)


def _one_photo_filed_twice_the_first_decided(app, client, tokens) -> tuple[str, str]:
    """Two claims of the shopper's on the sample photo (one file), the first rejected."""
    first = file_claim(client, tokens["shopper"], key="a").json["id"]
    second = file_claim(client, tokens["shopper"], key="b", order_ref="ORDER-2").json["id"]
    wait(app)
    assert client.post(f"/api/v1/claims/{first}/decision", headers=bearer(tokens["adjudicator"]),
                       json={"outcome": "reject", "reason_code": "shade_within_tolerance"}
                       ).status_code == 201  # fmt: skip
    return first, second


def test_a_photo_two_claims_share_is_erased_once_both_are_withdrawn(app, client, tokens):
    """One photo filed twice, the first claim decided: withdrawn one after the other, the
    file goes with the second. Before, the decided claim (whose status stays 'decided' when
    its consent is withdrawn) still counted as using it, and the face was kept for ever."""
    shopper = bearer(tokens["shopper"])
    first, second = _one_photo_filed_twice_the_first_decided(app, client, tokens)
    store = app.extensions["hueproof"]["store"]
    with store.read() as s:
        sha = s.get(Claim, first).photo_sha256
        assert s.get(Claim, second).photo_sha256 == sha
    client.post(f"/api/v1/claims/{first}/withdraw", headers=shopper)
    assert store.blobs.exists(sha)  # the second claim still uses it
    client.post(f"/api/v1/claims/{second}/withdraw", headers=shopper)
    assert not store.blobs.exists(sha)


def test_a_decided_claims_shared_photo_is_purged_once_not_every_hour(app, client, tokens):
    """The first claim's retention over while a second claim still uses its photo: the file
    stays and the purge records it once. Before, every hourly purge erased it again (nothing
    erased, one more audit entry each time)."""
    _, second = _one_photo_filed_twice_the_first_decided(app, client, tokens)
    ext = app.extensions["hueproof"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    assert [ext["service"].purge(now=later + dt.timedelta(hours=h)) for h in range(3)] == [1, 0, 0]
    assert _actions(app).count("claim.photos_erased") == 1
    with ext["store"].read() as s:
        assert ext["store"].blobs.exists(s.get(Claim, second).photo_sha256)


@pytest.mark.parametrize("days_after", [31, 5])
def test_raw_photos_are_purged_after_the_retention_period(app, client, tokens, days_after):
    ext = app.extensions["hueproof"]
    cid = _ready_claim(app, client, tokens)
    adj = bearer(tokens["adjudicator"])
    report = client.post(
        f"/api/v1/claims/{cid}/decision",
        headers=adj,
        json={"outcome": "reject", "reason_code": "shade_within_tolerance"},
    ).json
    with ext["store"].read() as s:
        sha = s.get(Claim, cid).photo_sha256
    n = ext["service"].purge(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=days_after))
    purged = days_after > ext["service"].config.purge_after_days
    assert n == int(purged)
    assert ext["store"].blobs.exists(sha) is not purged
    # the pixelated view, the measurements and the signed report stay
    assert client.get(f"/api/v1/claims/{cid}/photo.png", headers=adj).status_code == 200
    assert client.get(f"/api/v1/claims/{cid}/report", headers=adj).json == report
    reveal = client.post(f"/api/v1/claims/{cid}/reveal", json=REASON, headers=adj)
    assert reveal.status_code == (404 if purged else 200)


@pytest.mark.parametrize("days_after", [31, 5])
def test_a_failed_claims_photos_are_purged_after_the_retention_period(app, client, tokens,
                                                                      days_after):  # fmt: skip
    """A claim whose analysis failed is never decided (the shopper files again): its photos
    go the retention period after the failure. Before, its face was kept for ever."""
    ext = app.extensions["hueproof"]
    cid = file_claim(client, tokens["shopper"], key="fails", roi=None).json["id"]  # no face
    wait(app)
    with ext["store"].read() as s:
        claim = s.get(Claim, cid)
        assert claim.status == "failed"
        sha = claim.photo_sha256
    n = ext["service"].purge(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=days_after))
    purged = days_after > ext["service"].config.purge_after_days
    assert n == int(purged) and ext["store"].blobs.exists(sha) is not purged
    with ext["store"].read() as s:
        why = [e.payload["why"] for e in s.execute(select(AuditEntry).where(
            AuditEntry.action == "claim.photos_erased")).scalars()]  # fmt: skip
    days = ext["service"].config.purge_after_days
    assert why == ([f"retention: {days} days after the analysis failed"] if purged else [])


def test_consent_is_required_and_recorded(app, client, tokens):
    no_face = file_claim(client, tokens["shopper"], key="c1", consent_facial="false")
    assert no_face.status_code == 422 and no_face.json["type"].endswith("/consent-required")
    old = file_claim(client, tokens["shopper"], key="c2", consent_version="2020-01-01")
    assert old.status_code == 422
    no_health = file_claim(client, tokens["shopper"], key="c3", type="redness",
                           sku="SERUM-RETINOL", shade=None, roi=None)  # fmt: skip
    assert no_health.status_code == 422 and "health" in no_health.json["detail"]
    assert _actions(app) == []  # nothing was written for refused claims
    notice = client.get("/api/v1/consent").json
    ok = file_claim(client, tokens["shopper"], key="c4")
    assert ok.json["consent"] == {"notice_version": notice["version"], "facial": True,
                                  "health": False, "withdrawn": False}  # fmt: skip
    with app.extensions["hueproof"]["store"].read() as s:
        e = s.execute(select(AuditEntry).where(AuditEntry.action == "consent.given")).scalar()
    assert e.payload["notice_sha256"] == notice["sha256"]


def test_photos_stored_with_their_metadata_lose_it_at_the_next_start(tmp_path, monkeypatch):
    """A store from before uploads were stripped: its photos carry location, owner and serial
    number. The next start rewrites them (pixels, camera and date kept), points the claims
    at the new files, records both hashes in the chain and deletes the old files; a photo
    being analysed waits for the next run; signed reports and the chain still verify."""
    from claims.audit import verify_chain
    from claims.reports import verify_report
    from vision import ingest

    check = ingest.check_image

    def as_filed_before_session_11(data: bytes, **limits):  # the upload stored as sent
        im = check(data, **limits)
        return ingest.ImageCheck(im.upload_sha256, im.format, im.width, im.height,
                                 im.orientation, len(data), data, im.upload_sha256)  # fmt: skip

    monkeypatch.setattr(ingest, "check_image", as_filed_before_session_11)
    app, tokens = seeded_app(tmp_path / "d")
    client, shopper = app.test_client(), tokens["shopper"]
    upload, before = _phone_jpeg(), _phone_jpeg() + b"-2"  # two files, one picture
    redness = dict(type="redness", sku="SERUM-RETINOL", shade=None, roi=None,
                   consent_health="true")  # fmt: skip
    ids = [file_claim(client, shopper, key=k, photo=upload, baseline=b, **redness).json["id"]
           for k, b in (("old-1", before), ("old-2", None), ("old-3", None))]  # fmt: skip
    wait(app)
    adj = bearer(tokens["adjudicator"])
    decided = client.post(f"/api/v1/claims/{ids[0]}/decision", headers=adj, json={
        "outcome": "escalate", "reason_code": "redness_flagged_single_photo"})  # fmt: skip
    assert decided.status_code == 201, decided.json
    report = decided.json  # signed, naming the files as filed
    assert report["photos"]["photo_sha256"] == hashlib.sha256(upload).hexdigest()
    store = app.extensions["hueproof"]["store"]
    with store.write() as s:  # as migration 0002 leaves the rows of that time; one still busy
        for row in s.execute(select(ImageRow)).scalars():
            row.metadata_stripped = False
        s.get(Claim, ids[2]).status = "analyzing"
    old = {hashlib.sha256(upload).hexdigest(), hashlib.sha256(before).hexdigest()}
    assert all(store.blobs.exists(sha) for sha in old)
    app.extensions["hueproof"]["close"]()
    monkeypatch.undo()

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "d")})
    try:
        done = app.extensions["hueproof"]["metadata_stripped"]
        # the baseline at once; the photo the busy claim uses waits
        assert (done["stripped"], done["waiting"], done["failed"]) == (1, 1, {}), done
        wait(app)  # the busy claim's analysis, resumed, reads its file as stored
        service, store = app.extensions["hueproof"]["service"], app.extensions["hueproof"]["store"]
        done = service.strip_stored_metadata()
        assert (done["stripped"], done["waiting"], done["failed"]) == (1, 0, {}), done
        assert done["bytes_removed"] > 0
        client = app.test_client()
        views = [client.get(f"/api/v1/claims/{c}", headers=adj).json for c in ids]
        assert views[2]["status"] == "ready"
        photo, base = views[0]["photo_sha256"], views[0]["baseline_sha256"]
        assert photo not in old and base == photo  # the two files differed in metadata only
        assert views[1]["photo_sha256"] == views[2]["photo_sha256"] == photo  # one file, shared
        assert not any(store.blobs.exists(sha) for sha in old)
        stored = store.blobs.get(photo)
        for secret in (b"Jane", b"SERIAL-0042", b"Shenzhen", b"xmpmeta", b"MOTION-PHOTO"):
            assert secret not in stored
        kept = ingest_image(stored)
        assert np.array_equal(kept.rgb_lin, ingest_image(upload).rgb_lin)
        assert kept.facts()["camera"] == "Google Pixel 8"
        url = client.post(f"/api/v1/claims/{ids[0]}/reveal", json=REASON, headers=adj).json["url"]
        assert hashlib.sha256(client.get(url, headers=adj).data).hexdigest() == photo
        with store.read() as s:
            entries = s.execute(select(AuditEntry).where(
                AuditEntry.action == "image.metadata_stripped")).scalars().all()  # fmt: skip
            links = {e.payload["before_sha256"]: e.payload["after_sha256"] for e in entries}
            assert links == dict.fromkeys(old, photo)
            assert {c for e in entries for c in e.payload["claims"]} == set(ids)
            assert verify_chain(s, app.extensions["hueproof"]["keys"].public_keys()).ok
            assert verify_report(report, app.extensions["hueproof"]["keys"].public_keys(), s) == []
            assert all(s.get(ImageRow, sha) is None for sha in old)
        # a run stopped after its commit leaves the old file: the next run deletes it
        store.blobs.put(upload)
        again = service.strip_stored_metadata()
        assert (again["stripped"], again["unchanged"]) == (0, 0)
        assert not store.blobs.exists(hashlib.sha256(upload).hexdigest())
    finally:
        app.extensions["hueproof"]["close"]()


def test_a_shopper_exports_everything_held_about_her(app, client, tokens):
    """The right to a copy of one's data: the account, each consent (its notice's version
    and hash, withdrawn or not, the claims under it), every claim as she sees it, what is kept
    of each of her photos (hash, fingerprint, erased or not), and each time a reviewer viewed
    her original photo with the reason stated (the reviewer unnamed); nothing of another
    shopper's; the export is a link of the chain."""
    mine = [file_claim(client, tokens["shopper"], key=f"x{i}").json["id"] for i in range(2)]
    theirs = file_claim(client, tokens["shopper_b"], key="other").json["id"]
    wait(app)
    reason = "the shopper disputes which lipstick is in the photo"
    assert client.post(f"/api/v1/claims/{mine[0]}/reveal", headers=bearer(tokens["adjudicator"]),
                       json={"reason": reason}).status_code == 200  # fmt: skip
    client.post(f"/api/v1/claims/{mine[1]}/withdraw", headers=bearer(tokens["shopper"]))
    r = client.get("/api/v1/me/export", headers=bearer(tokens["shopper"]))
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    data = r.json
    assert data["user"]["role"] == "shopper"
    assert [c["id"] for c in data["claims"]] == mine and theirs not in r.get_data(as_text=True)
    assert sorted(c for k in data["consents"] for c in k["claims"]) == sorted(mine)
    withdrawn = [k for k in data["consents"] if k["withdrawn_at"]]
    assert [k["claims"] for k in withdrawn] == [[mine[1]]]
    assert all(len(k["notice_sha256"]) == 64 for k in data["consents"])
    (view,) = data["original_photo_views"]
    assert (view["claim_id"], view["reason"], view["by"]) == (mine[0], reason, "a reviewer")
    assert "adjudicator" not in str(view)
    with app.extensions["hueproof"]["store"].read() as s:
        assert s.query(AuditEntry).filter_by(action="user.exported").count() == 1
    # what is kept of her photos: the one file both claims sent, its hash and fingerprint
    (picture,) = data["pictures"]
    assert picture["sha256"] == data["claims"][0]["photo_sha256"] and not picture["erased"]
    assert re.fullmatch(r"[0-9a-f]{16}", picture["fingerprint"]), picture
    assert re.fullmatch(r"[0-9a-f]{16}", picture["fingerprint_turned"]), picture
    other = client.get("/api/v1/me/export", headers=bearer(tokens["shopper_b"])).json
    assert [c["id"] for c in other["claims"]] == [theirs] and other["original_photo_views"] == []
    # a photo of hers erased (consent withdrawn): its hash and fingerprint kept, and said
    gone = file_claim(client, tokens["shopper_b"], key="gone", order_ref="O-gone",
                      photo=another_photo(3)).json["id"]  # fmt: skip
    client.post(f"/api/v1/claims/{gone}/withdraw", headers=bearer(tokens["shopper_b"]))
    other = client.get("/api/v1/me/export", headers=bearer(tokens["shopper_b"])).json
    assert [p["erased"] for p in other["pictures"]] == [False, True]
    assert (
        other["pictures"][1]["fingerprint"] and other["pictures"][1]["sha256"] != picture["sha256"]
    )
    assert client.get("/api/v1/me/export").status_code == 401


@pytest.mark.parametrize("reason", [
    " " * 12, "a" + " " * 7 + "b ", "a" + " " * 8 + "b", "\x1c" * 10, "  reason:  why  ",
])  # fmt: skip
def test_the_document_and_the_service_agree_on_a_reveal_reason(app, client, tokens, reason):
    """A reason the OpenAPI document's schema accepts is accepted, and one it refuses is
    refused (before, a reason blank at both ends met the document's 10 characters and was
    refused: schemathesis found it)."""
    from jsonschema_rs import Draft202012Validator

    doc = client.get("/api/v1/openapi.json").json
    schema = Draft202012Validator({"$ref": "#/components/schemas/RevealIn",
                                   "components": doc["components"]})  # fmt: skip
    cid = file_claim(client, tokens["shopper"], key="why").json["id"]
    wait(app)
    r = client.post(f"/api/v1/claims/{cid}/reveal", headers=bearer(tokens["adjudicator"]),
                    json={"reason": reason})  # fmt: skip
    assert (r.status_code == 200) == schema.is_valid({"reason": reason}), (r.status_code, r.json)


def test_a_shopper_erases_her_account_and_every_photo_goes(app, client, tokens):
    """DELETE /api/v1/me: consent withdrawn on every claim (the one waiting stops, the appeal
    waiting stops, the decided one keeps its decision), every photo erased with the pixelated
    copies, the name erased, the token refused from then on; the decision's signed report
    still verifies. Staff accounts are not erased this way (403)."""
    from claims.auth import create_user
    from claims.models import User

    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:
        user, token = create_user(s, role="shopper", name="Jane Doe")
        uid = user.id
    me = bearer(token)
    ids = [file_claim(client, token, key=f"e{k}", order_ref=f"E{k}", photo=face_jpeg(2.0 + k / 4),
                      roi=None).json["id"] for k in range(3)]  # fmt: skip
    wait(app)
    adj = bearer(tokens["adjudicator"])
    rejected = {"outcome": "reject", "reason_code": "shade_within_tolerance"}
    reports = [client.post(f"/api/v1/claims/{c}/decision", headers=adj, json=rejected).json
               for c in ids[:2]]  # fmt: skip
    assert (
        client.post(
            f"/api/v1/claims/{ids[1]}/appeal",
            headers=me,
            json={"statement": "The colour is far darker than the one shown live."},
        ).status_code
        == 200
    )
    with ext["store"].read() as s:
        files = {sha for c in ids for sha in (s.get(Claim, c).photo_sha256,
                                               *s.get(Claim, c).artefacts.values())}  # fmt: skip
    assert len(files) > 3 and all(ext["store"].blobs.exists(f) for f in files)
    assert client.delete("/api/v1/me", headers=adj).status_code == 403
    erased = client.delete("/api/v1/me", headers=me)
    assert erased.status_code == 200, erased.json
    assert (erased.json["claims"], erased.json["consents_withdrawn"]) == (3, 3)
    assert not any(ext["store"].blobs.exists(f) for f in files)
    assert client.get("/api/v1/me", headers=me).status_code == 401
    assert client.delete("/api/v1/me", headers=me).status_code == 401
    views = [client.get(f"/api/v1/claims/{c}", headers=adj).json for c in ids]
    assert [v["status"] for v in views] == ["decided", "decided", "withdrawn"]
    assert "appeal" not in views[1] and views[1]["decision"]["outcome"] == "reject"
    assert all(v["links"] == {"self": v["links"]["self"], **(
        {"report": v["links"]["report"]} if v["decision"] else {})} for v in views)  # fmt: skip
    for r in reports:
        assert client.post("/api/v1/reports/verify", json=r).json["valid"] is True
    with ext["store"].read() as s:
        assert (s.get(User, uid).name, s.get(User, uid).disabled) == ("", True)
        assert s.execute(
            select(AuditEntry.payload).where(AuditEntry.action == "user.erased")
        ).scalar() == {"claims": 3, "consents_withdrawn": 3}
