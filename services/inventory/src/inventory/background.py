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
