"""The service clients against fake transports: what goes out, and how answers come back."""

from __future__ import annotations

import json

import httpx
import pytest

from polykit.errors import (
    Conflict,
    NotFound,
    PaymentRequired,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from polykit.http import make_client
from polykit.metrics import Metrics
from storefront.clients import (
    CardDeclined,
    CartClient,
    CatalogClient,
    OrdersClient,
    UsersClient,
)
from storefront.schemas import Card, ShippingAddress

PRODUCT = {
    "sku": "KIT-001",
    "name": "Pan",
    "description": "Flat.",
    "category": "kitchen",
    "price_cents": 2500,
    "currency": "USD",
    "image_url": "/images/KIT-001.svg",
}


def _http(handler, seen: list[httpx.Request] | None = None) -> httpx.Client:
    def record(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)

    metrics = Metrics(service="storefront", framework="flask", framework_version="3", version="0")
    return make_client(metrics, base_url="http://svc.test", transport=httpx.MockTransport(record))


def test_cart_details_come_from_one_call_with_repeated_sku():
    seen: list[httpx.Request] = []
    catalog = CatalogClient(
        _http(
            lambda r: httpx.Response(
                200, json={"items": [PRODUCT], "page": 1, "page_size": 2, "total": 1}
            ),
            seen,
        )
    )
    found = catalog.products_by_sku(skus=["KIT-001", "GONE-1", "KIT-001"])
    assert list(found) == ["KIT-001"]
    assert len(seen) == 1
    assert seen[0].url.params.get_list("sku") == ["KIT-001", "GONE-1"]


def test_the_shoppers_token_is_sent_per_call_and_not_kept():
    seen: list[httpx.Request] = []
    empty = {"items": [], "item_count": 0}
    cart = CartClient(_http(lambda r: httpx.Response(200, json=empty), seen))
    cart.cart(token="token-a")
    cart.cart(token="token-b")
    cart.set_quantity(token="token-b", sku="KIT-001", quantity=3)
    assert [r.headers["Authorization"] for r in seen] == [
        "Bearer token-a",
        "Bearer token-b",
        "Bearer token-b",
    ]
    assert seen[2].method == "PUT"
    assert seen[2].url.path == "/api/cart/items/KIT-001"
    assert json.loads(seen[2].content) == {"quantity": 3}


def test_anonymous_calls_carry_no_authorization():
    seen: list[httpx.Request] = []
    catalog = CatalogClient(_http(lambda r: httpx.Response(200, json={"items": []}), seen))
    catalog.categories()
    assert "Authorization" not in seen[0].headers


def test_a_422_comes_back_with_its_field_errors():
    body = {
        "status": 422,
        "title": "Unprocessable Content",
        "detail": "Check the fields.",
        "errors": [{"field": "email", "message": "is not an email address"}],
    }
    users = UsersClient(_http(lambda r: httpx.Response(422, json=body)))
    with pytest.raises(ValidationFailed) as caught:
        users.register(email="x", password="y", name="z")
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("email", "is not an email address")
    ]


def test_a_429_comes_back_with_retry_after():
    users = UsersClient(
        _http(lambda r: httpx.Response(429, headers={"Retry-After": "17"}, json={"status": 429}))
    )
    with pytest.raises(TooManyRequests) as caught:
        users.token(email="a@b.c", password="nope")
    assert caught.value.headers["Retry-After"] == "17"


@pytest.mark.parametrize(("status", "error"), [(401, Unauthorized), (404, NotFound)])
def test_client_errors_keep_their_meaning(status, error):
    catalog = CatalogClient(_http(lambda r: httpx.Response(status, text="no json here")))
    with pytest.raises(error):
        catalog.product(sku="KIT-001")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_is_service_unavailable(status):
    cart = CartClient(_http(lambda r: httpx.Response(status)))
    with pytest.raises(ServiceUnavailable, match="cart"):
        cart.cart(token="t")


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.ConnectTimeout("")]
)
def test_unreachable_or_slow_is_service_unavailable(failure):
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    catalog = CatalogClient(_http(fail))
    with pytest.raises(ServiceUnavailable, match="catalog"):
        catalog.products(page=1, page_size=12)


def test_skus_are_quoted_into_paths():
    seen: list[httpx.Request] = []
    catalog = CatalogClient(_http(lambda r: httpx.Response(200, json=PRODUCT), seen))
    catalog.product(sku="A/B C")
    assert seen[0].url.raw_path == b"/api/products/A%2FB%20C"


def test_browse_sends_only_the_filters_in_use():
    seen: list[httpx.Request] = []
    empty = {"items": [], "page": 1, "page_size": 12, "total": 0}
    catalog = CatalogClient(_http(lambda r: httpx.Response(200, json=empty), seen))
    catalog.products(q="", category="garden", page=2, page_size=12)
    assert dict(seen[0].url.params) == {"category": "garden", "page": "2", "page_size": "12"}


ORDER = {
    "id": "5b1d1a52-43d6-4b5c-9d3e-3c2f1b0a9e8d",
    "status": "paid",
    "items": [{"sku": "KIT-001", "name": "Pan", "quantity": 2, "unit_price_cents": 2500}],
    "total_cents": 5000,
    "currency": "USD",
    "created_at": "2025-03-01T12:00:00Z",
    "shipping_address": {
        "name": "Ada",
        "line1": "1 Road",
        "city": "London",
        "postal_code": "N1",
        "country": "GB",
    },
    "payment": {"status": "captured", "card": {"brand": "visa", "last4": "4242"}},
}
CARD = Card(number="4242424242424242", exp_month=7, exp_year=2031, cvc="123")
ADDRESS = ShippingAddress(name="Ada", line1="1 Road", city="London", postal_code="N1", country="GB")


def test_placing_an_order_sends_the_key_the_token_and_the_body():
    seen: list[httpx.Request] = []
    orders = OrdersClient(_http(lambda r: httpx.Response(201, json=ORDER), seen))
    order = orders.place(
        token="token-a", idempotency_key="key-1", card=CARD, shipping_address=ADDRESS
    )
    assert order.id == ORDER["id"]
    assert order.payment.card.last4 == "4242"
    [request] = seen
    assert (request.method, request.url.path) == ("POST", "/api/orders")
    assert request.headers["Authorization"] == "Bearer token-a"
    assert request.headers["Idempotency-Key"] == "key-1"
    assert json.loads(request.content) == {
        "card": {"number": "4242424242424242", "exp_month": 7, "exp_year": 2031, "cvc": "123"},
        "shipping_address": {
            "name": "Ada",
            "line1": "1 Road",
            "city": "London",
            "postal_code": "N1",
            "country": "GB",
        },
    }


def test_the_card_never_shows_in_its_repr():
    assert "4242424242424242" not in repr(CARD)
    assert "123" not in repr(CARD)


@pytest.mark.parametrize(("status", "error"), [(409, Conflict), (422, ValidationFailed)])
def test_checkout_refusals_keep_their_meaning_and_fields(status, error):
    body = {
        "status": status,
        "detail": "No.",
        "errors": [{"field": "items.KIT-001", "message": "short"}],
    }
    orders = OrdersClient(_http(lambda r: httpx.Response(status, json=body)))
    with pytest.raises(error) as caught:
        orders.place(token="t", idempotency_key="k", card=CARD, shipping_address=ADDRESS)
    assert caught.value.detail == "No."
    assert [(e.field, e.message) for e in caught.value.errors] == [("items.KIT-001", "short")]


def test_a_decline_brings_its_code_and_the_kept_order():
    body = {
        "status": 402,
        "detail": "The card was declined (insufficient_funds).",
        "decline_code": "insufficient_funds",
        "order": ORDER | {"status": "payment_failed"},
    }
    orders = OrdersClient(_http(lambda r: httpx.Response(402, json=body)))
    with pytest.raises(CardDeclined) as caught:
        orders.place(token="t", idempotency_key="k", card=CARD, shipping_address=ADDRESS)
    assert isinstance(caught.value, PaymentRequired)
    assert caught.value.decline_code == "insufficient_funds"
    assert caught.value.order_id == ORDER["id"]


def test_a_bare_402_is_still_a_decline():
    orders = OrdersClient(_http(lambda r: httpx.Response(402, text="declined")))
    with pytest.raises(CardDeclined) as caught:
        orders.place(token="t", idempotency_key="k", card=CARD, shipping_address=ADDRESS)
    assert (caught.value.decline_code, caught.value.order_id) == ("card_declined", None)


def test_a_slow_checkout_is_service_unavailable():
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    orders = OrdersClient(_http(slow))
    with pytest.raises(ServiceUnavailable, match="orders"):
        orders.place(token="t", idempotency_key="k", card=CARD, shipping_address=ADDRESS)


def test_the_history_asks_for_a_page_and_reads_the_total():
    seen: list[httpx.Request] = []
    body = {"items": [ORDER], "page": 2, "page_size": 10, "total": 11}
    orders = OrdersClient(_http(lambda r: httpx.Response(200, json=body), seen))
    page = orders.orders(token="t", page=2, page_size=10)
    assert dict(seen[0].url.params) == {"page": "2", "page_size": "10"}
    assert (page.total, len(page.items)) == (11, 1)


def test_an_order_id_is_quoted_into_the_path():
    seen: list[httpx.Request] = []
    orders = OrdersClient(_http(lambda r: httpx.Response(200, json=ORDER), seen))
    orders.order(token="t", order_id="a/b")
    assert seen[0].url.raw_path == b"/api/orders/a%2Fb"
