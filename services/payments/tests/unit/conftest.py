"""A payments app per test: SQLite under tmp_path, a clock the test moves, a test token issuer."""

from __future__ import annotations

import shutil

import pytest
from payments_testing import FakeClock, payments_api

from payments.app import prepare_database
from payments.settings import PaymentsSettings


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """One migrated database, copied for each test: migrating afresh each time is most of a
    test's run time."""
    folder = tmp_path_factory.mktemp("migrated")
    prepare_database(PaymentsSettings.from_env(data_dir=folder))
    return folder / "payments.db"


@pytest.fixture
def settings(tmp_path, migrated):
    shutil.copy(migrated, tmp_path / "payments.db")
    return PaymentsSettings.from_env(data_dir=tmp_path)


@pytest.fixture
def api(settings, clock):
    api = payments_api(settings, clock=clock)
    yield api
    api.engine.dispose()
