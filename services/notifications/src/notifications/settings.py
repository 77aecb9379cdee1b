from __future__ import annotations

from typing import Annotated, ClassVar, Self

from pydantic import field_validator, model_validator
from pydantic_settings import NoDecode

from polykit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    service_name: ClassVar[str] = "notifications"

    # Pages that may open /ws from a browser: the storefront's public origin(s), comma-separated.
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = (
        "http://127.0.0.1:8080",
        "http://localhost:8080",
    )
    # A socket must authenticate within this many seconds of opening, or it is closed (1008).
    websocket_auth_timeout_seconds: float = 5.0
    # Pings keep idle sockets alive through proxies (many drop a connection silent for 60 s) and
    # find peers that vanished without closing: no pong within the timeout (at most the interval,
    # Tornado insists) closes the socket.
    websocket_ping_interval_seconds: float = 20.0
    websocket_ping_timeout_seconds: float = 10.0
    # How long a seen event_id is remembered: a retry of the same event within it sends nothing.
    event_dedup_ttl_seconds: int = 24 * 60 * 60

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return tuple(str(origin).strip().rstrip("/").lower() for origin in value if origin)
        return value

    @model_validator(mode="after")
    def _check_notifications(self) -> Self:
        # Replicas reach each other's sockets only through Redis; in-process is for one process.
        if self.environment == "production" and not self.redis_url:
            raise ValueError("REDIS_URL is required when ENVIRONMENT=production")
        for name in (
            "websocket_auth_timeout_seconds",
            "websocket_ping_interval_seconds",
            "websocket_ping_timeout_seconds",
            "event_dedup_ttl_seconds",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name.upper()} must be positive")
        if self.websocket_ping_timeout_seconds > self.websocket_ping_interval_seconds:
            raise ValueError(
                "WEBSOCKET_PING_TIMEOUT_SECONDS may not exceed WEBSOCKET_PING_INTERVAL_SECONDS"
            )
        return self
