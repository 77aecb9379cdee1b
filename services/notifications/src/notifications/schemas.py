"""What the notifications API reads and writes; inputs and outputs apart."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from notifications.repository import Notification
from notifications.services import ENVELOPE

# Dotted lowercase names (`order.paid`): a new kind of event is accepted without a release here.
EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"


class EventIn(BaseModel):
    """Something that happened to a user, to push to their open sockets."""

    event_id: UUID = Field(description="Unique per event: a repeat is accepted and not sent again")
    user_id: UUID
    type: str = Field(
        max_length=64, pattern=EVENT_TYPE_PATTERN, examples=["order.paid", "order.payment_failed"]
    )
    data: dict[str, Any] = Field(
        description="Pushed flat beside `type`, e.g. {order_id, total_cents, currency, status}"
    )

    @field_validator("data")
    @classmethod
    def _no_envelope_names(cls, data: dict[str, Any]) -> dict[str, Any]:
        taken = sorted(ENVELOPE & data.keys())
        if taken:
            raise ValueError(f"{', '.join(taken)} may not be used: the push message sets them")
        return data


class EventAccepted(BaseModel):
    event_id: str
    status: Literal["accepted", "duplicate"]


class NotificationOut(BaseModel):
    event_id: str
    type: str
    data: dict[str, Any]
    created_at: str = Field(description="When notifications accepted it, ISO 8601 UTC")

    @classmethod
    def of(cls, notification: Notification) -> NotificationOut:
        return cls(
            event_id=notification.event_id,
            type=notification.type,
            data=notification.data,
            created_at=notification.created_at,
        )


class NotificationsOut(BaseModel):
    """The caller's latest notifications, newest first (at most 50)."""

    items: list[NotificationOut]
