"""Bearer tokens on notifications' handlers: the `authenticated` decorator, on test-only routes
(test_notifications.py checks the real ones' roles)."""

from __future__ import annotations

import json

import httpx
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from tornado.testing import AsyncHTTPTestCase

from notifications import adapter, handlers
from notifications.app import create_app
from notifications.settings import NotificationsSettings
from polykit.auth import TokenVerifier
from polykit.health import Lifecycle
from polykit.telemetry import setup_tracing
from polykit.testing import TestIssuer, bad_authorizations

ALL_ROLES = ("customer", "staff", "service")

SPANS = InMemorySpanExporter()
setup_tracing(NotificationsSettings.from_env()).add_span_processor(SimpleSpanProcessor(SPANS))


def caller(handler: handlers.BaseHandler) -> dict:
    return {"subject": handler.principal.subject, "roles": sorted(handler.principal.roles)}


class ServiceOnly(handlers.BaseHandler):
    """Like the events API: only services post."""

    @adapter.authenticated("service")
    async def post(self) -> None:
        self.set_status(202)
        self.write(caller(self))


class PublicReadStaffWrite(handlers.BaseHandler):
    def get(self) -> None:
        self.write({"principal": self.principal})

    @adapter.authenticated("staff", "service")
    def put(self) -> None:
        self.write(caller(self))


PROTECTED = [("POST", "/api/service-only"), ("PUT", "/api/public-read-staff-write")]
PUBLIC = ["/api/public-read-staff-write", "/api/info", "/openapi.json", "/healthz", "/readyz"]


class AuthTestCase(AsyncHTTPTestCase):
    def get_verifier(self) -> TokenVerifier:
        return self.issuer.verifier()

    def get_app(self):
        self.issuer = TestIssuer()
        settings = NotificationsSettings.from_env()
        app = create_app(settings, lifecycle=Lifecycle(), verifier=self.get_verifier())
        deps = app.settings["default_handler_args"]["deps"]
        app.wildcard_router.add_rules(
            [
                (r"/api/service-only", ServiceOnly, {"deps": deps}),
                (r"/api/public-read-staff-write", PublicReadStaffWrite, {"deps": deps}),
            ]
        )
        return app

    def call(self, method: str, path: str, authorization: str | None = None):
        headers = {"Authorization": authorization} if authorization is not None else {}
        body = "" if method in ("POST", "PUT") else None
        return self.fetch(path, method=method, headers=headers, body=body, raise_error=False)

    def assert_problem(self, response, status: int) -> dict:
        assert response.code == status
        assert response.headers["Content-Type"] == "application/problem+json"
        problem = json.loads(response.body)
        assert problem["status"] == status
        return problem


class TestTokens(AuthTestCase):
    def test_no_token_is_401_with_a_bearer_challenge(self):
        for method, path in PROTECTED:
            with self.subTest(path=path):
                response = self.call(method, path)
                self.assert_problem(response, 401)
                assert response.headers["WWW-Authenticate"].startswith("Bearer")

    def test_bad_tokens_are_401(self):
        for case, authorization in bad_authorizations(self.issuer).items():
            for method, path in PROTECTED:
                with self.subTest(case=case, path=path):
                    response = self.call(method, path, authorization)
                    self.assert_problem(response, 401)
                    assert response.headers["WWW-Authenticate"].startswith("Bearer")

    def test_a_valid_token_names_the_caller(self):
        token = self.issuer.token("service:orders", roles=("service",))
        response = self.call("POST", "/api/service-only", f"Bearer {token}")
        assert response.code == 202
        assert json.loads(response.body) == {"subject": "service:orders", "roles": ["service"]}

    def test_roles_decide_between_success_and_403(self):
        cases = [
            ("POST", "/api/service-only", ("service",), 202),
            ("POST", "/api/service-only", ("customer", "staff"), 403),
            ("PUT", "/api/public-read-staff-write", ("customer", "staff"), 200),
            ("PUT", "/api/public-read-staff-write", ("service",), 200),
            ("PUT", "/api/public-read-staff-write", ("customer",), 403),
        ]
        for method, path, roles, status in cases:
            with self.subTest(path=path, roles=roles):
                token = self.issuer.token(roles=roles)
                response = self.call(method, path, f"Bearer {token}")
                assert response.code == status
                if status == 403:
                    self.assert_problem(response, 403)
                    assert "WWW-Authenticate" not in response.headers

    def test_the_403_names_the_missing_role(self):
        token = self.issuer.token(roles=("customer",))
        response = self.call("POST", "/api/service-only", f"Bearer {token}")
        assert "service" in self.assert_problem(response, 403)["detail"]

    def test_public_routes_stay_public_even_with_a_bad_token(self):
        expired = bad_authorizations(self.issuer)["expired"]
        for path in [*PUBLIC, "/metrics"]:
            with self.subTest(path=path):
                assert self.call("GET", path).code == 200
                assert self.call("GET", path, expired).code == 200

    def test_a_public_method_sees_no_principal(self):
        token = self.issuer.token(roles=("staff",))
        response = self.call("GET", "/api/public-read-staff-write", f"Bearer {token}")
        assert json.loads(response.body) == {"principal": None}

    def test_a_refused_token_is_a_client_error_in_the_trace_too(self):
        SPANS.clear()
        self.call("POST", "/api/service-only")
        [server] = [s for s in SPANS.get_finished_spans() if s.kind == SpanKind.SERVER]
        assert server.attributes["http.response.status_code"] == 401
        assert server.status.status_code != StatusCode.ERROR


class TestUsersUnreachable(AuthTestCase):
    def get_verifier(self) -> TokenVerifier:
        def refuse(request):
            raise httpx.ConnectError("connection refused", request=request)

        return TokenVerifier(
            jwks_url="http://users.invalid/.well-known/jwks.json",
            issuer="polyshop-users",
            audience="polyshop",
            async_client=httpx.AsyncClient(transport=httpx.MockTransport(refuse)),
        )

    def test_users_unreachable_with_no_keys_is_503(self):
        token = TestIssuer().token(roles=("service",))
        self.assert_problem(self.call("POST", "/api/service-only", f"Bearer {token}"), 503)
