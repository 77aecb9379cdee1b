"""users through WebTest: probes, /api/info, problem+json, metrics, the spec-first OpenAPI."""

from __future__ import annotations

import webtest
from pyramid.httpexceptions import HTTPFound
from users_testing import FAST_HASHER

from polykit.health import Lifecycle
from polykit.openapi import component_schemas
from users.app import create_app
from users.settings import UsersSettings


def test_probes_answer(app):
    assert app.get("/healthz").json == {"status": "ok"}
    ready = app.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "checks": {"database": "ok", "schema": "ok"}}


def test_readiness_turns_503_when_draining(settings):
    lifecycle = Lifecycle()
    app = webtest.TestApp(create_app(settings, lifecycle=lifecycle, hasher=FAST_HASHER))
    lifecycle.begin_drain()
    response = app.get("/readyz", status=503)
    assert response.json["status"] == "draining"


def test_readiness_turns_503_when_the_database_is_unreachable(tmp_path):
    settings = UsersSettings.from_env(
        data_dir=tmp_path, database_url="postgresql://x@127.0.0.1:1/x"
    )
    lifecycle = Lifecycle()
    app = webtest.TestApp(create_app(settings, lifecycle=lifecycle, hasher=FAST_HASHER))
    response = app.get("/readyz", status=503)
    assert response.json["status"] == "not ready"
    assert "OperationalError" in response.json["checks"]["database"]
    assert response.json["checks"]["schema"] != "ok"  # the migrations wait for the database
    assert app.get("/api/info").json["ready"] is False
    lifecycle.begin_drain()  # stops the retries


def test_info_names_the_framework(app):
    body = app.get("/api/info").json
    assert body["name"] == "users"
    assert body["framework"] == "pyramid"
    assert body["framework_version"].startswith("2.")
    assert body["ready"] is True


def test_unknown_route_is_problem_json(app):
    response = app.get("/api/nope", status=404)
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 404
    assert response.json["instance"] == "/api/nope"


def test_wrong_method_is_405_with_allow(app):
    response = app.post("/api/info", status=405)
    assert response.content_type == "application/problem+json"
    assert response.headers["Allow"] == "GET, HEAD"


def test_head_is_served_by_the_get_view(app):
    app.head("/api/info", status=200)


def test_unhandled_error_is_a_500_problem_without_the_exception(settings, caplog):
    router = create_app(settings, lifecycle=Lifecycle(), hasher=FAST_HASHER)
    response = webtest.TestApp(_with_route(router, "/api/boom", _boom)).get("/api/boom", status=500)
    assert response.content_type == "application/problem+json"
    assert "ZeroDivisionError" not in response.text
    assert "secret detail" not in response.text
    record = next(r for r in caplog.records if r.levelname == "ERROR")
    assert record.exc_info[0] is ZeroDivisionError


def test_a_raised_redirect_stays_a_redirect(settings):
    router = create_app(settings, lifecycle=Lifecycle(), hasher=FAST_HASHER)
    app = webtest.TestApp(_with_route(router, "/api/moved", _moved))
    assert app.get("/api/moved", status=302).headers["Location"].endswith("/api/info")


def test_metrics_use_route_templates(app):
    app.get("/api/info")
    app.get("/api/no/such/thing", status=404)
    text = app.get("/metrics").text
    assert 'http_route="/api/info"' in text
    assert 'http_route="<unmatched>"' in text
    assert "/api/no/such/thing" not in text
    assert 'polyshop_service_info{framework="pyramid"' in text


def test_openmetrics_scrape_carries_trace_exemplars(app):
    app.get("/api/info")
    response = app.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.content_type == "application/openmetrics-text"
    assert "# {span_id=" in response.text or "# {trace_id=" in response.text


def test_incoming_traceparent_is_continued(app):
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    app.get("/api/info", headers={"traceparent": f"00-{trace_id}-b7ad6b7169203331-01"})
    text = app.get("/metrics", headers={"Accept": "application/openmetrics-text"}).text
    assert trace_id in text


def test_openapi_documents_the_api(app):
    document = app.get("/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert "/api/info" in document["paths"]
    ok = document["paths"]["/api/info"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ServiceInfo"
    }


def test_openapi_schemas_match_the_kits_models(app):
    """openapi.yaml is written by hand; the kit's models are what every service returns."""
    schemas = app.get("/openapi.json").json["components"]["schemas"]
    for name, schema in component_schemas().items():
        assert schemas[name] == schema, name


def _boom(request):
    raise ZeroDivisionError("secret detail")


def _moved(request):
    raise HTTPFound(location=request.route_url("api_info"))


def _with_route(router, pattern, view):
    """A test-only route added to a built app, as a view_config'd module would add it."""
    from pyramid.config import Configurator

    config = Configurator(registry=router.registry)
    config.add_route(pattern, pattern)
    config.add_view(view, route_name=pattern)
    return config.make_wsgi_app()


def test_openapi_documents_every_api_route(app):
    documented = set(app.get("/openapi.json").json["paths"])
    routes = {route.pattern for route in app.app.routes_mapper.get_routes()}
    served = {r for r in routes if r.startswith(("/api/", "/.well-known/"))}
    assert served == documented


def test_head_on_a_validated_route_answers_like_get(app):
    response = app.head("/.well-known/jwks.json", status=200)
    assert response.body == b""
