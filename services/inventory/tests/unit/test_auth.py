"""Bearer tokens on inventory's resources: the `roles_required` method decorator, on test-only
resources (the real ones arrive with the inventory API)."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest
from flask import g
from flask_restful import Resource
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from inventory.adapter import roles_required
from inventory.app import create_app
from inventory.settings import InventorySettings
from polykit.auth import TokenVerifier
from polykit.health import Lifecycle
from polykit.telemetry import setup_tracing
from polykit.testing import TestIssuer

ALL_ROLES = ("customer", "staff", "service")


def caller() -> dict:
    return {"subject": g.principal.subject, "roles": sorted(g.principal.roles)}


class Stock(Resource):
    """Like the stock API to come: anyone reads, staff and services write."""

    method_decorators = {"put": [roles_required("staff", "service")]}

    def get(self):
        return {"principal": g.get("principal")}

    def put(self):
        return caller()


class Reservations(Resource):
    method_decorators = [roles_required("service")]

    def post(self):
        return caller(), 201


PROTECTED = [("PUT", "/api/stock"), ("POST", "/api/reservations")]


def build(verifier: TokenVerifier, tmp_path):
    app = create_app(
        InventorySettings.from_env(data_dir=tmp_path), lifecycle=Lifecycle(), verifier=verifier
    )
    api = app.extensions["flask-restful"]
    api.add_resource(Stock, "/api/stock")
    api.add_resource(Reservations, "/api/reservations")
    return app.test_client()


@pytest.fixture
def issuer():
    return TestIssuer()


@pytest.fixture
def client(issuer, tmp_path):
    return build(issuer.verifier(), tmp_path)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def bad_authorizations(issuer: TestIssuer) -> dict[str, str]:
    """Authorization headers that must each be refused with a 401, by what is wrong with them."""
    header, _, signature = issuer.token(roles=("customer",)).split(".")
    now = int(time.time())
    claims = {
        "iss": "polyshop-users",
        "aud": "polyshop",
        "sub": "mallory",
        "roles": list(ALL_ROLES),
    }
    claims |= {"iat": now, "exp": now + 600}
    elevated = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
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
        "alg none": "Bearer "
        + jwt.encode(claims, None, algorithm="none", headers={"kid": issuer.kid}),
        "unknown kid": f"Bearer {TestIssuer(kid='rotated-away').token(roles=ALL_ROLES)}",
        "unknown role": f"Bearer {issuer.token(roles=('admin',))}",
    }


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == status
    return response.json


@pytest.mark.parametrize(("method", "route"), PROTECTED)
def test_no_token_is_401_with_a_bearer_challenge(client, method, route):
    response = client.open(route, method=method)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "route"), PROTECTED)
@pytest.mark.parametrize("case", list(bad_authorizations(TestIssuer())))
def test_bad_tokens_are_401(client, issuer, method, route, case):
    authorization = bad_authorizations(issuer)[case]
    response = client.open(route, method=method, headers={"Authorization": authorization})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_valid_token_names_the_caller(client, issuer):
    token = issuer.token("service:orders", roles=("service",))
    response = client.post("/api/reservations", headers=bearer(token))
    assert response.status_code == 201
    assert response.json == {"subject": "service:orders", "roles": ["service"]}


@pytest.mark.parametrize(
    ("method", "route", "roles", "status"),
    [
        ("PUT", "/api/stock", ("customer", "staff"), 200),
        ("PUT", "/api/stock", ("service",), 200),
        ("PUT", "/api/stock", ("customer",), 403),
        ("POST", "/api/reservations", ("service",), 201),
        ("POST", "/api/reservations", ("customer", "staff"), 403),
    ],
)
def test_roles_decide_between_success_and_403(client, issuer, method, route, roles, status):
    token = issuer.token(roles=roles)
    response = client.open(route, method=method, headers=bearer(token))
    assert response.status_code == status
    if status == 403:
        assert_problem(response, 403)
        assert "WWW-Authenticate" not in response.headers


def test_the_403_names_the_missing_role(client, issuer):
    response = client.put("/api/stock", headers=bearer(issuer.token(roles=("customer",))))
    detail = assert_problem(response, 403)["detail"]
    assert "staff" in detail
    assert "service" in detail


PUBLIC = ["/api/stock", "/api/info", "/openapi.json", "/healthz", "/readyz", "/metrics"]


@pytest.mark.parametrize("route", PUBLIC)
def test_public_routes_stay_public_even_with_a_bad_token(client, issuer, route):
    assert client.get(route).status_code == 200
    expired = bad_authorizations(issuer)["expired"]
    assert client.get(route, headers={"Authorization": expired}).status_code == 200


def test_a_public_method_sees_no_principal(client, issuer):
    response = client.get("/api/stock", headers=bearer(issuer.token(roles=("staff",))))
    assert response.json == {"principal": None}


def test_users_unreachable_with_no_keys_is_503(tmp_path):
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    verifier = TokenVerifier(
        jwks_url="http://users.invalid/.well-known/jwks.json",
        issuer="polyshop-users",
        audience="polyshop",
        client=httpx.Client(transport=httpx.MockTransport(refuse)),
    )
    token = TestIssuer().token(roles=("service",))
    response = build(verifier, tmp_path).post("/api/reservations", headers=bearer(token))
    assert_problem(response, 503)


@pytest.fixture(scope="module")
def spans():
    exporter = InMemorySpanExporter()
    setup_tracing(InventorySettings.from_env()).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def test_a_refused_token_is_a_client_error_in_the_trace_too(client, spans):
    spans.clear()
    client.post("/api/reservations")
    [span] = spans.get_finished_spans()
    assert span.attributes["http.response.status_code"] == 401
    assert span.status.status_code != StatusCode.ERROR
