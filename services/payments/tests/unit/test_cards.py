"""The card rules on their own: brands, Luhn, expiry and CVC, and a card that never prints."""

from __future__ import annotations

from datetime import date

import pytest

from payments.cards import card_brand, card_check, luhn_valid
from polykit.errors import ValidationFailed

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("4000056655665556", "visa"),
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("371449635398431", "amex"),
        ("6011111111111117", "discover"),
        ("6445644564456445", "discover"),
        ("6221260000000000", "discover"),
        ("3056930009020004", "unknown"),  # Diners Club
        ("3566002020360505", "unknown"),  # JCB
    ],
)
def test_the_brand_comes_from_the_leading_digits(number, brand):
    assert card_brand(number) == brand


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4242424242424242", True),
        ("4000000000000002", True),
        ("4000000000009995", True),
        ("378282246310005", True),
        ("4242424242424241", False),
        ("4000000000000001", False),
        ("1234567812345678", False),
    ],
)
def test_luhn(number, valid):
    assert luhn_valid(number) is valid


def check(**overrides):
    fields = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2028, "cvc": "314"}
    return card_check(**(fields | overrides), today=TODAY)


def fields_at_fault(**overrides) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        check(**overrides)
    return {error.field: error.message for error in caught.value.errors}


def test_a_good_card_is_read_without_spaces_or_dashes():
    card = check(number="4242 4242-4242 4242")
    assert (card.number, card.brand, card.last4) == ("4242424242424242", "visa", "4242")
    assert card.decline_code is None


@pytest.mark.parametrize(
    ("number", "code"),
    [("4000000000000002", "card_declined"), ("4000000000009995", "insufficient_funds")],
)
def test_the_declining_test_cards(number, code):
    assert check(number=number).decline_code == code


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"number": "4242424242424241"}, "card.number"),
        ({"number": "4242"}, "card.number"),
        ({"number": "42424242424242424242"}, "card.number"),
        ({"number": "4242abcd42424242"}, "card.number"),
        ({"number": "\uff14\uff12" * 8}, "card.number"),  # full-width digits
        ({"number": ""}, "card.number"),
        ({"exp_month": 0}, "card.exp_month"),
        ({"exp_month": 13}, "card.exp_month"),
        ({"exp_year": 2026, "exp_month": 2}, "card.exp_month"),
        ({"exp_year": 2025}, "card.exp_year"),
        ({"exp_year": 28}, "card.exp_year"),
        ({"exp_year": 2099}, "card.exp_year"),
        ({"cvc": "31"}, "card.cvc"),
        ({"cvc": "31415"}, "card.cvc"),
        ({"cvc": "3a4"}, "card.cvc"),
    ],
)
def test_each_rule_names_its_field(overrides, field):
    assert list(fields_at_fault(**overrides)) == [field]


def test_a_card_expiring_this_month_is_still_good():
    assert check(exp_year=2026, exp_month=3).last4 == "4242"


def test_every_fault_is_named_at_once():
    faults = fields_at_fault(number="1", exp_month=14, exp_year=2020, cvc="x")
    assert set(faults) == {"card.number", "card.exp_month", "card.exp_year", "card.cvc"}


def test_a_card_never_prints_its_number_or_cvc():
    card = check(cvc="9731")
    for text in (repr(card), str(card), f"{card}", repr([card])):
        assert "4242424242424242" not in text
        assert "9731" not in text
        assert "4242" in text
