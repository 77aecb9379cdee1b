"""What the suite says to the store, in the store's own words."""

from __future__ import annotations

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from e2e.matrix import BY_NAME

TIMEOUT = httpx.Timeout(10.0, connect=2.0)


def get(service: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(f"{BY_NAME[service].url}{path}", timeout=TIMEOUT, **kwargs)


def request(service: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, f"{BY_NAME[service].url}{path}", timeout=TIMEOUT, **kwargs)


def info(service: str) -> dict[str, object]:
    response = get(service, "/api/info")
    response.raise_for_status()
    return response.json()


def store_status(headers: dict[str, str] | None = None) -> list[dict[str, object]]:
    response = get("storefront", "/api/status", headers=headers or {})
    response.raise_for_status()
    return response.json()["services"]


def metric_families(service: str) -> dict[str, Metric]:
    text = get(service, "/metrics").text
    return {family.name: family for family in text_string_to_metric_families(text)}
