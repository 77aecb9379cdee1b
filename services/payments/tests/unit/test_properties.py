"""Properties of money and idempotency over many generated inputs (hypothesis), through the API:
a charge captures exactly what was asked; refunds, in any order and amount, never add up to
more than the capture; the same Idempotency-Key with the same body always replays the first
answer, with another body is a 422, and charges once.

One app serves every example (a fresh one per example would spend the time migrating); each
example uses its own order, payment and key, so examples cannot see each other's money.
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from payments_testing import DECLINED, INSUFFICIENT_FUNDS, VISA, FakeClock, card, payments_api

from payments.schemas import MAX_AMOUNT_CENTS
from payments.settings import PaymentsSettings

PROPERTIES = settings(max_examples=40, deadline=None, derandomize=True, database=None)

amounts = st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS)
cards = st.builds(
    card,
    st.sampled_from([VISA, DECLINED, INSUFFICIENT_FUNDS, "5555555555554444", "378282246310005"]),
    exp_month=st.integers(1, 12),
    exp_year=st.integers(2027, 2030),  # the clock says 2026
)
charges = st.fixed_dictionaries(
    {"amount_cents": amounts, "currency": st.just("USD"), "card": cards}
).map(lambda body: body | {"order_id": str(uuid.uuid4())})


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    settings = PaymentsSettings.from_env(data_dir=tmp_path_factory.mktemp("payments"))
    api = payments_api(settings, clock=FakeClock())
    yield api
    api.engine.dispose()


@PROPERTIES
@given(amount=amounts)
def test_a_capture_is_exactly_the_amount_asked(api, amount):
    response = api.charge(
        {"order_id": str(uuid.uuid4()), "amount_cents": amount, "currency": "USD", "card": card()},
        key=str(uuid.uuid4()),
    )
    assert response.status_code == 201
    assert (response.json["status"], response.json["amount_cents"]) == ("captured", amount)
    assert api.ledger(response.json["id"]) == [("charge", amount)]


@PROPERTIES
@given(
    captured=st.integers(1, 10_000),
    refunds=st.lists(st.integers(-2, 12_000), max_size=8),
    retried=st.booleans(),
)
def test_refunds_never_add_up_to_more_than_the_capture(api, captured, refunds, retried):
    payment = api.charge(
        {
            "order_id": str(uuid.uuid4()),
            "amount_cents": captured,
            "currency": "USD",
            "card": card(),
        },
        key=str(uuid.uuid4()),
    ).json
    left = captured
    for amount in refunds:
        key = str(uuid.uuid4())
        response = api.refund(payment["id"], amount, key=key)
        if amount < 1:
            assert response.status_code == 422
        elif amount <= left:
            assert response.status_code == 201, response.json
            left -= amount
        else:
            assert response.status_code == 409
            assert response.json["errors"] == [
                {"field": "amount_cents", "message": f"must be at most {left}"}
            ]
        if retried:  # the answer was lost and the caller asks again: no second refund
            again = api.refund(payment["id"], amount, key=key)
            assert (again.status_code, again.text) == (response.status_code, response.text)

    assert api.payment(payment["id"])["refunded_cents"] == captured - left
    refunded = [cents for kind, cents in api.ledger(payment["id"]) if kind == "refund"]
    assert sum(refunded) == captured - left <= captured
    assert all(cents > 0 for cents in refunded)


@PROPERTIES
@given(body=charges, other=charges)
def test_a_key_replays_its_first_answer_and_refuses_another_body(api, body, other):
    key = str(uuid.uuid4())
    first = api.charge(body, key=key)
    assert first.status_code == 201  # captured or declined: either is the answer to keep
    again = api.charge(body, key=key)
    assert (again.status_code, again.text) == (first.status_code, first.text)
    assert again.headers["Idempotent-Replayed"] == "true"

    other = other | {"order_id": body["order_id"]}
    answer = api.charge(other, key=key)
    if other == body:
        assert answer.text == first.text
    else:
        assert answer.status_code == 422
        assert answer.json["errors"][0]["field"] == "Idempotency-Key"
    assert len(api.payments_of(body["order_id"])) == 1
