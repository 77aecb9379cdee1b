"""Cards as this pretend processor sees them: the checks a real one makes before it asks the
bank (length, Luhn, expiry, CVC), the brand told from the number, and design.md's test cards.

A `Card` never prints its number or CVC: its repr masks them, so a card in a log line or an
error message shows no more than a receipt would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from polykit.errors import FieldError, ValidationFailed

# Everything else that passes the checks is captured (4242 4242 4242 4242 among them).
TEST_DECLINES = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
}
# Cards are issued for at most a few years; a far-off expiry is a typo.
MAX_YEARS_AHEAD = 20


@dataclass(frozen=True)
class Card:
    number: str  # digits only
    exp_month: int
    exp_year: int
    cvc: str

    @property
    def brand(self) -> str:
        return card_brand(self.number)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def decline_code(self) -> str | None:
        """Why the (pretend) bank refuses this card; None when it pays."""
        return TEST_DECLINES.get(self.number)

    def __repr__(self) -> str:
        return f"Card({self.brand} ending {self.last4}, {self.exp_month:02d}/{self.exp_year})"


def card_check(*, number: str, exp_month: int, exp_year: int, cvc: str, today: date) -> Card:
    """The card, or a 422 naming every field at fault (`card.number`, `card.exp_month`, …)."""
    digits = number.replace(" ", "").replace("-", "")
    errors = []
    if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19):
        errors.append(FieldError("card.number", "must be 12 to 19 digits"))
    elif not luhn_valid(digits):
        errors.append(FieldError("card.number", "is not a valid card number (Luhn check)"))
    if not 1 <= exp_month <= 12:
        errors.append(FieldError("card.exp_month", "must be from 1 to 12"))
    if exp_year < today.year:
        errors.append(FieldError("card.exp_year", "is in the past: the card has expired"))
    elif exp_year > today.year + MAX_YEARS_AHEAD:
        errors.append(FieldError("card.exp_year", "must be a four-digit year, not far ahead"))
    elif exp_year == today.year and 1 <= exp_month < today.month:
        errors.append(FieldError("card.exp_month", "is in the past: the card has expired"))
    if not (cvc.isascii() and cvc.isdigit() and 3 <= len(cvc) <= 4):
        errors.append(FieldError("card.cvc", "must be 3 or 4 digits"))
    if errors:
        raise ValidationFailed("The card cannot be charged as given.", errors=errors)
    return Card(number=digits, exp_month=exp_month, exp_year=exp_year, cvc=cvc)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_brand(digits: str) -> str:
    """The network, from the number's leading digits (the issuer identification number)."""
    if digits.startswith("4"):
        return "visa"
    if 51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720:
        return "mastercard"
    if digits[:2] in ("34", "37"):
        return "amex"
    if (
        digits.startswith(("6011", "65"))
        or 644 <= int(digits[:3]) <= 649
        or 622126 <= int(digits[:6]) <= 622925
    ):
        return "discover"
    return "unknown"
