"""The audit chain detects edits, deletions, reordering, truncation and forged checkpoints."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from claims import audit
from claims.audit import CHECKPOINT_EVERY, GENESIS, canonical, entry_hash, verify_chain
from claims.db import open_store
from claims.keys import KeyRing
from claims.models import AuditEntry, ChainHead, Checkpoint


@pytest.fixture()
def chain(tmp_path):
    store = open_store(tmp_path / "data")
    keys = KeyRing(tmp_path / "data" / "keys")
    with store.write() as s:
        for k in range(2 * CHECKPOINT_EVERY + 3):
            audit.append(s, actor="test", action="thing.done", subject=f"thing:{k}",
                         payload={"k": k, "text": "ünïcödé"}, keys=keys)  # fmt: skip
    yield store, keys
    store.dispose()


def _verify(store, keys):
    with store.read() as s:
        return verify_chain(s, keys.public_keys())


def test_canonical_json_is_rfc8785():
    # RFC 8785 §3.2.2/3.2.3: sorted keys, no whitespace, shortest numbers, UTF-8 kept
    assert canonical({"b": 1.0, "a": [1e21, "é"], "c": None}) == (
        '{"a":[1e+21,"é"],"b":1,"c":null}'.encode()
    )


def test_intact_chain_verifies_with_signed_checkpoints(chain):
    store, keys = chain
    v = _verify(store, keys)
    assert v.ok, v.problems
    assert v.entries == 2 * CHECKPOINT_EVERY + 3 and v.checkpoints == 2
    with store.read() as s:
        first = s.get(AuditEntry, 1)
    assert first.prev_hash == GENESIS
    assert first.hash == entry_hash(seq=1, time=first.time, actor="test", action="thing.done",
                                    subject="thing:0", payload={"k": 0, "text": "ünïcödé"},
                                    prev_hash=GENESIS)  # fmt: skip


def _tamper(store, stmt):
    with store.write() as s:
        s.execute(stmt)


def test_an_edited_entry_is_found(chain):
    store, keys = chain
    _tamper(store, update(AuditEntry).where(AuditEntry.seq == 5).values(payload={"k": 99}))
    v = _verify(store, keys)
    assert not v.ok and any("entry 5" in p and "edited" in p for p in v.problems)


def test_a_deleted_entry_is_found(chain):
    store, keys = chain
    _tamper(store, delete(AuditEntry).where(AuditEntry.seq == 7))
    v = _verify(store, keys)
    assert any("missing" in p for p in v.problems)


def test_reordered_entries_are_found(chain):
    store, keys = chain
    with store.write() as s:
        a, b = s.get(AuditEntry, 3), s.get(AuditEntry, 4)
        fields = ("time", "actor", "action", "subject", "payload")
        va, vb = ({f: getattr(e, f) for f in fields} for e in (a, b))
        for f in fields:
            setattr(a, f, vb[f])
            setattr(b, f, va[f])
    v = _verify(store, keys)
    assert not v.ok


def test_a_rewritten_tail_is_found_by_the_head_and_the_checkpoints(chain):
    store, keys = chain
    last = 2 * CHECKPOINT_EVERY + 3
    _tamper(store, delete(AuditEntry).where(AuditEntry.seq > CHECKPOINT_EVERY + 1))
    v = _verify(store, keys)
    assert any("chain head" in p for p in v.problems)
    assert any("truncated" in p for p in v.problems)
    # even with the head "fixed" up, the signed checkpoint beyond the end gives it away
    with store.write() as s:
        e = s.get(AuditEntry, CHECKPOINT_EVERY + 1)
        s.execute(update(ChainHead).values(seq=e.seq, hash=e.hash))
    assert last > CHECKPOINT_EVERY + 1
    assert not _verify(store, keys).ok


def test_a_chain_recomputed_from_an_edit_fails_its_signed_checkpoint(chain):
    store, keys = chain
    with store.write() as s:
        entries = s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
        entries[1].payload = {"k": -1}
        prev = GENESIS
        for e in entries:  # an attacker recomputes every hash after the edit
            e.prev_hash = prev
            e.hash = entry_hash(seq=e.seq, time=e.time, actor=e.actor, action=e.action,
                                subject=e.subject, payload=e.payload, prev_hash=prev)  # fmt: skip
            prev = e.hash
        s.execute(update(ChainHead).values(hash=prev))
    v = _verify(store, keys)
    assert not v.ok and all("checkpoint" in p for p in v.problems)


def test_a_forged_checkpoint_signature_is_found(chain):
    store, keys = chain
    _tamper(store, update(Checkpoint).where(Checkpoint.seq == CHECKPOINT_EVERY)
            .values(signature="AAAA" + "B" * 84))  # fmt: skip
    v = _verify(store, keys)
    assert any("signature does not verify" in p for p in v.problems)
