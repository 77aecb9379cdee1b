"""Who may do what: services charge; services and staff read and refund; customers nothing.
(The kinds of bad token are tried in test_auth.py.)"""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from payments_testing import charge_body

from payments.settings import PaymentsSettings
from polykit.telemetry import setup_tracing

PAYMENT = "8d7c1f2e-5b7a-4a61-9f7e-0c1d2e3f4a5b"
ENDPOINTS = [
    ("POST", "/api/payments"),
    ("GET", "/api/payments"),
    ("GET", f"/api/payments/{PAYMENT}"),
    ("POST", f"/api/payments/{PAYMENT}/refunds"),
]


def call(api, method, path, headers):
    body = charge_body() if path == "/api/payments" else {"amount_cents": 100}
    headers = headers | {"Idempotency-Key": "roles"}
    return api.client.simulate_request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_token_is_401_with_a_bearer_challenge(api, method, path):
    response = call(api, method, path, {})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_customers_are_403_everywhere(api, method, path):
    response = call(api, method, path, api.token("customer"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_staff_may_not_charge(api):
    response = api.charge(charge_body(), headers=api.staff)
    assert response.status_code == 403
    assert "service" in response.json["detail"]
    assert api.ledger() == []


def test_staff_and_services_read_and_refund(api):
    payment = api.charge(charge_body()).json
    for headers in (api.staff, api.orders):
        path = f"/api/payments/{payment['id']}"
        assert api.client.simulate_get(path, headers=headers).status_code == 200
        assert api.client.simulate_get("/api/payments", headers=headers).status_code == 200
        assert api.refund(payment["id"], 100, headers=headers).status_code == 201


@pytest.fixture(scope="module")
def spans():
    exporter = InMemorySpanExporter()
    setup_tracing(PaymentsSettings.from_env()).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.mark.parametrize(
    ("body", "status"), [(charge_body(), 201), (charge_body(card={"number": "1"}), 422)]
)
def test_charges_keep_their_status_in_the_trace(api, spans, body, status):
    spans.clear()
    api.charge(body)
    [span] = spans.get_finished_spans()
    assert span.name == "POST /api/payments"
    assert span.attributes["http.response.status_code"] == status
    assert span.status.status_code != StatusCode.ERROR
