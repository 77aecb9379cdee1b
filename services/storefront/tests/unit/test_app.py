"""The operator's side: probes, /api/info, /status, errors as problem+json, metrics."""

from __future__ import annotations

from polykit.health import Lifecycle


def test_probes_answer(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["status"] == "ready"


def test_readiness_turns_503_when_draining(make_app):
    lifecycle = Lifecycle()
    app = make_app(lifecycle=lifecycle)
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


def test_unknown_page_is_a_friendly_html_page_even_without_accept(client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "We could not find that" in response.get_data(as_text=True)


def test_a_client_asking_for_json_gets_a_problem_for_a_page(client):
    response = client.get("/nope", headers={"Accept": "application/json"})
    assert response.content_type == "application/problem+json"


def test_wrong_method_is_405_with_allow(client):
    response = client.post("/api/info")
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"
    assert "GET" in response.headers["Allow"]


def test_unhandled_error_is_a_500_problem_without_traceback(app):
    app.add_url_rule("/api/boom", "boom", lambda: 1 / 0)
    app.add_url_rule("/boom", "page_boom", lambda: 1 / 0)
    response = app.test_client().get("/api/boom")
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    assert "ZeroDivisionError" not in response.get_data(as_text=True)
    page = app.test_client().get("/boom")
    assert page.status_code == 500
    assert "Something went wrong" in page.get_data(as_text=True)
    assert "ZeroDivisionError" not in page.get_data(as_text=True)


def test_oversized_form_is_refused_with_413(client):
    response = client.post("/login", data={"email": "x" * 100_000, "password": "p"})
    assert response.status_code == 413


def test_metrics_use_route_templates(client):
    client.get("/api/info")
    client.get("/api/no/such/thing")
    client.get("/products/KIT-001")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'http_route="/api/info"' in text
    assert 'http_route="/products/<sku>"' in text or 'http_route="/products/{sku}"' in text
    assert 'http_route="<unmatched>"' in text
    assert "/api/no/such/thing" not in text
    assert 'polyshop_service_info{framework="flask"' in text


def test_page_views_are_counted_by_page_name(client):
    client.get("/")
    client.get("/products/KIT-001")
    client.get("/products/KIT-002")
    client.get("/products/NOPE")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'polyshop_page_views_total{page="home"} 1.0' in text
    assert 'polyshop_page_views_total{page="product"} 2.0' in text
    assert 'polyshop_page_views_total{page="cart"} 0.0' in text


def test_openmetrics_scrape_carries_trace_exemplars(client):
    client.get("/api/info")
    text = client.get("/metrics", headers={"Accept": "application/openmetrics-text"}).get_data(
        as_text=True
    )
    assert "# {span_id=" in text or "# {trace_id=" in text


def test_openapi_documents_the_api(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"/api/info", "/api/status"} <= set(paths)
