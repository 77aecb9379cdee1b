"""What the payments API reads and what it answers, kept apart.

Inputs check types and shapes only; the card rules (Luhn, expiry, CVC) live in cards.py, where
the clock is. Errors never repeat what was sent (`hide_input_in_errors`): the input may be a
card number."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from payments.models import Payment, Refund

# $10 million: far above any basket, far below what a BIGINT or a float would round.
MAX_AMOUNT_CENTS = 1_000_000_000
MAX_PAGE_SIZE = 100

STRICT = ConfigDict(extra="forbid", hide_input_in_errors=True)


class CardIn(BaseModel):
    model_config = STRICT

    number: StrictStr = Field(max_length=32, repr=False, description="12 to 19 digits")
    exp_month: StrictInt = Field(description="1 to 12")
    exp_year: StrictInt = Field(description="Four digits, this year or later")
    cvc: StrictStr = Field(max_length=8, repr=False, description="3 or 4 digits")


class ChargeIn(BaseModel):
    """A charge for an order. The card is checked, then captured or declined by the test-card
    rules; it is never stored: a payment keeps its brand and last four digits."""

    model_config = STRICT

    order_id: uuid.UUID
    amount_cents: StrictInt = Field(ge=1, le=MAX_AMOUNT_CENTS)
    currency: Literal["USD"]
    card: CardIn


class RefundIn(BaseModel):
    """Money back on a captured payment: at most what is captured and not yet refunded."""

    model_config = STRICT

    amount_cents: StrictInt = Field(ge=1, le=MAX_AMOUNT_CENTS)


class PaymentQuery(BaseModel):
    """The query string of `GET /api/payments`."""

    model_config = STRICT

    order_id: uuid.UUID | None = Field(None, description="Only this order's payments")
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class CardOut(BaseModel):
    brand: Literal["visa", "mastercard", "amex", "discover", "unknown"]
    last4: str


class PaymentOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    status: Literal["captured", "declined"]
    decline_code: Literal["card_declined", "insufficient_funds"] | None
    amount_cents: int
    refunded_cents: int
    currency: str
    card: CardOut
    created_at: datetime

    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        return cls(
            id=payment.id,
            order_id=payment.order_id,
            status=payment.status,
            decline_code=payment.decline_code,
            amount_cents=payment.amount_cents,
            refunded_cents=payment.refunded_cents,
            currency=payment.currency,
            card=CardOut(brand=payment.card_brand, last4=payment.card_last4),
            created_at=payment.created_at,
        )


class PaymentPage(BaseModel):
    """Newest first."""

    items: list[PaymentOut]
    page: int
    page_size: int
    total: int


class RefundOut(BaseModel):
    id: uuid.UUID
    payment_id: uuid.UUID
    amount_cents: int
    created_at: datetime

    @classmethod
    def of(cls, refund: Refund) -> RefundOut:
        return cls(
            id=refund.id,
            payment_id=refund.payment_id,
            amount_cents=refund.amount_cents,
            created_at=refund.created_at,
        )
