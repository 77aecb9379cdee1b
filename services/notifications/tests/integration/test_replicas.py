"""Two notifications processes on one Redis, as two replicas behind a load balancer: an event
posted to either reaches the user's sockets on both, and a replica told to stop says goodbye to
its sockets (1001) so that they reconnect elsewhere.

Real `python -m notifications` processes cannot use a TestIssuer's verifier, so both get a
USERS_URL whose JWKS is the issuer's, served by the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from notifications_testing import auth_message, event, jwks_server
from tornado.websocket import WebSocketClientConnection, websocket_connect

from polykit.stores import redis_client
from polykit.testing import TestIssuer, needs


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Replica:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1) + "/ws"

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_replica(*, redis_url: str, users_url: str, workdir: Path) -> Replica:
    port = spare_port()
    log = workdir / f"notifications-{port}.log"
    env = os.environ | {
        "PORT": str(port),
        "REDIS_URL": redis_url,
        "USERS_URL": users_url,
        "DATA_DIR": str(workdir / f"data-{port}"),
        "GRACEFUL_TIMEOUT_SECONDS": "10",
    }
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "notifications"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Replica(f"http://127.0.0.1:{port}", process, log)


async def wait_ready(replica: Replica) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(300):
            if replica.process.poll() is not None:
                raise AssertionError(f"exited with {replica.process.returncode}:\n{replica.log}")
            try:
                if (await client.get(f"{replica.url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"{replica.url} never became ready:\n{replica.log.read_text()}")


async def subscribe(replica: Replica, token: str) -> WebSocketClientConnection:
    socket = await websocket_connect(replica.ws_url)
    await socket.write_message(auth_message(token))
    assert json.loads(await socket.read_message()) == {"type": "ready"}
    return socket


async def next_message(socket: WebSocketClientConnection) -> dict:
    message = await asyncio.wait_for(socket.read_message(), timeout=10)
    assert message is not None, f"closed with {socket.close_code}"
    return json.loads(message)


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
def replicas(issuer, tmp_path) -> Iterator[tuple[Replica, Replica]]:
    redis_url = needs("TEST_REDIS_URL")
    with jwks_server(issuer) as users_url:
        started = [
            start_replica(redis_url=redis_url, users_url=users_url, workdir=tmp_path)
            for _ in range(2)
        ]
        try:
            yield started[0], started[1]
        finally:
            for replica in started:
                replica.stop()


@pytest.fixture
def user_id() -> Iterator[str]:
    """A shopper of this test alone; their recent list is removed afterwards (event claims
    expire on their own)."""
    user_id = str(uuid.uuid4())
    yield user_id
    client = redis_client(needs("TEST_REDIS_URL"))
    client.delete(f"polyshop:notifications:{user_id}")
    client.close()


def test_an_event_posted_to_one_replica_reaches_sockets_on_both(replicas, issuer, user_id):
    first, second = replicas
    token = issuer.token(user_id, roles=("customer",))
    service = {"Authorization": f"Bearer {issuer.token('service:orders', roles=('service',))}"}

    async def scenario() -> None:
        await asyncio.gather(wait_ready(first), wait_ready(second))
        on_first = await subscribe(first, token)
        on_second = await subscribe(second, token)
        paid = event(user_id)
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.post(f"{second.url}/api/events", json=paid, headers=service)
            assert response.status_code == 202
            # The same event again, to the other replica: accepted, and sent nothing.
            again = await client.post(f"{first.url}/api/events", json=paid, headers=service)
            assert (again.status_code, again.json()["status"]) == (202, "duplicate")
            failed = event(user_id, "order.payment_failed", status="payment_failed")
            await client.post(f"{first.url}/api/events", json=failed, headers=service)

            for socket in (on_first, on_second):
                received = await next_message(socket)
                assert (received["type"], received["event_id"]) == ("order.paid", paid["event_id"])
                assert received["order_id"] == paid["data"]["order_id"]
                # Had the duplicate been sent, it would arrive here instead.
                assert (await next_message(socket))["event_id"] == failed["event_id"]

            recent = await client.get(
                f"{first.url}/api/notifications", headers={"Authorization": f"Bearer {token}"}
            )
            listed = [item["event_id"] for item in recent.json()["items"]]
            assert listed == [failed["event_id"], paid["event_id"]]

        # A replica told to stop closes its sockets with 1001, and exits cleanly.
        first.process.send_signal(signal.SIGTERM)
        while await on_first.read_message() is not None:
            pass
        assert on_first.close_code == 1001
        assert await asyncio.to_thread(first.process.wait, 30) == 0
        on_second.close()

    asyncio.run(scenario())
