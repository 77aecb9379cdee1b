"""The typed settings orders is built from; orders.settings turns them into Django's."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Self

import dj_database_url
from pydantic import field_validator, model_validator
from pydantic_settings import NoDecode

from polykit.settings import ServiceSettings, SettingsError, local_url
from polykit.stores import CONNECT_TIMEOUT_SECONDS

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

    # The services the checkout saga calls.
    cart_url: str = local_url("cart")
    catalog_url: str = local_url("catalog")
    inventory_url: str = local_url("inventory")
    payments_url: str = local_url("payments")
    notifications_url: str = local_url("notifications")
    # An order still pending this long after its last step is the recovery loop's to settle.
    # Longer than a checkout can take: every call it makes has a timeout of a few seconds.
    checkout_timeout_seconds: float = 30.0
    # How often `python -m orders worker` looks for events to relay and orders to recover.
    worker_interval_seconds: float = 1.0
    # Where the worker serves its own /metrics (0: nowhere); 8013 beside orders' 8003, so Prometheus
    # finds it under `make up` as in the cluster.
    worker_metrics_port: int = 8013

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
        if self.checkout_timeout_seconds <= 0:
            raise ValueError("CHECKOUT_TIMEOUT_SECONDS must be positive")
        if self.worker_interval_seconds <= 0:
            raise ValueError("WORKER_INTERVAL_SECONDS must be positive")
        return self


def django_database(settings: OrdersSettings) -> dict[str, Any]:
    """Django's DATABASES["default"]: PostgreSQL from DATABASE_URL, else DATA_DIR/orders.db.

    dj-database-url rather than the kit's SQLAlchemy URL: Django needs no SQLAlchemy, and
    importing it would cost every orders process some 25 MB.
    """
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path = (settings.data_dir / "orders.db").resolve()
        database = dj_database_url.parse(f"sqlite:///{path}")
        database["OPTIONS"] = {
            "timeout": CONNECT_TIMEOUT_SECONDS,
            # A writing transaction takes the write lock when it begins, so two of them wait
            # for each other instead of failing at their first write ("database is locked");
            # WAL lets readers on while the web process and the worker write.
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        }
        return database
    database = dj_database_url.parse(
        settings.database_url,
        # Connections are kept per gunicorn thread and checked before reuse.
        conn_max_age=60,
        conn_health_checks=True,
    )
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise SettingsError(
            f"orders: DATABASE_URL must be PostgreSQL or SQLite (got {database['ENGINE']!r})"
        )
    database["OPTIONS"] = {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "application_name": "polyshop-orders",
        **database.get("OPTIONS", {}),
    }
    return database
