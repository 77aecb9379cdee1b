"""The data file the store opens with, the pictures drawn from it, and seeding it into the
database as every start does: idempotent, and an edited file updates what it names."""

from __future__ import annotations

import asyncio
import re
import runpy
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from catalog.app import create_app
from catalog.images import IMAGES
from catalog.repository import CatalogRepository
from catalog.schemas import SKU_PATTERN, SeedCatalog
from catalog.services import catalog_load, catalog_migrate, catalog_seed
from catalog.settings import CatalogSettings
from polykit.health import Lifecycle
from polykit.stores import async_engine

SCRIPT = Path(__file__).parents[2] / "scripts" / "make_images.py"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def seed():
    return catalog_load()


def test_the_data_file_has_a_real_catalog(seed):
    assert len(seed.categories) >= 6
    assert len(seed.products) >= 56
    in_use = {product.category for product in seed.products}
    assert in_use == {category.slug for category in seed.categories}
    for product in seed.products:
        assert re.fullmatch(SKU_PATTERN, product.sku)
        assert 100 <= product.price_cents <= 100_000, product.sku
        sentences = re.findall(r"[.!?](\s|$)", product.description)
        assert 1 <= len(sentences) <= 3, product.sku


def test_every_product_has_exactly_one_picture(seed):
    shipped = {entry.name for entry in IMAGES.iterdir() if entry.name.endswith(".svg")}
    assert shipped == {f"{product.sku}.svg" for product in seed.products}


def test_pictures_are_titled_svg_documents(seed):
    for product in seed.products:
        root = ET.fromstring((IMAGES / f"{product.sku}.svg").read_bytes())
        assert root.tag == f"{SVG}svg"
        assert root.get("viewBox") == "0 0 400 400"
        assert root.find(f"{SVG}title").text == product.name


def test_the_shipped_pictures_are_what_the_script_draws(seed):
    draw = runpy.run_path(str(SCRIPT))["draw"]
    for product in seed.model_dump()["products"]:
        drawn = draw(product)
        assert drawn == draw(product)
        # After editing the data file or the script: python services/catalog/scripts/make_images.py
        assert (IMAGES / f"{product['sku']}.svg").read_text(encoding="utf-8") == drawn


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data["products"][0].update(category="nowhere"), "unknown categories"),
        (lambda data: data["products"].append(dict(data["products"][0])), "SKUs must be unique"),
        (lambda data: data["products"][0].update(sku="kit-mug-001"), "pattern"),
        (lambda data: data["products"][0].update(price_cents=0), "greater than 0"),
        (lambda data: data["categories"][0].update(colour="red"), "Extra inputs"),
    ],
)
def test_a_broken_data_file_is_refused(seed, change, message):
    data = seed.model_dump()
    change(data)
    with pytest.raises(ValidationError, match=message):
        SeedCatalog.model_validate(data)


def _count(client, path):
    return client.get(path, params={"page_size": 1}).json()["total"]


def test_seeding_again_changes_nothing(tmp_path, seed):
    settings = CatalogSettings.from_env(data_dir=tmp_path)
    with TestClient(create_app(settings, lifecycle=Lifecycle())) as client:
        first = client.get("/api/categories").json()
    # The second start migrates and seeds the same file over the same database.
    with TestClient(create_app(settings, lifecycle=Lifecycle())) as client:
        assert client.get("/api/categories").json() == first
        assert _count(client, "/api/products") == len(seed.products)


def test_an_edited_data_file_updates_the_rows_it_names(tmp_path, seed):
    settings = CatalogSettings.from_env(data_dir=tmp_path)
    with TestClient(create_app(settings, lifecycle=Lifecycle())):
        pass
    data = seed.model_dump()
    mug = next(p for p in data["products"] if p["sku"] == "KIT-MUG-001")
    mug.update(name="Stoneware Mug, Sea Salt", price_cents=2100)
    data["categories"][0]["description"] = "Brewing, from bean to cup."
    edited = SeedCatalog.model_validate(data)
    with TestClient(create_app(settings, lifecycle=Lifecycle(), catalog=edited)) as client:
        product = client.get("/api/products/KIT-MUG-001").json()
        category = client.get("/api/categories").json()["items"][0]
        total = _count(client, "/api/products")
    assert (product["name"], product["price_cents"]) == ("Stoneware Mug, Sea Salt", 2100)
    assert category["description"] == "Brewing, from bean to cup."
    assert total == len(seed.products)


def test_products_dropped_from_the_file_stay_on_sale(tmp_path, seed):
    """Orders may still name them; retiring a product is a decision, not a side effect."""
    settings = CatalogSettings.from_env(data_dir=tmp_path)

    async def scenario():
        engine = async_engine(settings)
        repository = CatalogRepository(engine)
        try:
            await catalog_migrate(settings=settings, repository=repository, catalog=seed)
            shorter = seed.model_copy(update={"products": seed.products[1:]})
            await catalog_seed(repository=repository, catalog=shorter)
            return await repository.products(limit=100)
        finally:
            await engine.dispose()

    items, total = asyncio.run(scenario())
    assert total == len(seed.products)
    assert seed.products[0].sku in {item.sku for item in items}
