"""The catalog's app through FastAPI's TestClient, on a SQLite file under tmp_path."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import BaseModel

from catalog.app import create_app
from catalog.settings import CatalogSettings
from polykit.errors import NotFound
from polykit.health import Lifecycle
from polykit.telemetry import setup_tracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


class Quantity(BaseModel):
    quantity: int


@pytest.fixture
def settings(tmp_path):
    return CatalogSettings.from_env(data_dir=tmp_path)


@pytest.fixture(scope="session")
def exporter():
    exporter = InMemorySpanExporter()
    setup_tracing(CatalogSettings.from_env()).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(exporter):
    exporter.clear()
    return exporter


@pytest.fixture
def app(settings):
    app = create_app(settings, lifecycle=Lifecycle())

    @app.get("/api/things/{thing_id}")
    async def thing(thing_id: int) -> dict[str, int]:
        if thing_id == 0:
            raise NotFound("No such thing.")
        return {"thing_id": thing_id}

    @app.put("/api/things/{thing_id}")
    async def put_thing(thing_id: int, body: Quantity) -> dict[str, int]:
        return {"thing_id": thing_id, "quantity": body.quantity}

    @app.get("/api/boom")
    async def boom() -> None:
        raise ZeroDivisionError("secret internals")

    return app


@pytest.fixture
def client(app):
    # Starlette re-raises unhandled errors after answering, for servers to log; see the 500.
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_probes_answer(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}


def test_readiness_turns_503_when_draining(settings):
    lifecycle = Lifecycle()
    with TestClient(create_app(settings, lifecycle=lifecycle)) as client:
        lifecycle.begin_drain()
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "draining"


def test_readiness_turns_503_when_the_database_is_down(tmp_path):
    settings = CatalogSettings.from_env(
        data_dir=tmp_path, database_url="postgresql://x@127.0.0.1:1/x", migrate_on_start=False
    )
    with TestClient(create_app(settings, lifecycle=Lifecycle())) as client:
        response = client.get("/readyz")
        info = client.get("/api/info").json()
        products = client.get("/api/products")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["checks"]["database"] != "ok"
    assert info["ready"] is False
    assert products.status_code == 503
    assert products.headers["content-type"] == "application/problem+json"
    assert "127.0.0.1" not in products.text


def test_not_ready_until_migrated(tmp_path):
    """Kubernetes starts pods with MIGRATE_ON_START off; they wait for the migration Job."""
    settings = CatalogSettings.from_env(data_dir=tmp_path, migrate_on_start=False)
    with TestClient(create_app(settings, lifecycle=Lifecycle())) as client:
        assert client.get("/readyz").status_code == 503
        assert client.get("/api/categories").status_code == 503


def test_info_names_the_framework(client):
    body = client.get("/api/info").json()
    assert body["name"] == "catalog"
    assert body["framework"] == "fastapi"
    assert body["framework_version"]
    assert body["ready"] is True


def test_unknown_route_is_problem_json(client):
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404
    assert response.json()["instance"] == "/api/nope"


def test_kit_errors_are_problem_json(client):
    response = client.get("/api/things/0")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "No such thing."


def test_wrong_method_is_405_with_allow(client):
    response = client.post("/api/info")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert "GET" in response.headers["allow"]


def test_invalid_input_is_422_naming_each_field(client):
    response = client.put("/api/things/abc", json={"quantity": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"thing_id", "quantity"}


def test_malformed_json_is_400(client):
    response = client.put(
        "/api/things/1", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_unhandled_error_is_a_500_problem_without_traceback(client, caplog):
    response = client.get("/api/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "ZeroDivisionError" not in response.text
    assert "secret internals" not in response.text
    assert any(record.exc_info for record in caplog.records if record.name == "polyshop.errors")


def test_metrics_use_route_templates(client):
    client.get("/api/info")
    client.get("/api/things/7")
    client.get("/api/no/such/thing")
    client.get("/openapi.json")
    text = client.get("/metrics").text
    assert 'http_route="/api/info"' in text
    assert 'http_route="/openapi.json"' in text
    assert 'http_route="/api/things/{thing_id}"' in text
    assert 'http_route="<unmatched>"' in text
    assert "/api/no/such/thing" not in text
    assert 'polyshop_service_info{framework="fastapi"' in text


def test_openmetrics_scrape_carries_the_incoming_trace(client):
    client.get("/api/info", headers={"traceparent": TRACEPARENT})
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert f'trace_id="{TRACE_ID}"' in response.text


def test_server_span_continues_the_incoming_trace(client, spans):
    client.get("/api/info", headers={"traceparent": TRACEPARENT})
    client.get("/healthz")
    client.get("/metrics")
    finished = spans.get_finished_spans()
    # Probes and scrapes are not traced, and no per-message receive/send spans either.
    assert [(span.name, span.kind) for span in finished] == [("GET /api/info", SpanKind.SERVER)]
    span = finished[0]
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.attributes["http.route"] == "/api/info"
    assert span.attributes["http.response.status_code"] == 200


def test_openapi_documents_the_api(client):
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/api/info" in document["paths"]
    assert "/healthz" not in document["paths"]
    assert "ServiceInfo" in document["components"]["schemas"]


def _schema_ref(response, media_type="application/json"):
    return response["content"][media_type]["schema"]["$ref"].rsplit("/", 1)[1]


def test_openapi_describes_the_catalog_as_it_answers(client):
    document = client.get("/openapi.json").json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    listing = paths["/api/products"]["get"]
    assert _schema_ref(listing["responses"]["200"]) == "ProductPage"
    assert {"ETag", "Cache-Control"} <= set(listing["responses"]["200"]["headers"])
    assert {"304", "422", "503"} <= set(listing["responses"])
    assert _schema_ref(listing["responses"]["422"], "application/problem+json") == "Problem"
    assert {p["name"] for p in listing["parameters"]} == {
        "q",
        "category",
        "sku",
        "page",
        "page_size",
    }
    one = paths["/api/products/{sku}"]["get"]["responses"]
    assert _schema_ref(one["200"]) == "ProductOut"
    assert _schema_ref(one["404"], "application/problem+json") == "Problem"
    # A plain string in the path cannot fail validation: no 422 is promised for it.
    assert "422" not in one
    assert _schema_ref(paths["/api/categories"]["get"]["responses"]["200"]) == "CategoryList"
    image = paths["/images/{name}"]["get"]["responses"]
    assert "image/svg+xml" in image["200"]["content"]
    assert "404" in image
    assert "HTTPValidationError" not in schemas
    assert {"Problem", "ProductOut", "ProductPage", "CategoryList"} <= set(schemas)
