"""GET /api/orders and /api/orders/{id}: each shopper's own, newest first; staff see any."""

from __future__ import annotations

import uuid

import pytest
from orders_testing import Shop


@pytest.fixture
def shop():
    return Shop()


def place(shop, shopper, count):
    ids = []
    for _ in range(count):
        shop.cart.put(shopper.user_id, ("KIT-MUG-001", 1))
        ids.append(shopper.checkout().json()["id"])
        shop.clock.advance(60)
    return ids


def test_the_list_is_the_callers_newest_first_and_paginated(shop):
    ann, bob = shop.shopper(), shop.shopper()
    ids = place(shop, ann, 3)
    place(shop, bob, 2)

    page = ann.orders(page_size=2).json()
    assert [o["id"] for o in page["items"]] == [ids[2], ids[1]]
    assert (page["page"], page["page_size"], page["total"]) == (1, 2, 3)
    assert page["items"][0]["items"][0]["sku"] == "KIT-MUG-001"
    assert [o["id"] for o in ann.orders(page=2, page_size=2).json()["items"]] == [ids[0]]
    assert ann.orders(page=3, page_size=2).json()["items"] == []
    assert ann.orders().json()["page_size"] == 20


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"page_size": 101}, "page_size"),
        ({"page": "one"}, "page"),
        ({"page": "", "page_size": 8}, "page"),
    ],
)
def test_bad_paging_is_422_naming_the_parameter(shop, params, field):
    response = shop.shopper().orders(**params)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_an_order_is_its_buyers_and_another_users_is_404(shop):
    ann, bob = shop.shopper(), shop.shopper()
    (order_id,) = place(shop, ann, 1)
    assert ann.order(order_id).json()["id"] == order_id
    response = bob.order(order_id)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert bob.order(str(uuid.uuid4())).status_code == 404
    assert bob.order("not-a-uuid").status_code == 404


def test_staff_see_any_order(shop):
    ann = shop.shopper()
    staff = shop.shopper(roles=("customer", "staff"))
    (order_id,) = place(shop, ann, 1)
    assert staff.order(order_id).json()["id"] == order_id
    assert staff.orders().json()["total"] == 0  # the list is still the caller's own


def test_reads_need_a_token(shop):
    assert shop.client.get("/api/orders").status_code == 401
    assert shop.client.get(f"/api/orders/{uuid.uuid4()}").status_code == 401
    service = shop.shopper(roles=("service",))
    assert service.orders().status_code == 403


def test_the_openapi_document_describes_the_checkout(shop):
    document = shop.client.get("/openapi.json").json()
    place_order = document["paths"]["/api/orders"]["post"]
    assert place_order["parameters"][0]["name"] == "Idempotency-Key"
    assert set(place_order["responses"]) >= {"201", "400", "402", "409", "422", "503"}
    order = document["components"]["schemas"]["OrderOut"]
    assert set(order["properties"]) == {
        "id",
        "status",
        "items",
        "total_cents",
        "currency",
        "created_at",
        "shipping_address",
        "payment",
    }
