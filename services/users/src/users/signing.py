"""The Ed25519 key that signs every access token in polyshop, its JWKS, and the tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from polykit.auth import JwksCache, TokenVerifier
from polykit.settings import SettingsError, token_verifier_options

if TYPE_CHECKING:
    from users.settings import UsersSettings

KEY_FILE = "users-signing-key.pem"
TOKEN_LIFETIME_SECONDS = 15 * 60


def parse_private_key(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError("not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"an Ed25519 key is needed, not {type(key).__name__}")
    return key


def load_signing_key(settings: UsersSettings) -> Ed25519PrivateKey:
    """JWT_PRIVATE_KEY when set (always, in production); else the local key under DATA_DIR."""
    if settings.jwt_private_key is not None:
        return parse_private_key(settings.jwt_private_key.get_secret_value().encode())
    if settings.environment == "production":
        raise SettingsError("users: JWT_PRIVATE_KEY is required when ENVIRONMENT=production")
    return local_signing_key(settings.data_dir / KEY_FILE)


def local_signing_key(path: Path) -> Ed25519PrivateKey:
    """Generated on first start and kept: tokens survive restarts, and services that cached the
    JWKS go on trusting it. Created by a link so that two processes starting together agree."""
    if path.exists():
        return _read_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    draft = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        os.link(draft, path)
    except FileExistsError:
        return _read_key(path)
    finally:
        draft.unlink(missing_ok=True)
    return key


def _read_key(path: Path) -> Ed25519PrivateKey:
    try:
        return parse_private_key(path.read_bytes())
    except ValueError as exc:
        raise SettingsError(f"users: {path} is {exc}; delete it to make a new key") from None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key: Ed25519PrivateKey) -> dict[str, str]:
    """The public half as a JWK, its `kid` the RFC 7638 thumbprint: derived from the key, so
    every replica given the same key names it the same way."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    members = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    kid = _b64url(hashlib.sha256(canonical).digest())
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": members["x"],
        "kid": kid,
        "alg": "EdDSA",
        "use": "sig",
    }


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


class TokenIssuer:
    def __init__(
        self,
        key: Ed25519PrivateKey,
        *,
        issuer: str,
        audience: str,
        clock: Callable[[], datetime],
        lifetime: int = TOKEN_LIFETIME_SECONDS,
    ) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.clock = clock
        self.lifetime = lifetime
        self.jwk = public_jwk(key)

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}

    def issue(self, *, subject: str, roles: Iterable[str]) -> IssuedToken:
        now = int(self.clock().timestamp())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "roles": sorted(roles),
            "iat": now,
            "exp": now + self.lifetime,
            "jti": uuid.uuid4().hex,
        }
        headers = {"kid": self.kid, "typ": "JWT"}
        token = jwt.encode(claims, self.key, algorithm="EdDSA", headers=headers)
        return IssuedToken(access_token=token, expires_in=self.lifetime)


def own_verifier(issuer: TokenIssuer, settings: UsersSettings) -> TokenVerifier:
    """The kit's verifier, trusting users' own key without fetching its own JWKS over HTTP."""
    cache = JwksCache()
    cache.store(issuer.jwks())
    # The kit has no fixed-keys mode: a cache that never goes stale stands in for one.
    cache.fetched_at = float("inf")
    return TokenVerifier(**token_verifier_options(settings), cache=cache)
