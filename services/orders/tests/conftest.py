"""Django reads its settings once per process: point them at a scratch DATA_DIR (or at the
PostgreSQL database the integration suite made) before any test module imports Django code, and
build the tables once. orders_testing.py's helpers are put on the path, since test modules are
imported by file (`--import-mode=importlib`)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import django
import pytest

sys.path.insert(0, str(Path(__file__).parent))

_data_dir = tempfile.mkdtemp(prefix="polyshop-orders-tests-")
# Set by the integration suite's conftest, which runs first.
DATABASE_URL_FOR_TESTS = "ORDERS_TEST_DATABASE_URL"


def pytest_configure(config):
    os.environ["DJANGO_SETTINGS_MODULE"] = "orders.settings"
    os.environ["DATA_DIR"] = _data_dir
    os.environ["MIGRATE_ON_START"] = "false"
    if os.environ.get(DATABASE_URL_FOR_TESTS):
        os.environ["DATABASE_URL"] = os.environ[DATABASE_URL_FOR_TESTS]
    else:
        os.environ.pop("DATABASE_URL", None)
    django.setup()
    from orders.app import migrate

    migrate()


def pytest_unconfigure(config):
    shutil.rmtree(_data_dir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _empty_tables():
    yield
    from orders_testing import empty_tables

    empty_tables()
