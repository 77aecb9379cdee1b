"""Payments, refunds, the ledger and idempotency keys in the service's database; one short
transaction per call.

Three guarantees rest here rather than in the use cases, because only the database can make them
under concurrency:
- `claim_key` claims an Idempotency-Key by INSERTing it: the primary key (caller, key) lets
  exactly one of any number of simultaneous requests have it, and the others read what is there.
  Never a SELECT first: two requests could both find nothing and both charge.
- A charge or refund and the completion of its key commit together, so a crash leaves either
  both or neither. The claim's `created_at` is its fencing token: completing or releasing a
  claim that was taken over (it looked abandoned) changes nothing, and the work rolls back.
- `add_refund` raises `refunded_cents` with one conditional UPDATE that only matches while the
  refund still fits: concurrent refunds cannot together exceed the capture.

The ledger gets an entry with every payment and refund, in the same transaction; nothing here
can change or remove an entry (and the table's triggers refuse it too). A database that does not
answer is a 503 for the caller, never a 500.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from payments.models import (
    CAPTURED,
    CHARGE,
    DECLINE,
    DONE,
    REFUND,
    RUNNING,
    IdempotencyKey,
    LedgerEntry,
    Payment,
    Refund,
)
from polykit.errors import ServiceUnavailable

_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


@dataclass(frozen=True)
class Claim:
    """This request holds the key (caller, key), claimed at `claimed_at`."""

    caller: str
    key: str
    claimed_at: datetime


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str  # JSON text, exactly as sent


class ClaimLost(Exception):
    """The claim was taken over by a later request before this one could finish."""


class KeyBusy(Exception):
    """The key kept changing hands while we tried to claim it."""


def enforce_foreign_keys(engine: sa.Engine) -> None:
    """SQLite checks foreign keys only when each connection asks it to; PostgreSQL always."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(
            engine, "connect", lambda connection, _: connection.execute("PRAGMA foreign_keys=ON")
        )


def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    # Rows handed back stay readable after their transaction: callers never lazy-load.
    return sessionmaker(engine, expire_on_commit=False)


class PaymentRepository:
    CLAIM_ATTEMPTS = 3

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with _answering(), self.sessions.begin() as session:
            yield session

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with _answering(), self.sessions() as session:
            yield session

    # Idempotency keys

    def claim_key(
        self,
        *,
        caller: str,
        key: str,
        request_hash: str,
        now: datetime,
        stale_before: datetime,
    ) -> Claim | IdempotencyKey:
        """A Claim when this request now holds the key; otherwise the key as someone else left
        it. A running claim of the same request older than `stale_before` is taken over."""
        for _ in range(self.CLAIM_ATTEMPTS):
            try:
                with self._transaction() as session:
                    session.add(
                        IdempotencyKey(
                            caller=caller,
                            key=key,
                            request_hash=request_hash,
                            status=RUNNING,
                            created_at=now,
                        )
                    )
                return Claim(caller, key, now)
            except IntegrityError:
                pass
            with self._reading() as session:
                existing = session.get(IdempotencyKey, (caller, key))
            if existing is None:
                continue  # its claimant failed and let go since our INSERT: try again
            abandoned = (
                existing.status == RUNNING
                and existing.request_hash == request_hash
                and existing.created_at < stale_before
            )
            if not abandoned:
                return existing
            if self._take_over(existing, now):
                return Claim(caller, key, now)
        raise KeyBusy(key)

    def _take_over(self, abandoned: IdempotencyKey, now: datetime) -> bool:
        with self._transaction() as session:
            result = session.execute(
                sa.update(IdempotencyKey)
                .where(*_holding(Claim(abandoned.caller, abandoned.key, abandoned.created_at)))
                .values(created_at=now)
            )
        return result.rowcount == 1

    def release_key(self, claim: Claim) -> None:
        """Lets go of a claim whose request failed, so that a retry can run it again."""
        with self._transaction() as session:
            session.execute(sa.delete(IdempotencyKey).where(*_holding(claim)))

    def purge_keys(self, *, before: datetime) -> int:
        with self._transaction() as session:
            result = session.execute(
                sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < before)
            )
        return result.rowcount

    # Payments and refunds

    def add_payment(
        self, payment: Payment, *, claim: Claim | None, response: StoredResponse
    ) -> None:
        """Records the payment and its ledger entry, and completes the claim with `response`;
        ClaimLost (and nothing recorded) when the claim is no longer ours."""
        with self._transaction() as session:
            # Flushed one by one: without relationship()s the ORM does not order the INSERTs
            # by their foreign keys.
            session.add(payment)
            session.flush()
            session.add(
                LedgerEntry(
                    kind=CHARGE if payment.status == CAPTURED else DECLINE,
                    payment_id=payment.id,
                    amount_cents=payment.amount_cents,
                    currency=payment.currency,
                    created_at=payment.created_at,
                )
            )
            session.flush()
            if claim is not None:
                _complete(session, claim, response)

    def add_refund(self, refund: Refund, *, claim: Claim | None, response: StoredResponse) -> bool:
        """Records the refund if it fits in what is captured and not yet refunded; False (and
        nothing recorded) when the payment is missing, not captured, or has too little left."""
        with self._transaction() as session:
            currency = session.execute(
                sa.update(Payment)
                .where(
                    Payment.id == refund.payment_id,
                    Payment.status == CAPTURED,
                    Payment.refunded_cents + refund.amount_cents <= Payment.amount_cents,
                )
                .values(refunded_cents=Payment.refunded_cents + refund.amount_cents)
                .returning(Payment.currency)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            if currency is None:
                return False
            session.add(refund)
            session.flush()
            session.add(
                LedgerEntry(
                    kind=REFUND,
                    payment_id=refund.payment_id,
                    refund_id=refund.id,
                    amount_cents=refund.amount_cents,
                    currency=currency,
                    created_at=refund.created_at,
                )
            )
            session.flush()
            if claim is not None:
                _complete(session, claim, response)
        return True

    def get_payment(self, payment_id: uuid.UUID) -> Payment | None:
        with self._reading() as session:
            return session.get(Payment, payment_id)

    def payments(
        self, *, order_id: uuid.UUID | None, offset: int, limit: int
    ) -> tuple[list[Payment], int]:
        """A page of payments, newest first, and how many there are in all."""
        query = sa.select(Payment)
        if order_id is not None:
            query = query.where(Payment.order_id == order_id)
        with self._reading() as session:
            total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
            page = session.scalars(
                query.order_by(Payment.created_at.desc(), Payment.id).offset(offset).limit(limit)
            )
            return list(page), total or 0

    def ledger(self, *, payment_id: uuid.UUID | None = None) -> list[LedgerEntry]:
        query = sa.select(LedgerEntry).order_by(LedgerEntry.id)
        if payment_id is not None:
            query = query.where(LedgerEntry.payment_id == payment_id)
        with self._reading() as session:
            return list(session.scalars(query))


@contextmanager
def _answering() -> Iterator[None]:
    try:
        yield
    except _UNAVAILABLE as exc:
        raise ServiceUnavailable("The payments database is not answering.") from exc


def _holding(claim: Claim) -> tuple[sa.ColumnElement[bool], ...]:
    """Matches the key's row only while `claim` still holds it."""
    return (
        IdempotencyKey.caller == claim.caller,
        IdempotencyKey.key == claim.key,
        IdempotencyKey.status == RUNNING,
        IdempotencyKey.created_at == claim.claimed_at,
    )


def _complete(session: Session, claim: Claim, response: StoredResponse) -> None:
    result = session.execute(
        sa.update(IdempotencyKey)
        .where(*_holding(claim))
        .values(status=DONE, response_status=response.status, response_body=response.body)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ClaimLost(claim.key)
