"""The inventory tables. Alembic's revisions in migrations/versions/ create them; keep the two in
step (`alembic check` in the integration tests says when they drift)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from polykit.sql import NAMING_CONVENTION, UtcDateTime


class ReservationStatus(enum.StrEnum):
    HELD = "held"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"


class Base(DeclarativeBase):
    # Named constraints: the migrations name them the same on SQLite and PostgreSQL.
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Stock(Base):
    __tablename__ = "stock"
    # The reservation's conditional UPDATE keeps `available` at zero or above; this is the
    # database refusing, should any other statement ever try.
    __table_args__ = (sa.CheckConstraint("available >= 0", name="available_not_negative"),)

    sku: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    available: Mapped[int] = mapped_column(sa.Integer)


class Reservation(Base):
    __tablename__ = "reservations"
    # The sweeper's question: which held reservations have expired, oldest first.
    __table_args__ = (sa.Index("ix_reservations_status_expires_at", "status", "expires_at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    # Unique: the database, not a lookup beforehand, decides that an order holds stock once.
    order_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReservationItem(Base):
    __tablename__ = "reservation_items"

    reservation_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True
    )
    sku: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    quantity: Mapped[int] = mapped_column(sa.Integer)
