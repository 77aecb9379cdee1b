"""A shopper using the storefront's pages as a browser would, without one: cookies kept, forms
posted with the CSRF token and hidden fields the page gave, redirects not followed (the suite
looks at them)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from e2e.api_client import TIMEOUT
from e2e.matrix import BY_NAME

_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)


def hidden_value(page: str, name: str) -> str:
    """The value of the named <input> in the page."""
    for tag in _INPUT.findall(page):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            if value:
                return value.group(1)
    raise AssertionError(f"no {name!r} input in the page")


@dataclass
class StorefrontShopper:
    name: str = "Grace Browser"
    email: str = field(default_factory=lambda: f"grace-{uuid.uuid4().hex[:10]}@example.com")
    password: str = "correct horse battery staple"
    client: httpx.Client = field(
        default_factory=lambda: httpx.Client(base_url=BY_NAME["storefront"].url, timeout=TIMEOUT)
    )

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def submit(
        self, form_page: str, action: str, data: dict[str, object], **kwargs: object
    ) -> httpx.Response:
        """POST a form from `form_page` (a path) with its CSRF token, as the page would."""
        page = self.get(form_page)
        page.raise_for_status()
        token = hidden_value(page.text, "csrf_token")
        return self.client.post(action, data={"csrf_token": token, **data}, **kwargs)

    def register(self) -> httpx.Response:
        return self.submit(
            "/register",
            "/register",
            {"name": self.name, "email": self.email, "password": self.password},
        )

    def login(self, password: str | None = None) -> httpx.Response:
        return self.submit(
            "/login", "/login", {"email": self.email, "password": password or self.password}
        )

    def logout(self) -> httpx.Response:
        return self.submit("/", "/logout", {})

    def add_to_cart(self, sku: str, quantity: int = 1) -> httpx.Response:
        return self.submit(f"/products/{sku}", f"/products/{sku}/add", {"quantity": quantity})

    def checkout(self, card_number: str, **kwargs: object) -> httpx.Response:
        """The checkout form filled in and sent: 303 to the order when paid, 402 declined."""
        page = self.get("/checkout")
        page.raise_for_status()
        form = {
            "csrf_token": hidden_value(page.text, "csrf_token"),
            "idempotency_key": hidden_value(page.text, "idempotency_key"),
            "name": self.name,
            "line1": "1 Analytical Way",
            "city": "London",
            "postal_code": "N1 9GU",
            "country": "GB",
            "number": card_number,
            "exp_month": "12",
            "exp_year": str(datetime.now(UTC).year + 2),
            "cvc": "123",
        }
        return self.client.post("/checkout", data=form, **kwargs)

    def close(self) -> None:
        self.client.close()
