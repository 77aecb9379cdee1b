"""The catalog's tables through SQLAlchemy's asyncio engine: SQLite locally, PostgreSQL in
production. A database that does not answer is a 503 for the caller, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from catalog.models import Category, Product
from polykit.errors import ServiceUnavailable

_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


def _contains(column: sa.ColumnElement[str], word: str) -> sa.ColumnElement[bool]:
    """ILIKE '%word%' with the word's own % and _ taken literally. Lower-cased here too: SQLite's
    lower() knows only ASCII, so 'CAFÉ' would otherwise miss 'Café' there."""
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _upsert(dialect: str, table: sa.Table, key: str) -> sa.Insert:
    """INSERT … ON CONFLICT DO UPDATE, in the dialect's own words (both speak it): two replicas
    seeding at once both succeed, and a changed data file updates the rows it names."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table)
    columns = {c.name: statement.excluded[c.name] for c in table.columns if c.name != key}
    return statement.on_conflict_do_update(index_elements=[key], set_=columns)


class CatalogRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        try:
            async with self._sessions() as session:
                yield session
        except _UNAVAILABLE as exc:
            raise ServiceUnavailable("The catalog's database is not answering.") from exc

    async def check(self) -> None:
        """Readiness: the database answers and the schema is in place (migrated)."""
        async with self._engine.connect() as connection:
            await connection.execute(sa.select(Category.slug).limit(1))

    async def products(
        self,
        *,
        words: Sequence[str] = (),
        category: str | None = None,
        skus: Sequence[str] = (),
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[Product], int]:
        """One page of the matching products, and how many match in all."""
        conditions = [
            sa.or_(_contains(Product.name, word), _contains(Product.description, word))
            for word in words
        ]
        if category is not None:
            conditions.append(Product.category_slug == category)
        if skus:
            conditions.append(Product.sku.in_(skus))
        page = (
            sa.select(Product)
            .where(*conditions)
            .order_by(sa.func.lower(Product.name), Product.sku)
            .offset(offset)
            .limit(limit)
        )
        count = sa.select(sa.func.count()).select_from(Product).where(*conditions)
        async with self._session() as session:
            total = await session.scalar(count) or 0
            items = list(await session.scalars(page)) if total > offset else []
        return items, total

    async def product(self, sku: str) -> Product | None:
        async with self._session() as session:
            return await session.get(Product, sku)

    async def categories(self) -> list[tuple[Category, int]]:
        """Every category with its number of products, in navigation order."""
        statement = (
            sa.select(Category, sa.func.count(Product.sku))
            .outerjoin(Product, Product.category_slug == Category.slug)
            .group_by(Category.slug)
            .order_by(Category.position, Category.slug)
        )
        async with self._session() as session:
            return [(category, count) for category, count in await session.execute(statement)]

    async def save(
        self,
        *,
        categories: Sequence[Mapping[str, Any]],
        products: Sequence[Mapping[str, Any]],
    ) -> None:
        """Insert or update categories and products by key, in one transaction."""
        async with self._session() as session, session.begin():
            dialect = session.bind.dialect.name
            if categories:
                await session.execute(
                    _upsert(dialect, Category.__table__, "slug"), list(categories)
                )
            if products:
                await session.execute(_upsert(dialect, Product.__table__, "sku"), list(products))
