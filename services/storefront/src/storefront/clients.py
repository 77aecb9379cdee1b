"""The storefront's view of the other seven services."""

from __future__ import annotations

import contextvars
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class InfoResult:
    name: str
    info: dict[str, object] | None
    latency_ms: float
    error: str | None = None


class ServiceDirectory:
    def __init__(self, client: httpx.Client, urls: dict[str, str]) -> None:
        self.client = client
        self.urls = urls
        self._pool = ThreadPoolExecutor(max_workers=len(urls), thread_name_prefix="directory")

    def info_one(self, name: str) -> InfoResult:
        started = time.perf_counter()
        try:
            response = self.client.get(f"{self.urls[name]}/api/info")
            response.raise_for_status()
            info, error = response.json(), None
        except httpx.HTTPError as exc:
            info, error = None, f"{type(exc).__name__}: {exc}"
        return InfoResult(name, info, round((time.perf_counter() - started) * 1000, 1), error)

    def info_all(self) -> list[InfoResult]:
        """Every service at once; each call runs in a copy of this context so its span joins
        the request's trace."""
        futures = [
            self._pool.submit(contextvars.copy_context().run, self.info_one, name)
            for name in self.urls
        ]
        return [future.result() for future in futures]
