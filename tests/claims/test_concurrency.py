"""Concurrent writers keep one unbroken chain; duplicate uploads give one claim; the
scale-out worker and the purge command run from the command line."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

import cli
from claims import audit
from claims.audit import verify_chain
from claims.db import open_store
from claims.keys import KeyRing
from claims.models import AuditEntry, Claim
from tests.claims.conftest import bearer, claim_form, sample_photo, seeded_app

ROOT = Path(__file__).resolve().parents[2]


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


def _queued_claim(data, key):
    """A service whose web process only queues, and a claim filed with it: the app, the
    demo users' tokens, a test client and the claim's id."""
    app, tokens = seeded_app(data, ANALYSIS_WORKERS=0)
    client = app.test_client()
    headers = {**bearer(tokens["shopper"]), "Idempotency-Key": key}
    cid = client.post("/api/v1/claims", data=claim_form(sample_photo()), headers=headers,
                      content_type="multipart/form-data").json["id"]  # fmt: skip
    return app, tokens, client, cid


def test_worker_and_purge_commands(tmp_path, capsys):
    data = tmp_path / "d"
    app, tokens, client, cid = _queued_claim(data, "w")
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


def test_claims_link_command(tmp_path, capsys):
    """Claims filed before related claims were written down (migration 0019), linked by the
    command before the service starts: the pair on one order linked, a count of what is
    left (none)."""
    from sqlalchemy import delete, select, update

    from claims.models import Claim, ClaimLink, Image
    from tests.claims.conftest import another_photo, file_claim

    data = tmp_path / "d"
    app, tokens = seeded_app(data, ANALYSIS_WORKERS=0)
    for k in range(3):
        file_claim(app.test_client(), tokens["shopper"], key=f"k{k}", order_ref=f"O-{k // 2}",
                   photo=another_photo(k))  # fmt: skip
    store = app.extensions["hueproof"]["store"]
    with store.write() as s:
        s.execute(delete(ClaimLink))
        s.execute(update(Claim).values(links_version=0))
        s.execute(update(Image).values(fingerprinted=False, face_printed=False))  # as after
    app.extensions["hueproof"]["close"]()  # migrations 0020 and 0021
    assert cli.main(["claims", "link", "--data", str(data)]) == 0
    fingerprinted, faces, linked = capsys.readouterr().out.splitlines()
    assert fingerprinted == ("stored photos fingerprinted: 3 (0 with too little structure, "
                             "0 missing, 0 unreadable)"), fingerprinted  # fmt: skip
    assert faces == ("their faces fingerprinted: 0 (3 without a face, 0 missing, 0 "
                     "unreadable)"), faces  # fmt: skip
    assert linked.startswith("claims linked to their related claims: 3 in ") and linked.endswith(
        " s; 0 left"), linked  # fmt: skip
    with store.read() as s:
        assert len(s.scalars(select(ClaimLink)).all()) == 2
    assert cli.main(["claims", "link", "--json", "--data", str(data)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["linked"], report["left"], report["no_face"]) == (0, 0, 0)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_a_stopped_worker_finishes_the_claim_under_way(tmp_path, sig):
    """``hueproof worker`` as its own process, stopped by a service manager's SIGTERM or
    Ctrl+C once it has taken a claim: the claim is analysed, the worker exits 0 and says
    how many it ran. Before, SIGTERM ended it at once, leaving the claim analysing until its
    lease ran out, and Ctrl+C printed a traceback."""
    data = tmp_path / "d"
    app, tokens, client, cid = _queued_claim(data, "stop")
    proc = subprocess.Popen([sys.executable, "-m", "cli", "worker", "--data", str(data)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        view, deadline = None, time.monotonic() + 60
        while time.monotonic() < deadline:
            view = client.get(f"/api/v1/claims/{cid}", headers=bearer(tokens["shopper"])).json
            if view["status"] != "queued":
                break
            time.sleep(0.02)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert '"analysed": 1' in out and "Traceback" not in err, err
    view = client.get(f"/api/v1/claims/{cid}", headers=bearer(tokens["shopper"])).json
    assert view["status"] == "ready", view
    app.extensions["hueproof"]["close"]()


def test_a_claim_left_analysing_by_a_stopped_process_is_run_once_its_lease_runs_out(tmp_path):
    """A process stopped hard (killed, the power cut) while analysing a claim leaves its job
    running; the next pool that starts finds it leased and leaves it. The pool looks again
    every RESUME_EVERY seconds and runs it once the lease has run out. Before, it looked only
    when it started, and the claim stayed analysing until a restart after the lease."""
    from claims.jobs import WorkerPool
    from claims.models import Job, utcnow
    from claims.service import CLAIM_ANALYSIS_VERSION, JOB_LEASE

    app, tokens, client, cid = _queued_claim(tmp_path / "d", "lease")
    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:  # taken by a process that then stopped
        s.get(Claim, cid).status = "analyzing"
        job = s.execute(select(Job).where(Job.claim_id == cid,
                                          Job.analysis_version == CLAIM_ANALYSIS_VERSION)
                        ).scalar_one()  # fmt: skip
        job.status, job.attempts = "running", 1
        job.started_at = utcnow() - JOB_LEASE + dt.timedelta(seconds=1.5)
    pool = WorkerPool(ext["service"], 1, resume_every=0.25)
    try:
        assert pool.resume() == 1 and pool.wait_idle()
        view = client.get(f"/api/v1/claims/{cid}", headers=bearer(tokens["shopper"])).json
        assert view["status"] == "analyzing"  # leased: left alone
        deadline = time.monotonic() + 30
        while view["status"] == "analyzing" and time.monotonic() < deadline:
            time.sleep(0.1)
            view = client.get(f"/api/v1/claims/{cid}", headers=bearer(tokens["shopper"])).json
        assert view["status"] == "ready", view
    finally:
        pool.shutdown()
        ext["close"]()
