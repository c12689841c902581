"""Operational figures for a monitoring system (Prometheus' text format, version 0.0.4).

What a platform watches in a sale's peak: how many claims wait in each state and how long
the oldest has waited (``ready`` is waiting for a person: the "hours, not minutes" of the
claims problem), how long analyses take and claims wait for their decision, how appeals
ended (a first decision changed on appeal is one a reviewer got wrong), claims not linked to
their related claims yet (claims/related.py), and webhook deliveries not yet delivered or
given up. Read from the store at each scrape, over recent
windows (:data:`WINDOW`), so that every web process answers the same.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import case, func, select

from claims.models import (
    CLAIM_STATUSES,
    CLAIM_TYPES,
    Appeal,
    Claim,
    Decision,
    Job,
    WebhookDelivery,
)
from claims.related import NOT_LINKED

__all__ = ["CONTENT_TYPE", "WAITING_STATUSES", "collect", "render"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: The window of the duration figures: analyses finished, decisions made this recently.
WINDOW = dt.timedelta(hours=24)
QUANTILES = (0.5, 0.95)
#: The states a claim waits in (for an analysis, or for a person), each with its oldest wait.
WAITING_STATUSES = ("queued", "analyzing", "ready", "appealed")


def _quantiles(name, help_text, seconds) -> list[tuple]:
    """A Prometheus summary of ``seconds`` (quantiles, count, sum)."""
    out = [(name, help_text, "summary", {}, None)]  # the header alone
    values = np.asarray(seconds, float)
    for q in QUANTILES:
        v = float(np.quantile(values, q)) if values.size else float("nan")
        out.append((name, None, None, {"quantile": f"{q:g}"}, v))
    out.append((f"{name}_count", None, None, {}, float(values.size)))
    out.append((f"{name}_sum", None, None, {}, float(values.sum())))
    return out


def collect(session, now: dt.datetime) -> list[tuple]:
    """(name, help or None, type or None, labels, value) rows; a row with a help text and no
    value starts a family."""
    rows = []
    counts = dict(
        ((s, t), n)
        for s, t, n in session.execute(
            select(Claim.status, Claim.type, func.count()).group_by(Claim.status, Claim.type)
        )
    )
    rows.append(("hueproof_claims", "Claims by status and type", "gauge", {}, None))
    for status in CLAIM_STATUSES:
        for kind in CLAIM_TYPES:
            rows.append(("hueproof_claims", None, None, {"status": status, "type": kind},
                         float(counts.get((status, kind), 0))))  # fmt: skip
    rows.append(("hueproof_oldest_waiting_seconds", "Age of the oldest claim in a waiting "
                 "state, since it entered it (ready: waiting for a decision; appealed: for the "
                 "appeal's)", "gauge", {},
                 None))  # fmt: skip
    for status in WAITING_STATUSES:
        since = session.execute(select(func.min(Claim.updated_at)).where(
            Claim.status == status)).scalar()  # fmt: skip
        age = 0.0 if since is None else max(0.0, (now - since).total_seconds())
        rows.append(("hueproof_oldest_waiting_seconds", None, None, {"status": status}, age))
    since = now - WINDOW
    runs = session.execute(select(Job.started_at, Job.finished_at).where(
        Job.finished_at >= since, Job.started_at.is_not(None),
        Job.status.in_(("done", "failed")))).all()  # fmt: skip
    rows += _quantiles("hueproof_analysis_seconds", "Analyses finished in the last 24 h: "
                       "seconds from start to result",
                       [(f - s).total_seconds() for s, f in runs])  # fmt: skip
    decided = session.execute(
        select(Claim.created_at, Decision.created_at)
        .join(Decision, Decision.claim_id == Claim.id)
        .where(Decision.created_at >= since)
    ).all()
    rows += _quantiles("hueproof_time_to_decision_seconds", "Claims decided in the last 24 h: "
                       "seconds from filing to decision",
                       [(d - c).total_seconds() for c, d in decided])  # fmt: skip
    pending = session.execute(
        select(func.count()).where(
            WebhookDelivery.delivered_at.is_(None), WebhookDelivery.failed_at.is_(None)
        )
    ).scalar()
    failed = session.execute(select(func.count()).where(
        WebhookDelivery.failed_at.is_not(None))).scalar()  # fmt: skip
    # counted by the database, not read row by row at each scrape
    ended = case((Appeal.outcome.is_(None), "waiting"),
                 (Appeal.outcome == Decision.outcome, "upheld"), else_="changed")  # fmt: skip
    counts = dict(session.execute(select(ended, func.count()).select_from(Appeal).join(
        Decision, Decision.id == Appeal.decision_id).group_by(ended)).all())  # fmt: skip
    rows.append(("hueproof_appeals", "Appeals of decisions: waiting for their decision, the "
                 "decision appealed upheld, or changed", "gauge", {}, None))  # fmt: skip
    for state in ("waiting", "upheld", "changed"):
        n = counts.get(state, 0)
        rows.append(("hueproof_appeals", None, None, {"state": state}, float(n)))
    unlinked = session.execute(select(func.count()).where(NOT_LINKED)).scalar()
    rows.append(("hueproof_claims_not_linked", "Claims whose related claims are not written "
                 "down yet, or were found by an older search (filed before they were, or "
                 "before a picture turned a quarter was found: linked beside the service's "
                 "start)", "gauge", {}, float(unlinked)))  # fmt: skip
    rows.append(("hueproof_webhook_deliveries", "Webhook deliveries not yet delivered "
                 "(pending) or given up (failed)", "gauge", {}, None))  # fmt: skip
    rows.append(("hueproof_webhook_deliveries", None, None, {"state": "pending"}, float(pending)))
    rows.append(("hueproof_webhook_deliveries", None, None, {"state": "failed"}, float(failed)))
    return rows


def _value(v: float) -> str:
    if v != v:  # NaN: a summary without observations
        return "NaN"
    return f"{v:.6g}" if v != int(v) else str(int(v))


def render(rows) -> str:
    """The rows in Prometheus' text exposition format."""
    lines = []
    for name, help_text, kind, labels, value in rows:
        if help_text is not None:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        if value is None:
            continue
        tags = ",".join(f'{k}="{v}"' for k, v in labels.items())
        lines.append(f"{name}{{{tags}}} {_value(value)}" if tags else f"{name} {_value(value)}")
    return "\n".join(lines) + "\n"
