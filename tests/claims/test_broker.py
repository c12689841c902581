"""Scale-out: Celery workers on Redis and RabbitMQ (claims/broker.py), gunicorn web processes.

Uses the brokers at ``HUEPROOF_TEST_REDIS`` and ``HUEPROOF_TEST_AMQP`` (by default the local
Redis and RabbitMQ, as on the project's CI machines), each test on a queue of its own, deleted
afterwards. Without a reachable broker the test is skipped (a failure under ``CI=true``).
The workers are real ``hueproof worker`` processes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.claims.conftest import Receiver, bearer, face_jpeg, file_claim, seeded_app

ROOT = Path(__file__).resolve().parents[2]
HUEPROOF = str(Path(sys.executable).with_name("hueproof"))
BROKERS = {
    "redis": os.environ.get("HUEPROOF_TEST_REDIS", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("HUEPROOF_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//"),
}


def _queue(url: str):
    """A queue of its own on the broker at ``url``: its name, deleted afterwards."""
    from kombu import Connection

    name = f"hueproof-test-{uuid.uuid4().hex[:10]}"
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.skip(f"no broker at {url}: {exc}")
    yield name
    with Connection(url, connect_timeout=3) as conn:
        channel = conn.default_channel
        try:
            channel.queue_delete(name)
        except Exception:  # never declared (no message was sent)
            pass
        if url.startswith("redis"):
            conn.default_channel.client.delete(f"_kombu.binding.{name}")


@pytest.fixture(params=sorted(BROKERS))
def broker(request):
    """(broker URL, queue name), on Redis and on RabbitMQ."""
    url = BROKERS[request.param]
    for name in _queue(url):
        yield url, name


@pytest.fixture()
def redis():
    url = BROKERS["redis"]
    for name in _queue(url):
        yield url, name


class Worker:
    """A ``hueproof worker`` process on a broker."""

    def __init__(self, data_dir, url, queue, *extra, env=None):
        self.proc = subprocess.Popen(
            [HUEPROOF, "worker", "--data", str(data_dir), "--broker", url, "--queue", queue,
             *extra],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip

    def stop(self) -> tuple[int, dict, str]:
        """SIGTERM (a service manager's stop): its exit status, its JSON, its stderr."""
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, json.loads(out) if out.strip() else {}, err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def _until(done, timeout=120.0, what="the claims to be analysed"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _status(client, token, cid) -> str:
    return client.get(f"/api/v1/claims/{cid}", headers=bearer(token)).json["status"]


def test_a_worker_on_the_broker_analyses_what_the_web_files(broker, tmp_path):
    """The web process analyses nothing with a broker: the claims it files (a shade claim and
    a redness claim) are analysed by a worker; the worker stops on SIGTERM with exit status 0,
    its stdout the JSON of its count alone."""
    url, queue = broker
    app, tokens = seeded_app(tmp_path / "data", BROKER_URL=url, BROKER_QUEUE=queue)
    assert app.extensions["hueproof"]["pool"] is None
    client, shopper = app.test_client(), tokens["shopper"]
    ids = [file_claim(client, shopper, key="shade").json["id"],
           file_claim(client, shopper, key="redness", photo=face_jpeg(), type="redness",
                      sku="SERUM-RETINOL", shade=None, roi=None,
                      consent_health="true").json["id"]]  # fmt: skip
    time.sleep(0.5)  # nothing analyses them yet
    assert [_status(client, shopper, c) for c in ids] == ["queued", "queued"]
    worker = Worker(tmp_path / "data", url, queue)
    try:
        _until(lambda: all(_status(client, shopper, c) == "ready" for c in ids))
        code, out, err = worker.stop()
    finally:
        worker.kill()
        app.extensions["hueproof"]["close"]()
    assert (code, out) == (0, {"analysed": 2}), err


def test_a_claim_the_broker_did_not_take_is_sent_again(redis, tmp_path):
    """The broker is down when a claim is filed: the filing is answered 202 and the claim
    stays queued; a worker's sweep sends it again and it is analysed, once however many
    workers sweep."""
    from claims.models import Claim, Job

    url, queue = redis
    down = "redis://127.0.0.1:9/0"  # nothing listens there
    app, tokens = seeded_app(tmp_path / "data", BROKER_URL=down, BROKER_QUEUE=queue)
    client, shopper = app.test_client(), tokens["shopper"]
    filed = file_claim(client, shopper, key="lost")
    assert filed.status_code == 202, filed.json
    cid = filed.json["id"]
    assert _status(client, shopper, cid) == "queued"
    # filed ten minutes ago: every sweep finds it due; each sends it only if no other sweep
    # has within the last minute
    ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    with app.extensions["hueproof"]["store"].write() as s:
        s.get(Claim, cid).updated_at = ago
        s.query(Job).filter_by(claim_id=cid).one().created_at = ago
    sweep = ("--sweep-every", "0.3", "--resend-after", "60")
    workers = [Worker(tmp_path / "data", url, queue, *sweep) for _ in range(2)]
    try:
        _until(lambda: _status(client, shopper, cid) == "ready")
        time.sleep(1.0)  # more sweeps by both workers
        stopped = [w.stop() for w in workers]
    finally:
        for w in workers:
            w.kill()
    assert [code for code, _, _ in stopped] == [0, 0], [err for *_, err in stopped]
    assert sum(out["analysed"] for _, out, _ in stopped) == 1  # one message for both sweeps
    assert _analysing_entries(app, cid) == 1
    app.extensions["hueproof"]["close"]()


def _analysing_entries(app, cid) -> int:
    """How many times the claim's analysis started (its ``claim.analyzing`` chain entries)."""
    from sqlalchemy import func, select

    from claims.models import AuditEntry

    with app.extensions["hueproof"]["store"].read() as s:
        return s.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.subject == f"claim:{cid}", AuditEntry.action == "claim.analyzing")
        ).scalar()  # fmt: skip


def test_a_claim_left_analysing_by_a_dead_worker_is_run_again(redis, tmp_path):
    """A worker died mid-analysis (its message acknowledged or lost): the claim stays
    analysing while the job's lease holds, then a worker's sweep sends it again."""
    from claims.broker import celery_app
    from claims.models import Claim, Job
    from claims.service import JOB_LEASE

    url, queue = redis
    app, tokens = seeded_app(tmp_path / "data", BROKER_URL=url, BROKER_QUEUE=queue)
    client, shopper = app.test_client(), tokens["shopper"]
    cid = file_claim(client, shopper, key="dead").json["id"]
    celery_app(url, queue=queue).control.purge()  # the filing's message is lost
    long_ago = dt.datetime.now(dt.UTC) - JOB_LEASE - dt.timedelta(minutes=1)
    with app.extensions["hueproof"]["store"].write() as s:  # as the dead worker left it
        claim, job = s.get(Claim, cid), s.query(Job).filter_by(claim_id=cid).one()
        claim.status, claim.updated_at = "analyzing", long_ago
        job.status, job.started_at, job.attempts, job.created_at = "running", long_ago, 1, long_ago
    worker = Worker(tmp_path / "data", url, queue, "--sweep-every", "0.5")
    try:
        _until(lambda: _status(client, shopper, cid) == "ready")
        code, out, err = worker.stop()
    finally:
        worker.kill()
    assert (code, out) == (0, {"analysed": 1}), err
    with app.extensions["hueproof"]["store"].read() as s:
        assert s.query(Job).filter_by(claim_id=cid).one().attempts == 2
    app.extensions["hueproof"]["close"]()


def test_claims_to_resend_sends_each_claim_once(tmp_path):
    """The sweep's choice: a claim sent less than ``after`` ago is not sent; one older is,
    once (a second sweep finds it sent); one a worker holds within its lease is not."""
    from claims.models import Job

    app, tokens = seeded_app(tmp_path / "data", ANALYSIS_WORKERS=0)
    client = app.test_client()
    service = app.extensions["hueproof"]["service"]
    ids = [file_claim(client, tokens["shopper"], key=f"k{i}").json["id"] for i in range(2)]
    assert service.claims_to_resend(dt.timedelta(minutes=5)) == []
    now = dt.datetime.now(dt.UTC)
    with app.extensions["hueproof"]["store"].write() as s:
        job = s.query(Job).filter_by(claim_id=ids[1]).one()
        job.status, job.started_at = "running", now  # a worker holds it
    assert service.claims_to_resend(dt.timedelta(0)) == [ids[0]]
    assert service.claims_to_resend(dt.timedelta(seconds=30)) == []
    app.extensions["hueproof"]["close"]()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scale_out_gunicorn_postgresql_redis_two_workers(pg_url, redis, tmp_path):
    """The scale-out of DESIGN.md: two gunicorn web processes and two Celery workers on one
    PostgreSQL database and one Redis broker. Eight shoppers file at once over HTTP: every
    claim is analysed exactly once, the adjudicator decides one, its report checks, a webhook
    hears of every event once, and the audit chain is whole."""
    from claims.db import open_store
    from claims.demo import seed_demo
    from tests.claims.conftest import claim_form, sample_photo

    url, queue = redis
    data = tmp_path / "data"
    env = {"DATABASE_URL": pg_url, "BROKER_URL": url, "HUEPROOF_DATA": str(data),
           "HUEPROOF_BROKER_QUEUE": queue}  # fmt: skip
    store = open_store(data, pg_url)
    with store.write() as s:
        tokens = seed_demo(s)
    store.dispose()
    port = _free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    web = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-w", "2", "-b", f"127.0.0.1:{port}",
         "server:create_app()"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    workers = [Worker(data, url, queue, env={"DATABASE_URL": pg_url}) for _ in range(2)]
    receiver = Receiver()
    try:
        _until(lambda: _reachable(f"http://127.0.0.1:{port}/healthz"), 60, "gunicorn")
        form = {k: v for k, v in claim_form(b"").items() if k != "photo"}
        shopper, adj = bearer(tokens["shopper"]), bearer(tokens["adjudicator"])
        hook = requests.post(f"{base}/webhooks", headers=bearer(tokens["admin"]), timeout=60,
                             json={"url": receiver.url})  # fmt: skip
        assert hook.status_code == 201, hook.text

        def file(i):
            return requests.post(f"{base}/claims", data=form, timeout=60,
                                 files={"photo": ("photo.jpg", sample_photo(), "image/jpeg")},
                                 headers={**shopper, "Idempotency-Key": f"peak-{i}"})  # fmt: skip

        with ThreadPoolExecutor(8) as pool:  # eight shoppers at once
            filed = list(pool.map(file, range(8)))
        assert [r.status_code for r in filed] == [202] * 8, [r.text for r in filed]
        ids = [r.json()["id"] for r in filed]
        assert len(set(ids)) == 8

        def ready():
            return all(requests.get(f"{base}/claims/{c}", headers=adj, timeout=60).json()
                       ["status"] == "ready" for c in ids)  # fmt: skip

        _until(ready)
        report = requests.post(f"{base}/claims/{ids[0]}/decision", headers=adj, timeout=60,
                               json={"outcome": "reject",
                                     "reason_code": "shade_within_tolerance"})  # fmt: skip
        assert report.status_code == 201, report.text
        check = requests.post(f"{base}/reports/verify", json=report.json(), timeout=60)
        assert (check.status_code, check.json()["valid"]) == (200, True), check.text
        # the web processes wrote the webhook deliveries, the workers sent them
        _until(lambda: len(receiver.received) == 17, what="the webhook deliveries")
        events = sorted(e["event"] for e in receiver.events())
        assert events == ["claim.decided"] + ["claim.filed"] * 8 + ["claim.ready"] * 8
        # every web process reads the same figures from the store (PostgreSQL here)
        for _ in range(2):
            metrics = requests.get(f"{base}/metrics", headers=bearer(tokens["admin"]),
                                   timeout=60).text  # fmt: skip
            assert 'hueproof_claims{status="ready",type="shade"} 7\n' in metrics, metrics
            assert "hueproof_time_to_decision_seconds_count 1\n" in metrics
            assert 'hueproof_webhook_deliveries{state="pending"} 0\n' in metrics
        stopped = [w.stop() for w in workers]
    finally:
        receiver.close()
        for w in workers:
            w.kill()
        web.terminate()
        web.communicate(timeout=30)
    assert [c for c, _, _ in stopped] == [0, 0], [err for *_, err in stopped]
    assert sum(out["analysed"] for _, out, _ in stopped) == 8
    audit = subprocess.run([HUEPROOF, "audit", "verify", "--data", str(data)], cwd=ROOT,
                           env={**os.environ, "DATABASE_URL": pg_url}, capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert audit.returncode == 0, audit.stdout + audit.stderr
    from sqlalchemy import func, select

    from claims.models import AuditEntry

    store = open_store(data, pg_url)
    with store.read() as s:
        starts = s.execute(
            select(AuditEntry.subject, func.count())
            .where(AuditEntry.action == "claim.analyzing")
            .group_by(AuditEntry.subject)
        ).all()
    store.dispose()
    assert sorted(n for _, n in starts) == [1] * 8, starts


def _reachable(url) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:  # not up yet, or still starting
        return False
