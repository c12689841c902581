"""Appeals: a shopper appeals a claim's decision once, within the appeal period; another
adjudicator than the one appealed decides it, and that signed report, naming the decision
appealed, supersedes the first."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from claims.audit import verify_chain
from claims.auth import create_user
from claims.models import Appeal, AuditEntry, Claim, Decision
from claims.stats import final_outcomes
from tests.claims.conftest import Receiver, bearer, decided_claim, file_claim, wait

API = "/api/v1"
STATEMENT = {"statement": "The lipstick I received is clearly darker than the one shown."}
REJECTED = {"outcome": "reject", "reason_code": "shade_within_tolerance"}
ON_APPEAL = {"outcome": "approve_refund", "reason_code": "other",
             "note": "Second look: the photo's chart was half in shade; refunded."}  # fmt: skip


def _second_adjudicator(app):
    with app.extensions["hueproof"]["store"].write() as s:
        return bearer(create_user(s, role="adjudicator", name="second")[1])


def _appeal(client, token, cid, body=STATEMENT):
    return client.post(f"{API}/claims/{cid}/appeal", headers=bearer(token), json=body)


def _backdate_decision(app, cid, days):
    with app.extensions["hueproof"]["store"].write() as s:
        d = s.execute(select(Decision).where(Decision.claim_id == cid)).scalar()
        d.created_at -= dt.timedelta(days=days)


def test_a_rejection_appealed_is_decided_by_another_adjudicator(app, client, tokens):
    ext = app.extensions["hueproof"]
    hook = Receiver()
    try:
        assert client.post(f"{API}/webhooks", headers=bearer(tokens["admin"]),
                           json={"url": hook.url}).status_code == 201  # fmt: skip
        cid = file_claim(client, tokens["shopper"], key="appealed").json["id"]
        wait(app)
        first = client.post(f"{API}/claims/{cid}/decision", headers=bearer(
            tokens["adjudicator"]), json={**REJECTED, "note": "Within tolerance on the chart."}
        ).json  # fmt: skip
        shopper = bearer(tokens["shopper"])
        view = client.get(f"{API}/claims/{cid}", headers=shopper).json
        until = dt.datetime.fromisoformat(view["appeal_until"])
        decided_at = dt.datetime.fromisoformat(view["decision"]["decided_at"])
        assert until - decided_at == dt.timedelta(days=30) and "appeal" not in view
        # only its shopper, with a statement
        assert _appeal(client, tokens["shopper_b"], cid).status_code == 404
        assert _appeal(client, tokens["adjudicator"], cid).status_code == 403
        for blank in ({"statement": "   too short   "}, {"statement": " " * 30}, {}):
            assert _appeal(client, tokens["shopper"], cid, blank).status_code == 422, blank
        appealed = _appeal(client, tokens["shopper"], cid)
        assert appealed.status_code == 200, appealed.json
        assert appealed.json["status"] == "appealed"
        assert appealed.json["appeal"]["statement"] == STATEMENT["statement"]
        assert appealed.json["appeal"]["appealed"]["outcome"] == "reject"
        assert appealed.json["appeal"]["decided"] is False and "appeal_until" not in appealed.json
        assert _appeal(client, tokens["shopper"], cid).status_code == 409  # once
        # in the reviewers' queue; the adjudicator appealed may not decide it
        first_adj, second = bearer(tokens["adjudicator"]), _second_adjudicator(app)
        queue = client.get(f"{API}/claims?status=appealed", headers=second).json["items"]
        assert [c["id"] for c in queue] == [cid]
        other = file_claim(client, tokens["shopper"], key="ready-too").json["id"]
        wait(app)
        awaiting = client.get(f"{API}/claims?status=ready&status=appealed&order=oldest",
                              headers=second).json  # fmt: skip
        assert [c["id"] for c in awaiting["items"]] == [cid, other] and awaiting["total"] == 2
        assert queue[0]["appeal"]["you_decided_the_claim"] is False
        assert queue[0]["appeal"]["appealed"]["note"] == "Within tolerance on the chart."
        mine = client.get(f"{API}/claims/{cid}", headers=first_adj).json["appeal"]
        assert mine["you_decided_the_claim"] is True
        refused = client.post(f"{API}/claims/{cid}/decision", headers=first_adj, json=ON_APPEAL)
        assert refused.status_code == 409 and "another adjudicator" in refused.json["detail"]
        refused = client.post(f"{API}/claims/{cid}/hold", headers=first_adj)  # nor hold it
        assert refused.status_code == 409 and "another adjudicator" in refused.json["detail"]
        assert client.get(f"{API}/claims/{cid}/report", headers=shopper).json == first
        assert client.post(f"{API}/claims/{cid}/hold", headers=second).status_code == 200
        decided = client.post(f"{API}/claims/{cid}/decision", headers=second, json=ON_APPEAL)
        assert decided.status_code == 201, decided.json
        report = decided.json
        # the appeal's report names the decision appealed and supersedes it
        named = report["decision"]["appeal"]
        assert named["statement"] == STATEMENT["statement"]
        assert named["decision_appealed"]["outcome"] == "reject"
        assert named["decision_appealed"]["chain_seq"] == first["chain"]["seq"]
        assert named["decision_appealed"]["report_sha256"] == (
            first["chain"]["payload"]["report_sha256"])  # fmt: skip
        assert report["chain"]["payload"]["appeal"] is True
        assert client.get(f"{API}/claims/{cid}/report", headers=shopper).json == report
        assert (
            client.get(f"{API}/claims/{cid}/report?decision=appealed", headers=shopper).json
            == first
        )  # still evidence of its own
        for signed in (first, report):
            assert client.post(f"{API}/reports/verify", json=signed).json["valid"] is True
        view = client.get(f"{API}/claims/{cid}", headers=shopper).json
        assert view["status"] == "decided" and view["decision"]["outcome"] == "approve_refund"
        assert view["decision"]["on_appeal"] is True and view["appeal"]["decided"] is True
        assert view["decision"]["note"] == ON_APPEAL["note"]  # the shopper reads why
        assert view["appeal"]["appealed"]["outcome"] == "reject"
        assert _appeal(client, tokens["shopper"], cid).status_code == 409  # decided on appeal
        with ext["store"].read() as s:
            assert final_outcomes(s, [cid]) == {cid: "approve_refund"}
            on_claim = select(AuditEntry.action).where(AuditEntry.subject == f"claim:{cid}")
            actions = s.execute(on_claim.order_by(AuditEntry.seq)).scalars().all()
            assert actions[-3:] == ["claim.decided", "claim.appealed", "claim.decided"]
            assert verify_chain(s, ext["keys"].public_keys()).ok

        # the order system hears of the appeal and of its decision
        def events():
            return [(e["event"], (e["claim"]["decision"] or {}).get("on_appeal"))
                    for e in hook.events() if e["claim"]["id"] == cid]  # fmt: skip

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(events()) < 5:
            time.sleep(0.05)
        events = events()
        assert events[-2:] == [("claim.appealed", None), ("claim.decided", True)], events
    finally:
        hook.close()


@pytest.mark.parametrize("case", ["request_evidence", "too_late", "withdrawn", "not_decided"])
def test_what_cannot_be_appealed_says_why(app, client, tokens, case):
    cid = file_claim(client, tokens["shopper"], key=case).json["id"]
    wait(app)
    adj = bearer(tokens["adjudicator"])
    if case != "not_decided":
        outcome, reason = ("request_evidence", "inconclusive_photo") if (
            case == "request_evidence") else ("reject", "shade_within_tolerance")  # fmt: skip
        decided = client.post(f"{API}/claims/{cid}/decision", headers=adj,
                              json={"outcome": outcome, "reason_code": reason})  # fmt: skip
        assert decided.status_code == 201, decided.json
    if case == "too_late":
        _backdate_decision(app, cid, 31)
    if case == "withdrawn":
        client.post(f"{API}/claims/{cid}/withdraw", headers=bearer(tokens["shopper"]))
    view = client.get(f"{API}/claims/{cid}", headers=bearer(tokens["shopper"])).json
    assert "appeal_until" not in view
    if case != "not_decided":  # no appeal: no decision appealed to fetch
        assert client.get(f"{API}/claims/{cid}/report?decision=appealed",
                          headers=bearer(tokens["shopper"])).status_code == 404  # fmt: skip
    refused = _appeal(client, tokens["shopper"], cid)
    assert refused.status_code == 409
    assert {"request_evidence": "file the claim again", "too_late": "within 30 days",
            "withdrawn": "consent was withdrawn", "not_decided": "only a decided claim",
            }[case] in refused.json["detail"]  # fmt: skip


def test_withdrawing_consent_stops_an_appeal_and_the_decision_stands(app, client, tokens):
    ext = app.extensions["hueproof"]
    cid, first = decided_claim(app, client, tokens, "withdrawn-appeal")
    assert _appeal(client, tokens["shopper"], cid).status_code == 200
    shopper = bearer(tokens["shopper"])
    view = client.post(f"{API}/claims/{cid}/withdraw", headers=shopper).json
    assert view["status"] == "decided" and view["decision"]["outcome"] == "reject"
    assert "appeal" not in view and view["consent"]["withdrawn"] is True
    assert client.get(f"{API}/claims/{cid}/report", headers=shopper).json == first
    with ext["store"].read() as s:
        assert s.execute(select(Appeal)).scalars().all() == []  # the statement is erased too
        assert s.execute(select(AuditEntry.action).where(AuditEntry.subject == f"claim:{cid}")
                         .order_by(AuditEntry.seq.desc())).first()[0] in (
            "appeal.withdrawn", "claim.photos_erased")  # fmt: skip
    assert client.get(f"{API}/claims?status=appealed",
                      headers=bearer(tokens["adjudicator"])).json["items"] == []  # fmt: skip


def test_a_claim_under_appeal_keeps_its_photos_past_the_retention_period(app, client, tokens):
    """Raw photos go 30 days after the decision in force: not while an appeal waits for its
    decision, and counted from the appeal's decision once there is one."""
    ext = app.extensions["hueproof"]
    cid, _ = decided_claim(app, client, tokens, "kept")
    _backdate_decision(app, cid, 29)
    assert _appeal(client, tokens["shopper"], cid).status_code == 200
    with ext["store"].read() as s:
        sha = s.get(Claim, cid).photo_sha256

    def purge(days):
        return ext["service"].purge(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=days))

    assert purge(10) == 0 and ext["store"].blobs.exists(sha)  # 39 days after the decision
    second = _second_adjudicator(app)
    assert client.post(f"{API}/claims/{cid}/decision", headers=second,
                       json=ON_APPEAL).status_code == 201  # fmt: skip
    assert purge(10) == 0 and ext["store"].blobs.exists(sha)  # 10 days after the appeal's
    assert purge(31) == 1 and not ext["store"].blobs.exists(sha)
