"""How the suite finds its store.

With no `STOREFRONT_URL` in the environment it starts the store itself from the Procfile (with a
fresh data folder, and spans sent to its own OTLP receiver); given `STOREFRONT_URL` and the other
`<NAME>_URL`s it tests that store instead (a `make up`, or a cluster through port-forwards).
`E2E_POSTGRES_URL` (a server's maintenance database) and `E2E_REDIS_URL` make it run the store on
PostgreSQL, in a database of its own that it drops afterwards, and Redis.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from e2e import tokens
from e2e.otlp import OtlpReceiver
from e2e.store import LocalStore, StoreUnderTest, traced_env


@pytest.fixture(scope="session")
def fresh_database() -> Iterator[str | None]:
    admin_url = os.environ.get("E2E_POSTGRES_URL")
    if not admin_url:
        yield None
        return
    name = f"polyshop_e2e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def store(tmp_path_factory, fresh_database) -> Iterator[StoreUnderTest]:
    if os.environ.get("STOREFRONT_URL"):
        yield StoreUnderTest(local=None, otlp=None)
        return
    otlp = OtlpReceiver().start()
    signing_key = tokens.new_key()
    env = {
        **traced_env(otlp.endpoint, tokens.pem(signing_key)),
        # The recovery loop settles a checkout left pending after this long: short, for the tests
        # that kill a service mid-checkout.
        "CHECKOUT_TIMEOUT_SECONDS": "5",
    }
    if fresh_database:
        admin = psycopg.conninfo.conninfo_to_dict(os.environ["E2E_POSTGRES_URL"])
        admin["dbname"] = fresh_database
        env["DATABASE_URL"] = "postgresql://" + _netloc(admin) + f"/{fresh_database}"
    if os.environ.get("E2E_REDIS_URL"):
        env["REDIS_URL"] = os.environ["E2E_REDIS_URL"]
    local = LocalStore(workdir=tmp_path_factory.mktemp("store"), env=env)
    print(f"\nstarting the store; logs in {local.workdir / 'logs'}")
    local.start()
    try:
        yield StoreUnderTest(
            local=local, otlp=otlp, database=fresh_database, signing_key=signing_key
        )
    finally:
        local.stop()
        otlp.stop()


def _netloc(params: dict[str, str]) -> str:
    user = params.get("user", "")
    password = f":{params['password']}" if params.get("password") else ""
    host = params.get("host", "127.0.0.1")
    port = f":{params['port']}" if params.get("port") else ""
    return f"{user}{password}@{host}{port}" if user else f"{host}{port}"
