"""Carts in the service's database: one row per item (SQLite by default, PostgreSQL too)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cart.models import CartItem
from cart.repository import CartLine, PutOutcome
from polykit.stores import unavailable_on

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

items = CartItem.__table__
# Connection refused, timed out, or SQLite still locked after its busy timeout.
down = unavailable_on(
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
    store="cart",
    detail="Carts cannot be reached right now; try again shortly.",
)


class SqlCartStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        dialect = sqlite if engine.dialect.name == "sqlite" else postgresql
        self._insert = dialect.insert

    @down
    async def lines(self, user_id: str) -> list[CartLine]:
        query = (
            sa.select(items.c.sku, items.c.quantity)
            .where(items.c.user_id == user_id)
            .order_by(items.c.id)
        )
        async with self.engine.connect() as connection:
            rows = await connection.execute(query)
        return [CartLine(sku=sku, quantity=quantity) for sku, quantity in rows]

    @down
    async def put(self, user_id: str, sku: str, quantity: int, *, max_lines: int) -> PutOutcome:
        async with self.engine.begin() as connection:
            # The count below must not be overtaken by another request for the same cart before
            # the insert. SQLite takes its one write lock at the first write (the update);
            # PostgreSQL lets writers count at once, so one cart's writers take turns.
            if self.engine.dialect.name == "postgresql":
                await connection.execute(
                    sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(user_id, 0)))
                )
            updated = await connection.execute(
                sa.update(items)
                .where(items.c.user_id == user_id, items.c.sku == sku)
                .values(quantity=quantity)
            )
            if updated.rowcount:
                return PutOutcome.UPDATED
            others = (
                sa.select(sa.func.count())
                .select_from(items)
                .where(items.c.user_id == user_id, items.c.sku != sku)
                .correlate(None)
                .scalar_subquery()
            )
            row = sa.select(sa.literal(user_id), sa.literal(sku), sa.literal(quantity)).where(
                others < max_lines
            )
            insert = self._insert(items).from_select(["user_id", "sku", "quantity"], row)
            # A concurrent first add of the same SKU won the race: ours becomes an update.
            insert = insert.on_conflict_do_update(
                index_elements=["user_id", "sku"], set_={"quantity": insert.excluded.quantity}
            )
            # RETURNING, not rowcount: SQLAlchemy on psycopg reports -1 for this INSERT … SELECT.
            inserted = (await connection.execute(insert.returning(items.c.id))).first()
        return PutOutcome.FULL if inserted is None else PutOutcome.ADDED

    @down
    async def remove(self, user_id: str, sku: str) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                sa.delete(items).where(items.c.user_id == user_id, items.c.sku == sku)
            )

    @down
    async def clear(self, user_id: str) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(sa.delete(items).where(items.c.user_id == user_id))
