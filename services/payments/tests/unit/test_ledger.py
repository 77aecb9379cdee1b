"""The ledger: every movement, in order, and never rewritten — the repository has no way to,
and the database itself refuses."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from payments_testing import DECLINED, charge_body

from payments.repository import PaymentRepository


def test_every_movement_is_entered_in_order_and_stays_as_written(api):
    captured = api.charge(charge_body(amount_cents=5000), key="a").json
    before = api.ledger()
    api.charge(charge_body(DECLINED, amount_cents=700), key="b")
    api.refund(captured["id"], 1200)
    api.refund(captured["id"], 800)
    api.refund(captured["id"], 5000)  # refused: no entry
    assert api.ledger() == [
        ("charge", 5000),
        ("decline", 700),
        ("refund", 1200),
        ("refund", 800),
    ]
    assert api.ledger()[: len(before)] == before
    entries = api.repository.ledger()
    assert all(entry.currency == "USD" for entry in entries)
    assert entries[2].refund_id is not None


def test_the_repository_can_only_add_to_the_ledger():
    # A tripwire: a new repository method is a deliberate change to this list, and none may
    # update or delete ledger entries.
    public = {name for name in vars(PaymentRepository) if not name.startswith("_")}
    assert public == {
        "CLAIM_ATTEMPTS",
        "claim_key",
        "release_key",
        "purge_keys",
        "add_payment",
        "add_refund",
        "get_payment",
        "payments",
        "ledger",
    }


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger SET amount_cents = 1",
        "DELETE FROM ledger",
    ],
)
def test_the_database_refuses_to_rewrite_the_ledger(api, statement):
    api.charge(charge_body(), key="a")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), api.engine.begin() as db:
        db.execute(sa.text(statement))
    assert api.ledger() == [("charge", 4200)]
