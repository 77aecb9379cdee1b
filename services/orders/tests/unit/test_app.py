"""orders through Django's test client: probes, /api/info, problem+json, metrics, OpenAPI."""

from __future__ import annotations

from types import ModuleType

import pytest
from django.test import Client, override_settings
from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import urls
from orders.app import create_app
from orders.models import Order
from polykit.health import Lifecycle


@pytest.fixture
def client():
    create_app(lifecycle=Lifecycle())
    return Client()


class Public(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)


class Boom(Public):
    def get(self, request):
        raise ZeroDivisionError("secret detail")


class OrderIn(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)


class Echo(Public):
    def post(self, request):
        body = OrderIn(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(body.validated_data)


def plain_boom(request):
    raise ZeroDivisionError("secret detail")


# Test-only routes on top of the real ones; ROOT_URLCONF may be a module object.
extra_urls = ModuleType("extra_urls")
extra_urls.urlpatterns = [
    path("api/boom", Boom.as_view()),
    path("api/echo", Echo.as_view()),
    path("plain/boom", plain_boom),
    *urls.urlpatterns,
]
extra_urls.handler404 = extra_urls.handler500 = urls.handler500


def test_probes_answer(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}


def test_readiness_turns_503_when_draining():
    lifecycle = Lifecycle()
    create_app(lifecycle=lifecycle)
    lifecycle.begin_drain()
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "draining"


def test_readiness_turns_503_when_the_database_fails():
    def database_down():
        raise ConnectionRefusedError("connection refused")

    create_app(lifecycle=Lifecycle(), checks={"database": database_down})
    client = Client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "refused" in response.json()["checks"]["database"]
    assert client.get("/api/info").json()["ready"] is False


def test_info_names_the_framework(client):
    response = client.get("/api/info")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "orders"
    assert body["framework"] == "django"
    assert body["framework_version"].startswith("5.2")
    assert body["ready"] is True


def test_unknown_route_is_problem_json(client):
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
    assert response.json()["instance"] == "/api/nope"


def test_trailing_slash_is_not_redirected(client):
    assert client.get("/api/info/").status_code == 404


def test_wrong_method_is_405_with_allow(client):
    response = client.post("/api/info")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert "GET" in response["Allow"]


def test_wrong_method_on_a_probe_is_405_with_allow(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert "GET" in response["Allow"]


def test_malformed_json_is_400(client):
    with override_settings(ROOT_URLCONF=extra_urls):
        response = client.post("/api/echo", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_invalid_input_is_422_naming_each_field(client):
    with override_settings(ROOT_URLCONF=extra_urls):
        response = client.post("/api/echo", {"quantity": 0}, content_type="application/json")
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"sku", "quantity"}


def test_unhandled_error_in_an_api_is_a_500_problem_without_the_exception(client):
    with override_settings(ROOT_URLCONF=extra_urls):
        response = client.get("/api/boom")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert "ZeroDivisionError" not in response.content.decode()
    assert "secret detail" not in response.content.decode()


def test_unhandled_error_outside_drf_is_a_500_problem_too():
    create_app(lifecycle=Lifecycle())
    client = Client(raise_request_exception=False)
    with override_settings(ROOT_URLCONF=extra_urls):
        response = client.get("/plain/boom")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert "secret detail" not in response.content.decode()


def test_disallowed_host_is_400_problem(client):
    with override_settings(ALLOWED_HOSTS=["orders.example"]):
        response = client.get("/api/info", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_metrics_use_route_templates(client):
    client.get("/api/info")
    client.get("/api/no/such/thing")
    text = client.get("/metrics").content.decode()
    assert 'http_route="/api/info"' in text
    assert 'http_route="<unmatched>"' in text
    assert "/api/no/such/thing" not in text
    assert 'polyshop_service_info{framework="django"' in text


def test_openmetrics_scrape_carries_trace_exemplars(client):
    client.get("/api/info")
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert "# {span_id=" in response.content.decode() or "# {trace_id=" in response.content.decode()


def test_incoming_traceparent_is_continued(client):
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    client.get("/api/info", headers={"traceparent": f"00-{trace_id}-b7ad6b7169203331-01"})
    text = client.get("/metrics", headers={"Accept": "application/openmetrics-text"}).content
    assert trace_id in text.decode()


def test_openapi_documents_the_api(client):
    response = client.get("/openapi.json", headers={"Accept": "application/json"})
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/api/info", "/api/orders", "/api/orders/{order_id}"}
    schema = document["paths"]["/api/info"]["get"]["responses"]["200"]["content"]
    assert schema["application/json"]["schema"] == {"$ref": "#/components/schemas/ServiceInfo"}
    assert "ready" in document["components"]["schemas"]["ServiceInfo"]["properties"]


def test_unhandled_error_is_logged_with_its_traceback(client, caplog):
    with override_settings(ROOT_URLCONF=extra_urls):
        client.get("/api/boom")
    record = next(r for r in caplog.records if r.levelname == "ERROR")
    assert record.exc_info[0] is ZeroDivisionError


def test_the_migrations_match_the_models():
    from django.core.management import call_command

    call_command("makemigrations", "orders", "--check", "--dry-run", verbosity=0)


def test_sql_statements_are_timed_as_store_operations(client):
    Order.objects.count()
    text = client.get("/metrics").content.decode()
    assert 'db_client_operation_duration_seconds_count{db_operation_name="SELECT"' in text
