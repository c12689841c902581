"""De-identified claim statistics for a brand, per SKU, batch, shade and month, with risk
alerts (and as CSV); the claims beside one for its adjudicator (:func:`batch_context`).

Cells with fewer than ``min_cell`` claims are suppressed (their counts are not shown), so
that no figure points at a single shopper; and so are as many more as it takes (the smallest
batches, shades or months of a SKU, the brand-wide cell) that a total less the cells shown
cannot give a suppressed cell's figures away (:func:`_complement`). The figures shown are
perturbed (the cell key method, :data:`NOISE`) so that comparing them before and after one
claim tells nothing certain about that claim, and a share or quantile of fewer than
``min_cell`` claims is not shown. Alerts, computed from the figures shown, come in three
levels: blue when one metric of a SKU (or a shade's mismatch share) is above the brand's own
baseline, yellow when several are, red when redness claims cluster on one batch within a
short window.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import Counter
from types import SimpleNamespace
from typing import NamedTuple

from sqlalchemy import func, select

from calibration.verdict import DIFFERENCE_WORDS
from claims.catalog import listed_batches
from claims.models import STATS_KEY_RANGE, Appeal, Claim, Consent, Decision, Shade, Sku
from claims.policy import SHADED_SHARE, pair_differences, redness_flagged, redness_of

__all__ = ["ALERT_FACTOR", "BATCH_WINDOW", "OUTCOME_IN_FORCE", "batch_context", "brand_stats",
           "final_outcomes", "stats_csv", "with_outcome"]  # fmt: skip

#: A metric is "above its baseline" when it exceeds the brand-wide rate by this factor.
ALERT_FACTOR = 1.5
# Redness: only an increase against a baseline photo counts towards alerts. A single photo
# flags the person's own redness too (the folds and sides of the nose): on real photos of
# people the analysis was not tuned on, 1.0-4.6 % of unmodified skin, every photo
# (benchmarks/bench_redness.py, held-out people, session 9), so its share says more about
# the photos than about the product. It is reported as ``redness_single_flagged_share``, and
# beside it ``redness_single_open_skin_share``: single photos flagged with less than half of
# the flagged area in folds or shadows (policy.SHADED_SHARE), where the held-out people's
# natural flags lay 50-100 % and the test's reactions 5 % (session 10). Pairs are also
# counted apart when no finding says their two photos differ (policy.PAIR_DIFFERENCES:
# expression, light, its side, grain, a small or retouched earlier photo):
# ``redness_matched_pairs`` and ``redness_increase_share_matched``, the rate on the
# strongest evidence. The alerts still use every pair.


#: Perturbation by the cell key method, as the Australian Bureau of Statistics protects
#: tables built on demand (Fraser and Wooton 2005; Thompson, Broadfoot and Elazar 2013). Each
#: claim holds a random record key (claims.stats_key); a cell's key is the sum of its claims'
#: keys, and each count the cell shows moves by a value of NOISE drawn from that key and the
#: count's name. The same claims always give the same figures, so asking again averages
#: nothing out; one claim more or less gives a new draw for every figure of the cell. Before,
#: a brand comparing its figures before and after one claim was filed (or withdrawn) read
#: that claim's verdict and whether the shopper's skin was flagged: the mismatch share moved
#: exactly when it was a mismatch. Counts move by 2 at most; a cell shown shows at least
#: ``min_cell`` claims.
NOISE = {-2: 0.05, -1: 0.2, 0: 0.5, 1: 0.2, 2: 0.05}
#: ΔE00 quantiles shown: the claim's value at the quantile's rank moved by RANK_NOISE (drawn
#: like a count's), rounded to DE_STEP; the largest is not shown (a new largest value is one
#: claim's measurement). A new median of a cell then no longer says on which side of it the
#: new claim's measurement lay, nor its value.
RANK_NOISE = {-1: 0.25, 0: 0.5, 1: 0.25}
DE_STEP = 0.5
# A share, or the ΔE00 quantiles, of fewer than ``min_cell`` claims is not shown either (None):
# a SKU's 5 claims of which one was a shade claim gave that claim's verdict as the mismatch
# share, 0 or 1.


class Facts(NamedTuple):
    """What the statistics read of one claim (:func:`facts`), read once for every cell."""

    key: int  # claims.stats_key
    type: str
    created_at: dt.datetime | None
    verdict: str | None  # a shade claim's
    delta_e00: float | None
    difference: tuple | None  # None: analysed before the codes were recorded
    measurable: bool  # a redness claim's photo in colour
    paired: bool  # compared to a photo from before
    flagged: bool  # redness flagged (an increase, when paired)
    matched: bool  # no finding says the pair's photos differ
    open_skin: bool  # less than half of the flagged area in folds or shadows


def facts(claim) -> Facts:
    """:class:`Facts` of a claim (its ``type``, ``stats_key``, ``created_at`` and
    ``analysis``, which may hold only the parts :func:`_read` selects)."""
    shade = (claim.analysis or {}).get("shade") or {}
    red = redness_of(claim.analysis)
    difference = shade.get("difference")
    return Facts(
        key=claim.stats_key, type=claim.type, created_at=claim.created_at,
        verdict=shade.get("verdict"), delta_e00=shade.get("delta_e00"),
        difference=None if difference is None else tuple(difference),
        measurable=red.get("measurable") is not False,
        paired=bool(red.get("compared_to_baseline")), flagged=redness_flagged(claim.analysis),
        matched=not pair_differences(claim.analysis),
        # a photo without the figure counts as flagged on open skin
        open_skin=(red.get("shaded_fraction") or 0.0) < SHADED_SHARE,
    )  # fmt: skip


def _tally(cell: list[Facts]) -> dict:
    """The exact counts behind a cell's figures, and its shade claims' ΔE00 values."""
    shade = [f for f in cell if f.type == "shade"]
    red = [f for f in cell if f.type == "redness"]
    # a photo without colour shows no redness either way: counted, left out of the shares
    measured = [f for f in red if f.measurable]
    # an increase documented against a baseline photo, apart from a single photo's flags
    paired = [f for f in measured if f.paired]
    single = [f for f in measured if not f.paired]
    # pairs whose two photos match (no finding says they differ): the strongest evidence
    matched = [f for f in paired if f.matched]
    return {
        "claims": len(cell),
        "shade_claims": len(shade),
        "shade_mismatch": sum(f.verdict == "mismatch" for f in shade),
        "redness_claims": len(red),
        "redness_unmeasurable": len(red) - len(measured),
        "redness_with_baseline": len(paired),
        "redness_increase": sum(f.flagged for f in paired),
        "redness_matched_pairs": len(matched),
        "redness_increase_matched": sum(f.flagged for f in matched),
        "redness_single": len(single),
        "redness_single_flagged": sum(f.flagged for f in single),
        "redness_single_open_skin": sum(f.flagged and f.open_skin for f in single),
        "delta_e00": sorted(f.delta_e00 for f in shade if f.delta_e00 is not None),
    }


def _cell_key(cell: list[Facts]) -> int:
    return sum(f.key for f in cell) % STATS_KEY_RANGE


def _draw(key: int, figure: str, table: dict) -> int:
    """The value of ``table`` (value → probability) at the cell ``key``'s draw for ``figure``:
    each figure its own draw, so that two figures' difference is no exact count either."""
    u = int.from_bytes(hashlib.sha256(f"{key}:{figure}".encode()).digest()[:8]) / 2**64
    for value, p in table.items():
        u -= p
        if u < 0:
            return value
    return next(reversed(table))  # the probabilities' sum rounded under 1


def _metrics(claims: list[Facts], min_cell: int) -> dict:
    """A cell's figures as a brand sees them: counts perturbed (:data:`NOISE`), shares of
    perturbed counts, ΔE00 quantiles at perturbed ranks; shares and quantiles of fewer than
    ``min_cell`` claims left out (None)."""
    exact = _tally(claims)
    des = exact.pop("delta_e00")
    key = _cell_key(claims)
    n = {k: max(0, v + _draw(key, k, NOISE)) if v else 0 for k, v in exact.items()}
    n["claims"] = max(min_cell, n["claims"])

    def share(part, whole):
        if exact[whole] < min_cell:
            return None
        return round(min(n[part], n[whole]) / n[whole], 3)

    def quantile(q):
        rank = round(q * (len(des) - 1)) + _draw(key, f"delta_e00_{q}", RANK_NOISE)
        return round(des[min(max(rank, 0), len(des) - 1)] / DE_STEP) * DE_STEP

    return {
        **{k: n[k] for k in ("claims", "shade_claims", "redness_claims", "redness_unmeasurable")},
        "mismatch_share": share("shade_mismatch", "shade_claims"),
        "redness_with_baseline": n["redness_with_baseline"],
        "redness_increase_share": share("redness_increase", "redness_with_baseline"),
        "redness_matched_pairs": n["redness_matched_pairs"],
        "redness_increase_share_matched": share("redness_increase_matched",
                                                "redness_matched_pairs"),
        "redness_single_flagged_share": share("redness_single_flagged", "redness_single"),
        "redness_single_open_skin_share": share("redness_single_open_skin", "redness_single"),
        "delta_e00": None if len(des) < min_cell else {"median": quantile(0.5),
                                                       "p90": quantile(0.9)},
    }  # fmt: skip


def _shade_cell(claims: list[Facts], min_cell: int, hidden=False) -> dict:
    """A shade's figures (its shade claims): claims, mismatch share, ΔE00 quantiles, and how
    most of its measured claims differ from the reference (``difference``: codes of
    calibration.verdict.DIFFERENCE_WORDS held by half of them or more, by perturbed counts,
    most first;
    None under ``min_cell`` measured), which tells a brand what to look at in that shade's
    production or its reference (darker, less saturated)."""
    cell = _cell(claims, min_cell, hidden)
    if cell["suppressed"]:
        return cell
    codes = [f.difference for f in claims if f.difference is not None]
    key = _cell_key(claims)
    counts = {w: sum(w in x for x in codes) for w in DIFFERENCE_WORDS}
    # each code's count perturbed against the claims measured: a code all 5 claims hold is
    # always shown (a perturbed whole could drop it to 3 of 7), one held by 3 of 5 mostly
    counts = {w: n + _draw(key, f"difference_{w}", NOISE) for w, n in counts.items() if n}
    common = [w for w in counts if 2 * counts[w] >= len(codes)]
    return {
        **{k: cell[k] for k in ("suppressed", "claims", "mismatch_share", "delta_e00")},
        "difference": None if len(codes) < min_cell else sorted(common, key=lambda w: -counts[w]),
    }


def _cell(claims, min_cell, hidden=False):
    if len(claims) < min_cell:
        return {"suppressed": True, "claims": f"<{min_cell}"}
    if hidden:  # suppressed to protect a smaller cell (_complement): not "<min_cell"
        return {"suppressed": True, "claims": "hidden"}
    return {"suppressed": False, **_metrics(claims, min_cell)}


def _complement(parts: dict, min_cell: int) -> set:
    """Parts (of a total that is shown) to suppress beside those under ``min_cell``: the
    smallest first, until the suppressed parts together hold no claim or at least
    ``min_cell``. Else the total less the parts shown is a cell under ``min_cell``, its
    figures in full: a SKU of 7 claims, one batch of 5 shown, gave the other batch's 2 claims
    and their mismatches away."""
    small = {k for k, claims in parts.items() if len(claims) < min_cell}
    held = sum(len(parts[k]) for k in small)
    shown = sorted((k for k in parts if k not in small), key=lambda k: (len(parts[k]), k))
    extra = set()
    while 0 < held < min_cell and shown:
        k = shown.pop(0)
        extra.add(k)
        held += len(parts[k])
    return extra


def _read(session, *conditions):
    """(id, SKU code, batch as typed, batch key, shade code, :class:`Facts`) of each claim
    meeting ``conditions`` whose consent stands. Only the parts of the analyses the
    statistics read are selected (in the database's JSON functions): a brand's 20 000 claims
    took 2.6 s to load whole, their analyses 1.5 s of it to decode."""
    a = Claim.analysis
    rows = session.execute(
        select(Claim.id, Sku.code, Claim.batch, Claim.batch_key, Shade.code, Claim.type,
               Claim.stats_key, Claim.created_at, a[("shade", "verdict")].as_string(),
               a[("shade", "delta_e00")].as_float(), a[("shade", "difference")],
               a[("redness", "redness")], a[("redness", "quality", "problems")])
        .join(Sku, Claim.sku_id == Sku.id).outerjoin(Shade, Claim.shade_id == Shade.id)
        .where(_consent_given(), *conditions)
    )  # fmt: skip
    for cid, sku, batch, bkey, shade, type_, key, created, verdict, de, diff, red, problems in rows:
        analysis = {"shade": {"verdict": verdict, "delta_e00": de, "difference": diff},
                    "redness": {"redness": red, "quality": {"problems": problems}}}  # fmt: skip
        claim = SimpleNamespace(type=type_, stats_key=key, created_at=created, analysis=analysis)
        yield cid, sku, batch, bkey, shade, facts(claim)


def _batch_name(key: str, typed: Counter, listed: dict) -> str:
    """A batch cell's name: "(none)" without a batch, the brand's spelling when it lists the
    batch, else the spelling shoppers typed most (the first of those in order)."""
    if not key:
        return "(none)"
    return listed.get(key) or min(typed, key=lambda b: (-typed[b], b))


def brand_stats(session, brand, *, min_cell=5, cluster_claims=3, cluster_hours=72) -> dict:
    """Aggregates per SKU, per (SKU, batch), per (SKU, shade) of its shade claims and per
    (SKU, calendar month of filing, UTC), suppressed under ``min_cell``, and alerts. Months
    show a product's course where shoppers gave no batch.
    A claim whose consent was withdrawn (or whose shopper erased her account) is left out:
    processing stops with the consent, statistics too."""
    by_sku: dict[str, list] = {}
    by_batch: dict[tuple, list] = {}
    by_shade: dict[tuple, list] = {}
    by_month: dict[tuple, list] = {}
    spellings: dict[tuple, Counter] = {}
    unlisted: dict[str, int] = {}  # SKU → its claims naming a batch the brand does not list
    everything = []
    lists = session.execute(select(Sku.code, Sku.batches).where(Sku.brand_id == brand.id))
    listed = {code: listed_batches(batches) for code, batches in lists}
    for _, sku, batch, key, shade, claim in _read(session, Sku.brand_id == brand.id):
        everything.append(claim)
        by_sku.setdefault(sku, []).append(claim)
        # one batch however shoppers typed it, named as the brand lists it, else as typed most
        by_batch.setdefault((sku, key), []).append(claim)
        spellings.setdefault((sku, key), Counter())[batch] += 1
        if listed.get(sku) and key and key not in listed[sku]:
            unlisted[sku] = unlisted.get(sku, 0) + 1
        # calendar months (UTC), fixed: a window the caller chose would let many overlapping
        # windows draw one claim's perturbation again and again (DEVELOPERS.md)
        by_month.setdefault((sku, claim.created_at.astimezone(dt.UTC).strftime("%Y-%m")),
                            []).append(claim)  # fmt: skip
        if claim.type == "shade" and shade is not None:
            by_shade.setdefault((sku, shade), []).append(claim)
    by_batch = {(sku, _batch_name(key, spellings[sku, key], listed.get(sku, {}))): claims
                for (sku, key), claims in by_batch.items()}  # fmt: skip
    # the SKUs' cells stay (the figures a brand watches): a brand-wide cell that would give a
    # small SKU away is the one hidden; within a SKU shown, the smallest batches are
    small_skus = sum(len(c) for c in by_sku.values() if len(c) < min_cell)
    baseline = _cell(everything, min_cell, hidden=0 < small_skus < min_cell)
    # the alerts weigh the figures shown (the brand's own too when its cell is not shown)
    base = baseline if not baseline["suppressed"] else _metrics(everything, min_cell)
    skus = {code: _cell(c, min_cell) for code, c in sorted(by_sku.items())}
    n_skus = max(1, len(by_sku))
    alerts = []
    for code in by_sku:
        m = skus[code]
        if m["suppressed"]:
            continue
        above = []
        if m["claims"] > ALERT_FACTOR * base["claims"] / n_skus:
            above.append("claims")
        for key in ("mismatch_share", "redness_increase_share"):
            if m[key] is not None and base[key] and m[key] > ALERT_FACTOR * base[key]:
                above.append(key)
        if above:
            alerts.append({"level": "yellow" if len(above) > 1 else "blue", "sku": code,
                           "metrics_above_baseline": above})  # fmt: skip
    window = dt.timedelta(hours=cluster_hours)
    for (code, batch), claims in by_batch.items():
        times = sorted(c.created_at for c in claims if c.type == "redness")
        for i in range(len(times) - cluster_claims + 1):
            if times[i + cluster_claims - 1] - times[i] <= window:
                alerts.append({"level": "red", "sku": code, "batch": batch,
                               "code": "redness_cluster", "claims": cluster_claims,
                               "hours": cluster_hours,
                               "reason": f"{cluster_claims} or more redness claims on one batch "
                                         f"within {cluster_hours} h"})  # fmt: skip
                break
    hidden_batches, hidden_shades, hidden_months = set(), set(), set()
    for code, claims in by_sku.items():
        if len(claims) >= min_cell:
            parts = {key: c for key, c in by_batch.items() if key[0] == code}
            hidden_batches |= _complement(parts, min_cell)
            hidden_months |= _complement({key: c for key, c in by_month.items()
                                          if key[0] == code}, min_cell)  # fmt: skip
            # the shades' parts of the SKU's shade claims, shown with the SKU
            hidden_shades |= _complement({key: c for key, c in by_shade.items()
                                          if key[0] == code}, min_cell)  # fmt: skip
    shades = [
        {"sku": code, "shade": shade, **_shade_cell(c, min_cell, (code, shade) in hidden_shades)}
        for (code, shade), c in sorted(by_shade.items())
    ]  # fmt: skip
    for code, cell in skus.items():  # a SKU whose batches the brand lists: claims naming others
        if listed.get(code) and not cell["suppressed"]:
            n = unlisted.get(code, 0)
            cell["unlisted_batch_claims"] = n and max(0, n + _draw(
                _cell_key(by_sku[code]), "unlisted_batch_claims", NOISE))  # fmt: skip
            if cell["unlisted_batch_claims"] >= min_cell:  # counterfeits may be on sale
                alerts.append({"level": "yellow", "sku": code, "code": "unlisted_batches",
                               "claims": cell["unlisted_batch_claims"]})  # fmt: skip
    brand_share = base["mismatch_share"]
    for cell in shades:  # a shade whose mismatch share is above the brand's, as shown
        share = cell.get("mismatch_share")
        if share is not None and brand_share and share > ALERT_FACTOR * brand_share:
            alerts.append({"level": "blue", "sku": cell["sku"], "shade": cell["shade"],
                           "metrics_above_baseline": ["mismatch_share"],
                           "difference": cell["difference"]})  # fmt: skip
    return {
        "brand": brand.slug,
        "min_cell": min_cell,
        "baseline": baseline,
        "skus": skus,
        "batches": [
            {"sku": code, "batch": batch, **_cell(c, min_cell, (code, batch) in hidden_batches)}
            for (code, batch), c in sorted(by_batch.items())
        ],
        "shades": shades,
        "months": [
            {"sku": code, "month": month, **_cell(c, min_cell, (code, month) in hidden_months)}
            for (code, month), c in sorted(by_month.items())
        ],
        "alerts": alerts,
    }


#: The columns of :func:`stats_csv`: where the cell is, then its figures (the JSON's names).
CSV_COLUMNS = (
    "level", "sku", "batch", "shade", "month", "suppressed", "claims", "shade_claims",
    "mismatch_share", "delta_e00_median", "delta_e00_p90", "difference", "redness_claims",
    "redness_unmeasurable", "redness_with_baseline", "redness_increase_share",
    "redness_matched_pairs", "redness_increase_share_matched", "redness_single_flagged_share",
    "redness_single_open_skin_share", "unlisted_batch_claims",
)  # fmt: skip


def _csv_text(value: str) -> str:
    """A text cell a spreadsheet reads as text: a batch is what a shopper typed, and one
    starting with = + - @ would run as a formula in the brand's spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def stats_csv(stats: dict) -> str:
    """:func:`brand_stats` as CSV, a row a cell (the brand's, each SKU's, batch's, shade's
    and month's), the figures as the JSON has them; a suppressed cell's ``suppressed`` is its
    "<5" or "hidden" and its figures are empty. Alerts are not in it."""
    cells = [("brand", {}, stats["baseline"])]
    cells += [("sku", {"sku": code}, cell) for code, cell in stats["skus"].items()]
    cells += [("batch", {"sku": c["sku"], "batch": c["batch"]}, c) for c in stats["batches"]]
    cells += [("shade", {"sku": c["sku"], "shade": c["shade"]}, c) for c in stats["shades"]]
    cells += [("month", {"sku": c["sku"], "month": c["month"]}, c) for c in stats["months"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for level, where, cell in cells:
        row = {"level": level, **{k: _csv_text(v) for k, v in where.items()}}
        if cell["suppressed"]:
            row["suppressed"] = cell["claims"]
        else:
            row.update({k: v for k, v in cell.items() if k in CSV_COLUMNS and k != "suppressed"})
            de = cell.get("delta_e00") or {}
            row.update(delta_e00_median=de.get("median"), delta_e00_p90=de.get("p90"))
            if cell.get("difference") is not None:
                row["difference"] = " ".join(cell["difference"])
        writer.writerow(["" if row.get(k) is None else row[k] for k in CSV_COLUMNS])
    return out.getvalue()


#: The other claims an adjudicator is shown beside one (:func:`batch_context`): filed this
#: long before or after it.
BATCH_WINDOW = dt.timedelta(days=90)


def _consent_given():
    """Claims whose consent stands (not withdrawn)."""
    return Claim.consent_id.in_(select(Consent.id).where(Consent.withdrawn_at.is_(None)))


#: A claim's outcome in force, in a query :func:`with_outcome` joined: an appeal's once decided,
#: else the decision's; None while undecided.
OUTCOME_IN_FORCE = func.coalesce(Appeal.outcome, Decision.outcome)


def with_outcome(query):
    """``query`` over claims joined to each claim's decision and appeal (one of each at most),
    for :data:`OUTCOME_IN_FORCE`."""
    return (query.outerjoin(Decision, Decision.claim_id == Claim.id)
            .outerjoin(Appeal, Appeal.claim_id == Claim.id))  # fmt: skip


def final_outcomes(session, claim_ids: list[str]) -> dict[str, str]:
    """Claim id → the outcome in force: an appeal's once decided, else the decision's."""
    if not claim_ids:
        return {}
    return dict(session.execute(with_outcome(select(Claim.id, OUTCOME_IN_FORCE)).where(
        Claim.id.in_(claim_ids), OUTCOME_IN_FORCE.is_not(None))).all())  # fmt: skip


def batch_context(session, claim) -> dict:
    """The other claims on ``claim``'s product and batch (the product's, when no batch was
    given) filed within :data:`BATCH_WINDOW` of it, for the adjudicator asking "the product,
    or the person's skin?": how many, redness claims with an increase documented against a
    photo from before (on matched photos apart) or flagged on a single photo, shade claims
    measured as a mismatch, and how those decided were decided. Withdrawn claims, those
    whose analysis failed and those whose consent was withdrawn after their decision are left
    out."""
    conditions = [
        Claim.sku_id == claim.sku_id, Claim.id != claim.id,
        Claim.status.in_(("ready", "decided", "appealed", "queued", "analyzing")),
        Claim.created_at >= claim.created_at - BATCH_WINDOW,
        Claim.created_at <= claim.created_at + BATCH_WINDOW,
    ]  # fmt: skip
    if claim.batch_key:  # however its shoppers typed it
        conditions.append(Claim.batch_key == claim.batch_key)
    ids, others = [], []
    for cid, *_, f in _read(session, *conditions):
        ids.append(cid)
        others.append(f)
    # a single photo's flags and an increase against a photo from before apart
    flagged = [f for f in others if f.type == "redness" and f.flagged]
    increased = [f for f in flagged if f.paired]
    outcomes: dict[str, int] = {}
    for outcome in final_outcomes(session, ids).values():
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    shade = [f for f in others if f.type == "shade"]
    return {
        "batch": claim.batch or None,
        "window_days": BATCH_WINDOW.days,
        "claims": len(others),
        "redness_claims": sum(f.type == "redness" for f in others),
        "redness_increase_documented": len(increased),
        "redness_increase_matched": sum(f.matched for f in increased),
        "redness_single_flagged": len(flagged) - len(increased),
        "shade_claims": len(shade),
        "shade_mismatch": sum(f.verdict == "mismatch" for f in shade),
        "decisions": outcomes,
    }
