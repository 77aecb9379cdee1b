"""`python -m cart`: Sanic's own server, one process, turning readiness off first on SIGTERM.
`python -m cart migrate` brings the tables up to date and exits (a Kubernetes Job runs it)."""

from __future__ import annotations

import sys
from functools import partial

from sanic import Sanic
from sanic.worker.loader import AppLoader

from cart.app import create_app
from cart.repository import migrate_store
from cart.settings import CartSettings
from polykit.health import LIFECYCLE
from polykit.logs import configure_logging


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["migrate"]):
        raise SystemExit("usage: python -m cart [migrate]")
    settings = CartSettings.from_env()
    configure_logging(settings.service_name, settings.log_level)
    if args == ["migrate"] or settings.migrate_on_start:
        migrate_store(settings)
    if args == ["migrate"]:
        return
    options = {"host": settings.host, "port": settings.port, "access_log": False, "motd": False}
    if settings.reload:
        # Sanic's reloader runs the server in a worker process that it replaces after a change;
        # each new worker is spawned afresh and builds its app from this (picklable) factory.
        loader = AppLoader(factory=partial(create_app, settings))
        app = loader.load()
        app.prepare(auto_reload=True, **options)
        Sanic.serve(primary=app, app_loader=loader)
        return
    app = create_app(settings)

    async def drain(_: Sanic) -> None:
        LIFECYCLE.begin_drain()

    # Sanic answers SIGTERM by stopping its loop and running these listeners before it closes the
    # listening socket; then it waits up to GRACEFUL_SHUTDOWN_TIMEOUT for requests in flight.
    app.before_server_stop(drain, priority=1_000_000)
    app.run(single_process=True, **options)


if __name__ == "__main__":
    main()
