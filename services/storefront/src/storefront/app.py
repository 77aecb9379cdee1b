"""The storefront's app factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from flask import Flask
from flask_wtf.csrf import CSRFProtect
from prometheus_client import Counter
from werkzeug.middleware.proxy_fix import ProxyFix

from polykit.auth import ServiceTokens
from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.http import make_client
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.settings import framework_version, service_token_options
from polykit.telemetry import setup_tracing
from storefront import adapter, views
from storefront.clients import (
    CartClient,
    CatalogClient,
    OrdersClient,
    ServiceDirectory,
    UsersClient,
)
from storefront.settings import StorefrontSettings

FRAMEWORK = "flask"


def create_app(
    settings: StorefrontSettings | None = None,
    *,
    directory: ServiceDirectory | None = None,
    users: UsersClient | None = None,
    catalog: CatalogClient | None = None,
    cart: CartClient | None = None,
    orders: OrdersClient | None = None,
    lifecycle: Lifecycle = LIFECYCLE,
    config: Mapping[str, Any] | None = None,
) -> Flask:
    settings = settings or StorefrontSettings.from_env()
    setup_tracing(settings)
    metrics = Metrics.for_service(
        settings, framework=FRAMEWORK, framework_version=framework_version("flask")
    )
    page_views = Counter(
        "polyshop_page_views",
        "Pages shown to shoppers, by page.",
        ["page"],
        registry=metrics.registry,
    )
    for page in views.PAGES.values():
        page_views.labels(page)
    # The storefront keeps no store of its own: it is ready while it is not draining.
    readiness = Readiness({}, lifecycle)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="polyshop_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        # Forms are a few fields; anything bigger is refused with 413 before it is parsed.
        MAX_CONTENT_LENGTH=64 * 1024,
        # The CSRF token lives as long as the session rather than an hour: a product page left
        # open over lunch still adds to the cart.
        WTF_CSRF_TIME_LIMIT=None,
        # The checkout page lists payments' test cards, except in production.
        SHOW_TEST_CARDS=settings.environment != "production",
    )
    app.config.update(config or {})
    adapter.install(
        app,
        metrics=metrics,
        readiness=readiness,
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
    )
    CSRFProtect(app)
    urls = settings.service_urls()
    app.extensions["polyshop"] = views.Collaborators(
        settings=settings,
        readiness=readiness,
        directory=directory or ServiceDirectory(make_client(metrics), urls),
        users=users
        or UsersClient(
            make_client(metrics, base_url=urls["users"]),
            ServiceTokens(**service_token_options(settings), client=make_client(metrics)),
        ),
        catalog=catalog or CatalogClient(make_client(metrics, base_url=urls["catalog"])),
        cart=cart or CartClient(make_client(metrics, base_url=urls["cart"])),
        orders=orders
        or OrdersClient(
            make_client(
                metrics,
                base_url=urls["orders"],
                timeout=httpx.Timeout(settings.checkout_timeout_seconds, connect=1.0),
            )
        ),
        page_views=page_views,
    )
    app.register_blueprint(views.bp)
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    return app
