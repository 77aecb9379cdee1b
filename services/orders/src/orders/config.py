"""The typed settings orders is built from; orders.settings turns them into Django's."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Self

from pydantic import field_validator, model_validator
from pydantic_settings import NoDecode

from polykit.settings import ServiceSettings, SettingsError
from polykit.stores import CONNECT_TIMEOUT_SECONDS, database_url

# For local runs only (Django's own prefix for such keys); refused when ENVIRONMENT=production.
LOCAL_SECRET_KEY = "django-insecure-polyshop-orders-local-only"  # noqa: S105


class OrdersSettings(ServiceSettings):
    service_name: ClassVar[str] = "orders"
    uses_database: ClassVar[bool] = True

    # Signs the admin's sessions and CSRF tokens; Kubernetes passes a Secret.
    secret_key: str = LOCAL_SECRET_KEY
    # Comma-separated. "*" by default because kubelet probes and Prometheus scrapes arrive with
    # the pod IP as Host; the public host name is checked at the ingress.
    allowed_hosts: Annotated[list[str], NoDecode] = ["*"]

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [host.strip() for host in value.split(",") if host.strip()]
        return value

    @model_validator(mode="after")
    def _check_secret(self) -> Self:
        if self.environment == "production" and self.secret_key == LOCAL_SECRET_KEY:
            raise ValueError("SECRET_KEY must be set when ENVIRONMENT=production")
        return self


def django_database(settings: OrdersSettings) -> dict[str, Any]:
    """Django's DATABASES["default"]: PostgreSQL from DATABASE_URL, else DATA_DIR/orders.db."""
    url = database_url(settings)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": url.database,
            "OPTIONS": {"timeout": CONNECT_TIMEOUT_SECONDS},
        }
    if backend == "postgresql":
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": url.database or "",
            "USER": url.username or "",
            "PASSWORD": url.password or "",
            "HOST": url.host or "",
            "PORT": str(url.port or ""),
            # Connections are kept per gunicorn thread and checked before reuse.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "application_name": "polyshop-orders",
                **url.query,
            },
        }
    raise SettingsError(f"orders: DATABASE_URL must be PostgreSQL or SQLite (got {backend!r})")
