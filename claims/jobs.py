"""Running analyses and sending webhooks: an in-process worker pool (the embedded default)
and a polling worker.

Jobs are idempotent on (claim, image sha256, analysis version): running a claim twice, or
after a crash, gives the same result; a claim left ``analyzing`` by a stopped process is
run again once its job's lease has run out (a pool looks every :data:`RESUME_EVERY` seconds,
``hueproof worker`` on every poll).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

__all__ = ["Linking", "WorkerPool", "poll_forever"]

log = logging.getLogger("hueproof.jobs")
#: Seconds between two retention purges run by the embedded pool.
PURGE_EVERY = 3600.0
#: Seconds between two looks by the embedded pool for claims left queued or analysing. A
#: claim whose process stopped while analysing it is held by its job's lease
#: (claims/service.py, JOB_LEASE) and is run once the lease has run out; looking only when a
#: pool starts, as before, left it analysing until a restart after that.
RESUME_EVERY = 60.0
#: Seconds between two looks by a sender for webhook deliveries due (their retries); a new
#: event wakes the embedded pool's sender at once (claims/webhooks.py).
DELIVER_EVERY = 5.0


class WorkerPool:
    """Threads that run :meth:`ClaimsService.run_analysis` for submitted claim ids."""

    def __init__(self, service, workers: int = 1, *, purge_every: float = PURGE_EVERY,
                 resume_every: float = RESUME_EVERY):  # fmt: skip
        self.service = service
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="analyse")
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._chores = threading.Thread(target=self._chores_loop,
                                        args=(purge_every, resume_every), name="pool-chores",
                                        daemon=True)  # fmt: skip
        self._chores.start()
        self._wake = threading.Event()
        self._sender = threading.Thread(target=self._deliveries_loop, name="webhooks",
                                        daemon=True)  # fmt: skip
        self._sender.start()

    def wake(self) -> None:
        """Send the webhook deliveries due now (``ClaimsService.on_event``)."""
        self._wake.set()

    def _deliveries_loop(self) -> None:
        from claims.webhooks import deliver_due

        while not self._stop.is_set():
            self._wake.clear()
            try:
                while deliver_due(self.service) and not self._stop.is_set():
                    pass
            except Exception:  # the database away: the next look tries again
                log.exception("sending webhook deliveries failed; again in %s s",
                              DELIVER_EVERY)  # fmt: skip
            self._wake.wait(DELIVER_EVERY)

    def _chores_loop(self, purge_every: float, resume_every: float) -> None:
        """Erase raw photos past their retention now and then (the embedded default), and
        submit claims left queued or analysing more often."""
        last_purge = None
        while not self._stop.is_set():
            now = time.monotonic()
            if last_purge is None or now - last_purge >= purge_every:
                last_purge = now
                try:
                    self.service.purge()
                except Exception:
                    log.exception("purge failed; retrying in %s s", purge_every)
            if self._stop.wait(resume_every):
                return
            try:
                self.resume()
            except Exception:  # a pool shut down meanwhile takes no more claims: no error
                if not self._stop.is_set():
                    log.exception("looking for claims to run failed; again in %s s",
                                  resume_every)  # fmt: skip

    def submit(self, claim_id: str) -> None:
        with self._lock:
            if claim_id in self._pending:
                return
            self._pending.add(claim_id)
        self._pool.submit(self._run, claim_id)

    def _run(self, claim_id: str) -> None:
        try:
            self.service.run_analysis(claim_id)
        except Exception:  # a bug must not kill the pool; the claim stays visible as analyzing
            log.exception("analysis of claim %s failed unexpectedly", claim_id)
        finally:
            with self._lock:
                self._pending.discard(claim_id)
                self._idle.notify_all()

    def resume(self) -> int:
        """Submit every claim still queued or analysing (after a restart); returns how many."""
        ids = self.service.pending_claims()
        for cid in ids:
            self.submit(cid)
        return len(ids)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no job is pending (for tests and orderly shutdown)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        self._pool.shutdown(wait=True, cancel_futures=False)
        self._sender.join(timeout=30)


def poll_forever(service, *, interval: float = 2.0, once: bool = False,
                 purge_every: float = PURGE_EVERY,
                 stop: threading.Event | None = None) -> int:  # fmt: skip
    """``hueproof worker``: run pending claims from the database, one at a time, send the
    webhook deliveries due, and run the retention purge every ``purge_every`` seconds (not on
    every poll); returns how many claims it ran. Once ``stop`` is set it returns after the
    claim under way."""
    from claims.webhooks import deliver_due

    stop = stop or threading.Event()
    done, last_purge = 0, None
    while not stop.is_set():
        for cid in service.pending_claims():
            if stop.is_set():
                return done
            service.run_analysis(cid)
            done += 1
        while deliver_due(service) and not stop.is_set():
            pass
        now = time.monotonic()
        if last_purge is None or now - last_purge >= purge_every:
            service.purge()
            last_purge = now
        if once:
            return done
        stop.wait(interval)
    return done


class Linking:
    """:meth:`claims.service.ClaimsService.fingerprint_stored_photos`, then
    :meth:`~claims.service.ClaimsService.face_print_stored_photos`, then
    :meth:`~claims.service.ClaimsService.link_stored_claims`, on a thread of its own, started
    when some stored photo or its face is not fingerprinted or some claim not linked (a large
    store's would hold the service's start for minutes: 18 ms a 12 MP photo, 0.3-0.6 s its
    face, 13 ms a claim); :meth:`stop` ends it between two photos or claims and waits."""

    def __init__(self, service):
        self._stop = threading.Event()
        self.fingerprinted: dict | None = None  # fingerprint_stored_photos' report, once done
        self.faces: dict | None = None  # face_print_stored_photos', once done
        self.linked = 0
        self.thread = None
        if (service.unfingerprinted_photos() or service.unfaceprinted_photos()
                or service.unlinked_claims()):  # fmt: skip
            self.thread = threading.Thread(target=self._run, args=(service,), daemon=True,
                                           name="hueproof-linking")  # fmt: skip
            self.thread.start()

    def _run(self, service):
        try:
            self.fingerprinted = report = service.fingerprint_stored_photos(stop=self._stop)
            if report["fingerprinted"] or report["flat"] or report["failed"]:
                log.info("stored photos fingerprinted: %d (%d with too little structure), "
                         "%d unreadable", report["fingerprinted"], report["flat"],
                         len(report["failed"]))  # fmt: skip
            self.faces = faces = service.face_print_stored_photos(stop=self._stop)
            if faces["faces"] or faces["no_face"] or faces["failed"]:
                log.info("stored photos' faces fingerprinted: %d (%d without a face), %d "
                         "unreadable", faces["faces"], faces["no_face"],
                         len(faces["failed"]))  # fmt: skip
            self.linked = service.link_stored_claims(stop=self._stop)
        except Exception:  # the claims left stay counted (hueproof_claims_not_linked): the
            log.exception("linking the stored claims stopped")  # next start goes on

    def join(self) -> None:
        """Wait until it is done (tests, and `hueproof claims link`'s like)."""
        if self.thread is not None:
            self.thread.join()

    def stop(self) -> None:
        self._stop.set()
        self.join()
