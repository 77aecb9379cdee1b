"""Bearer tokens on payments' resources: the `require_roles` hook, on test-only resources (the real
ones arrive with the payments API)."""

from __future__ import annotations

import falcon
import falcon.testing
import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from payments.adapter import require_roles
from payments.app import create_app
from payments.settings import PaymentsSettings
from polykit.auth import TokenVerifier
from polykit.health import Lifecycle
from polykit.telemetry import setup_tracing
from polykit.testing import TestIssuer, bad_authorizations

ALL_ROLES = ("customer", "staff", "service")


def caller(req: falcon.Request) -> dict:
    principal = req.context.principal
    return {"subject": principal.subject, "roles": sorted(principal.roles)}


@falcon.before(require_roles("service"))
class ServicesOnly:
    def on_get(self, req, resp):
        resp.media = caller(req)


class PublicReadStaffWrite:
    def on_get(self, req, resp):
        resp.media = {"principal": req.context.principal}

    @falcon.before(require_roles("staff", "service"))
    def on_post(self, req, resp):
        resp.media = caller(req)


PROTECTED = [("GET", "/api/services-only"), ("POST", "/api/public-read-staff-write")]


def build(verifier: TokenVerifier, tmp_path) -> falcon.testing.TestClient:
    app = create_app(
        PaymentsSettings.from_env(data_dir=tmp_path), lifecycle=Lifecycle(), verifier=verifier
    )
    app.add_route("/api/services-only", ServicesOnly())
    app.add_route("/api/public-read-staff-write", PublicReadStaffWrite())
    return falcon.testing.TestClient(app)


@pytest.fixture
def issuer():
    return TestIssuer()


@pytest.fixture
def client(issuer, tmp_path):
    return build(issuer.verifier(), tmp_path)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json["status"] == status
    return response.json


@pytest.mark.parametrize(("method", "route"), PROTECTED)
def test_no_token_is_401_with_a_bearer_challenge(client, method, route):
    response = client.simulate_request(method, route)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "route"), PROTECTED)
@pytest.mark.parametrize("case", list(bad_authorizations(TestIssuer())))
def test_bad_tokens_are_401(client, issuer, method, route, case):
    authorization = bad_authorizations(issuer)[case]
    response = client.simulate_request(method, route, headers={"Authorization": authorization})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_valid_token_names_the_caller(client, issuer):
    token = issuer.token("service:orders", roles=("service",))
    response = client.simulate_get("/api/services-only", headers=bearer(token))
    assert response.status_code == 200
    assert response.json == {"subject": "service:orders", "roles": ["service"]}


@pytest.mark.parametrize(
    ("method", "route", "roles", "status"),
    [
        ("GET", "/api/services-only", ("service",), 200),
        ("GET", "/api/services-only", ("customer", "staff"), 403),
        ("POST", "/api/public-read-staff-write", ("customer", "staff"), 200),
        ("POST", "/api/public-read-staff-write", ("service",), 200),
        ("POST", "/api/public-read-staff-write", ("customer",), 403),
    ],
)
def test_roles_decide_between_200_and_403(client, issuer, method, route, roles, status):
    response = client.simulate_request(method, route, headers=bearer(issuer.token(roles=roles)))
    assert response.status_code == status
    if status == 403:
        assert_problem(response, 403)
        assert "www-authenticate" not in response.headers


def test_the_403_names_the_missing_role(client, issuer):
    token = issuer.token(roles=("customer",))
    response = client.simulate_get("/api/services-only", headers=bearer(token))
    assert "service" in assert_problem(response, 403)["detail"]


@pytest.mark.parametrize(
    "route",
    [
        "/api/public-read-staff-write",
        "/api/info",
        "/openapi.json",
        "/healthz",
        "/readyz",
        "/metrics",
    ],
)
def test_public_routes_stay_public_even_with_a_bad_token(client, issuer, route):
    assert client.simulate_get(route).status_code == 200
    expired = bad_authorizations(issuer)["expired"]
    response = client.simulate_get(route, headers={"Authorization": expired})
    assert response.status_code == 200


def test_a_public_responder_sees_no_principal(client, issuer):
    token = issuer.token(roles=("staff",))
    response = client.simulate_get("/api/public-read-staff-write", headers=bearer(token))
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
    response = build(verifier, tmp_path).simulate_get("/api/services-only", headers=bearer(token))
    assert_problem(response, 503)


@pytest.fixture(scope="module")
def spans():
    exporter = InMemorySpanExporter()
    setup_tracing(PaymentsSettings.from_env()).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def test_a_refused_token_is_a_client_error_in_the_trace_too(client, spans):
    spans.clear()
    client.simulate_get("/api/services-only")
    [span] = spans.get_finished_spans()
    assert span.attributes["http.response.status_code"] == 401
    assert span.status.status_code != StatusCode.ERROR
