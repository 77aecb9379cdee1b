"""Reservations: all or nothing, once per order, held → committed | released | expired, and
expired holds swept back into stock."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

import pytest
from inventory_testing import Caller, inventory_app, poll_until
from prometheus_client import CollectorRegistry, Counter

from inventory import services
from inventory.repository import InventoryRepository, inventory_engine

MUG, PAN, POT = "KIT-MUG-001", "KIT-PAN-001", "KIT-POT-001"
TTL = timedelta(seconds=600)


@pytest.fixture
def stocked(staff):
    for sku, units in ((MUG, 10), (PAN, 2), (POT, 0)):
        assert staff.set_stock(sku, units).status_code == 200


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    named = {error["field"] for error in response.json.get("errors", [])}
    assert set(fields) <= named, named
    return response.json


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.usefixtures("stocked")
def test_a_reservation_holds_every_item_until_it_expires(orders, clock):
    order_id = str(uuid.uuid4())
    response = orders.reserve({PAN: 2, MUG: 3}, order_id=order_id)
    assert response.status_code == 201
    body = response.json
    assert uuid.UUID(body["id"])
    assert body == {
        "id": body["id"],
        "order_id": order_id,
        "status": "held",
        "items": [{"sku": MUG, "quantity": 3}, {"sku": PAN, "quantity": 2}],
        "expires_at": iso(clock.now + TTL),
        "created_at": iso(clock.now),
    }
    assert (orders.available(MUG), orders.available(PAN)) == (7, 0)
    assert orders.reservation(body["id"]).json == body
    assert orders.of_order(order_id).json == {"items": [body]}


@pytest.mark.usefixtures("stocked")
def test_short_stock_holds_nothing_and_names_each_short_sku(orders):
    order_id = str(uuid.uuid4())
    response = orders.reserve({MUG: 4, PAN: 3, POT: 1, "KIT-NEW-001": 1}, order_id=order_id)
    problem = assert_problem(response, 409)
    messages = {error["field"]: error["message"] for error in problem["errors"]}
    assert messages == {
        f"items.{PAN}": "only 2 available, 3 wanted",
        f"items.{POT}": "only 0 available, 1 wanted",
        "items.KIT-NEW-001": "is not stocked",
    }
    assert (orders.available(MUG), orders.available(PAN)) == (10, 2)  # the mugs were not held
    assert orders.of_order(order_id).json == {"items": []}
    # Nothing was kept for the order: once restocked, it reserves as if asked the first time.
    assert orders.reserve({MUG: 4}, order_id=order_id).status_code == 201


@pytest.mark.usefixtures("stocked")
def test_an_order_holds_stock_once_whatever_it_asks_again(orders):
    order_id = str(uuid.uuid4())
    first = orders.reserve({MUG: 3}, order_id=order_id)
    again = orders.reserve({MUG: 3}, order_id=order_id)
    other_items = orders.reserve({PAN: 1}, order_id=order_id)
    assert (first.status_code, again.status_code, other_items.status_code) == (201, 200, 200)
    assert again.json == first.json == other_items.json
    assert (orders.available(MUG), orders.available(PAN)) == (7, 2)
    # The same reservation, whatever became of it.
    orders.commit(first.json["id"])
    repeated = orders.reserve({MUG: 3}, order_id=order_id)
    assert repeated.status_code == 200
    assert repeated.json["id"] == first.json["id"]
    assert repeated.json["status"] == "committed"


@pytest.mark.usefixtures("stocked")
def test_committing_sells_the_units_once(orders):
    hold = orders.reserve({MUG: 3}).json
    committed = orders.commit(hold["id"])
    assert committed.status_code == 200
    assert committed.json == hold | {"status": "committed"}
    assert orders.commit(hold["id"]).json == committed.json  # idempotent
    assert_problem(orders.release(hold["id"]), 409)  # sold units do not come back
    assert orders.available(MUG) == 7
    assert orders.reservation(hold["id"]).json["status"] == "committed"


@pytest.mark.usefixtures("stocked")
def test_releasing_returns_the_units_once(orders):
    hold = orders.reserve({MUG: 3, PAN: 1}).json
    released = orders.release(hold["id"])
    assert released.status_code == 200
    assert released.json == hold | {"status": "released"}
    assert orders.release(hold["id"]).json == released.json  # idempotent, stock not doubled
    assert_problem(orders.commit(hold["id"]), 409)
    assert (orders.available(MUG), orders.available(PAN)) == (10, 2)


@pytest.mark.usefixtures("stocked")
def test_a_hold_committed_after_it_expired_is_a_conflict_and_returns_its_units(orders, clock):
    hold = orders.reserve({MUG: 3}).json
    clock.advance(seconds=TTL.total_seconds())  # expires_at is not "before" it
    assert_problem(orders.commit(hold["id"]), 409)
    assert orders.reservation(hold["id"]).json["status"] == "expired"
    assert orders.available(MUG) == 10
    # Releasing it answers it as it is; its units are not returned a second time.
    released = orders.release(hold["id"])
    assert released.status_code == 200
    assert released.json["status"] == "expired"
    assert orders.available(MUG) == 10


@pytest.mark.usefixtures("stocked")
def test_a_hold_commits_up_to_its_last_moment(orders, clock):
    hold = orders.reserve({MUG: 3}).json
    clock.advance(seconds=TTL.total_seconds() - 0.001)
    assert orders.commit(hold["id"]).json["status"] == "committed"


@pytest.fixture
def sweep(settings, clock):
    """One sweeper pass, as another replica's worker would run it."""
    engine = inventory_engine(settings)
    repository = InventoryRepository(engine)
    outcomes = Counter("swept", "", ["outcome"], registry=CollectorRegistry())

    def sweep(limit: int = 100) -> int:
        return services.reservations_expire(
            repository=repository, outcomes=outcomes, clock=clock, limit=limit
        )

    yield sweep
    engine.dispose()


@pytest.mark.usefixtures("stocked")
def test_the_sweeper_returns_expired_holds_only(orders, clock, sweep):
    expiring = orders.reserve({MUG: 2}).json
    committed = orders.reserve({MUG: 1}).json
    released = orders.reserve({MUG: 1}).json
    orders.commit(committed["id"])
    orders.release(released["id"])
    clock.advance(seconds=599)
    later = orders.reserve({PAN: 2}).json
    assert sweep() == 0
    assert orders.available(MUG) == 7

    clock.advance(seconds=1)
    assert sweep() == 1
    assert orders.available(MUG) == 9
    assert orders.reservation(expiring["id"]).json["status"] == "expired"
    assert orders.reservation(committed["id"]).json["status"] == "committed"
    assert orders.reservation(later["id"]).json["status"] == "held"
    assert orders.available(PAN) == 0
    assert sweep() == 0


@pytest.mark.usefixtures("stocked")
def test_each_sweeper_pass_is_bounded(orders, clock, sweep):
    for _ in range(5):
        orders.reserve({MUG: 1})
    clock.advance(hours=1)
    assert [sweep(limit=2) for _ in range(4)] == [2, 2, 1, 0]
    assert orders.available(MUG) == 10


def test_the_worker_sweeps_in_the_background(settings, issuer, clock):
    fast = settings.model_copy(update={"sweep_interval_seconds": 0.02})
    with inventory_app(fast, issuer=issuer, clock=clock, background=True) as app:
        orders = Caller(app, issuer)
        orders.set_stock(MUG, 5)
        hold = orders.reserve({MUG: 5}).json
        clock.advance(seconds=601)
        poll_until(lambda: orders.available(MUG) == 5)
        assert orders.reservation(hold["id"]).json["status"] == "expired"
        metrics = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'polyshop_reservations_total{outcome="expired"} 1.0' in metrics


@pytest.mark.usefixtures("stocked")
def test_outcomes_are_counted(orders, client):
    for _ in range(3):
        hold = orders.reserve({MUG: 1}).json
    orders.reserve({MUG: 1}, order_id=hold["order_id"])  # a replay is no new hold
    orders.reserve({POT: 1})
    orders.commit(hold["id"])
    orders.commit(hold["id"])
    orders.release(orders.reserve({MUG: 1}).json["id"])
    text = client.get("/metrics").get_data(as_text=True)
    for outcome, count in (("held", 4), ("short", 1), ("committed", 1), ("released", 1)):
        assert f'polyshop_reservations_total{{outcome="{outcome}"}} {count}.0' in text
    assert 'polyshop_reservations_total{outcome="expired"} 0.0' in text


def reservation(**overrides):
    body = {"order_id": str(uuid.uuid4()), "items": [{"sku": MUG, "quantity": 1}]}
    return body | overrides


@pytest.mark.usefixtures("stocked")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{"sku": MUG, "quantity": 1}]}, "order_id"),
        (reservation(order_id="order-42"), "order_id"),
        (reservation(order_id=42), "order_id"),
        ({"order_id": str(uuid.uuid4())}, "items"),
        (reservation(items=[]), "items"),
        (reservation(items={"sku": MUG}), "items"),
        (reservation(items=[{"quantity": 1}]), "items.0.sku"),
        (reservation(items=[{"sku": MUG}]), "items.0.quantity"),
        (reservation(items=[{"sku": MUG, "quantity": 0}]), "items.0.quantity"),
        (reservation(items=[{"sku": MUG, "quantity": -2}]), "items.0.quantity"),
        (reservation(items=[{"sku": MUG, "quantity": "2"}]), "items.0.quantity"),
        (reservation(items=[{"sku": MUG, "quantity": 1.5}]), "items.0.quantity"),
        (reservation(items=[{"sku": MUG, "quantity": 1001}]), "items.0.quantity"),
        (reservation(items=[{"sku": "kit mug", "quantity": 1}]), "items.0.sku"),
        (
            reservation(items=[{"sku": MUG, "quantity": 1}, {"sku": 7, "quantity": 1}]),
            "items.1.sku",
        ),
        (reservation(items=[{"sku": MUG, "quantity": 1}] * 2), "items"),
        (reservation(items=[{"sku": f"SKU-{n}", "quantity": 1} for n in range(101)]), "items"),
        ([], "body"),
        ("reserve", "body"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_reservations_are_422_naming_the_field_and_hold_nothing(orders, body, field):
    response = orders.client.post("/api/reservations", json=body, headers=orders.headers)
    assert_problem(response, 422, field)
    assert orders.available(MUG) == 10


@pytest.mark.usefixtures("stocked")
def test_reservation_bodies_that_cannot_be_read(orders):
    headers = orders.headers | {"Content-Type": "application/json"}
    malformed = orders.client.post("/api/reservations", data=b'{"order_id": ', headers=headers)
    assert_problem(malformed, 400, "body")
    huge = reservation(note="x" * (65 * 1024))
    assert_problem(orders.client.post("/api/reservations", json=huge, headers=orders.headers), 413)
    # Chunked, with no Content-Length: what gunicorn hands over as a terminated stream.
    chunked = orders.client.post(
        "/api/reservations",
        input_stream=io.BytesIO(json.dumps(huge).encode()),
        headers=orders.headers | {"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_problem(chunked, 413)
    empty = orders.client.post("/api/reservations", headers=orders.headers)

    assert_problem(empty, 422, "order_id", "items")
    assert orders.available(MUG) == 10


def test_finding_an_order_needs_its_id(orders):
    no_id = orders.client.get("/api/reservations", headers=orders.headers)
    assert_problem(no_id, 422, "order_id")
    assert_problem(orders.of_order("order-42"), 422, "order_id")
    assert orders.of_order(str(uuid.uuid4())).json == {"items": []}


@pytest.mark.parametrize("reservation_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_reservations_are_404(orders, reservation_id):
    assert_problem(orders.reservation(reservation_id), 404)
    assert_problem(orders.commit(reservation_id), 404)
    assert_problem(orders.release(reservation_id), 404)
