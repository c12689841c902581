"""Running analyses: an in-process worker pool (the embedded default) and a polling worker.

Jobs are idempotent on (claim, image sha256, analysis version): running a claim twice, or
after a crash, gives the same result; a claim left ``analyzing`` by a stopped process is
picked up again when a pool starts.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

__all__ = ["WorkerPool", "poll_forever"]

log = logging.getLogger("hueproof.jobs")
#: Seconds between two retention purges run by the embedded pool.
PURGE_EVERY = 3600.0


class WorkerPool:
    """Threads that run :meth:`ClaimsService.run_analysis` for submitted claim ids."""

    def __init__(self, service, workers: int = 1, *, purge_every: float = PURGE_EVERY):
        self.service = service
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="analyse")
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._purger = threading.Thread(target=self._purge_loop, args=(purge_every,),
                                        name="purge", daemon=True)  # fmt: skip
        self._purger.start()

    def _purge_loop(self, every: float) -> None:
        """Erase raw photos past their retention now and then (the embedded default)."""
        while not self._stop.is_set():
            try:
                self.service.purge()
            except Exception:
                log.exception("purge failed; retrying in %s s", every)
            self._stop.wait(every)

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
        self._pool.shutdown(wait=True, cancel_futures=False)


def poll_forever(service, *, interval: float = 2.0, once: bool = False,
                 purge_every: float = PURGE_EVERY) -> int:  # fmt: skip
    """``hueproof worker``: run pending claims from the database, one at a time, and the
    retention purge every ``purge_every`` seconds (not on every poll)."""
    done, last_purge = 0, None
    while True:
        for cid in service.pending_claims():
            service.run_analysis(cid)
            done += 1
        now = time.monotonic()
        if last_purge is None or now - last_purge >= purge_every:
            service.purge()
            last_purge = now
        if once:
            return done
        time.sleep(interval)
