"""Fakes of the four services the pages use, and an app wired to them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from polykit.errors import (
    Conflict,
    NotFound,
    ProblemError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from storefront.app import create_app
from storefront.clients import CardDeclined, InfoResult
from storefront.schemas import (
    Account,
    Card,
    CardSummary,
    Cart,
    CartItem,
    Category,
    Order,
    OrderItem,
    OrderPage,
    PaymentSummary,
    Product,
    ProductPage,
    ShippingAddress,
    TokenGrant,
)
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


DECLINED_CARD = "4000000000000002"


class FakeOrders:
    """orders to design.md: checks out the caller's cart in the fake cart, prices from the fake
    catalog, declines payments' declining test card, replays a known Idempotency-Key."""

    def __init__(self, users: FakeUsers, cart: FakeCart, catalog: FakeCatalog) -> None:
        self.users, self.cart, self.catalog = users, cart, catalog
        self.by_id: dict[str, tuple[str, Order]] = {}
        self.placed: list[dict] = []
        self.answers: dict[tuple[str, str], Order | ProblemError] = {}
        self.refuse: ProblemError | None = None
        self.down = False
        self.clock = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def _owner(self, token: str) -> str:
        if self.down:
            raise ServiceUnavailable("The orders service is not answering.")
        if token not in self.users.tokens:
            raise Unauthorized("Unknown token.")
        return self.users.tokens[token].id

    def add(self, owner: str, *, status: str = "paid", skus=("KIT-001",)) -> Order:
        self.clock += timedelta(minutes=1)
        items = [
            OrderItem(sku=s, name=self.catalog.items[s].name, quantity=1, unit_price_cents=1199)
            for s in skus
        ]
        order = Order(
            id=str(uuid.uuid4()),
            status=status,
            items=items,
            total_cents=sum(i.line_cents for i in items),
            currency="USD",
            created_at=self.clock,
            shipping_address=ShippingAddress(
                name="Ada Lovelace",
                line1="12 St James's Square",
                city="London",
                postal_code="SW1Y 4JH",
                country="GB",
            ),
            payment=PaymentSummary(
                status="captured" if status == "paid" else "declined",
                card=CardSummary(brand="visa", last4="4242"),
            ),
        )
        self.by_id[order.id] = (owner, order)
        return order

    def place(
        self, *, token: str, idempotency_key: str, card: Card, shipping_address: ShippingAddress
    ) -> Order:
        owner = self._owner(token)
        self.placed.append(
            {"key": idempotency_key, "card": card, "shipping_address": shipping_address}
        )
        known = self.answers.get((owner, idempotency_key))
        if known is None:
            known = self._check_out(token, owner, card, shipping_address)
            self.answers[(owner, idempotency_key)] = known
        if isinstance(known, ProblemError):
            raise known
        return known

    def _check_out(self, token, owner, card, shipping_address) -> Order | ProblemError:
        if self.refuse is not None:
            return self.refuse
        lines = self.cart.lines.get(token, {})
        if not lines:
            return Conflict("Your cart is empty.")
        items = [
            OrderItem(
                sku=s,
                name=self.catalog.items[s].name,
                quantity=q,
                unit_price_cents=self.catalog.items[s].price_cents,
            )
            for s, q in lines.items()
        ]
        declined = card.number == DECLINED_CARD
        self.clock += timedelta(minutes=1)
        order = Order(
            id=str(uuid.uuid4()),
            status="payment_failed" if declined else "paid",
            items=items,
            total_cents=sum(i.line_cents for i in items),
            currency="USD",
            created_at=self.clock,
            shipping_address=shipping_address,
            payment=PaymentSummary(
                status="declined" if declined else "captured",
                card=CardSummary(brand="visa", last4=card.number[-4:]),
            ),
        )
        self.by_id[order.id] = (owner, order)
        if declined:
            return CardDeclined(
                "The card was declined (card_declined).",
                decline_code="card_declined",
                order_id=order.id,
            )
        lines.clear()
        return order

    def orders_of(self, owner: str) -> list[Order]:
        mine = [order for who, order in self.by_id.values() if who == owner]
        return sorted(mine, key=lambda order: order.created_at, reverse=True)

    def orders(self, *, token: str, page: int, page_size: int) -> OrderPage:
        mine = self.orders_of(self._owner(token))
        start = (page - 1) * page_size
        return OrderPage(
            items=mine[start : start + page_size], page=page, page_size=page_size, total=len(mine)
        )

    def order(self, *, token: str, order_id: str) -> Order:
        owner = self._owner(token)
        found = self.by_id.get(order_id)
        if found is None or found[0] != owner:
            raise NotFound("No such order.")
        return found[1]


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
def orders(users, cart, catalog):
    return FakeOrders(users, cart, catalog)


@pytest.fixture
def directory():
    return FakeDirectory(
        [
            InfoResult("catalog", {"framework": "fastapi", "ready": True}, 3.2),
            InfoResult("cart", None, 1000.0, "ConnectTimeout: timed out"),
        ]
    )


@pytest.fixture
def make_app(settings, users, catalog, cart, orders, directory):
    def make(csrf: bool = False, **overrides):
        kwargs = {
            "directory": directory,
            "users": users,
            "catalog": catalog,
            "cart": cart,
            "orders": orders,
        }
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
