"""The catalog's use cases, free of any web framework."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Protocol

from prometheus_client import Counter

from catalog.models import Category, Product
from catalog.schemas import (
    MAX_PAGE_SIZE,
    SKU_MAX_LENGTH,
    SKU_PATTERN,
    CategoryList,
    CategoryOut,
    ProductOut,
    ProductPage,
    SeedCatalog,
)
from catalog.settings import CatalogSettings
from polykit.errors import NotFound
from polykit.migrations import migrate

DATA_FILE = files("catalog") / "seed" / "products.json"
DEFAULT_PAGE_SIZE = 20
SKU = re.compile(SKU_PATTERN)

log = logging.getLogger("polyshop.catalog")


class Repository(Protocol):
    async def products(
        self,
        *,
        words: Sequence[str] = (),
        category: str | None = None,
        skus: Sequence[str] = (),
        offset: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> tuple[list[Product], int]: ...

    async def product(self, sku: str) -> Product | None: ...

    async def categories(self) -> list[tuple[Category, int]]: ...

    async def save(self, *, categories: Sequence[dict], products: Sequence[dict]) -> None: ...


def image_url(sku: str) -> str:
    return f"/images/{sku}.svg"


def _product_out(product: Product) -> ProductOut:
    return ProductOut(
        sku=product.sku,
        name=product.name,
        description=product.description,
        category=product.category_slug,
        price_cents=product.price_cents,
        currency=product.currency,
        image_url=image_url(product.sku),
    )


async def product_search(
    *,
    repository: Repository,
    q: str = "",
    category: str = "",
    skus: Sequence[str] = (),
    page: int = 1,
    page_size: int | None = None,
) -> ProductPage:
    """Products whose name or description holds every word of `q`, in `category`, among `skus`
    (each filter only when given). A batch of SKUs comes back whole unless paged explicitly."""
    skus = list(dict.fromkeys(skus))
    if page_size is None:
        page_size = min(max(DEFAULT_PAGE_SIZE, len(skus)), MAX_PAGE_SIZE)
    items, total = await repository.products(
        words=q.split(),
        category=category or None,
        skus=skus,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    return ProductPage(
        items=[_product_out(item) for item in items], page=page, page_size=page_size, total=total
    )


async def product_view(*, repository: Repository, sku: str, views: Counter) -> ProductOut:
    # What cannot be a SKU is not looked up: PostgreSQL would refuse a NUL with a 500.
    could_be = len(sku) <= SKU_MAX_LENGTH and SKU.fullmatch(sku)
    product = await repository.product(sku) if could_be else None
    if product is None:
        raise NotFound("There is no product with this SKU.")
    views.inc()
    return _product_out(product)


async def category_list(*, repository: Repository) -> CategoryList:
    return CategoryList(
        items=[
            CategoryOut(
                slug=category.slug,
                name=category.name,
                description=category.description,
                product_count=count,
            )
            for category, count in await repository.categories()
        ]
    )


def catalog_load(source: Traversable = DATA_FILE) -> SeedCatalog:
    return SeedCatalog.model_validate(json.loads(source.read_text(encoding="utf-8")))


async def catalog_seed(*, repository: Repository, catalog: SeedCatalog) -> None:
    """Make the tables say what the data file says. Run on every start, so it must be idempotent:
    rows are upserted by key, and products the file no longer lists are left alone (orders may
    still name them)."""
    await repository.save(
        categories=[
            category.model_dump() | {"position": position}
            for position, category in enumerate(catalog.categories)
        ],
        products=[
            product.model_dump(exclude={"category"}) | {"category_slug": product.category}
            for product in catalog.products
        ],
    )
    log.info(
        "catalog seeded: %d categories, %d products",
        len(catalog.categories),
        len(catalog.products),
    )


async def catalog_migrate(
    *, settings: CatalogSettings, repository: Repository, catalog: SeedCatalog
) -> None:
    """Bring the schema up to date, then seed. Alembic runs on a synchronous engine, so in a
    thread: the event loop stays free meanwhile."""
    await asyncio.to_thread(migrate, settings, "catalog")
    await catalog_seed(repository=repository, catalog=catalog)
