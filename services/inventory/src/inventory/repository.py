"""Stock and reservations in the service's database.

Each method is one transaction. What must never break — `available` below zero, an order holding
stock twice, stock returned twice — is decided by the database inside that transaction
(a conditional UPDATE, a unique constraint, a conditional status change), never by reading first
and writing after.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from inventory.models import Reservation, ReservationItem, ReservationStatus, Stock
from inventory.settings import InventorySettings
from polykit.metrics import Metrics
from polykit.stores import sync_engine

HELD = ReservationStatus.HELD
# The moves that hand a reservation's units back to stock.
RETURNS_STOCK = frozenset({ReservationStatus.RELEASED, ReservationStatus.EXPIRED})


@dataclass(frozen=True)
class StockLevel:
    sku: str
    available: int


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Hold:
    """A reservation, with its items sorted by SKU."""

    id: uuid.UUID
    order_id: uuid.UUID
    status: ReservationStatus
    items: tuple[Line, ...]
    expires_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class Shortage:
    sku: str
    wanted: int
    available: int | None  # None: no stock row for this SKU at all


class ShortStock(Exception):
    def __init__(self, shortages: list[Shortage]) -> None:
        super().__init__(", ".join(s.sku for s in shortages))
        self.shortages = shortages


def inventory_engine(settings: InventorySettings, *, metrics: Metrics | None = None) -> sa.Engine:
    engine = sync_engine(settings, metrics=metrics)
    if engine.dialect.name == "sqlite":
        immediate_transactions(engine)
    return engine


def immediate_transactions(engine: sa.Engine) -> None:
    """SQLite's default BEGIN (DEFERRED) takes the write lock only at the first write, so two
    transactions can both read and then one fails to upgrade ("database is locked"). BEGIN
    IMMEDIATE takes it at the start: writers queue (up to the connect timeout) and run one at a
    time. The sqlite3 driver's own BEGIN is switched off so that SQLAlchemy can send this one.
    On PostgreSQL the UPDATEs' row locks serialize what needs it, so nothing changes there."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class InventoryRepository:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- stock

    def stock(self, sku: str) -> StockLevel | None:
        with self.engine.begin() as connection:
            available = connection.scalar(sa.select(Stock.available).where(Stock.sku == sku))
        return None if available is None else StockLevel(sku, available)

    def stock_levels(self) -> list[StockLevel]:
        with self.engine.begin() as connection:
            rows = connection.execute(sa.select(Stock.sku, Stock.available).order_by(Stock.sku))
            return [StockLevel(sku, available) for sku, available in rows]

    def set_stock(self, sku: str, available: int) -> StockLevel:
        with self.engine.begin() as connection:
            upsert = _insert(connection).values(sku=sku, available=available)
            upsert = upsert.on_conflict_do_update(
                index_elements=[Stock.sku], set_={"available": available}
            )
            connection.execute(upsert)
        return StockLevel(sku, available)

    def add_missing(self, skus: Iterable[str], available: int) -> list[str]:
        """Gives each SKU without a stock row `available` units; never touches existing rows.
        Returns the SKUs it added."""
        rows = [{"sku": sku, "available": available} for sku in dict.fromkeys(skus)]
        if not rows:
            return []
        with self.engine.begin() as connection:
            insert = _insert(connection).on_conflict_do_nothing(index_elements=[Stock.sku])
            return sorted(connection.scalars(insert.returning(Stock.sku), rows))

    # -- reservations

    def reserve(
        self,
        *,
        order_id: uuid.UUID,
        lines: Sequence[Line],
        created_at: datetime,
        expires_at: datetime,
    ) -> tuple[Hold, bool]:
        """Holds every line or none: (the new hold, True), or (the order's existing hold, False)
        whatever its status. Raises ShortStock naming every line that cannot be held."""
        hold = Hold(
            id=uuid.uuid4(),
            order_id=order_id,
            status=HELD,
            items=tuple(sorted(lines, key=lambda line: line.sku)),
            expires_at=expires_at,
            created_at=created_at,
        )
        try:
            with self.engine.begin() as connection:
                # First, so that a second request for the order stops here (on PostgreSQL it
                # waits on the unique index until the first one commits or rolls back).
                connection.execute(
                    sa.insert(Reservation).values(
                        id=hold.id,
                        order_id=order_id,
                        status=HELD,
                        expires_at=expires_at,
                        created_at=created_at,
                    )
                )
                short = [line for line in hold.items if not _take(connection, line)]
                if short:
                    raise ShortStock(_shortages(connection, short))  # rolls everything back
                connection.execute(
                    sa.insert(ReservationItem),
                    [
                        {"reservation_id": hold.id, "sku": line.sku, "quantity": line.quantity}
                        for line in hold.items
                    ],
                )
        except IntegrityError:
            existing = self.by_order(order_id)
            if existing is None:
                raise
            return existing, False
        return hold, True

    def get(self, reservation_id: uuid.UUID) -> Hold | None:
        with self.engine.begin() as connection:
            return _hold(connection, Reservation.id == reservation_id)

    def by_order(self, order_id: uuid.UUID) -> Hold | None:
        with self.engine.begin() as connection:
            return _hold(connection, Reservation.order_id == order_id)

    def transition(
        self, reservation_id: uuid.UUID, to: ReservationStatus, *, now: datetime
    ) -> bool:
        """Moves a held reservation to `to`, returning its units to stock when `to` releases
        them; True when this call made the move. Only a hold that has not expired at `now` can be
        committed. The status condition makes the move happen once, whoever else tries."""
        conditions = [Reservation.id == reservation_id, Reservation.status == HELD]
        if to is ReservationStatus.COMMITTED:
            conditions.append(Reservation.expires_at > now)
        with self.engine.begin() as connection:
            moved = connection.execute(sa.update(Reservation).where(*conditions).values(status=to))
            if moved.rowcount != 1:
                return False
            if to in RETURNS_STOCK:
                for line in _lines(connection, reservation_id):
                    connection.execute(
                        sa.update(Stock)
                        .where(Stock.sku == line.sku)
                        .values(available=Stock.available + line.quantity)
                    )
        return True

    def due(self, *, now: datetime, limit: int) -> list[uuid.UUID]:
        """Held reservations that expired by `now`, the oldest first."""
        query = (
            sa.select(Reservation.id)
            .where(Reservation.status == HELD, Reservation.expires_at <= now)
            .order_by(Reservation.expires_at)
            .limit(limit)
        )
        with self.engine.begin() as connection:
            return list(connection.scalars(query))


def _insert(connection: sa.Connection) -> Any:
    """INSERT with ON CONFLICT, in the dialect at hand (both spell it the same way)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(Stock)


def _take(connection: sa.Connection, line: Line) -> bool:
    taken = connection.execute(
        sa.update(Stock)
        .where(Stock.sku == line.sku, Stock.available >= line.quantity)
        .values(available=Stock.available - line.quantity)
    )
    return taken.rowcount == 1


def _shortages(connection: sa.Connection, lines: list[Line]) -> list[Shortage]:
    rows = connection.execute(
        sa.select(Stock.sku, Stock.available).where(Stock.sku.in_([line.sku for line in lines]))
    )
    available = {sku: units for sku, units in rows}
    return [Shortage(line.sku, line.quantity, available.get(line.sku)) for line in lines]


def _lines(connection: sa.Connection, reservation_id: uuid.UUID) -> list[Line]:
    # Sorted like the reservation's own UPDATEs, so that on PostgreSQL two transactions lock
    # stock rows in the same order and never deadlock.
    rows = connection.execute(
        sa.select(ReservationItem.sku, ReservationItem.quantity)
        .where(ReservationItem.reservation_id == reservation_id)
        .order_by(ReservationItem.sku)
    )
    return [Line(sku, quantity) for sku, quantity in rows]


def _hold(connection: sa.Connection, condition: sa.ColumnElement[bool]) -> Hold | None:
    reservation = connection.execute(sa.select(Reservation).where(condition)).one_or_none()
    if reservation is None:
        return None
    return Hold(
        id=reservation.id,
        order_id=reservation.order_id,
        status=ReservationStatus(reservation.status),
        items=tuple(_lines(connection, reservation.id)),
        expires_at=reservation.expires_at,
        created_at=reservation.created_at,
    )
