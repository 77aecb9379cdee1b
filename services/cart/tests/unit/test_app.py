"""The cart's app served over ASGI to an httpx client, on a SQLite file under tmp_path.

Not sanic-testing's clients: `app.test_client` registers its own handler for 405s, which would
hide ours, and `app.asgi_client` starts and stops the app around every request.
"""

from __future__ import annotations

import httpx
import pytest
from cart_testing import serving
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sanic import Request
from sanic.response import json

from cart.app import create_app
from cart.clients import CatalogClient
from cart.repository import migrate_store
from cart.settings import CartSettings
from polykit.errors import NotFound
from polykit.health import Lifecycle
from polykit.settings import SettingsError
from polykit.telemetry import setup_tracing
from polykit.testing import TestIssuer

pytestmark = pytest.mark.anyio

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@pytest.fixture(scope="session")
def exporter():
    exporter = InMemorySpanExporter()
    setup_tracing(CartSettings.from_env()).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(exporter):
    exporter.clear()
    return exporter


@pytest.fixture
def settings(tmp_path):
    return CartSettings.from_env(data_dir=tmp_path)


@pytest.fixture
def app(settings):
    app = create_app(settings, lifecycle=Lifecycle())

    @app.get("/api/things/<thing_id:int>")
    async def thing(request: Request, thing_id: int):
        if thing_id == 0:
            raise NotFound("No such thing.")
        return json({"thing_id": thing_id})

    @app.put("/api/things/<thing_id:int>")
    async def put_thing(request: Request, thing_id: int):
        return json({"thing_id": thing_id, "body": request.json})

    @app.get("/api/current-span")
    async def current_span(request: Request):
        context = trace.get_current_span().get_span_context()
        return json({"span_id": format(context.span_id, "016x")})

    @app.get("/api/boom")
    async def boom(request: Request):
        raise ZeroDivisionError("secret internals")

    return app


@pytest.fixture
async def client(app):
    async with serving(app) as client:
        yield client


async def test_probes_answer(client):
    health = await client.get("/healthz")
    assert health.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_readiness_turns_503_when_draining(settings):
    lifecycle = Lifecycle()
    app = create_app(settings, lifecycle=lifecycle)
    lifecycle.begin_drain()
    async with serving(app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "draining"


async def test_readiness_turns_503_when_the_database_is_down(tmp_path):
    settings = CartSettings.from_env(data_dir=tmp_path, database_url="postgresql://x@127.0.0.1:1/x")
    async with serving(create_app(settings, lifecycle=Lifecycle())) as client:
        response = await client.get("/readyz")
        info = await client.get("/api/info")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["checks"]["database"] != "ok"
    assert info.json()["ready"] is False


async def test_readiness_asks_redis_when_redis_url_is_set(tmp_path):
    settings = CartSettings.from_env(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0")
    async with serving(create_app(settings, lifecycle=Lifecycle())) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert set(response.json()["checks"]) == {"redis"}


def test_production_needs_redis(tmp_path):
    with pytest.raises(SettingsError, match="REDIS_URL"):
        CartSettings.from_env(
            data_dir=tmp_path, environment="production", service_client_secret="s3cret"
        )


async def test_info_names_the_framework(client):
    response = await client.get("/api/info")
    assert response.json()["name"] == "cart"
    assert response.json()["framework"] == "sanic"
    assert response.json()["framework_version"]
    assert response.json()["ready"] is True


async def test_unknown_route_is_problem_json(client):
    response = await client.get("/api/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404
    assert response.json()["instance"] == "/api/nope"


async def test_kit_errors_are_problem_json(client):
    response = await client.get("/api/things/0")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "No such thing."


async def test_wrong_method_is_405_with_allow(client):
    response = await client.post("/api/info")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert "GET" in response.headers["allow"]


async def test_malformed_json_is_400(client):
    response = await client.put(
        "/api/things/1", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_unhandled_error_is_a_500_problem_without_traceback(client, caplog):
    response = await client.get("/api/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "ZeroDivisionError" not in response.text
    assert "secret internals" not in response.text
    assert any(record.exc_info for record in caplog.records if record.name == "polyshop.errors")


async def test_metrics_use_route_templates(client):
    await client.get("/api/info")
    await client.get("/api/things/7")
    await client.get("/api/no/such/thing")
    await client.get("/openapi.json")
    response = await client.get("/metrics")
    text = response.text
    assert 'http_route="/api/info"' in text
    assert 'http_route="/api/things/{thing_id}"' in text
    assert 'http_route="/openapi.json"' in text
    assert 'http_route="<unmatched>"' in text
    assert "/api/no/such/thing" not in text
    assert 'polyshop_service_info{framework="sanic"' in text


async def test_openmetrics_scrape_carries_the_incoming_trace(client):
    await client.get("/api/info", headers={"traceparent": TRACEPARENT})
    response = await client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert f'trace_id="{TRACE_ID}"' in response.text


async def test_server_span_continues_the_incoming_trace(client, spans):
    await client.get("/api/things/7", headers={"traceparent": TRACEPARENT})
    await client.get("/healthz")
    await client.get("/metrics")
    finished = spans.get_finished_spans()
    # Probes and scrapes are not traced.
    assert [(span.name, span.kind) for span in finished] == [
        ("GET /api/things/{thing_id}", SpanKind.SERVER)
    ]
    span = finished[0]
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.attributes["http.route"] == "/api/things/{thing_id}"
    assert span.attributes["http.request.method"] == "GET"
    assert span.attributes["url.path"] == "/api/things/7"
    assert span.attributes["http.response.status_code"] == 200


async def test_handlers_run_inside_the_server_span(client, spans):
    # So that outgoing httpx calls, and log lines, are the request's children.
    response = await client.get("/api/current-span")
    (span,) = spans.get_finished_spans()
    assert response.json()["span_id"] == format(span.context.span_id, "016x")


async def test_unhandled_error_marks_the_span(client, spans):
    await client.get("/api/boom")
    (span,) = spans.get_finished_spans()
    assert span.status.is_ok is False
    assert span.events[0].name == "exception"


async def test_openapi_documents_the_api(client):
    response = await client.get("/openapi.json")
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/info" in document["paths"]
    assert "/healthz" not in document["paths"]
    schema = document["paths"]["/api/info"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    assert schema == {"$ref": "#/components/schemas/ServiceInfo"}
    assert "ready" in document["components"]["schemas"]["ServiceInfo"]["properties"]


async def test_carts_are_kept_in_sqlite_by_default(settings):
    issuer = TestIssuer()
    migrate_store(settings)
    catalog = CatalogClient(
        httpx.AsyncClient(
            transport=httpx.MockTransport(lambda request: httpx.Response(200, json={})),
            base_url="http://catalog.test",
        ),
        timeout_seconds=1,
    )
    headers = {"Authorization": f"Bearer {issuer.token()}"}
    app = create_app(settings, catalog=catalog, verifier=issuer.verifier(), lifecycle=Lifecycle())
    async with serving(app) as client:
        await client.put("/api/cart/items/SKU-1", json={"quantity": 2}, headers=headers)
        await client.put("/api/cart/items/SKU-2", json={"quantity": 1}, headers=headers)
    again = create_app(settings, catalog=catalog, verifier=issuer.verifier(), lifecycle=Lifecycle())
    async with serving(again) as client:
        response = await client.get("/api/cart", headers=headers)
    assert response.json() == {
        "items": [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 1}],
        "item_count": 3,
    }


async def test_a_cart_store_that_is_down_is_503(tmp_path):
    issuer = TestIssuer()
    settings = CartSettings.from_env(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0")
    app = create_app(settings, verifier=issuer.verifier(), lifecycle=Lifecycle())
    headers = {"Authorization": f"Bearer {issuer.token()}"}
    async with serving(app) as client:
        response = await client.get("/api/cart", headers=headers)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
