"""Shoppers as Locust users: weighted journeys through the store, each with its own account.

Browsing goes through the storefront's pages, as a browser's would (the storefront then calls
catalog); the account, the cart and the checkout go to the APIs the pages use (users, cart,
orders), with the shopper's own token. Product pages get the most traffic, then the home page,
categories and search; some shoppers fill carts, fewer check out, mostly with the good card.
Every request carries W3C baggage `synthetic=true`.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote

from gevent.lock import Semaphore
from locust import FastHttpUser, between, task

from loadgen import store

# Tokens live 15 minutes (design.md); a shopper logs in again well before.
TOKEN_REFRESH_SECONDS = 600
RESTOCK_TO = 1000


def _seconds(variable: str, default: float) -> float:
    return float(os.environ.get(variable, default))


@dataclass
class Catalog:
    """What a shopper can ask for: read once per process from catalog's API."""

    skus: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    @classmethod
    def from_api(cls, products: list[dict[str, Any]], categories: list[dict[str, Any]]) -> Catalog:
        words = sorted({w.lower() for p in products for w in p["name"].split() if len(w) > 3})
        return cls(
            skus=[p["sku"] for p in products],
            categories=[c["slug"] for c in categories],
            words=words,
        )


class ShopperSteps:
    """What every shopper does, whatever its journeys: a mixin for Locust's FastHttpUser, which
    provides `client`. `Shopper` below weighs them into journeys; `make bench` builds its own
    single-minded users from the same steps."""

    client: Any
    decline_share = store.DECLINE_SHARE

    catalog: ClassVar[Catalog | None] = None
    _catalog_lock: ClassVar[Semaphore] = Semaphore()
    staff: ClassVar[store.Staff | None] = store.Staff.from_env()
    _staff_token: ClassVar[str | None] = None

    def on_start(self) -> None:
        self.rng = random.Random()  # noqa: S311 (shopper behaviour, not secrets)
        self.urls = {name: store.url(name) for name in store.LOCAL_PORTS}
        self.cart: dict[str, int] = {}
        self.orders: list[str] = []
        self.logged_in_at = 0.0
        self.load_catalog()
        self.sign_in()

    # --- the account ---------------------------------------------------------------------

    def sign_in(self) -> None:
        """Register an account of this shopper's own, then log into it."""
        self.account = store.Account.new()
        body = {
            "email": self.account.email,
            "password": self.account.password,
            "name": self.account.name,
        }
        self.api("POST", "users", "/api/users", json=body, expect=(201,), auth=False)
        self.log_in()

    def log_in(self) -> None:
        body = {"email": self.account.email, "password": self.account.password}
        response = self.api("POST", "users", "/api/tokens", json=body, auth=False)
        if response.status_code == 200:
            self.account.token = response.json()["access_token"]
            self.logged_in_at = time.monotonic()

    # --- how requests are made -------------------------------------------------------------

    def page(self, path: str, *, name: str | None = None) -> Any:
        return self.client.get(path, name=f"storefront {name or path}")

    def api(
        self,
        method: str,
        service: str,
        path: str,
        *,
        name: str | None = None,
        expect: tuple[int, ...] = (200,),
        auth: bool = True,
        **kwargs: Any,
    ) -> Any:
        """A call to one of the store's APIs; a status outside `expect` counts as a failure."""
        if auth and time.monotonic() - self.logged_in_at > TOKEN_REFRESH_SECONDS:
            self.log_in()
        headers = dict(self.account.auth) if auth else {}
        headers.update(kwargs.pop("headers", {}))
        with self.client.request(
            method,
            f"{self.urls[service]}{path}",
            name=f"{service} {name or path}",
            headers=headers,
            catch_response=True,
            **kwargs,
        ) as response:
            if response.status_code in expect:
                response.success()
            else:
                text = (response.text or "")[:200] if response.status_code else ""
                response.failure(f"{response.status_code}: {text}")
        return response

    def load_catalog(self) -> None:
        with ShopperSteps._catalog_lock:
            if ShopperSteps.catalog is not None:
                return
            products = self.api(
                "GET", "catalog", "/api/products?page_size=100", name="/api/products", auth=False
            )
            categories = self.api("GET", "catalog", "/api/categories", auth=False)
            if products.status_code == 200 and categories.status_code == 200:
                ShopperSteps.catalog = Catalog.from_api(
                    products.json()["items"], categories.json()["items"]
                )

    @property
    def known(self) -> Catalog:
        if ShopperSteps.catalog is None:
            self.load_catalog()
        return ShopperSteps.catalog or Catalog(skus=[], categories=[], words=[])

    # --- steps the journeys share ----------------------------------------------------------

    def set_quantity(self, sku: str, quantity: int) -> None:
        response = self.api(
            "PUT",
            "cart",
            f"/api/cart/items/{sku}",
            name="/api/cart/items/[sku]",
            json={"quantity": quantity},
        )
        if response.status_code == 200:
            self.cart[sku] = quantity

    def place_order(self, card: dict[str, Any], *, expect: int) -> Any:
        """POST /api/orders with a fresh Idempotency-Key: 201 paid (the cart is emptied), 402
        declined (the cart is kept), 409 short stock (restocked, or the items dropped)."""
        response = self.api(
            "POST",
            "orders",
            "/api/orders",
            json={"card": card, "shipping_address": store.ADDRESS},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            expect=(expect, 409),
        )
        if response.status_code == 201:
            self.cart.clear()
            self.orders = [response.json()["id"], *self.orders[:19]]
        elif response.status_code == 409:
            short = store.short_skus(response.json())
            if short and not self.restock(short):
                for sku in short:
                    self.api(
                        "DELETE", "cart", f"/api/cart/items/{sku}", name="/api/cart/items/[sku]"
                    )
                    self.cart.pop(sku, None)
        return response

    def restock(self, skus: list[str]) -> bool:
        """Put the short SKUs back on the shelf as staff, when the load generator has a staff
        account: a run of days would otherwise sell the store out."""
        if self.staff is None:
            return False
        if ShopperSteps._staff_token is None:
            body = {"email": self.staff.email, "password": self.staff.password}
            response = self.api("POST", "users", "/api/tokens", json=body, auth=False)
            if response.status_code != 200:
                return False
            ShopperSteps._staff_token = response.json()["access_token"]
        for sku in skus:
            response = self.api(
                "PUT",
                "inventory",
                f"/api/stock/{sku}",
                name="/api/stock/[sku]",
                json={"available": RESTOCK_TO},
                headers={"Authorization": f"Bearer {ShopperSteps._staff_token}"},
                auth=False,
                expect=(200, 401),
            )
            if response.status_code == 401:
                ShopperSteps._staff_token = None  # expired: log in again next time
                return False
        return True


class Shopper(ShopperSteps, FastHttpUser):
    """A shopper walking the store: product pages most, then browsing and search, some carts,
    fewer checkouts (one in ten with the declined card), now and then its orders."""

    # Locust's "host" is the storefront; the APIs are called by their absolute URLs.
    host = store.url("storefront")
    wait_time = between(_seconds("THINK_MIN_SECONDS", 1), _seconds("THINK_MAX_SECONDS", 5))
    default_headers = store.HEADERS

    @task(20)
    def view_product(self) -> None:
        if self.known.skus:
            self.page(f"/products/{self.rng.choice(self.known.skus)}", name="/products/[sku]")

    @task(5)
    def home(self) -> None:
        self.page("/")

    @task(5)
    def browse_category(self) -> None:
        if self.known.categories:
            category = self.rng.choice(self.known.categories)
            self.page(f"/?category={category}", name="/?category=[slug]")

    @task(4)
    def search(self) -> None:
        if self.known.words:
            self.page(f"/?q={quote(self.rng.choice(self.known.words))}", name="/?q=[term]")

    @task(6)
    def add_to_cart(self) -> None:
        if not self.known.skus:
            return
        sku = self.rng.choice(self.known.skus)
        self.set_quantity(sku, min(99, self.cart.get(sku, 0) + self.rng.randint(1, 2)))

    @task(2)
    def change_cart(self) -> None:
        if not self.cart:
            self.add_to_cart()
            return
        sku = self.rng.choice(sorted(self.cart))
        if self.rng.random() < 0.3:
            self.api("DELETE", "cart", f"/api/cart/items/{sku}", name="/api/cart/items/[sku]")
            self.cart.pop(sku, None)
        else:
            self.set_quantity(sku, self.rng.randint(1, 3))

    @task(3)
    def check_out(self) -> None:
        if not self.cart:
            self.add_to_cart()
        card, declined = store.pick_card(self.rng, self.decline_share)
        self.place_order(card, expect=402 if declined else 201)

    @task(2)
    def view_orders(self) -> None:
        self.api("GET", "orders", "/api/orders")
        if self.orders:
            order_id = self.rng.choice(self.orders)
            self.api("GET", "orders", f"/api/orders/{order_id}", name="/api/orders/[id]")

    @task(1)
    def log_in_again(self) -> None:
        self.log_in()
