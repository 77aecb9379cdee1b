"""Fakes of the services orders talks to, a fixed clock, and a shop to check out from: shared by
the unit and integration suites.

Each fake keeps the state its service would (stock, holds, captures) so tests assert what a user
would notice. A fake call named in `down` fails before doing anything, as if the service were
unreachable; one named in `lose_answer` does its work and then fails, as if the answer were lost
on the way back (or orders died just after asking).
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import connections
from django.test import Client

from orders import adapter
from orders.app import create_app
from orders.clients import (
    CardRejected,
    CartLine,
    HoldGone,
    OutOfStock,
    Payment,
    Peers,
    Product,
    RefundRefused,
    Reservation,
)
from orders.models import IdempotencyRecord, Order, OrderItem, OutboxEvent
from polykit.errors import FieldError, ServiceUnavailable
from polykit.health import Lifecycle
from polykit.testing import TestIssuer

VISA = {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2099, "cvc": "123"}
DECLINED = VISA | {"number": "4000000000000002"}
NO_FUNDS = VISA | {"number": "4000000000009995"}
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Marylebone Road",
    "city": "London",
    "postal_code": "NW1 5LR",
    "country": "gb",
}
PRODUCTS = {
    "KIT-MUG-001": Product("KIT-MUG-001", "Stoneware Mug", 1800, "USD"),
    "KIT-PAN-002": Product("KIT-PAN-002", "Cast Iron Pan", 4500, "USD"),
    "HOME-LAMP-003": Product("HOME-LAMP-003", "Reading Lamp", 7900, "USD"),
}


class FakeClock:
    def __init__(self, start: datetime = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class _Fake:
    def __init__(self) -> None:
        self.down: set[str] = set()
        self.lose_answer: set[str] = set()
        self.lock = threading.RLock()

    def _before(self, call: str) -> None:
        if call in self.down:
            raise ServiceUnavailable(f"{call} is down")

    def _after(self, call: str) -> None:
        if call in self.lose_answer:
            raise ServiceUnavailable(f"the answer to {call} was lost")


class FakeCart(_Fake):
    def __init__(self) -> None:
        super().__init__()
        self.carts: dict[str, list[CartLine]] = {}

    def put(self, user_id: str, *lines: tuple[str, int]) -> None:
        self.carts[user_id] = [CartLine(sku, quantity) for sku, quantity in lines]

    def lines(self, user_id: str) -> list[CartLine]:
        self._before("lines")
        return list(self.carts.get(user_id, []))

    def clear(self, user_id: str) -> None:
        self._before("clear")
        self.carts.pop(user_id, None)


class FakeCatalog(_Fake):
    def __init__(self, products: dict[str, Product] | None = None) -> None:
        super().__init__()
        self.catalog = dict(products or PRODUCTS)

    def products(self, skus: Iterable[str]) -> dict[str, Product]:
        self._before("products")
        return {sku: self.catalog[sku] for sku in skus if sku in self.catalog}


@dataclass
class Hold:
    id: str
    order_id: str
    items: dict[str, int]
    status: str = "held"


class FakeInventory(_Fake):
    def __init__(self, stock: int = 10) -> None:
        super().__init__()
        self.available = dict.fromkeys(PRODUCTS, stock)
        self.holds: dict[str, Hold] = {}
        # Called as a commit begins: tests let time pass there.
        self.on_commit: Callable[[], None] = lambda: None

    def reserve(self, order_id: UUID, lines: Iterable[CartLine]) -> Reservation:
        self._before("reserve")
        with self.lock:
            hold = next((h for h in self.holds.values() if h.order_id == str(order_id)), None)
            if hold is None:
                items = {line.sku: line.quantity for line in lines}
                short = [sku for sku, n in items.items() if self.available.get(sku, 0) < n]
                if short:
                    raise OutOfStock(
                        [FieldError(f"items.{sku}", "Not enough in stock.") for sku in short]
                    )
                for sku, quantity in items.items():
                    self.available[sku] -= quantity
                hold = Hold(str(uuid.uuid4()), str(order_id), items)
                self.holds[hold.id] = hold
        self._after("reserve")
        return self._view(hold)

    def commit(self, reservation_id: str) -> Reservation:
        self._before("commit")
        self.on_commit()
        with self.lock:
            hold = self.holds[reservation_id]
            if hold.status not in ("held", "committed"):
                raise HoldGone(hold.status)
            hold.status = "committed"
        self._after("commit")
        return self._view(hold)

    def release(self, reservation_id: str) -> Reservation:
        self._before("release")
        with self.lock:
            hold = self.holds[reservation_id]
            if hold.status == "committed":
                raise HoldGone(hold.status)
            if hold.status == "held":
                self._give_back(hold, "released")
        return self._view(hold)

    def expire(self, order_id: UUID) -> None:
        """What inventory's sweeper does to a hold that outlived its TTL."""
        for hold in self.holds.values():
            if hold.order_id == str(order_id) and hold.status == "held":
                self._give_back(hold, "expired")

    def reservations(self, order_id: UUID) -> list[Reservation]:
        self._before("reservations")
        return [self._view(h) for h in self.holds.values() if h.order_id == str(order_id)]

    def held(self) -> int:
        return sum(sum(h.items.values()) for h in self.holds.values() if h.status == "held")

    def _give_back(self, hold: Hold, status: str) -> None:
        for sku, quantity in hold.items.items():
            self.available[sku] += quantity
        hold.status = status

    @staticmethod
    def _view(hold: Hold) -> Reservation:
        return Reservation(hold.id, hold.order_id, hold.status)


class FakePayments(_Fake):
    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, Payment] = {}
        self.by_key: dict[str, str] = {}
        self.cards_seen: list[dict[str, Any]] = []
        # Called as a charge begins, outside the lock: tests hold a checkout there.
        self.on_charge: Callable[[], None] = lambda: None

    def charge(
        self,
        *,
        order_id: UUID,
        amount_cents: int,
        currency: str,
        card: dict[str, Any],
        idempotency_key: str,
    ) -> Payment:
        self._before("charge")
        self.on_charge()
        number = card["number"]
        if number == "4111111111111111":
            raise CardRejected([FieldError("card.number", "Not a card we know.")])
        with self.lock:
            if idempotency_key not in self.by_key:
                self.cards_seen.append(card)
                decline = {
                    "4000000000000002": "card_declined",
                    "4000000000009995": "insufficient_funds",
                }
                code = decline.get(number)
                payment = Payment(
                    id=str(uuid.uuid4()),
                    order_id=str(order_id),
                    status="declined" if code else "captured",
                    decline_code=code,
                    amount_cents=amount_cents,
                    refunded_cents=0,
                    card_brand="visa",
                    card_last4=number[-4:],
                )
                self.by_id[payment.id] = payment
                self.by_key[idempotency_key] = payment.id
            payment = self.by_id[self.by_key[idempotency_key]]
        self._after("charge")
        return payment

    def payments(self, order_id: UUID) -> list[Payment]:
        self._before("payments")
        return [p for p in self.by_id.values() if p.order_id == str(order_id)]

    def refund(self, payment_id: str, amount_cents: int) -> None:
        self._before("refund")
        with self.lock:
            payment = self.by_id[payment_id]
            if amount_cents > payment.unrefunded_cents:
                raise RefundRefused(payment_id)
            self.by_id[payment_id] = replace(
                payment, refunded_cents=payment.refunded_cents + amount_cents
            )
        self._after("refund")

    def captures(self, order_id: UUID | str) -> list[Payment]:
        """Captures of this order that have not been refunded."""
        return [
            p for p in self.by_id.values() if p.order_id == str(order_id) and p.unrefunded_cents
        ]


class FakeNotifications(_Fake):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []
        self.failures_left = 0

    def publish(self, event: dict[str, Any]) -> None:
        self._before("publish")
        with self.lock:
            if self.failures_left:
                self.failures_left -= 1
                raise ServiceUnavailable("notifications answered 503")
            self.events.append(event)


class FakeUsers(_Fake):
    def __init__(self, issuer: TestIssuer) -> None:
        super().__init__()
        self.issuer = issuer
        self.accounts: dict[str, tuple[str, tuple[str, ...]]] = {}

    def login(self, email: str, password: str, address: str | None = None) -> str | None:
        self._before("login")
        account = self.accounts.get(email.lower())
        if account is None or account[0] != password:
            return None
        return self.issuer.token(roles=account[1])


@dataclass
class Shop:
    """orders with fakes around it, served through Django's test client."""

    issuer: TestIssuer = field(default_factory=TestIssuer)
    clock: FakeClock = field(default_factory=FakeClock)
    cart: FakeCart = field(default_factory=FakeCart)
    catalog: FakeCatalog = field(default_factory=FakeCatalog)
    inventory: FakeInventory = field(default_factory=FakeInventory)
    payments: FakePayments = field(default_factory=FakePayments)
    notifications: FakeNotifications = field(default_factory=FakeNotifications)
    users: FakeUsers | None = None
    keys: Any = field(default_factory=lambda: (f"key-{n}" for n in itertools.count()))

    def __post_init__(self) -> None:
        self.users = self.users or FakeUsers(self.issuer)
        create_app(
            lifecycle=Lifecycle(),
            verifier=self.issuer.verifier(),
            peers=Peers(
                cart=self.cart,
                catalog=self.catalog,
                inventory=self.inventory,
                payments=self.payments,
                notifications=self.notifications,
                users=self.users,
            ),
            clock=self.clock,
        )
        self.client = Client()

    @property
    def deps(self) -> Any:
        return adapter.current().checkout

    def shopper(self, *lines: tuple[str, int], roles: tuple[str, ...] = ("customer",)) -> Shopper:
        shopper = Shopper(self, str(uuid.uuid4()), roles)
        if lines:
            self.cart.put(shopper.user_id, *lines)
        return shopper


@dataclass
class Shopper:
    shop: Shop
    user_id: str
    roles: tuple[str, ...]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.shop.issuer.token(self.user_id, roles=self.roles)}"}

    def checkout(
        self,
        *,
        key: str | None = None,
        card: dict[str, Any] = VISA,
        address: dict[str, Any] = ADDRESS,
        client: Client | None = None,
    ) -> Any:
        key = key or next(self.shop.keys)
        return (client or self.shop.client).post(
            "/api/orders",
            {"card": card, "shipping_address": address},
            content_type="application/json",
            headers=self.headers | {"Idempotency-Key": key},
        )

    def orders(self, **params: Any) -> Any:
        return self.shop.client.get("/api/orders", params, headers=self.headers)

    def order(self, order_id: str) -> Any:
        return self.shop.client.get(f"/api/orders/{order_id}", headers=self.headers)


def empty_tables() -> None:
    from django.contrib.auth import get_user_model

    for model in (OrderItem, Order, OutboxEvent, IdempotencyRecord, get_user_model()):
        model.objects.all().delete()
    connections.close_all()
