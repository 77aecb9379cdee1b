"""SIGTERM lets a request in flight finish, turns readiness off first, and exits cleanly.

Each service is started alone on a spare port with added latency, so that a request is surely in
flight when the signal lands.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading

import httpx
import pytest

from e2e.matrix import SERVICES, Service
from e2e.store import REPO, clean_exit, procfile_commands, skip_or_fail
from e2e.waiting import poll_until

DELAY_MS = 1500


def _spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _in_flight(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=2).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith('http_server_active_requests{http_request_method="GET"}')
    )


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_sigterm_lets_the_request_in_flight_finish(service: Service, tmp_path):
    if os.environ.get("STOREFRONT_URL"):
        skip_or_fail("testing a running store: the suite starts no processes of its own")
    port = _spare_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PORT": str(port),
        "DATA_DIR": str(tmp_path),
        "FAULT_DELAY_MS": str(DELAY_MS),
        "OTEL_EXPORTER_OTLP_ENDPOINT": "",
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        procfile_commands()[service.name], cwd=REPO, env=env, stdout=log, stderr=log
    )
    try:
        poll_until(
            lambda: httpx.get(f"{base}/readyz", timeout=2).status_code == 200,
            timeout=60,
            what=f"{service.name} on port {port}",
        )
        result: dict[str, httpx.Response] = {}
        client = threading.Thread(
            target=lambda: result.update(response=httpx.get(f"{base}/api/info", timeout=30))
        )
        client.start()
        # The scrape counts itself: two GETs in flight means /api/info is one of them.
        poll_until(lambda: _in_flight(base) >= 2, timeout=10, what="the request to be in flight")
        server.send_signal(signal.SIGTERM)
        client.join(timeout=30)

        response = result["response"]
        assert response.status_code == 200
        # Readiness was turned off by the signal, before the request finished draining.
        assert response.json()["ready"] is False
        code = server.wait(timeout=30)
        assert clean_exit(code), (code, (tmp_path / "server.log").read_text()[-3000:])
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
