"""POST /api/orders: the checkout saga against fakes of cart, catalog, inventory and payments."""

from __future__ import annotations

import pytest
from orders_testing import ADDRESS, DECLINED, NO_FUNDS, VISA, Shop

from orders.models import IdempotencyRecord, Order, OutboxEvent


@pytest.fixture
def shop():
    return Shop()


def test_a_paid_order_is_priced_by_catalog_held_charged_committed_and_the_cart_emptied(shop):
    ann = shop.shopper(("KIT-MUG-001", 2), ("KIT-PAN-002", 1))
    response = ann.checkout()

    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "paid"
    assert order["total_cents"] == 2 * 1800 + 4500
    assert order["currency"] == "USD"
    assert order["items"] == [
        {"sku": "KIT-MUG-001", "name": "Stoneware Mug", "quantity": 2, "unit_price_cents": 1800},
        {"sku": "KIT-PAN-002", "name": "Cast Iron Pan", "quantity": 1, "unit_price_cents": 4500},
    ]
    assert order["shipping_address"] == ADDRESS | {"line2": "", "country": "GB"}
    assert order["payment"] == {"status": "captured", "card": {"brand": "visa", "last4": "4242"}}
    assert order["created_at"].endswith("Z")

    assert [p.amount_cents for p in shop.payments.captures(order["id"])] == [8100]
    assert shop.inventory.available["KIT-MUG-001"] == 8
    assert shop.inventory.held() == 0
    assert [h.status for h in shop.inventory.holds.values()] == ["committed"]
    assert ann.user_id not in shop.cart.carts
    event = OutboxEvent.objects.get()
    assert event.type == "order.paid"
    assert event.payload == {
        "user_id": ann.user_id,
        "data": {"order_id": order["id"], "total_cents": 8100, "currency": "USD", "status": "paid"},
    }


def test_the_charge_is_keyed_by_the_order_and_the_card_is_not_stored(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    order_id = ann.checkout().json()["id"]
    assert list(shop.payments.by_key) == [f"order-{order_id}"]
    assert shop.payments.cards_seen[0]["number"] == "4242424242424242"
    stored = Order.objects.filter(pk=order_id).values().get()
    assert not any("4242424242424242" in str(value) for value in stored.values())
    record = IdempotencyRecord.objects.get()
    assert "4242424242424242" not in record.request_hash + str(record.response_body)


@pytest.mark.parametrize(
    ("card", "code"), [(DECLINED, "card_declined"), (NO_FUNDS, "insufficient_funds")]
)
def test_a_declined_card_is_402_with_the_order_kept_as_payment_failed(shop, card, code):
    ann = shop.shopper(("KIT-MUG-001", 3))
    response = ann.checkout(card=card)

    assert response.status_code == 402
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["decline_code"] == code
    assert body["order"]["status"] == "payment_failed"
    assert body["order"]["payment"]["status"] == "declined"
    assert shop.inventory.available["KIT-MUG-001"] == 10  # stock back
    assert shop.payments.captures(body["order"]["id"]) == []
    assert shop.cart.carts[ann.user_id]  # cart kept
    assert OutboxEvent.objects.get().type == "order.payment_failed"


def test_short_stock_cancels_the_order_names_the_skus_and_charges_nothing(shop):
    shop.inventory.available["KIT-PAN-002"] = 1
    ann = shop.shopper(("KIT-MUG-001", 1), ("KIT-PAN-002", 2))
    response = ann.checkout()

    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "items.KIT-PAN-002", "message": "Not enough in stock."}
    ]
    assert Order.objects.get().status == "cancelled"
    assert shop.payments.by_id == {}
    assert shop.inventory.available == {"KIT-MUG-001": 10, "KIT-PAN-002": 1, "HOME-LAMP-003": 10}
    assert not OutboxEvent.objects.exists()


def test_an_empty_cart_is_409_and_places_nothing(shop):
    response = shop.shopper().checkout()
    assert response.status_code == 409
    assert "empty" in response.json()["detail"]
    assert not Order.objects.exists()


def test_a_sku_catalog_no_longer_sells_is_409_naming_it(shop):
    ann = shop.shopper(("KIT-MUG-001", 1), ("GONE-001", 1))
    response = ann.checkout()
    assert response.status_code == 409
    assert [e["field"] for e in response.json()["errors"]] == ["items.GONE-001"]
    assert not Order.objects.exists()
    assert shop.inventory.holds == {}


def test_prices_come_from_catalog_not_from_the_client(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    response = shop.client.post(
        "/api/orders",
        {"card": VISA, "shipping_address": ADDRESS, "total_cents": 1, "items": []},
        content_type="application/json",
        headers=ann.headers | {"Idempotency-Key": "k"},
    )
    assert response.json()["total_cents"] == 1800


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"card": VISA | {"number": "4242 4242 4242 4241"}}, "card.number"),
        ({"card": VISA | {"number": "42"}}, "card.number"),
        ({"card": VISA | {"exp_month": 13}}, "card.exp_month"),
        ({"card": VISA | {"exp_year": 2001}}, "card.exp_year"),
        ({"card": VISA | {"cvc": "12a"}}, "card.cvc"),
        ({"card": {k: v for k, v in VISA.items() if k != "cvc"}}, "card.cvc"),
        ({"card": "4242"}, "card.non_field_errors"),
        ({"shipping_address": ADDRESS | {"country": "Britain"}}, "shipping_address.country"),
        (
            {"shipping_address": {k: v for k, v in ADDRESS.items() if k != "city"}},
            "shipping_address.city",
        ),
        ({"shipping_address": ADDRESS | {"name": "x" * 201}}, "shipping_address.name"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field_and_place_nothing(shop, change, field):
    ann = shop.shopper(("KIT-MUG-001", 1))
    body = {"card": VISA, "shipping_address": ADDRESS} | change
    response = shop.client.post(
        "/api/orders",
        body,
        content_type="application/json",
        headers=ann.headers | {"Idempotency-Key": "k"},
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == [field] or (
        field.endswith("non_field_errors") and fields[0].startswith("card")
    )
    assert not Order.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_a_card_payments_refuses_is_422_naming_its_field_and_the_stock_comes_back(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    response = ann.checkout(card=VISA | {"number": "4111 1111 1111 1111"})
    # Luhn-valid, so orders passes it on; payments has the last word.
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "card.number", "message": "Not a card we know."}]
    assert Order.objects.get().status == "cancelled"
    assert shop.inventory.available["KIT-MUG-001"] == 10


def test_malformed_json_is_400(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    response = shop.client.post(
        "/api/orders",
        "{",
        content_type="application/json",
        headers=ann.headers | {"Idempotency-Key": "k"},
    )
    assert response.status_code == 400


def test_no_idempotency_key_is_400_naming_the_header(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    response = shop.client.post(
        "/api/orders",
        {"card": VISA, "shipping_address": ADDRESS},
        content_type="application/json",
        headers=ann.headers,
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


def test_only_customers_check_out(shop):
    service = shop.shopper(("KIT-MUG-001", 1), roles=("service",))
    assert service.checkout().status_code == 403
    anonymous = shop.client.post("/api/orders", {}, content_type="application/json")
    assert anonymous.status_code == 401


@pytest.mark.parametrize(("peer", "call"), [("cart", "lines"), ("catalog", "products")])
def test_a_dependency_down_before_the_order_is_503_and_nothing_is_placed(shop, peer, call):
    getattr(shop, peer).down.add(call)
    ann = shop.shopper(("KIT-MUG-001", 1))
    response = ann.checkout(key="same")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert not Order.objects.exists()

    getattr(shop, peer).down.clear()  # nothing happened: the same key may try again
    assert ann.checkout(key="same").status_code == 201


@pytest.mark.parametrize(
    ("peer", "call"),
    [("inventory", "reserve"), ("payments", "charge"), ("inventory", "commit")],
)
def test_a_dependency_down_mid_saga_is_503_and_leaves_the_order_pending(shop, peer, call):
    getattr(shop, peer).down.add(call)
    ann = shop.shopper(("KIT-MUG-001", 1))
    response = ann.checkout()
    assert response.status_code == 503
    assert Order.objects.get().status == "pending"
    assert not OutboxEvent.objects.exists()


def test_a_cart_that_cannot_be_emptied_does_not_fail_the_paid_order(shop):
    shop.cart.down.add("clear")
    ann = shop.shopper(("KIT-MUG-001", 1))
    response = ann.checkout()
    assert response.status_code == 201
    assert response.json()["status"] == "paid"


def test_a_hold_that_expired_during_the_charge_is_refunded_and_cancelled(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    shop.payments.on_charge = lambda: shop.inventory.expire(Order.objects.get().id)
    response = ann.checkout()
    assert response.status_code == 409
    assert "refunded" in response.json()["detail"]
    order = Order.objects.get()
    assert order.status == "cancelled"
    assert shop.payments.captures(order.id) == []
    assert shop.inventory.available["KIT-MUG-001"] == 10


def test_checkouts_are_counted_and_timed(shop):
    shop.shopper(("KIT-MUG-001", 1)).checkout()
    shop.shopper(("KIT-MUG-001", 1)).checkout(card=DECLINED)
    text = shop.client.get("/metrics").content.decode()
    assert 'polyshop_orders_total{status="paid"} 1.0' in text
    assert 'polyshop_orders_total{status="payment_failed"} 1.0' in text
    assert 'polyshop_orders_total{status="pending"} 2.0' in text
    assert 'polyshop_revenue_cents_total{currency="USD"} 1800.0' in text
    assert 'polyshop_checkout_duration_seconds_count{outcome="paid"} 1.0' in text
    assert "polyshop_outbox_backlog 2.0" in text
