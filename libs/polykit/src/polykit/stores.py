"""Each service's own store: a SQLite file under DATA_DIR by default, PostgreSQL when DATABASE_URL
is set, Redis when REDIS_URL is set — and the readiness checks that ask them.

Every connection has a timeout: a store that does not answer makes the service not ready, it
never hangs a probe. SQLAlchemy and redis are imported where used: a service that needs one of
them does not carry the other (tens of MB per process).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from polykit.errors import ServiceUnavailable

if TYPE_CHECKING:
    import redis
    import redis.asyncio
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import AsyncEngine

    from polykit.metrics import Metrics
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


def sync_engine(settings: ServiceSettings, *, metrics: Metrics | None = None) -> sa.Engine:
    import sqlalchemy as sa

    url = database_url(settings)
    engine = sa.create_engine(
        url, pool_pre_ping=True, connect_args=_connect_args(url, settings.service_name)
    )
    if metrics is not None:
        observe_engine(engine, metrics)
    return engine


def async_engine(settings: ServiceSettings, *, metrics: Metrics | None = None) -> AsyncEngine:
    from sqlalchemy.ext.asyncio import create_async_engine

    url = database_url(settings, driver_async=True)
    engine = create_async_engine(
        url, pool_pre_ping=True, connect_args=_connect_args(url, settings.service_name)
    )
    if metrics is not None:
        observe_engine(engine, metrics)
    return engine


_STARTED = "polyshop_statement_started"


def observe_engine(engine: sa.Engine | AsyncEngine, metrics: Metrics) -> None:
    """Times every statement the engine runs into the store histogram (a failed one too)."""
    from sqlalchemy import event

    from polykit.metrics import sql_operation

    sync = getattr(engine, "sync_engine", engine)
    system = sync.dialect.name

    def finished(connection: Any, statement: str) -> None:
        stack = connection.info.get(_STARTED)
        if stack:
            seconds = time.perf_counter() - stack.pop()
            metrics.observe_store(system, sql_operation(statement), seconds)

    @event.listens_for(sync, "before_cursor_execute")
    def _started(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        connection.info.setdefault(_STARTED, []).append(time.perf_counter())

    @event.listens_for(sync, "after_cursor_execute")
    def _finished(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        finished(connection, statement)

    @event.listens_for(sync, "handle_error")
    def _failed(context: Any) -> None:
        if context.connection is not None:
            finished(context.connection, context.statement or "")


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


def async_redis_client(
    url: str, *, name: str | None = None, metrics: Metrics | None = None
) -> redis.asyncio.Redis:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(url, **_redis_options(name))
    if metrics is not None:
        observe_redis(client, metrics)
    return client


def observe_redis(client: redis.asyncio.Redis, metrics: Metrics) -> None:
    """Times each command into the store histogram, and each pipeline as one MULTI (or
    PIPELINE) operation. Commands a pipeline sends at once (WATCH) are not timed apart."""
    command, pipeline = client.execute_command, client.pipeline

    async def timed_command(*args: Any, **options: Any) -> Any:
        name = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
        started = time.perf_counter()
        try:
            return await command(*args, **options)
        finally:
            metrics.observe_store("redis", name.upper(), time.perf_counter() - started)

    def timed_pipeline(transaction: bool = True, shard_hint: Any = None) -> Any:
        pipe = pipeline(transaction, shard_hint)
        execute = pipe.execute

        async def timed_execute(*args: Any, **options: Any) -> Any:
            started = time.perf_counter()
            try:
                return await execute(*args, **options)
            finally:
                operation = "MULTI" if transaction else "PIPELINE"
                metrics.observe_store("redis", operation, time.perf_counter() - started)

        pipe.execute = timed_execute
        return pipe

    client.execute_command = timed_command  # type: ignore[method-assign]
    client.pipeline = timed_pipeline  # type: ignore[method-assign]


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
