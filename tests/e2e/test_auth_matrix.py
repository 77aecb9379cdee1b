"""Every protected endpoint refuses every kind of bad token with a 401 problem, and a token
without the role with a 403."""

from __future__ import annotations

import uuid

import pytest

from e2e import shop, tokens
from e2e.shop import Shopper
from e2e.store import StoreUnderTest

SKU = "NO-SUCH-SKU-1"
OTHER = str(uuid.uuid4())

PROTECTED = [
    ("users", "GET", "/api/users/me", None),
    ("cart", "GET", "/api/cart", None),
    ("cart", "PUT", f"/api/cart/items/{SKU}", {"quantity": 1}),
    ("cart", "DELETE", f"/api/cart/items/{SKU}", None),
    ("cart", "DELETE", "/api/cart", None),
    ("cart", "GET", f"/api/carts/{OTHER}", None),
    ("cart", "DELETE", f"/api/carts/{OTHER}", None),
]
SERVICE_ONLY = [endpoint for endpoint in PROTECTED if "/api/carts/" in endpoint[2]]


def _endpoints(endpoints):
    return pytest.mark.parametrize(
        ("service", "method", "path", "body"),
        endpoints,
        ids=[f"{service}:{method} {path}" for service, method, path, _ in endpoints],
    )


@pytest.fixture(scope="module")
def shopper(store) -> Shopper:
    return Shopper().signed_up()


@pytest.fixture(scope="module")
def users_kid(store) -> str:
    keys = shop.call("users", "GET", "/.well-known/jwks.json").json()["keys"]
    assert keys, "users publishes no keys"
    return keys[0]["kid"]


def _bad_tokens(store: StoreUnderTest, shopper: Shopper, kid: str) -> dict[str, dict[str, str]]:
    real = shopper.token
    bearer = {
        "garbage": "not-a-jwt",
        "tampered": tokens.tampered(real, roles=["customer", "staff", "service"]),
        "alg-none": tokens.unsigned(real),
        "unknown-key": tokens.sign(tokens.new_key(), "not-a-key-users-has"),
        "forged-with-users-kid": tokens.sign(tokens.new_key(), kid),
    }
    if store.signing_key is not None:
        bearer["expired"] = tokens.sign(
            store.signing_key, kid, iat=1_600_000_000, exp=1_600_000_600
        )
        bearer["wrong-audience"] = tokens.sign(store.signing_key, kid, aud="another-shop")
        bearer["wrong-issuer"] = tokens.sign(store.signing_key, kid, iss="https://evil.example")
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in bearer.items()}
    headers["missing"] = {}
    headers["not-bearer"] = {"Authorization": "Basic YWRhOnB3"}
    return headers


@_endpoints(PROTECTED)
def test_bad_tokens_are_401(store, shopper, users_kid, service, method, path, body):
    # Against a store the suite did not start, the tokens that need users' key are left out.
    for name, headers in _bad_tokens(store, shopper, users_kid).items():
        response = shop.call(service, method, path, json=body, headers=headers)
        assert response.status_code == 401, (name, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), name
        assert response.headers["www-authenticate"].lower().startswith("bearer"), name


@_endpoints(SERVICE_ONLY)
def test_a_customer_cannot_use_service_endpoints(shopper, service, method, path, body):
    response = shop.call(service, method, path, json=body, headers=shopper.auth)
    assert response.status_code == 403
    assert response.json()["status"] == 403
