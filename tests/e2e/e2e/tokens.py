"""Tokens the suite forges to knock on protected doors.

When the suite starts the store itself it hands users a signing key it made (JWT_PRIVATE_KEY), so
it can also sign tokens that are valid but for one flaw: expired, for another audience.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ISSUER = "polyshop-users"
AUDIENCE = "polyshop"


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(key: Ed25519PrivateKey, kid: str, **claims: object) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(uuid.uuid4()),
        "roles": ["customer"],
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    } | claims
    return jwt.encode(payload, key, algorithm="EdDSA", headers={"kid": kid})


def tampered(token: str, **claims: object) -> str:
    """The same signature over claims that were changed afterwards."""
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return ".".join([header, _b64(json.dumps(body | claims).encode()), signature])


def unsigned(token: str) -> str:
    """`alg: none` over the same claims."""
    header, payload, _ = token.split(".")
    head = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    return ".".join([_b64(json.dumps(head | {"alg": "none"}).encode()), payload, ""])
