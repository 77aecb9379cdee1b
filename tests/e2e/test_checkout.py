"""The checkout's invariants, through the APIs of the running store.

A paid order has exactly one capture of its total; an order that is not paid has no capture;
stock sold plus stock available is what was there; replaying a request never orders or charges
twice; carts and orders stay private.
"""

from __future__ import annotations

import concurrent.futures
import uuid

import pytest

from e2e import shop
from e2e.live import notifications_socket
from e2e.shop import DECLINED_CARD, GOOD_CARD, Shopper, quantities

pytestmark = pytest.mark.usefixtures("store")


@pytest.fixture(scope="module")
def staff() -> dict[str, str]:
    return shop.staff_auth()


def _two_products() -> list[str]:
    return [p["sku"] for p in shop.products(category="kitchen", page_size=2)["items"]]


def _captures(order_id: str, staff: dict[str, str]) -> list[dict]:
    return [p for p in shop.payments_of(order_id, staff) if p["status"] == "captured"]


def test_a_paid_order_charges_its_total_once_and_takes_the_stock(staff):
    shopper = Shopper().signed_up()
    first, second = _two_products()
    shopper.set_quantity(first, 2)
    shopper.set_quantity(second, 1)
    before = {sku: shop.stock(sku) for sku in (first, second)}
    price = shop.prices([first, second])

    with notifications_socket(shopper.token) as socket:
        response = shop.checkout(shopper)
        assert response.status_code == 201, response.text
        order = response.json()
        assert order["status"] == "paid"
        assert order["total_cents"] == 2 * price[first] + price[second]
        assert {i["sku"]: i["quantity"] for i in order["items"]} == {first: 2, second: 1}
        assert {i["sku"]: i["unit_price_cents"] for i in order["items"]} == price
        event = socket.wait_for("order.paid", order["id"])
        assert event["order_id"] == order["id"]

    assert {sku: shop.stock(sku) for sku in (first, second)} == {
        first: before[first] - 2,
        second: before[second] - 1,
    }
    assert shopper.cart()["items"] == []
    (capture,) = _captures(order["id"], staff)
    assert capture["amount_cents"] == order["total_cents"]
    assert shop.orders_of(shopper)[0]["id"] == order["id"]


def test_a_declined_card_keeps_the_cart_and_the_stock(staff):
    shopper = Shopper().signed_up()
    sku = _two_products()[0]
    shopper.set_quantity(sku, 1)
    before = shop.stock(sku)

    response = shop.checkout(shopper, card=DECLINED_CARD)
    assert response.status_code == 402, response.text
    problem = response.json()
    assert problem["decline_code"] == "card_declined"
    order_id = problem["order"]["id"]
    assert shop.order(shopper, order_id).json()["status"] == "payment_failed"
    assert shop.stock(sku) == before
    assert quantities(shopper.cart()) == {sku: 1}
    assert _captures(order_id, staff) == []


def test_replaying_a_checkout_returns_the_first_answer(staff):
    shopper = Shopper().signed_up()
    shopper.set_quantity(_two_products()[0], 1)
    key = uuid.uuid4().hex
    first = shop.checkout(shopper, key=key)
    again = shop.checkout(shopper, key=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(shop.orders_of(shopper)) == 1
    assert len(_captures(first.json()["id"], staff)) == 1

    different = shop.checkout(shopper, key=key, card=GOOD_CARD | {"cvc": "999"})
    assert different.status_code == 422


def test_concurrent_identical_checkouts_make_one_order(staff):
    shopper = Shopper().signed_up()
    shopper.set_quantity(_two_products()[1], 1)
    key = uuid.uuid4().hex
    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(lambda _: shop.checkout(shopper, key=key), range(5)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    assert 201 in statuses
    (placed,) = shop.orders_of(shopper)
    assert len(_captures(placed["id"], staff)) == 1


def test_n_buyers_for_m_units_sell_exactly_m(staff):
    sku = shop.products(category="audio", page_size=1)["items"][0]["sku"]
    units, buyers = 3, 8
    restock = shop.call(
        "inventory", "PUT", f"/api/stock/{sku}", json={"available": units}, headers=staff
    )
    assert restock.status_code == 200, restock.text
    shoppers = [Shopper().signed_up() for _ in range(buyers)]
    for shopper in shoppers:
        shopper.set_quantity(sku, 1)

    with concurrent.futures.ThreadPoolExecutor(max_workers=buyers) as pool:
        responses = list(pool.map(shop.checkout, shoppers))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == units, statuses
    assert statuses.count(409) == buyers - units, statuses
    assert shop.stock(sku) == 0


def test_an_empty_cart_cannot_be_checked_out():
    shopper = Shopper().signed_up()
    response = shop.checkout(shopper)
    assert response.status_code == 409
    assert shop.orders_of(shopper) == []


@pytest.mark.parametrize(
    ("card", "field"),
    [
        (GOOD_CARD | {"number": "4242424242424241"}, "number"),
        (GOOD_CARD | {"exp_year": 2020}, "exp_year"),
        (GOOD_CARD | {"exp_month": 13}, "exp_month"),
        (GOOD_CARD | {"cvc": "1"}, "cvc"),
    ],
)
def test_invalid_cards_are_refused_naming_the_field(card, field):
    shopper = Shopper().signed_up()
    sku = _two_products()[0]
    shopper.set_quantity(sku, 1)
    before = shop.stock(sku)
    response = shop.checkout(shopper, card=card)
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert any(f.endswith(field) for f in fields), fields
    assert shop.stock(sku) == before
    assert quantities(shopper.cart()) == {sku: 1}


def test_orders_are_private_but_staff_see_them(staff):
    alice, bob = Shopper().signed_up(), Shopper().signed_up()
    alice.set_quantity(_two_products()[0], 1)
    order_id = shop.checkout(alice).json()["id"]
    assert shop.order(bob, order_id).status_code == 404
    assert shop.call("orders", "GET", f"/api/orders/{order_id}", headers=staff).status_code == 200


def test_customers_cannot_restock_or_charge():
    shopper = Shopper().signed_up()
    sku = _two_products()[0]
    restock = shop.call(
        "inventory", "PUT", f"/api/stock/{sku}", json={"available": 999}, headers=shopper.auth
    )
    assert restock.status_code == 403
    charge = shop.call(
        "payments",
        "POST",
        "/api/payments",
        json={
            "order_id": str(uuid.uuid4()),
            "amount_cents": 100,
            "currency": "USD",
            "card": GOOD_CARD,
        },
        headers=shopper.auth | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert charge.status_code == 403
