"""`Idempotency-Key` with Stripe's semantics: a replay is the first answer again, another body
under the key is a 422, a key still running is a 409, a failed request lets go of its key, and
however many duplicates arrive at once, one charge is made."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from payments_testing import DECLINED, charge_body, payments_api

from payments.repository import PaymentRepository

REPLAYED = "Idempotent-Replayed"


def test_the_same_key_and_body_replay_the_first_answer(api):
    body = charge_body()
    first = api.charge(body)
    assert first.status_code == 201
    assert REPLAYED not in first.headers
    again = api.charge(body)
    assert (again.status_code, again.text) == (201, first.text)
    assert again.headers[REPLAYED] == "true"
    assert len(api.payments_of(body["order_id"])) == 1
    assert api.ledger() == [("charge", 4200)]


def test_a_replay_is_the_answer_as_first_given_even_after_a_refund(api):
    body = charge_body()
    first = api.charge(body)
    api.refund(first.json["id"], 1000)
    again = api.charge(body)
    assert again.text == first.text
    assert again.json["refunded_cents"] == 0
    assert api.payment(first.json["id"])["refunded_cents"] == 1000


def test_a_declined_charge_replays_as_declined(api):
    body = charge_body(DECLINED)
    first = api.charge(body)
    again = api.charge(body)
    assert again.json["decline_code"] == "card_declined"
    assert (again.status_code, again.text) == (201, first.text)
    assert api.ledger() == [("decline", 4200)]


@pytest.mark.parametrize(
    "change",
    [
        {"amount_cents": 4201},
        {"card": {"number": "5555555555554444", "exp_month": 12, "exp_year": 2028, "cvc": "314"}},
        {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2028, "cvc": "271"}},
    ],
    ids=["amount", "card number", "cvc"],
)
def test_another_body_under_the_same_key_is_422_naming_the_key(api, change):
    body = charge_body()
    api.charge(body)
    response = api.charge(body | change)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["Idempotency-Key"]
    assert len(api.ledger()) == 1


def test_keys_belong_to_their_caller(api):
    body = charge_body()
    ours = api.charge(body, headers=api.token("service", subject="service:orders"))
    theirs = api.charge(body, headers=api.token("service", subject="service:other"))
    assert theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert theirs.json["id"] != ours.json["id"]


class Gate:
    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()


class GatedRepository(PaymentRepository):
    """Holds the first charge just before it is recorded, until the test opens the gate."""

    def __init__(self, sessions, gate: Gate) -> None:
        super().__init__(sessions)
        self.gate = gate
        self.held = threading.Lock()

    def add_payment(self, payment, *, claim, response):
        if self.held.acquire(blocking=False):
            self.gate.entered.set()
            assert self.gate.opened.wait(timeout=30)
        super().add_payment(payment, claim=claim, response=response)


@pytest.fixture
def gate():
    return Gate()


@pytest.fixture
def gated_api(settings, clock, gate):
    api = payments_api(settings, clock=clock, repository=lambda s: GatedRepository(s, gate))
    yield api
    gate.opened.set()
    api.engine.dispose()


def test_a_key_still_running_is_409_then_replays_once_done(gated_api, gate):
    body = charge_body()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(gated_api.charge, body)
        assert gate.entered.wait(timeout=30)
        running = gated_api.charge(body)
        assert running.status_code == 409
        assert running.headers["content-type"] == "application/problem+json"
        assert running.headers["retry-after"] == "1"
        gate.opened.set()
        assert first.result().status_code == 201
    assert gated_api.charge(body).text == first.result().text


def test_an_abandoned_claim_is_taken_over_and_its_first_owner_charges_nothing(
    gated_api, gate, clock
):
    body = charge_body()
    with ThreadPoolExecutor(1) as pool:
        stuck = pool.submit(gated_api.charge, body)
        assert gate.entered.wait(timeout=30)
        clock.advance(seconds=121)  # past IDEMPOTENCY_STALE_SECONDS
        taken_over = gated_api.charge(body)
        assert taken_over.status_code == 201
        gate.opened.set()
        assert stuck.result().status_code == 409
    assert len(gated_api.payments_of(body["order_id"])) == 1
    assert gated_api.charge(body).text == taken_over.text


class FailingOnceRepository(PaymentRepository):
    def __init__(self, sessions) -> None:
        super().__init__(sessions)
        self.failed = False

    def add_payment(self, payment, *, claim, response):
        if not self.failed:
            self.failed = True
            raise RuntimeError("the database went away mid-charge")
        super().add_payment(payment, claim=claim, response=response)


def test_a_charge_that_fails_midway_lets_go_of_its_key(settings, clock):
    api = payments_api(settings, clock=clock, repository=FailingOnceRepository)
    body = charge_body()
    assert api.charge(body).status_code == 500
    retried = api.charge(body)
    assert retried.status_code == 201
    assert REPLAYED not in retried.headers
    assert len(api.payments_of(body["order_id"])) == 1
    api.engine.dispose()


def test_concurrent_duplicates_make_one_charge(api):
    body = charge_body()
    start = threading.Barrier(8)

    def charge():
        start.wait()
        return api.charge(body)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: charge(), range(8)))
    assert {r.status_code for r in responses} <= {201, 409}
    created = [r for r in responses if r.status_code == 201]
    assert len([r for r in created if REPLAYED not in r.headers]) == 1
    assert len({r.text for r in created}) == 1
    [payment] = api.payments_of(body["order_id"])
    assert api.ledger() == [("charge", 4200)]
    assert api.charge(body).json == payment


def test_keys_are_kept_a_day_then_forgotten(api, clock):
    body = charge_body()
    api.charge(body)
    clock.advance(hours=23)
    assert api.charge(body | {"amount_cents": 1}).status_code == 422
    clock.advance(hours=2)
    fresh = api.charge(body | {"amount_cents": 1})
    assert fresh.status_code == 201
    assert REPLAYED not in fresh.headers
