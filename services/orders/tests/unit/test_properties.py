"""Properties of the checkout over many generated carts and bodies (hypothesis), against the
fakes of orders_testing: an order costs the catalog's price of what is in the cart, whatever the
client claims, and is charged exactly that; the same Idempotency-Key with the same body replays
the first answer, with another body is a 422, and never orders or charges twice.

One shop serves every example; each example has its own shopper, products and key.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from orders_testing import ADDRESS, DECLINED, NO_FUNDS, VISA, Shop

from orders.clients import Product
from orders.models import Order

PROPERTIES = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    # conftest's autouse fixture empties the tables after each test, not each example: the
    # examples share them, and keep to their own rows.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Up to $100,000 a unit, 1 to 99 of each (the cart's own limit).
lines = st.lists(st.tuples(st.integers(1, 10_000_000), st.integers(1, 99)), min_size=1, max_size=6)
# What a client might add to the body hoping to set the price: ignored.
claims = st.dictionaries(
    st.sampled_from(["total_cents", "unit_price_cents", "price_cents", "items", "currency"]),
    st.one_of(st.integers(-(10**9), 10**9), st.text(max_size=8), st.just([])),
    max_size=3,
)
cards = st.sampled_from([VISA, DECLINED, NO_FUNDS, VISA | {"number": "5555 5555 5555 4444"}])
addresses = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["Ada Lovelace", "Grace Hopper"]),
        "line1": st.sampled_from(["12 Marylebone Road", "1 Analytical Way"]),
        "city": st.just("London"),
        "postal_code": st.sampled_from(["NW1 5LR", "N1 9GU"]),
        "country": st.sampled_from(["GB", "gb", "FR"]),
    }
)
bodies = st.fixed_dictionaries({"card": cards, "shipping_address": addresses})


@pytest.fixture(scope="module")
def shop() -> Shop:
    return Shop()


def _shopper_with(shop: Shop, priced: list[tuple[int, int]]) -> tuple[Any, dict[str, int]]:
    """A shopper whose cart holds `quantity` of a new product at `price` for each pair."""
    quantities = {}
    for price, quantity in priced:
        sku = f"PROP-{uuid.uuid4().hex[:12].upper()}"
        shop.catalog.catalog[sku] = Product(sku, "Generated thing", price, "USD")
        shop.inventory.available[sku] = 1_000
        quantities[sku] = quantity
    return shop.shopper(*quantities.items()), quantities


def _post(shop: Shop, shopper: Any, body: dict[str, Any], key: str) -> Any:
    return shop.client.post(
        "/api/orders",
        body,
        content_type="application/json",
        headers=shopper.headers | {"Idempotency-Key": key},
    )


@PROPERTIES
@given(priced=lines, claimed=claims)
def test_an_order_costs_the_catalog_price_of_the_cart_and_is_charged_exactly_that(
    shop, priced, claimed
):
    shopper, quantities = _shopper_with(shop, priced)
    body = {"card": VISA, "shipping_address": ADDRESS} | claimed
    response = _post(shop, shopper, body, key=str(uuid.uuid4()))

    assert response.status_code == 201, response.content
    order = response.json()
    catalog = shop.catalog.catalog
    assert {item["sku"]: item["unit_price_cents"] for item in order["items"]} == {
        sku: catalog[sku].price_cents for sku in quantities
    }
    assert {item["sku"]: item["quantity"] for item in order["items"]} == quantities
    total = sum(catalog[sku].price_cents * quantity for sku, quantity in quantities.items())
    assert order["total_cents"] == total > 0
    assert order["currency"] == "USD"
    assert [p.amount_cents for p in shop.payments.captures(order["id"])] == [total]


@PROPERTIES
@given(priced=lines, body=bodies, other=bodies)
def test_a_key_replays_its_first_answer_and_refuses_another_body(shop, priced, body, other):
    shopper, _ = _shopper_with(shop, priced)
    key = str(uuid.uuid4())
    first = _post(shop, shopper, body, key)
    assert first.status_code in (201, 402), first.content
    again = _post(shop, shopper, body, key)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again["Idempotent-Replayed"] == "true"

    answer = _post(shop, shopper, other, key)
    if other == body:
        assert answer.json() == first.json()
    else:
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "Idempotency-Key"
    orders = Order.objects.filter(user_id=shopper.user_id)
    assert orders.count() == 1
    order_id = str(orders.get().id)
    charges = [p for p in shop.payments.by_id.values() if p.order_id == order_id]
    assert len(charges) == 1
    paid = first.status_code == 201
    assert [p.amount_cents for p in shop.payments.captures(order_id)] == (
        [orders.get().total_cents] if paid else []
    )
