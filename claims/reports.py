"""Signed decision reports, and their verification.

A report is the decision with everything it rests on: photo hashes, the measurements (ΔE00,
U, verdict, redness zones), algorithm and model versions, the colour profile, who decided,
when, the outcome and reason code, and the report's audit-chain entry (whose payload holds
the SHA-256 of the report's body). The whole is signed with Ed25519 over its RFC 8785
canonical JSON. Changing any byte of it breaks the signature; moving it to another chain
position breaks the entry hash.
"""

from __future__ import annotations

from claims.audit import canonical, entry_hash, sha256_hex
from claims.keys import PublicKey, verify_signature

__all__ = ["REPORT_VERSION", "body_sha256", "report_body", "sign_report", "verify_report"]

REPORT_VERSION = "hueproof-report/1"


def _measurements(claim_type: str, result: dict | None) -> dict:
    if not result:
        return {}
    if claim_type == "shade":
        s = result.get("shade") or {}
        # the explanation in English, and as codes (the report page says it in its language)
        keep = ("lab", "calibrated", "reference_lab", "delta_e00", "delta", "uncertainty_de00",
                "verdict", "tolerance", "explanation", "difference", "reasons")  # fmt: skip
        out = {k: s.get(k) for k in keep}
        chart = s.get("chart") or {}
        out["chart"] = {k: chart.get(k) for k in
                        ("detected", "residual_de00_mean", "residual_de00_max")}  # fmt: skip
        out["reference"] = result.get("reference")
        return out
    r = (result.get("redness") or {}).get("redness") or {}
    return {
        "zones": r.get("zones"),
        "compared_to_baseline": r.get("compared_to_baseline"),
        "detection_limit": r.get("detection_limit"),
        "method": r.get("method"),
        "quality_problems": ((result.get("redness") or {}).get("quality") or {}).get("problems"),
        "quality_findings": ((result.get("redness") or {}).get("quality") or {}).get("findings"),
    }


def report_body(claim, *, brand: str, sku: str, shade: str | None, decision: dict) -> dict:
    """The report's body (everything but its chain entry and signature)."""
    result = claim.analysis or {}
    return {
        "report_version": REPORT_VERSION,
        "claim_id": claim.id,
        "claim_type": claim.type,
        "brand": brand,
        "sku": sku,
        "shade": shade,
        "batch": claim.batch,
        "photos": {"photo_sha256": claim.photo_sha256, "baseline_sha256": claim.baseline_sha256},
        "measurements": _measurements(claim.type, result),
        "versions": result.get("versions") or {},
        "decision": decision,
    }


def body_sha256(body: dict) -> str:
    return sha256_hex(canonical(body))


def sign_report(body: dict, entry, keys) -> dict:
    """The signed report: ``body`` + its chain entry + an Ed25519 signature of the two."""
    report = dict(body)
    report["chain"] = {
        "seq": entry.seq,
        "time": entry.time,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "payload": entry.payload,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
    kid, sig = keys.sign(canonical(report))
    report["signature"] = {"algorithm": "Ed25519", "key_id": kid, "value": sig}
    return report


def verify_report(report: dict, public_keys: dict[str, PublicKey], session=None) -> list[str]:
    """Problems with a report (empty when it verifies).

    Checks the signature, that the chain entry carried in the report hashes to its stated
    hash and names this report's body, and, given a database ``session``, that the chain
    holds that very entry at that position.
    """
    problems = []
    if not isinstance(report, dict) or "signature" not in report or "chain" not in report:
        return ["not a hueproof report: expected 'chain' and 'signature' fields"]
    sig = report["signature"]
    unsigned = {k: v for k, v in report.items() if k != "signature"}
    try:
        data = canonical(unsigned)
    except Exception as exc:  # non-JSON values cannot have been signed
        return [f"the report is not canonical JSON: {exc}"]
    if not isinstance(sig, dict) or not verify_signature(
        public_keys, sig.get("key_id", ""), sig.get("value", ""), data
    ):
        problems.append("the signature does not verify (the report was changed, or was not "
                        "signed by a key of this service)")  # fmt: skip
    chain = report["chain"]
    body = {k: v for k, v in unsigned.items() if k != "chain"}
    seq = chain.get("seq") if isinstance(chain, dict) else None
    # a report from anywhere (a file, a request): a position the chain can hold, a payload
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq < 2**63 or not (
            isinstance(chain.get("payload"), dict)):  # fmt: skip
        return [*problems, "the report's chain entry is incomplete"]
    try:
        recomputed = entry_hash(seq=seq, time=chain["time"], actor=chain["actor"],
                                action=chain["action"], subject=chain["subject"],
                                payload=chain["payload"], prev_hash=chain["prev_hash"])  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return [*problems, "the report's chain entry is incomplete"]
    if recomputed != chain.get("hash"):
        problems.append("the report's chain entry does not give its hash")
    if chain["payload"].get("report_sha256") != body_sha256(body):
        problems.append("the chain entry names a different report body")
    if session is not None:
        from claims.models import AuditEntry

        entry = session.get(AuditEntry, seq)
        if entry is None or entry.hash != chain.get("hash"):
            problems.append(f"the audit chain holds no such entry at position {seq}")
    return problems
