from __future__ import annotations

import asyncio

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client.parser import text_string_to_metric_families

from polykit.http import make_client, server_address
from polykit.metrics import Metrics, method_label, sql_operation
from polykit.observe import RequestObserver
from polykit.stores import observe_engine, observe_redis


def _metrics() -> Metrics:
    return Metrics(service="cart", framework="sanic", framework_version="25", version="1.0")


def _samples(metrics: Metrics, name: str):
    body, _ = metrics.exposition(None)
    for family in text_string_to_metric_families(body.decode()):
        if family.name == name:
            return family.samples
    return []


def test_service_info_is_one_with_its_labels():
    (sample,) = _samples(_metrics(), "polyshop_service_info")
    assert sample.value == 1
    assert sample.labels == {
        "service": "cart",
        "framework": "sanic",
        "framework_version": "25",
        "version": "1.0",
    }


def test_observer_records_the_normalised_template_and_balances_in_flight():
    metrics = _metrics()
    observer = RequestObserver(metrics)
    started = observer.start("GET")
    observer.finish(
        method="GET",
        path="/api/cart/items/abc",
        route="api/cart/items/<sku>",
        status=200,
        started=started,
    )
    counts = {
        s.labels["http_route"]: s.value
        for s in _samples(metrics, "http_server_request_duration_seconds")
        if s.name.endswith("_count")
    }
    assert counts == {"/api/cart/items/{sku}": 1}
    (active,) = _samples(metrics, "http_server_active_requests")
    assert active.value == 0


def test_strange_methods_do_not_make_new_series():
    assert method_label("get") == "GET"
    assert method_label("BREW") == "_OTHER"


def test_exemplars_only_in_openmetrics_and_only_when_sampled():
    provider = TracerProvider()
    metrics = _metrics()
    with provider.get_tracer("t").start_as_current_span("request") as span:
        metrics.observe_server("GET", "/api/info", 200, 0.01)
        trace_id = format(span.get_span_context().trace_id, "032x")
    body, content_type = metrics.exposition("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert f'trace_id="{trace_id}"' in body.decode()
    plain, plain_type = metrics.exposition("text/plain")
    assert plain_type.startswith("text/plain")
    assert "trace_id" not in plain.decode()


def test_no_exemplar_outside_a_span():
    metrics = _metrics()
    assert trace.get_current_span().get_span_context().is_valid is False
    metrics.observe_server("GET", "/api/info", 200, 0.01)
    body, _ = metrics.exposition("application/openmetrics-text")
    assert "trace_id" not in body.decode()


def test_client_calls_are_measured_by_server_and_status():
    metrics = _metrics()
    transport = httpx.MockTransport(lambda request: httpx.Response(503))
    with make_client(metrics, base_url="http://catalog:8001", transport=transport) as client:
        client.get("/api/products/x")
    counts = [
        s
        for s in _samples(metrics, "http_client_request_duration_seconds")
        if s.name.endswith("_count")
    ]
    assert [
        (s.labels["server_address"], s.labels["http_response_status_code"]) for s in counts
    ] == [("catalog:8001", "503")]


def test_a_failed_call_is_measured_as_an_error():
    metrics = _metrics()

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    client = make_client(metrics, transport=httpx.MockTransport(refuse))
    with pytest.raises(httpx.ConnectError):
        client.get("http://cart/api/cart")
    (count,) = [
        s
        for s in _samples(metrics, "http_client_request_duration_seconds")
        if s.name.endswith("_count")
    ]
    assert count.labels["http_response_status_code"] == "error"


def test_server_address_keeps_explicit_ports():
    assert server_address(httpx.URL("http://127.0.0.1:8001/x")) == "127.0.0.1:8001"
    assert server_address(httpx.URL("http://catalog/x")) == "catalog"


def _store_counts(metrics: Metrics) -> dict[tuple[str, str], float]:
    return {
        (s.labels["db_system_name"], s.labels["db_operation_name"]): s.value
        for s in _samples(metrics, "db_client_operation_duration_seconds")
        if s.name.endswith("_count")
    }


def test_sql_operations_are_named_by_their_verb_from_a_fixed_set():
    assert sql_operation("  select 1") == "SELECT"
    assert sql_operation("(SELECT 1) UNION (SELECT 2)") == "SELECT"
    assert sql_operation("INSERT INTO t VALUES (1)") == "INSERT"
    assert sql_operation("VACUUM") == "OTHER"
    assert sql_operation("") == "OTHER"


def test_every_statement_of_an_engine_is_timed_failed_ones_too():
    import sqlalchemy as sa

    metrics = _metrics()
    engine = sa.create_engine("sqlite://")
    observe_engine(engine, metrics)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        connection.execute(sa.text("INSERT INTO t VALUES (1)"))
        connection.execute(sa.text("SELECT x FROM t")).all()
        with pytest.raises(sa.exc.OperationalError):
            connection.execute(sa.text("SELECT nothing FROM nowhere"))
    counts = _store_counts(metrics)
    assert counts[("sqlite", "CREATE")] == 1
    assert counts[("sqlite", "INSERT")] == 1
    assert counts[("sqlite", "SELECT")] == 2


def test_redis_commands_and_pipelines_are_timed():
    class FakePipeline:
        async def execute(self):
            return [1, 1]

    class FakeRedis:
        async def execute_command(self, *args, **options):
            return b"PONG"

        def pipeline(self, transaction=True, shard_hint=None):
            return FakePipeline()

    metrics = _metrics()
    client = FakeRedis()
    observe_redis(client, metrics)
    assert asyncio.run(client.execute_command(b"ping")) == b"PONG"
    assert asyncio.run(client.pipeline(transaction=True).execute()) == [1, 1]
    assert _store_counts(metrics) == {("redis", "PING"): 1, ("redis", "MULTI"): 1}
