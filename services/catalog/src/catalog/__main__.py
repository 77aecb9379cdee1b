"""`python -m catalog`: uvicorn in one process, turning readiness off first on SIGTERM."""

from __future__ import annotations

from types import FrameType

import uvicorn

from catalog.app import create_app
from catalog.settings import CatalogSettings
from polykit.health import LIFECYCLE
from polykit.logs import configure_logging, logging_config


class DrainingServer(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        LIFECYCLE.begin_drain()
        super().handle_exit(sig, frame)


def main() -> None:
    settings = CatalogSettings.from_env()
    configure_logging(settings.service_name, settings.log_level)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=logging_config(settings.service_name, settings.log_level),
        # The kit's observer writes the access log, inside the request's span.
        access_log=False,
        timeout_graceful_shutdown=settings.graceful_timeout_seconds,
        server_header=False,
    )
    # uvicorn re-raises the SIGTERM it caught once it has shut down cleanly: exit status 143.
    DrainingServer(config).run()


if __name__ == "__main__":
    main()
