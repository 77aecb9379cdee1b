"""The payments use cases. No Falcon here: resources.py parses a request, calls one of these and
writes what it returns. Failures are the kit's problem errors, which the adapter answers."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from payments.cards import card_check
from payments.idempotency import Answer, Clock, IdempotencyKeys, idempotency_key_check
from payments.models import CAPTURED, DECLINED, Payment, Refund
from payments.repository import Claim, PaymentRepository, StoredResponse
from payments.schemas import ChargeIn, PaymentOut, PaymentPage, PaymentQuery, RefundIn, RefundOut
from polykit.errors import Conflict, FieldError, NotFound

log = logging.getLogger("polyshop.payments")

OUTCOMES = ("captured", "declined", "refunded")


@dataclass(frozen=True)
class PaymentCounters:
    payments: Counter
    revenue: Counter

    @classmethod
    def register(cls, registry: CollectorRegistry) -> PaymentCounters:
        payments = Counter(
            "polyshop_payments", "Payments, by outcome.", ["outcome"], registry=registry
        )
        revenue = Counter(
            "polyshop_revenue_cents", "Captured money, in cents.", ["currency"], registry=registry
        )
        for outcome in OUTCOMES:
            payments.labels(outcome=outcome)  # scraped at 0 until it first happens
        revenue.labels(currency="USD")
        return cls(payments, revenue)


def payment_charge(
    *,
    repository: PaymentRepository,
    keys: IdempotencyKeys,
    clock: Clock,
    counters: PaymentCounters,
    caller: str,
    idempotency_key: str | None,
    charge: ChargeIn,
) -> Answer:
    """Charges a card once per Idempotency-Key: captured, or declined by the test-card rules.
    A decline is an answer (201, status "declined"), not an error."""
    key = idempotency_key_check(idempotency_key)
    now = clock()
    card = card_check(
        number=charge.card.number,
        exp_month=charge.card.exp_month,
        exp_year=charge.card.exp_year,
        cvc=charge.card.cvc,
        today=now.date(),
    )
    request_hash = keys.request_hash("POST /api/payments", charge.model_dump(mode="json"))

    def execute(claim: Claim) -> StoredResponse:
        payment = Payment(
            id=uuid.uuid4(),
            order_id=charge.order_id,
            status=DECLINED if card.decline_code else CAPTURED,
            decline_code=card.decline_code,
            amount_cents=charge.amount_cents,
            refunded_cents=0,
            currency=charge.currency,
            card_brand=card.brand,
            card_last4=card.last4,
            created_at=now,
        )
        response = StoredResponse(201, PaymentOut.of(payment).model_dump_json())
        repository.add_payment(payment, claim=claim, response=response)
        counters.payments.labels(outcome=payment.status).inc()
        if payment.status == CAPTURED:
            counters.revenue.labels(currency=payment.currency).inc(payment.amount_cents)
        log.info(
            "payment %s for order %s %s",
            payment.id,
            payment.order_id,
            payment.status,
            extra={
                "payment_id": str(payment.id),
                "order_id": str(payment.order_id),
                "outcome": payment.status,
                "decline_code": payment.decline_code,
                "amount_cents": payment.amount_cents,
                "card": repr(card),
            },
        )
        return response

    return keys.run(caller=caller, key=key, request_hash=request_hash, execute=execute)


def payment_refund(
    *,
    repository: PaymentRepository,
    keys: IdempotencyKeys,
    clock: Clock,
    counters: PaymentCounters,
    caller: str,
    idempotency_key: str | None,
    payment_id: uuid.UUID,
    refund: RefundIn,
) -> Answer:
    """Gives back part or all of a captured payment, never more than is left of it. An
    Idempotency-Key is optional here; with one, a retried refund is not given twice."""
    now = clock()

    def execute(claim: Claim | None) -> StoredResponse:
        record = Refund(
            id=uuid.uuid4(), payment_id=payment_id, amount_cents=refund.amount_cents, created_at=now
        )
        response = StoredResponse(201, RefundOut.of(record).model_dump_json())
        if not repository.add_refund(record, claim=claim, response=response):
            raise _refund_refused(repository.get_payment(payment_id), refund.amount_cents)
        counters.payments.labels(outcome="refunded").inc()
        log.info(
            "refund %s of %d cents on payment %s",
            record.id,
            record.amount_cents,
            payment_id,
            extra={"refund_id": str(record.id), "payment_id": str(payment_id)},
        )
        return response

    if idempotency_key is None:
        response = execute(None)
        return Answer(response.status, response.body)
    request_hash = keys.request_hash(
        f"POST /api/payments/{payment_id}/refunds", refund.model_dump(mode="json")
    )
    return keys.run(
        caller=caller,
        key=idempotency_key_check(idempotency_key),
        request_hash=request_hash,
        execute=execute,
    )


def _refund_refused(payment: Payment | None, amount_cents: int) -> Exception:
    if payment is None:
        return NotFound("No such payment.")
    if payment.status != CAPTURED:
        return Conflict(f"Only captured payments can be refunded; this one is {payment.status}.")
    left = payment.amount_cents - payment.refunded_cents
    return Conflict(
        f"Only {left} of the {payment.amount_cents} cents captured are left to refund.",
        errors=[FieldError("amount_cents", f"must be at most {left}")],
    )


def payment_get(*, repository: PaymentRepository, payment_id: uuid.UUID) -> PaymentOut:
    payment = repository.get_payment(payment_id)
    if payment is None:
        raise NotFound("No such payment.")
    return PaymentOut.of(payment)


def payment_list(*, repository: PaymentRepository, query: PaymentQuery) -> PaymentPage:
    payments, total = repository.payments(
        order_id=query.order_id,
        offset=(query.page - 1) * query.page_size,
        limit=query.page_size,
    )
    return PaymentPage(
        items=[PaymentOut.of(payment) for payment in payments],
        page=query.page,
        page_size=query.page_size,
        total=total,
    )
