"""The eight services as the suite sees them: name, framework, local port."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    framework: str
    port: int

    @property
    def url(self) -> str:
        """`<NAME>_URL` from the environment (a running store, a port-forward), else local."""
        return os.environ.get(f"{self.name.upper()}_URL", f"http://127.0.0.1:{self.port}").rstrip(
            "/"
        )


SERVICES = (
    Service("storefront", "flask", 8080),
    Service("catalog", "fastapi", 8001),
    Service("cart", "sanic", 8002),
    Service("orders", "django", 8003),
    Service("payments", "falcon", 8004),
    Service("notifications", "tornado", 8005),
    Service("users", "pyramid", 8006),
    Service("inventory", "flask-restful", 8007),
)
BY_NAME = {service.name: service for service in SERVICES}
