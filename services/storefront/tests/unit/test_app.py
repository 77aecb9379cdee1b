"""The storefront's app through Flask's test client, with a fake service directory."""

from __future__ import annotations

import pytest

from polykit.health import Lifecycle
from storefront.app import create_app
from storefront.clients import InfoResult
from storefront.settings import StorefrontSettings


class FakeDirectory:
    def __init__(self, results: list[InfoResult]) -> None:
        self.results = results

    def info_all(self) -> list[InfoResult]:
        return self.results


def _info(name: str, ready: bool = True) -> dict[str, object]:
    return {
        "name": name,
        "framework": "x",
        "framework_version": "1",
        "version": "2",
        "ready": ready,
    }


@pytest.fixture
def settings(tmp_path):
    return StorefrontSettings.from_env(data_dir=tmp_path)


@pytest.fixture
def client(settings):
    directory = FakeDirectory(
        [
            InfoResult("catalog", _info("catalog"), 3.2),
            InfoResult("cart", None, 1000.0, "ConnectTimeout: timed out"),
        ]
    )
    return create_app(settings, directory=directory).test_client()


def test_probes_answer(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["status"] == "ready"


def test_readiness_turns_503_when_draining(settings):
    lifecycle = Lifecycle()
    app = create_app(settings, directory=FakeDirectory([]), lifecycle=lifecycle)
    lifecycle.begin_drain()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "draining"


def test_info_names_the_framework(client):
    body = client.get("/api/info").json
    assert body["name"] == "storefront"
    assert body["framework"] == "flask"
    assert body["ready"] is True


def test_status_lists_every_service_and_marks_the_unreachable(client):
    rows = client.get("/api/status").json["services"]
    assert [r["name"] for r in rows] == ["storefront", "catalog", "cart"]
    cart = rows[2]
    assert cart["ready"] is False
    assert "timed out" in cart["error"]


def test_status_page_shows_the_table(client):
    page = client.get("/status").get_data(as_text=True)
    assert "catalog" in page
    assert "unreachable" in page
    assert "Some services are not ready." in page


def test_unknown_api_route_is_problem_json(client):
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 404
    assert response.json["instance"] == "/api/nope"


def test_unknown_page_is_a_friendly_html_page(client):
    response = client.get("/nope", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "could not find that page" in response.get_data(as_text=True)


def test_wrong_method_is_405_with_allow(client):
    response = client.post("/api/info")
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"
    assert "GET" in response.headers["Allow"]


def test_unhandled_error_is_a_500_problem_without_traceback(settings):
    app = create_app(settings, directory=FakeDirectory([]))
    app.add_url_rule("/api/boom", "boom", lambda: 1 / 0)
    response = app.test_client().get("/api/boom")
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    assert "ZeroDivisionError" not in response.get_data(as_text=True)


def test_metrics_use_route_templates(client):
    client.get("/api/info")
    client.get("/api/no/such/thing")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'http_route="/api/info"' in text
    assert 'http_route="<unmatched>"' in text
    assert "/api/no/such/thing" not in text
    assert 'polyshop_service_info{framework="flask"' in text


def test_openmetrics_scrape_carries_trace_exemplars(client):
    client.get("/api/info")
    text = client.get("/metrics", headers={"Accept": "application/openmetrics-text"}).get_data(
        as_text=True
    )
    assert "# {span_id=" in text or "# {trace_id=" in text


def test_openapi_documents_the_api(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"/api/info", "/api/status"} <= set(paths)
