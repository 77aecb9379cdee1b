"""gunicorn for the five WSGI services.

`exec_gunicorn()` is called by each service's `python -m <service>` once its settings have
validated: it replaces that process with gunicorn (same PID, so a container's SIGTERM still lands
on the server), whose master then loads only gunicorn and `polykit.gunicorn_conf` — not pydantic
and the app, which would cost each master some 25 MB for nothing. The worker imports the app
after the fork, so tracing's export thread lives where it runs.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from polykit.settings import ServiceSettings


def gunicorn_argv(app_path: str, settings: ServiceSettings, *, threads: int = 8) -> list[str]:
    # gunicorn's reloader restarts the worker when a module it loaded changes (Tilt's live update).
    reload = ["--reload"] if settings.reload else []
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:polykit.gunicorn_conf",
        "--bind",
        f"{settings.host}:{settings.port}",
        "--threads",
        str(threads),
        "--graceful-timeout",
        str(int(settings.graceful_timeout_seconds)),
        "--name",
        f"polyshop-{settings.service_name}",
        *reload,
        app_path,
    ]


def exec_gunicorn(app_path: str, settings: ServiceSettings, *, threads: int = 8) -> NoReturn:
    """Serve `package.module:app`; this process becomes gunicorn's master."""
    env = {
        **os.environ,
        "POLYSHOP_SERVICE": settings.service_name,
        "LOG_LEVEL": settings.log_level,
    }
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, gunicorn_argv(app_path, settings, threads=threads), env)  # noqa: S606
