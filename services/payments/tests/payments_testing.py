"""What both suites share: a clock the test moves, a payments app with its token issuer, and
a caller's verbs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import falcon.testing
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from payments.app import create_app
from payments.repository import PaymentRepository, session_factory
from payments.settings import PaymentsSettings
from polykit.health import Lifecycle
from polykit.stores import sync_engine
from polykit.testing import TestIssuer

VISA = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
CVC = "314"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def card(number: str = VISA, **overrides: Any) -> dict[str, Any]:
    return {"number": number, "exp_month": 12, "exp_year": 2028, "cvc": CVC} | overrides


def charge_body(number: str = VISA, **overrides: Any) -> dict[str, Any]:
    return {
        "order_id": str(uuid.uuid4()),
        "amount_cents": 4200,
        "currency": "USD",
        "card": card(number),
    } | overrides


@dataclass
class PaymentsApi:
    """The app through Falcon's test client, and tokens for each kind of caller."""

    client: falcon.testing.TestClient
    issuer: TestIssuer
    repository: PaymentRepository
    engine: sa.Engine

    def token(self, *roles: str, subject: str | None = None) -> dict[str, str]:
        if subject is None:
            subject = "service:orders" if roles == ("service",) else str(uuid.uuid4())
        return {"Authorization": f"Bearer {self.issuer.token(subject, roles=roles)}"}

    @property
    def orders(self) -> dict[str, str]:
        return self.token("service", subject="service:orders")

    @property
    def staff(self) -> dict[str, str]:
        return self.token("customer", "staff")

    def charge(
        self,
        body: Any,
        *,
        key: str | None = "key-1",
        headers: dict[str, str] | None = None,
    ) -> falcon.testing.Result:
        sent = dict(self.orders if headers is None else headers)
        if key is not None:
            sent["Idempotency-Key"] = key
        return self.client.simulate_post("/api/payments", json=body, headers=sent)

    def refund(
        self,
        payment_id: str,
        amount_cents: Any,
        *,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> falcon.testing.Result:
        sent = dict(self.orders if headers is None else headers)
        if key is not None:
            sent["Idempotency-Key"] = key
        return self.client.simulate_post(
            f"/api/payments/{payment_id}/refunds", json={"amount_cents": amount_cents}, headers=sent
        )

    def payment(self, payment_id: str) -> dict[str, Any]:
        response = self.client.simulate_get(f"/api/payments/{payment_id}", headers=self.staff)
        assert response.status_code == 200, response.text
        return response.json

    def ledger(self, payment_id: str | None = None) -> list[tuple[str, int]]:
        """(kind, amount_cents) of each ledger entry, oldest first."""
        entries = self.repository.ledger(
            payment_id=None if payment_id is None else uuid.UUID(payment_id)
        )
        return [(entry.kind, entry.amount_cents) for entry in entries]

    def payments_of(self, order_id: str) -> list[dict[str, Any]]:
        response = self.client.simulate_get(
            "/api/payments", params={"order_id": order_id}, headers=self.staff
        )
        assert response.status_code == 200, response.text
        return response.json["items"]


def payments_api(
    settings: PaymentsSettings,
    *,
    clock: FakeClock,
    repository: Callable[[sessionmaker[Session]], PaymentRepository] = PaymentRepository,
) -> PaymentsApi:
    """Migrated as it starts; `repository` lets a test give the app a failing or slow one (the
    test itself reads through a plain one)."""
    engine = sync_engine(settings)
    issuer = TestIssuer()
    app = create_app(
        settings,
        lifecycle=Lifecycle(),
        verifier=issuer.verifier(),
        engine=engine,
        clock=clock,
        repository=repository(session_factory(engine)),
    )
    return PaymentsApi(
        falcon.testing.TestClient(app), issuer, PaymentRepository(session_factory(engine)), engine
    )
