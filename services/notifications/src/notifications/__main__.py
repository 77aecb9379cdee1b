"""`python -m notifications`: one process, Tornado's own HTTP server, a drain on SIGTERM that
says goodbye (1001) to every WebSocket."""

from __future__ import annotations

import asyncio
import logging
import signal

from tornado import autoreload
from tornado.httpserver import HTTPServer

from notifications import adapter
from notifications.app import create_app
from notifications.settings import NotificationsSettings
from polykit.logs import configure_logging

log = logging.getLogger("notifications")


# Tornado would read bodies of up to 100 MB; /api bodies are refused over 16 KiB with a 413
# problem (adapter.MAX_BODY_BYTES), and anything past this is cut before it is read.
MAX_REQUEST_BYTES = 8 * 1024 * 1024


async def serve(settings: NotificationsSettings) -> None:
    inflight = adapter.InFlight()
    app = create_app(settings, inflight=inflight)
    await app.start()
    server = HTTPServer(app, max_body_size=MAX_REQUEST_BYTES)
    server.listen(settings.port, settings.host)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    if settings.reload:
        # Tornado's autoreload re-executes this process (same PID) once a loaded module changes.
        autoreload.start()
    log.info("listening on http://%s:%d", settings.host, settings.port)
    await stopping.wait()
    await adapter.drain(server, inflight, grace=settings.graceful_timeout_seconds, hub=app.hub)
    await app.close()
    log.info("stopped")


def main() -> None:
    settings = NotificationsSettings.from_env()
    configure_logging(settings.service_name, settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
