"""What every one of the eight services promises, checked the same way on each."""

from __future__ import annotations

import pytest

from e2e import api_client
from e2e.matrix import SERVICES, Service

pytestmark = pytest.mark.usefixtures("store")
by_service = pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)

PROBLEM = "application/problem+json"


@by_service
def test_liveness_and_readiness(service: Service):
    assert api_client.get(service.name, "/healthz").status_code == 200
    ready = api_client.get(service.name, "/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"


@by_service
def test_info_says_who_it_is(service: Service):
    body = api_client.info(service.name)
    assert body["name"] == service.name
    assert body["framework"] == service.framework
    assert body["framework_version"]
    assert body["version"]
    assert body["ready"] is True


@by_service
def test_openapi_documents_info(service: Service):
    document = api_client.get(service.name, "/openapi.json").json()
    assert str(document["openapi"]).startswith("3.")
    assert "/api/info" in document["paths"]


@by_service
def test_unknown_route_is_a_problem(service: Service):
    response = api_client.get(
        service.name, "/api/no-such-route", headers={"Accept": "application/json"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 404
    assert body["title"]
    assert body["type"]


@by_service
def test_wrong_method_is_a_problem(service: Service):
    response = api_client.request(service.name, "DELETE", "/api/info")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == 405


@by_service
def test_metrics_have_the_shared_names_and_labels(service: Service):
    api_client.info(service.name)
    api_client.get(service.name, "/api/no/such/path/e2e")
    families = api_client.metric_families(service.name)

    duration = families["http_server_request_duration_seconds"]
    assert duration.type == "histogram"
    labels = {frozenset(sample.labels) - {"le"} for sample in duration.samples if sample.labels}
    assert labels == {frozenset({"http_request_method", "http_route", "http_response_status_code"})}
    routes = {sample.labels["http_route"] for sample in duration.samples}
    assert "/api/info" in routes
    assert "<unmatched>" in routes
    assert not any("e2e" in route for route in routes), routes

    assert families["http_server_active_requests"].type == "gauge"
    assert families["http_client_request_duration_seconds"].type == "histogram"
    (info,) = families["polyshop_service_info"].samples
    assert info.value == 1
    assert info.labels["service"] == service.name
    assert info.labels["framework"] == service.framework
    assert set(info.labels) == {"service", "framework", "framework_version", "version"}


@by_service
def test_openmetrics_scrape_links_latency_to_traces(service: Service):
    api_client.info(service.name)
    text = api_client.get(
        service.name, "/metrics", headers={"Accept": "application/openmetrics-text"}
    ).text
    info_buckets = [
        line
        for line in text.splitlines()
        if line.startswith("http_server_request_duration_seconds_bucket")
        and 'http_route="/api/info"' in line
    ]
    assert any("trace_id=" in line for line in info_buckets), info_buckets[:3]


def test_eight_services_in_eight_frameworks():
    frameworks = {
        family.samples[0].labels["framework"]
        for family in (
            api_client.metric_families(s.name)["polyshop_service_info"] for s in SERVICES
        )
    }
    assert len(frameworks) == 8
