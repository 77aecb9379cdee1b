"""Order history and order pages, and what the live toast needs: /session/socket and the script."""

from __future__ import annotations

import base64
import json
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from polykit.settings import SettingsError
from storefront.settings import StorefrontSettings


def _page(response) -> str:
    return unescape(response.get_data(as_text=True))


def _owner(users, token: str) -> str:
    return users.tokens[token].id


def test_history_lists_the_shoppers_orders_newest_first(client, shopper, users, orders):
    ada = _owner(users, shopper)
    older = orders.add(ada, skus=("KIT-001", "BOO-003"))
    newer = orders.add(ada, status="payment_failed")
    orders.add("someone-else")
    response = client.get("/orders")
    assert response.status_code == 200
    page = _page(response)
    rows = page.split('data-testid="order-row"')[1:]
    assert len(rows) == 2
    assert f'data-order-id="{newer.id}"' in rows[0]
    assert 'data-status="payment_failed">Payment failed</span>' in rows[0]
    assert f'data-order-id="{older.id}"' in rows[1]
    assert 'data-status="paid">Paid</span>' in rows[1]
    assert "2 items" in rows[1]
    assert "$23.98" in rows[1]
    assert f'href="/orders/{older.id}"' in rows[1]


def test_history_is_paginated(client, shopper, users, orders):
    ada = _owner(users, shopper)
    made = [orders.add(ada) for _ in range(12)]
    first = _page(client.get("/orders"))
    assert first.count('data-testid="order-row"') == 10
    assert f'data-order-id="{made[-1].id}"' in first
    assert 'href="/orders?page=2"' in first
    second = _page(client.get("/orders?page=2"))
    assert second.count('data-testid="order-row"') == 2
    assert f'data-order-id="{made[0].id}"' in second
    assert 'rel="prev" href="/orders"' in second


def test_no_orders_yet_says_so(client, shopper):
    assert "You have not ordered anything yet." in _page(client.get("/orders"))


def test_a_nonsense_page_number_shows_the_first_page(client, shopper, users, orders):
    orders.add(_owner(users, shopper))
    for page in ("0", "-3", "abc", "99999999"):
        assert client.get(f"/orders?page={page}").status_code == 200


def test_an_order_page_shows_items_totals_status_address_and_card(client, shopper, users, orders):
    order = orders.add(_owner(users, shopper), skus=("KIT-001", "GAR-002"))
    response = client.get(f"/orders/{order.id}")
    assert response.status_code == 200
    page = _page(response)
    assert f"Order {order.id.split('-')[0].upper()}" in page
    assert 'class="status-badge status-paid" data-testid="order-status"' in page
    items = page.split('data-testid="order-items"', 1)[1].split("</ul>", 1)[0]
    assert "Kitchen thing 1" in items
    assert "Garden thing 2" in items
    assert '<strong data-testid="order-total">$23.98</strong>' in page
    address = page.split('data-testid="order-address">', 1)[1].split("</address>", 1)[0]
    assert address == "Ada Lovelace<br>12 St James's Square<br>SW1Y 4JH London<br>GB"
    assert '<span class="card-brand">Visa</span> ending in 4242' in page


def test_a_failed_order_says_nothing_was_charged(client, shopper, users, orders):
    order = orders.add(_owner(users, shopper), status="payment_failed")
    page = _page(client.get(f"/orders/{order.id}"))
    assert "status-payment-failed" in page
    assert "nothing was charged" in page


def test_another_users_order_is_a_404_page(client, shopper, orders):
    theirs = orders.add("someone-else")
    response = client.get(f"/orders/{theirs.id}")
    assert response.status_code == 404
    page = _page(response)
    assert "We could not find that" in page
    assert theirs.id not in page


def test_a_malformed_order_id_is_a_404_without_asking_orders(client, shopper, orders):
    orders.down = True
    assert client.get("/orders/not-a-uuid").status_code == 404


def test_orders_down_is_the_friendly_503_page(client, shopper, orders):
    orders.down = True
    response = client.get("/orders")
    assert response.status_code == 503
    assert "Part of the shop is not answering" in _page(response)


@pytest.mark.parametrize("path", ["/orders", "/orders/5b1d1a52-43d6-4b5c-9d3e-3c2f1b0a9e8d"])
def test_orders_logged_out_ask_to_log_in(client, path):
    location = urlsplit(client.get(path).headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]


# --- the header and the live toast ----------------------------------------------------------


def test_the_header_links_to_orders_and_loads_the_toast_script_when_logged_in(client, shopper):
    page = _page(client.get("/"))
    assert 'href="/orders" data-testid="orders-link">Orders</a>' in page
    assert 'src="/static/notifications.js"' in page
    assert 'data-socket-endpoint="/session/socket"' in page
    assert 'data-testid="toasts"' in page


def test_logged_out_pages_have_neither(client):
    page = _page(client.get("/"))
    assert "orders-link" not in page
    assert "notifications.js" not in page


def test_the_toast_script_is_served_locally(client):
    response = client.get("/static/notifications.js")
    assert response.status_code == 200
    script = response.get_data(as_text=True)
    assert '"auth"' in script
    assert "1008" in script
    assert "://" not in script  # nothing fetched from elsewhere: the socket's URL comes from us


def test_session_socket_gives_the_url_and_the_shoppers_token(client, shopper):
    response = client.get("/session/socket")
    assert response.status_code == 200
    assert response.json == {"url": "ws://127.0.0.1:8005/ws", "token": shopper}
    assert response.headers["Cache-Control"] == "no-store"


def test_session_socket_uses_the_public_url_setting(make_app, tmp_path, log_in):
    settings = StorefrontSettings.from_env(
        data_dir=tmp_path,
        environment="test",
        notifications_public_url="wss://shop.example/ws",
    )
    client = make_app(settings=settings).test_client()
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    assert client.get("/session/socket").json["url"] == "wss://shop.example/ws"


def test_session_socket_is_401_when_logged_out(client):
    response = client.get("/session/socket")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 401
    assert response.headers["Cache-Control"] == "no-store"


def _jwt_expiring_at(exp: float) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'EdDSA'})}.{part({'sub': 'ada', 'exp': exp})}.c2ln"


def test_session_socket_is_401_once_the_token_has_expired(client, shopper):
    with client.session_transaction() as session:
        session["token"] = _jwt_expiring_at(time.time() - 5)
    assert client.get("/session/socket").status_code == 401

    live = _jwt_expiring_at(time.time() + 600)
    with client.session_transaction() as session:
        session["token"] = live
    assert client.get("/session/socket").json["token"] == live


def test_a_public_url_that_is_not_a_websocket_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="NOTIFICATIONS_PUBLIC_URL"):
        StorefrontSettings.from_env(
            data_dir=tmp_path, notifications_public_url="http://127.0.0.1:8005/ws"
        )
