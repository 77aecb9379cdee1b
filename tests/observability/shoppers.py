"""Shopper traffic that touches every dashboard panel: browsing and searching the storefront,
product pages, sign-ups and logins (one with a wrong password), carts, checkouts that pay and one
that is declined, a live notifications socket, and a few everyday mistakes (an unknown product,
a call without a token) so that the 4xx panels have something to show. An operator marks one
product nearly sold out, for the low-stock panel.

Bounded: `rounds` passes of a few dozen requests each, over HTTP to the local store only.
"""

from __future__ import annotations

from e2e import shop
from e2e.live import notifications_socket
from e2e.shop import Shopper
from e2e.storefront import StorefrontShopper

LOW_STOCK_UNITS = 3


def browse(visitor: StorefrontShopper, skus: list[str], categories: list[str]) -> None:
    for path in ("/", "/?q=mug", f"/?category={categories[0]}", "/status"):
        visitor.get(path).raise_for_status()
    for sku in skus:
        visitor.get(f"/products/{sku}").raise_for_status()
    assert visitor.get("/products/NO-SUCH-SKU").status_code == 404
    shop.products(q="tea", page_size=5)
    shop.categories()
    assert shop.call("catalog", "GET", "/api/products/NO-SUCH-SKU").status_code == 404
    assert shop.call("inventory", "GET", f"/api/stock/{skus[0]}").status_code == 200
    assert shop.call("inventory", "GET", "/api/stock/NO-SUCH-SKU").status_code == 404


def storefront_shopper(skus: list[str]) -> None:
    """Signs up, logs out, fails and then succeeds to log in, pays once and is declined once,
    all through the storefront's pages."""
    visitor = StorefrontShopper()
    try:
        assert visitor.register().status_code == 302
        assert visitor.logout().status_code == 302
        assert visitor.login(password="not the password").status_code == 422
        assert visitor.login().status_code == 302
        assert visitor.add_to_cart(skus[0]).status_code == 302
        assert visitor.add_to_cart(skus[1], quantity=2).status_code == 302
        visitor.get("/cart").raise_for_status()
        paid = visitor.checkout(shop.GOOD_CARD["number"])
        assert paid.status_code == 303, paid.text
        visitor.get(paid.headers["location"]).raise_for_status()
        visitor.get("/orders").raise_for_status()
        assert visitor.add_to_cart(skus[2]).status_code == 302
        declined = visitor.checkout(shop.DECLINED_CARD["number"])
        assert declined.status_code == 402, declined.text
    finally:
        visitor.close()


def api_shopper(skus: list[str]) -> None:
    """A shopper of the JSON APIs (the store's mobile app, say) with the notifications socket
    open: fills and edits a cart, pays, is declined, and reads what was pushed to it."""
    shopper = Shopper().signed_up()
    assert shopper.set_quantity("NO-SUCH-SKU", 1).status_code == 404
    assert shop.checkout(shopper).status_code == 409  # the cart is still empty
    with notifications_socket(shopper.token) as socket:
        assert shopper.set_quantity(skus[0], 1).status_code == 200
        assert shopper.set_quantity(skus[0], 2).status_code == 200
        assert shopper.set_quantity(skus[1], 1).status_code == 200
        assert shopper.remove(skus[1]).status_code == 200
        paid = shop.checkout(shopper)
        assert paid.status_code == 201, paid.text
        socket.wait_for("order.paid", paid.json()["id"])
        assert shopper.set_quantity(skus[2], 1).status_code == 200
        declined = shop.checkout(shopper, card=shop.DECLINED_CARD)
        assert declined.status_code == 402, declined.text
        socket.wait_for("order.payment_failed", declined.json()["order"]["id"])
        # A mistyped expiry year that orders lets through and payments refuses: the order is
        # cancelled and its stock released.
        mistyped = shop.checkout(shopper, card=shop.GOOD_CARD | {"exp_year": 2099})
        assert mistyped.status_code == 422, mistyped.text
    shop.orders_of(shopper)
    assert shop.call("notifications", "GET", "/api/notifications", headers=shopper.auth).is_success
    assert shop.call("notifications", "GET", "/api/notifications").status_code == 401
    assert shopper.empty_cart().is_success


def operator(sku: str) -> None:
    """Staff sets one product nearly sold out."""
    response = shop.call(
        "inventory",
        "PUT",
        f"/api/stock/{sku}",
        json={"available": LOW_STOCK_UNITS},
        headers=shop.staff_auth(),
    )
    assert response.status_code == 200, response.text


def shop_for_a_while(rounds: int = 2) -> None:
    products = shop.products(page_size=12)["items"]
    skus = [product["sku"] for product in products]
    categories = [category["slug"] for category in shop.categories()]
    operator(skus[-1])
    for round_ in range(rounds):
        # Each round buys other products: no one product runs out.
        mine = skus[round_ * 3 : round_ * 3 + 3]
        visitor = StorefrontShopper()
        try:
            browse(visitor, mine, categories)
        finally:
            visitor.close()
        storefront_shopper(mine)
        api_shopper(mine)
