"""The users API; openapi.yaml describes it first, and pyramid_openapi3 (`openapi=True`) has
checked each request against it before these run."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from polykit.errors import ProblemError
from polykit.info import service_info
from polykit.settings import framework_version
from users import schemas, services


@view_config(route_name="api_info", request_method="GET", renderer="json", openapi=True)
def api_info(request: Request) -> dict[str, Any]:
    deps = request.deps
    ready, _ = deps.readiness.check()
    return service_info(
        deps.settings,
        framework="pyramid",
        framework_version=framework_version("pyramid"),
        ready=ready,
    )


@view_config(route_name="openapi", request_method="GET", renderer="json")
def openapi(request: Request) -> dict[str, Any]:
    return request.deps.openapi


@view_config(route_name="users", request_method="POST", renderer="json", openapi=True)
def user_register(request: Request) -> schemas.UserOut:
    body, deps = request.openapi_validated.body, request.deps
    user = services.user_register(
        users=deps.users,
        passwords=deps.passwords,
        clock=deps.clock,
        email=body["email"],
        password=body["password"],
        name=body["name"],
    )
    request.response.status_int = 201
    return schemas.user_out(user)


@view_config(
    route_name="users_me",
    request_method="GET",
    renderer="json",
    openapi=True,
    permission="customer",
)
def user_me(request: Request) -> schemas.UserOut:
    user = services.user_get(users=request.deps.users, subject=request.identity.subject)
    return schemas.user_out(user)


@view_config(route_name="tokens", request_method="POST", renderer="json", openapi=True)
def token_issue(request: Request) -> schemas.TokenOut:
    body, deps = request.openapi_validated.body, request.deps
    if body.get("grant_type") == "client_credentials":
        token = services.token_for_client(
            clients=deps.clients,
            issuer=deps.issuer,
            client_id=body["client_id"],
            client_secret=body["client_secret"],
        )
    else:
        token = services.token_for_password(
            users=deps.users,
            passwords=deps.passwords,
            throttle=deps.throttle,
            issuer=deps.issuer,
            logins=deps.logins,
            email=body["email"],
            password=body["password"],
            address=client_address(request),
        )
    request.response.cache_control = "no-store"  # RFC 6749 §5.1: tokens are not cached
    return schemas.token_out(token)


def client_address(request: Request) -> str:
    """The address failed logins are counted against.

    Shoppers log in through the storefront, so the peer that connects is the storefront for
    all of them: one shared counter that anyone could exhaust. The storefront therefore vouches
    for the shopper's address in X-Forwarded-For, with its service token. From anyone else the
    header is ignored — any client can send it, and a made-up address on every try would slip
    past the per-address limit — and the peer's own address counts."""
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and _is_service(request):
        return forwarded.split(",")[-1].strip()[:64] or "unknown"
    return (request.remote_addr or "unknown")[:64]


def _is_service(request: Request) -> bool:
    try:
        identity = request.identity
    except ProblemError:  # a bad token here vouches for nothing; the login itself needs none
        return False
    return identity is not None and identity.is_service


@view_config(route_name="jwks", request_method="GET", renderer="json", openapi=True)
def jwks(request: Request) -> dict[str, Any]:
    # Services cache the keys; five minutes bounds how long a rotated-in key goes unseen.
    request.response.cache_control = "public, max-age=300"
    return request.deps.issuer.jwks()
