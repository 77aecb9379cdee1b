"""Liveness, readiness and the drain that starts on SIGTERM.

`/healthz` answers 200 while the process runs. `/readyz` runs the service's store checks and
answers 503 when one fails — and from the moment SIGTERM arrives, so that a load balancer stops
sending new work while requests in flight finish.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

log = logging.getLogger("polyshop.health")

Check = Callable[[], None] | Callable[[], Awaitable[None]]


class Lifecycle:
    """Process-wide, like the signal that flips it."""

    def __init__(self) -> None:
        self._draining = threading.Event()

    @property
    def draining(self) -> bool:
        return self._draining.is_set()

    def begin_drain(self) -> None:
        if not self._draining.is_set():
            log.info("SIGTERM received: readiness now 503, finishing requests in flight")
        self._draining.set()


LIFECYCLE = Lifecycle()


class Readiness:
    def __init__(self, checks: Mapping[str, Check], lifecycle: Lifecycle = LIFECYCLE) -> None:
        self.checks = dict(checks)
        self.lifecycle = lifecycle

    def check(self) -> tuple[bool, dict[str, Any]]:
        """For sync servers; a coroutine check is run on a private loop."""
        results = {name: _run_sync(check) for name, check in self.checks.items()}
        return self._verdict(results)

    async def acheck(self) -> tuple[bool, dict[str, Any]]:
        names = list(self.checks)
        outcomes = await asyncio.gather(*(_run_async(self.checks[n]) for n in names))
        return self._verdict(dict(zip(names, outcomes, strict=True)))

    def _verdict(self, results: dict[str, str]) -> tuple[bool, dict[str, Any]]:
        if self.lifecycle.draining:
            return False, {"status": "draining", "checks": results}
        ok = all(result == "ok" for result in results.values())
        return ok, {"status": "ready" if ok else "not ready", "checks": results}


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _run_sync(check: Check) -> str:
    try:
        result = check()
        if inspect.isawaitable(result):
            asyncio.run(_await(result))
    except Exception as exc:
        log.warning("readiness check failed: %s", _describe(exc))
        return _describe(exc)
    return "ok"


async def _await(awaitable: Awaitable[None]) -> None:
    await awaitable


async def _run_async(check: Check) -> str:
    try:
        result = check()
        if inspect.isawaitable(result):
            await asyncio.wait_for(result, timeout=3)
    except Exception as exc:
        log.warning("readiness check failed: %s", _describe(exc))
        return _describe(exc)
    return "ok"
