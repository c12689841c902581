"""Concurrent writers keep one unbroken chain; duplicate uploads give one claim; the
scale-out worker and the purge command run from the command line."""

from __future__ import annotations

import json
import threading

from sqlalchemy import func, select

import cli
from claims import audit
from claims.audit import verify_chain
from claims.db import open_store
from claims.keys import KeyRing
from claims.models import AuditEntry, Claim
from tests.claims.conftest import bearer, claim_form, sample_photo, seeded_app


def test_concurrent_appends_make_one_unbroken_chain(tmp_path):
    store = open_store(tmp_path / "d")
    keys = KeyRing(tmp_path / "d" / "keys")
    errors = []

    def writer(k):
        try:
            for i in range(15):
                with store.write() as s:
                    audit.append(s, actor=f"t{k}", action="x", subject=f"{k}:{i}",
                                 payload={"i": i}, keys=keys)  # fmt: skip
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.read() as s:
        v = verify_chain(s, keys.public_keys())
        n = s.execute(select(func.count()).select_from(AuditEntry)).scalar()
    assert v.ok and n == 90 and v.checkpoints == 90 // audit.CHECKPOINT_EVERY
    store.dispose()


def test_simultaneous_duplicate_uploads_give_one_claim(tmp_path):
    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    photo = sample_photo()
    results = []

    def upload():
        client = app.test_client()
        headers = {**bearer(tokens["shopper"]), "Idempotency-Key": "dup"}
        r = client.post("/api/v1/claims", data=claim_form(photo), headers=headers,
                        content_type="multipart/form-data")  # fmt: skip
        results.append((r.status_code, r.json.get("id")))

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in results) == [200, 200, 200, 202]
    assert len({cid for _, cid in results}) == 1
    with app.extensions["hueproof"]["store"].read() as s:
        assert s.execute(select(func.count()).select_from(Claim)).scalar() == 1
    app.extensions["hueproof"]["close"]()


def test_worker_and_purge_commands(tmp_path, capsys):
    data = tmp_path / "d"
    app, tokens = seeded_app(data, ANALYSIS_WORKERS=0)  # the web process only queues
    client = app.test_client()
    headers = {**bearer(tokens["shopper"]), "Idempotency-Key": "w"}
    cid = client.post("/api/v1/claims", data=claim_form(sample_photo()), headers=headers,
                      content_type="multipart/form-data").json["id"]  # fmt: skip
    assert cli.main(["worker", "--once", "--data", str(data)]) == 0
    assert '"analysed": 1' in capsys.readouterr().out
    view = client.get(f"/api/v1/claims/{cid}", headers=bearer(tokens["adjudicator"])).json
    assert view["status"] == "ready"
    assert cli.main(["purge", "--json", "--data", str(data)]) == 0
    assert '"purged_claims": 0' in capsys.readouterr().out  # nothing decided yet
    app.extensions["hueproof"]["close"]()


def test_images_strip_metadata_command(tmp_path, capsys):
    """The command names a stored file it could not strip (exit 1) and leaves it as it is."""
    from claims.models import Image

    data = tmp_path / "d"
    app, _ = seeded_app(data, ANALYSIS_WORKERS=0)
    store = app.extensions["hueproof"]["store"]
    sha = store.blobs.put(b"not a picture")
    with store.write() as s:
        s.add(Image(sha256=sha, media_type="image/jpeg", size=13, width=1, height=1,
                    metadata_stripped=False))  # fmt: skip
    app.extensions["hueproof"]["close"]()
    assert cli.main(["images", "strip-metadata", "--data", str(data)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("stored photos without their metadata now: 0 rewritten")
    assert out[0].endswith("1 refused") and out[1].startswith(f"  refused {sha}: expected")
    assert cli.main(["images", "strip-metadata", "--json", "--data", str(data)]) == 1
    assert list(json.loads(capsys.readouterr().out)["failed"]) == [sha]
    assert store.blobs.get(sha) == b"not a picture"
