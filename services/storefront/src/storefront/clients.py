"""The storefront's view of the other services: one small client per service.

Each call goes through a kit client (timeouts, client metrics, trace propagation) and turns the
answer into the kit's problem family: a timeout, a refused connection or a 5xx is
ServiceUnavailable; a 4xx problem comes back as the same problem with its field errors. A
shopper's bearer token is passed per call, never kept on the client.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from polykit.auth import ServiceTokens
from polykit.errors import (
    FieldError,
    PaymentRequired,
    ServiceUnavailable,
    TooManyRequests,
    problem_from_status,
)
from storefront.schemas import (
    Account,
    Card,
    Cart,
    Category,
    Order,
    OrderPage,
    Product,
    ProductPage,
    ShippingAddress,
    TokenGrant,
)

log = logging.getLogger("polyshop.storefront")

# catalog caps a page at 100 products, so a cart of more distinct SKUs is asked in batches.
CATALOG_MAX_PAGE_SIZE = 100
# Headers of an image answer worth passing on to the browser, as catalog sent them.
IMAGE_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Encoding",
    "Cache-Control",
    "ETag",
    "Last-Modified",
    "Vary",
)


def raise_for_problem(response: httpx.Response, service: str) -> None:
    """Nothing for a success; otherwise the problem the service answered, as a kit error."""
    status = response.status_code
    if status < 400:
        return
    if status >= 500:
        raise ServiceUnavailable(f"The {service} service is not answering.")
    body = _json_or_empty(response)
    detail = body.get("detail") if isinstance(body.get("detail"), str) else None
    if status == 429:
        problem = TooManyRequests(detail, retry_after=_retry_after(response))
    else:
        problem = problem_from_status(status, detail)
    problem.errors = [
        FieldError(str(error.get("field", "")), str(error.get("message", "")))
        for error in body.get("errors") or []
        if isinstance(error, dict)
    ]
    raise problem


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response) -> int:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else 1


def _bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


class _ServiceClient:
    service: ClassVar[str]

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def _call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        check: bool = True,
        **kwargs: Any,
    ):
        try:
            response = self.http.request(
                method, path, headers=_bearer(token) | (headers or {}), **kwargs
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"The {self.service} service is not answering.") from exc
        if check:
            raise_for_problem(response, self.service)
        return response


class UsersClient(_ServiceClient):
    service = "users"

    def __init__(self, http: httpx.Client, service_tokens: ServiceTokens | None = None) -> None:
        super().__init__(http)
        self.service_tokens = service_tokens

    def register(self, *, email: str, password: str, name: str) -> Account:
        body = {"email": email, "password": password, "name": name}
        return Account.model_validate(self._call("POST", "/api/users", json=body).json())

    def token(self, *, email: str, password: str, address: str | None = None) -> TokenGrant:
        """A shopper's token. users counts failed logins per address, and every shopper
        reaches it through us: we vouch for the shopper's own address with our service token."""
        body = {"email": email, "password": password}
        headers = {}
        if address and self.service_tokens is not None:
            headers = self.service_tokens.headers() | {"X-Forwarded-For": address}
        response = self._call("POST", "/api/tokens", json=body, headers=headers)
        return TokenGrant.model_validate(response.json())

    def me(self, *, token: str) -> Account:
        return Account.model_validate(self._call("GET", "/api/users/me", token=token).json())


@dataclass
class ImageStream:
    status: int
    headers: dict[str, str]
    chunks: Iterator[bytes]
    close: Callable[[], None]


class CatalogClient(_ServiceClient):
    service = "catalog"

    def products(
        self, *, q: str | None = None, category: str | None = None, page: int, page_size: int
    ) -> ProductPage:
        params = {"q": q, "category": category, "page": page, "page_size": page_size}
        params = {key: value for key, value in params.items() if value}
        return ProductPage.model_validate(self._call("GET", "/api/products", params=params).json())

    def products_by_sku(self, *, skus: Sequence[str]) -> dict[str, Product]:
        """The named products in one call per hundred (catalog's repeated `sku=` filter); an
        unknown SKU is simply absent."""
        found: dict[str, Product] = {}
        unique = list(dict.fromkeys(skus))
        for start in range(0, len(unique), CATALOG_MAX_PAGE_SIZE):
            batch = unique[start : start + CATALOG_MAX_PAGE_SIZE]
            params = [("sku", sku) for sku in batch] + [("page_size", str(len(batch)))]
            page = ProductPage.model_validate(
                self._call("GET", "/api/products", params=params).json()
            )
            found.update((product.sku, product) for product in page.items)
        return found

    def product(self, *, sku: str) -> Product:
        return Product.model_validate(
            self._call("GET", f"/api/products/{quote(sku, safe='')}").json()
        )

    def categories(self) -> list[Category]:
        items = self._call("GET", "/api/categories").json()["items"]
        return [Category.model_validate(item) for item in items]

    def image(
        self, *, name: str, if_none_match: str | None = None, accept_encoding: str | None = None
    ) -> ImageStream:
        """catalog's image, streamed: the body is read as the browser takes it, untouched (so
        its Content-Length and Content-Encoding stay true)."""
        headers = {"Accept-Encoding": accept_encoding or "identity"}
        if if_none_match:
            headers["If-None-Match"] = if_none_match
        request = self.http.build_request("GET", f"/images/{quote(name)}", headers=headers)
        try:
            response = self.http.send(request, stream=True)
            if response.status_code not in (200, 304):
                response.read()
                response.close()
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("The catalog service is not answering.") from exc
        raise_for_problem(response, self.service)
        kept = {name: response.headers[name] for name in IMAGE_HEADERS if name in response.headers}
        return ImageStream(response.status_code, kept, _raw_chunks(response), response.close)


def _raw_chunks(response: httpx.Response) -> Iterator[bytes]:
    try:
        yield from response.iter_raw(chunk_size=64 * 1024)
    except httpx.HTTPError:
        # The headers are gone already: all that is left is to cut the body short.
        log.warning("catalog stopped sending an image part-way: %s", response.url.path)
    finally:
        response.close()


class CartClient(_ServiceClient):
    service = "cart"

    def cart(self, *, token: str) -> Cart:
        return Cart.model_validate(self._call("GET", "/api/cart", token=token).json())

    def set_quantity(self, *, token: str, sku: str, quantity: int) -> None:
        path = f"/api/cart/items/{quote(sku, safe='')}"
        self._call("PUT", path, token=token, json={"quantity": quantity})

    def remove(self, *, token: str, sku: str) -> None:
        self._call("DELETE", f"/api/cart/items/{quote(sku, safe='')}", token=token)


class CardDeclined(PaymentRequired):
    """orders' 402: the card was declined, and the order is kept as payment_failed."""

    def __init__(self, detail: str | None, *, decline_code: str, order_id: str | None) -> None:
        super().__init__(detail)
        self.decline_code = decline_code
        self.order_id = order_id


class OrdersClient(_ServiceClient):
    """orders, always with the shopper's own token: orders scopes everything to the caller."""

    service = "orders"

    def place(
        self, *, token: str, idempotency_key: str, card: Card, shipping_address: ShippingAddress
    ) -> Order:
        """Checks out the shopper's cart: the order (paid), or CardDeclined (the order is kept
        as payment_failed), Conflict (empty cart, short stock, the same key still
        running), ValidationFailed (naming `card.number`, `shipping_address.city`, …)."""
        body = {
            "card": card.model_dump(),
            "shipping_address": shipping_address.model_dump(exclude_none=True),
        }
        response = self._call(
            "POST",
            "/api/orders",
            token=token,
            headers={"Idempotency-Key": idempotency_key},
            json=body,
            check=False,
        )
        if response.status_code == 402:
            answer = _json_or_empty(response)
            order = answer.get("order")
            raise CardDeclined(
                answer.get("detail") if isinstance(answer.get("detail"), str) else None,
                decline_code=str(answer.get("decline_code") or "card_declined"),
                order_id=str(order["id"]) if isinstance(order, dict) and "id" in order else None,
            )
        raise_for_problem(response, self.service)
        return Order.model_validate(response.json())

    def orders(self, *, token: str, page: int, page_size: int) -> OrderPage:
        params = {"page": page, "page_size": page_size}
        return OrderPage.model_validate(
            self._call("GET", "/api/orders", token=token, params=params).json()
        )

    def order(self, *, token: str, order_id: str) -> Order:
        path = f"/api/orders/{quote(order_id, safe='')}"
        return Order.model_validate(self._call("GET", path, token=token).json())


@dataclass(frozen=True)
class InfoResult:
    name: str
    info: dict[str, object] | None
    latency_ms: float
    error: str | None = None


class ServiceDirectory:
    def __init__(self, client: httpx.Client, urls: dict[str, str]) -> None:
        self.client = client
        self.urls = urls
        self._pool = ThreadPoolExecutor(max_workers=len(urls), thread_name_prefix="directory")

    def info_one(self, name: str) -> InfoResult:
        started = time.perf_counter()
        try:
            response = self.client.get(f"{self.urls[name]}/api/info")
            response.raise_for_status()
            info, error = response.json(), None
        except httpx.HTTPError as exc:
            info, error = None, f"{type(exc).__name__}: {exc}"
        return InfoResult(name, info, round((time.perf_counter() - started) * 1000, 1), error)

    def info_all(self) -> list[InfoResult]:
        """Every service at once; each call runs in a copy of this context so its span joins
        the request's trace."""
        futures = [
            self._pool.submit(contextvars.copy_context().run, self.info_one, name)
            for name in self.urls
        ]
        return [future.result() for future in futures]
