"""Checkout: the page, the one-time key, and what the shopper sees for each answer of orders."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from polykit.errors import Conflict, FieldError, ValidationFailed
from storefront.clients import CardDeclined

KEY = re.compile(r'name="idempotency_key" type="hidden" value="([^"]*)"')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
NEXT_YEAR = str(datetime.now(UTC).year + 1)
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000000000000002"  # payments' declining test card, and the fake's
CVC = "737"


def _page(response) -> str:
    return unescape(response.get_data(as_text=True))


def _key(page: str) -> str:
    match = KEY.search(page)
    assert match, "no idempotency key on the checkout form"
    return match.group(1)


def _input(page: str, field: str) -> str:
    match = re.search(rf'<input[^>]* id="{field}"[^>]*>', page)
    assert match, f"no {field} input"
    return match.group(0)


def _field_error(page: str, field: str) -> str:
    marker = f'<p class="field-error" id="{field}-error">'
    assert marker in page, f"no error shown for {field}"
    return page.split(marker, 1)[1].split("</p>", 1)[0]


def _form(key: str, **changes: str) -> dict[str, str]:
    data = {
        "idempotency_key": key,
        "name": "Ada Lovelace",
        "line1": "12 St James's Square",
        "line2": "",
        "city": "London",
        "postal_code": "SW1Y 4JH",
        "country": "GB",
        "number": GOOD_CARD,
        "exp_month": "07",
        "exp_year": NEXT_YEAR,
        "cvc": CVC,
    }
    return data | changes


@pytest.fixture
def filled(client, shopper, cart):
    """Ada's cart holds two pans and a book; returns the checkout page's key."""
    cart.lines[shopper] = {"KIT-001": 2, "BOO-003": 1}
    return _key(_page(client.get("/checkout")))


def test_checkout_shows_the_cart_and_both_forms(client, shopper, cart):
    cart.lines[shopper] = {"KIT-001": 2, "BOO-003": 1}
    response = client.get("/checkout")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = _page(response)
    summary = page.split('data-testid="checkout-summary"', 1)[1]
    assert "Kitchen thing 1" in summary
    assert "\N{MULTIPLICATION SIGN} 2" in summary
    assert '<strong data-testid="checkout-total">$37.97</strong>' in summary
    # The browser's hints: what to autofill, which keyboard, what shape.
    assert 'autocomplete="cc-number"' in page
    assert 'inputmode="numeric"' in page
    assert 'autocomplete="cc-csc"' in page
    assert 'autocomplete="shipping postal-code"' in page
    assert '<option value="GB">United Kingdom</option>' in page
    assert re.fullmatch(r"[0-9a-f-]{36}", _key(page))
    assert 'data-testid="place-order"' in page


def test_each_rendering_of_the_form_gets_its_own_key(client, filled):
    assert _key(_page(client.get("/checkout"))) != filled


def test_checkout_logged_out_asks_to_log_in_and_comes_back(client, log_in):
    response = client.get("/checkout")
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/checkout"]
    assert log_in(next_url="/checkout").headers["Location"] == "/checkout"


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client, shopper):
    response = client.get("/checkout")
    assert response.headers["Location"] == "/cart"
    assert "Your cart is empty: add something before checking out." in _page(client.get("/cart"))


def test_the_cart_page_leads_to_checkout(client, shopper, cart):
    cart.lines[shopper] = {"KIT-001": 1}
    assert 'href="/checkout" data-testid="checkout-link"' in _page(client.get("/cart"))


def test_a_paid_order_goes_to_its_page_with_a_thank_you(client, shopper, cart, orders, filled):
    response = client.post("/checkout", data=_form(filled))
    assert response.status_code == 303
    [(_, order)] = orders.by_id.values()
    assert response.headers["Location"] == f"/orders/{order.id}"
    # What orders was sent: the page's key, the digits of the card, the address as typed.
    [placed] = orders.placed
    assert placed["key"] == filled
    assert placed["card"].number == "4242424242424242"
    assert (placed["card"].exp_month, placed["card"].exp_year) == (7, int(NEXT_YEAR))
    assert placed["shipping_address"].postal_code == "SW1Y 4JH"
    assert placed["shipping_address"].line2 is None

    page = _page(client.get(response.headers["Location"]))
    short = order.id.split("-")[0].upper()
    assert f"Thank you! Order {short} is placed and paid." in page
    assert 'data-testid="order-status" data-status="paid">Paid</span>' in page
    assert "ending in 4242" in page
    assert '<strong data-testid="order-total">$37.97</strong>' in page
    assert '<span class="badge" data-testid="cart-count">0</span>' in page


def test_sending_the_same_form_again_replays_instead_of_ordering_twice(
    client, shopper, orders, filled
):
    first = client.post("/checkout", data=_form(filled))
    again = client.post("/checkout", data=_form(filled))
    assert again.headers["Location"] == first.headers["Location"]
    assert [p["key"] for p in orders.placed] == [filled, filled]
    assert len(orders.by_id) == 1


def test_a_declined_card_shows_the_form_again_with_a_fresh_key(client, shopper, orders, filled):
    response = client.post("/checkout", data=_form(filled, number=DECLINED_CARD, exp_month="11"))
    assert response.status_code == 402
    page = _page(response)
    assert "Your card was declined." in page
    # The number and the CVC are not written back; the expiry is.
    assert 'value=""' in _input(page, "number")
    assert 'value=""' in _input(page, "cvc")
    assert DECLINED_CARD not in page
    assert CVC not in page
    assert '<option selected value="11">11</option>' in page
    assert f'<option selected value="{NEXT_YEAR}">{NEXT_YEAR}</option>' in page
    assert 'value="Ada Lovelace"' in page
    # The shopper may try another card: that is a new request, under a new key.
    assert _key(page) != filled
    assert "Kitchen thing 1" in page
    [(_, kept)] = orders.by_id.values()
    assert f'href="/orders/{kept.id}" data-testid="declined-order-link"' in page

    history = _page(client.get("/orders"))
    assert 'data-status="payment_failed">Payment failed</span>' in history


def test_short_stock_goes_back_to_the_cart_naming_the_products(client, shopper, orders, filled):
    orders.refuse = Conflict(
        "Not enough stock.",
        errors=[
            FieldError("items.KIT-001", "Only 1 left."),
            FieldError("items.GONE-1", "Only 0 left."),
        ],
    )
    response = client.post("/checkout", data=_form(filled))
    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"
    page = _page(client.get("/cart"))
    assert "Not enough stock for Kitchen thing 1 (Only 1 left); GONE-1 (Only 0 left)." in page


def test_an_emptied_cart_goes_back_to_the_cart_with_the_reason(client, shopper, cart, filled):
    cart.lines[shopper].clear()
    response = client.post("/checkout", data=_form(filled))
    assert response.headers["Location"] == "/cart"
    assert "Your cart is empty." in _page(client.get("/cart"))


def test_a_double_submit_still_running_goes_to_the_orders(client, shopper, orders, filled):
    # orders' words for it
    orders.refuse = Conflict(
        "A request with this Idempotency-Key is still being processed; try again shortly."
    )
    response = client.post("/checkout", data=_form(filled))
    assert response.headers["Location"] == "/orders"
    assert "Your order is still being placed" in _page(client.get("/orders"))


def test_insufficient_funds_says_so(client, shopper, orders, filled):
    orders.refuse = CardDeclined(
        "The card was declined (insufficient_funds).",
        decline_code="insufficient_funds",
        order_id=None,
    )
    response = client.post("/checkout", data=_form(filled))
    assert response.status_code == 402
    assert "Your card was declined: insufficient funds." in _page(response)
    assert "declined-order-link" not in _page(response)


def test_a_key_spent_long_ago_asks_to_place_the_order_again(client, shopper, orders, filled):
    orders.refuse = Conflict(
        "This Idempotency-Key has already been used for another order.",
        errors=[FieldError("Idempotency-Key", "Use a new key for a new checkout.")],
    )
    response = client.post("/checkout", data=_form(filled))
    assert response.status_code == 409
    page = _page(response)
    assert "This form was sent before" in page
    assert _key(page) != filled


def test_the_same_key_with_other_details_asks_to_place_the_order_again(
    client, shopper, orders, filled
):
    # After a 503 the key stays; the shopper then changes the address: orders refuses the key.
    orders.refuse = ValidationFailed(
        "This Idempotency-Key was used with a different request.",
        errors=[FieldError("Idempotency-Key", "Use a new key for a different request.")],
    )
    response = client.post("/checkout", data=_form(filled, city="Leeds"))
    assert response.status_code == 422
    page = _page(response)
    assert "This form was sent before with other details." in page
    assert "Use a new key" not in page
    assert _key(page) != filled


def test_orders_field_errors_land_on_the_fields(client, shopper, orders, filled):
    orders.refuse = ValidationFailed(
        "Check the card.",
        errors=[
            FieldError("card.number", "The card number is not valid."),
            FieldError("card.exp_month", "The card has expired."),
            FieldError("shipping_address.postal_code", "Not a postal code in GB."),
            FieldError("card", "Something about the card as a whole."),
        ],
    )
    response = client.post("/checkout", data=_form(filled, number="4242 4242 4242 4241"))
    assert response.status_code == 422
    page = _page(response)
    assert _field_error(page, "number") == "The card number is not valid."
    assert _field_error(page, "exp_month") == "The card has expired."
    assert _field_error(page, "postal_code") == "Not a postal code in GB."
    assert "Something about the card as a whole." in page.split('data-testid="form-errors"')[1]
    assert 'aria-invalid="true"' in page
    assert "4242424242424241" not in page
    assert "4242 4242 4242 4241" not in page
    assert 'value=""' in _input(page, "number")
    assert _key(page) != filled


def test_the_form_is_checked_before_orders_is_asked(client, shopper, orders, filled):
    response = client.post(
        "/checkout", data=_form(filled, name="", number="4242 abcd", cvc="12", exp_month="")
    )
    assert response.status_code == 422
    page = _page(response)
    assert _field_error(page, "name") == "Tell us who receives the parcel."
    assert _field_error(page, "number") == "Enter the 12 to 19 digits on the card."
    assert _field_error(page, "cvc") == "Enter the 3 or 4 digits on the back."
    assert _field_error(page, "exp_month") == "Choose the month."
    assert orders.placed == []
    # Nothing reached orders, so the same key still stands.
    assert _key(page) == filled


def test_a_country_outside_the_list_is_refused(client, shopper, orders, filled):
    response = client.post("/checkout", data=_form(filled, country="XX"))
    assert response.status_code == 422
    assert orders.placed == []


def test_a_tampered_key_is_refused_and_replaced(client, shopper, orders, filled):
    response = client.post("/checkout", data=_form("not-a-key"))
    assert response.status_code == 422
    page = _page(response)
    assert "This form is out of date" in page
    assert re.fullmatch(r"[0-9a-f-]{36}", _key(page))
    assert orders.placed == []


def test_orders_down_is_a_friendly_message_keeping_the_key(client, shopper, orders, filled):
    orders.down = True
    response = client.post("/checkout", data=_form(filled))
    assert response.status_code == 503
    page = _page(response)
    assert "Checkout is not answering right now." in page
    # If the order did go through, sending the form again must replay it, not order again.
    assert _key(page) == filled
    assert 'value=""' in _input(page, "number")


def test_an_expired_session_at_checkout_asks_to_log_in_again(client, shopper, users, filled):
    users.tokens.pop(shopper)
    response = client.post("/checkout", data=_form(filled))
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/checkout"]


def _session_cookie(app, client) -> dict:
    cookie = client.get_cookie("polyshop_session")
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_card_data_is_never_in_the_session_nor_in_the_logs(app, client, shopper, filled, caplog):
    caplog.set_level(logging.DEBUG)
    declined = client.post(
        "/checkout", data=_form(filled, number="4000 0000 0000 0002", cvc="9191")
    )
    declined_session = _session_cookie(app, client)
    again = client.post("/checkout", data=_form(_key(_page(declined))))
    client.get(again.headers["Location"])
    paid_session = _session_cookie(app, client)

    for stored in (repr(declined_session), repr(paid_session)):
        for secret in ("4000000000000002", "0002", "4242424242424242", "9191", CVC):
            assert secret not in stored
    logged = "\n".join(
        [record.getMessage() for record in caplog.records]
        + [repr(record.args) for record in caplog.records]
    )
    assert caplog.records, "nothing was logged: the check below proves nothing"
    for secret in ("4000000000000002", "4000 0000 0000 0002", "4242424242424242", "9191", CVC):
        assert secret not in logged


@pytest.fixture
def csrf_client(make_app):
    return make_app(csrf=True).test_client()


def test_checkout_needs_the_forms_csrf_token(csrf_client, cart, orders):
    login = _page(csrf_client.get("/login"))
    csrf_client.post(
        "/login",
        data={
            "email": "ada@example.com",
            "password": "correct horse",
            "csrf_token": CSRF.search(login).group(1),
        },
    )
    with csrf_client.session_transaction() as session:
        cart.lines[session["token"]] = {"KIT-001": 1}
    page = _page(csrf_client.get("/checkout"))
    key = _key(page)

    refused = csrf_client.post("/checkout", data=_form(key))
    assert refused.status_code == 400
    assert "This form has expired" in _page(refused)
    assert orders.placed == []

    token = CSRF.search(page.split('data-testid="checkout-form"', 1)[1]).group(1)
    placed = csrf_client.post("/checkout", data=_form(key, csrf_token=token))
    assert placed.status_code == 303
    assert len(orders.placed) == 1
