"""Alembic for the services that keep their tables with SQLAlchemy.

Each such service has a `migrations/` package (env.py + versions/) beside its models, and no
alembic.ini: the configuration is built here from the settings. Its env.py is three lines:

    from polykit.migrations import run_migrations
    from <service>.models import Base
    run_migrations(Base.metadata)

Every service keeps its own version table, so several can share one database locally.
Migrations always run on a synchronous engine, also for the asyncio services.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from alembic import command, context
from alembic.config import Config

from polykit.health import LIFECYCLE, Lifecycle
from polykit.stores import sync_engine

if TYPE_CHECKING:
    import sqlalchemy as sa

    from polykit.settings import ServiceSettings

log = logging.getLogger("polyshop.migrations")
# Alembic keeps its running state in module globals: two migrations at once in one process (tests
# building several apps, a retry racing a start) would tread on each other.
_ONE_AT_A_TIME = threading.Lock()


def alembic_config(settings: ServiceSettings, package: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.attributes["engine"] = sync_engine(settings)
    config.attributes["version_table"] = f"alembic_version_{settings.service_name}"
    return config


def migrate(settings: ServiceSettings, package: str, revision: str = "head") -> None:
    """Bring the service's tables up to `revision` (what `python -m <service> migrate` runs)."""
    config = alembic_config(settings, package)
    try:
        with _ONE_AT_A_TIME:
            command.upgrade(config, revision)
    finally:
        config.attributes["engine"].dispose()


def run_migrations(metadata: sa.MetaData) -> None:
    """The body of a service's migrations/env.py."""
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=context.config.attributes["version_table"],
            # SQLite alters tables by copying them; Alembic's batch mode does that for us.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


class Preparation:
    """Runs a service's migrate-and-seed step as its server starts. A database that is not up
    yet is retried in the background, with readiness at 503 meanwhile (add `check` to the
    readiness checks), rather than crashing the server: services start in any order. Any other
    failure (a broken migration) is logged loudly and the service stays not ready."""

    RETRY_SECONDS = 2.0

    def __init__(
        self, prepare: Callable[[], None], *, name: str, lifecycle: Lifecycle = LIFECYCLE
    ) -> None:
        self.prepare = prepare
        self.name = name
        self.lifecycle = lifecycle
        self.done = threading.Event()
        self._stopping = threading.Event()

    def start(self) -> None:
        if not self._attempt():
            threading.Thread(target=self._retry, name=f"{self.name}-prepare", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()

    def _attempt(self) -> bool:
        import sqlalchemy as sa

        try:
            self.prepare()
        except sa.exc.OperationalError as exc:
            log.warning("database not reachable yet, will retry: %s", type(exc.orig).__name__)
            return False
        self.done.set()
        return True

    def _retry(self) -> None:
        try:
            while not self._stopping.wait(self.RETRY_SECONDS) and not self.lifecycle.draining:
                if self._attempt():
                    return
        except Exception:
            log.exception("migrating the database failed; the service stays not ready")

    def check(self) -> None:
        if not self.done.is_set():
            raise RuntimeError("the tables are not in place yet")
