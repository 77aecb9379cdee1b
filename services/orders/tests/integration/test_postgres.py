"""orders on the real PostgreSQL: the migrations, a checkout, relays and recovery loops running
side by side without doing anything twice, and idempotency keys claimed under a race."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from orders_testing import DECLINED, Shop

from orders import services
from orders.models import Order, OutboxEvent
from polykit.errors import Conflict
from polykit.testing import needs, skip_or_fail

TABLES = {"orders_order", "orders_orderitem", "orders_outboxevent", "orders_idempotencyrecord"}


@pytest.fixture(autouse=True)
def postgres():
    needs("TEST_POSTGRES_URL")
    if connection.vendor != "postgresql":
        # Django was set up on SQLite before this suite's conftest could say otherwise.
        skip_or_fail("run the integration suite in a pytest process of its own")


@pytest.fixture
def shop():
    return Shop()


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """`work(i)` in `count` threads that start together, each on its own connection."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_migrations_build_the_schema_from_empty_and_match_the_models():
    call_command("makemigrations", "orders", "--check", "--dry-run", verbosity=0)
    call_command("migrate", "orders", "zero", verbosity=0)
    assert not TABLES & set(connection.introspection.table_names())
    call_command("migrate", verbosity=0)
    assert set(connection.introspection.table_names()) >= TABLES


def test_a_checkout_and_a_decline_on_postgresql(shop):
    paid = shop.shopper(("KIT-MUG-001", 2)).checkout()
    assert paid.status_code == 201
    assert paid.json()["total_cents"] == 3600
    declined = shop.shopper(("KIT-MUG-001", 1)).checkout(card=DECLINED)
    assert declined.status_code == 402
    assert sorted(Order.objects.values_list("status", flat=True)) == ["paid", "payment_failed"]


def test_identical_requests_racing_place_one_order(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    answers = in_threads(8, lambda _: ann.checkout(key="race", client=Client()))
    statuses = Counter(a.status_code for a in answers)
    assert statuses[201] >= 1
    assert set(statuses) <= {201, 409}
    assert Order.objects.count() == 1
    assert len(shop.payments.by_id) == 1


def test_an_idempotency_key_is_claimed_by_exactly_one_of_many(shop):
    def claim(_: int) -> Any:
        return services.idempotency_claim(
            deps=shop.deps, user_id="ann", key="k", request_hash="h" * 64
        )

    results = in_threads(12, claim)
    claimed = [r for r in results if not isinstance(r, Exception)]
    assert len(claimed) == 1
    assert all(isinstance(r, Conflict) for r in results if r is not claimed[0])


def paid_orders(shop, count: int) -> None:
    shop.inventory.available["KIT-MUG-001"] = count
    for _ in range(count):
        shop.shopper(("KIT-MUG-001", 1)).checkout()
    assert OutboxEvent.objects.filter(delivered_at__isnull=True).count() == count


def test_a_relay_skips_the_events_another_relay_has_locked(shop):
    paid_orders(shop, 5)
    with transaction.atomic():
        # Relay A has claimed two events and not yet committed its lease.
        locked = {e.id for e in services.outbox_claim(now=shop.clock.now, limit=2)}

        def relay_b(_: int) -> int:
            with connection.cursor() as cursor:  # waiting on A's locks would be the bug
                cursor.execute("SET lock_timeout = '5s'")
            return services.outbox_relay_pass(deps=shop.deps)

        (delivered,) = in_threads(1, relay_b)
    assert delivered == 3
    assert {e["event_id"] for e in shop.notifications.events}.isdisjoint(map(str, locked))


def test_two_relays_together_deliver_every_event_exactly_once(shop):
    paid_orders(shop, 30)

    def relay(_: int) -> int:
        total = 0
        while delivered := services.outbox_relay_pass(deps=shop.deps, limit=3):
            total += delivered
        return total

    assert sum(in_threads(2, relay)) == 30
    sent = Counter(e["event_id"] for e in shop.notifications.events)
    assert len(sent) == 30
    assert set(sent.values()) == {1}
    assert not OutboxEvent.objects.filter(delivered_at__isnull=True).exists()


def test_two_recovery_loops_together_settle_each_order_once(shop):
    shop.payments.lose_answer.add("charge")
    for _ in range(6):
        assert shop.shopper(("KIT-MUG-001", 1)).checkout().status_code == 503
    shop.payments.lose_answer.clear()
    shop.clock.advance(31)

    settled = in_threads(2, lambda _: services.order_recovery_pass(deps=shop.deps, limit=2))
    while services.order_recovery_pass(deps=shop.deps):
        pass
    assert sum(settled) <= 6
    assert set(Order.objects.values_list("status", flat=True)) == {"paid"}
    assert OutboxEvent.objects.count() == 6  # one order.paid each, never two
