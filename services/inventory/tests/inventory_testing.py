"""What both suites share: a clock the test moves, a fake catalog, an inventory app with the
verbs its callers use, and the races that must never drive stock below zero."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from flask import Flask
from prometheus_client import CollectorRegistry, Counter

from inventory import services
from inventory.app import BACKGROUND, create_app
from inventory.repository import InventoryRepository, inventory_engine
from inventory.settings import InventorySettings
from polykit.errors import ServiceUnavailable
from polykit.health import Lifecycle
from polykit.testing import TestIssuer


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeCatalog:
    """Sells `skus`; answers ServiceUnavailable to the first `failures` questions."""

    def __init__(self, skus: list[str], *, failures: int = 0) -> None:
        self.skus_sold = list(skus)
        self.failures = failures
        self.asked = 0

    def skus(self) -> list[str]:
        self.asked += 1
        if self.asked <= self.failures:
            raise ServiceUnavailable("catalog is down")
        return list(self.skus_sold)


@contextmanager
def inventory_app(
    settings: InventorySettings,
    *,
    issuer: TestIssuer,
    clock: FakeClock | None = None,
    catalog: FakeCatalog | None = None,
    background: bool = False,
) -> Iterator[Flask]:
    app = create_app(
        settings,
        lifecycle=Lifecycle(),
        verifier=issuer.verifier(),
        catalog=catalog or FakeCatalog([]),
        clock=clock or FakeClock(),
        background=background,
    )
    try:
        yield app
    finally:
        app.extensions[BACKGROUND].stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Caller:
    """inventory's API as its callers use it: orders (the service role), staff, anyone."""

    def __init__(self, app: Flask, issuer: TestIssuer, roles: tuple[str, ...] = ("service",)):
        self.client = app.test_client()
        subject = "service:orders" if "service" in roles else str(uuid.uuid4())
        self.headers = bearer(issuer.token(subject, roles=roles)) if roles else {}

    def stock(self, sku: str) -> Any:
        return self.client.get(f"/api/stock/{sku}")

    def available(self, sku: str) -> int:
        response = self.stock(sku)
        assert response.status_code == 200, response.json
        return response.json["available"]

    def set_stock(self, sku: str, available: Any) -> Any:
        return self.client.put(
            f"/api/stock/{sku}", json={"available": available}, headers=self.headers
        )

    def reserve(self, items: dict[str, int], order_id: str | None = None) -> Any:
        body = {
            "order_id": order_id or str(uuid.uuid4()),
            "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items.items()],
        }
        return self.client.post("/api/reservations", json=body, headers=self.headers)

    def commit(self, reservation_id: str) -> Any:
        return self.client.post(f"/api/reservations/{reservation_id}/commit", headers=self.headers)

    def release(self, reservation_id: str) -> Any:
        return self.client.post(f"/api/reservations/{reservation_id}/release", headers=self.headers)

    def reservation(self, reservation_id: str) -> Any:
        return self.client.get(f"/api/reservations/{reservation_id}", headers=self.headers)

    def of_order(self, order_id: str) -> Any:
        return self.client.get(
            "/api/reservations", query_string={"order_id": order_id}, headers=self.headers
        )


def poll_until(condition: Callable[[], bool], attempts: int = 200, interval: float = 0.05) -> None:
    for _ in range(attempts):
        if condition():
            return
        threading.Event().wait(interval)
    raise AssertionError("the condition never came true")


def all_at_once(count: int, task: Callable[[int], Any]) -> list[Any]:
    """Runs `task(0..count-1)` on `count` threads released together; their results in order."""
    start = threading.Barrier(count)

    def run(index: int) -> Any:
        start.wait()
        return task(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def race_for_the_last_units(app: Flask, issuer: TestIssuer) -> None:
    """20 buyers want 1 unit each of a SKU with 5 left: 5 are held, 15 told it is short, 0 left."""
    Caller(app, issuer).set_stock("RACE-001", 5)
    statuses = all_at_once(20, lambda _: Caller(app, issuer).reserve({"RACE-001": 1}).status_code)
    assert sorted(statuses) == [201] * 5 + [409] * 15
    assert Caller(app, issuer).available("RACE-001") == 0


def race_for_a_basket_in_both_orders(app: Flask, issuer: TestIssuer) -> None:
    """Buyers of two SKUs, listed in either order: each gets both or neither, never a deadlock."""
    caller = Caller(app, issuer)
    caller.set_stock("PAIR-A", 6)
    caller.set_stock("PAIR-B", 6)

    def buy(index: int) -> int:
        items = {"PAIR-A": 1, "PAIR-B": 1} if index % 2 else {"PAIR-B": 1, "PAIR-A": 1}
        return Caller(app, issuer).reserve(items).status_code

    statuses = all_at_once(16, buy)
    assert sorted(statuses) == [201] * 6 + [409] * 10
    assert (caller.available("PAIR-A"), caller.available("PAIR-B")) == (0, 0)


def race_to_reserve_one_order(app: Flask, issuer: TestIssuer) -> None:
    """The same order asked for by 10 requests at once holds its stock once."""
    caller = Caller(app, issuer)
    caller.set_stock("ONCE-001", 10)
    order_id = str(uuid.uuid4())
    responses = all_at_once(
        10, lambda _: Caller(app, issuer).reserve({"ONCE-001": 3}, order_id=order_id)
    )
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({r.json["id"] for r in responses}) == 1
    assert caller.available("ONCE-001") == 7


def race_of_sweepers(
    app: Flask,
    issuer: TestIssuer,
    clock: FakeClock,
    settings: InventorySettings,
    replicas: int = 4,
) -> None:
    """Replicas sweeping the same expired holds at once return each hold's stock once."""
    engines = [inventory_engine(settings) for _ in range(replicas)]
    outcomes = Counter("swept", "", ["outcome"], registry=CollectorRegistry())
    sweepers = [
        partial(
            services.reservations_expire,
            repository=InventoryRepository(engine),
            outcomes=outcomes,
            clock=clock,
            limit=100,
        )
        for engine in engines
    ]
    try:
        _sweep_together(app, issuer, clock, sweepers)
    finally:
        for engine in engines:
            engine.dispose()


def _sweep_together(
    app: Flask, issuer: TestIssuer, clock: FakeClock, sweepers: list[Callable[[], int]]
) -> None:
    caller = Caller(app, issuer)
    caller.set_stock("SWEEP-001", 30)
    for _ in range(12):
        assert caller.reserve({"SWEEP-001": 2}).status_code == 201
    assert caller.available("SWEEP-001") == 6
    clock.advance(hours=1)
    swept = all_at_once(len(sweepers), lambda index: sweepers[index]())
    assert sum(swept) == 12
    assert caller.available("SWEEP-001") == 30


def race_to_end_each_hold(app: Flask, issuer: TestIssuer) -> None:
    """A commit and a release of the same hold at once: one wins, and the stock agrees with it —
    a committed hold's units stay sold, a released hold's come back, never both nor twice."""
    caller = Caller(app, issuer)
    caller.set_stock("END-001", 40)
    holds = [caller.reserve({"END-001": 3}).json["id"] for _ in range(10)]

    def end(index: int) -> int:
        other = Caller(app, issuer)
        hold = holds[index // 2]
        return (other.commit(hold) if index % 2 else other.release(hold)).status_code

    statuses = all_at_once(2 * len(holds), end)
    assert set(statuses) <= {200, 409}
    assert statuses.count(409) == len(holds)  # the loser of each pair
    final = [caller.reservation(hold).json["status"] for hold in holds]
    assert set(final) <= {"committed", "released"}
    assert caller.available("END-001") == 40 - 3 * final.count("committed")
