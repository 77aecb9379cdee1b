"""Stock per SKU: anyone reads it, staff and services set it, and every product catalog sells is
stocked once, without ever overwriting a count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from inventory_testing import Caller, FakeCatalog, inventory_app, poll_until

from inventory import services
from inventory.app import create_app
from inventory.background import seed_until_done
from inventory.clients import CatalogClient
from inventory.repository import InventoryRepository, inventory_engine
from inventory.settings import InventorySettings
from polykit.errors import ServiceUnavailable

SKU = "KIT-MUG-001"


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    named = {error["field"] for error in response.json.get("errors", [])}
    assert set(fields) <= named, named
    return response.json


def test_unknown_stock_is_404(anyone):
    assert_problem(anyone.stock(SKU), 404)


def test_staff_set_stock_and_anyone_reads_it(staff, orders, anyone):
    response = staff.set_stock(SKU, 12)
    assert response.status_code == 200
    assert response.json == {"sku": SKU, "available": 12}
    assert anyone.stock(SKU).json == {"sku": SKU, "available": 12}
    # A service restocks the same way, replacing the count.
    assert orders.set_stock(SKU, 0).json == {"sku": SKU, "available": 0}
    assert anyone.available(SKU) == 0


@pytest.mark.parametrize(
    ("available", "field"),
    [
        (-1, "available"),
        ("5", "available"),
        (1.5, "available"),
        (None, "available"),
        (True, "available"),
        (10_000_001, "available"),
    ],
    ids=repr,
)
def test_bad_counts_are_422_naming_the_field_and_change_nothing(staff, available, field):
    staff.set_stock(SKU, 3)
    assert_problem(staff.set_stock(SKU, available), 422, field)
    assert staff.available(SKU) == 3


@pytest.mark.parametrize("sku", ["kit-mug-001", "KIT_MUG", "-KIT", "A" * 65])
def test_a_sku_catalog_could_not_sell_is_422(staff, sku):
    assert_problem(staff.set_stock(sku, 3), 422, "sku")


def test_bodies_that_cannot_be_read(staff):
    path = f"/api/stock/{SKU}"
    malformed = staff.client.put(
        path, data=b'{"available": ', headers=staff.headers | {"Content-Type": "application/json"}
    )
    assert_problem(malformed, 400, "body")
    huge = {"available": 1, "note": "x" * (65 * 1024)}
    assert_problem(staff.client.put(path, json=huge, headers=staff.headers), 413)
    assert_problem(staff.client.put(path, headers=staff.headers), 422, "available")
    assert_problem(staff.client.put(path, json=[1], headers=staff.headers), 422, "body")
    assert staff.stock(SKU).status_code == 404


def test_the_stock_gauge_reads_the_table_at_each_scrape(client, staff):
    staff.set_stock(SKU, 7)
    staff.set_stock("KIT-PAN-001", 0)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'polyshop_stock_available{sku="KIT-MUG-001"} 7.0' in text
    assert 'polyshop_stock_available{sku="KIT-PAN-001"} 0.0' in text
    staff.set_stock(SKU, 2)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'polyshop_stock_available{sku="KIT-MUG-001"} 2.0' in text


def test_seeding_stocks_new_products_and_keeps_existing_counts(app, staff, settings):
    staff.set_stock(SKU, 3)
    engine = inventory_engine(settings)
    repository = InventoryRepository(engine)
    catalog = FakeCatalog([SKU, "KIT-PAN-001", "KIT-POT-001"])
    try:
        added = services.stock_seed(repository=repository, catalog=catalog, initial=50)
        assert added == ["KIT-PAN-001", "KIT-POT-001"]
        assert services.stock_seed(repository=repository, catalog=catalog, initial=50) == []
    finally:
        engine.dispose()
    assert staff.available(SKU) == 3
    assert staff.available("KIT-PAN-001") == 50


def test_the_worker_seeds_in_the_background_once_catalog_answers(settings, issuer):
    catalog = FakeCatalog(["KIT-PAN-001", "KIT-POT-001"], failures=1)
    tuned = settings.model_copy(update={"initial_stock": 8})
    with inventory_app(tuned, issuer=issuer, catalog=catalog, background=True) as app:
        anyone = Caller(app, issuer, roles=())
        poll_until(lambda: anyone.stock("KIT-POT-001").status_code == 200)
        assert anyone.available("KIT-PAN-001") == 8
    assert catalog.asked == 2  # refused once, then answered; never asked again


def test_seeding_retries_with_backoff_until_it_succeeds():
    catalog = FakeCatalog([SKU], failures=3)
    done = seed_until_done(catalog.skus, threading.Event(), first_delay=0.001, max_delay=0.004)
    assert done is True
    assert catalog.asked == 4


def test_seeding_gives_up_when_the_worker_stops():
    stopping = threading.Event()
    stopping.set()
    assert seed_until_done(FakeCatalog([], failures=99).skus, stopping) is False


def catalog_pages(total: int):
    """A catalog answering GET /api/products pages as catalog does."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/products"
        page = int(request.url.params["page"])
        size = int(request.url.params["page_size"])
        skus = [f"SKU-{n:03d}" for n in range(total)][(page - 1) * size : page * size]
        items = [{"sku": sku, "name": sku, "price_cents": 100} for sku in skus]
        return httpx.Response(
            200, json={"items": items, "page": page, "page_size": size, "total": total}
        )

    return answer


def test_the_catalog_client_reads_every_page():
    transport = httpx.MockTransport(catalog_pages(230))
    client = CatalogClient(httpx.Client(transport=transport, base_url="http://catalog"))
    skus = client.skus()
    assert len(skus) == 230
    assert skus[0] == "SKU-000"
    assert skus[-1] == "SKU-229"


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: httpx.Response(500, json={"status": 500}),
        lambda request: httpx.Response(200, text="<html>"),
        lambda request: httpx.Response(200, json={"items": [{"name": "no sku"}], "total": 1}),
    ],
    ids=["500", "not json", "no sku"],
)
def test_a_catalog_that_answers_badly_is_unavailable(answer):
    client = CatalogClient(
        httpx.Client(transport=httpx.MockTransport(answer), base_url="http://catalog")
    )
    with pytest.raises(ServiceUnavailable):
        client.skus()


def test_a_catalog_that_is_down_is_unavailable():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    client = CatalogClient(
        httpx.Client(transport=httpx.MockTransport(refuse), base_url="http://catalog")
    )
    with pytest.raises(ServiceUnavailable):
        client.skus()


class CatalogHandler(BaseHTTPRequestHandler):
    products = ["HOM-LMP-001", "HOM-VAS-001", "TRV-TAG-001"]

    def do_GET(self):
        query = parse_qs(urlsplit(self.path).query)
        page = int(query["page"][0])
        items = [{"sku": sku} for sku in self.products] if page == 1 else []
        body = json.dumps({"items": items, "page": page, "page_size": 100, "total": 3})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def test_the_command_line_migrates_then_seeds(tmp_path, issuer):
    catalog = ThreadingHTTPServer(("127.0.0.1", 0), CatalogHandler)
    threading.Thread(target=catalog.serve_forever, daemon=True).start()
    env = os.environ | {
        "DATA_DIR": str(tmp_path),
        "CATALOG_URL": f"http://127.0.0.1:{catalog.server_address[1]}",
        "INITIAL_STOCK": "9",
    }
    env.pop("DATABASE_URL", None)
    try:
        for command in ("migrate", "seed"):
            run = subprocess.run(
                [sys.executable, "-m", "inventory", command],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert run.returncode == 0, run.stderr
    finally:
        catalog.shutdown()
    app = create_app(
        InventorySettings.from_env(data_dir=tmp_path),
        verifier=issuer.verifier(),
        catalog=FakeCatalog([]),
        background=False,
    )
    anyone = Caller(app, issuer, roles=())
    assert [anyone.available(sku) for sku in CatalogHandler.products] == [9, 9, 9]


def test_seeding_from_the_command_line_fails_loudly_when_catalog_is_down(tmp_path):
    env = os.environ | {"DATA_DIR": str(tmp_path), "CATALOG_URL": "http://127.0.0.1:9"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "inventory", "migrate"], env=env, capture_output=True, check=True
    )
    run = subprocess.run(
        [sys.executable, "-m", "inventory", "seed"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1
    assert "could not seed stock" in run.stdout  # the JSON log line says why
