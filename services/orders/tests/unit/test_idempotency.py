"""Idempotency-Key on POST /api/orders: replays, a different body, a request still running, and
identical requests racing."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import Client
from orders_testing import DECLINED, VISA, Shop

from orders import services
from orders.models import IdempotencyRecord, Order


@pytest.fixture
def shop():
    return Shop()


def test_the_same_key_and_body_replays_the_first_answer_with_one_order_and_one_charge(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    first = ann.checkout(key="checkout-1")
    shop.cart.put(ann.user_id, ("KIT-MUG-001", 5))  # whatever changes meanwhile
    again = ann.checkout(key="checkout-1")

    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Order.objects.count() == 1
    assert len(shop.payments.by_id) == 1


def test_a_declined_checkout_replays_its_402(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    first = ann.checkout(key="k", card=DECLINED)
    again = ann.checkout(key="k", card=DECLINED)
    assert again.status_code == first.status_code == 402
    assert again.json() == first.json()
    assert again["Content-Type"] == "application/problem+json"


def test_the_same_key_with_another_body_is_422(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    assert ann.checkout(key="k").status_code == 201
    response = ann.checkout(key="k", card=VISA | {"cvc": "999"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Order.objects.count() == 1


def test_keys_are_the_callers_own(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    bob = shop.shopper(("KIT-PAN-002", 1))
    assert ann.checkout(key="shared").status_code == 201
    response = bob.checkout(key="shared")
    assert response.status_code == 201
    assert response.json()["items"][0]["sku"] == "KIT-PAN-002"


def test_a_request_still_running_makes_the_same_key_409(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    answers = {}

    def meanwhile():
        # The first checkout is inside its charge: its key is taken, its answer not yet known.
        answers["second"] = ann.checkout(key="k", client=Client())
        connections.close_all()

    def during_charge():
        thread = threading.Thread(target=meanwhile)
        thread.start()
        thread.join()

    shop.payments.on_charge = during_charge
    first = ann.checkout(key="k")
    assert first.status_code == 201
    assert answers["second"].status_code == 409
    assert "still being processed" in answers["second"].json()["detail"]


def test_concurrent_identical_requests_place_one_order_and_charge_once(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    n = 6
    arrived = threading.Barrier(n)
    charging = threading.Event()
    others_answered = threading.Event()
    answers = []

    def hold_the_charge():
        charging.set()
        others_answered.wait()

    shop.payments.on_charge = hold_the_charge

    def buy():
        arrived.wait()
        try:
            answers.append(ann.checkout(key="race", client=Client()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=buy) for _ in range(n)]
    for thread in threads:
        thread.start()
    charging.wait()
    while len(answers) < n - 1:  # every other request answers while one is charging
        threading.Event().wait(0.01)
    others_answered.set()
    for thread in threads:
        thread.join()

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (n - 1)
    assert Order.objects.count() == 1
    assert len(shop.payments.by_id) == 1


def test_after_a_503_mid_checkout_the_key_waits_for_recovery_then_replays_its_outcome(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    shop.payments.lose_answer.add("charge")  # captured, but orders never heard
    assert ann.checkout(key="k").status_code == 503
    shop.payments.lose_answer.clear()

    retry = ann.checkout(key="k")
    assert retry.status_code == 409  # not a second order, not a second charge

    shop.clock.advance(31)
    assert services.order_recovery_pass(deps=shop.deps) == 1
    replay = ann.checkout(key="k")
    assert replay.status_code == 201
    assert replay.json()["status"] == "paid"
    assert replay["Idempotent-Replayed"] == "true"
    assert ann.checkout(key="k").json() == replay.json()
    assert Order.objects.count() == 1
    assert len(shop.payments.by_id) == 1


def test_a_key_whose_request_died_before_placing_an_order_is_freed_by_the_recovery_loop(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    # As if the process died after claiming the key: the record stays running, with no order.
    services.idempotency_claim(
        deps=shop.deps,
        user_id=ann.user_id,
        key="k",
        request_hash=services.request_fingerprint({}, secret="x"),
    )
    shop.clock.advance(31)
    services.order_recovery_pass(deps=shop.deps)
    assert not IdempotencyRecord.objects.exists()
    assert ann.checkout(key="k").status_code == 201


def test_records_are_kept_a_day(shop):
    ann = shop.shopper(("KIT-MUG-001", 1))
    ann.checkout(key="k")
    shop.clock.advance(23 * 3600)
    assert services.idempotency_purge(deps=shop.deps) == 0
    shop.clock.advance(3600)
    assert services.idempotency_purge(deps=shop.deps) == 1
