"""The signing key (where it comes from, that it lasts, what others verify with it), the staff
account, and what production refuses to start without."""

from __future__ import annotations

import base64
import stat

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from users_testing import bearer, login, pem, register, users_app

from polykit.auth import TokenVerifier
from polykit.settings import SettingsError, token_verifier_options
from users.settings import UsersSettings
from users.signing import KEY_FILE, public_jwk

STAFF = {"email": "staff@polyshop.local", "password": "local-only-staff-password"}


def test_the_jwks_checks_an_issued_token_with_the_kits_verifier(app, settings):
    register(app, status=201)
    token = login(app).json["access_token"]
    response = app.get("/.well-known/jwks.json", status=200)
    assert response.headers["Cache-Control"] == "public, max-age=300"
    document = response.json

    def users_service(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/.well-known/jwks.json"
        return httpx.Response(200, json=document)

    verifier = TokenVerifier(
        **token_verifier_options(settings),
        client=httpx.Client(transport=httpx.MockTransport(users_service)),
    )
    principal = verifier.verify(token)
    assert principal.roles == frozenset({"customer"})
    assert principal.subject == app.get("/api/users/me", headers=bearer(token)).json["id"]


def test_the_kid_is_the_rfc_7638_thumbprint():
    # RFC 8037, appendix A.1 (the key) and A.3 (its thumbprint).
    seed = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
    jwk = public_jwk(Ed25519PrivateKey.from_private_bytes(seed))
    assert jwk["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert jwk["kid"] == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_the_local_key_is_made_once_and_outlives_a_restart(settings, clock):
    first = users_app(settings, clock=clock)
    register(first, status=201)
    token = login(first).json["access_token"]
    key_file = settings.data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    restarted = users_app(settings, clock=clock)
    assert restarted.get("/.well-known/jwks.json").json == first.get("/.well-known/jwks.json").json
    restarted.get("/api/users/me", headers=bearer(token), status=200)


def test_jwt_private_key_is_used_when_set(tmp_path, clock):
    key = Ed25519PrivateKey.generate()
    # As a one-line secret would hold it.
    one_line = pem(key).replace("\n", "\\n")
    app = users_app(
        UsersSettings.from_env(data_dir=tmp_path, jwt_private_key=one_line), clock=clock
    )
    assert app.get("/.well-known/jwks.json").json["keys"] == [public_jwk(key)]
    assert not (tmp_path / KEY_FILE).exists()


def test_a_damaged_key_file_stops_the_start_naming_it(settings, clock):
    (settings.data_dir / KEY_FILE).write_text("not a key")
    with pytest.raises(SettingsError, match=KEY_FILE):
        users_app(settings, clock=clock)


def test_jwt_private_key_must_be_an_ed25519_pem(tmp_path):
    with pytest.raises(SettingsError, match="JWT_PRIVATE_KEY") as raised:
        UsersSettings.from_env(data_dir=tmp_path, jwt_private_key="-----BEGIN nonsense")
    assert "nonsense" not in str(raised.value)


def test_the_staff_account_is_seeded_with_both_roles(app):
    token = login(app, **STAFF, status=200).json["access_token"]
    assert app.get("/api/users/me", headers=bearer(token)).json["roles"] == ["customer", "staff"]


def test_seeding_again_keeps_one_staff_account_and_follows_a_new_password(settings, clock):
    users_app(settings, clock=clock)
    rotated = settings.model_copy(
        update={"staff_password": type(settings.staff_password)("n3w-staff-pw")}
    )
    app = users_app(rotated, clock=clock)
    login(app, **STAFF, status=401)
    login(app, email=STAFF["email"], password="n3w-staff-pw", status=200)
    register(app, email=STAFF["email"], status=409)


def test_staff_from_the_environment(tmp_path, clock):
    settings = UsersSettings.from_env(
        data_dir=tmp_path, staff_email="Boss@Shop.example", staff_password="boss-password"
    )
    app = users_app(settings, clock=clock)
    login(app, email="boss@shop.example", password="boss-password", status=200)
    login(app, **STAFF, status=401)


PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql://db/users",
    "service_client_secret": "users-own-secret",
}


def test_production_needs_a_signing_key(tmp_path):
    with pytest.raises(SettingsError, match="JWT_PRIVATE_KEY"):
        UsersSettings.from_env(
            data_dir=tmp_path,
            staff_password="real-staff-pw",
            service_clients="cart:c4rt-secret",
            **PRODUCTION,
        )


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"service_clients": "cart:c4rt-secret"}, "STAFF_PASSWORD"),
        ({"staff_password": "real-staff-pw"}, "SERVICE_CLIENTS"),
    ],
)
def test_production_refuses_the_local_defaults(tmp_path, overrides, variable):
    key = pem(Ed25519PrivateKey.generate())
    with pytest.raises(SettingsError, match=variable) as raised:
        UsersSettings.from_env(data_dir=tmp_path, jwt_private_key=key, **PRODUCTION, **overrides)
    assert "PRIVATE KEY" not in str(raised.value)


def test_a_malformed_service_client_is_refused_without_echoing_it(tmp_path):
    with pytest.raises(SettingsError, match="SERVICE_CLIENTS") as raised:
        UsersSettings.from_env(data_dir=tmp_path, service_clients="cart:ok,bare-secret-value")
    assert "bare-secret-value" not in str(raised.value)
