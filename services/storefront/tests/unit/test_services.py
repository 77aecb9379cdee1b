"""The storefront's framework-free helpers."""

from __future__ import annotations

import pytest

from storefront.services import money_format, page_links, redirect_target, wait_format


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
