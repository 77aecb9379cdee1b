"""Typed settings from environment variables.

Every service subclasses `ServiceSettings`, declares what it needs with local defaults, and builds
it once at start with `from_env()`, which fails fast naming the variable at fault.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path
from typing import ClassVar, Literal, Self

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The local ports of design.md; `<NAME>_URL` defaults are built from them.
SERVICE_PORTS: dict[str, int] = {
    "storefront": 8080,
    "catalog": 8001,
    "cart": 8002,
    "orders": 8003,
    "payments": 8004,
    "notifications": 8005,
    "users": 8006,
    "inventory": 8007,
}


def local_url(service: str) -> str:
    return f"http://127.0.0.1:{SERVICE_PORTS[service]}"


# The secret every service presents to users for its service token, when running locally. The
# chart passes each service a generated one; production refuses this default.
LOCAL_SERVICE_SECRET = "local-only-service-secret"  # noqa: S105


_SECRET = re.compile(r"SECRET|PASSWORD|KEY|TOKEN|CLIENTS")


class SettingsError(RuntimeError):
    """The environment does not describe a runnable service; the message names each variable."""


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: ClassVar[str]
    # Services with a database of their own must be given DATABASE_URL in production.
    uses_database: ClassVar[bool] = False

    environment: Literal["local", "test", "dev", "staging", "production"] = "local"
    host: str = "127.0.0.1"
    port: int = 0
    data_dir: Path = Path("data")
    database_url: str | None = None
    redis_url: str | None = None
    service_version: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Added latency on every /api request, for watching timeouts and graceful shutdown work.
    # Refused in production.
    fault_delay_ms: int = 0
    # Seconds an in-flight request may take to finish once SIGTERM arrives.
    graceful_timeout_seconds: float = 20.0
    # Tokens: verified against users' JWKS; this service's own token comes from users too.
    users_url: str = local_url("users")
    jwt_issuer: str = "polyshop-users"
    jwt_audience: str = "polyshop"
    service_client_secret: str = LOCAL_SERVICE_SECRET
    # Locally each service brings its schema up to date as it starts; Kubernetes turns this off
    # and runs `python -m <service> migrate` once, in a Job, before the pods roll.
    migrate_on_start: bool = True
    # The framework's own reloader restarts the server when its code changes: the dev image sets it
    # for Tilt's live update. Refused in production.
    reload: bool = False

    # A subclass's validator with the same name would silently replace this one: subclasses name
    # theirs after themselves (`_check_cart`, ...).
    @model_validator(mode="after")
    def _check_service_settings(self) -> Self:
        if self.port == 0:
            object.__setattr__(self, "port", SERVICE_PORTS[self.service_name])
        if not self.service_version:
            object.__setattr__(self, "service_version", _package_version(self.service_name))
        if self.environment == "production":
            if self.fault_delay_ms:
                raise ValueError("FAULT_DELAY_MS must be 0 when ENVIRONMENT=production")
            if self.uses_database and not self.database_url:
                raise ValueError("DATABASE_URL is required when ENVIRONMENT=production")
            if self.service_client_secret == LOCAL_SERVICE_SECRET:
                raise ValueError("SERVICE_CLIENT_SECRET must be set when ENVIRONMENT=production")
            if self.reload:
                raise ValueError("RELOAD must be false when ENVIRONMENT=production")
        if self.fault_delay_ms < 0:
            raise ValueError("FAULT_DELAY_MS must not be negative")
        return self

    @classmethod
    def from_env(cls, **overrides: object) -> Self:
        try:
            return cls(**overrides)
        except ValidationError as exc:
            raise SettingsError(_describe(cls, exc)) from None


def _describe(cls: type[ServiceSettings], exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        variable = "_".join(str(part) for part in error["loc"]).upper()
        message = error["msg"].removeprefix("Value error, ")
        if variable and _SECRET.search(variable):
            problems.append(f"{variable}: {message}")  # never echo a secret into a log
        elif variable:
            problems.append(f"{variable}: {message} (got {error.get('input')!r})")
        else:
            problems.append(message)
    return f"{cls.service_name}: invalid environment: " + "; ".join(problems)


def _package_version(service: str) -> str:
    try:
        return importlib.metadata.version(f"polyshop-{service}")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def token_verifier_options(settings: ServiceSettings) -> dict[str, str]:
    """Keyword arguments for `auth.TokenVerifier`, from the settings every service has."""
    return {
        "jwks_url": f"{settings.users_url.rstrip('/')}/.well-known/jwks.json",
        "issuer": settings.jwt_issuer,
        "audience": settings.jwt_audience,
    }


def service_token_options(settings: ServiceSettings) -> dict[str, str]:
    """Keyword arguments for `auth.ServiceTokens`: this service's client credentials."""
    return {
        "token_url": f"{settings.users_url.rstrip('/')}/api/tokens",
        "client_id": settings.service_name,
        "client_secret": settings.service_client_secret,
    }


def framework_version(distribution: str) -> str:
    return importlib.metadata.version(distribution)
