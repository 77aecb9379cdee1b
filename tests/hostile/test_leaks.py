"""No card number, CVC, password or token reaches a log line or an exported span.

A shopper does what shoppers do, through the APIs and through the storefront's pages: signs up,
logs in, opens the live notifications socket, checks out with a card; and what careless ones and
attackers do: a wrong password, a body cut short with the password in it, a card that fails the
Luhn check, a declined card. Each secret is made for this run, so that finding it anywhere in
the eight services' logs or in any string of any exported span (attribute, event, status,
resource) can only mean it leaked. Card numbers are looked for in any formatting (spaces,
dashes, dots between digits).

This module runs before the fuzzing (file order), which locks 127.0.0.1 out of password logins
for a while; it restocks what it buys.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from e2e import shop
from e2e.live import notifications_socket
from e2e.matrix import SERVICES
from e2e.shop import ADDRESS, Shopper
from e2e.storefront import StorefrontShopper, hidden_value
from e2e.waiting import poll_until

DECLINED = "4000000000000002"  # design.md's test card: declined, but a full number all the same
RNG = random.Random(uuid.uuid4().int)


def luhn_complete(prefix: str) -> str:
    """`prefix` and the check digit that makes it pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(prefix)):
        digit = int(char) * (1 if position % 2 else 2)
        total += digit - 9 if digit > 9 else digit
    return prefix + str(-total % 10)


def new_card_number(rng: random.Random) -> str:
    # A Visa-shaped number no test card or other run shares: anywhere it turns up, it leaked.
    return luhn_complete("4" + "".join(str(rng.randrange(10)) for _ in range(14)))


def card_pattern(number: str) -> re.Pattern[str]:
    """The digits in order with up to three non-digits between each: 4242 4242…, 4242-4242…"""
    return re.compile(r"\D{0,3}".join(number))


def cvc_patterns(cvc: str) -> list[re.Pattern[str]]:
    # Four digits alone could be anything (a duration, a port); next to its name, or quoted
    # as the string a form or JSON body carries, they are the CVC.
    return [re.compile(rf"(?i)cvc\W{{0,12}}{cvc}"), re.compile(rf"[\"']{cvc}[\"']")]


@dataclass
class Secrets:
    """Made for this run, so that wherever one turns up, it leaked."""

    password: str = field(default_factory=lambda: f"Pw-{uuid.uuid4().hex}-not-for-logs")
    wrong_password: str = field(default_factory=lambda: f"Wrong-{uuid.uuid4().hex}-not-for-logs")
    storefront_password: str = field(default_factory=lambda: f"Sf-{uuid.uuid4().hex}-not-for-logs")
    card: str = field(default_factory=lambda: new_card_number(RNG))
    storefront_card: str = field(default_factory=lambda: new_card_number(RNG))
    cvc: str = field(default_factory=lambda: str(RNG.randrange(7000, 8000)))
    storefront_cvc: str = field(default_factory=lambda: str(RNG.randrange(6000, 7000)))
    token: str = ""  # the shopper's, once logged in

    @property
    def not_luhn(self) -> str:
        """The card with its last digit changed: refused by the Luhn check."""
        return self.card[:-1] + str((int(self.card[-1]) + 1) % 10)


def _restocked_sku(hostile) -> str:
    sku = shop.products(page_size=1)["items"][0]["sku"]
    restock = shop.call(
        "inventory",
        "PUT",
        f"/api/stock/{sku}",
        json={"available": 500},
        headers=hostile.auth("staff"),
    )
    assert restock.status_code == 200, restock.text
    return sku


def _card(number: str, cvc: str) -> dict[str, object]:
    return {"number": number, "exp_month": 12, "exp_year": datetime.now(UTC).year + 2, "cvc": cvc}


def _api_journey(secrets: Secrets, sku: str) -> str:
    """The paid order's id."""
    shopper = Shopper(password=secrets.password).signed_up()
    secrets.token = shopper.token
    assert shopper.login(secrets.wrong_password).status_code == 401
    cut_short = f'{{"email": "{shopper.email}", "password": "{secrets.password}"'
    refused = shop.call(
        "users",
        "POST",
        "/api/tokens",
        content=cut_short,
        headers={"Content-Type": "application/json"},
    )
    assert refused.status_code == 400, refused.text

    assert shopper.set_quantity(sku, 1).status_code == 200
    invalid = shop.checkout(shopper, card=_card(secrets.not_luhn, secrets.cvc))
    assert invalid.status_code == 422, invalid.text
    declined = shop.checkout(shopper, card=_card(DECLINED, secrets.cvc))
    assert declined.status_code == 402, declined.text
    with notifications_socket(shopper.token) as socket:
        paid = shop.checkout(shopper, card=_card(secrets.card, secrets.cvc))
        assert paid.status_code == 201, paid.text
        order_id = paid.json()["id"]
        socket.wait_for("order.paid", order_id)
    assert shop.order(shopper, order_id).status_code == 200
    return order_id


def _storefront_journey(secrets: Secrets, sku: str) -> None:
    shopper = StorefrontShopper(password=secrets.storefront_password)
    try:
        # Signing up logs the shopper in.
        assert shopper.register().status_code in (302, 303)
        assert shopper.add_to_cart(sku).status_code in (302, 303)
        page = shopper.get("/checkout")
        page.raise_for_status()
        form = {
            "csrf_token": hidden_value(page.text, "csrf_token"),
            "idempotency_key": hidden_value(page.text, "idempotency_key"),
            "name": ADDRESS["name"],
            "line1": ADDRESS["line1"],
            "city": ADDRESS["city"],
            "postal_code": ADDRESS["postal_code"],
            "country": ADDRESS["country"],
            # As a person types it: in groups of four.
            "number": " ".join(re.findall(r"\d{1,4}", secrets.storefront_card)),
            "exp_month": "12",
            "exp_year": str(datetime.now(UTC).year + 2),
            "cvc": secrets.storefront_cvc,
        }
        paid = shopper.client.post("/checkout", data=form)
        assert paid.status_code == 303, paid.text
    finally:
        shopper.close()


def _everything_exported(hostile, canary: re.Pattern[str]) -> bool:
    notifications = {span.name for span in hostile.otlp.spans if span.service == "notifications"}
    return (
        hostile.services_exporting() >= {service.name for service in SERVICES}
        and any("/api/events" in name for name in notifications)
        and any(" span " in place for place in hostile.leaks({"canary": [canary]}))
    )


def test_no_secret_reaches_a_log_line_or_a_span(hostile):
    # A card number where the store logs and traces what it is sent, by design: the URL path.
    # The search must find it in both, or it is blind.
    canary = new_card_number(RNG)
    dashed = "-".join(re.findall(r"\d{1,4}", canary))
    assert shop.call("catalog", "GET", f"/api/products/{dashed}").status_code == 404

    secrets = Secrets()
    sku = _restocked_sku(hostile)
    order_id = _api_journey(secrets, sku)
    _storefront_journey(secrets, sku)
    # The paid order's event is relayed to notifications by orders' worker: once its span is
    # in, every service has had its say.
    poll_until(
        lambda: _everything_exported(hostile, card_pattern(canary)),
        timeout=30,
        what="spans from every service, the canary's among them",
    )
    assert any(".log:" in place for place in hostile.leaks({"canary": [card_pattern(canary)]}))
    assert order_id in "\n".join(place.text for place in hostile.log_lines()), "whose logs?"

    leaks = hostile.leaks(
        {
            "card number": [card_pattern(secrets.card)],
            "card number typed on the storefront": [card_pattern(secrets.storefront_card)],
            "card number that failed the Luhn check": [card_pattern(secrets.not_luhn)],
            "declined card number": [card_pattern(DECLINED)],
            "CVC": cvc_patterns(secrets.cvc),
            "CVC typed on the storefront": cvc_patterns(secrets.storefront_cvc),
            "password": [re.compile(re.escape(secrets.password))],
            "wrong password": [re.compile(re.escape(secrets.wrong_password))],
            "storefront password": [re.compile(re.escape(secrets.storefront_password))],
            # The payload (with its jti) and the signature are this token's alone.
            "access token": [re.compile(re.escape(part)) for part in secrets.token.split(".")[1:]],
            "any JWT": [hostile.JWT],
        }
    )
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks[:20])
