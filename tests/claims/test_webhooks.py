"""Webhooks (claims/webhooks.py): a platform's order system told of claims' events, signed,
retried until answered, nothing lost; managed by admins."""

from __future__ import annotations

import json
import time

import pytest
from jsonschema_rs import Draft202012Validator

import claims.jobs
import claims.webhooks
from claims.keys import PublicKey
from claims.webhooks import verify_delivery
from tests.claims.conftest import Receiver, bearer, file_claim, reject_within_tolerance

API = "/api/v1"


@pytest.fixture()
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture()
def quick(monkeypatch):
    """Senders that look every 0.1 s, and retries after 0.1, 0.2, 0.4 s."""
    monkeypatch.setattr(claims.jobs, "DELIVER_EVERY", 0.1)
    return {"WEBHOOK_RETRY_SECONDS": 0.1}


def _until(done, timeout=60.0, what="the deliveries"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _register(client, tokens, url, **fields):
    r = client.post(f"{API}/webhooks", headers=bearer(tokens["admin"]), json={"url": url, **fields})
    assert r.status_code == 201, r.json
    return r.json


def _keys(client) -> dict:
    return {k["key_id"]: PublicKey.from_dict(k) for k in client.get(f"{API}/keys").json["keys"]}


def test_an_endpoint_is_told_of_a_claims_events_signed(tmp_path, receiver, quick):
    """Filed, analysed, decided: three deliveries, each signed with the service's key (of
    /api/v1/keys), its event in a header, its body the document's WebhookEvent; a changed
    byte or an old signature is refused by verify_delivery."""
    from tests.claims.conftest import seeded_app

    app, tokens = seeded_app(tmp_path / "data", **quick)
    client = app.test_client()
    hook = _register(client, tokens, receiver.url)
    assert hook["events"] == list(claims.webhooks.EVENTS) and hook["brand"] is None
    cid = file_claim(client, tokens["shopper"], key="hooked", order_ref="SHOP-42").json["id"]
    _until(lambda: [e["event"] for e in receiver.events()] == ["claim.filed", "claim.ready"])
    reject_within_tolerance(client, tokens, cid)
    _until(lambda: len(receiver.received) == 3)
    doc = client.get(f"{API}/openapi.json").json
    schema = Draft202012Validator({"$ref": "#/components/schemas/WebhookEvent",
                                   "components": doc["components"]})  # fmt: skip
    keys = _keys(client)
    for headers, body in receiver.received:
        assert verify_delivery(body, headers["Hueproof-Signature"], keys) == []
        event = json.loads(body)
        assert headers["Hueproof-Event"] == event["event"] and headers["Hueproof-Delivery"]
        assert schema.is_valid(event), list(schema.iter_errors(event))[:3]
        assert event["claim"]["id"] == cid and event["claim"]["order_ref"] == "SHOP-42"
        assert "analysis" not in event["claim"]  # no measurement, photo or health figure
    decided = receiver.events()[2]
    assert decided["event"] == "claim.decided" and decided["claim"]["status"] == "decided"
    assert decided["claim"]["decision"] == {"outcome": "reject",
                                            "reason_code": "shade_within_tolerance",
                                            "automatic": False,
                                            "on_appeal": False}  # fmt: skip
    assert decided["claim"]["links"]["report"] == f"/api/v1/claims/{cid}/report"
    headers, body = receiver.received[2]
    assert verify_delivery(body.replace(b"reject", b"approv"), headers["Hueproof-Signature"],
                           keys) == ["the signature does not match the body"]  # fmt: skip
    later = time.time() + 3600  # replayed an hour later
    assert "away from now" in verify_delivery(body, headers["Hueproof-Signature"], keys,
                                              now=later)[0]  # fmt: skip
    listed = client.get(f"{API}/webhooks", headers=bearer(tokens["admin"])).json["webhooks"]
    assert listed[0]["deliveries"] == {"delivered": 3, "failed": 0, "pending": 0}
    app.extensions["hueproof"]["close"]()


def test_a_delivery_is_retried_given_up_and_sent_again(tmp_path, quick, monkeypatch):
    """An endpoint answering 500: retried with a growing delay, given up after the last
    attempt and listed as failed with its answer; sent again by an admin once it answers.
    An endpoint down is retried the same way."""
    from tests.claims.conftest import seeded_app

    monkeypatch.setattr(claims.webhooks, "MAX_ATTEMPTS", 3)
    failing = Receiver(answers=[500] * 3)
    try:
        app, tokens = seeded_app(tmp_path / "data", **quick)
        client, admin = app.test_client(), bearer(tokens["admin"])
        hook = _register(client, tokens, failing.url, events=["claim.filed"])
        file_claim(client, tokens["shopper"], key="retried")
        deliveries = f"{API}/webhooks/{hook['id']}/deliveries"

        def failed():
            return client.get(f"{deliveries}?state=failed", headers=admin).json["deliveries"]

        _until(failed)
        (d,) = failed()
        assert (d["attempts"], d["last_error"], d["event"]) == (3, "answered 500", "claim.filed")
        assert len(failing.received) == 3
        sent_at = [json.loads(b)["id"] for _, b in failing.received]
        assert len(set(sent_at)) == 1  # one event, three attempts
        again = client.post(f"{API}/webhooks/deliveries/{d['id']}/retry", headers=admin)
        assert again.status_code == 200 and again.json["state"] == "pending"
        _until(lambda: client.get(f"{deliveries}?state=delivered", headers=admin)
               .json["deliveries"])  # fmt: skip
        assert len(failing.received) == 4
        # an endpoint that is down: not reached, retried
        failing.close()
        file_claim(client, tokens["shopper"], key="down")
        _until(
            lambda: any(
                (x["last_error"] or "").startswith("not reached")
                for x in client.get(deliveries, headers=admin).json["deliveries"]
            )
        )
    finally:
        app.extensions["hueproof"]["close"]()


def test_which_endpoints_hear_of_what(tmp_path, receiver, quick):
    """An endpoint hears only its events, only its brand's claims; a disabled one nothing
    more; only admins manage them, and bad registrations are refused with what was
    expected."""
    from tests.claims.conftest import seeded_app

    app, tokens = seeded_app(tmp_path / "data", **quick)
    client, admin = app.test_client(), bearer(tokens["admin"])
    other = Receiver()
    try:
        with app.extensions["hueproof"]["store"].write() as s:
            from claims.catalog import ensure_brand

            ensure_brand(s, "other-brand")
        decided_only = _register(client, tokens, receiver.url, events=["claim.decided"])
        _register(client, tokens, other.url, brand="other-brand")
        cid = file_claim(client, tokens["shopper"], key="one").json["id"]
        _until(lambda: client.get(f"{API}/claims/{cid}", headers=bearer(tokens["shopper"]))
               .json["status"] == "ready")  # fmt: skip
        reject_within_tolerance(client, tokens, cid)
        _until(lambda: len(receiver.received) == 1)
        assert receiver.events()[0]["event"] == "claim.decided"
        off = client.post(f"{API}/webhooks/{decided_only['id']}/disable", headers=admin)
        assert off.status_code == 200 and off.json["disabled"] is True
        second = file_claim(client, tokens["shopper"], key="two").json["id"]
        _until(lambda: client.get(f"{API}/claims/{second}", headers=bearer(tokens["shopper"]))
               .json["status"] == "ready")  # fmt: skip
        reject_within_tolerance(client, tokens, second)
        time.sleep(0.5)  # senders look every 0.1 s
        assert len(receiver.received) == 1 and other.received == []  # another brand's hook
    finally:
        other.close()
    for role in ("shopper", "adjudicator", "brand"):
        r = client.post(f"{API}/webhooks", headers=bearer(tokens[role]), json={"url": receiver.url})
        assert r.status_code == 403, (role, r.json)
        assert client.get(f"{API}/webhooks", headers=bearer(tokens[role])).status_code == 403
    for body, message in (({"url": "ftp://x.example/h"}, "url"),
                          ({"url": receiver.url, "events": ["claim.eaten"]}, "events"),
                          ({"url": receiver.url, "events": []}, "events"),
                          ({"url": receiver.url, "brand": "no-such-brand"}, "brand")):  # fmt: skip
        r = client.post(f"{API}/webhooks", headers=admin, json=body)
        assert r.status_code in (404, 422) and message in r.json["detail"], (body, r.json)
    assert client.get(f"{API}/webhooks/999/deliveries", headers=admin).status_code == 404
    assert client.get(f"{API}/webhooks/{decided_only['id']}/deliveries?state=lost",
                      headers=admin).status_code == 422  # fmt: skip
    app.extensions["hueproof"]["close"]()


def test_deliveries_done_with_are_deleted_by_the_retention_purge(tmp_path, receiver):
    """Delivered deliveries name orders: the purge deletes them once as old as the photos'
    retention; pending ones stay whatever their age."""
    import datetime as dt

    from claims.models import WebhookDelivery
    from tests.claims.conftest import seeded_app

    app, tokens = seeded_app(tmp_path / "data", ANALYSIS_WORKERS=0)
    client = app.test_client()
    _register(client, tokens, receiver.url, events=["claim.filed"])
    for key in ("a", "b"):
        file_claim(client, tokens["shopper"], key=key)
    service = app.extensions["hueproof"]["service"]
    first = service.take_deliveries(limit=1, lease=60)[0]["id"]
    service.delivery_answered(first, None)  # one delivered, one pending
    service.purge(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=29))
    with app.extensions["hueproof"]["store"].read() as s:
        assert s.query(WebhookDelivery).count() == 2  # not yet
    service.purge(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=31))
    with app.extensions["hueproof"]["store"].read() as s:
        left = [(d.id, d.delivered_at) for d in s.query(WebhookDelivery)]
    assert len(left) == 1 and left[0][0] != first and left[0][1] is None
    app.extensions["hueproof"]["close"]()
