"""Charging through the API: the test cards, every way a request can be refused, and what a
charge leaves behind (a payment, a ledger entry, counted outcomes)."""

from __future__ import annotations

import pytest
from payments_testing import DECLINED, INSUFFICIENT_FUNDS, VISA, card, charge_body, payments_api

from payments.settings import PaymentsSettings

PROBLEM = "application/problem+json"


def fields_of(response) -> set[str]:
    assert response.headers["content-type"] == PROBLEM, response.text
    return {error["field"] for error in response.json.get("errors", [])}


@pytest.mark.parametrize(
    ("number", "status", "decline_code", "brand"),
    [
        (VISA, "captured", None, "visa"),
        (DECLINED, "declined", "card_declined", "visa"),
        (INSUFFICIENT_FUNDS, "declined", "insufficient_funds", "visa"),
        ("5555555555554444", "captured", None, "mastercard"),
        ("378282246310005", "captured", None, "amex"),
        ("6011111111111117", "captured", None, "discover"),
        ("3056930009020004", "captured", None, "unknown"),
    ],
)
def test_each_test_card_has_its_outcome(api, number, status, decline_code, brand):
    body = charge_body(number)
    response = api.charge(body)
    assert response.status_code == 201  # a decline is an answer, not an error
    payment = response.json
    assert payment == {
        "id": payment["id"],
        "order_id": body["order_id"],
        "status": status,
        "decline_code": decline_code,
        "amount_cents": 4200,
        "refunded_cents": 0,
        "currency": "USD",
        "card": {"brand": brand, "last4": number[-4:]},
        "created_at": "2026-03-15T12:00:00Z",
    }
    assert api.payment(payment["id"]) == payment
    assert api.payments_of(body["order_id"]) == [payment]
    kind = "charge" if status == "captured" else "decline"
    assert api.ledger(payment["id"]) == [(kind, 4200)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"card": card("4242424242424241")}, "card.number"),
        ({"card": card("4242")}, "card.number"),
        ({"card": card("not a card number")}, "card.number"),
        ({"card": card(4242424242424242)}, "card.number"),
        ({"card": card(exp_month=0)}, "card.exp_month"),
        ({"card": card(exp_month=13)}, "card.exp_month"),
        ({"card": card(exp_month=2, exp_year=2026)}, "card.exp_month"),
        ({"card": card(exp_month="12")}, "card.exp_month"),
        ({"card": card(exp_year=2025)}, "card.exp_year"),
        ({"card": card(exp_year=None)}, "card.exp_year"),
        ({"card": card(cvc="31")}, "card.cvc"),
        ({"card": card(cvc="31415")}, "card.cvc"),
        ({"card": card(cvc=314)}, "card.cvc"),
        ({"card": {"exp_month": 12, "exp_year": 2028, "cvc": "314"}}, "card.number"),
        ({"card": None}, "card"),
        ({"order_id": "order-1"}, "order_id"),
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": -5}, "amount_cents"),
        ({"amount_cents": "4200"}, "amount_cents"),
        ({"amount_cents": 42.5}, "amount_cents"),
        ({"amount_cents": 10**12}, "amount_cents"),
        ({"currency": "EUR"}, "currency"),
        ({"tip_cents": 100}, "tip_cents"),
    ],
)
def test_invalid_charges_are_422_naming_the_field_and_charge_nothing(api, change, field):
    body = charge_body() | change
    response = api.charge(body, key=f"bad-{field}")
    assert response.status_code == 422
    assert field in fields_of(response)
    assert api.ledger() == []


@pytest.mark.parametrize("missing", ["order_id", "amount_cents", "currency", "card"])
def test_missing_fields_are_named(api, missing):
    body = charge_body()
    del body[missing]
    response = api.charge(body)
    assert response.status_code == 422
    assert missing in fields_of(response)


def test_an_empty_body_names_every_field(api):
    response = api.client.simulate_post(
        "/api/payments", headers=api.orders | {"Idempotency-Key": "k"}
    )
    assert response.status_code == 422
    assert fields_of(response) == {"order_id", "amount_cents", "currency", "card"}


def test_a_rejected_card_is_not_echoed(api):
    response = api.charge(charge_body(card=card("4242424242424241", cvc="31")))
    assert "4242424242424241" not in response.text
    assert '"31"' not in response.text


def test_malformed_json_is_400(api):
    response = api.client.simulate_post(
        "/api/payments",
        body='{"order_id": ',
        headers=api.orders | {"Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


def test_an_oversized_body_is_413(api):
    response = api.charge(charge_body(note="x" * 20_000))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("key", [None, "", "   ", "k" * 256, "tab\there"])
def test_a_missing_or_unusable_idempotency_key_is_400_naming_it(api, key):
    headers = api.orders if key is None else api.orders | {"Idempotency-Key": key}
    response = api.client.simulate_post("/api/payments", json=charge_body(), headers=headers)
    assert response.status_code == 400
    assert fields_of(response) == {"Idempotency-Key"}
    assert api.ledger() == []


def test_outcomes_and_revenue_are_counted(api):
    api.charge(charge_body(amount_cents=1000), key="a")
    api.charge(charge_body(amount_cents=250), key="b")
    api.charge(charge_body(amount_cents=250), key="b")  # a replay charges nothing more
    api.charge(charge_body(DECLINED, amount_cents=999), key="c")
    text = api.client.simulate_get("/metrics").text
    assert 'polyshop_payments_total{outcome="captured"} 2.0' in text
    assert 'polyshop_payments_total{outcome="declined"} 1.0' in text
    assert 'polyshop_payments_total{outcome="refunded"} 0.0' in text
    assert 'polyshop_revenue_cents_total{currency="USD"} 1250.0' in text


def test_payments_list_newest_first_and_pages(api, clock):
    order = charge_body()["order_id"]
    ids = []
    for n in range(3):
        ids.append(api.charge(charge_body(order_id=order), key=f"k{n}").json["id"])
        clock.advance(seconds=1)
    api.charge(charge_body(), key="other order")
    assert [p["id"] for p in api.payments_of(order)] == ids[::-1]
    page = api.client.simulate_get(
        "/api/payments", params={"page": 2, "page_size": 2}, headers=api.staff
    ).json
    assert (page["page"], page["page_size"], page["total"], len(page["items"])) == (2, 2, 4, 2)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"order_id": "nope"}, "order_id"), ({"page_size": "500"}, "page_size"), ({"x": "1"}, "x")],
)
def test_bad_list_queries_are_422_naming_the_parameter(api, params, field):
    response = api.client.simulate_get("/api/payments", params=params, headers=api.staff)
    assert response.status_code == 422
    assert field in fields_of(response)


def test_unknown_payments_are_404(api):
    for path in ("/api/payments/8d7c1f2e-5b7a-4a61-9f7e-0c1d2e3f4a5b", "/api/payments/nope"):
        response = api.client.simulate_get(path, headers=api.staff)
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM


def test_a_database_that_does_not_answer_is_503(tmp_path, clock):
    settings = PaymentsSettings.from_env(
        data_dir=tmp_path, database_url="postgresql://x@127.0.0.1:1/x", migrate_on_start=False
    )
    api = payments_api(settings, clock=clock)
    for response in (
        api.charge(charge_body()),
        api.client.simulate_get("/api/payments", headers=api.staff),
    ):
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM
