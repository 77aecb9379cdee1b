"""Refunds: partial and full, never more than was captured — not even when they race — and
only on captured payments."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from payments_testing import DECLINED, charge_body


@pytest.fixture
def captured(api) -> dict:
    response = api.charge(charge_body(amount_cents=4200), key="captured")
    assert response.json["status"] == "captured"
    return response.json


def test_partial_then_full_refunds(api, captured):
    first = api.refund(captured["id"], 1000)
    assert first.status_code == 201
    assert first.json == {
        "id": first.json["id"],
        "payment_id": captured["id"],
        "amount_cents": 1000,
        "created_at": "2026-03-15T12:00:00Z",
    }
    assert api.payment(captured["id"])["refunded_cents"] == 1000
    assert api.refund(captured["id"], 3200).status_code == 201
    assert api.payment(captured["id"])["refunded_cents"] == 4200
    assert api.ledger(captured["id"]) == [("charge", 4200), ("refund", 1000), ("refund", 3200)]


def test_nothing_more_once_fully_refunded(api, captured):
    api.refund(captured["id"], 4200)
    response = api.refund(captured["id"], 1)
    assert response.status_code == 409
    assert [e["field"] for e in response.json["errors"]] == ["amount_cents"]
    assert api.payment(captured["id"])["refunded_cents"] == 4200


def test_over_refunding_is_409_and_changes_nothing(api, captured):
    api.refund(captured["id"], 200)
    response = api.refund(captured["id"], 4001)
    assert response.status_code == 409
    assert "4000" in response.json["detail"]
    assert api.payment(captured["id"])["refunded_cents"] == 200
    assert api.ledger(captured["id"]) == [("charge", 4200), ("refund", 200)]


def test_a_declined_payment_cannot_be_refunded(api):
    declined = api.charge(charge_body(DECLINED), key="declined").json
    response = api.refund(declined["id"], 100)
    assert response.status_code == 409
    assert "declined" in response.json["detail"]
    assert api.ledger(declined["id"]) == [("decline", 4200)]


@pytest.mark.parametrize("payment_id", ["8d7c1f2e-5b7a-4a61-9f7e-0c1d2e3f4a5b", "nope"])
def test_refunding_an_unknown_payment_is_404(api, payment_id):
    assert api.refund(payment_id, 100).status_code == 404


@pytest.mark.parametrize("amount", [0, -100, "100", 1.5, None, True])
def test_invalid_amounts_are_422_naming_the_field(api, captured, amount):
    response = api.refund(captured["id"], amount)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["amount_cents"]


def test_staff_refund_too(api, captured):
    assert api.refund(captured["id"], 100, headers=api.staff).status_code == 201


def test_a_refund_under_an_idempotency_key_is_given_once(api, captured):
    first = api.refund(captured["id"], 700, key="refund-1")
    again = api.refund(captured["id"], 700, key="refund-1")
    assert (again.status_code, again.text) == (201, first.text)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.payment(captured["id"])["refunded_cents"] == 700
    assert api.refund(captured["id"], 800, key="refund-1").status_code == 422


def test_a_refused_refund_does_not_hold_its_key(api, captured):
    assert api.refund(captured["id"], 5000, key="refund-2").status_code == 409
    assert api.refund(captured["id"], 5000, key="refund-2").status_code == 409


def test_racing_refunds_never_exceed_the_capture(api, captured):
    start = threading.Barrier(10)

    def refund(_):
        start.wait()
        return api.refund(captured["id"], 1000).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = sorted(pool.map(refund, range(10)))
    assert statuses == [201] * 4 + [409] * 6
    assert api.payment(captured["id"])["refunded_cents"] == 4000
    assert api.ledger(captured["id"]) == [("charge", 4200)] + [("refund", 1000)] * 4


def test_refunds_are_counted(api, captured):
    api.refund(captured["id"], 100)
    api.refund(captured["id"], 100)
    text = api.client.simulate_get("/metrics").text
    assert 'polyshop_payments_total{outcome="refunded"} 2.0' in text
