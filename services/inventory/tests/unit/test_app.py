"""The inventory app through Flask's test client."""

from __future__ import annotations

import importlib.metadata

import pytest
from flask import request
from flask_restful import Resource
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from inventory.app import create_app
from inventory.settings import InventorySettings
from polykit.health import Lifecycle
from polykit.telemetry import setup_tracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture
def settings(tmp_path):
    return InventorySettings.from_env(data_dir=tmp_path)


@pytest.fixture
def client(settings):
    return create_app(settings, lifecycle=Lifecycle()).test_client()


@pytest.fixture(scope="module")
def spans():
    exporter = InMemorySpanExporter()
    setup_tracing(InventorySettings.from_env()).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def test_probes_answer(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "checks": {"database": "ok"}}


def test_readiness_turns_503_when_draining(settings):
    lifecycle = Lifecycle()
    app = create_app(settings, lifecycle=lifecycle)
    lifecycle.begin_drain()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "draining"


def test_readiness_turns_503_when_the_database_is_down(tmp_path):
    settings = InventorySettings.from_env(
        data_dir=tmp_path, database_url="postgresql://x@127.0.0.1:1/x"
    )
    client = create_app(settings, lifecycle=Lifecycle()).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["checks"]["database"] != "ok"
    assert client.get("/api/info").json["ready"] is False


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


class Echo(Resource):
    def post(self):
        return request.get_json()


class Boom(Resource):
    def get(self):
        raise ZeroDivisionError("secret detail")


def test_malformed_json_is_a_400_problem(settings):
    app = create_app(settings, lifecycle=Lifecycle())
    app.extensions["flask-restful"].add_resource(Echo, "/api/echo")
    response = app.test_client().post(
        "/api/echo", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_unhandled_error_is_a_500_problem_without_traceback(settings, caplog):
    app = create_app(settings, lifecycle=Lifecycle())
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
    client.get("/api/no/such/thing")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'http_route="/api/info"' in text
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
