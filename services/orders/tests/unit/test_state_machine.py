"""The order state machine, and its events written in the same transaction as the change."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection
from orders_testing import Shop

from orders import services
from orders.models import Order, OutboxEvent

Status = Order.Status
ALL = set(Status)
ALLOWED = {
    (Status.PENDING, Status.PAID),
    (Status.PENDING, Status.PAYMENT_FAILED),
    (Status.PENDING, Status.CANCELLED),
    (Status.PAID, Status.REFUNDED),
}


@pytest.fixture
def shop():
    return Shop()


def an_order(status: str) -> Order:
    return Order.objects.create(
        user_id="u",
        idempotency_key=str(uuid.uuid4()),
        status=status,
        total_cents=100,
        currency="USD",
        ship_name="A",
        ship_line1="1 Road",
        ship_city="Town",
        ship_postal_code="1",
        ship_country="GB",
    )


@pytest.mark.parametrize("start", sorted(ALL))
@pytest.mark.parametrize("to", sorted(ALL))
def test_only_the_allowed_transitions_happen(shop, start, to):
    order = an_order(start)
    if (start, to) in ALLOWED:
        assert services.order_transition(deps=shop.deps, order_id=order.id, to=to).status == to
        assert Order.objects.get().status == to
    elif start == to:  # already there: nothing changes, no event is written again
        assert services.order_transition(deps=shop.deps, order_id=order.id, to=to).status == to
        assert not OutboxEvent.objects.exists()
    else:
        with pytest.raises(services.IllegalTransition):
            services.order_transition(deps=shop.deps, order_id=order.id, to=to)
        assert Order.objects.get().status == start
        assert not OutboxEvent.objects.exists()


def test_paid_and_payment_failed_write_their_event_and_the_rest_none(shop):
    paid, failed, cancelled = an_order("pending"), an_order("pending"), an_order("pending")
    for order, to in [(paid, "paid"), (failed, "payment_failed"), (cancelled, "cancelled")]:
        services.order_transition(deps=shop.deps, order_id=order.id, to=to)
    services.order_transition(deps=shop.deps, order_id=paid.id, to="refunded")
    services.order_transition(deps=shop.deps, order_id=failed.id, to="payment_failed")
    assert sorted(OutboxEvent.objects.values_list("type", flat=True)) == [
        "order.paid",
        "order.payment_failed",
    ]


@pytest.fixture
def outbox_refusing_writes():
    """A database that fails any insert into the outbox: the failure can only come between the
    order's update and the event's insert, inside the transition."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN"
                " RAISE EXCEPTION 'outbox refused'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON orders_outboxevent"
                " FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON orders_outboxevent"
                " BEGIN SELECT RAISE(ABORT, 'outbox refused'); END"
            )
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER refuse ON orders_outboxevent")
            cursor.execute("DROP FUNCTION refuse()")
        else:
            cursor.execute("DROP TRIGGER refuse")


def test_a_failure_between_the_state_change_and_its_event_saves_neither(
    shop, outbox_refusing_writes
):
    order = an_order("pending")
    with pytest.raises(DatabaseError):
        services.order_transition(deps=shop.deps, order_id=order.id, to="paid")
    assert Order.objects.get().status == "pending"
    assert not OutboxEvent.objects.exists()


def test_a_checkout_that_fails_to_write_its_event_is_left_pending_for_recovery(
    shop, outbox_refusing_writes
):
    from django.test import Client

    ann = shop.shopper(("KIT-MUG-001", 1))
    response = ann.checkout(client=Client(raise_request_exception=False))
    assert response.status_code == 500
    assert Order.objects.get().status == "pending"
    assert not OutboxEvent.objects.exists()
