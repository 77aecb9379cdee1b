"""The Django admin: staff of the users service log in with their credentials there, see the
orders, and refund them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from orders_testing import DECLINED, Shop

from orders.models import Order

STAFF = ("staff@polyshop.local", "staff-password")


@pytest.fixture
def shop():
    shop = Shop()
    shop.users.accounts[STAFF[0]] = (STAFF[1], ("customer", "staff"))
    shop.users.accounts["ann@example.com"] = ("ann-password", ("customer",))
    return shop


def log_in(email, password):
    client = Client()
    response = client.post(
        "/admin/login/", {"username": email, "password": password, "next": "/admin/"}
    )
    return client, response


@pytest.fixture
def admin(shop):
    client, response = log_in(*STAFF)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def test_staff_log_in_with_their_users_credentials_and_no_password_is_kept(shop, admin):
    assert admin.get("/admin/").status_code == 200
    user = get_user_model().objects.get()
    assert (user.username, user.is_staff, user.is_superuser) == (STAFF[0], True, False)
    assert not user.has_usable_password()


@pytest.mark.parametrize(
    ("email", "password"),
    [("ann@example.com", "ann-password"), (STAFF[0], "wrong"), ("nobody@example.com", "x")],
)
def test_customers_and_bad_credentials_are_refused(shop, email, password):
    client, response = log_in(email, password)
    assert response.status_code == 200  # the form again, with its error
    assert "correct" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_users_down_refuses_the_login_without_an_error(shop):
    shop.users.down.add("login")
    _, response = log_in(*STAFF)
    assert response.status_code == 200


def test_the_admin_is_styled(shop, admin):
    response = admin.get("/static/admin/css/base.css")
    assert response.status_code == 200


def place_two(shop):
    paid = shop.shopper(("KIT-MUG-001", 1)).checkout().json()
    failed = shop.shopper(("KIT-PAN-002", 1)).checkout(card=DECLINED).json()["order"]
    return paid, failed


def test_orders_are_listed_filtered_searched_and_shown(shop, admin):
    paid, failed = place_two(shop)
    listing = admin.get("/admin/orders/order/").content.decode()
    assert paid["id"] in listing
    assert failed["id"] in listing

    only_paid = admin.get("/admin/orders/order/", {"status__exact": "paid"}).content.decode()
    assert paid["id"] in only_paid
    assert failed["id"] not in only_paid

    found = admin.get("/admin/orders/order/", {"q": failed["id"]}).content.decode()
    assert failed["id"] in found
    assert paid["id"] not in found
    buyer = Order.objects.get(pk=paid["id"]).user_id
    by_buyer = admin.get("/admin/orders/order/", {"q": buyer}).content.decode()
    assert paid["id"] in by_buyer
    assert failed["id"] not in by_buyer
    assert admin.get("/admin/orders/order/", {"q": "no such"}).status_code == 200

    page = admin.get(f"/admin/orders/order/{paid['id']}/change/").content.decode()
    assert "Stoneware Mug" in page
    assert "visa •••• 4242" in page
    assert "captured" in page


def test_the_refund_action_refunds_paid_orders_and_leaves_the_rest(shop, admin):
    paid, failed = place_two(shop)
    response = admin.post(
        "/admin/orders/order/",
        {"action": "refund", "_selected_action": [paid["id"], failed["id"]]},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Refunded 1 order" in text
    assert "cannot be refunded" in text
    assert Order.objects.get(pk=paid["id"]).status == "refunded"
    assert Order.objects.get(pk=paid["id"]).payment_status == "refunded"
    assert Order.objects.get(pk=failed["id"]).status == "payment_failed"
    assert shop.payments.captures(paid["id"]) == []

    again = admin.post(
        "/admin/orders/order/", {"action": "refund", "_selected_action": [paid["id"]]}, follow=True
    )
    assert "cannot be refunded" in again.content.decode()


def test_orders_cannot_be_edited_added_or_deleted_by_hand(shop, admin):
    paid, _ = place_two(shop)
    assert admin.get("/admin/orders/order/add/").status_code == 403
    assert admin.get(f"/admin/orders/order/{paid['id']}/delete/").status_code == 403
    admin.post(f"/admin/orders/order/{paid['id']}/change/", {"status": "cancelled"})
    assert Order.objects.get(pk=paid["id"]).status == "paid"
