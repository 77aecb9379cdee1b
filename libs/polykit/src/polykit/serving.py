"""gunicorn, started from Python, for the five WSGI services.

One worker with threads: several workers would each keep their own metrics (and exemplars do not
survive prometheus-client's multiprocess mode), so a service scales by replicas instead. The app
is imported in the worker, after the fork, so tracing's export thread lives where it runs. On
SIGTERM the worker first turns readiness to 503, then gunicorn stops accepting and lets requests
in flight finish within GRACEFUL_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import importlib
import signal
from typing import Any

from gunicorn.app.base import BaseApplication

from polykit.health import LIFECYCLE
from polykit.logs import logging_config
from polykit.settings import ServiceSettings


def _post_worker_init(worker: Any) -> None:
    handle_exit = worker.handle_exit

    def on_sigterm(signum: int, frame: Any) -> None:
        LIFECYCLE.begin_drain()
        handle_exit(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)


class _Application(BaseApplication):
    def __init__(self, app_path: str, options: dict[str, Any]) -> None:
        self.app_path = app_path
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        module, _, attribute = self.app_path.partition(":")
        return getattr(importlib.import_module(module), attribute)


def run_gunicorn(app_path: str, settings: ServiceSettings, *, threads: int = 8) -> None:
    """Serve `package.module:app` and return when the server has stopped."""
    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "graceful_timeout": int(settings.graceful_timeout_seconds),
        "timeout": 60,
        "keepalive": 5,
        "accesslog": None,
        "logconfig_dict": logging_config(settings.service_name, settings.log_level),
        "post_worker_init": _post_worker_init,
        # A read-only root filesystem has no $HOME/.gunicorn for the control socket.
        "control_socket_disable": True,
        "proc_name": f"polyshop-{settings.service_name}",
    }
    _Application(app_path, options).run()
