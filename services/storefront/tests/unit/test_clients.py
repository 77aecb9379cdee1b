"""The service clients against fake transports: what goes out, and how answers come back."""

from __future__ import annotations

import json

import httpx
import pytest

from polykit.errors import (
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from polykit.http import make_client
from polykit.metrics import Metrics
from storefront.clients import CartClient, CatalogClient, UsersClient

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
