"""OrdersSettings and the DATABASES entry Django gets from it."""

from __future__ import annotations

import pytest

from orders.config import OrdersSettings, django_database
from polykit.settings import SettingsError


def test_sqlite_under_data_dir_by_default(tmp_path):
    database = django_database(OrdersSettings.from_env(data_dir=tmp_path))
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "orders.db")


def test_postgresql_from_database_url_with_a_connect_timeout(tmp_path):
    settings = OrdersSettings.from_env(
        data_dir=tmp_path, database_url="postgresql://shop:pw@db:5433/orders?sslmode=require"
    )
    database = django_database(settings)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["USER"], database["HOST"], database["PORT"]) == ("shop", "db", 5433)
    assert database["OPTIONS"]["connect_timeout"] > 0
    assert database["OPTIONS"]["sslmode"] == "require"


def test_other_databases_are_refused(tmp_path):
    settings = OrdersSettings.from_env(data_dir=tmp_path, database_url="mysql://x@db/orders")
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        django_database(settings)


def test_allowed_hosts_are_comma_separated(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "orders, orders.polyshop.svc")
    assert OrdersSettings.from_env().allowed_hosts == ["orders", "orders.polyshop.svc"]


def test_production_refuses_the_local_secret_key():
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        OrdersSettings.from_env(
            environment="production",
            database_url="postgresql://x@db/o",
            service_client_secret="from-a-secret",
        )


def test_sqlite_takes_its_write_lock_up_front_and_lets_readers_on(tmp_path):
    options = django_database(OrdersSettings.from_env(data_dir=tmp_path))["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]


def test_the_saga_peers_and_timeouts_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PAYMENTS_URL", "http://payments:8004")
    monkeypatch.setenv("CHECKOUT_TIMEOUT_SECONDS", "12")
    settings = OrdersSettings.from_env()
    assert settings.payments_url == "http://payments:8004"
    assert settings.checkout_timeout_seconds == 12
    assert settings.inventory_url == "http://127.0.0.1:8007"


def test_a_checkout_timeout_must_be_positive():
    with pytest.raises(SettingsError, match="CHECKOUT_TIMEOUT_SECONDS"):
        OrdersSettings.from_env(checkout_timeout_seconds=0)


def test_the_command_line_knows_its_three_modes():
    from orders.__main__ import main

    with pytest.raises(SystemExit, match="worker"):
        main(["serve"])
