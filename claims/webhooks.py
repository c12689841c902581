"""Webhooks: a platform's order system is told of claims' events as they happen.

An admin registers an endpoint (``POST /api/v1/webhooks``) for some of :data:`EVENTS`, all
claims or one brand's. Each event writes one delivery per endpoint in the transaction of the
event itself (the claim filed, analysed, decided...): an outbox, so that nothing is lost when
the endpoint or this process is down. Senders (the embedded pool, ``hueproof worker``) post
due deliveries, each held by one sender at a time, and retry what is not answered 2xx with
a doubling delay (:data:`RETRY_BASE` to :data:`RETRY_MAX`), giving up after
:data:`MAX_ATTEMPTS` (listed for the admin, who may send it again).

Delivery is at least once and in no guaranteed order: a receiver keeps the event ``id`` it
has seen, and reads the claim itself (``links.claim``) for the state now. The body carries
no measurement, photo or health figure, only what an order system acts on.

Each delivery is signed with the service's Ed25519 key (the keys of ``GET /api/v1/keys``,
which also sign the reports): ``Hueproof-Signature: t=<unix time>, key=<key id>,
ed25519=<base64>`` over ``<t>.<body>``; :func:`verify_delivery` checks one, refusing a time
more than :data:`TOLERANCE` seconds away (a replay).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import urllib.error
import urllib.request
import uuid

__all__ = ["EVENTS", "deliver_due", "event_body", "sign_delivery", "verify_delivery"]

#: An endpoint's address: http or https, a host (and port; an international name in its
#: ASCII form), a path of printable ASCII. Explicit classes, so that the OpenAPI document's
#: pattern means the same to a client's regular expressions.
WEBHOOK_URL = re.compile(r"^https?://[A-Za-z0-9.:\[\]-]+(/[!-~]*)?$")
#: What an endpoint may be told of.
EVENTS = (
    "claim.filed",
    "claim.ready",
    "claim.failed",
    "claim.decided",
    "claim.withdrawn",
    "claim.appealed",
)
#: The first retry's delay (seconds); each further one doubles, up to RETRY_MAX.
RETRY_BASE = 30.0
RETRY_MAX = 6 * 3600.0
#: Attempts before a delivery is given up (about 20 hours of retries from RETRY_BASE).
MAX_ATTEMPTS = 12
#: Seconds a sender holds the deliveries it took (another sender takes them after).
LEASE = 60.0
#: Seconds a delivery's request may take.
TIMEOUT = 10.0
#: Seconds between a signature's time and now that :func:`verify_delivery` accepts.
TOLERANCE = 300.0
#: Deliveries a sender takes at a time.
BATCH = 50


def event_body(event: str, claim: dict, *, now: dt.datetime) -> str:
    """The JSON an endpoint receives for ``event`` on ``claim`` (the summary of
    :meth:`ClaimsService._event_claim`), with an event id for receivers to deduplicate."""
    return json.dumps({"id": uuid.uuid4().hex, "event": event,
                       "time": now.isoformat(timespec="seconds"), "claim": claim},
                      sort_keys=True, separators=(",", ":"))  # fmt: skip


def retry_delay(attempts: int, base: float = RETRY_BASE) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones."""
    return min(RETRY_MAX, base * 2 ** max(0, attempts - 1))


def sign_delivery(keys, body: bytes, t: int | None = None) -> str:
    """The ``Hueproof-Signature`` header of ``body`` at unix time ``t`` (now)."""
    t = int(time.time()) if t is None else int(t)
    kid, sig = keys.sign(f"{t}.".encode() + body)
    return f"t={t}, key={kid}, ed25519={sig}"


def verify_delivery(body: bytes, header: str, public_keys: dict, *, now: float | None = None,
                    tolerance: float = TOLERANCE) -> list[str]:  # fmt: skip
    """What is wrong with a received delivery (an empty list: signed by one of
    ``public_keys``, the ``/api/v1/keys`` of the service, within ``tolerance`` seconds).

    Examples
    --------
    A delivery signed by a key ring of its own (a service's, in a temporary folder), then
    checked as its endpoint would, a minute later, then altered, then replayed much later:

    >>> import tempfile
    >>> from claims.keys import KeyRing, load_public_keys
    >>> folder = tempfile.TemporaryDirectory()
    >>> ring = KeyRing(folder.name)
    >>> body = b'{"event":"claim.decided","id":"7f3a"}'
    >>> header = sign_delivery(ring, body, t=1_800_000_000)
    >>> header.startswith("t=1800000000, key=")
    True
    >>> keys = load_public_keys(folder.name)
    >>> verify_delivery(body, header, keys, now=1_800_000_060)
    []
    >>> verify_delivery(body.replace(b"7f3a", b"7f3b"), header, keys, now=1_800_000_060)
    ['the signature does not match the body']
    >>> verify_delivery(body, header, keys, now=1_800_003_600)
    ['signed 3600 s away from now (more than 300)']
    >>> folder.cleanup()
    """
    from claims.keys import verify_signature

    try:
        parts = dict(p.strip().split("=", 1) for p in header.split(","))
        t, kid, sig = int(parts["t"]), parts["key"], parts["ed25519"]
    except (KeyError, ValueError):
        return [f"expected a signature 't=…, key=…, ed25519=…'; got {header[:100]!r}"]
    now = time.time() if now is None else now
    problems = []
    if abs(now - t) > tolerance:
        problems.append(f"signed {abs(now - t):.0f} s away from now (more than {tolerance:.0f})")
    if kid not in public_keys:
        problems.append(f"signed by an unknown key {kid!r}")
    elif not verify_signature(public_keys, kid, sig, f"{t}.".encode() + body):
        problems.append("the signature does not match the body")
    return problems


def post(url: str, body: bytes, headers: dict, timeout: float = TIMEOUT) -> str | None:
    """Send one delivery; None when answered 2xx, else what went wrong."""
    headers = {"Content-Type": "application/json", "User-Agent": "hueproof-webhooks", **headers}
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            if 200 <= r.status < 300:
                return None
            return f"answered {r.status}"
    except urllib.error.HTTPError as exc:
        return f"answered {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"not reached: {getattr(exc, 'reason', exc)}"


def deliver_due(service, *, limit: int = BATCH) -> int:
    """Send the deliveries due now (taken under a lease, so that several senders send each
    once), recording each answer; returns how many were sent."""
    taken = service.take_deliveries(limit=limit, lease=LEASE)
    for d in taken:
        body = d["body"].encode()
        headers = {"Hueproof-Signature": sign_delivery(service.keys, body),
                   "Hueproof-Event": d["event"], "Hueproof-Delivery": str(d["id"])}  # fmt: skip
        service.delivery_answered(d["id"], post(d["url"], body, headers))
    return len(taken)
