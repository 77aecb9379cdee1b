"""The storefront's framework-free helpers."""

from __future__ import annotations

import base64
import json

import pytest

from polykit.errors import Conflict, FieldError, ServiceUnavailable
from storefront.services import (
    checkout_refusal,
    checkout_still_running,
    money_format,
    order_status_label,
    page_links,
    redirect_target,
    token_seconds_left,
    wait_format,
)


@pytest.mark.parametrize(
    ("cents", "currency", "shown"),
    [
        (1199, "USD", "$11.99"),
        (5, "usd", "$0.05"),
        (123456789, "EUR", "€1,234,567.89"),
        (2500, "GBP", "£25.00"),
        (1500, "JPY", "¥1,500"),
        (1999, "CHF", "19.99 CHF"),
    ],
)
def test_money_is_formatted_from_cents(cents, currency, shown):
    assert money_format(cents=cents, currency=currency) == shown


@pytest.mark.parametrize(
    ("page", "pages", "links"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 10, [1, 2, 3, None, 10]),
        (6, 10, [1, None, 4, 5, 6, 7, 8, None, 10]),
        (10, 10, [1, None, 8, 9, 10]),
    ],
)
def test_page_links_show_the_ends_and_the_neighbourhood(page, pages, links):
    assert page_links(page=page, pages=pages) == links


@pytest.mark.parametrize(
    ("candidate", "target"),
    [
        ("/cart", "/cart"),
        ("/?q=a&page=2", "/?q=a&page=2"),
        (None, "/"),
        ("", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/x", "/"),
        ("/ok\\..", "/"),
        ("/\x00", "/"),
    ],
)
def test_redirect_targets_stay_on_this_site(candidate, target):
    assert redirect_target(candidate=candidate) == target


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(1, "1 second"), (42, "42 seconds"), (90, "2 minutes"), (898, "15 minutes")],
)
def test_waits_are_said_in_words(seconds, said):
    assert wait_format(seconds=seconds) == said


@pytest.mark.parametrize(
    ("conflict", "running"),
    [
        (Conflict("A request with this Idempotency-Key is still running."), True),
        (Conflict("Busy.", errors=[FieldError("Idempotency-Key", "in progress")]), True),
        (Conflict("Your cart is empty."), False),
        (Conflict("Short.", errors=[FieldError("items.KIT-001", "only 1 left")]), False),
        (Conflict("Still no stock.", errors=[FieldError("items.KIT-001", "short")]), False),
        (
            Conflict(
                "This Idempotency-Key has already been used for another order.",
                errors=[FieldError("Idempotency-Key", "Use a new key for a new checkout.")],
            ),
            False,
        ),
    ],
)
def test_a_still_running_checkout_is_told_from_a_refused_cart(conflict, running):
    assert checkout_still_running(conflict=conflict) is running


class _DownCatalog:
    def products_by_sku(self, *, skus):
        raise ServiceUnavailable("down")


def test_short_stock_names_skus_when_catalog_cannot_name_products():
    conflict = Conflict("Short.", errors=[FieldError("items.KIT-001", "only 1 left.")])
    reason = checkout_refusal(conflict=conflict, catalog=_DownCatalog())
    assert reason.startswith("Not enough stock for KIT-001 (only 1 left).")


def test_a_refusal_without_detail_still_says_something():
    assert checkout_refusal(conflict=Conflict(), catalog=_DownCatalog()) == (
        "Your cart could not be checked out."
    )


def _token(claims) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJFZERTQSJ9.{payload}.sig"


@pytest.mark.parametrize(
    ("token", "left"),
    [
        (_token({"exp": 1_000_900}), 900.0),
        (_token({"exp": 999_000}), -1000.0),
        (_token({"sub": "no exp"}), None),
        (_token(["not", "an", "object"]), None),
        ("not-a-jwt", None),
        ("a.!!!.c", None),
    ],
)
def test_a_tokens_lifetime_is_read_from_its_exp(token, left):
    assert token_seconds_left(token=token, now=1_000_000) == left


@pytest.mark.parametrize(
    ("status", "label"),
    [("paid", "Paid"), ("payment_failed", "Payment failed"), ("on_hold", "On hold")],
)
def test_order_statuses_read_as_words(status, label):
    assert order_status_label(status=status) == label
