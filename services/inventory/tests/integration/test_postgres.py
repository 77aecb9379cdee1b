"""inventory on the real PostgreSQL: the migrations from an empty database, the API's round trip,
and the races of the unit suite, where row locks (not SQLite's single writer) keep stock right."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic import command
from inventory_testing import (
    Caller,
    FakeCatalog,
    FakeClock,
    inventory_app,
    race_for_a_basket_in_both_orders,
    race_for_the_last_units,
    race_of_sweepers,
    race_to_end_each_hold,
    race_to_reserve_one_order,
)

from inventory import services
from inventory.app import migrate_database
from inventory.repository import InventoryRepository, inventory_engine
from inventory.settings import InventorySettings
from polykit.migrations import alembic_config
from polykit.testing import TestIssuer, fresh_postgres_database, needs


@pytest.fixture
def settings(tmp_path):
    with fresh_postgres_database(needs("TEST_POSTGRES_URL")) as url:
        yield InventorySettings.from_env(data_dir=tmp_path, database_url=url)


@pytest.fixture
def issuer():
    return TestIssuer()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def app(settings, issuer, clock):
    with inventory_app(settings, issuer=issuer, clock=clock) as app:
        yield app


def tables(settings) -> set[str]:
    engine = inventory_engine(settings)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_build_the_schema_from_empty_and_match_the_models(settings):
    assert tables(settings) == set()
    migrate_database(settings)
    assert tables(settings) == {
        "stock",
        "reservations",
        "reservation_items",
        "alembic_version_inventory",
    }
    migrate_database(settings)  # a second start changes nothing

    config = alembic_config(settings, "inventory")
    try:
        command.check(config)  # raises when models.py and the revisions disagree
        command.downgrade(config, "base")
    finally:
        config.attributes["engine"].dispose()
    assert tables(settings) == {"alembic_version_inventory"}


def test_the_database_refuses_negative_stock(app, settings):
    engine = inventory_engine(settings)
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO stock (sku, available) VALUES ('NEG-1', -1)"))
    finally:
        engine.dispose()


def test_a_checkout_round_trip(app, issuer, clock):
    orders = Caller(app, issuer)
    staff = Caller(app, issuer, roles=("customer", "staff"))
    assert staff.set_stock("KIT-MUG-001", 4).status_code == 200
    assert staff.set_stock("KIT-MUG-001", 5).json == {"sku": "KIT-MUG-001", "available": 5}

    order_id = str(uuid.uuid4())
    hold = orders.reserve({"KIT-MUG-001": 2}, order_id=order_id)
    assert hold.status_code == 201
    assert orders.reserve({"KIT-MUG-001": 2}, order_id=order_id).json == hold.json
    short = orders.reserve({"KIT-MUG-001": 4})
    assert short.status_code == 409
    assert short.json["errors"] == [
        {"field": "items.KIT-MUG-001", "message": "only 3 available, 4 wanted"}
    ]
    assert orders.commit(hold.json["id"]).json["status"] == "committed"
    assert orders.release(hold.json["id"]).status_code == 409

    expiring = orders.reserve({"KIT-MUG-001": 3}).json
    clock.advance(seconds=600)
    assert orders.commit(expiring["id"]).status_code == 409
    assert orders.available("KIT-MUG-001") == 3
    assert orders.of_order(order_id).json["items"][0]["status"] == "committed"


def test_seeding_never_overwrites_a_count(app, issuer, settings):
    Caller(app, issuer).set_stock("KIT-MUG-001", 1)
    engine = inventory_engine(settings)
    try:
        added = services.stock_seed(
            repository=InventoryRepository(engine),
            catalog=FakeCatalog(["KIT-MUG-001", "KIT-PAN-001"]),
            initial=50,
        )
    finally:
        engine.dispose()
    assert added == ["KIT-PAN-001"]
    anyone = Caller(app, issuer, roles=())
    assert (anyone.available("KIT-MUG-001"), anyone.available("KIT-PAN-001")) == (1, 50)


def test_twenty_buyers_for_five_units(app, issuer):
    race_for_the_last_units(app, issuer)


def test_baskets_listed_in_either_order_never_deadlock(app, issuer):
    race_for_a_basket_in_both_orders(app, issuer)


def test_one_order_asked_ten_times_at_once(app, issuer):
    race_to_reserve_one_order(app, issuer)


def test_commit_and_release_racing_for_each_hold(app, issuer):
    race_to_end_each_hold(app, issuer)


def test_replicas_sweeping_together(app, issuer, clock, settings):
    race_of_sweepers(app, issuer, clock, settings)
