"""The other services as orders sees them: what the checkout saga, the relay, the recovery loop and
the admin's login ask of each, and the HTTP clients that ask it.

Every call goes through the kit's client (timeouts, client metrics, trace context) with this
service's token, except catalog's public reads. A peer that cannot be reached, times out or
answers 5xx is a `ServiceUnavailable`; answers the saga must act on are values or the exceptions
below. Card numbers pass through here and are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

import httpx

from polykit.auth import ServiceTokens
from polykit.errors import FieldError, ServiceUnavailable

if TYPE_CHECKING:
    from orders.config import OrdersSettings

log = logging.getLogger("polyshop.orders.clients")

# catalog answers at most this many SKUs per request.
CATALOG_SKUS_PER_REQUEST = 100


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price_cents: int
    currency: str


@dataclass(frozen=True)
class Reservation:
    id: str
    order_id: str
    status: str  # held | committed | released | expired


@dataclass(frozen=True)
class Payment:
    id: str
    order_id: str
    status: str  # captured | declined
    decline_code: str | None
    amount_cents: int
    refunded_cents: int
    card_brand: str
    card_last4: str

    @property
    def unrefunded_cents(self) -> int:
        return self.amount_cents - self.refunded_cents if self.status == "captured" else 0


class OutOfStock(Exception):
    """inventory held nothing: `errors` name each short SKU (`items.<sku>`)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("stock is short")
        self.errors = errors


class HoldGone(Exception):
    """The reservation can no longer be committed or released (expired, released, committed)."""


class RefundRefused(Exception):
    """payments would refund more than is left of the capture."""


class CardRejected(Exception):
    """payments refused the card's details (422): `errors` name the fields."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("card rejected")
        self.errors = errors


class Cart(Protocol):
    def lines(self, user_id: str) -> list[CartLine]: ...
    def clear(self, user_id: str) -> None: ...


class Catalog(Protocol):
    def products(self, skus: Sequence[str]) -> dict[str, Product]:
        """The products catalog sells among `skus`; unknown SKUs are left out."""
        ...


class Inventory(Protocol):
    def reserve(self, order_id: UUID, lines: Iterable[CartLine]) -> Reservation: ...
    def commit(self, reservation_id: str) -> Reservation: ...
    def release(self, reservation_id: str) -> Reservation: ...
    def reservations(self, order_id: UUID) -> list[Reservation]: ...


class Payments(Protocol):
    def charge(
        self,
        *,
        order_id: UUID,
        amount_cents: int,
        currency: str,
        card: dict[str, Any],
        idempotency_key: str,
    ) -> Payment: ...
    def payments(self, order_id: UUID) -> list[Payment]: ...
    def refund(self, payment_id: str, amount_cents: int) -> None: ...


class Notifications(Protocol):
    def publish(self, event: dict[str, Any]) -> None:
        """Delivered (202), or an exception saying why not."""
        ...


class Users(Protocol):
    def login(self, email: str, password: str, address: str | None = None) -> str | None:
        """An access token for these credentials, or None when users refuses them."""
        ...


class _Peer:
    """One service at `base_url`, called with this service's token unless `tokens` is None."""

    def __init__(
        self, name: str, base_url: str, client: httpx.Client, tokens: ServiceTokens | None
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.tokens = tokens

    def call(
        self, method: str, path: str, *, expect: Iterable[int], **kwargs: Any
    ) -> httpx.Response:
        """The response when its status is one of `expect`; else ServiceUnavailable."""
        headers = dict(kwargs.pop("headers", {}))
        if self.tokens is not None:
            headers |= self.tokens.headers()
        try:
            response = self.client.request(method, self.base_url + path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("%s did not answer %s %s: %s", self.name, method, path, type(exc).__name__)
            raise self.unavailable() from None
        if response.status_code not in set(expect):
            log.warning("%s answered %s to %s %s", self.name, response.status_code, method, path)
            raise self.unavailable()
        return response

    def unavailable(self) -> ServiceUnavailable:
        return ServiceUnavailable(f"The {self.name} service cannot be reached right now.")


def _field_errors(response: httpx.Response) -> list[FieldError]:
    try:
        errors = response.json().get("errors") or []
        return [FieldError(str(e["field"]), str(e["message"])) for e in errors]
    except (ValueError, AttributeError, KeyError, TypeError):
        return []


class CartClient:
    def __init__(self, base_url: str, *, client: httpx.Client, tokens: ServiceTokens) -> None:
        self.peer = _Peer("cart", base_url, client, tokens)

    def lines(self, user_id: str) -> list[CartLine]:
        response = self.peer.call("GET", f"/api/carts/{user_id}", expect={200, 404})
        if response.status_code == 404:  # a subject that is not a shopper's id has no cart
            return []
        return [CartLine(i["sku"], int(i["quantity"])) for i in response.json()["items"]]

    def clear(self, user_id: str) -> None:
        self.peer.call("DELETE", f"/api/carts/{user_id}", expect={200, 204})


class CatalogClient:
    def __init__(self, base_url: str, *, client: httpx.Client) -> None:
        self.peer = _Peer("catalog", base_url, client, tokens=None)

    def products(self, skus: Sequence[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        for start in range(0, len(skus), CATALOG_SKUS_PER_REQUEST):
            chunk = list(skus[start : start + CATALOG_SKUS_PER_REQUEST])
            params = [("sku", sku) for sku in chunk] + [("page_size", str(len(chunk)))]
            body = self.peer.call("GET", "/api/products", expect={200}, params=params).json()
            for item in body["items"]:
                found[item["sku"]] = Product(
                    sku=item["sku"],
                    name=item["name"],
                    price_cents=int(item["price_cents"]),
                    currency=item["currency"],
                )
        return found


class InventoryClient:
    def __init__(self, base_url: str, *, client: httpx.Client, tokens: ServiceTokens) -> None:
        self.peer = _Peer("inventory", base_url, client, tokens)

    def reserve(self, order_id: UUID, lines: Iterable[CartLine]) -> Reservation:
        body = {
            "order_id": str(order_id),
            "items": [{"sku": line.sku, "quantity": line.quantity} for line in lines],
        }
        response = self.peer.call("POST", "/api/reservations", expect={200, 201, 409}, json=body)
        if response.status_code == 409:
            raise OutOfStock(_field_errors(response))
        return _reservation(response.json())

    def commit(self, reservation_id: str) -> Reservation:
        return self._settle(reservation_id, "commit")

    def release(self, reservation_id: str) -> Reservation:
        return self._settle(reservation_id, "release")

    def _settle(self, reservation_id: str, action: str) -> Reservation:
        response = self.peer.call(
            "POST", f"/api/reservations/{reservation_id}/{action}", expect={200, 404, 409}
        )
        if response.status_code != 200:
            raise HoldGone(f"{action} refused with {response.status_code}")
        return _reservation(response.json())

    def reservations(self, order_id: UUID) -> list[Reservation]:
        response = self.peer.call(
            "GET", "/api/reservations", expect={200}, params={"order_id": str(order_id)}
        )
        return [_reservation(item) for item in response.json()["items"]]


def _reservation(body: dict[str, Any]) -> Reservation:
    return Reservation(id=str(body["id"]), order_id=str(body["order_id"]), status=body["status"])


class PaymentsClient:
    def __init__(self, base_url: str, *, client: httpx.Client, tokens: ServiceTokens) -> None:
        self.peer = _Peer("payments", base_url, client, tokens)

    def charge(
        self,
        *,
        order_id: UUID,
        amount_cents: int,
        currency: str,
        card: dict[str, Any],
        idempotency_key: str,
    ) -> Payment:
        body = {
            "order_id": str(order_id),
            "amount_cents": amount_cents,
            "currency": currency,
            "card": card,
        }
        # 409: the same key is still running there (a retry of ours overtook it); the order
        # stays pending and the recovery loop asks payments later what came of it.
        response = self.peer.call(
            "POST",
            "/api/payments",
            expect={200, 201, 422},
            json=body,
            headers={"Idempotency-Key": idempotency_key},
        )
        if response.status_code == 422:
            raise CardRejected(_field_errors(response))
        return _payment(response.json())

    def payments(self, order_id: UUID) -> list[Payment]:
        response = self.peer.call(
            "GET", "/api/payments", expect={200}, params={"order_id": str(order_id)}
        )
        return [_payment(item) for item in response.json()["items"]]

    def refund(self, payment_id: str, amount_cents: int) -> None:
        response = self.peer.call(
            "POST",
            f"/api/payments/{payment_id}/refunds",
            expect={200, 201, 409},
            json={"amount_cents": amount_cents},
        )
        if response.status_code == 409:
            raise RefundRefused("payments refuses to refund more than is left of the capture")


def _payment(body: dict[str, Any]) -> Payment:
    card = body.get("card") or {}
    return Payment(
        id=str(body["id"]),
        order_id=str(body["order_id"]),
        status=body["status"],
        decline_code=body.get("decline_code"),
        amount_cents=int(body["amount_cents"]),
        refunded_cents=int(body.get("refunded_cents") or 0),
        card_brand=str(card.get("brand") or ""),
        card_last4=str(card.get("last4") or ""),
    )


class NotificationsClient:
    def __init__(self, base_url: str, *, client: httpx.Client, tokens: ServiceTokens) -> None:
        self.peer = _Peer("notifications", base_url, client, tokens)

    def publish(self, event: dict[str, Any]) -> None:
        self.peer.call("POST", "/api/events", expect={200, 201, 202}, json=event)


class UsersClient:
    def __init__(self, base_url: str, *, client: httpx.Client, tokens: ServiceTokens) -> None:
        self.peer = _Peer("users", base_url, client, tokens=None)
        self.tokens = tokens

    def login(self, email: str, password: str, address: str | None = None) -> str | None:
        # users counts failed logins per address, and every admin login reaches it from here:
        # like the storefront, we vouch for the browser's address with our service token.
        headers = self.tokens.headers() | {"X-Forwarded-For": address} if address else {}
        response = self.peer.call(
            "POST",
            "/api/tokens",
            expect={200, 400, 401, 422, 429},
            json={"email": email, "password": password},
            headers=headers,
        )
        if response.status_code != 200:
            return None
        return str(response.json()["access_token"])


@dataclass(frozen=True)
class Peers:
    """Every service orders talks to; tests build one of fakes."""

    cart: Cart
    catalog: Catalog
    inventory: Inventory
    payments: Payments
    notifications: Notifications
    users: Users

    @classmethod
    def over_http(
        cls, settings: OrdersSettings, *, client: httpx.Client, tokens: ServiceTokens
    ) -> Peers:
        return cls(
            cart=CartClient(settings.cart_url, client=client, tokens=tokens),
            catalog=CatalogClient(settings.catalog_url, client=client),
            inventory=InventoryClient(settings.inventory_url, client=client, tokens=tokens),
            payments=PaymentsClient(settings.payments_url, client=client, tokens=tokens),
            notifications=NotificationsClient(
                settings.notifications_url, client=client, tokens=tokens
            ),
            users=UsersClient(settings.users_url, client=client, tokens=tokens),
        )
