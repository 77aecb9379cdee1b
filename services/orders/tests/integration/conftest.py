"""The integration suite runs orders on a PostgreSQL database of its own, made before Django is
set up (tests/conftest.py reads it) and dropped at the end. Without TEST_POSTGRES_URL Django
stays on SQLite and every test here is skipped (failed in CI) by its `needs()`."""

from __future__ import annotations

import os
from contextlib import ExitStack

import pytest

from polykit.testing import fresh_postgres_database

_stack = ExitStack()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if admin_url:
        url = _stack.enter_context(fresh_postgres_database(admin_url))
        os.environ["ORDERS_TEST_DATABASE_URL"] = url


def pytest_unconfigure(config):
    from django.db import connections

    connections.close_all()
    _stack.close()
    os.environ.pop("ORDERS_TEST_DATABASE_URL", None)
