"""The payments tables. Alembic's revisions in migrations/versions/ create them; keep the two in
step (`alembic check` in the integration tests says when they drift).

No column ever holds a full card number or a CVC: a payment keeps the brand and the last four
digits, and an idempotency record keeps a keyed hash of the request, never the request."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from polykit.sql import NAMING_CONVENTION, UtcDateTime

CAPTURED, DECLINED = "captured", "declined"
RUNNING, DONE = "running", "done"
# What the ledger records: a capture, a declined attempt (no money moved), a refund.
CHARGE, DECLINE, REFUND = "charge", "decline", "refund"

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only


class Base(DeclarativeBase):
    # Named constraints: the migrations name them the same on SQLite and PostgreSQL.
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        # The last line of defence behind the refund's conditional UPDATE.
        sa.CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refund_within_capture"
        ),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    decline_code: Mapped[str | None] = mapped_column(sa.String(32))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    refunded_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3))
    card_brand: Mapped[str] = mapped_column(sa.String(16))
    card_last4: Mapped[str] = mapped_column(sa.String(4))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (sa.CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerEntry(Base):
    """Append-only: the repository has no way to change or remove an entry, and the migration
    installs triggers that refuse UPDATE and DELETE on the table itself."""

    __tablename__ = "ledger"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    payment_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    refund_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("refunds.id"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdempotencyKey(Base):
    """One claimed `Idempotency-Key` per caller. The claim is the INSERT of this row: the
    primary key lets exactly one of several concurrent requests have it."""

    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(8))
    response_status: Mapped[int | None] = mapped_column(sa.Integer)
    # The JSON exactly as first sent, so that a replay is byte for byte the same answer.
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    # When the current claim was made; it doubles as the claim's fencing token (see repository).
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
