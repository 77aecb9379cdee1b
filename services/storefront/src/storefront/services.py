"""What the storefront does, free of Flask: each function takes its collaborators by keyword."""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from polykit.errors import NotFound, ServiceUnavailable
from storefront.clients import CartClient, CatalogClient, ServiceDirectory, UsersClient
from storefront.schemas import Category, Product

MAX_QUANTITY = 99
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_NO_MINOR_UNITS = frozenset({"JPY", "KRW"})


def money_format(*, cents: int, currency: str) -> str:
    """`$1,234.50`; a currency without a symbol here reads `1,234.50 CHF`."""
    code = currency.upper()
    if code in _NO_MINOR_UNITS:
        amount = f"{cents:,}"
    else:
        whole, part = divmod(abs(cents), 100)
        amount = f"{'-' if cents < 0 else ''}{whole:,}.{part:02d}"
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{amount}" if symbol else f"{amount} {code}"


def wait_format(*, seconds: int) -> str:
    """A Retry-After as a person would say it."""
    if seconds < 90:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    return f"{math.ceil(seconds / 60)} minutes"


def redirect_target(*, candidate: str | None, default: str = "/") -> str:
    """`candidate` when it is a path on this site, else `default`: a `next` parameter must
    never send a shopper to another host (`//evil.example`, `/\\evil.example`, `https://…`)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return default
    if any(char in candidate for char in "\\\r\n\t") or not candidate.isprintable():
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate


# --- browsing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Browse:
    products: list[Product]
    categories: list[Category]
    category: Category | None
    q: str
    page: int
    pages: int
    total: int
    page_links: list[int | None]


def page_links(*, page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to link to: the first, the last and a few around `page`; None is a gap."""
    wanted = {1, pages, *range(page - around, page + around + 1)}
    links: list[int | None] = []
    for number in sorted(n for n in wanted if 1 <= n <= pages):
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links


def catalog_browse(
    *, catalog: CatalogClient, q: str, category: str, page: int, page_size: int
) -> Browse:
    categories = catalog.categories()
    chosen = next((c for c in categories if c.slug == category), None)
    if category and chosen is None:
        raise NotFound("There is no such category.")
    result = catalog.products(q=q, category=category, page=page, page_size=page_size)
    pages = max(1, math.ceil(result.total / page_size))
    return Browse(
        products=result.items,
        categories=categories,
        category=chosen,
        q=q,
        page=page,
        pages=pages,
        total=result.total,
        page_links=page_links(page=page, pages=pages),
    )


@dataclass(frozen=True)
class ProductView:
    product: Product
    category: Category | None


def product_get(*, catalog: CatalogClient, sku: str) -> ProductView:
    product = catalog.product(sku=sku)
    category = next((c for c in catalog.categories() if c.slug == product.category), None)
    return ProductView(product, category)


# --- the cart -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: int
    product: Product | None

    @property
    def line_cents(self) -> int | None:
        return self.product.price_cents * self.quantity if self.product else None


@dataclass(frozen=True)
class CartView:
    lines: list[CartLine]
    item_count: int
    # One subtotal per currency (there is one in practice); empty when prices are unknown.
    subtotals: list[tuple[str, int]]
    # catalog did not answer: the lines are shown without names or prices.
    details_missing: bool


def cart_show(*, cart: CartClient, catalog: CatalogClient, token: str) -> CartView:
    contents = cart.cart(token=token)
    skus = [item.sku for item in contents.items]
    try:
        products = catalog.products_by_sku(skus=skus) if skus else {}
        details_missing = False
    except ServiceUnavailable:
        products, details_missing = {}, True
    lines = [CartLine(i.sku, i.quantity, products.get(i.sku)) for i in contents.items]
    subtotals: dict[str, int] = {}
    if not details_missing:
        for line in lines:
            if line.product:
                currency = line.product.currency
                subtotals[currency] = subtotals.get(currency, 0) + (line.line_cents or 0)
    return CartView(lines, contents.item_count, sorted(subtotals.items()), details_missing)


def cart_count(*, cart: CartClient, token: str) -> int | None:
    """Units in the shopper's cart for the header; None while cart is not answering."""
    try:
        return cart.cart(token=token).item_count
    except ServiceUnavailable:
        return None


def cart_add_item(*, cart: CartClient, token: str, sku: str, quantity: int) -> int:
    """Adds to what the cart holds already (cart's PUT sets a quantity), up to the most one
    line may hold; returns the line's new quantity."""
    held = next((i.quantity for i in cart.cart(token=token).items if i.sku == sku), 0)
    total = min(held + quantity, MAX_QUANTITY)
    cart.set_quantity(token=token, sku=sku, quantity=total)
    return total


def cart_set_quantity(*, cart: CartClient, token: str, sku: str, quantity: int) -> None:
    cart.set_quantity(token=token, sku=sku, quantity=quantity)


def cart_remove_item(*, cart: CartClient, token: str, sku: str) -> None:
    cart.remove(token=token, sku=sku)


# --- accounts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shopper:
    """What the session cookie keeps about the signed-in shopper."""

    token: str
    user_id: str
    name: str


def account_login(
    *, users: UsersClient, email: str, password: str, address: str | None = None
) -> Shopper:
    grant = users.token(email=email, password=password, address=address)
    account = users.me(token=grant.access_token)
    return Shopper(grant.access_token, account.id, account.name)


def account_register(
    *, users: UsersClient, email: str, password: str, name: str, address: str | None = None
) -> Shopper:
    account = users.register(email=email, password=password, name=name)
    grant = users.token(email=email, password=password, address=address)
    return Shopper(grant.access_token, account.id, account.name)


# --- operations ---------------------------------------------------------------------------


def status_collect(
    *, directory: ServiceDirectory, own_info: dict[str, object]
) -> list[dict[str, object]]:
    """Every service's /api/info with the time it took; a service that did not answer is listed
    as not ready with the reason."""
    rows: list[dict[str, object]] = [{**own_info, "latency_ms": 0.0, "error": None}]
    for result in directory.info_all():
        info = result.info or {}
        rows.append(
            {
                "name": result.name,
                "framework": info.get("framework"),
                "framework_version": info.get("framework_version"),
                "version": info.get("version"),
                "ready": bool(info.get("ready", False)),
                "latency_ms": result.latency_ms,
                "error": result.error,
            }
        )
    return rows
