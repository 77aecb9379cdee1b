"""An inventory app per test: SQLite under tmp_path, tokens from a test issuer, a clock the test
moves, and no background threads unless a test starts them."""

from __future__ import annotations

import pytest
from inventory_testing import Caller, FakeClock, inventory_app

from inventory.settings import InventorySettings
from polykit.testing import TestIssuer


@pytest.fixture
def issuer():
    return TestIssuer()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def settings(tmp_path):
    return InventorySettings.from_env(data_dir=tmp_path)


@pytest.fixture
def app(settings, issuer, clock):
    with inventory_app(settings, issuer=issuer, clock=clock) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def orders(app, issuer):
    """The service that reserves at checkout."""
    return Caller(app, issuer, roles=("service",))


@pytest.fixture
def staff(app, issuer):
    return Caller(app, issuer, roles=("customer", "staff"))


@pytest.fixture
def shopper(app, issuer):
    return Caller(app, issuer, roles=("customer",))


@pytest.fixture
def anyone(app, issuer):
    return Caller(app, issuer, roles=())
