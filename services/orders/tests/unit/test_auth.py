"""Bearer tokens on orders' APIs: DRF authentication and permission classes, against test-only
routes (the real ones arrive with the orders API)."""

from __future__ import annotations

from types import ModuleType

import httpx
import pytest
from django.test import Client, override_settings
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import adapter, urls
from orders.adapter import IsCustomer, IsService, IsStaff
from orders.app import create_app
from polykit.auth import TokenVerifier
from polykit.health import Lifecycle
from polykit.testing import TestIssuer, bad_authorizations

ALL_ROLES = ("customer", "staff", "service")


class Caller(APIView):
    """The default permission: any valid token."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        principal = request.user.principal
        return Response(
            {"subject": principal.subject, "roles": sorted(principal.roles), "token": request.auth}
        )


class CustomersOnly(Caller):
    permission_classes = [IsCustomer]


class StaffOrServices(Caller):
    permission_classes = [IsStaff | IsService]


test_urls = ModuleType("test_urls")
test_urls.urlpatterns = [
    path("api/caller", Caller.as_view()),
    path("api/customers-only", CustomersOnly.as_view()),
    path("api/staff-or-services", StaffOrServices.as_view()),
    *urls.urlpatterns,
]
test_urls.handler404 = test_urls.handler500 = urls.handler500

PROTECTED = ["/api/caller", "/api/customers-only", "/api/staff-or-services"]


@pytest.fixture
def issuer():
    return TestIssuer()


@pytest.fixture
def client(issuer):
    create_app(lifecycle=Lifecycle(), verifier=issuer.verifier())
    with override_settings(ROOT_URLCONF=test_urls):
        yield Client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize("route", PROTECTED)
def test_no_token_is_401_with_a_bearer_challenge(client, route):
    response = client.get(route)
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("route", PROTECTED)
@pytest.mark.parametrize("case", list(bad_authorizations(TestIssuer())))
def test_bad_tokens_are_401(client, issuer, route, case):
    response = client.get(route, headers={"Authorization": bad_authorizations(issuer)[case]})
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_valid_token_names_the_caller_and_can_be_forwarded(client, issuer):
    token = issuer.token("0b7c5f7e-1c7a-4a51-9d1e-3f1f1a4c2b10", roles=("customer", "staff"))
    response = client.get("/api/caller", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "subject": "0b7c5f7e-1c7a-4a51-9d1e-3f1f1a4c2b10",
        "roles": ["customer", "staff"],
        "token": token,
    }


@pytest.mark.parametrize(
    ("route", "roles", "status"),
    [
        ("/api/customers-only", ("customer",), 200),
        ("/api/customers-only", ("customer", "staff"), 200),
        ("/api/customers-only", ("service",), 403),
        ("/api/staff-or-services", ("customer", "staff"), 200),
        ("/api/staff-or-services", ("service",), 200),
        ("/api/staff-or-services", ("customer",), 403),
    ],
)
def test_roles_decide_between_200_and_403(client, issuer, route, roles, status):
    response = client.get(route, headers=bearer(issuer.token(roles=roles)))
    assert response.status_code == status
    if status == 403:
        assert_problem(response, 403)
        assert "WWW-Authenticate" not in response


def test_the_403_names_the_missing_role(client, issuer):
    response = client.get("/api/customers-only", headers=bearer(issuer.token(roles=("service",))))
    assert "customer" in assert_problem(response, 403)["detail"]


@pytest.mark.parametrize("route", ["/api/info", "/openapi.json", "/healthz", "/readyz", "/metrics"])
def test_public_routes_stay_public_even_with_a_bad_token(client, issuer, route):
    assert client.get(route).status_code == 200
    response = client.get(route, headers={"Authorization": bad_authorizations(issuer)["expired"]})
    assert response.status_code == 200


def test_users_unreachable_with_no_keys_is_503():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    verifier = TokenVerifier(
        jwks_url="http://users.invalid/.well-known/jwks.json",
        issuer="polyshop-users",
        audience="polyshop",
        client=httpx.Client(transport=httpx.MockTransport(refuse)),
    )
    create_app(lifecycle=Lifecycle(), verifier=verifier)
    with override_settings(ROOT_URLCONF=test_urls):
        response = Client().get("/api/caller", headers=bearer(TestIssuer().token()))
    assert_problem(response, 503)


def test_openapi_documents_the_bearer_scheme_on_protected_routes(client):
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert document["paths"]["/api/customers-only"]["get"]["security"] == [{"bearer": []}]
    # drf-spectacular's way of saying "no token needed"
    assert document["paths"]["/api/info"]["get"]["security"] == [{}]


def test_the_service_token_is_asked_of_users_as_orders():
    create_app(lifecycle=Lifecycle(), verifier=TestIssuer().verifier())
    tokens = adapter.current().service_tokens
    assert tokens.token_url.endswith("/api/tokens")
    assert tokens.credentials["client_id"] == "orders"
