"""The shoppers, walked through a fake store by Locust's own runner: what they ask for, with which
account, marked how, and how often."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import gevent
import pytest
from locust import constant
from locust.env import Environment

from loadgen import store
from loadgen.journeys import Shopper, ShopperSteps


class BusyShopper(Shopper):
    """The journeys without the thinking, so that a second shows a few hundred steps."""

    wait_time = constant(0)


def walk(fake: Any, users: int = 3, seconds: float = 1.5) -> Environment:
    environment = Environment(user_classes=[BusyShopper], host=fake.url)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=users * 10)
    gevent.sleep(seconds)
    runner.quit()
    return environment


def test_every_request_is_marked_synthetic_with_w3c_baggage(fake_store: Any) -> None:
    walk(fake_store)
    assert len(fake_store.requests) > 20
    unmarked = [r for r in fake_store.requests if r.headers.get("baggage") != "synthetic=true"]
    assert unmarked == []


def test_each_shopper_registers_its_own_account_and_uses_its_own_token(
    fake_store: Any,
) -> None:
    walk(fake_store, users=4)
    emails = [r.body["email"] for r in fake_store.of("POST", "/api/users")]
    assert len(emails) == len(set(emails)) == 4
    tokens = {f"Bearer t-{email}" for email in emails}
    for request in fake_store.of("PUT", r"/api/cart/items/.+") + fake_store.of(
        "POST", "/api/orders"
    ):
        assert request.headers["authorization"] in tokens
    # Each account's calls come from one shopper: a cart is never shared.
    by_token = Counter(r.headers["authorization"] for r in fake_store.of("POST", "/api/orders"))
    assert set(by_token) <= tokens


def test_product_pages_get_the_most_traffic_and_every_journey_runs(fake_store: Any) -> None:
    environment = walk(fake_store, users=4, seconds=2)
    pages = Counter(
        r.path if r.path.startswith("/api/") else ("/products" if "/products/" in r.path else "/")
        for r in fake_store.requests
        if r.method == "GET"
    )
    assert pages["/products"] > pages["/"]
    searched = [r for r in fake_store.of("GET", "/") if r.query.startswith("q=")]
    browsed = [r for r in fake_store.of("GET", "/") if r.query.startswith("category=")]
    assert searched
    assert browsed
    assert fake_store.of("PUT", r"/api/cart/items/[A-Z]+-\d+")
    assert fake_store.of("POST", "/api/orders")
    assert fake_store.of("GET", "/api/orders")
    # Idempotency: every checkout attempt has a key of its own.
    keys = [r.headers["idempotency-key"] for r in fake_store.of("POST", "/api/orders")]
    assert len(keys) == len(set(keys))
    # Declines are answered 402 on purpose: not failures.
    assert environment.stats.total.num_failures == 0


def test_the_weights_put_product_pages_first_and_checkouts_after_carts() -> None:
    weights = Counter(task.__name__ for task in Shopper.tasks)
    assert weights.most_common(1)[0][0] == "view_product"
    assert weights["add_to_cart"] > weights["check_out"] > weights["log_in_again"]
    assert {"home", "browse_category", "search", "change_cart", "view_orders"} <= set(weights)


def test_most_checkouts_use_the_good_card_and_some_the_declined_one() -> None:
    rng = random.Random(8)
    picks = [store.pick_card(rng) for _ in range(2000)]
    declined = [card for card, refused in picks if refused]
    assert all(card["number"] == "4000000000000002" for card in declined)
    assert all(card["number"] == "4242424242424242" for card, refused in picks if not refused)
    assert 0.07 < len(declined) / len(picks) < 0.13


def test_a_declined_card_is_a_402_and_the_cart_is_kept(fake_store: Any) -> None:
    environment = Environment(user_classes=[BusyShopper], host=fake_store.url)
    shopper = BusyShopper(environment)
    shopper.on_start()
    shopper.set_quantity("COF-001", 2)
    response = shopper.place_order(store.DECLINED_CARD, expect=402)
    assert response.status_code == 402
    assert shopper.cart == {"COF-001": 2}
    assert shopper.place_order(store.GOOD_CARD, expect=201).status_code == 201
    assert shopper.cart == {}
    assert len(shopper.orders) == 1
    assert environment.stats.total.num_failures == 0


@pytest.mark.parametrize("staff", [True, False])
def test_short_stock_is_restocked_by_staff_or_dropped_from_the_cart(
    fake_store: Any, monkeypatch: pytest.MonkeyPatch, staff: bool
) -> None:
    account = store.Staff("staff@polyshop.local", "secret") if staff else None
    monkeypatch.setattr(ShopperSteps, "staff", account)
    shopper = BusyShopper(Environment(user_classes=[BusyShopper], host=fake_store.url))
    shopper.on_start()
    shopper.set_quantity("KIT-002", 1)
    fake_store.short = {"KIT-002"}
    assert shopper.place_order(store.GOOD_CARD, expect=201).status_code == 409
    restocks = fake_store.of("PUT", "/api/stock/KIT-002")
    if staff:
        assert [r.body for r in restocks] == [{"available": 1000}]
        assert restocks[0].headers["authorization"] == f"Bearer {fake_store.staff_token}"
        assert shopper.cart == {"KIT-002": 1}
    else:
        assert restocks == []
        assert fake_store.of("DELETE", "/api/cart/items/KIT-002")
        assert shopper.cart == {}


def test_short_skus_come_from_the_problems_errors() -> None:
    problem = {
        "title": "Some items are out of stock.",
        "errors": [{"field": "items.A-1", "message": "2 short"}, {"field": "card", "message": "x"}],
    }
    assert store.short_skus(problem) == ["A-1"]
    assert store.short_skus({"title": "Your cart is empty."}) == []


def test_addresses_follow_the_name_url_convention(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CART_URL", raising=False)
    assert store.url("cart") == "http://127.0.0.1:8002"
    monkeypatch.setenv("CART_URL", "http://polyshop-cart:8002/")
    assert store.url("cart") == "http://polyshop-cart:8002"


def test_staff_comes_from_the_environment_only_when_a_password_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    assert store.Staff.from_env() is None
    monkeypatch.setenv("STAFF_PASSWORD", "p")
    assert store.Staff.from_env() == store.Staff("staff@polyshop.local", "p")
