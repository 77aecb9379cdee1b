"""The catalog on a real PostgreSQL, in a database of its own that is dropped afterwards:
migrations from nothing, seeding, and search with PostgreSQL's own ILIKE."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient

from catalog.app import create_app
from catalog.repository import CatalogRepository
from catalog.services import catalog_load, catalog_seed
from catalog.settings import CatalogSettings
from polykit.health import Lifecycle
from polykit.migrations import alembic_config, migrate
from polykit.stores import async_engine, sync_engine
from polykit.testing import fresh_postgres_database, needs


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    with fresh_postgres_database(needs("TEST_POSTGRES_URL")) as url:
        yield CatalogSettings.from_env(
            database_url=url, data_dir=tmp_path_factory.mktemp("catalog")
        )


@pytest.fixture(scope="module")
def shop(settings):
    with TestClient(create_app(settings, lifecycle=Lifecycle())) as client:
        yield client


def _tables(settings):
    engine = sync_engine(settings)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_migrations_run_from_an_empty_database_and_back(tmp_path):
    with fresh_postgres_database(needs("TEST_POSTGRES_URL")) as url:
        settings = CatalogSettings.from_env(database_url=url, data_dir=tmp_path)
        assert _tables(settings) == set()
        migrate(settings, "catalog")
        assert {"categories", "products", "alembic_version_catalog"} <= _tables(settings)

        config = alembic_config(settings, "catalog")
        try:
            command.downgrade(config, "base")
        finally:
            config.attributes["engine"].dispose()
        assert _tables(settings) == {"alembic_version_catalog"}
        migrate(settings, "catalog")
        assert {"categories", "products"} <= _tables(settings)


def test_the_service_migrates_and_seeds_as_it_starts(shop):
    assert shop.get("/readyz").status_code == 200
    seed = catalog_load()
    assert shop.get("/api/products").json()["total"] == len(seed.products)
    counts = {c["slug"]: c["product_count"] for c in shop.get("/api/categories").json()["items"]}
    assert sum(counts.values()) == len(seed.products)


def test_seeding_twice_keeps_one_row_per_product_and_applies_edits(tmp_path):
    seed = catalog_load()
    edited = seed.model_copy(
        update={
            "products": [
                p.model_copy(update={"price_cents": 999}) if p.sku == "KIT-MUG-001" else p
                for p in seed.products
            ]
        }
    )

    async def seed_twice(settings):
        engine = async_engine(settings)
        repository = CatalogRepository(engine)
        try:
            await catalog_seed(repository=repository, catalog=seed)
            await catalog_seed(repository=repository, catalog=edited)
            await catalog_seed(repository=repository, catalog=edited)
            _, total = await repository.products()
            return total, await repository.product("KIT-MUG-001")
        finally:
            await engine.dispose()

    with fresh_postgres_database(needs("TEST_POSTGRES_URL")) as url:
        settings = CatalogSettings.from_env(database_url=url, data_dir=tmp_path)
        migrate(settings, "catalog")
        total, mug = asyncio.run(seed_twice(settings))
    assert total == len(seed.products)
    assert mug.price_cents == 999


def _skus(shop, **params):
    return [item["sku"] for item in shop.get("/api/products", params=params).json()["items"]]


def test_search_folds_case_beyond_ascii(shop):
    # SQLite's lower() knows only ASCII; PostgreSQL's ILIKE folds É to é.
    assert _skus(shop, q="CAFÉ") == ["COF-MOK-001"]
    assert _skus(shop, q="café MOKA") == ["COF-MOK-001"]


def test_search_matches_inside_words_and_descriptions(shop):
    assert "KIT-POT-001" in _skus(shop, q="BRAISE", page_size=100)
    assert set(_skus(shop, q="walnut", page_size=100)) >= {"KIT-BRD-001", "AUD-SPK-001"}


def test_like_wildcards_and_escapes_are_literal(shop):
    for q in ("%", "_", "\\", "100%", "a_b"):
        assert _skus(shop, q=q) == [], q


def test_categories_skus_and_pages_agree(shop):
    audio = shop.get("/api/products", params={"category": "audio", "page_size": 100}).json()
    assert audio["total"] == len(audio["items"]) > 0
    batch = _skus(shop, sku=[item["sku"] for item in audio["items"]])
    assert sorted(batch) == sorted(item["sku"] for item in audio["items"])
    first, second = _skus(shop, page=1, page_size=7), _skus(shop, page=2, page_size=7)
    assert len(first) == len(second) == 7
    assert not set(first) & set(second)


@pytest.mark.parametrize("sku", ["%00", "KIT-MUG-001%00", "x" * 300])
def test_what_cannot_be_a_sku_is_a_404_not_a_database_error(shop, sku):
    response = shop.get(f"/api/products/{sku}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_nul_in_a_query_parameter_is_refused_before_the_database(shop):
    for params in ({"q": "mug\x00"}, {"category": "\x00"}, {"sku": "KIT\x00"}):
        assert shop.get("/api/products", params=params).status_code == 422, params
