"""Fakes of the three services the pages use, and an app wired to them."""

from __future__ import annotations

import uuid

import pytest

from polykit.errors import (
    Conflict,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from storefront.app import create_app
from storefront.clients import InfoResult
from storefront.schemas import Account, Cart, CartItem, Category, Product, ProductPage, TokenGrant
from storefront.settings import StorefrontSettings

CATEGORIES = [
    Category(slug="kitchen", name="Kitchen", description="Cook well.", product_count=14),
    Category(slug="garden", name="Garden", description="Grow things.", product_count=10),
    Category(slug="books", name="Books", description="Read more.", product_count=6),
]


def _products() -> list[Product]:
    products = []
    for category, count in (("kitchen", 14), ("garden", 10), ("books", 6)):
        for n in range(1, count + 1):
            products.append(
                Product(
                    sku=f"{category[:3].upper()}-{n:03d}",
                    name=f"{category.title()} thing {n}",
                    description=f"A fine {category} thing, number {n}.",
                    category=category,
                    price_cents=1000 + n * 100 + 99,
                    currency="USD",
                    image_url=f"/images/{category[:3].upper()}-{n:03d}.svg",
                )
            )
    return products


class FakeDirectory:
    def __init__(self, results: list[InfoResult]) -> None:
        self.results = results

    def info_all(self) -> list[InfoResult]:
        return self.results


class FakeCatalog:
    def __init__(self) -> None:
        self.items = {p.sku: p for p in _products()}
        self.down = False
        self.by_sku_calls: list[list[str]] = []

    def _answer(self) -> None:
        if self.down:
            raise ServiceUnavailable("The catalog service is not answering.")

    def products(self, *, q=None, category=None, page, page_size) -> ProductPage:
        self._answer()
        found = [
            p
            for p in self.items.values()
            if (not q or q.lower() in p.name.lower()) and (not category or p.category == category)
        ]
        start = (page - 1) * page_size
        return ProductPage(
            items=found[start : start + page_size], page=page, page_size=page_size, total=len(found)
        )

    def products_by_sku(self, *, skus) -> dict[str, Product]:
        self._answer()
        self.by_sku_calls.append(list(skus))
        return {sku: self.items[sku] for sku in skus if sku in self.items}

    def product(self, *, sku: str) -> Product:
        self._answer()
        if sku not in self.items:
            raise NotFound(f"No product with SKU {sku}.")
        return self.items[sku]

    def categories(self) -> list[Category]:
        self._answer()
        return CATEGORIES


class FakeCart:
    def __init__(self, catalog: FakeCatalog) -> None:
        self.catalog = catalog
        self.lines: dict[str, dict[str, int]] = {}
        self.expired: set[str] = set()
        self.down = False

    def _lines(self, token: str) -> dict[str, int]:
        if self.down:
            raise ServiceUnavailable("The cart service is not answering.")
        if token in self.expired:
            raise Unauthorized("The token has expired.")
        return self.lines.setdefault(token, {})

    def cart(self, *, token: str) -> Cart:
        lines = self._lines(token)
        return Cart(
            items=[CartItem(sku=s, quantity=q) for s, q in lines.items()],
            item_count=sum(lines.values()),
        )

    def set_quantity(self, *, token: str, sku: str, quantity: int) -> None:
        lines = self._lines(token)
        if sku not in self.catalog.items:
            raise NotFound(f"No product with SKU {sku}.")
        if quantity:
            lines[sku] = quantity
        else:
            lines.pop(sku, None)

    def remove(self, *, token: str, sku: str) -> None:
        self._lines(token).pop(sku, None)


class FakeUsers:
    def __init__(self) -> None:
        self.accounts: dict[str, tuple[str, Account]] = {}
        self.tokens: dict[str, Account] = {}
        self.down = False
        self.retry_after: int | None = None
        self.reject: ValidationFailed | None = None

    def _answer(self) -> None:
        if self.down:
            raise ServiceUnavailable("The users service is not answering.")

    def add(self, email: str, password: str, name: str) -> Account:
        account = Account(id=str(uuid.uuid4()), email=email, name=name, roles=["customer"])
        self.accounts[email] = (password, account)
        return account

    def register(self, *, email: str, password: str, name: str) -> Account:
        self._answer()
        if self.reject:
            raise self.reject
        if email in self.accounts:
            raise Conflict("That email is taken.")
        return self.add(email, password, name)

    def token(self, *, email: str, password: str, address: str | None = None) -> TokenGrant:
        self._answer()
        if self.retry_after:
            raise TooManyRequests("Slow down.", retry_after=self.retry_after)
        known = self.accounts.get(email)
        if not known or known[0] != password:
            raise Unauthorized("Bad credentials.")
        token = f"token-{uuid.uuid4()}"
        self.tokens[token] = known[1]
        return TokenGrant(access_token=token, expires_in=900)

    def me(self, *, token: str) -> Account:
        self._answer()
        if token not in self.tokens:
            raise Unauthorized("Unknown token.")
        return self.tokens[token]


@pytest.fixture
def settings(tmp_path):
    return StorefrontSettings.from_env(data_dir=tmp_path, environment="test")


@pytest.fixture
def catalog():
    return FakeCatalog()


@pytest.fixture
def cart(catalog):
    return FakeCart(catalog)


@pytest.fixture
def users():
    fake = FakeUsers()
    fake.add("ada@example.com", "correct horse", "Ada")
    return fake


@pytest.fixture
def directory():
    return FakeDirectory(
        [
            InfoResult("catalog", {"framework": "fastapi", "ready": True}, 3.2),
            InfoResult("cart", None, 1000.0, "ConnectTimeout: timed out"),
        ]
    )


@pytest.fixture
def make_app(settings, users, catalog, cart, directory):
    def make(csrf: bool = False, **overrides):
        kwargs = {"directory": directory, "users": users, "catalog": catalog, "cart": cart}
        return create_app(
            overrides.pop("settings", settings),
            config={"TESTING": True, "WTF_CSRF_ENABLED": csrf},
            **(kwargs | overrides),
        )

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def log_in(client):
    def post(email="ada@example.com", password="correct horse", next_url=""):
        data = {"email": email, "password": password, "next": next_url}
        return client.post("/login", data=data)

    return post


@pytest.fixture
def shopper(client, log_in):
    """`client`, logged in as Ada; returns Ada's access token."""
    assert log_in().status_code == 302
    with client.session_transaction() as session:
        return session["token"]
