"""The inventory app as every polyshop service is: probes, info, problem+json, metrics,
traces and its OpenAPI document."""

from __future__ import annotations

import importlib.metadata
import re

import pytest
from flask_restful import Resource
from inventory_testing import inventory_app
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from inventory.app import create_app
from inventory.settings import InventorySettings
from polykit.health import Lifecycle
from polykit.telemetry import setup_tracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def spans():
    exporter = InMemorySpanExporter()
    setup_tracing(InventorySettings.from_env()).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def test_probes_answer(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "checks": {"database": "ok", "schema": "ok"}}


def test_readiness_turns_503_when_draining(settings, issuer):
    lifecycle = Lifecycle()
    app = create_app(settings, lifecycle=lifecycle, verifier=issuer.verifier(), background=False)
    lifecycle.begin_drain()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "draining"


def test_readiness_turns_503_when_the_database_is_down(tmp_path, issuer):
    settings = InventorySettings.from_env(
        data_dir=tmp_path, database_url="postgresql://x@127.0.0.1:1/x"
    )
    with inventory_app(settings, issuer=issuer) as app:
        client = app.test_client()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json["status"] == "not ready"
        assert response.json["checks"]["database"] != "ok"
        assert response.json["checks"]["schema"] != "ok"
        assert client.get("/api/info").json["ready"] is False
        # The stock gauge has nothing to say, but the scrape still answers.
        assert client.get("/metrics").status_code == 200
        # An API call meanwhile is a 503, not a 500 nor a hang.
        stock = client.get("/api/stock/KIT-MUG-001")
        assert stock.status_code == 503
        assert stock.content_type == "application/problem+json"


def test_without_migrate_on_start_the_schema_is_not_checked(tmp_path, issuer):
    settings = InventorySettings.from_env(data_dir=tmp_path, migrate_on_start=False)
    with inventory_app(settings, issuer=issuer) as app:
        response = app.test_client().get("/readyz")
        assert response.json["checks"] == {"database": "ok"}
        # No tables: the API says the database cannot serve yet, rather than a 500.
        assert app.test_client().get("/api/stock/KIT-MUG-001").status_code == 503


def test_info_names_the_framework(client):
    body = client.get("/api/info").json
    assert body["name"] == "inventory"
    assert body["framework"] == "flask-restful"
    assert body["framework_version"] == importlib.metadata.version("Flask-RESTful")
    assert body["ready"] is True


def test_unknown_route_is_problem_json(client):
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 404
    assert response.json["instance"] == "/api/nope"
    assert "message" not in response.json


def test_wrong_method_is_405_with_allow(client):
    response = client.post("/api/info")
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 405
    assert "GET" in response.headers["Allow"]


class Boom(Resource):
    def get(self):
        raise ZeroDivisionError("secret detail")


def test_unhandled_error_is_a_500_problem_without_traceback(app, caplog):
    app.extensions["flask-restful"].add_resource(Boom, "/api/boom")
    response = app.test_client().get("/api/boom")
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    text = response.get_data(as_text=True)
    assert "secret detail" not in text
    assert "ZeroDivisionError" not in text
    assert "ZeroDivisionError" in caplog.text


def test_metrics_use_route_templates(client):
    client.get("/api/info")
    client.get("/api/stock/KIT-MUG-001")
    client.get("/api/no/such/thing")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'http_route="/api/info"' in text
    assert 'http_route="/api/stock/{sku}"' in text
    assert "KIT-MUG-001" not in text
    assert 'http_route="<unmatched>"' in text
    assert "/api/no/such/thing" not in text
    assert 'polyshop_service_info{framework="flask-restful"' in text


def test_openmetrics_scrape_carries_trace_exemplars(client):
    client.get("/api/info")
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.content_type.startswith("application/openmetrics-text")
    text = response.get_data(as_text=True)
    assert "# {span_id=" in text or "# {trace_id=" in text


def test_incoming_trace_is_continued_and_probes_are_untraced(client, spans):
    spans.clear()
    client.get("/healthz")
    client.get("/api/info", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    [span] = spans.get_finished_spans()
    assert span.name == "GET /api/info"
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID


def test_openapi_documents_the_api(client):
    document = client.get("/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert "get" in document["paths"]["/api/info"]
    assert "ServiceInfo" in document["components"]["schemas"]
    paths = document["paths"]
    assert set(paths["/api/stock/{sku}"]) >= {"get", "put", "parameters"}
    assert set(paths["/api/reservations"]) == {"get", "post"}
    assert "post" in paths["/api/reservations/{reservation_id}/commit"]
    assert "post" in paths["/api/reservations/{reservation_id}/release"]
    reserve = paths["/api/reservations"]["post"]
    assert set(reserve["responses"]) >= {"200", "201", "409", "422"}
    assert reserve["security"] == [{"bearer": []}]
    assert "security" not in paths["/api/stock/{sku}"]["get"]
    schemas = document["components"]["schemas"]
    assert set(schemas["ReservationIn"]["required"]) == {"order_id", "items"}


def test_openapi_document_is_valid(client):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(client.get("/openapi.json").json)


def test_openapi_references_resolve(client):
    document = client.get("/openapi.json").json
    text = str(document)
    for kind in ("schemas", "responses"):
        for name in set(re.findall(rf"#/components/{kind}/(\w+)", text)):
            assert name in document["components"][kind], name
