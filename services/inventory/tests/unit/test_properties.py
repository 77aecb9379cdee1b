"""Reservations as a state machine (hypothesis): any sequence of restocks, reservations (new, or
again for the same order), commits, releases, time passing and sweeper passes, checked step by
step against a model of what inventory promises.

- `available` never goes below zero, and is exactly what the model says after every step;
- a reservation holds every item or none: a refused one names exactly the short SKUs and takes
  nothing;
- an order holds stock once: asking again answers its reservation, whatever became of it;
- a hold is committed only before it expires; released, expired or past its time, its units go
  back to stock once.

One app serves every run (a fresh one per run would spend the time migrating); each run has SKUs
of its own, so runs cannot see each other's stock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from inventory_testing import Caller, FakeClock, inventory_app
from prometheus_client import CollectorRegistry, Counter

from inventory import services
from inventory.repository import InventoryRepository, inventory_engine
from inventory.settings import InventorySettings
from polykit.testing import TestIssuer

PROPERTIES = settings(
    max_examples=30, stateful_step_count=25, deadline=None, derandomize=True, database=None
)
PRODUCTS = 3  # stocked by each run; index PRODUCTS is a SKU inventory has never heard of


@dataclass
class ModelHold:
    id: str
    items: dict[str, int]
    expires_at: datetime
    status: str = "held"


@dataclass
class Store:
    orders: Caller
    staff: Caller
    clock: FakeClock
    ttl: timedelta
    sweep: object


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    settings = InventorySettings.from_env(data_dir=tmp_path_factory.mktemp("inventory"))
    issuer, clock = TestIssuer(), FakeClock()
    engine = inventory_engine(settings)
    repository = InventoryRepository(engine)
    outcomes = Counter("swept", "", ["outcome"], registry=CollectorRegistry())

    def sweep() -> int:
        return services.reservations_expire(
            repository=repository, outcomes=outcomes, clock=clock, limit=10_000
        )

    with inventory_app(settings, issuer=issuer, clock=clock) as app:
        yield Store(
            orders=Caller(app, issuer, roles=("service",)),
            staff=Caller(app, issuer, roles=("customer", "staff")),
            clock=clock,
            ttl=timedelta(seconds=settings.reservation_ttl_seconds),
            sweep=sweep,
        )
    engine.dispose()


class Reservations(RuleBasedStateMachine):
    store: Store  # set by the test before each run

    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        prefix = uuid.uuid4().hex[:10].upper()
        self.skus = [f"P{prefix}-{n}" for n in range(PRODUCTS + 1)]
        self.available: dict[str, int] = {}  # the stocked SKUs only
        self.by_order: dict[str, ModelHold] = {}
        self.by_id: dict[str, ModelHold] = {}

    @initialize(units=st.lists(st.integers(0, 6), min_size=PRODUCTS, max_size=PRODUCTS))
    def stock_up(self, units: list[int]) -> None:
        for sku, count in zip(self.skus, units, strict=False):
            self.restock_to(sku, count)

    def restock_to(self, sku: str, units: int) -> None:
        response = self.store.staff.set_stock(sku, units)
        assert response.status_code == 200, response.json
        self.available[sku] = units

    @rule(product=st.integers(0, PRODUCTS - 1), units=st.integers(0, 6))
    def restock(self, product: int, units: int) -> None:
        self.restock_to(self.skus[product], units)

    items = st.dictionaries(st.integers(0, PRODUCTS), st.integers(1, 4), min_size=1, max_size=3)

    @rule(target=orders, wanted=items)
    def reserve(self, wanted: dict[int, int]) -> str:
        order_id = str(uuid.uuid4())
        self.reserve_for(order_id, wanted)
        return order_id

    @rule(order_id=orders, wanted=items)
    def reserve_again(self, order_id: str, wanted: dict[int, int]) -> None:
        self.reserve_for(order_id, wanted)

    def reserve_for(self, order_id: str, wanted: dict[int, int]) -> None:
        items = {self.skus[product]: quantity for product, quantity in wanted.items()}
        response = self.store.orders.reserve(items, order_id=order_id)
        existing = self.by_order.get(order_id)
        if existing is not None:
            # Once per order: its reservation as it stands, and nothing taken again.
            assert response.status_code == 200, response.json
            assert (response.json["id"], response.json["status"]) == (existing.id, existing.status)
            return
        short = {sku for sku, n in items.items() if self.available.get(sku, -1) < n}
        if short:
            assert response.status_code == 409, response.json
            named = {error["field"] for error in response.json["errors"]}
            assert named == {f"items.{sku}" for sku in short}
            return
        assert response.status_code == 201, response.json
        hold = ModelHold(response.json["id"], items, self.store.clock.now + self.store.ttl)
        self.by_order[order_id] = self.by_id[hold.id] = hold
        for sku, quantity in items.items():
            self.available[sku] -= quantity

    @rule(order_id=orders)
    def commit(self, order_id: str) -> None:
        hold = self.by_order.get(order_id)
        if hold is None:
            return  # this order's reservation was refused
        response = self.store.orders.commit(hold.id)
        if hold.status == "held" and self.store.clock.now < hold.expires_at:
            hold.status = "committed"
        elif hold.status == "held":  # too late: it expires now, its units back
            self.give_back(hold, "expired")
        if hold.status == "committed":
            assert response.status_code == 200, response.json
            assert response.json["status"] == "committed"
        else:
            assert response.status_code == 409, response.json

    @rule(order_id=orders)
    def release(self, order_id: str) -> None:
        hold = self.by_order.get(order_id)
        if hold is None:
            return
        response = self.store.orders.release(hold.id)
        if hold.status == "held":
            self.give_back(hold, "released")
        if hold.status == "committed":
            assert response.status_code == 409, response.json
        else:
            assert response.status_code == 200, response.json
            assert response.json["status"] == hold.status

    @rule(seconds=st.sampled_from([1, 120, 599, 600]))
    def time_passes(self, seconds: int) -> None:
        self.store.clock.advance(seconds=seconds)

    @rule()
    def sweeper_passes(self) -> None:
        self.store.sweep()
        for hold in self.by_id.values():
            if hold.status == "held" and hold.expires_at <= self.store.clock.now:
                self.give_back(hold, "expired")

    def give_back(self, hold: ModelHold, status: str) -> None:
        hold.status = status
        for sku, quantity in hold.items.items():
            self.available[sku] += quantity

    @invariant()
    def stock_is_what_the_model_says_and_never_negative(self) -> None:
        for sku, units in self.available.items():
            assert units >= 0
            assert self.store.orders.available(sku) == units, sku


def test_reservations_keep_every_promise(store):
    Reservations.store = store
    run_state_machine_as_test(Reservations, settings=PROPERTIES)
