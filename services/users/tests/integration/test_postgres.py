"""users on the real PostgreSQL: the migrations from an empty database, an account's round trip,
and the login-failure window shared by two replicas."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from users_testing import FakeClock, bearer, login, register, users_app

from polykit.migrations import alembic_config
from polykit.testing import fresh_postgres_database, needs
from users.app import prepare_database
from users.settings import UsersSettings


@pytest.fixture
def settings(tmp_path):
    with fresh_postgres_database(needs("TEST_POSTGRES_URL")) as url:
        yield UsersSettings.from_env(data_dir=tmp_path, database_url=url)


def tables(settings) -> set[str]:
    engine = sa.create_engine(
        sa.make_url(settings.database_url).set(drivername="postgresql+psycopg")
    )
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_build_the_schema_from_empty_and_match_the_models(settings):
    assert tables(settings) == set()
    prepare_database(settings)
    assert tables(settings) == {"users", "login_failures", "alembic_version_users"}
    prepare_database(settings)  # a second start changes nothing

    config = alembic_config(settings, "users")
    try:
        command.check(config)  # raises when models.py and the revisions disagree
        command.downgrade(config, "base")
    finally:
        config.attributes["engine"].dispose()
    assert tables(settings) == {"alembic_version_users"}


def test_register_log_in_and_read_the_account(settings):
    app = users_app(settings, clock=FakeClock())
    account = register(app, email="Ann@Example.com", status=201).json
    register(app, email="ann@EXAMPLE.com", status=409)
    token = login(app, email="ann@example.com", status=200).json["access_token"]
    assert app.get("/api/users/me", headers=bearer(token), status=200).json == account
    staff = login(app, email="staff@polyshop.local", password="local-only-staff-password")
    assert staff.status_code == 200


def test_replicas_share_the_login_failure_window(settings):
    clock = FakeClock()
    replica_a = users_app(settings, clock=clock)
    replica_b = users_app(settings, clock=clock)
    register(replica_a, status=201)
    for replica in (replica_a, replica_b) * 2 + (replica_a,):
        login(replica, password="wrong password", status=401)
    locked = login(replica_b, status=429)
    assert locked.headers["Retry-After"] == "900"

    clock.advance(minutes=15, seconds=1)
    login(replica_b, status=200)
    login(replica_a, password="wrong password", status=401)  # the count starts again
    login(replica_a, status=200)
