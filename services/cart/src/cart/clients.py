"""The cart's view of catalog: does a SKU exist?"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol
from urllib.parse import quote

import httpx

from polykit.errors import ServiceUnavailable

log = logging.getLogger("polyshop.cart")


class Catalog(Protocol):
    async def has_product(self, sku: str) -> bool:
        """True when catalog sells `sku`; ServiceUnavailable when it cannot say."""
        ...


class CatalogClient:
    def __init__(self, client: httpx.AsyncClient, *, timeout_seconds: float) -> None:
        self.client = client
        # httpx times each phase (connect, each read) on its own; a catalog that trickles its
        # answer must not hold the shopper longer than this in all.
        self.timeout_seconds = timeout_seconds

    async def has_product(self, sku: str) -> bool:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                response = await self.client.get(f"/api/products/{quote(sku, safe='')}")
        except (httpx.HTTPError, TimeoutError) as exc:
            log.warning("catalog did not answer about a SKU: %s", type(exc).__name__)
            raise _unavailable() from None
        if response.status_code == 404:
            return False
        if response.is_success:
            return True
        log.warning("catalog answered %s about a SKU", response.status_code)
        raise _unavailable()


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("The catalog cannot be reached right now; try again shortly.")
