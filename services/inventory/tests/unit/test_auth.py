"""Bearer tokens on inventory's API: who may read stock, restock, and hold stock for orders."""

from __future__ import annotations

import uuid

import httpx
import pytest
from inventory_testing import FakeCatalog, bearer
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from inventory.app import BACKGROUND, create_app
from inventory.settings import InventorySettings
from polykit.auth import TokenVerifier
from polykit.health import Lifecycle
from polykit.telemetry import setup_tracing
from polykit.testing import TestIssuer, bad_authorizations

ALL_ROLES = ("customer", "staff", "service")
SKU = "KIT-MUG-001"
SOME_ID = str(uuid.uuid4())

RESTOCK = ("PUT", f"/api/stock/{SKU}", {"available": 5})
RESERVE = (
    "POST",
    "/api/reservations",
    {"order_id": SOME_ID, "items": [{"sku": SKU, "quantity": 1}]},
)
FIND = ("GET", f"/api/reservations?order_id={SOME_ID}", None)
READ = ("GET", f"/api/reservations/{SOME_ID}", None)
COMMIT = ("POST", f"/api/reservations/{SOME_ID}/commit", None)
RELEASE = ("POST", f"/api/reservations/{SOME_ID}/release", None)
PROTECTED = [RESTOCK, RESERVE, FIND, READ, COMMIT, RELEASE]
NAMES = ["restock", "reserve", "find", "read", "commit", "release"]

# Which roles each protected call accepts; every other role gets a 403.
ALLOWED = {
    "restock": {"staff", "service"},
    "reserve": {"service"},
    "find": {"service"},
    "read": {"staff", "service"},
    "commit": {"staff", "service"},
    "release": {"staff", "service"},
}


def call(client, endpoint, headers=None):
    method, route, body = endpoint
    return client.open(route, method=method, json=body, headers=headers or {})


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == status
    return response.json


@pytest.mark.parametrize("endpoint", PROTECTED, ids=NAMES)
def test_no_token_is_401_with_a_bearer_challenge(client, endpoint):
    response = call(client, endpoint)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("endpoint", PROTECTED, ids=NAMES)
@pytest.mark.parametrize("case", list(bad_authorizations(TestIssuer())))
def test_bad_tokens_are_401(client, issuer, endpoint, case):
    authorization = bad_authorizations(issuer)[case]
    response = call(client, endpoint, {"Authorization": authorization})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", ["customer", "staff", "service"])
@pytest.mark.parametrize("name", NAMES)
def test_roles_decide_between_the_call_and_403(client, issuer, name, role):
    endpoint = PROTECTED[NAMES.index(name)]
    response = call(client, endpoint, bearer(issuer.token(roles=(role,))))
    if role in ALLOWED[name]:
        # Past the role check: the call itself answers (404 for the made-up reservation).
        assert response.status_code in (200, 201, 404, 409), response.json
    else:
        problem = assert_problem(response, 403)
        assert "WWW-Authenticate" not in response.headers
        for needed in ALLOWED[name]:
            assert needed in problem["detail"]


def test_a_shopper_cannot_restock_nor_hold_stock(client, issuer):
    shopper = bearer(issuer.token(roles=("customer",)))
    assert call(client, RESTOCK, shopper).status_code == 403
    assert call(client, RESERVE, shopper).status_code == 403
    assert client.get(f"/api/stock/{SKU}").status_code == 404  # nothing was stocked


@pytest.mark.parametrize("route", [f"/api/stock/{SKU}", "/api/info", "/openapi.json"])
def test_public_reads_ignore_even_a_bad_token(client, issuer, route):
    call(client, RESTOCK, bearer(issuer.token(roles=("staff",))))
    expired = bad_authorizations(issuer)["expired"]
    assert client.get(route).status_code == 200
    assert client.get(route, headers={"Authorization": expired}).status_code == 200


@pytest.mark.parametrize("route", ["/healthz", "/readyz", "/metrics"])
def test_probes_stay_public(client, route):
    assert client.get(route).status_code == 200


def test_users_unreachable_with_no_keys_is_503(tmp_path):
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    verifier = TokenVerifier(
        jwks_url="http://users.invalid/.well-known/jwks.json",
        issuer="polyshop-users",
        audience="polyshop",
        client=httpx.Client(transport=httpx.MockTransport(refuse)),
    )
    app = create_app(
        InventorySettings.from_env(data_dir=tmp_path),
        lifecycle=Lifecycle(),
        verifier=verifier,
        catalog=FakeCatalog([]),
        background=False,
    )
    token = TestIssuer().token(roles=("service",))
    try:
        response = call(app.test_client(), RESERVE, bearer(token))
    finally:
        app.extensions[BACKGROUND].stop()
    assert_problem(response, 503)


@pytest.fixture(scope="module")
def spans():
    exporter = InMemorySpanExporter()
    setup_tracing(InventorySettings.from_env()).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def test_a_refused_token_is_a_client_error_in_the_trace_too(client, spans):
    spans.clear()
    call(client, RESERVE)
    [span] = spans.get_finished_spans()
    assert span.attributes["http.response.status_code"] == 401
    assert span.attributes["http.route"] == "/api/reservations"
    assert span.status.status_code != StatusCode.ERROR
