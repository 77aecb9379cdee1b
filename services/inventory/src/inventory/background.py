"""What the worker does besides answering requests, each in a daemon thread: bringing the schema
up to date (retried while the database is not up), seeding stock from catalog (retried with
backoff until catalog answers), and sweeping expired holds back into stock.

Several replicas may run all of this at once: migrations are Alembic's (a Kubernetes Job runs
them instead, with MIGRATE_ON_START off), seeding never overwrites a stock row, and each expired
hold is returned by whichever sweeper moves it first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa

from polykit.errors import ServiceUnavailable

log = logging.getLogger("polyshop.inventory")

# What a retry can outlast: a store or a peer that is not up yet.
TRANSIENT = (ServiceUnavailable, sa.exc.OperationalError, sa.exc.TimeoutError)


class Background:
    """The worker's threads, which stop together (tests stop them; the process exits anyway)."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def spawn(self, name: str, target: Callable[[threading.Event], None]) -> None:
        thread = threading.Thread(target=target, args=(self.stopping,), name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)


class Preparation:
    """Runs the migrations as the worker starts. A database that is not up yet is retried in the
    background, with readiness at 503 meanwhile, rather than crashing the worker: services start
    in any order. Any other failure (a broken migration) does crash it, loudly."""

    RETRY_SECONDS = 2.0

    def __init__(self, prepare: Callable[[], None]) -> None:
        self.prepare = prepare
        self.done = threading.Event()

    def start(self, background: Background) -> None:
        if not self._attempt():
            background.spawn("inventory-prepare", self._retry)

    def _attempt(self) -> bool:
        try:
            self.prepare()
        except sa.exc.OperationalError as exc:
            log.warning("database not reachable yet, will retry: %s", type(exc.orig).__name__)
            return False
        self.done.set()
        return True

    def _retry(self, stopping: threading.Event) -> None:
        try:
            while not stopping.wait(self.RETRY_SECONDS) and not self._attempt():
                pass
        except Exception:
            log.exception("migrating the database failed; the service stays not ready")

    def check(self) -> None:
        if not self.done.is_set():
            raise RuntimeError("the tables are not in place yet")


def after(ready: threading.Event, job: Callable[[threading.Event], None]):
    """`job`, once `ready` is set (unless the worker stops first)."""

    def run(stopping: threading.Event) -> None:
        while not ready.wait(0.2):
            if stopping.is_set():
                return
        job(stopping)

    return run


def seed_until_done(
    seed: Callable[[], object],
    stopping: threading.Event,
    *,
    first_delay: float = 1.0,
    max_delay: float = 30.0,
) -> bool:
    """Runs `seed` until it succeeds, waiting twice as long after each failure; False when the
    worker stopped first."""
    delay = first_delay
    while not stopping.is_set():
        try:
            seed()
            return True
        except TRANSIENT as exc:
            log.warning("cannot seed stock yet (%s); retrying in %gs", _why(exc), delay)
        if stopping.wait(delay):
            break
        delay = min(delay * 2, max_delay)
    return False


def sweep_forever(sweep: Callable[[], int], stopping: threading.Event, *, interval: float) -> None:
    """One bounded pass of `sweep` every `interval` seconds, whatever a pass runs into."""
    while not stopping.wait(interval):
        try:
            sweep()
        except TRANSIENT as exc:
            log.warning("could not sweep expired reservations: %s", _why(exc))
        except Exception:
            log.exception("sweeping expired reservations failed")


def _why(exc: Exception) -> str:
    cause = getattr(exc, "orig", None) or exc
    return f"{type(cause).__name__}: {cause}"[:200]
