"""Each service's own store: a SQLite file under DATA_DIR by default, PostgreSQL when DATABASE_URL
is set, Redis when REDIS_URL is set — and the readiness checks that ask them.

Every connection has a timeout: a store that does not answer makes the service not ready, it
never hangs a probe. SQLAlchemy and redis are imported where used: a service that needs one of
them does not carry the other (tens of MB per process).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from polykit.errors import ServiceUnavailable

if TYPE_CHECKING:
    import redis
    import redis.asyncio
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import AsyncEngine

    from polykit.settings import ServiceSettings

CONNECT_TIMEOUT_SECONDS = 3

log = logging.getLogger("polyshop.stores")


def database_url(settings: ServiceSettings, *, driver_async: bool = False) -> sa.URL:
    import sqlalchemy as sa

    if settings.database_url:
        url = sa.make_url(settings.database_url)
        if url.get_backend_name() == "postgresql":
            # psycopg 3 serves both the sync and the asyncio engines.
            url = url.set(drivername="postgresql+psycopg")
        return url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = (settings.data_dir / f"{settings.service_name}.db").resolve()
    return sa.make_url(f"sqlite+{'aiosqlite' if driver_async else 'pysqlite'}:///{path}")


def _connect_args(url: sa.URL, service: str) -> dict[str, Any]:
    if url.get_backend_name() == "postgresql":
        # The name shows in pg_stat_activity: an operator sees which service holds a connection.
        return {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "application_name": f"polyshop-{service}",
        }
    return {"timeout": CONNECT_TIMEOUT_SECONDS}


def sync_engine(settings: ServiceSettings) -> sa.Engine:
    import sqlalchemy as sa

    url = database_url(settings)
    return sa.create_engine(
        url, pool_pre_ping=True, connect_args=_connect_args(url, settings.service_name)
    )


def async_engine(settings: ServiceSettings) -> AsyncEngine:
    from sqlalchemy.ext.asyncio import create_async_engine

    url = database_url(settings, driver_async=True)
    return create_async_engine(
        url, pool_pre_ping=True, connect_args=_connect_args(url, settings.service_name)
    )


def _redis_options(name: str | None) -> dict[str, Any]:
    # The client name shows in Redis's CLIENT LIST, as application_name does in PostgreSQL.
    options: dict[str, Any] = {
        "socket_timeout": CONNECT_TIMEOUT_SECONDS,
        "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
    }
    if name:
        options["client_name"] = f"polyshop-{name}"
    return options


def redis_client(url: str, *, name: str | None = None) -> redis.Redis:
    import redis

    return redis.Redis.from_url(url, **_redis_options(name))


def async_redis_client(url: str, *, name: str | None = None) -> redis.asyncio.Redis:
    import redis.asyncio

    return redis.asyncio.Redis.from_url(url, **_redis_options(name))


def engine_check(engine: sa.Engine):
    import sqlalchemy as sa

    def check() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    return check


def async_engine_check(engine: AsyncEngine):
    import sqlalchemy as sa

    async def check() -> None:
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))

    return check


def redis_check(client: redis.Redis):
    def check() -> None:
        client.ping()

    return check


def async_redis_check(client: redis.asyncio.Redis):
    async def check() -> None:
        await client.ping()

    return check


def describe_store(settings: ServiceSettings) -> str:
    import sqlalchemy as sa

    """For /api/info and logs: which kind of store, never its credentials."""
    if settings.database_url:
        return sa.make_url(settings.database_url).get_backend_name()
    return "sqlite"


Method = TypeVar("Method", bound=Callable[..., Awaitable[Any]])


def unavailable_on(
    *errors: type[BaseException], store: str, detail: str
) -> Callable[[Method], Method]:
    """For an async store's methods: the store being down or too slow is a 503 problem with
    `detail`, and a warning line — not a 500 with a traceback."""

    def decorator(method: Method) -> Method:
        @wraps(method)
        async def translated(*args: Any, **kwargs: Any) -> Any:
            try:
                return await method(*args, **kwargs)
            except errors as exc:
                log.warning("the %s store did not answer: %s", store, type(exc).__name__)
                raise ServiceUnavailable(detail) from None

        return translated  # type: ignore[return-value]

    return decorator
