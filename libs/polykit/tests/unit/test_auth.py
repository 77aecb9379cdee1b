from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest

from polykit.auth import (
    JwksCache,
    Principal,
    ServiceTokens,
    TokenVerifier,
    bearer_token,
    require,
)
from polykit.errors import Forbidden, ServiceUnavailable, Unauthorized
from polykit.testing import AUDIENCE, ISSUER, TestIssuer


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer()


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_good_token_gives_the_caller_and_roles(issuer):
    principal = issuer.verifier().verify(issuer.token("user-1", ("customer", "staff")))
    assert principal == Principal("user-1", frozenset({"customer", "staff"}))
    assert principal.is_staff


def test_no_header_is_anonymous_and_a_bad_scheme_is_401(issuer):
    verifier = issuer.verifier()
    assert verifier.authenticate(None) is None
    with pytest.raises(Unauthorized):
        verifier.authenticate("Basic dXNlcjpwdw==")
    with pytest.raises(Unauthorized):
        bearer_token("Bearer ")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda i: i.token(lifetime=-60), id="expired"),
        pytest.param(lambda i: i.token(aud="someone-else"), id="wrong-audience"),
        pytest.param(lambda i: i.token(iss="https://evil.example"), id="wrong-issuer"),
        pytest.param(lambda i: i.token(lifetime=3600), id="lives-too-long"),
        pytest.param(lambda i: i.token(roles=("root",)), id="unknown-role"),
        pytest.param(lambda i: i.token(headers={"kid": "rotated-away"}), id="unknown-key"),
        pytest.param(lambda i: TestIssuer().token(), id="signed-by-another-key"),
        pytest.param(lambda i: i.token()[:-4] + "AAAA", id="tampered-signature"),
        pytest.param(
            lambda i: ".".join([_b64({"alg": "none", "kid": i.kid}), i.token().split(".")[1], ""]),
            id="alg-none",
        ),
        pytest.param(
            lambda i: (
                i.token().split(".")[0]
                + "."
                + _b64({"sub": "x", "roles": ["staff"]})
                + "."
                + i.token().split(".")[2]
            ),
            id="tampered-claims",
        ),
        pytest.param(lambda i: "not-a-jwt", id="garbage"),
    ],
)
def test_every_kind_of_bad_token_is_401(issuer, make):
    with pytest.raises(Unauthorized):
        issuer.verifier().verify(make(issuer))


def test_require_checks_roles():
    customer = Principal("u", frozenset({"customer"}))
    assert require(customer) is customer
    assert require(customer, "customer", "staff") is customer
    with pytest.raises(Forbidden):
        require(customer, "staff")
    with pytest.raises(Unauthorized):
        require(None)


def _jwks_transport(issuers: list[TestIssuer], calls: list[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, json={"keys": [k for i in issuers for k in i.jwks()["keys"]]})

    return httpx.MockTransport(handler)


def test_keys_are_fetched_once_then_an_unknown_kid_refetches(issuer):
    calls: list[str] = []
    now = [0.0]
    published = [issuer]
    verifier = TokenVerifier(
        jwks_url="http://users/.well-known/jwks.json",
        issuer=ISSUER,
        audience=AUDIENCE,
        client=httpx.Client(transport=_jwks_transport(published, calls)),
        cache=JwksCache(clock=lambda: now[0]),
    )
    verifier.verify(issuer.token())
    verifier.verify(issuer.token())
    assert len(calls) == 1

    rotated = TestIssuer(kid="next-key")
    published.append(rotated)
    now[0] += 11  # past the refetch guard
    assert verifier.verify(rotated.token()).roles == {"customer"}
    assert len(calls) == 2

    now[0] += 1  # a burst of forged kids cannot make it hammer users
    with pytest.raises(Unauthorized):
        verifier.verify(issuer.token(headers={"kid": "forged"}))
    assert len(calls) == 2


def test_users_down_with_nothing_cached_is_503(issuer):
    def down(request):
        raise httpx.ConnectError("refused", request=request)

    verifier = TokenVerifier(
        jwks_url="http://users/.well-known/jwks.json",
        issuer=ISSUER,
        audience=AUDIENCE,
        client=httpx.Client(transport=httpx.MockTransport(down)),
    )
    with pytest.raises(ServiceUnavailable):
        verifier.verify(issuer.token())


def test_async_verification_fetches_with_the_async_client(issuer):
    calls: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, json=issuer.jwks())

    verifier = TokenVerifier(
        jwks_url="http://users/.well-known/jwks.json",
        issuer=ISSUER,
        audience=AUDIENCE,
        async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    principal = asyncio.run(verifier.aauthenticate(f"Bearer {issuer.token('u-9')}"))
    assert principal is not None
    assert principal.subject == "u-9"
    assert calls == ["http://users/.well-known/jwks.json"]


def test_service_tokens_are_cached_until_shortly_before_expiry():
    posts: list[dict] = []
    now = [1000.0]

    def handler(request: httpx.Request) -> httpx.Response:
        posts.append(json.loads(request.content))
        return httpx.Response(200, json={"access_token": f"t{len(posts)}", "expires_in": 900})

    tokens = ServiceTokens(
        token_url="http://users/api/tokens",
        client_id="cart",
        client_secret="s3cret",
        client=httpx.Client(transport=httpx.MockTransport(handler)),
        clock=lambda: now[0],
    )
    assert tokens.headers() == {"Authorization": "Bearer t1"}
    now[0] += 800
    assert tokens.headers() == {"Authorization": "Bearer t1"}
    now[0] += 60
    assert tokens.headers() == {"Authorization": "Bearer t2"}
    assert posts[0] == {
        "grant_type": "client_credentials",
        "client_id": "cart",
        "client_secret": "s3cret",
    }


def test_service_tokens_unavailable_is_503():
    tokens = ServiceTokens(
        token_url="http://users/api/tokens",
        client_id="cart",
        client_secret="wrong",
        client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(401))),
    )
    with pytest.raises(ServiceUnavailable):
        tokens.headers()
