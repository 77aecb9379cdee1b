"""The notifications service's app factory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge
from tornado.web import Application, RequestHandler

from notifications import adapter, handlers, services
from notifications.hub import Hub
from notifications.repository import Notification, NotificationStore, open_store
from notifications.schemas import EventAccepted, EventIn, NotificationsOut
from notifications.settings import NotificationsSettings
from polykit.auth import TokenVerifier
from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.http import make_async_client
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.openapi import INFO_OPERATIONS, spec_from_docstrings
from polykit.settings import framework_version, token_verifier_options
from polykit.telemetry import setup_tracing

# A JWT is well under 2 KiB; nothing else is read from a socket.
MAX_SOCKET_MESSAGE_BYTES = 16 * 1024


class NotificationsApp(Application):
    """The Application, holding what outlives any one request (as tornado's chatdemo does): the
    hub of open sockets, and the store, whose Redis subscription runs in the background."""

    def __init__(
        self,
        routes: list[tuple[str, type[RequestHandler], dict[str, object]]],
        *,
        deps: handlers.Collaborators,
        hub: Hub,
        closers: list[Callable[[], Awaitable[None]]],
        **settings: object,
    ) -> None:
        super().__init__(routes, **settings)
        self.deps = deps
        self.hub = hub
        self._closers = closers

    async def start(self) -> None:
        """On the running loop, before serving: subscribes to the other replicas' events."""
        await self.deps.store.start()

    async def close(self) -> None:
        for close in self._closers:
            await close()


def create_app(
    settings: NotificationsSettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    inflight: adapter.InFlight | None = None,
    verifier: TokenVerifier | None = None,
    store: Callable[[Callable[[Notification], object]], NotificationStore] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> NotificationsApp:
    """The app; `verifier` and `store` (a factory given the delivery callback) default to the
    real ones the settings name."""
    settings = settings or NotificationsSettings.from_env()
    setup_tracing(settings)
    adapter.instrument()
    metrics = Metrics.for_service(
        settings, framework=handlers.FRAMEWORK, framework_version=framework_version("tornado")
    )
    hub = Hub()
    Gauge(
        "polyshop_websocket_connections",
        "WebSocket connections open in this process.",
        registry=metrics.registry,
    ).set_function(lambda: len(hub))
    sent = Counter(
        "polyshop_notifications_sent",
        "Notifications written to sockets, one per socket, by event type.",
        ["type"],
        registry=metrics.registry,
    )
    disconnects = Counter(
        "polyshop_websocket_disconnects",
        "WebSocket connections that closed, whoever closed them (a storm of them is alerted on).",
        registry=metrics.registry,
    )
    received = Counter(
        "polyshop_events_received",
        "Events posted to notifications, by outcome (a duplicate is a repeated event_id).",
        ["outcome"],
        registry=metrics.registry,
    )
    for event_type in (*services.EVENT_TYPES, services.OTHER_TYPE):
        sent.labels(event_type)
    for outcome in services.OUTCOMES:
        received.labels(outcome)

    def deliver(notification: Notification) -> None:
        services.notification_deliver(hub=hub, sent=sent, notification=notification)

    opened = store(deliver) if store is not None else open_store(settings, deliver, metrics=metrics)
    closers = [opened.close]
    if verifier is None:
        client = make_async_client(metrics)
        closers.append(client.aclose)
        verifier = TokenVerifier(**token_verifier_options(settings), async_client=client)
    deps = handlers.Collaborators(
        settings=settings,
        # Without Redis, notifications live in this process: nothing to check but the drain.
        readiness=Readiness(opened.checks, lifecycle),
        lifecycle=lifecycle,
        metrics=metrics,
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
        inflight=inflight or adapter.InFlight(),
        openapi=_with_bearer_scheme(
            spec_from_docstrings(
                title="polyshop notifications",
                version=settings.service_version,
                paths={
                    "/api/info": INFO_OPERATIONS,
                    "/api/events": handlers.EventsHandler,
                    "/api/notifications": handlers.NotificationsHandler,
                },
                models=(EventIn, EventAccepted, NotificationsOut),
            )
        ),
        verifier=verifier,
        store=opened,
        events_received=received,
        websocket_disconnects=disconnects,
        clock=clock,
    )
    routes: list[tuple[str, type[RequestHandler]]] = [
        (r"/healthz", handlers.HealthHandler),
        (r"/readyz", handlers.ReadyHandler),
        (r"/metrics", handlers.MetricsHandler),
        (r"/api/info", handlers.InfoHandler),
        (r"/api/events", handlers.EventsHandler),
        (r"/api/notifications", handlers.NotificationsHandler),
        (r"/openapi.json", handlers.OpenApiHandler),
    ]
    return NotificationsApp(
        [
            (r"/ws", handlers.NotificationSocket, {"hub": hub, "deps": deps}),
            *((pattern, handler, {"deps": deps}) for pattern, handler in routes),
        ],
        deps=deps,
        hub=hub,
        closers=closers,
        default_handler_class=handlers.NotFoundHandler,
        default_handler_args={"deps": deps},
        websocket_ping_interval=settings.websocket_ping_interval_seconds,
        websocket_ping_timeout=settings.websocket_ping_timeout_seconds,
        websocket_max_message_size=MAX_SOCKET_MESSAGE_BYTES,
        # The kit's observer writes the access log, inside the request's span.
        log_function=_no_access_log,
    )


def _no_access_log(handler: RequestHandler) -> None:
    pass


def _with_bearer_scheme(document: dict[str, Any]) -> dict[str, Any]:
    """The scheme the operations' `security: [{bearer: []}]` refers to."""
    document["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    return document
