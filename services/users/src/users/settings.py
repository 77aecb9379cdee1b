from __future__ import annotations

from typing import ClassVar, Self

from pydantic import SecretStr, model_validator

from polykit.settings import LOCAL_SERVICE_SECRET, SERVICE_PORTS, ServiceSettings

LOCAL_STAFF_EMAIL = "staff@polyshop.local"
LOCAL_STAFF_PASSWORD = "local-only-staff-password"  # noqa: S105
# Locally every other service presents the kit's shared secret; the chart generates one each.
LOCAL_SERVICE_CLIENTS = ",".join(
    f"{name}:{LOCAL_SERVICE_SECRET}" for name in SERVICE_PORTS if name != "users"
)


class UsersSettings(ServiceSettings):
    service_name: ClassVar[str] = "users"
    uses_database: ClassVar[bool] = True

    # Ed25519 private key in PEM. Unset outside production: generated once under DATA_DIR.
    jwt_private_key: SecretStr | None = None
    staff_email: str = LOCAL_STAFF_EMAIL
    staff_password: SecretStr = SecretStr(LOCAL_STAFF_PASSWORD)
    # The services allowed the client-credentials grant, as `name:secret,name:secret`.
    service_clients: SecretStr = SecretStr(LOCAL_SERVICE_CLIENTS)

    @model_validator(mode="after")
    def _check_users(self) -> Self:
        # Checked here rather than in field validators: the kit's error message repeats a bad
        # field's input, and these inputs are secrets.
        if self.jwt_private_key is not None:
            object.__setattr__(self, "jwt_private_key", _private_key(self.jwt_private_key))
        _clients(self.service_clients.get_secret_value())
        if len(self.staff_password.get_secret_value()) < 8:
            raise ValueError("STAFF_PASSWORD must be at least 8 characters")
        if self.environment == "production":
            if self.jwt_private_key is None:
                raise ValueError("JWT_PRIVATE_KEY is required when ENVIRONMENT=production")
            if self.staff_password.get_secret_value() == LOCAL_STAFF_PASSWORD:
                raise ValueError("STAFF_PASSWORD must be set when ENVIRONMENT=production")
            if LOCAL_SERVICE_SECRET in self.service_credentials().values():
                raise ValueError("SERVICE_CLIENTS must be set when ENVIRONMENT=production")
        return self

    def service_credentials(self) -> dict[str, str]:
        return _clients(self.service_clients.get_secret_value())


def _private_key(value: SecretStr) -> SecretStr | None:
    # Secrets pasted into one-line variables often carry literal "\n".
    pem = value.get_secret_value().replace("\\n", "\n").strip()
    if not pem:
        return None
    from users.signing import parse_private_key

    try:
        parse_private_key(pem.encode())
    except ValueError as exc:
        raise ValueError(f"JWT_PRIVATE_KEY: {exc}") from None
    return SecretStr(pem + "\n")


def _clients(text: str) -> dict[str, str]:
    clients = {}
    entries = [part.strip() for part in text.split(",") if part.strip()]
    for number, entry in enumerate(entries, start=1):
        name, _, secret = entry.partition(":")
        if not name or not secret:
            # The entry stays out of the message, printed at start: it may be a bare secret.
            raise ValueError(f"SERVICE_CLIENTS: entry {number} is not name:secret")
        clients[name] = secret
    return clients
