"""The worker's two loops, one pass at a time with a fixed clock: the outbox relay and the
recovery of orders a checkout left pending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from orders_testing import ADDRESS, DECLINED, VISA, Shop

from orders import services
from orders.models import Order, OutboxEvent
from orders.worker import work_once


@pytest.fixture
def shop():
    return Shop()


@pytest.fixture
def spans(shop):
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # the processor stays, but drops what it is given from now on


def relay(shop):
    return services.outbox_relay_pass(deps=shop.deps)


def recover(shop):
    return services.order_recovery_pass(deps=shop.deps)


# --- the relay -----------------------------------------------------------------------------------


def test_events_are_delivered_once_with_their_outbox_id_and_marked(shop):
    ann = shop.shopper(("KIT-MUG-001", 2))
    order = ann.checkout().json()
    assert relay(shop) == 1
    (event,) = shop.notifications.events
    outbox = OutboxEvent.objects.get()
    assert event == {
        "event_id": str(outbox.id),
        "user_id": ann.user_id,
        "type": "order.paid",
        "data": {"order_id": order["id"], "total_cents": 3600, "currency": "USD", "status": "paid"},
    }
    assert outbox.delivered_at == shop.clock.now
    assert relay(shop) == 0
    assert len(shop.notifications.events) == 1


def test_a_delivery_is_a_trace_of_its_own_linked_to_the_checkout(shop, spans):
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    ann = shop.shopper(("KIT-MUG-001", 1))
    traceparent = f"00-{trace_id}-00f067aa0ba902b7-01"
    response = shop.client.post(
        "/api/orders",
        {"card": VISA, "shipping_address": ADDRESS},
        content_type="application/json",
        headers=ann.headers | {"traceparent": traceparent, "Idempotency-Key": "traced"},
    )
    assert response.status_code == 201
    spans.clear()
    assert relay(shop) == 1
    (deliver,) = [s for s in spans.get_finished_spans() if s.name == "outbox deliver"]
    assert format(deliver.context.trace_id, "032x") != trace_id
    assert deliver.parent is None
    assert [format(link.context.trace_id, "032x") for link in deliver.links] == [trace_id]


def test_a_failed_delivery_is_retried_with_growing_jittered_backoff_until_it_goes(shop):
    shop.shopper(("KIT-MUG-001", 1)).checkout()
    shop.notifications.failures_left = 3
    waits = []
    while relay(shop) == 0:
        event = OutboxEvent.objects.get()
        waits.append(event.next_attempt_at - shop.clock.now)
        shop.clock.advance(0.4)
        assert relay(shop) == 0  # not before its time
        shop.clock.now = event.next_attempt_at
    event = OutboxEvent.objects.get()
    assert event.attempts == 4
    assert event.delivered_at is not None
    assert len(shop.notifications.events) == 1
    # Equal jitter: each wait lies between half and all of 1 s, 2 s, 4 s.
    for wait, step in zip(waits, (1, 2, 4), strict=True):
        assert timedelta(seconds=step / 2) <= wait <= timedelta(seconds=step)


def test_backoff_is_capped():
    assert services.relay_backoff(40, lambda: 1.0) == timedelta(seconds=300)
    assert services.relay_backoff(1, lambda: 0.0) == timedelta(seconds=0.5)


def test_notifications_down_during_checkout_gets_the_event_once_it_is_back(shop):
    shop.notifications.down.add("publish")
    shop.shopper(("KIT-MUG-001", 1)).checkout()
    shop.shopper(("KIT-PAN-002", 1)).checkout()
    assert relay(shop) == 0
    assert OutboxEvent.objects.filter(attempts=1).count() == 1  # it stopped at the first failure
    text = shop.client.get("/metrics").content.decode()
    assert "polyshop_outbox_backlog 2.0" in text

    shop.notifications.down.clear()
    shop.clock.advance(600)
    assert relay(shop) == 2
    assert {e["type"] for e in shop.notifications.events} == {"order.paid"}
    assert "polyshop_outbox_backlog 0.0" in shop.client.get("/metrics").content.decode()


def test_a_relay_that_died_mid_batch_leaves_its_events_to_the_next_after_the_lease(shop):
    shop.shopper(("KIT-MUG-001", 1)).checkout()
    claimed = services.outbox_claim(now=shop.clock.now)  # and then the relay died
    assert len(claimed) == 1
    assert relay(shop) == 0  # leased
    shop.clock.advance(services.RELAY_LEASE.total_seconds())
    assert relay(shop) == 1


# --- recovery ------------------------------------------------------------------------------------


def crash_at(shop, peer, call, *, lose_answer=True):
    """A checkout that stops at `call`: done and its answer lost, or never done."""
    fake = getattr(shop, peer)
    (fake.lose_answer if lose_answer else fake.down).add(call)
    ann = shop.shopper(("KIT-MUG-001", 2))
    response = ann.checkout()
    assert response.status_code == 503
    fake.lose_answer.clear()
    fake.down.clear()
    order = Order.objects.get()
    assert order.status == "pending"
    return ann, order


def settle(shop):
    shop.clock.advance(30)
    assert recover(shop) == 0  # not before the checkout timeout
    shop.clock.advance(1)
    assert recover(shop) == 1
    return Order.objects.get()


def test_an_order_is_left_alone_until_the_checkout_timeout(shop):
    crash_at(shop, "inventory", "reserve")
    shop.clock.advance(29)
    assert recover(shop) == 0
    assert Order.objects.get().status == "pending"


def test_crash_after_reserve_releases_the_hold_and_cancels(shop):
    crash_at(shop, "inventory", "reserve")
    assert shop.inventory.held() == 2
    order = settle(shop)
    assert order.status == "cancelled"
    assert shop.inventory.available["KIT-MUG-001"] == 10
    assert shop.payments.by_id == {}


def test_crash_after_a_capture_commits_and_marks_paid_with_its_event(shop):
    crash_at(shop, "payments", "charge")
    order = settle(shop)
    assert order.status == "paid"
    assert order.payment_status == "captured"
    assert order.card_last4 == "4242"
    assert [h.status for h in shop.inventory.holds.values()] == ["committed"]
    assert [p.amount_cents for p in shop.payments.captures(order.id)] == [3600]
    assert OutboxEvent.objects.get().type == "order.paid"


def test_crash_after_a_decline_releases_and_marks_payment_failed(shop):
    shop.payments.lose_answer.add("charge")
    ann = shop.shopper(("KIT-MUG-001", 2))
    assert ann.checkout(card=DECLINED).status_code == 503
    shop.payments.lose_answer.clear()
    order = settle(shop)
    assert order.status == "payment_failed"
    assert shop.inventory.available["KIT-MUG-001"] == 10
    assert OutboxEvent.objects.get().type == "order.payment_failed"


def test_crash_before_commit_commits_and_marks_paid(shop):
    crash_at(shop, "inventory", "commit", lose_answer=False)
    assert shop.inventory.held() == 2
    order = settle(shop)
    assert order.status == "paid"
    assert shop.inventory.held() == 0
    assert shop.inventory.available["KIT-MUG-001"] == 8


def test_crash_after_commit_marks_paid(shop):
    crash_at(shop, "inventory", "commit")
    assert settle(shop).status == "paid"
    assert shop.inventory.available["KIT-MUG-001"] == 8


def test_a_capture_whose_hold_expired_is_refunded_and_the_order_cancelled(shop):
    _, order = crash_at(shop, "payments", "charge")
    shop.inventory.expire(order.id)
    order = settle(shop)
    assert order.status == "cancelled"
    assert order.payment_status == "refunded"
    assert shop.payments.captures(order.id) == []
    assert shop.inventory.available["KIT-MUG-001"] == 10
    assert not OutboxEvent.objects.exists()


def test_a_dependency_still_down_leaves_the_order_pending_for_a_later_pass(shop):
    crash_at(shop, "payments", "charge")
    shop.payments.down.add("payments")
    shop.clock.advance(31)
    assert recover(shop) == 0
    assert Order.objects.get().status == "pending"
    shop.payments.down.clear()
    shop.clock.advance(1)
    assert recover(shop) == 0  # leased for another timeout
    shop.clock.advance(30)
    assert recover(shop) == 1
    assert Order.objects.get().status == "paid"


def test_recovery_that_died_half_way_is_safe_to_repeat(shop):
    _, order = crash_at(shop, "payments", "charge")
    shop.inventory.expire(order.id)
    shop.payments.lose_answer.add("refund")  # refunded, then the worker died
    shop.clock.advance(31)
    assert recover(shop) == 0
    shop.payments.lose_answer.clear()
    shop.clock.advance(31)
    assert recover(shop) == 1
    order = Order.objects.get()
    assert order.status == "cancelled"
    (payment,) = shop.payments.by_id.values()
    assert payment.refunded_cents == payment.amount_cents  # refunded once, not twice


def test_one_worker_pass_relays_and_recovers(shop):
    crash_at(shop, "payments", "charge")
    shop.clock.advance(31)
    work_once(shop.deps, purge=True)
    assert Order.objects.get().status == "paid"
    work_once(shop.deps)
    assert [e["type"] for e in shop.notifications.events] == ["order.paid"]


def test_a_checkout_that_outlived_the_timeout_and_its_recovery_agree(shop):
    """A checkout slower than the timeout: the recovery loop settles its order while the charge
    is still on its way; the checkout then finds the order paid and answers as if alone."""
    ann = shop.shopper(("KIT-MUG-001", 1))

    def slow_commit():
        shop.inventory.on_commit = lambda: None
        shop.clock.advance(31)
        assert recover(shop) == 1

    shop.inventory.on_commit = slow_commit
    response = ann.checkout()
    assert response.status_code == 201
    assert response.json()["status"] == "paid"
    assert OutboxEvent.objects.count() == 1
    assert [h.status for h in shop.inventory.holds.values()] == ["committed"]
