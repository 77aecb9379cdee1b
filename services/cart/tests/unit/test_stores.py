"""The store contract, kept by the in-memory fake the API tests use and by the SQLite store."""

from __future__ import annotations

import pytest
from cart_testing import InMemoryCartStore, StoreContract

from cart.repository import migrate_store, open_store
from cart.settings import CartSettings


class TestInMemoryStore(StoreContract):
    @pytest.fixture
    def store(self):
        return InMemoryCartStore()


class TestSqliteStore(StoreContract):
    @pytest.fixture
    async def store(self, tmp_path):
        settings = CartSettings.from_env(data_dir=tmp_path)
        migrate_store(settings)
        opened = open_store(settings)
        yield opened.store
        await opened.close()
