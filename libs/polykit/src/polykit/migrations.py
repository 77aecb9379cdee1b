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

from typing import TYPE_CHECKING

from alembic import command, context
from alembic.config import Config

from polykit.stores import sync_engine

if TYPE_CHECKING:
    import sqlalchemy as sa

    from polykit.settings import ServiceSettings


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
