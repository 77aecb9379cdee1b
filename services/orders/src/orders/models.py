"""orders' tables: orders and their items, the outbox of events, and idempotency records.

Times are set by the services from their injected clock, not by `auto_now`: the recovery loop and
the relay compare them with that same clock.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"
        PAYMENT_FAILED = "payment_failed"
        CANCELLED = "cancelled"
        REFUNDED = "refunded"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The token's subject: orders keeps no users of its own.
    user_id = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    total_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # The Idempotency-Key of the request that placed it: at most one order per key and caller,
    # whatever happens to the idempotency record.
    idempotency_key = models.CharField(max_length=255)

    ship_name = models.CharField("name", max_length=200)
    ship_line1 = models.CharField("address line 1", max_length=200)
    ship_line2 = models.CharField("address line 2", max_length=200, blank=True)
    ship_city = models.CharField("city", max_length=100)
    ship_postal_code = models.CharField("postal code", max_length=20)
    ship_country = models.CharField("country", max_length=2)

    payment_id = models.CharField(max_length=64, blank=True)
    payment_status = models.CharField(max_length=16, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    # Also the recovery loop's lease: it looks at orders pending and untouched for a while.
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "idempotency_key"], name="order_once_per_key"
            ),
            models.CheckConstraint(
                condition=Q(total_cents__gte=0), name="order_total_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["user_id", "-created_at"], name="order_history"),
            models.Index(
                fields=["updated_at"], condition=Q(status="pending"), name="order_pending"
            ),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"order {self.id} ({self.status})"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price_cents = models.BigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class OutboxEvent(models.Model):
    """An event to deliver to notifications, written in the transaction that changed the order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64)
    # {user_id, data}: the body of notifications' POST /api/events, less event_id and type.
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the relay may try (again); a relay that claims the event pushes it out as a lease.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=200, blank=True)
    # The W3C trace context (`traceparent`, …) of the change that wrote the event: the relay's
    # delivery, a trace of its own, links back to the checkout that caused it.
    trace_context = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(delivered_at__isnull=True),
                name="outbox_undelivered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class IdempotencyRecord(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"

    user_id = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    # An HMAC of the body: the body holds a card number, which orders never stores.
    request_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status, default=Status.RUNNING)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "key"], name="idempotency_key_per_caller")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"
