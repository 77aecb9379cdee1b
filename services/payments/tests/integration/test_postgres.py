"""payments on the real PostgreSQL: the migrations from an empty database, the ledger's
triggers, and the races that only a real server runs in parallel — many requests claiming one
Idempotency-Key, many refunds of one payment."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from payments_testing import FakeClock, charge_body, payments_api

from payments.app import prepare_database
from payments.models import CAPTURED, IdempotencyKey, Payment
from payments.repository import Claim, ClaimLost, StoredResponse
from payments.settings import PaymentsSettings
from polykit.migrations import alembic_config
from polykit.testing import fresh_postgres_database, needs

RACERS = 12


@pytest.fixture
def settings(tmp_path):
    with fresh_postgres_database(needs("TEST_POSTGRES_URL")) as url:
        yield PaymentsSettings.from_env(data_dir=tmp_path, database_url=url)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def api(settings, clock):
    api = payments_api(settings, clock=clock)
    yield api
    api.engine.dispose()


def race(count: int, work):
    """Runs `work(i)` on `count` threads released together; their results in order."""
    start = threading.Barrier(count)

    def run(i):
        start.wait()
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_migrations_build_the_schema_from_empty_and_match_the_models(settings):
    engine = sa.create_engine(
        sa.make_url(settings.database_url).set(drivername="postgresql+psycopg")
    )
    try:
        assert sa.inspect(engine).get_table_names() == []
        prepare_database(settings)
        prepare_database(settings)  # a second start changes nothing
        assert set(sa.inspect(engine).get_table_names()) == {
            "payments",
            "refunds",
            "ledger",
            "idempotency_keys",
            "alembic_version_payments",
        }
        config = alembic_config(settings, "payments")
        try:
            command.check(config)  # raises when models.py and the revisions disagree
            command.downgrade(config, "base")
        finally:
            config.attributes["engine"].dispose()
        assert sa.inspect(engine).get_table_names() == ["alembic_version_payments"]
        with engine.connect() as db:
            functions = db.scalar(
                sa.text("SELECT count(*) FROM pg_proc WHERE proname = 'ledger_refuse_change'")
            )
        assert functions == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger SET amount_cents = 1",
        "DELETE FROM ledger",
        "DELETE FROM ledger WHERE id = -1",
        "TRUNCATE ledger",
    ],
)
def test_postgres_refuses_to_rewrite_the_ledger(api, statement):
    api.charge(charge_body(), key="a")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), api.engine.begin() as db:
        db.execute(sa.text(statement))
    assert api.ledger() == [("charge", 4200)]


def test_postgres_refuses_a_refund_beyond_the_capture_even_behind_the_code(api):
    payment = api.charge(charge_body(amount_cents=500), key="a").json
    with pytest.raises(sa.exc.IntegrityError), api.engine.begin() as db:
        db.execute(sa.update(Payment).values(refunded_cents=501))
    assert api.payment(payment["id"])["refunded_cents"] == 0


def test_a_charge_its_replay_and_a_refund(api):
    body = charge_body()
    first = api.charge(body)
    assert first.status_code == 201
    again = api.charge(body)
    assert (again.text, again.headers["Idempotent-Replayed"]) == (first.text, "true")
    assert api.charge(body | {"amount_cents": 1}).status_code == 422
    assert api.refund(first.json["id"], 4200).status_code == 201
    assert api.refund(first.json["id"], 1).status_code == 409
    assert api.ledger() == [("charge", 4200), ("refund", 4200)]


def test_racing_requests_under_one_key_make_one_charge(api):
    body = charge_body()
    responses = race(RACERS, lambda _: api.charge(body))
    assert {r.status_code for r in responses} <= {201, 409}
    created = [r for r in responses if r.status_code == 201]
    assert len([r for r in created if "Idempotent-Replayed" not in r.headers]) == 1
    assert len({r.text for r in created}) == 1
    assert len(api.payments_of(body["order_id"])) == 1
    assert api.ledger() == [("charge", 4200)]


def test_racing_claims_of_one_key_have_one_winner(api, clock):
    now = clock()
    outcomes = race(
        RACERS,
        lambda _: api.repository.claim_key(
            caller="service:orders",
            key="order-1",
            request_hash="h",
            now=now,
            stale_before=now - timedelta(minutes=2),
        ),
    )
    assert len([o for o in outcomes if isinstance(o, Claim)]) == 1
    assert all(o.status == "running" for o in outcomes if isinstance(o, IdempotencyKey))


def test_racing_refunds_never_exceed_the_capture(api):
    payment = api.charge(charge_body(amount_cents=4200), key="a").json
    statuses = race(RACERS, lambda _: api.refund(payment["id"], 1000).status_code)
    assert sorted(statuses) == [201] * 4 + [409] * (RACERS - 4)
    assert api.payment(payment["id"])["refunded_cents"] == 4000
    assert api.ledger(payment["id"]) == [("charge", 4200)] + [("refund", 1000)] * 4


def test_a_taken_over_claim_cannot_complete(api, clock):
    repository, t0 = api.repository, clock()

    def claim(at):
        return repository.claim_key(
            caller="service:orders",
            key="order-2",
            request_hash="h",
            now=at,
            stale_before=at - timedelta(minutes=2),
        )

    def payment(at):
        return Payment(
            id=uuid.uuid4(),
            order_id=uuid.uuid4(),
            status=CAPTURED,
            decline_code=None,
            amount_cents=100,
            refunded_cents=0,
            currency="USD",
            card_brand="visa",
            card_last4="4242",
            created_at=at,
        )

    first = claim(t0)
    assert isinstance(claim(t0 + timedelta(minutes=1)), IdempotencyKey)  # still fresh
    later = t0 + timedelta(minutes=3)
    second = claim(later)
    assert isinstance(second, Claim)
    with pytest.raises(ClaimLost):
        repository.add_payment(payment(t0), claim=first, response=StoredResponse(201, "{}"))
    repository.release_key(first)  # lets go of nothing: the key is no longer first's
    repository.add_payment(payment(later), claim=second, response=StoredResponse(201, "{}"))
    assert api.ledger() == [("charge", 100)]
