"""The payments app through Falcon's test client."""

from __future__ import annotations

import falcon
import falcon.testing
import pytest
import sqlalchemy as sa
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from payments.app import create_app
from payments.settings import PaymentsSettings
from polykit.health import Lifecycle
from polykit.migrations import Preparation
from polykit.telemetry import setup_tracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture
def settings(tmp_path):
    return PaymentsSettings.from_env(data_dir=tmp_path)


@pytest.fixture
def client(settings):
    return falcon.testing.TestClient(create_app(settings, lifecycle=Lifecycle()))


@pytest.fixture(scope="module")
def spans():
    exporter = InMemorySpanExporter()
    setup_tracing(PaymentsSettings.from_env()).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def test_probes_answer(client):
    assert client.simulate_get("/healthz").json == {"status": "ok"}
    ready = client.simulate_get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "checks": {"database": "ok", "schema": "ok"}}


def test_readiness_turns_503_when_draining(settings):
    lifecycle = Lifecycle()
    client = falcon.testing.TestClient(create_app(settings, lifecycle=lifecycle))
    lifecycle.begin_drain()
    response = client.simulate_get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "draining"


def test_readiness_turns_503_when_the_database_is_down(tmp_path):
    settings = PaymentsSettings.from_env(
        data_dir=tmp_path, database_url="postgresql://x@127.0.0.1:1/x", migrate_on_start=False
    )
    client = falcon.testing.TestClient(create_app(settings, lifecycle=Lifecycle()))
    response = client.simulate_get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["checks"]["database"] != "ok"
    assert client.simulate_get("/api/info").json["ready"] is False


def test_info_names_the_framework(client):
    body = client.simulate_get("/api/info").json
    assert body["name"] == "payments"
    assert body["framework"] == "falcon"
    assert body["framework_version"] == falcon.__version__
    assert body["ready"] is True


def test_unknown_route_is_problem_json(client):
    response = client.simulate_get("/api/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json["status"] == 404
    assert response.json["instance"] == "/api/nope"


def test_wrong_method_is_405_with_allow(client):
    response = client.simulate_post("/api/info")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json["status"] == 405
    assert "GET" in response.headers["allow"]


def test_malformed_json_is_a_400_problem(settings):
    class Echo:
        def on_post(self, req, resp):
            resp.media = req.get_media()

    app = create_app(settings, lifecycle=Lifecycle())
    app.add_route("/api/echo", Echo())
    response = falcon.testing.TestClient(app).simulate_post(
        "/api/echo", body="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_unhandled_error_is_a_500_problem_without_traceback(settings, caplog):
    class Boom:
        def on_get(self, req, resp):
            raise ZeroDivisionError("secret detail")

    app = create_app(settings, lifecycle=Lifecycle())
    app.add_route("/api/boom", Boom())
    response = falcon.testing.TestClient(app).simulate_get("/api/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret detail" not in response.text
    assert "ZeroDivisionError" not in response.text
    assert "ZeroDivisionError" in caplog.text


def test_metrics_use_route_templates(client):
    client.simulate_get("/api/info")
    client.simulate_get("/api/no/such/thing")
    client.simulate_post("/api/info")
    text = client.simulate_get("/metrics").text
    assert 'http_route="/api/info"' in text
    assert 'http_route="<unmatched>"' in text
    assert 'http_response_status_code="405"' in text
    assert "/api/no/such/thing" not in text
    assert 'polyshop_service_info{framework="falcon"' in text


def test_openmetrics_scrape_carries_trace_exemplars(client):
    client.simulate_get("/api/info")
    response = client.simulate_get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert "# {span_id=" in response.text or "# {trace_id=" in response.text


def test_incoming_trace_is_continued_and_probes_are_untraced(client, spans):
    spans.clear()
    client.simulate_get("/healthz")
    client.simulate_get("/api/info", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    [span] = spans.get_finished_spans()
    assert span.name == "GET /api/info"
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID


def test_openapi_documents_the_api(client):
    document = client.simulate_get("/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert "get" in document["paths"]["/api/info"]
    assert "ServiceInfo" in document["components"]["schemas"]
    paths = document["paths"]
    assert set(paths["/api/payments"]) == {"get", "post"}
    assert paths["/api/payments"]["post"]["security"] == [{"bearer": []}]
    assert "post" in paths["/api/payments/{payment_id}/refunds"]
    assert "get" in paths["/api/payments/{payment_id}"]
    charge = document["components"]["schemas"]["ChargeIn"]
    assert set(charge["required"]) == {"order_id", "amount_cents", "currency", "card"}


def test_a_database_not_up_yet_is_migrated_once_it_answers():
    attempts = []

    def prepare():
        attempts.append(1)
        if len(attempts) < 3:
            raise sa.exc.OperationalError("connect", {}, ConnectionRefusedError())

    class Quick(Preparation):
        RETRY_SECONDS = 0.01

    preparation = Quick(prepare, name="payments", lifecycle=Lifecycle())
    preparation.start()
    with pytest.raises(RuntimeError):
        preparation.check()
    assert preparation.done.wait(timeout=30)
    preparation.check()
    assert len(attempts) == 3
