"""gunicorn's configuration for the WSGI services (see `serving.exec_gunicorn`, which passes the
bind address and the grace period on the command line).

One worker with threads: several workers would each keep their own metrics (and exemplars do not
survive prometheus-client's multiprocess mode), so a service scales by replicas instead. On
SIGTERM the worker first turns readiness to 503, then gunicorn stops accepting and lets requests
in flight finish within the grace period.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from polykit.health import LIFECYCLE
from polykit.logs import logging_config

workers = 1
worker_class = "gthread"
timeout = 60
keepalive = 5
# The kit's request observer writes the access log, inside each request's span.
accesslog = None
logconfig_dict = logging_config(
    os.environ.get("POLYSHOP_SERVICE", "polyshop"), os.environ.get("LOG_LEVEL", "INFO")
)
# A read-only root filesystem has no $HOME/.gunicorn for the control socket.
control_socket_disable = True


def post_worker_init(worker: Any) -> None:
    handle_exit = worker.handle_exit

    def on_sigterm(signum: int, frame: Any) -> None:
        LIFECYCLE.begin_drain()
        handle_exit(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
