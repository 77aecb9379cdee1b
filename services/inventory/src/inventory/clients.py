"""Inventory's view of catalog: which SKUs exist, for seeding stock."""

from __future__ import annotations

import logging

import httpx

from polykit.errors import ServiceUnavailable

log = logging.getLogger("polyshop.inventory")

PAGE_SIZE = 100  # catalog's largest page
# A runaway guard: catalog holds ~60 products, so 100 pages of 100 is far beyond any real answer.
MAX_PAGES = 100


class CatalogClient:
    """Reads catalog's public product list: no token needed."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def skus(self) -> list[str]:
        skus: list[str] = []
        for page in range(1, MAX_PAGES + 1):
            found, total = self._page(page)
            skus.extend(found)
            if not found or page * PAGE_SIZE >= total:
                break
        return skus

    def _page(self, page: int) -> tuple[list[str], int]:
        """One page's SKUs, and how many products catalog has in all."""
        try:
            response = self.client.get(
                "/api/products", params={"page": page, "page_size": PAGE_SIZE}
            )
        except httpx.HTTPError as exc:
            log.warning("catalog did not answer: %s", type(exc).__name__)
            raise _unavailable() from None
        if not response.is_success:
            log.warning("catalog answered %s to a product listing", response.status_code)
            raise _unavailable()
        try:
            body = response.json()
            skus = [str(item["sku"]) for item in body["items"]]
            return skus, int(body["total"])
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("catalog's product listing is not what we expect: %r", exc)
            raise _unavailable() from None


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("The catalog cannot be reached right now.")
