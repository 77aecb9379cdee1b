"""When a service dies or is away, the store loses nothing and doubles nothing.

These stop and start the store's own processes, so they run only against a store the suite
started.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os

import httpx
import pytest

from e2e import shop
from e2e.shop import Shopper
from e2e.store import StoreUnderTest, skip_or_fail
from e2e.waiting import poll_until

TERMINAL = {"paid", "payment_failed", "cancelled"}


@pytest.fixture
def local(store: StoreUnderTest):
    if store.local is None or os.environ.get("STOREFRONT_URL"):
        skip_or_fail("stopping services needs a store the suite started itself")
    return store.local


def _recent(shopper: Shopper) -> list[dict]:
    response = shop.call("notifications", "GET", "/api/notifications", headers=shopper.auth)
    response.raise_for_status()
    return response.json()["items"]


def test_an_event_sent_while_notifications_was_down_arrives_after_it_returns(local):
    shopper = Shopper().signed_up()
    shopper.set_quantity(shop.products(category="home", page_size=1)["items"][0]["sku"], 1)
    local.kill("notifications")
    try:
        response = shop.checkout(shopper)
        assert response.status_code == 201, response.text
    finally:
        local.restart("notifications")
    order_id = response.json()["id"]

    def delivered() -> bool:
        return any(item["data"].get("order_id") == order_id for item in _recent(shopper))

    poll_until(delivered, timeout=60, what="order.paid to reach notifications after its return")


def test_orders_killed_mid_checkout_leaves_every_order_terminal_and_consistent(local):
    staff = shop.staff_auth()
    sku = shop.products(category="stationery", page_size=1)["items"][0]["sku"]
    shop.call("inventory", "PUT", f"/api/stock/{sku}", json={"available": 20}, headers=staff)
    shoppers = [Shopper().signed_up() for _ in range(6)]
    for shopper in shoppers:
        shopper.set_quantity(sku, 2)

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(shop.checkout, shopper) for shopper in shoppers]
        # Once stock is held, checkouts are under way: kill orders in the middle of them.
        poll_until(lambda: shop.stock(sku) < 20, timeout=30, interval=0.01, what="a reservation")
        local.kill("orders")
        for future in futures:
            # The connection died with the process: what a shopper would see.
            with contextlib.suppress(httpx.HTTPError):
                future.result()
    local.restart("orders")

    def all_terminal() -> dict[str, list[dict]] | None:
        orders = [o for s in shoppers for o in shop.orders_of(s)]
        return {"orders": orders} if all(o["status"] in TERMINAL for o in orders) else None

    settled = poll_until(all_terminal, timeout=90, what="the recovery loop to settle every order")
    orders = settled["orders"]
    assert orders, "the kill came before any order was placed"
    sold = 0
    for placed in orders:
        captures = [p for p in shop.payments_of(placed["id"], staff) if p["status"] == "captured"]
        if placed["status"] == "paid":
            assert [c["amount_cents"] - c.get("refunded_cents", 0) for c in captures] == [
                placed["total_cents"]
            ]
            sold += sum(item["quantity"] for item in placed["items"])
        else:
            assert all(c["amount_cents"] == c.get("refunded_cents", 0) for c in captures)

    def stock_settled() -> bool:
        return shop.stock(sku) == 20 - sold  # held units return as their holds end

    poll_until(stock_settled, timeout=90, what=f"stock of {sku} to equal 20 - {sold} sold")
