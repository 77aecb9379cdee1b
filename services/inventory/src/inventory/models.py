"""The inventory tables. Alembic's revisions in migrations/versions/ create them; keep the two in
step (`alembic check` in the integration tests says when they drift)."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class ReservationStatus(enum.StrEnum):
    HELD = "held"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in and out: SQLite keeps no zone and hands back naive values."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC one")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Named constraints: the migrations name them the same on SQLite and PostgreSQL.
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


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
