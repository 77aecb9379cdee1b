"""The cart API as a shopper and the orders service use it, on an in-memory store and a fake
catalog (the real CatalogClient over an httpx transport that plays catalog), through httpx's ASGI
transport."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid

import httpx
import pytest
from cart_testing import InMemoryCartStore, serving

from cart.app import create_app
from cart.clients import CatalogClient
from cart.settings import CartSettings
from polykit.health import Lifecycle
from polykit.testing import TestIssuer

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"
KNOWN_SKUS = {f"SKU-{n:03}" for n in range(60)}
SOMEONE = str(uuid.uuid4())


class FakeCatalog:
    """Answers `GET /api/products/{sku}` as catalog does, or fails as a catalog can."""

    def __init__(self) -> None:
        self.mode = "up"
        self.asked: list[str] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        sku = request.url.path.removeprefix("/api/products/")
        self.asked.append(sku)
        if self.mode == "refusing":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "timing-out":
            raise httpx.ReadTimeout("timed out", request=request)
        if self.mode == "hanging":
            await asyncio.Event().wait()
        if self.mode == "failing":
            return httpx.Response(500, json={"status": 500})
        if sku in KNOWN_SKUS:
            return httpx.Response(200, json={"sku": sku, "name": "A thing", "price_cents": 100})
        return httpx.Response(404, json={"status": 404})


@pytest.fixture(scope="module")
def issuer():
    return TestIssuer()


@pytest.fixture
def catalog():
    return FakeCatalog()


@pytest.fixture
def store():
    return InMemoryCartStore()


@pytest.fixture
async def client(tmp_path, issuer, catalog, store):
    app = create_app(
        CartSettings.from_env(data_dir=tmp_path),
        store=store,
        catalog=CatalogClient(
            httpx.AsyncClient(
                transport=httpx.MockTransport(catalog.handle), base_url="http://catalog.test"
            ),
            timeout_seconds=0.05,
        ),
        verifier=issuer.verifier(),
        lifecycle=Lifecycle(),
    )
    async with serving(app) as client:
        yield client


class Shopper:
    def __init__(self, client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    async def cart(self):
        response = await self.client.get("/api/cart", headers=self.headers)
        return response

    async def put(self, sku: str, quantity=1, *, headers=None, **body):
        if not body:
            body["json"] = {"quantity": quantity}
        response = await self.client.put(
            f"/api/cart/items/{sku}", headers=self.headers | (headers or {}), **body
        )
        return response

    async def remove(self, sku: str):
        response = await self.client.delete(f"/api/cart/items/{sku}", headers=self.headers)
        return response

    async def empty(self):
        response = await self.client.delete("/api/cart", headers=self.headers)
        return response


@pytest.fixture
def alice(client, issuer):
    return Shopper(client, issuer.token(str(uuid.uuid4())))


@pytest.fixture
def bob(client, issuer):
    return Shopper(client, issuer.token(str(uuid.uuid4())))


@pytest.fixture
def orders(client, issuer):
    return {"Authorization": f"Bearer {issuer.token('service:orders', ('service',))}"}


def _subject(shopper: Shopper) -> str:
    token = shopper.headers["Authorization"].split()[1]
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == status
    return response.json()


def _fields(response) -> set[str]:
    return {error["field"] for error in response.json().get("errors", [])}


# ── who may call what ────────────────────────────────────────────────────────────────────────

ENDPOINTS = [
    ("GET", "/api/cart"),
    ("PUT", "/api/cart/items/SKU-001"),
    ("DELETE", "/api/cart/items/SKU-001"),
    ("DELETE", "/api/cart"),
    ("GET", f"/api/carts/{SOMEONE}"),
    ("DELETE", f"/api/carts/{SOMEONE}"),
]
CUSTOMER_ENDPOINTS = ENDPOINTS[:4]
SERVICE_ENDPOINTS = ENDPOINTS[4:]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


BAD_AUTHORIZATIONS = {
    "missing": lambda issuer: None,
    "not-bearer": lambda issuer: "Basic dXNlcjpwdw==",
    "expired": lambda issuer: f"Bearer {issuer.token(lifetime=-60)}",
    "tampered": lambda issuer: f"Bearer {issuer.token()[:-4]}AAAA",
    "wrong-audience": lambda issuer: f"Bearer {issuer.token(aud='someone-else')}",
    "alg-none": lambda issuer: (
        "Bearer "
        + ".".join([_b64({"alg": "none", "kid": issuer.kid}), issuer.token().split(".")[1], ""])
    ),
    "unknown-key": lambda issuer: f"Bearer {issuer.token(headers={'kid': 'rotated-away'})}",
    "another-issuers-key": lambda issuer: f"Bearer {TestIssuer().token()}",
}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("kind", BAD_AUTHORIZATIONS)
async def test_every_endpoint_refuses_a_missing_or_bad_token(client, issuer, method, path, kind):
    authorization = BAD_AUTHORIZATIONS[kind](issuer)
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.request(method, path, headers=headers, json={"quantity": 1})
    _problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), SERVICE_ENDPOINTS)
async def test_a_shopper_cannot_use_the_service_endpoints(client, alice, method, path):
    response = await client.request(method, path, headers=alice.headers)
    _problem(response, 403)


@pytest.mark.parametrize(("method", "path"), CUSTOMER_ENDPOINTS)
async def test_a_service_token_has_no_cart_of_its_own(client, orders, method, path):
    response = await client.request(method, path, headers=orders, json={"quantity": 1})
    _problem(response, 403)


# ── the shopper's cart ───────────────────────────────────────────────────────────────────────


async def test_a_new_shopper_has_an_empty_cart(alice):
    response = await alice.cart()
    assert response.status_code == 200
    assert response.json() == {"items": [], "item_count": 0}


async def test_putting_items_answers_with_the_whole_cart_in_the_order_items_came(alice):
    await alice.put("SKU-002", 2)
    response = await alice.put("SKU-001", 3)
    assert response.status_code == 200
    assert response.json() == {
        "items": [{"sku": "SKU-002", "quantity": 2}, {"sku": "SKU-001", "quantity": 3}],
        "item_count": 5,
    }
    changed = await alice.put("SKU-002", 7)
    assert changed.json()["items"][0] == {"sku": "SKU-002", "quantity": 7}
    assert changed.json()["item_count"] == 10
    assert (await alice.cart()).json() == changed.json()


async def test_quantity_zero_takes_the_item_out_without_asking_catalog(alice, catalog):
    await alice.put("SKU-001", 2)
    await alice.put("SKU-002", 1)
    catalog.asked.clear()
    response = await alice.put("SKU-001", 0)
    assert response.status_code == 200
    assert response.json() == {"items": [{"sku": "SKU-002", "quantity": 1}], "item_count": 1}
    assert catalog.asked == []


async def test_removing_an_item_answers_with_the_cart_even_when_it_was_not_there(alice, catalog):
    await alice.put("SKU-001", 2)
    catalog.asked.clear()
    removed = await alice.remove("SKU-001")
    again = await alice.remove("SKU-001")
    assert removed.status_code == again.status_code == 200
    assert again.json() == {"items": [], "item_count": 0}
    assert catalog.asked == []


async def test_emptying_the_cart(alice):
    await alice.put("SKU-001", 2)
    response = await alice.empty()
    assert response.status_code == 204
    assert response.content == b""
    assert (await alice.cart()).json() == {"items": [], "item_count": 0}


async def test_one_shopper_never_sees_or_changes_anothers_cart(alice, bob):
    await alice.put("SKU-001", 2)
    assert (await bob.cart()).json() == {"items": [], "item_count": 0}
    await bob.put("SKU-009", 1)
    await bob.remove("SKU-001")
    await bob.empty()
    assert (await alice.cart()).json() == {
        "items": [{"sku": "SKU-001", "quantity": 2}],
        "item_count": 2,
    }


async def test_a_cart_holds_at_most_50_different_products(alice):
    for n in range(50):
        assert (await alice.put(f"SKU-{n:03}", 1)).status_code == 200
    full = await alice.put("SKU-050", 1)
    _problem(full, 409)
    assert _fields(full) == {"sku"}
    assert (await alice.put("SKU-000", 5)).status_code == 200
    assert (await alice.put("SKU-000", 0)).status_code == 200
    assert (await alice.put("SKU-050", 1)).status_code == 200
    assert len((await alice.cart()).json()["items"]) == 50


# ── bad input ────────────────────────────────────────────────────────────────────────────────


BAD_QUANTITIES = {
    "missing": {},
    "misnamed": {"qty": 3},
    "null": {"quantity": None},
    "string": {"quantity": "3"},
    "fraction": {"quantity": 2.5},
    "boolean": {"quantity": True},
    "negative": {"quantity": -1},
    "too-many": {"quantity": 100},
}


@pytest.mark.parametrize("body", BAD_QUANTITIES.values(), ids=BAD_QUANTITIES.keys())
async def test_a_quantity_that_is_not_0_to_99_is_422_naming_it(alice, body):
    response = await alice.put("SKU-001", json=body)
    problem = _problem(response, 422)
    assert _fields(response) == {"quantity"}
    assert all(error["message"] for error in problem["errors"])
    assert (await alice.cart()).json()["items"] == []


async def test_no_body_is_422_naming_quantity(alice):
    response = await alice.put("SKU-001", content=b"")
    _problem(response, 422)
    assert _fields(response) == {"quantity"}


async def test_a_body_that_is_not_an_object_is_422(alice):
    response = await alice.put("SKU-001", json=[{"quantity": 1}])
    _problem(response, 422)
    assert _fields(response) == {"body"}


async def test_malformed_json_is_400(alice):
    response = await alice.put(
        "SKU-001", content=b'{"quantity": ', headers={"Content-Type": "application/json"}
    )
    _problem(response, 400)
    assert _fields(response) == {"body"}


async def test_a_body_over_16_kib_is_413(alice):
    body = json.dumps({"quantity": 1, "note": "x" * 17_000}).encode()
    response = await alice.put("SKU-001", content=body)
    _problem(response, 413)


async def test_an_overlong_sku_is_422_naming_it(alice, catalog):
    response = await alice.put("S" * 65, 1)
    _problem(response, 422)
    assert _fields(response) == {"sku"}
    assert catalog.asked == []


# ── catalog ──────────────────────────────────────────────────────────────────────────────────


async def test_an_unknown_sku_is_404_after_asking_catalog(alice, catalog):
    response = await alice.put("NO-SUCH-THING", 1)
    _problem(response, 404)
    assert _fields(response) == {"sku"}
    assert catalog.asked == ["NO-SUCH-THING"]
    assert (await alice.cart()).json()["items"] == []


async def test_an_escaped_sku_reaches_catalog_as_the_same_sku(alice, catalog):
    response = await alice.put("a%3Fb%2Fc", 1)
    _problem(response, 404)
    assert catalog.asked == ["a?b/c"]


@pytest.mark.parametrize("mode", ["refusing", "timing-out", "hanging", "failing"])
async def test_catalog_down_or_slow_is_503_and_changes_nothing(alice, catalog, mode):
    await alice.put("SKU-001", 1)
    catalog.mode = mode
    response = await alice.put("SKU-002", 1)
    _problem(response, 503)
    catalog.mode = "up"
    assert (await alice.cart()).json()["items"] == [{"sku": "SKU-001", "quantity": 1}]


async def test_removing_works_while_catalog_is_down(alice, catalog):
    await alice.put("SKU-001", 1)
    await alice.put("SKU-002", 1)
    catalog.mode = "refusing"
    assert (await alice.put("SKU-001", 0)).status_code == 200
    assert (await alice.remove("SKU-002")).status_code == 200


# ── for services ─────────────────────────────────────────────────────────────────────────────


async def test_orders_reads_and_empties_a_shoppers_cart(client, alice, orders):
    await alice.put("SKU-001", 2)
    path = f"/api/carts/{_subject(alice)}"
    read = await client.get(path, headers=orders)
    assert read.status_code == 200
    assert read.json() == {"items": [{"sku": "SKU-001", "quantity": 2}], "item_count": 2}
    emptied = await client.delete(path, headers=orders)
    assert emptied.status_code == 204
    assert (await alice.cart()).json() == {"items": [], "item_count": 0}


async def test_a_cart_nobody_filled_is_empty_for_services(client, orders):
    response = await client.get(f"/api/carts/{uuid.uuid4()}", headers=orders)
    assert response.json() == {"items": [], "item_count": 0}


async def test_a_user_id_that_is_not_a_uuid_is_404(client, orders):
    response = await client.get("/api/carts/not-a-uuid", headers=orders)
    _problem(response, 404)


# ── what an operator sees ────────────────────────────────────────────────────────────────────


async def test_cart_operations_are_counted(client, alice):
    await alice.put("SKU-001", 1)
    await alice.put("SKU-001", 2)
    await alice.put("SKU-002", 1)
    await alice.put("SKU-002", 0)
    await alice.remove("SKU-001")
    await alice.empty()
    await alice.put("NO-SUCH-THING", 1)
    response = await client.get("/metrics")
    counts = {
        operation: f'polyshop_cart_operations_total{{operation="{operation}"}} {value}'
        for operation, value in {"add": 2.0, "update": 1.0, "remove": 2.0, "clear": 1.0}.items()
    }
    for line in counts.values():
        assert line in response.text


async def test_openapi_documents_every_route_its_security_and_problems(client):
    response = await client.get("/openapi.json")
    document = response.json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for method, path in ENDPOINTS:
        template = path.replace(SOMEONE, "{user_id}").replace("SKU-001", "{sku}")
        operation = document["paths"][template][method.lower()]
        assert operation["security"] == [{"bearer": []}], template
        for status in ("401", "403"):
            content = operation["responses"][status]["content"]
            assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
    put = document["paths"]["/api/cart/items/{sku}"]["put"]
    assert {"400", "404", "409", "413", "422", "503"} <= put["responses"].keys()
    body = put["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/QuantityIn"}
    schemas = document["components"]["schemas"]
    assert schemas["QuantityIn"]["properties"]["quantity"]["maximum"] == 99
    assert set(schemas["CartOut"]["properties"]) == {"items", "item_count"}
    assert document["paths"]["/api/cart"]["delete"]["responses"]["204"] == {
        "description": "The cart is empty"
    }
