"""The audit chain: every state change, decision and raw view, linked by SHA-256.

Each entry's hash is the SHA-256 of the RFC 8785 canonical JSON of its content and the
previous entry's hash, so an edit, a deletion or a reordering anywhere breaks every later
link. Every :data:`CHECKPOINT_EVERY` entries the (sequence number, hash) pair is signed with
the service's Ed25519 key: with the published public keys, a verifier can tell a chain that
was rewritten from its start, too. Entries hold hashes and identifiers, never photos.

References
----------
.. [1] A. Rundgren, B. Jordan, S. Erdtman, "JSON Canonicalization Scheme (JCS)", RFC 8785,
   2020.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import rfc8785
from sqlalchemy import select

from claims.keys import KeyRing, PublicKey, verify_signature
from claims.models import AuditEntry, ChainHead, Checkpoint, utcnow

__all__ = [
    "CHECKPOINT_EVERY",
    "GENESIS",
    "ChainVerification",
    "append",
    "canonical",
    "entry_hash",
    "verify_chain",
]

GENESIS = "0" * 64
CHECKPOINT_EVERY = 16


def canonical(obj) -> bytes:
    """RFC 8785 canonical JSON bytes of ``obj``."""
    return rfc8785.dumps(obj)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_hash(*, seq, time, actor, action, subject, payload, prev_hash) -> str:
    body = {
        "seq": seq,
        "time": time,
        "actor": actor,
        "action": action,
        "subject": subject,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return sha256_hex(canonical(body))


def _checkpoint_bytes(seq: int, hash_: str) -> bytes:
    return canonical({"chain": "hueproof-audit", "seq": seq, "hash": hash_})


def append(
    session, *, actor: str, action: str, subject: str, payload: dict, keys: KeyRing | None = None
) -> AuditEntry:
    """Append an entry in ``session``'s transaction (it commits or rolls back with the change
    it records). Concurrent appends are serialised by the lock on the chain head row."""
    head = session.execute(select(ChainHead).where(ChainHead.id == 1).with_for_update()).scalar()
    if head is None:
        head = ChainHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    seq = head.seq + 1
    time = utcnow().isoformat(timespec="microseconds").replace("+00:00", "Z")
    payload = dict(payload)
    h = entry_hash(seq=seq, time=time, actor=actor, action=action, subject=subject,
                   payload=payload, prev_hash=head.hash)  # fmt: skip
    entry = AuditEntry(seq=seq, time=time, actor=actor, action=action, subject=subject,
                       payload=payload, prev_hash=head.hash, hash=h)  # fmt: skip
    session.add(entry)
    head.seq, head.hash = seq, h
    if keys is not None and seq % CHECKPOINT_EVERY == 0:
        kid, sig = keys.sign(_checkpoint_bytes(seq, h))
        session.add(Checkpoint(seq=seq, hash=h, key_id=kid, signature=sig, time=time))
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainVerification:
    """What :func:`verify_chain` found; ``ok`` when ``problems`` is empty."""

    entries: int
    checkpoints: int
    head_seq: int
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "head_seq": self.head_seq,
            "problems": list(self.problems),
        }


def verify_chain(session, public_keys: dict[str, PublicKey]) -> ChainVerification:
    """Recompute every link and check every checkpoint signature.

    Detects an edited entry (its content no longer gives its hash), a deleted one (a gap in
    the sequence, or a previous-hash mismatch), reordering (previous-hash mismatch), a
    truncated tail (the head row, or a signed checkpoint, lies beyond the last entry) and a
    forged checkpoint.
    """
    problems = []
    prev_hash, expected, n = GENESIS, 1, 0
    hashes = {}
    for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
        n += 1
        if e.seq != expected:
            problems.append(f"entries {expected}-{e.seq - 1} are missing (deleted)")
        if e.prev_hash != prev_hash:
            problems.append(f"entry {e.seq}: its previous-hash does not match the entry before "
                            "it (deleted or reordered entries)")  # fmt: skip
        recomputed = entry_hash(
            seq=e.seq,
            time=e.time,
            actor=e.actor,
            action=e.action,
            subject=e.subject,
            payload=e.payload,
            prev_hash=e.prev_hash,
        )
        if recomputed != e.hash:
            problems.append(f"entry {e.seq}: its content does not give its hash (edited)")
        hashes[e.seq] = e.hash
        prev_hash, expected = e.hash, e.seq + 1
    last_seq = expected - 1
    head = session.get(ChainHead, 1)
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        problems.append(
            f"the chain head says entry {head.seq} but the chain ends at {last_seq} "
            "(entries removed from the end, or the head edited)"
        )
    checkpoints = session.execute(select(Checkpoint).order_by(Checkpoint.seq)).scalars().all()
    for c in checkpoints:
        if not verify_signature(public_keys, c.key_id, c.signature,
                                _checkpoint_bytes(c.seq, c.hash)):  # fmt: skip
            problems.append(f"checkpoint {c.seq}: the signature does not verify")
        if c.seq not in hashes:
            problems.append(f"checkpoint {c.seq}: signed, but the entry is gone (truncated)")
        elif hashes[c.seq] != c.hash:
            problems.append(f"checkpoint {c.seq}: the signed hash differs from the entry's "
                            "(the chain was rewritten)")  # fmt: skip
    return ChainVerification(n, len(checkpoints), last_seq, tuple(problems))
