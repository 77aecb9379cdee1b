"""What the storefront does, free of Flask: each function takes its collaborators by keyword."""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from polykit.errors import Conflict, NotFound, ProblemError, ServiceUnavailable
from storefront.clients import (
    CartClient,
    CatalogClient,
    OrdersClient,
    ServiceDirectory,
    UsersClient,
)
from storefront.schemas import (
    Card,
    Category,
    Order,
    Product,
    ShippingAddress,
    SocketGrant,
)

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


# --- checkout and orders -----------------------------------------------------------------

ORDER_STATUSES = {
    "pending": "Pending",
    "paid": "Paid",
    "payment_failed": "Payment failed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
}


def order_status_label(*, status: str) -> str:
    return ORDER_STATUSES.get(status, status.replace("_", " ").capitalize())


def idempotency_key_new() -> str:
    """One per rendering of the checkout form: submitting that form twice (a double click, a
    refresh of the answer) sends the same key, and orders replays instead of ordering again."""
    return str(uuid.uuid4())


def order_place(
    *,
    orders: OrdersClient,
    token: str,
    idempotency_key: str,
    card: Card,
    shipping_address: ShippingAddress,
) -> Order:
    return orders.place(
        token=token,
        idempotency_key=idempotency_key,
        card=card,
        shipping_address=shipping_address,
    )


def _about_the_key(problem: ProblemError) -> bool:
    return any(e.field.lower() == "idempotency-key" for e in problem.errors) or (
        "idempotency" in problem.detail.lower()
    )


def checkout_still_running(*, conflict: Conflict) -> bool:
    """orders' 409 for a request whose Idempotency-Key is still being worked on (the first of
    a double submit), as opposed to a cart that cannot be checked out."""
    said = " ".join([conflict.detail, *(e.message for e in conflict.errors)]).lower()
    return _about_the_key(conflict) and any(
        word in said for word in ("still", "in progress", "processing", "running")
    )


def checkout_key_refused(*, problem: ProblemError) -> bool:
    """orders refusing the key rather than the order: it went with a different form (422), or
    placed another order long ago (409). The form is fine; it only needs a new key."""
    if isinstance(problem, Conflict) and checkout_still_running(conflict=problem):
        return False
    return _about_the_key(problem)


DECLINES = {
    "insufficient_funds": "Your card was declined: insufficient funds. Try another card.",
}


def decline_message(*, decline_code: str) -> str:
    return DECLINES.get(decline_code, "Your card was declined. Try another card.")


def checkout_refusal(*, conflict: Conflict, catalog: CatalogClient) -> str:
    """Why orders would not check the cart out, for the shopper: short stock names each
    product (orders names them `items.<sku>`), anything else is orders' own words."""
    short = {
        e.field.removeprefix("items."): e.message.rstrip(".")
        for e in conflict.errors
        if e.field.startswith("items.")
    }
    if not short:
        if conflict.detail and conflict.detail != conflict.title:
            return conflict.detail
        return "Your cart could not be checked out."
    try:
        products = catalog.products_by_sku(skus=list(short))
    except ServiceUnavailable:
        products = {}
    named = [
        f"{products[sku].name if sku in products else sku} ({message})" if message else sku
        for sku, message in short.items()
    ]
    return (
        f"Not enough stock for {'; '.join(named)}. "
        "Lower the quantity or remove it, then check out again."
    )


@dataclass(frozen=True)
class OrderHistory:
    orders: list[Order]
    page: int
    pages: int
    total: int
    page_links: list[int | None]


def orders_list(*, orders: OrdersClient, token: str, page: int, page_size: int) -> OrderHistory:
    result = orders.orders(token=token, page=page, page_size=page_size)
    total = result.total if result.total is not None else (page - 1) * page_size + len(result.items)
    pages = max(1, math.ceil(total / page_size))
    return OrderHistory(result.items, page, pages, total, page_links(page=page, pages=pages))


def order_get(*, orders: OrdersClient, token: str, order_id: str) -> Order:
    try:
        uuid.UUID(order_id)
    except ValueError:
        raise NotFound("There is no such order.") from None
    return orders.order(token=token, order_id=order_id)


def token_seconds_left(*, token: str, now: float) -> float | None:
    """How long the shopper's access token lives on, read from its `exp` claim (unverified:
    this only decides whether handing it to the browser is any use); None when unreadable."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"]) - now
    except (IndexError, ValueError, KeyError, TypeError, binascii.Error):
        return None


def socket_grant(*, token: str, url: str, now: float) -> SocketGrant | None:
    """What the browser needs to listen for the shopper's order events; None once the token
    has expired (the socket would refuse it)."""
    left = token_seconds_left(token=token, now=now)
    if left is not None and left <= 0:
        return None
    return SocketGrant(url=url, token=token)


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
