"""The shopping journeys over the APIs: accounts, browsing, carts."""

from __future__ import annotations

import pytest

from e2e import shop
from e2e.shop import Shopper, quantities

pytestmark = pytest.mark.usefixtures("store")


def test_register_log_in_and_see_my_account():
    shopper = Shopper(name="Grace Hopper")
    created = shopper.register()
    assert created.status_code == 201, created.text
    assert created.json()["email"] == shopper.email
    assert "password" not in created.text

    login = shopper.login()
    assert login.status_code == 200
    assert login.json()["token_type"] == "Bearer"
    assert 0 < login.json()["expires_in"] <= 900

    me = shopper.me().json()
    assert (me["email"], me["name"]) == (shopper.email, "Grace Hopper")
    assert me["roles"] == ["customer"]


def test_an_email_registers_once_whatever_its_case():
    shopper = Shopper()
    assert shopper.register().status_code == 201
    again = Shopper(email=shopper.email.upper())
    response = again.register()
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_wrong_password_is_refused():
    shopper = Shopper().signed_up()
    response = shopper.login(password="not the password")
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_repeated_failures_lock_the_account_for_a_while():
    shopper = Shopper().signed_up()
    statuses = [shopper.login(password="guess") for _ in range(6)]
    assert [r.status_code for r in statuses[:5]] == [401] * 5
    locked = statuses[5]
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    # The right password does not get through while the account is locked.
    assert shopper.login().status_code == 429


def test_the_catalog_has_real_products_in_categories():
    categories = shop.categories()
    assert len(categories) >= 5
    page = shop.products(page_size=100)
    assert page["total"] >= 50
    product = page["items"][0]
    assert set(product) >= {
        "sku",
        "name",
        "description",
        "category",
        "price_cents",
        "currency",
        "image_url",
    }
    assert {p["category"] for p in page["items"]} <= {c["slug"] for c in categories}
    image = shop.call("catalog", "GET", product["image_url"])
    assert image.status_code == 200
    assert image.headers["content-type"].startswith("image/")
    assert "max-age" in image.headers["cache-control"]


def test_search_filter_and_pagination_agree():
    category = shop.categories()[0]["slug"]
    in_category = shop.products(category=category, page_size=100)
    assert in_category["total"] > 0
    assert all(p["category"] == category for p in in_category["items"])

    word = in_category["items"][0]["name"].split()[0]
    found = shop.products(q=word.lower(), page_size=100)
    assert any(word.lower() in (p["name"] + p["description"]).lower() for p in found["items"])
    assert all(word.lower() in (p["name"] + p["description"]).lower() for p in found["items"])

    first, second = shop.products(page=1, page_size=5), shop.products(page=2, page_size=5)
    assert first["total"] == second["total"]
    assert not {p["sku"] for p in first["items"]} & {p["sku"] for p in second["items"]}
    assert shop.call("catalog", "GET", "/api/products/NO-SUCH-SKU-1").status_code == 404


def test_reads_are_cacheable():
    response = shop.call("catalog", "GET", "/api/products", params={"page_size": 3})
    etag = response.headers["etag"]
    again = shop.call(
        "catalog", "GET", "/api/products", params={"page_size": 3}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304


def test_fill_change_and_empty_a_cart():
    shopper = Shopper().signed_up()
    first, second = (p["sku"] for p in shop.products(page_size=2)["items"])
    assert shopper.cart() == {"items": [], "item_count": 0}

    assert shopper.set_quantity(first, 2).status_code == 200
    assert shopper.set_quantity(second, 1).status_code == 200
    assert shopper.cart()["item_count"] == 3

    assert shopper.set_quantity(first, 5).status_code == 200
    assert quantities(shopper.cart()) == {first: 5, second: 1}

    assert shopper.set_quantity(second, 0).status_code == 200
    assert quantities(shopper.cart()) == {first: 5}

    assert shopper.remove(first).status_code == 200
    assert shopper.cart()["items"] == []

    shopper.set_quantity(first, 1)
    assert shopper.empty_cart().status_code == 204
    assert shopper.cart()["item_count"] == 0


def test_an_unknown_sku_cannot_go_in_a_cart():
    shopper = Shopper().signed_up()
    response = shopper.set_quantity("NO-SUCH-SKU-1", 1)
    assert response.status_code == 404
    assert shopper.cart()["items"] == []


def test_carts_are_private():
    alice, bob = Shopper(name="Alice").signed_up(), Shopper(name="Bob").signed_up()
    sku = shop.products(page_size=1)["items"][0]["sku"]
    alice.set_quantity(sku, 3)

    assert bob.cart()["items"] == []
    peek = shop.call("cart", "GET", f"/api/carts/{alice.user_id()}", headers=bob.auth)
    assert peek.status_code == 403
    assert quantities(alice.cart()) == {sku: 3}
