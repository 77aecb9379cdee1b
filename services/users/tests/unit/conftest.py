"""A users app per test: SQLite under tmp_path, a cheap hasher, a clock the test moves."""

from __future__ import annotations

import pytest
from users_testing import FakeClock, users_app

from users.settings import UsersSettings


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def settings(tmp_path):
    return UsersSettings.from_env(data_dir=tmp_path)


@pytest.fixture
def app(settings, clock):
    return users_app(settings, clock=clock)
