"""Bearer tokens: who is calling, and what may they do.

users signs access tokens with Ed25519 (EdDSA) and publishes its public keys at
`/.well-known/jwks.json`; every service verifies tokens with `TokenVerifier`:

- the algorithm list is fixed (`EdDSA`) and never read from the token, so `alg: none` and
  HMAC-with-the-public-key tricks fail;
- `iss`, `aud`, `exp`, `iat` and `sub` are required and checked, and a token may live 15 minutes;
- keys are cached; a `kid` the cache does not know triggers one refetch (a rotated key), at most
  every `REFETCH_SECONDS`; users unreachable with no keys cached is a 503, never a hang.

Calls between services carry a service token from the same issuer, fetched with client
credentials and cached until shortly before it expires (`ServiceTokens`).

Each framework's adapter turns `authenticate()` + `require()` into its own idiom (a decorator,
a dependency, a permission class, a hook...).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from polykit.errors import Forbidden, ServiceUnavailable, Unauthorized

log = logging.getLogger("polyshop.auth")

ALGORITHMS = ["EdDSA"]
ROLES = frozenset({"customer", "staff", "service"})
MAX_LIFETIME_SECONDS = 15 * 60
LEEWAY_SECONDS = 5
KEYS_TTL_SECONDS = 300
REFETCH_SECONDS = 10


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]

    @property
    def is_staff(self) -> bool:
        return "staff" in self.roles

    @property
    def is_service(self) -> bool:
        return "service" in self.roles


def require(principal: Principal | None, *roles: str) -> Principal:
    """The caller, who must hold one of `roles` (any role when none are named)."""
    if principal is None:
        raise Unauthorized("This endpoint needs a bearer token.")
    if roles and not principal.roles & set(roles):
        raise Forbidden(f"This needs the {' or '.join(roles)} role.")
    return principal


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header; None when there is no header."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
    return token.strip()


class JwksCache:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.keys: dict[str, PyJWK] = {}
        self.fetched_at: float | None = None

    @classmethod
    def pinned(cls, document: dict[str, Any]) -> JwksCache:
        """Keys that are never refetched: for users, which verifies its own tokens, and tests."""
        cache = cls()
        cache.store(document)
        cache.fetched_at = float("inf")
        return cache

    def store(self, document: dict[str, Any]) -> None:
        keys = {}
        for jwk in document.get("keys", []):
            # Only the key type users signs with; anything else in the set is ignored.
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("kid"):
                keys[jwk["kid"]] = PyJWK(jwk, algorithm="EdDSA")
        self.keys = keys
        self.fetched_at = self.clock()

    def should_fetch(self, kid: str) -> bool:
        if self.fetched_at is None:
            return True
        age = self.clock() - self.fetched_at
        return age > KEYS_TTL_SECONDS or (kid not in self.keys and age > REFETCH_SECONDS)


class TokenVerifier:
    def __init__(
        self,
        *,
        jwks_url: str,
        issuer: str,
        audience: str,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
        cache: JwksCache | None = None,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.client = client
        self.async_client = async_client
        self.cache = cache or JwksCache()
        self._lock = threading.Lock()

    def authenticate(self, authorization: str | None) -> Principal | None:
        token = bearer_token(authorization)
        return None if token is None else self.verify(token)

    async def aauthenticate(self, authorization: str | None) -> Principal | None:
        token = bearer_token(authorization)
        return None if token is None else await self.averify(token)

    def verify(self, token: str) -> Principal:
        kid = _kid_of(token)
        if self.cache.should_fetch(kid):
            with self._lock:
                if self.cache.should_fetch(kid):
                    self._refresh(lambda: self._client().get(self.jwks_url))
        return self._decode(token, kid)

    async def averify(self, token: str) -> Principal:
        kid = _kid_of(token)
        if self.cache.should_fetch(kid):
            response = await _attempt_async(self._async_client().get(self.jwks_url))
            self._refresh(lambda: response)
        return self._decode(token, kid)

    def _client(self) -> httpx.Client:
        if self.client is None:
            self.client = httpx.Client(timeout=httpx.Timeout(3.0, connect=1.0))
        return self.client

    def _async_client(self) -> httpx.AsyncClient:
        if self.async_client is None:
            self.async_client = httpx.AsyncClient(timeout=httpx.Timeout(3.0, connect=1.0))
        return self.async_client

    def _refresh(self, fetch: Callable[[], httpx.Response | BaseException]) -> None:
        try:
            response = fetch()
            if isinstance(response, BaseException):
                raise response
            response.raise_for_status()
            self.cache.store(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("could not fetch the JWKS from %s: %s", self.jwks_url, exc)
            if not self.cache.keys:
                raise ServiceUnavailable("Tokens cannot be checked right now.") from None
            # Keep using the keys we have; try again after REFETCH_SECONDS.
            self.cache.fetched_at = self.cache.clock()

    def _decode(self, token: str, kid: str) -> Principal:
        key = self.cache.keys.get(kid)
        if key is None:
            raise Unauthorized("The token was signed by an unknown key.")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The token has expired.") from None
        except jwt.InvalidTokenError:
            raise Unauthorized("The token is not valid.") from None
        if claims["exp"] - claims["iat"] > MAX_LIFETIME_SECONDS:
            raise Unauthorized("The token lives longer than tokens may.")
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not set(roles) <= ROLES:
            raise Unauthorized("The token's roles are not valid.")
        return Principal(subject=str(claims["sub"]), roles=frozenset(roles))


async def _attempt_async(request: Any) -> httpx.Response | BaseException:
    try:
        return await request
    except httpx.HTTPError as exc:
        return exc


def _kid_of(token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Unauthorized("The token is not valid.") from None
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Unauthorized("The token names no key.")
    return kid


class ServiceTokens:
    """This service's own token for calling the others, from users' client-credentials grant."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_url = token_url
        self.credentials = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self.client = client
        self.async_client = async_client
        self.clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = threading.Lock()
        self._alock: asyncio.Lock | None = None

    def headers(self) -> dict[str, str]:
        with self._lock:
            if self._token is None or self.clock() >= self._renew_at:
                client = self.client or httpx.Client(timeout=httpx.Timeout(3.0, connect=1.0))
                self.client = client
                self._accept(_attempt(lambda: client.post(self.token_url, json=self.credentials)))
        return {"Authorization": f"Bearer {self._token}"}

    async def aheaders(self) -> dict[str, str]:
        if self._alock is None:
            self._alock = asyncio.Lock()
        async with self._alock:
            if self._token is None or self.clock() >= self._renew_at:
                if self.async_client is None:
                    self.async_client = httpx.AsyncClient(timeout=httpx.Timeout(3.0, connect=1.0))
                request = self.async_client.post(self.token_url, json=self.credentials)
                self._accept(await _attempt_async(request))
        return {"Authorization": f"Bearer {self._token}"}

    def _accept(self, response: httpx.Response | BaseException) -> None:
        if isinstance(response, BaseException) or response.status_code != 200:
            detail = response if isinstance(response, BaseException) else response.status_code
            log.warning("could not get a service token from %s: %s", self.token_url, detail)
            raise ServiceUnavailable("This service cannot authenticate to the others right now.")
        body = response.json()
        self._token = body["access_token"]
        # Renew a minute early, so a token never expires on its way.
        self._renew_at = self.clock() + max(0, int(body.get("expires_in", 60)) - 60)


def _attempt(call: Callable[[], httpx.Response]) -> httpx.Response | BaseException:
    try:
        return call()
    except httpx.HTTPError as exc:
        return exc
