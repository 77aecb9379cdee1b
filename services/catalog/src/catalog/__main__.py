"""`python -m catalog`: uvicorn in one process, turning readiness off first on SIGTERM.
`python -m catalog migrate`: bring the schema up to date, seed the products, and exit."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from types import FrameType

import uvicorn

import polykit
from catalog import services
from catalog.app import create_app
from catalog.repository import CatalogRepository
from catalog.settings import CatalogSettings
from polykit.health import LIFECYCLE
from polykit.logs import configure_logging, logging_config
from polykit.stores import async_engine

USAGE = "usage: python -m catalog [migrate]"


class DrainingServer(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        LIFECYCLE.begin_drain()
        super().handle_exit(sig, frame)


async def migrate(settings: CatalogSettings) -> None:
    engine = async_engine(settings)
    try:
        await services.catalog_migrate(
            settings=settings,
            repository=CatalogRepository(engine),
            catalog=services.catalog_load(),
        )
    finally:
        await engine.dispose()


def serve(settings: CatalogSettings) -> None:
    options = {
        "host": settings.host,
        "port": settings.port,
        "log_config": logging_config(settings.service_name, settings.log_level),
        # The kit's observer writes the access log, inside the request's span.
        "access_log": False,
        "timeout_graceful_shutdown": settings.graceful_timeout_seconds,
        "server_header": False,
    }
    if settings.reload:
        # uvicorn's reloader imports the app afresh in a new process after each change, so it
        # takes an import string; it watches the code of this service and of the kit only.
        packages = [str(Path(__file__).parent), str(Path(polykit.__file__).parent)]
        uvicorn.run("catalog.asgi:app", reload=True, reload_dirs=packages, **options)
        return
    # uvicorn re-raises the SIGTERM it caught once it has shut down cleanly: exit status 143.
    DrainingServer(uvicorn.Config(create_app(settings), **options)).run()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["migrate"]):
        sys.exit(USAGE)
    settings = CatalogSettings.from_env()
    configure_logging(settings.service_name, settings.log_level)
    if args == ["migrate"]:
        asyncio.run(migrate(settings))
    else:
        serve(settings)


if __name__ == "__main__":
    main()
