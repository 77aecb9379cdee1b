"""The store contract on the real stores: Redis (what carts use in production) and PostgreSQL.

Each run keeps its Redis keys under a prefix of its own and its tables in a database of its own,
and removes them afterwards.
"""

from __future__ import annotations

import uuid

import pytest
from cart_testing import StoreContract

from cart.redis_store import CART_TTL_SECONDS, RedisCartStore
from cart.repository import migrate_store, open_store
from cart.settings import CartSettings
from polykit.stores import async_redis_client
from polykit.testing import fresh_postgres_database, needs


@pytest.fixture
async def redis_client():
    client = async_redis_client(needs("TEST_REDIS_URL"), name="cart-tests")
    yield client
    await client.aclose()


@pytest.fixture
async def redis_store(redis_client):
    prefix = f"polyshop-test-{uuid.uuid4().hex[:12]}:"
    yield RedisCartStore(redis_client, prefix=prefix)
    keys = [key async for key in redis_client.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis_client.delete(*keys)


class TestRedisStore(StoreContract):
    @pytest.fixture
    def store(self, redis_store):
        return redis_store

    async def test_carts_live_under_their_shoppers_key(self, store, redis_client):
        await store.put("u-1", "A-1", 3, max_lines=50)
        cart, _ = store.keys("u-1")
        assert cart == f"{store.prefix}cart:u-1"
        assert await redis_client.hgetall(cart) == {b"A-1": b"3"}

    async def test_every_write_gives_an_idle_cart_30_more_days(self, store, redis_client):
        user = str(uuid.uuid4())
        keys = store.keys(user)

        async def ttls():
            return [await redis_client.ttl(key) for key in keys]

        async def age_the_cart():
            for key in keys:
                await redis_client.expire(key, 60)

        await store.put(user, "A-1", 1, max_lines=50)
        await store.put(user, "B-2", 1, max_lines=50)
        assert all(60 < ttl <= CART_TTL_SECONDS for ttl in await ttls())
        for write in (
            store.put(user, "A-1", 4, max_lines=50),
            store.put(user, "C-3", 1, max_lines=50),
            store.remove(user, "C-3"),
        ):
            await age_the_cart()
            await write
            assert all(60 < ttl <= CART_TTL_SECONDS for ttl in await ttls())

    async def test_clearing_deletes_the_keys(self, store, redis_client):
        await store.put("u-2", "A-1", 1, max_lines=50)
        await store.clear("u-2")
        assert await redis_client.exists(*store.keys("u-2")) == 0


@pytest.fixture(scope="module")
def database_url():
    with fresh_postgres_database(needs("TEST_POSTGRES_URL")) as url:
        yield url


class TestPostgresStore(StoreContract):
    @pytest.fixture
    async def store(self, database_url, tmp_path):
        settings = CartSettings.from_env(data_dir=tmp_path, database_url=database_url)
        migrate_store(settings)
        opened = open_store(settings)
        yield opened.store
        await opened.close()
