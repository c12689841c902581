"""Scale-out analyses: Celery workers on a Redis or RabbitMQ broker.

With ``BROKER_URL`` (``redis://…`` or ``amqp://…``) the web processes analyse nothing: a
filed claim's id goes to the broker once its claim and job rows have committed
(:class:`BrokerDispatch`), and ``hueproof worker`` processes (:func:`run_worker`, Celery
workers) take them. Delivery is at least once and nothing filed is lost:

- a task is acknowledged after its analysis, so a worker that dies before it began one
  leaves the task to the broker to deliver again; running one twice is harmless (jobs are
  idempotent on claim, image sha256 and analysis version, and a job a worker holds is left
  to it until its lease runs out: :meth:`ClaimsService.run_analysis`);
- a claim whose message never reached the broker (down when the claim was filed) or was lost,
  and one left analysing by a worker that died (once its job's lease has run out), are sent
  again by the workers' sweep (:meth:`ClaimsService.claims_to_resend`, every
  :data:`SWEEP_EVERY` seconds), once however many workers sweep.

Workers and web processes share the database (``DATABASE_URL``) and the data directory (the
photos, the signing keys).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import sys
import threading
import time

__all__ = ["BrokerDispatch", "broker_url", "celery_app", "run_worker"]

log = logging.getLogger("hueproof.broker")

TASK = "hueproof.analyse"
#: The queue analyses go through (another per deployment sharing one broker: ``--queue``).
QUEUE = "hueproof.analysis"
#: Seconds between two sweeps of a worker for claims to send again.
SWEEP_EVERY = 60.0
#: A queued claim is sent again when its last message is this old: long enough that a claim
#: waiting its turn at a peak is seldom sent twice (a second message costs a worker one
#: transaction: the claim is analysed, or held by another worker, and the task returns).
RESEND_AFTER = dt.timedelta(minutes=5)
#: Seconds between two looks of a worker for webhook deliveries due (the web processes only
#: write them).
DELIVER_EVERY = 2.0
#: Seconds between two retention purges run by a worker.
PURGE_EVERY = 3600.0
#: A task a Redis broker delivered but no worker acknowledged within this many seconds is
#: delivered again (RabbitMQ does so as soon as the worker's connection drops).
VISIBILITY_TIMEOUT = 900
#: Seconds a web process waits for the broker when sending a claim before it leaves the claim
#: queued for the sweep.
SEND_TIMEOUT = 2.0


def broker_url() -> str | None:
    """``BROKER_URL`` from the environment, or None (analyses run in the web process)."""
    return os.environ.get("BROKER_URL") or None


def celery_app(url: str, *, queue: str = QUEUE):
    """A Celery app on the broker at ``url`` sending to and taking from ``queue``."""
    from celery import Celery

    app = Celery("hueproof", broker=url, set_as_current=False)
    app.conf.update(
        task_default_queue=queue,
        # acknowledged after the analysis: a worker's death hands the task to another
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=SEND_TIMEOUT,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    return app


class BrokerDispatch:
    """``ClaimsService.submit`` for web processes: a filed claim's id sent to the broker.

    A broker that cannot be reached does not fail the filing (the claim and its photos are
    stored): the claim stays queued and a worker's sweep sends it again.
    """

    def __init__(self, url: str, *, queue: str = QUEUE):
        self.celery = celery_app(url, queue=queue)

    def submit(self, claim_id: str) -> None:
        try:
            self.celery.send_task(
                TASK,
                args=[claim_id],
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0.2},
            )
        except Exception as exc:
            log.warning("claim %s is filed but the broker did not take it (%s): a worker's "
                        "sweep sends it again", claim_id, exc)  # fmt: skip

    def close(self) -> None:
        self.celery.close()


def run_worker(service, url: str, *, queue: str = QUEUE, concurrency: int = 1,
               sweep_every: float = SWEEP_EVERY, resend_after: dt.timedelta = RESEND_AFTER,
               purge_every: float = PURGE_EVERY,
               deliver_every: float = DELIVER_EVERY) -> int:  # fmt: skip
    """``hueproof worker`` on a broker: a Celery worker analysing the claims sent to
    ``queue`` (``concurrency`` at a time, in threads), and a sweep sending again the claims
    whose message was lost or whose worker died, with the retention purge now and then, and
    the webhook deliveries due every ``deliver_every`` seconds (claims/webhooks.py).
    Ctrl+C or SIGTERM stops it after the analyses under way (Celery's warm shutdown; a second
    one at once, the tasks then delivered again). Returns how many claims it analysed."""
    app = celery_app(url, queue=queue)
    analysed = [0]
    lock = threading.Lock()

    @app.task(name=TASK)
    def analyse(claim_id):
        status = service.run_analysis(claim_id)
        with lock:
            analysed[0] += 1
        return status

    stop = threading.Event()

    def chores():
        last_purge = None
        while True:
            now = time.monotonic()
            try:
                for claim_id in service.claims_to_resend(resend_after):
                    app.send_task(TASK, args=[claim_id])
                if last_purge is None or now - last_purge >= purge_every:
                    service.purge()
                    last_purge = now
            except Exception:  # the database or the broker away: the next sweep tries again
                log.exception("sweep failed; again in %s s", sweep_every)
            if stop.wait(sweep_every):
                return

    def deliveries():
        from claims.webhooks import deliver_due

        while not stop.wait(deliver_every):
            try:
                while deliver_due(service) and not stop.is_set():
                    pass
            except Exception:  # the database away: the next look tries again
                log.exception("sending webhook deliveries failed; again in %s s", deliver_every)

    sweeper = threading.Thread(target=chores, name="sweep", daemon=True)
    sweeper.start()
    sender = threading.Thread(target=deliveries, name="webhooks", daemon=True)
    sender.start()
    worker = app.Worker(
        hostname=f"hueproof-{os.getpid()}@{socket.gethostname()}",
        queues=[queue],
        pool="solo" if concurrency <= 1 else "threads",
        concurrency=max(1, concurrency),
        loglevel="WARNING",
        quiet=True,
        without_gossip=True,
        without_mingle=True,
    )
    # Celery says its shutdown lines ("Warm shutdown", ...) on the original stdout: on stderr
    # here, as the other commands do, so that stdout carries the worker's JSON alone
    stdout, sys.__stdout__ = sys.__stdout__, sys.__stderr__
    try:
        worker.start()
    finally:
        sys.__stdout__ = stdout
        stop.set()
        sweeper.join(timeout=10)
        sender.join(timeout=30)
    return analysed[0]
