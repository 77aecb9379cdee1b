"""A catalog migrated and seeded from the real data file, on a SQLite file, shared by a module's
tests: they only read it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from catalog.app import create_app
from catalog.services import catalog_load
from catalog.settings import CatalogSettings
from polykit.health import Lifecycle


@pytest.fixture(scope="module")
def seed():
    return catalog_load()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    settings = CatalogSettings.from_env(data_dir=tmp_path_factory.mktemp("catalog"))
    app = create_app(settings, lifecycle=Lifecycle())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
