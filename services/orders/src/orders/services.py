"""orders' use cases: the checkout saga, the order state machine, idempotency keys, the outbox
relay and the recovery loop.

The saga (design.md, Checkout) talks to four services between short transactions of its own,
never inside one: a database lock is never held while another service is asked something. What
it leaves half done when it dies, or when a dependency stops answering, is an order `pending`
with a reservation and perhaps a payment; `order_recovery_pass` settles it later by asking
payments and inventory what really happened. Every state change goes through
`order_transition`, which writes the order's event to the outbox in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from opentelemetry import propagate, trace
from opentelemetry.context import Context

from orders.clients import (
    CardRejected,
    Cart,
    CartLine,
    Catalog,
    HoldGone,
    Inventory,
    Notifications,
    OutOfStock,
    Payment,
    Payments,
    Reservation,
)
from orders.metrics import OrderMetrics
from orders.models import IdempotencyRecord, Order, OrderItem, OutboxEvent
from polykit.errors import (
    Conflict,
    FieldError,
    PaymentRequired,
    ServiceUnavailable,
    ValidationFailed,
)

log = logging.getLogger("polyshop.orders")
# The worker's calls have no request to hang from: each event and each recovery is a trace.
tracer = trace.get_tracer("polyshop.orders")

Status = Order.Status

# The state machine. Nothing leaves payment_failed, cancelled or refunded.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.PAID, Status.PAYMENT_FAILED, Status.CANCELLED}),
    Status.PAID: frozenset({Status.REFUNDED}),
}
# The events notifications knows; other transitions write none.
EVENTS = {Status.PAID: "order.paid", Status.PAYMENT_FAILED: "order.payment_failed"}

IDEMPOTENCY_TTL = timedelta(hours=24)
RELAY_BATCH = 50
RELAY_LEASE = timedelta(seconds=60)
RELAY_BACKOFF_BASE_SECONDS = 1.0
RELAY_BACKOFF_CAP_SECONDS = 300.0
RECOVERY_BATCH = 20


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Collaborators:
    """What the use cases need besides the database; tests pass fakes and a fixed clock."""

    cart: Cart
    catalog: Catalog
    inventory: Inventory
    payments: Payments
    notifications: Notifications
    metrics: OrderMetrics
    clock: Callable[[], datetime] = utcnow
    # In [0, 1): the jitter of the relay's backoff.
    random: Callable[[], float] = field(default=random.random)
    checkout_timeout: timedelta = timedelta(seconds=30)


@dataclass(frozen=True)
class ShippingAddress:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""


class IllegalTransition(Conflict):
    pass


class CheckoutDeclined(PaymentRequired):
    """The card was declined: the order is kept as payment_failed and goes with the answer."""

    def __init__(self, order: Order, decline_code: str | None) -> None:
        super().__init__(f"The card was declined ({decline_code or 'card_declined'}).")
        self.order = order
        self.decline_code = decline_code or "card_declined"


# --- the state machine ------------------------------------------------------------------------


def order_transition(
    *,
    deps: Collaborators,
    order_id: UUID,
    to: str,
    payment: Payment | None = None,
    payment_status: str | None = None,
) -> Order:
    """Moves the order to `to` if the state machine allows it, recording what payments said, and
    writes its event to the outbox in the same transaction: both are saved or neither is.

    An order already in `to` is left as it is: the saga and the recovery loop may both drive one
    order to the same end (when a checkout outlives the timeout), and the second must neither
    fail nor write the event again."""
    now = deps.clock()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == to:
            return order
        if to not in TRANSITIONS.get(order.status, frozenset()):
            raise IllegalTransition(f"An order that is {order.status} cannot become {to}.")
        order.status = to
        order.updated_at = now
        if payment is not None:
            order.payment_id = payment.id
            order.payment_status = payment.status
            order.card_brand = payment.card_brand
            order.card_last4 = payment.card_last4
        if payment_status is not None:
            order.payment_status = payment_status
        order.save()
        if to in EVENTS:
            OutboxEvent.objects.create(
                type=EVENTS[to],
                payload={
                    "user_id": order.user_id,
                    "data": {
                        "order_id": str(order.id),
                        "total_cents": order.total_cents,
                        "currency": order.currency,
                        "status": order.status,
                    },
                },
                created_at=now,
                next_attempt_at=now,
                trace_context=_trace_context(),
            )
    deps.metrics.orders.labels(to).inc()
    if to == Status.PAID:
        deps.metrics.revenue.labels(order.currency).inc(order.total_cents)
    log.info("order %s is %s", order.id, to)
    return order


# --- the checkout saga ------------------------------------------------------------------------


def order_place(
    *,
    deps: Collaborators,
    user_id: str,
    idempotency_key: str,
    card: dict[str, Any],
    shipping: ShippingAddress,
) -> Order:
    """Checks out the caller's cart: the paid order, or CheckoutDeclined (402), Conflict (409:
    empty cart, unknown SKU, short stock), ValidationFailed (422: payments refused the card), or
    ServiceUnavailable (503: the order, if placed, stays pending for the recovery loop)."""
    started = time.perf_counter()
    outcome = "error"
    try:
        order = _checkout(
            deps=deps, user_id=user_id, key=idempotency_key, card=card, shipping=shipping
        )
        outcome = "paid"
        return order
    except CheckoutDeclined:
        outcome = "payment_failed"
        raise
    except ServiceUnavailable:
        outcome = "unavailable"
        raise
    except (Conflict, ValidationFailed):
        outcome = "refused"
        raise
    finally:
        deps.metrics.checkout_duration.labels(outcome).observe(time.perf_counter() - started)


def _checkout(
    *, deps: Collaborators, user_id: str, key: str, card: dict[str, Any], shipping: ShippingAddress
) -> Order:
    lines = deps.cart.lines(user_id)
    if not lines:
        raise Conflict("Your cart is empty.", errors=[FieldError("cart", "The cart has no items.")])
    products = deps.catalog.products([line.sku for line in lines])
    unknown = [line.sku for line in lines if line.sku not in products]
    if unknown:
        raise Conflict(
            "Some items in your cart are no longer sold.",
            errors=[FieldError(f"items.{sku}", "No product has this SKU.") for sku in unknown],
        )
    if len({products[line.sku].currency for line in lines}) > 1:
        raise Conflict("The items in your cart are priced in different currencies.")

    order = _order_create(
        deps=deps, user_id=user_id, key=key, lines=lines, products=products, shipping=shipping
    )
    try:
        reservation = deps.inventory.reserve(order.id, lines)
    except OutOfStock as short:
        order_transition(deps=deps, order_id=order.id, to=Status.CANCELLED)
        raise Conflict("Some items are out of stock.", errors=short.errors) from None

    try:
        payment = deps.payments.charge(
            order_id=order.id,
            amount_cents=order.total_cents,
            currency=order.currency,
            card=card,
            idempotency_key=f"order-{order.id}",
        )
    except CardRejected as rejected:
        _release(deps, reservation)
        order_transition(deps=deps, order_id=order.id, to=Status.CANCELLED)
        raise ValidationFailed("The card's details were refused.", errors=rejected.errors) from None
    if payment.status != "captured":
        _release(deps, reservation)
        order = order_transition(
            deps=deps, order_id=order.id, to=Status.PAYMENT_FAILED, payment=payment
        )
        raise CheckoutDeclined(order, payment.decline_code)

    try:
        deps.inventory.commit(reservation.id)
    except HoldGone:
        # The hold expired while the card was being charged: the money goes back.
        deps.payments.refund(payment.id, payment.amount_cents)
        order_transition(
            deps=deps,
            order_id=order.id,
            to=Status.CANCELLED,
            payment=payment,
            payment_status="refunded",
        )
        raise Conflict("The items were no longer held for you; the payment was refunded.") from None
    order = order_transition(deps=deps, order_id=order.id, to=Status.PAID, payment=payment)
    try:
        deps.cart.clear(user_id)
    except ServiceUnavailable:
        log.warning("order %s is paid but the cart of its buyer was not emptied", order.id)
    return order


def _order_create(
    *,
    deps: Collaborators,
    user_id: str,
    key: str,
    lines: Sequence[CartLine],
    products: dict[str, Any],
    shipping: ShippingAddress,
) -> Order:
    now = deps.clock()
    try:
        with transaction.atomic():
            order = Order.objects.create(
                user_id=user_id,
                idempotency_key=key,
                status=Status.PENDING,
                total_cents=sum(products[li.sku].price_cents * li.quantity for li in lines),
                currency=products[lines[0].sku].currency,
                ship_name=shipping.name,
                ship_line1=shipping.line1,
                ship_line2=shipping.line2,
                ship_city=shipping.city,
                ship_postal_code=shipping.postal_code,
                ship_country=shipping.country,
                created_at=now,
                updated_at=now,
            )
            OrderItem.objects.bulk_create(
                OrderItem(
                    order=order,
                    sku=line.sku,
                    name=products[line.sku].name,
                    quantity=line.quantity,
                    unit_price_cents=products[line.sku].price_cents,
                )
                for line in lines
            )
    except IntegrityError:
        # Only (user_id, idempotency_key) can clash: the key placed an order before and its
        # record has since been purged.
        raise Conflict(
            "This Idempotency-Key has already been used for another order.",
            errors=[FieldError("Idempotency-Key", "Use a new key for a new checkout.")],
        ) from None
    deps.metrics.orders.labels(Status.PENDING).inc()
    return order


def _release(deps: Collaborators, reservation: Reservation) -> None:
    """Gives the stock back, or leaves it to inventory's sweeper when that fails: the hold
    expires on its own, so the order need not wait for it."""
    try:
        deps.inventory.release(reservation.id)
    except (HoldGone, ServiceUnavailable) as exc:
        log.warning("reservation %s was not released: %s", reservation.id, exc)


# --- admin --------------------------------------------------------------------------------------


def order_refund(*, deps: Collaborators, order_id: UUID) -> Order:
    """Gives back whatever is left of a paid order's capture and marks it refunded. Safe to
    repeat: what payments says is already refunded is not asked for again."""
    order = Order.objects.get(pk=order_id)
    if Status.REFUNDED not in TRANSITIONS.get(order.status, frozenset()):
        raise IllegalTransition(f"An order that is {order.status} cannot be refunded.")
    for payment in deps.payments.payments(order.id):
        if payment.unrefunded_cents > 0:
            deps.payments.refund(payment.id, payment.unrefunded_cents)
    return order_transition(
        deps=deps, order_id=order.id, to=Status.REFUNDED, payment_status="refunded"
    )


# --- idempotency keys -------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


def request_fingerprint(body: Any, *, secret: str) -> str:
    """An HMAC rather than a plain hash: the body holds a card number, and a bare SHA-256 of a
    card number can be searched for."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def idempotency_claim(
    *, deps: Collaborators, user_id: str, key: str, request_hash: str
) -> IdempotencyRecord | Replay | Order:
    """The record this request now owns; or the stored answer to replay; or the order the
    recovery loop has settled since the first request with this key died (the caller renders it
    and completes the record). A different body is a 422, a request still running a 409.

    The key is claimed by inserting its row: of two requests racing, the database lets exactly
    one insert succeed."""
    for _ in range(3):  # a released record may vanish between our insert and our read
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    user_id=user_id, key=key, request_hash=request_hash, created_at=deps.clock()
                )
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if record is None:
            continue
        if not hmac.compare_digest(record.request_hash, request_hash):
            raise ValidationFailed(
                "This Idempotency-Key was used with a different request.",
                errors=[FieldError("Idempotency-Key", "Use a new key for a different request.")],
            )
        if record.status == IdempotencyRecord.Status.DONE:
            return Replay(record.response_status or 200, record.response_body or {})
        order = Order.objects.filter(user_id=user_id, idempotency_key=key).first()
        if order is not None and order.status != Status.PENDING:
            return order
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; try again shortly.",
            headers={"Retry-After": "1"},
        )
    raise ServiceUnavailable("The Idempotency-Key could not be claimed; try again.")


def idempotency_complete(*, user_id: str, key: str, status: int, body: dict[str, Any]) -> None:
    IdempotencyRecord.objects.filter(user_id=user_id, key=key).update(
        status=IdempotencyRecord.Status.DONE, response_status=status, response_body=body
    )


def idempotency_release(*, user_id: str, key: str) -> None:
    """After a failure with no answer to store: a retry may run afresh, unless an order was
    placed, which stays the key's (its retries get a 409 until the recovery loop settles it)."""
    with transaction.atomic():
        if not Order.objects.filter(user_id=user_id, idempotency_key=key).exists():
            IdempotencyRecord.objects.filter(
                user_id=user_id, key=key, status=IdempotencyRecord.Status.RUNNING
            ).delete()


# --- the outbox relay ---------------------------------------------------------------------------


def _trace_context() -> dict[str, str]:
    """The current trace context as an outgoing request would carry it."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def _links_to(carrier: dict[str, str]) -> list[trace.Link]:
    """A link to the trace that wrote an event rather than a parent: a delivery happens later,
    maybe after retries, and is a trace of its own."""
    origin = trace.get_current_span(propagate.extract(carrier)).get_span_context()
    return [trace.Link(origin)] if origin.is_valid else []


def relay_backoff(attempts: int, rand: Callable[[], float]) -> timedelta:
    """Exponential, capped, with "equal jitter": between half and all of the step."""
    step = min(RELAY_BACKOFF_CAP_SECONDS, RELAY_BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
    return timedelta(seconds=step / 2 + rand() * step / 2)


def outbox_claim(*, now: datetime, limit: int = RELAY_BATCH) -> list[OutboxEvent]:
    """Due events, leased to this relay for RELAY_LEASE. On PostgreSQL another relay skips the
    rows this one has locked instead of waiting, and sees the lease once this commits; a relay
    that dies mid-batch leaves its events to be retried when the lease runs out."""
    with transaction.atomic():
        events = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(delivered_at__isnull=True, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "created_at")[:limit]
        )
        OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            next_attempt_at=now + RELAY_LEASE
        )
    return events


def outbox_relay_pass(*, deps: Collaborators, limit: int = RELAY_BATCH) -> int:
    """Delivers due events to notifications, at least once each; returns how many went."""
    now = deps.clock()
    events = outbox_claim(now=now, limit=limit)
    delivered = 0
    for index, event in enumerate(events):
        try:
            with tracer.start_as_current_span(
                "outbox deliver",
                context=Context(),
                links=_links_to(event.trace_context),
                attributes={"messaging.message.id": str(event.id), "event.name": event.type},
            ):
                deps.notifications.publish(
                    {"event_id": str(event.id), "type": event.type, **event.payload}
                )
        except ServiceUnavailable as exc:
            attempts = event.attempts + 1
            OutboxEvent.objects.filter(pk=event.pk).update(
                attempts=attempts,
                next_attempt_at=now + relay_backoff(attempts, deps.random),
                last_error=str(exc.detail)[:200],
            )
            # notifications is most likely down for the rest too: they are due again at once,
            # each getting a backoff of its own as it fails in turn.
            untried = [e.pk for e in events[index + 1 :]]
            OutboxEvent.objects.filter(pk__in=untried).update(next_attempt_at=now)
            log.warning("event %s not delivered (attempt %d): %s", event.id, attempts, exc)
            break
        OutboxEvent.objects.filter(pk=event.pk).update(
            delivered_at=deps.clock(), attempts=F("attempts") + 1, last_error=""
        )
        delivered += 1
    return delivered


# --- the recovery loop --------------------------------------------------------------------------


def order_recovery_pass(*, deps: Collaborators, limit: int = RECOVERY_BATCH) -> int:
    """Settles orders left pending past the checkout timeout; returns how many it settled. An
    order it cannot settle yet (a dependency down) is tried again a timeout later."""
    now = deps.clock()
    stale = now - deps.checkout_timeout
    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, updated_at__lt=stale)
            .order_by("updated_at")[:limit]
        )
        # The lease: no other worker looks at these before another timeout has passed.
        Order.objects.filter(pk__in=[o.pk for o in orders]).update(updated_at=now)
    settled = 0
    for order in orders:
        try:
            with tracer.start_as_current_span(
                "order recover", attributes={"polyshop.order.id": str(order.id)}
            ):
                order_recover(deps=deps, order=order)
            settled += 1
        except ServiceUnavailable as exc:
            log.warning("order %s is still pending: %s", order.id, exc.detail)
        except IllegalTransition:
            pass  # settled meanwhile by someone else
    _idempotency_abandoned(stale=stale).delete()
    return settled


def order_recover(*, deps: Collaborators, order: Order) -> Order:
    """Drives a pending order to the terminal state that matches what payments and inventory
    say happened. Each step is safe to repeat if this dies half way: commit and release are
    idempotent, refunds are for what payments says is left, transitions check the state."""
    payments = deps.payments.payments(order.id)
    reservations = deps.inventory.reservations(order.id)
    held = [r for r in reservations if r.status == "held"]
    committed = [r for r in reservations if r.status == "committed"]
    paid_in_full = [
        p
        for p in payments
        if p.status == "captured" and p.refunded_cents == 0 and p.amount_cents == order.total_cents
    ]

    if paid_in_full:
        payment = paid_in_full[0]
        # Anything captured beyond the one payment of the total goes back.
        _refund_all(deps, [p for p in payments if p is not payment])
        try:
            if not committed:
                if not held:
                    raise HoldGone("no hold left")
                deps.inventory.commit(held[0].id)
        except HoldGone:
            _refund_all(deps, [payment])
            return order_transition(
                deps=deps,
                order_id=order.id,
                to=Status.CANCELLED,
                payment=payment,
                payment_status="refunded",
            )
        return order_transition(deps=deps, order_id=order.id, to=Status.PAID, payment=payment)

    _refund_all(deps, payments)
    for reservation in held:
        _release(deps, reservation)
    if committed:
        log.error("order %s: stock committed without a capture (%s)", order.id, committed[0].id)
    declined = next((p for p in payments if p.status == "declined"), None)
    if declined is not None:
        return order_transition(
            deps=deps, order_id=order.id, to=Status.PAYMENT_FAILED, payment=declined
        )
    return order_transition(deps=deps, order_id=order.id, to=Status.CANCELLED)


def _refund_all(deps: Collaborators, payments: Sequence[Payment]) -> None:
    for payment in payments:
        if payment.unrefunded_cents > 0:
            deps.payments.refund(payment.id, payment.unrefunded_cents)


def _idempotency_abandoned(*, stale: datetime) -> Any:
    """Keys whose request died before it placed an order: nothing happened, so a retry may run
    afresh."""
    orders = Order.objects.filter(user_id=OuterRef("user_id"), idempotency_key=OuterRef("key"))
    return IdempotencyRecord.objects.filter(
        status=IdempotencyRecord.Status.RUNNING, created_at__lt=stale
    ).exclude(Exists(orders))


def idempotency_purge(*, deps: Collaborators) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lte=deps.clock() - IDEMPOTENCY_TTL
    ).delete()
    return deleted
