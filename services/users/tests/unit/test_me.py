"""GET /api/users/me: the caller's account for a user's token, 401 for every kind of bad token."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from users_testing import bearer, login, pem, register, users_app

from polykit.settings import LOCAL_SERVICE_SECRET
from users.settings import UsersSettings
from users.signing import public_jwk

OTHER_KEY = Ed25519PrivateKey.generate()


@pytest.fixture
def signing_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def app(tmp_path, clock, signing_key):
    """Signing with a key the test holds too, to forge every kind of bad token."""
    settings = UsersSettings.from_env(data_dir=tmp_path, jwt_private_key=pem(signing_key))
    return users_app(settings, clock=clock)


@pytest.fixture
def account(app):
    return register(app, status=201).json


def mint(key, *, subject, headers=None, **overrides):
    now = int(time.time())
    payload = {
        "iss": "polyshop-users",
        "aud": "polyshop",
        "sub": subject,
        "roles": ["customer"],
        "iat": now,
        "exp": now + 900,
    } | overrides
    headers = {"kid": public_jwk(key)["kid"]} | (headers or {})  # our kid, unless told
    return jwt.encode(payload, key, algorithm="EdDSA", headers=headers)


def test_me_is_the_callers_account(app, account):
    token = login(app).json["access_token"]
    assert app.get("/api/users/me", headers=bearer(token), status=200).json == account


def test_staff_see_their_roles(app):
    token = login(app, email="staff@polyshop.local", password="local-only-staff-password")
    me = app.get("/api/users/me", headers=bearer(token.json["access_token"]), status=200).json
    assert me["email"] == "staff@polyshop.local"
    assert me["roles"] == ["customer", "staff"]


def expired(key, account):
    now = int(time.time())
    return mint(key, subject=account["id"], iat=now - 1000, exp=now - 100)


def tampered(key, account):
    """A real token's header and signature around claims that say staff."""
    header, _, signature = mint(key, subject=account["id"]).split(".")
    claims = mint(key, subject=account["id"], roles=["staff"]).split(".")[1]
    return f"{header}.{claims}.{signature}"


def alg_none(key, account):
    payload = jwt.decode(mint(key, subject=account["id"]), options={"verify_signature": False})
    return jwt.encode(payload, None, algorithm="none", headers={"kid": public_jwk(key)["kid"]})


BAD_TOKENS = {
    "expired": expired,
    "tampered": tampered,
    "wrong audience": lambda key, account: mint(key, subject=account["id"], aud="elsewhere"),
    "wrong issuer": lambda key, account: mint(key, subject=account["id"], iss="mallory"),
    "alg none": alg_none,
    "unknown kid": lambda key, account: mint(OTHER_KEY, subject=account["id"]),
    "another key under our kid": lambda key, account: mint(
        OTHER_KEY, subject=account["id"], headers={"kid": public_jwk(key)["kid"]}
    ),
    "not a JWT": lambda key, account: "not-a-token",
}


def test_no_token_is_401_with_a_bearer_challenge(app):
    response = app.get("/api/users/me", status=401)
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_a_bad_token_is_401(app, signing_key, account, kind):
    token = BAD_TOKENS[kind](signing_key, account)
    response = app.get("/api/users/me", headers=bearer(token), status=401)
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert account["email"] not in response.text


def test_a_non_bearer_authorization_is_401(app):
    app.get("/api/users/me", headers={"Authorization": "Basic YW5uOnB3"}, status=401)


def test_a_service_token_has_no_account_here(app):
    credentials = {
        "grant_type": "client_credentials",
        "client_id": "orders",
        "client_secret": LOCAL_SERVICE_SECRET,
    }
    token = app.post_json("/api/tokens", credentials).json["access_token"]
    response = app.get("/api/users/me", headers=bearer(token), status=403)
    assert response.content_type == "application/problem+json"


def test_a_valid_token_for_an_account_that_is_gone_is_404(app, signing_key):
    token = mint(signing_key, subject=str(uuid.uuid4()))
    app.get("/api/users/me", headers=bearer(token), status=404)
