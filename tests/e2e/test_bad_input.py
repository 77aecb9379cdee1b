"""Bad input on every write endpoint is a 4xx problem that names the field — never a 500 — and
changes nothing."""

from __future__ import annotations

import pytest

from e2e import shop
from e2e.shop import Shopper, quantities

pytestmark = pytest.mark.usefixtures("store")

PROBLEM = "application/problem+json"
HUGE = "x" * (1024 * 1024)


def _assert_problem(response, status: int | tuple[int, ...], field: str | None = None) -> None:
    expected = status if isinstance(status, tuple) else (status,)
    assert response.status_code in expected, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM)
    if field is not None:
        fields = {error["field"] for error in response.json().get("errors", [])}
        assert any(field == f or f.endswith(f".{field}") for f in fields), (field, fields)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "long enough pw", "name": "N"}, "email"),
        ({"email": "x@example.com", "name": "N"}, "password"),
        ({"email": "x@example.com", "password": "long enough pw"}, "name"),
        ({"email": "not-an-email", "password": "long enough pw", "name": "N"}, "email"),
        ({"email": "x@example.com", "password": "short", "name": "N"}, "password"),
        ({"email": 42, "password": "long enough pw", "name": "N"}, "email"),
        ({"email": "x@example.com", "password": ["a"], "name": "N"}, "password"),
    ],
)
def test_registration_names_the_bad_field(body, field):
    _assert_problem(shop.call("users", "POST", "/api/users", json=body), (400, 422), field)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"password": "whatever1"}, "email"), ({"email": "a@example.com"}, "password")],
)
def test_login_names_the_bad_field(body, field):
    _assert_problem(shop.call("users", "POST", "/api/tokens", json=body), (400, 422), field)


@pytest.mark.parametrize(
    ("service", "path"),
    [("users", "/api/users"), ("users", "/api/tokens")],
)
def test_malformed_and_oversized_bodies(service, path):
    malformed = shop.call(
        service, "POST", path, content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    _assert_problem(malformed, 400)
    oversized = shop.call(service, "POST", path, json={"email": HUGE, "password": HUGE})
    _assert_problem(oversized, (413, 422))


@pytest.mark.parametrize("quantity", [-1, 100, "two", None, 1.5, [1]], ids=lambda q: repr(q))
def test_cart_quantities_outside_the_rules_are_refused_and_change_nothing(quantity):
    shopper = Shopper().signed_up()
    sku = shop.products(page_size=1)["items"][0]["sku"]
    shopper.set_quantity(sku, 2)
    _assert_problem(shopper.set_quantity(sku, quantity), 422, "quantity")
    assert quantities(shopper.cart()) == {sku: 2}


def test_cart_bodies_that_cannot_be_read():
    shopper = Shopper().signed_up()
    sku = shop.products(page_size=1)["items"][0]["sku"]
    path = f"/api/cart/items/{sku}"
    headers = shopper.auth | {"Content-Type": "application/json"}
    _assert_problem(shop.call("cart", "PUT", path, content=b"{nope", headers=headers), 400)
    _assert_problem(
        shop.call("cart", "PUT", path, json={"quantity": 1, "note": HUGE}, headers=shopper.auth),
        413,
    )
    _assert_problem(shop.call("cart", "PUT", path, json={}, headers=shopper.auth), 422, "quantity")
    assert shopper.cart()["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"page": 0}, "page"), ({"page_size": 101}, "page_size"), ({"page": "x"}, "page")],
)
def test_catalog_query_parameters(params, field):
    _assert_problem(shop.call("catalog", "GET", "/api/products", params=params), 422, field)
