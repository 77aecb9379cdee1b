"""Each service really talks to its own store: SQLite files by default, PostgreSQL and Redis when
the suite was given them."""

from __future__ import annotations

import os

import psycopg
import redis

from e2e.store import StoreUnderTest, skip_or_fail

WITH_DATABASE = {"catalog", "orders", "payments", "users", "inventory"}


def test_services_hold_connections_to_their_stores(store: StoreUnderTest):
    if store.local is None:
        skip_or_fail("testing a running store: its stores are not the suite's to inspect")
    if store.database is None:
        files = {path.stem for path in (store.local.workdir / "data").glob("*.db")}
        assert files >= WITH_DATABASE | {"cart"}
        return

    with psycopg.connect(os.environ["E2E_POSTGRES_URL"]) as connection:
        rows = connection.execute(
            "SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = %s",
            (store.database,),
        ).fetchall()
    assert {name for (name,) in rows} >= {f"polyshop-{name}" for name in WITH_DATABASE}

    clients = redis.Redis.from_url(os.environ["E2E_REDIS_URL"]).client_list()
    assert {c["name"] for c in clients} >= {"polyshop-cart", "polyshop-notifications"}
