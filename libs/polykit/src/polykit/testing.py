"""For tests only: an issuer that signs tokens as users does, and a verifier that trusts it
without any HTTP. Services' unit tests use it to call their protected endpoints."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from polykit.auth import JwksCache, TokenVerifier

ISSUER = "polyshop-users"
AUDIENCE = "polyshop"


class TestIssuer:
    __test__ = False  # not a pytest test class

    def __init__(self, kid: str = "test-key") -> None:
        self.kid = kid
        self.private_key = Ed25519PrivateKey.generate()

    def jwks(self) -> dict[str, Any]:
        raw = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "alg": "EdDSA"}
        return {"keys": [jwk | {"use": "sig"}]}

    def token(
        self,
        subject: str | None = None,
        roles: tuple[str, ...] = ("customer",),
        *,
        lifetime: int = 600,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject or str(uuid.uuid4()),
            "roles": list(roles),
            "iat": now,
            "exp": now + lifetime,
        } | claims
        return jwt.encode(
            payload,
            self.private_key,
            algorithm="EdDSA",
            headers={"kid": self.kid} | (headers or {}),
        )

    def verifier(self) -> TokenVerifier:
        """Trusts this issuer's key; never fetches (a fetch would fail: there is no server)."""
        return TokenVerifier(
            jwks_url="http://users.invalid/.well-known/jwks.json",
            issuer=ISSUER,
            audience=AUDIENCE,
            cache=JwksCache.pinned(self.jwks()),
        )


def skip_or_fail(reason: str) -> None:
    """A newcomer's machine may lack what a test needs, and the test says so; CI (CI=true) may
    not, and the test fails."""
    import os

    import pytest

    if os.environ.get("CI") == "true":
        pytest.fail(f"not skipped in CI: {reason}")
    pytest.skip(reason)


def needs(variable: str) -> str:
    """The value of an environment variable an integration test needs."""
    import os

    value = os.environ.get(variable)
    if not value:
        skip_or_fail(f"{variable} is not set (make test-integration sets it)")
    return value


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """A database of its own for one test run, dropped afterwards; yields its URL.
    `admin_url` is a postgresql:// URL of a database to connect to meanwhile (e.g. postgres)."""
    from urllib.parse import urlsplit

    import psycopg

    name = f"polyshop_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(admin_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


ALL_ROLES = ("customer", "staff", "service")


def bad_authorizations(issuer: TestIssuer) -> dict[str, str]:
    """Authorization headers that must each be refused with a 401, by what is wrong with them.
    The forged ones claim every role, so a check that lets one through is plain to see."""
    header, _, signature = issuer.token(roles=("customer",)).split(".")
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "roles": list(ALL_ROLES)}
    claims |= {"iat": now, "exp": now + 600}
    elevated = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": issuer.kid})
    return {
        "another scheme": "Basic YWxpY2U6c2VjcmV0",
        "no token after Bearer": "Bearer ",
        "not a JWT": "Bearer not-a-jwt",
        "expired": f"Bearer {issuer.token(roles=ALL_ROLES, lifetime=-60)}",
        "lives too long": f"Bearer {issuer.token(roles=ALL_ROLES, lifetime=3600)}",
        "tampered claims": f"Bearer {header}.{elevated}.{signature}",
        "another key, our kid": f"Bearer {TestIssuer(kid=issuer.kid).token(roles=ALL_ROLES)}",
        "wrong audience": f"Bearer {issuer.token(roles=ALL_ROLES, aud='elsewhere')}",
        "wrong issuer": f"Bearer {issuer.token(roles=ALL_ROLES, iss='someone-else')}",
        "alg none": f"Bearer {unsigned}",
        "unknown kid": f"Bearer {TestIssuer(kid='rotated-away').token(roles=ALL_ROLES)}",
        "unknown role": f"Bearer {issuer.token(roles=('admin',))}",
    }
