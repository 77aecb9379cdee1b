"""What both suites share: a cheap hasher, a clock the test moves, and a shopper's verbs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import webtest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from polykit.health import Lifecycle
from users.app import create_app

# Same algorithm (argon2id), far less work: hashing speed is not what these tests are about.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def users_app(settings, *, clock, hasher=FAST_HASHER) -> webtest.TestApp:
    router = create_app(settings, lifecycle=Lifecycle(), hasher=hasher, clock=clock)
    return webtest.TestApp(router)


def pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def register(app, email="ann@example.com", password=PASSWORD, name="Ann", **kwargs):
    body = {"email": email, "password": password, "name": name}
    return app.post_json("/api/users", body, **kwargs)


def login(app, email="ann@example.com", password=PASSWORD, **kwargs):
    return app.post_json("/api/tokens", {"email": email, "password": password}, **kwargs)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
