"""Logging in, the lockout after repeated failures, and service client credentials."""

from __future__ import annotations

import jwt
import pytest
from argon2 import PasswordHasher
from users_testing import PASSWORD, login, register, users_app

from polykit.settings import LOCAL_SERVICE_SECRET
from polykit.stores import sync_engine
from users.repository import UserRepository, session_factory
from users.settings import UsersSettings


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_logging_in_answers_a_bearer_token(app):
    account = register(app, status=201).json
    response = login(app, email="ANN@example.com", status=200)
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "EdDSA"
    assert header["typ"] == "JWT"
    assert header["kid"] == app.get("/.well-known/jwks.json").json["keys"][0]["kid"]
    token = claims(body["access_token"])
    assert token["iss"] == "polyshop-users"
    assert token["aud"] == "polyshop"
    assert token["sub"] == account["id"]
    assert token["roles"] == ["customer"]
    assert token["exp"] - token["iat"] == 900
    assert token["jti"]


def test_every_token_is_told_apart(app):
    register(app, status=201)
    first, second = (claims(login(app).json["access_token"]) for _ in range(2))
    assert first["jti"] != second["jti"]


@pytest.mark.parametrize(
    ("email", "password"),
    [("ann@example.com", "wrong password"), ("nobody@example.com", PASSWORD)],
)
def test_bad_credentials_are_401_without_saying_which(app, email, password):
    register(app, status=201)
    response = login(app, email=email, password=password, status=401)
    assert response.content_type == "application/problem+json"
    assert response.json["detail"] == "The email or password is not right."


def test_a_login_missing_its_password_is_told_so(app):
    response = app.post_json("/api/tokens", {"email": "ann@example.com"}, status=422)
    assert response.json["errors"] == [{"field": "password", "message": "is required"}]


def test_five_failures_lock_the_account_until_the_window_frees(app, clock):
    register(app, status=201)
    for _ in range(5):
        login(app, password="wrong password", status=401)
    locked = login(app, status=429)  # even the right password, while locked
    assert locked.content_type == "application/problem+json"
    assert locked.headers["Retry-After"] == "900"
    clock.advance(minutes=10)
    assert login(app, status=429).headers["Retry-After"] == "300"
    clock.advance(minutes=5, seconds=1)
    login(app, status=200)


def test_a_lockout_needs_the_failures_within_fifteen_minutes(app, clock):
    register(app, status=201)
    for _ in range(4):
        login(app, password="wrong password", status=401)
    clock.advance(minutes=15, seconds=1)
    login(app, password="wrong password", status=401)
    login(app, status=200)


def test_a_successful_login_clears_the_accounts_failures(app):
    register(app, status=201)
    for _ in range(4):
        login(app, password="wrong password", status=401)
    login(app, status=200)
    for _ in range(4):
        login(app, password="wrong password", status=401)
    login(app, status=200)


def test_unknown_emails_lock_out_like_known_ones(app):
    for _ in range(5):
        login(app, email="nobody@example.com", status=401)
    login(app, email="nobody@example.com", status=429)


def test_twenty_failures_from_one_address_lock_that_address_out(app):
    register(app, status=201)
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for n in range(20):
        login(app, email=f"guess{n}@example.com", extra_environ=attacker, status=401)
    response = login(app, extra_environ=attacker, status=429)
    assert int(response.headers["Retry-After"]) > 0
    login(app, extra_environ={"REMOTE_ADDR": "198.51.100.7"}, status=200)


def test_the_storefront_vouches_for_each_shoppers_address(app):
    """Every shopper reaches users through the storefront: its service token makes users trust
    the address it forwards, so one shopper's failures do not lock out the others."""
    register(app, status=201)
    storefront = app.post_json("/api/tokens", client_credentials("storefront"), status=200)
    vouched = {"Authorization": f"Bearer {storefront.json['access_token']}"}
    for n in range(20):
        login(
            app,
            email=f"guess{n}@example.com",
            headers=vouched | {"X-Forwarded-For": "203.0.113.9"},
            status=401,
        )
    login(app, headers=vouched | {"X-Forwarded-For": "203.0.113.9"}, status=429)
    login(app, headers=vouched | {"X-Forwarded-For": "198.51.100.7"}, status=200)


def test_a_forwarded_address_without_a_service_token_is_ignored(app):
    register(app, status=201)
    for n in range(20):
        login(
            app,
            email=f"guess{n}@example.com",
            headers={"X-Forwarded-For": f"192.0.2.{n}"},  # made up anew on every try
            status=401,
        )
    login(app, headers={"X-Forwarded-For": "192.0.2.200"}, status=429)


def test_logins_are_counted_by_outcome(app):
    register(app, status=201)
    login(app, status=200)
    for _ in range(5):
        login(app, password="wrong password", status=401)
    login(app, status=429)
    metrics = app.get("/metrics").text
    assert 'polyshop_logins_total{outcome="success"} 1.0' in metrics
    assert 'polyshop_logins_total{outcome="bad_credentials"} 5.0' in metrics
    assert 'polyshop_logins_total{outcome="locked_out"} 1.0' in metrics


def test_a_hash_with_old_parameters_is_redone_at_login(settings, clock):
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    new = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    register(users_app(settings, clock=clock, hasher=old), status=201)
    login(users_app(settings, clock=clock, hasher=new), status=200)
    stored = UserRepository(session_factory(sync_engine(settings))).by_email("ann@example.com")
    assert not new.check_needs_rehash(stored.password_hash)
    assert new.verify(stored.password_hash, PASSWORD)


def client_credentials(client_id="cart", secret=LOCAL_SERVICE_SECRET):
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


def test_a_service_gets_a_service_token(app):
    response = app.post_json("/api/tokens", client_credentials(), status=200)
    assert response.json["expires_in"] == 900
    token = claims(response.json["access_token"])
    assert token["sub"] == "service:cart"
    assert token["roles"] == ["service"]


@pytest.mark.parametrize(
    "credentials",
    [client_credentials(secret="wrong"), client_credentials(client_id="stranger")],
)
def test_bad_client_credentials_are_401(app, credentials):
    response = app.post_json("/api/tokens", credentials, status=401)
    assert response.content_type == "application/problem+json"
    assert LOCAL_SERVICE_SECRET not in response.text


def test_client_credentials_missing_the_secret_are_told_so(app):
    body = {"grant_type": "client_credentials", "client_id": "cart"}
    response = app.post_json("/api/tokens", body, status=422)
    assert response.json["errors"] == [{"field": "client_secret", "message": "is required"}]


def test_service_clients_come_from_the_environment(tmp_path, clock):
    settings = UsersSettings.from_env(data_dir=tmp_path, service_clients="orders:s3cret-orders")
    app = users_app(settings, clock=clock)
    app.post_json("/api/tokens", client_credentials("orders", "s3cret-orders"), status=200)
    app.post_json("/api/tokens", client_credentials("cart"), status=401)
