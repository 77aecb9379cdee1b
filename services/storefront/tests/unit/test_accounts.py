"""Register, log in, log out, and what each shows when something is wrong."""

from __future__ import annotations

from html import unescape

from polykit.errors import FieldError, ValidationFailed


def _page(response) -> str:
    return unescape(response.get_data(as_text=True))


def _field_error(page: str, field: str) -> str:
    marker = f'<p class="field-error" id="{field}-error">'
    assert marker in page, f"no error shown for {field}"
    return page.split(marker, 1)[1].split("</p>", 1)[0]


def test_register_logs_the_new_shopper_in(client, users):
    response = client.post(
        "/register",
        data={"name": "Grace", "email": "grace@example.com", "password": "long enough"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = _page(client.get("/"))
    assert "Welcome to polyshop, Grace." in page
    assert "Hi, Grace" in page
    assert "grace@example.com" in users.accounts


def test_register_shows_each_field_error_next_to_the_field(client, users):
    response = client.post("/register", data={"name": "", "email": "nope", "password": "short"})
    assert response.status_code == 422
    page = _page(response)
    assert _field_error(page, "name") == "Tell us your name."
    assert _field_error(page, "email") == "Enter an email address."
    assert _field_error(page, "password") == "Use 8 to 128 characters."
    assert 'value="nope"' in page  # what was typed stays
    assert "short" not in page  # a password is never sent back
    assert len(users.accounts) == 1


def test_register_with_a_taken_email_says_so_on_the_email_field(client):
    response = client.post(
        "/register", data={"name": "Ada", "email": "ada@example.com", "password": "long enough"}
    )
    assert response.status_code == 409
    assert "already exists" in _field_error(_page(response), "email")


def test_register_maps_the_users_services_422_onto_the_form(client, users):
    users.reject = ValidationFailed(
        errors=[
            FieldError("password", "is too common"),
            FieldError("body.name", "must not be blank"),
            FieldError("captcha", "is required"),
        ]
    )
    response = client.post(
        "/register", data={"name": "Eve", "email": "eve@example.com", "password": "password1"}
    )
    assert response.status_code == 422
    page = _page(response)
    assert _field_error(page, "password") == "is too common"
    assert _field_error(page, "name") == "must not be blank"
    assert '<div class="form-errors" role="alert" data-testid="form-errors">' in page
    assert "is required" in page


def test_login_with_a_wrong_password_says_so_without_saying_which(client):
    response = client.post("/login", data={"email": "ada@example.com", "password": "wrong"})
    assert response.status_code == 422
    page = _page(response)
    assert "That email and password do not match an account." in page
    assert 'value="ada@example.com"' in page
    with client.session_transaction() as session:
        assert "token" not in session


def test_login_with_missing_fields_shows_them(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    page = _page(response)
    assert _field_error(page, "email") == "Enter your email."
    assert _field_error(page, "password") == "Enter your password."


def test_login_rate_limited_tells_how_long_to_wait(client, users):
    users.retry_after = 42
    response = client.post("/login", data={"email": "ada@example.com", "password": "wrong"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "42"
    assert "Please wait 42 seconds" in _page(response)


def test_login_with_users_down_keeps_the_form_and_explains(client, users):
    users.down = True
    response = client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    assert response.status_code == 503
    page = _page(response)
    assert "Logging in is not answering right now" in page
    assert 'value="ada@example.com"' in page


def test_logout_ends_the_session(client, shopper):
    assert "Hi, Ada" in _page(client.get("/"))
    response = client.post("/logout")
    assert response.headers["Location"] == "/"
    page = _page(client.get("/"))
    assert "You have logged out." in page
    assert "Hi, Ada" not in page
    assert client.get("/cart").headers["Location"].startswith("/login")


def test_logout_is_not_a_get(client, shopper):
    assert client.get("/logout").status_code == 405


def test_login_page_when_already_logged_in_goes_on(client, shopper):
    response = client.get("/login?next=/cart")
    assert response.headers["Location"] == "/cart"


def test_the_login_link_remembers_the_page(client):
    page = _page(client.get("/products/KIT-001"))
    assert 'href="/login?next=/products/KIT-001"' in page
