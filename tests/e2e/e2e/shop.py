"""Shopper and operator verbs over the store's APIs: what the journeys are written in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import httpx

from e2e.api_client import TIMEOUT
from e2e.matrix import BY_NAME


def url(service: str, path: str) -> str:
    return f"{BY_NAME[service].url}{path}"


def call(service: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, url(service, path), timeout=TIMEOUT, **kwargs)


def products(**params: object) -> dict:
    response = call("catalog", "GET", "/api/products", params=params)
    response.raise_for_status()
    return response.json()


def categories() -> list[dict]:
    response = call("catalog", "GET", "/api/categories")
    response.raise_for_status()
    return response.json()["items"]


@dataclass
class Shopper:
    name: str = "Ada Shopper"
    email: str = field(default_factory=lambda: f"ada-{uuid.uuid4().hex[:10]}@example.com")
    password: str = "correct horse battery staple"
    token: str | None = None

    def register(self) -> httpx.Response:
        return call(
            "users",
            "POST",
            "/api/users",
            json={"email": self.email, "password": self.password, "name": self.name},
        )

    def login(self, password: str | None = None) -> httpx.Response:
        response = call(
            "users",
            "POST",
            "/api/tokens",
            json={"email": self.email, "password": password or self.password},
        )
        if response.status_code == 200:
            self.token = response.json()["access_token"]
        return response

    def signed_up(self) -> Shopper:
        assert self.register().status_code == 201
        assert self.login().status_code == 200
        return self

    @property
    def auth(self) -> dict[str, str]:
        assert self.token, "log in first"
        return {"Authorization": f"Bearer {self.token}"}

    def me(self) -> httpx.Response:
        return call("users", "GET", "/api/users/me", headers=self.auth)

    def cart(self) -> dict:
        response = call("cart", "GET", "/api/cart", headers=self.auth)
        response.raise_for_status()
        return response.json()

    def set_quantity(self, sku: str, quantity: object) -> httpx.Response:
        return call(
            "cart", "PUT", f"/api/cart/items/{sku}", json={"quantity": quantity}, headers=self.auth
        )

    def remove(self, sku: str) -> httpx.Response:
        return call("cart", "DELETE", f"/api/cart/items/{sku}", headers=self.auth)

    def empty_cart(self) -> httpx.Response:
        return call("cart", "DELETE", "/api/cart", headers=self.auth)

    def user_id(self) -> str:
        return self.me().json()["id"]


def quantities(cart: dict) -> dict[str, int]:
    return {item["sku"]: item["quantity"] for item in cart["items"]}


# --- checkout --------------------------------------------------------------------------------

GOOD_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}
DECLINED_CARD = GOOD_CARD | {"number": "4000000000000002"}
ADDRESS = {
    "name": "Ada Shopper",
    "line1": "1 Analytical Way",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "GB",
}
STAFF = {"email": "staff@polyshop.local", "password": "local-only-staff-password"}


def checkout(
    shopper: Shopper, *, card: dict | None = None, key: str | None = None, **body: object
) -> httpx.Response:
    payload = {"card": card or GOOD_CARD, "shipping_address": ADDRESS} | body
    headers = shopper.auth | {"Idempotency-Key": key or uuid.uuid4().hex}
    return call("orders", "POST", "/api/orders", json=payload, headers=headers)


def stock(sku: str) -> int:
    response = call("inventory", "GET", f"/api/stock/{sku}")
    response.raise_for_status()
    return response.json()["available"]


def staff_auth() -> dict[str, str]:
    response = call("users", "POST", "/api/tokens", json=STAFF)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def payments_of(order_id: str, auth: dict[str, str]) -> list[dict]:
    response = call("payments", "GET", "/api/payments", params={"order_id": order_id}, headers=auth)
    response.raise_for_status()
    return response.json()["items"]


def order(shopper: Shopper, order_id: str) -> httpx.Response:
    return call("orders", "GET", f"/api/orders/{order_id}", headers=shopper.auth)


def orders_of(shopper: Shopper) -> list[dict]:
    response = call("orders", "GET", "/api/orders", headers=shopper.auth)
    response.raise_for_status()
    return response.json()["items"]


def prices(skus: list[str]) -> dict[str, int]:
    items = products(sku=skus, page_size=len(skus))["items"]
    return {p["sku"]: p["price_cents"] for p in items}
