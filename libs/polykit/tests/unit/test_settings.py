from __future__ import annotations

from typing import ClassVar

import pytest

from polykit.serving import gunicorn_argv
from polykit.settings import ServiceSettings, SettingsError


class CatalogLike(ServiceSettings):
    service_name: ClassVar[str] = "catalog"
    uses_database: ClassVar[bool] = True


def test_defaults_give_the_design_port_and_a_version(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    settings = CatalogLike.from_env()
    assert settings.port == 8001
    assert settings.environment == "local"
    assert settings.service_version


def test_environment_wins_over_defaults(monkeypatch):
    monkeypatch.setenv("PORT", "9100")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/catalog")
    settings = CatalogLike.from_env()
    assert settings.port == 9100
    assert settings.database_url == "postgresql://db/catalog"


def test_a_bad_value_names_its_variable(monkeypatch):
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(SettingsError, match=r"PORT: .*integer.*'eighty'"):
        CatalogLike.from_env()


def test_production_requires_a_database(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SettingsError, match="DATABASE_URL is required"):
        CatalogLike.from_env()


def test_production_refuses_faults(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/catalog")
    monkeypatch.setenv("FAULT_DELAY_MS", "100")
    with pytest.raises(SettingsError, match="FAULT_DELAY_MS"):
        CatalogLike.from_env()


def test_reload_serves_dev_but_production_refuses_it(monkeypatch):
    monkeypatch.setenv("RELOAD", "true")
    monkeypatch.setenv("ENVIRONMENT", "dev")
    settings = CatalogLike.from_env()
    assert settings.reload is True
    assert "--reload" in gunicorn_argv("catalog.wsgi:app", settings)
    assert "--reload" not in gunicorn_argv("catalog.wsgi:app", CatalogLike.from_env(reload=False))
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/catalog")
    monkeypatch.setenv("SERVICE_CLIENT_SECRET", "a-generated-secret")
    with pytest.raises(SettingsError, match="RELOAD must be false"):
        CatalogLike.from_env()


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "prod")
    with pytest.raises(SettingsError, match="ENVIRONMENT"):
        CatalogLike.from_env()


def test_a_bad_secret_is_named_but_never_echoed(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/catalog")
    monkeypatch.setenv("SERVICE_CLIENT_SECRET", "local-only-service-secret")
    with pytest.raises(SettingsError, match="SERVICE_CLIENT_SECRET must be set"):
        CatalogLike.from_env()


def test_secret_values_stay_out_of_errors(monkeypatch):
    monkeypatch.setenv("SERVICE_CLIENT_SECRET", "")

    class WithNumericSecret(CatalogLike):
        secret_key: int = 0

    monkeypatch.setenv("SECRET_KEY", "hunter2-not-a-number")
    with pytest.raises(SettingsError) as raised:
        WithNumericSecret.from_env()
    assert "SECRET_KEY" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_a_subclass_validator_does_not_replace_the_base_rules(monkeypatch):
    from pydantic import model_validator

    class WithItsOwnCheck(CatalogLike):
        @model_validator(mode="after")
        def _check_with_its_own(self):
            return self

    monkeypatch.delenv("PORT", raising=False)
    assert WithItsOwnCheck.from_env().port == 8001
