"""What a shopper needs to know about the store: where each part answers, the test cards, and
the header that marks every request as synthetic.

Addresses come from `<NAME>_URL` like everywhere else in polyshop (the chart sets the in-cluster
ones), with the local ports of `make up` as defaults.
"""

from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass

LOCAL_PORTS = {
    "storefront": 8080,
    "catalog": 8001,
    "cart": 8002,
    "orders": 8003,
    "users": 8006,
    "inventory": 8007,
}

# W3C baggage (https://www.w3.org/TR/baggage/): the services continue it on every call they make,
# so a span, a log line or an order can tell load from real shoppers.
SYNTHETIC_BAGGAGE = "synthetic=true"
HEADERS = {"baggage": SYNTHETIC_BAGGAGE, "User-Agent": "polyshop-loadgen/0.1"}

GOOD_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}
DECLINED_CARD = GOOD_CARD | {"number": "4000000000000002"}
ADDRESS = {
    "name": "Load Shopper",
    "line1": "1 Synthetic Street",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "GB",
}
# The share of checkouts paid with the card that is always declined.
DECLINE_SHARE = 0.1


def url(service: str) -> str:
    default = f"http://127.0.0.1:{LOCAL_PORTS[service]}"
    return os.environ.get(f"{service.upper()}_URL", default).rstrip("/")


def pick_card(rng: random.Random, decline_share: float = DECLINE_SHARE) -> tuple[dict, bool]:
    """A card and whether payments will decline it."""
    declined = rng.random() < decline_share
    return (DECLINED_CARD if declined else GOOD_CARD), declined


@dataclass
class Account:
    """A virtual shopper's own account: registered once, logged into again when its token
    expires."""

    email: str
    password: str
    name: str = "Load Shopper"
    token: str | None = None

    @classmethod
    def new(cls) -> Account:
        # example.com is reserved (RFC 2606): nothing is ever sent to these addresses.
        return cls(email=f"load-{uuid.uuid4().hex[:16]}@example.com", password=uuid.uuid4().hex * 2)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass(frozen=True)
class Staff:
    """The staff account the load generator restocks with, when it is given one; without it a
    long run empties the shelves and every checkout ends in 409."""

    email: str
    password: str

    @classmethod
    def from_env(cls) -> Staff | None:
        password = os.environ.get("STAFF_PASSWORD")
        if not password:
            return None
        return cls(os.environ.get("STAFF_EMAIL", "staff@polyshop.local"), password)


def short_skus(problem: dict) -> list[str]:
    """The SKUs a 409 from checkout names as out of stock (`errors[].field` = `items.<sku>`)."""
    return [
        error["field"].removeprefix("items.")
        for error in problem.get("errors") or []
        if str(error.get("field", "")).startswith("items.")
    ]
