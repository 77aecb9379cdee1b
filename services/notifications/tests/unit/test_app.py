"""The notifications app through Tornado's own test case, on a real HTTP server per test."""

from __future__ import annotations

import asyncio
import json

import pytest
import tornado
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from tornado.testing import AsyncHTTPTestCase, gen_test

from notifications import adapter, handlers
from notifications.app import create_app
from notifications.settings import NotificationsSettings
from polykit.errors import Conflict, FieldError
from polykit.health import Lifecycle
from polykit.telemetry import setup_tracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"

SPANS = InMemorySpanExporter()
setup_tracing(NotificationsSettings.from_env()).add_span_processor(SimpleSpanProcessor(SPANS))


class Boom(handlers.BaseHandler):
    def get(self) -> None:
        raise ZeroDivisionError("secret detail")


class Clash(handlers.BaseHandler):
    async def get(self) -> None:
        raise Conflict("Nothing to notify", errors=[FieldError("user_id", "unknown")])


class AppTestCase(AsyncHTTPTestCase):
    overrides: dict[str, object] = {}

    def get_app(self):
        self.lifecycle = Lifecycle()
        self.inflight = adapter.InFlight()
        settings = NotificationsSettings.from_env(**self.overrides)
        self.app = create_app(settings, lifecycle=self.lifecycle, inflight=self.inflight)
        self.add_route(r"/api/boom", Boom)
        self.add_route(r"/api/clash", Clash)
        return self.app

    def add_route(self, pattern: str, handler: type[handlers.BaseHandler], **kwargs) -> None:
        deps = self.app.settings["default_handler_args"]["deps"]
        self.app.wildcard_router.add_rules([(pattern, handler, {"deps": deps, **kwargs})])

    def get_json(self, path: str, **kwargs):
        response = self.fetch(path, raise_error=False, **kwargs)
        return response, json.loads(response.body)


class TestProbesAndInfo(AppTestCase):
    def test_probes_answer(self):
        _, body = self.get_json("/healthz")
        assert body == {"status": "ok"}
        response, body = self.get_json("/readyz")
        assert response.code == 200
        assert body == {"status": "ready", "checks": {}}

    def test_readiness_turns_503_when_draining(self):
        self.lifecycle.begin_drain()
        response, body = self.get_json("/readyz")
        assert response.code == 503
        assert body["status"] == "draining"

    def test_info_names_the_framework(self):
        _, body = self.get_json("/api/info")
        assert body["name"] == "notifications"
        assert body["framework"] == "tornado"
        assert body["framework_version"] == tornado.version
        assert body["ready"] is True

    def test_openapi_documents_the_api(self):
        _, document = self.get_json("/openapi.json")
        assert document["openapi"].startswith("3.")
        assert "get" in document["paths"]["/api/info"]
        assert "ServiceInfo" in document["components"]["schemas"]


class TestReadinessWithRedisDown(AppTestCase):
    overrides = {"redis_url": "redis://127.0.0.1:1/0"}

    def test_readiness_turns_503_when_redis_is_down(self):
        response, body = self.get_json("/readyz")
        assert response.code == 503
        assert body["status"] == "not ready"
        assert body["checks"]["redis"] != "ok"
        assert self.get_json("/api/info")[1]["ready"] is False


class TestErrors(AppTestCase):
    def test_unknown_route_is_problem_json(self):
        response, body = self.get_json("/api/nope")
        assert response.code == 404
        assert response.headers["Content-Type"] == "application/problem+json"
        assert body["status"] == 404
        assert body["instance"] == "/api/nope"

    def test_wrong_method_is_405_with_allow(self):
        response, body = self.get_json("/api/info", method="POST", body="")
        assert response.code == 405
        assert response.headers["Content-Type"] == "application/problem+json"
        assert body["status"] == 405
        assert response.headers["Allow"] == "GET"

    def test_unhandled_error_is_a_500_problem_without_traceback(self):
        with self.assertLogs("notifications.handlers", "ERROR") as logs:
            response, _ = self.get_json("/api/boom")
        assert response.code == 500
        assert response.headers["Content-Type"] == "application/problem+json"
        assert "secret detail" not in response.body.decode()
        assert "ZeroDivisionError" not in response.body.decode()
        assert "ZeroDivisionError" in logs.output[0]

    def test_a_kit_problem_keeps_its_status_in_the_answer_and_the_span(self):
        SPANS.clear()
        response, body = self.get_json("/api/clash")
        assert response.code == 409
        assert response.headers["Content-Type"] == "application/problem+json"
        assert body["detail"] == "Nothing to notify"
        assert body["errors"] == [{"field": "user_id", "message": "unknown"}]
        [server] = [s for s in SPANS.get_finished_spans() if s.kind == SpanKind.SERVER]
        assert server.attributes["http.response.status_code"] == 409
        assert server.status.status_code != StatusCode.ERROR


class TestTelemetry(AppTestCase):
    def test_metrics_use_route_templates(self):
        self.fetch("/api/info")
        self.fetch("/api/no/such/thing")
        self.fetch("/api/boom")
        text = self.fetch("/metrics").body.decode()
        assert 'http_route="/api/info"' in text
        assert 'http_route="<unmatched>"' in text
        assert 'http_response_status_code="500",http_route="/api/boom"' in text
        assert "/api/no/such/thing" not in text
        assert 'polyshop_service_info{framework="tornado"' in text
        assert 'http_server_active_requests{http_request_method="GET"} 1.0' in text

    def test_openmetrics_scrape_carries_trace_exemplars(self):
        self.fetch("/api/info")
        self.fetch("/api/boom")
        response = self.fetch("/metrics", headers={"Accept": "application/openmetrics-text"})
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        lines = response.body.decode().splitlines()
        for route in ("/api/info", "/api/boom"):
            assert any(f'http_route="{route}"' in line and "# {" in line for line in lines)

    def test_incoming_trace_is_continued_and_probes_are_untraced(self):
        SPANS.clear()
        self.fetch("/healthz")
        self.fetch("/api/info")
        # Tornado's test client is traced as well and sends its own span as `traceparent`.
        spans = SPANS.get_finished_spans()
        [server] = [s for s in spans if s.kind == SpanKind.SERVER]
        [client] = [s for s in spans if s.kind == SpanKind.CLIENT and s.name == "GET"][-1:]
        assert server.name == "GET /api/info"
        assert server.context.trace_id == client.context.trace_id
        assert server.parent.span_id == client.context.span_id


class Held(handlers.BaseHandler):
    """Answers once the test lets it: a request that is in flight for as long as needed."""

    def initialize(self, deps, entered: asyncio.Event, release: asyncio.Event) -> None:
        super().initialize(deps)
        self.entered, self.release = entered, release

    async def get(self) -> None:
        self.entered.set()
        await self.release.wait()
        self.write({"done": True})


class TestDrain(AppTestCase):
    @gen_test
    async def test_drain_lets_the_request_in_flight_finish(self):
        entered, release = asyncio.Event(), asyncio.Event()
        self.add_route(r"/api/held", Held, entered=entered, release=release)
        request = asyncio.ensure_future(self.http_client.fetch(self.get_url("/api/held")))
        await entered.wait()
        draining = asyncio.ensure_future(
            adapter.drain(self.http_server, self.inflight, grace=5, lifecycle=self.lifecycle)
        )
        await asyncio.sleep(0)
        assert self.lifecycle.draining
        assert not draining.done()
        with pytest.raises(ConnectionRefusedError):
            await self.http_client.fetch(self.get_url("/healthz"))
        release.set()
        response = await request
        assert response.code == 200
        assert json.loads(response.body) == {"done": True}
        await draining
        assert self.inflight.count == 0

    @gen_test
    async def test_drain_gives_up_after_the_grace_period(self):
        entered, release = asyncio.Event(), asyncio.Event()
        self.add_route(r"/api/held", Held, entered=entered, release=release)
        request = asyncio.ensure_future(self.http_client.fetch(self.get_url("/api/held")))
        await entered.wait()
        await adapter.drain(self.http_server, self.inflight, grace=0.1, lifecycle=self.lifecycle)
        assert self.inflight.count == 1
        release.set()
        request.cancel()
