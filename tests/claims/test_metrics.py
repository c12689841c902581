"""GET /api/v1/metrics: the figures a monitoring system scrapes (claims/metrics.py)."""

from __future__ import annotations

import datetime as dt
import re

from claims.models import Claim
from tests.claims.conftest import bearer, file_claim, reject_within_tolerance, wait

LINE = re.compile(r'^([a-z_]+)(?:\{((?:[a-z_]+="[^"]*",?)*)\})? (NaN|-?[0-9.e+-]+)$')


def _scrape(client, token) -> dict:
    """(name, sorted labels) → value, every sample line checked against the text format."""
    r = client.get("/api/v1/metrics", headers=bearer(token))
    assert r.status_code == 200 and r.content_type.startswith("text/plain; version=0.0.4")
    out = {}
    for line in r.get_data(as_text=True).splitlines():
        if line.startswith("# "):
            assert re.match(r"^# (HELP|TYPE) hueproof_[a-z_]+ ", line), line
            continue
        m = LINE.match(line)
        assert m, line
        labels = tuple(sorted(re.findall(r'([a-z_]+)="([^"]*)"', m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def test_the_metrics_say_what_waits_and_for_how_long(app, client, tokens):
    """Three shade claims analysed, one decided, one left ready for an hour: the counts by
    status agree with the API's, the oldest claim waiting for a decision has waited an hour,
    three analyses and one decision are timed; only admins read them."""
    ids = [file_claim(client, tokens["shopper"], key=f"m{i}").json["id"] for i in range(3)]
    wait(app)
    reject_within_tolerance(client, tokens, ids[0])
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with app.extensions["hueproof"]["store"].write() as s:
        s.get(Claim, ids[1]).updated_at = an_hour_ago  # ready since an hour
    m = _scrape(client, tokens["admin"])
    counts = client.get("/api/v1/claims", headers=bearer(tokens["adjudicator"])).json["counts"]
    for status in ("ready", "decided", "queued"):
        assert m[("hueproof_claims", (("status", status), ("type", "shade")))] == counts.get(
            status, 0
        )
    waited = m[("hueproof_oldest_waiting_seconds", (("status", "ready"),))]
    assert 3590 < waited < 3700, waited
    assert m[("hueproof_oldest_waiting_seconds", (("status", "queued"),))] == 0
    assert m[("hueproof_analysis_seconds_count", ())] == 3
    assert 0 < m[("hueproof_analysis_seconds", (("quantile", "0.5"),))] < 60
    assert m[("hueproof_time_to_decision_seconds_count", ())] == 1
    assert m[("hueproof_webhook_deliveries", (("state", "pending"),))] == 0
    assert [m[("hueproof_appeals", (("state", s),))] for s in ("waiting", "upheld", "changed")
            ] == [0, 0, 0]  # fmt: skip
    for role in ("shopper", "adjudicator", "brand"):
        assert client.get("/api/v1/metrics", headers=bearer(tokens[role])).status_code == 403
    assert client.get("/api/v1/metrics").status_code == 401


def test_metrics_of_an_empty_service_are_well_formed(client, tokens):
    """No claim yet: zeros, and summaries without observations (NaN quantiles, count 0)."""
    m = _scrape(client, tokens["admin"])
    assert m[("hueproof_analysis_seconds_count", ())] == 0
    assert (
        m[("hueproof_analysis_seconds", (("quantile", "0.95"),))]
        != m[("hueproof_analysis_seconds", (("quantile", "0.95"),))]
    )  # NaN
    assert sum(v for (name, _), v in m.items() if name == "hueproof_claims") == 0


def test_the_metrics_count_appeals_waiting_upheld_and_changed(app, client, tokens):
    """Three rejections appealed: one waits (its wait since the appeal is the oldest
    appealed), one upheld, one changed to a refund by a second adjudicator."""
    from claims.auth import create_user

    ids = [file_claim(client, tokens["shopper"], key=f"a{i}").json["id"] for i in range(3)]
    wait(app)
    with app.extensions["hueproof"]["store"].write() as s:
        second = bearer(create_user(s, role="adjudicator", name="second")[1])
    for cid in ids:
        reject_within_tolerance(client, tokens, cid)
        assert client.post(f"/api/v1/claims/{cid}/appeal", headers=bearer(tokens["shopper"]),
                           json={"statement": "The colour is not the one shown."}
                           ).status_code == 200  # fmt: skip
    for cid, decision in zip(ids[1:], (
            {"outcome": "reject", "reason_code": "shade_within_tolerance"},
            {"outcome": "approve_refund", "reason_code": "other", "note": "Chart in shade."}),
            strict=True):  # fmt: skip
        assert client.post(f"/api/v1/claims/{cid}/decision", headers=second,
                           json=decision).status_code == 201  # fmt: skip
    m = _scrape(client, tokens["admin"])
    assert [m[("hueproof_appeals", (("state", s),))] for s in ("waiting", "upheld", "changed")
            ] == [1, 1, 1]  # fmt: skip
    assert m[("hueproof_claims", (("status", "appealed"), ("type", "shade")))] == 1
    assert 0 <= m[("hueproof_oldest_waiting_seconds", (("status", "appealed"),))] < 60


def test_the_metrics_count_the_claims_not_linked_yet(app, client, tokens):
    """Claims are linked to their related claims as they are filed: none waits; two taken
    back to before links were kept are counted until the service links them."""
    from sqlalchemy import update

    ids = [file_claim(client, tokens["shopper"], key=f"l{i}").json["id"] for i in range(3)]
    wait(app)
    key = ("hueproof_claims_not_linked", ())
    assert _scrape(client, tokens["admin"])[key] == 0
    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:
        s.execute(update(Claim).where(Claim.id.in_(ids[:2])).values(links_version=0))
    assert _scrape(client, tokens["admin"])[key] == 2
    assert ext["service"].link_stored_claims() == 2
    assert _scrape(client, tokens["admin"])[key] == 0
