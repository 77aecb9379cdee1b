"""CSRF on every form, no open redirects, and the session cookie's flags."""

from __future__ import annotations

import re
from html import unescape

import pytest

from polykit.settings import SettingsError
from storefront.settings import StorefrontSettings

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _token(client, path: str) -> str:
    match = TOKEN.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def csrf_client(make_app):
    return make_app(csrf=True).test_client()


def test_a_post_without_a_csrf_token_is_refused(csrf_client, users):
    response = csrf_client.post(
        "/login", data={"email": "ada@example.com", "password": "correct horse"}
    )
    assert response.status_code == 400
    assert "This form has expired" in unescape(response.get_data(as_text=True))
    with csrf_client.session_transaction() as session:
        assert "token" not in session


def test_a_post_with_the_pages_csrf_token_goes_through(csrf_client):
    token = _token(csrf_client, "/login")
    response = csrf_client.post(
        "/login",
        data={"email": "ada@example.com", "password": "correct horse", "csrf_token": token},
    )
    assert response.status_code == 302


def test_cart_and_logout_forms_need_the_token_too(csrf_client, cart):
    token = _token(csrf_client, "/login")
    csrf_client.post(
        "/login",
        data={"email": "ada@example.com", "password": "correct horse", "csrf_token": token},
    )
    # Logging in starts a fresh session, and with it a fresh token.
    assert csrf_client.post("/products/KIT-001/add", data={"quantity": "1"}).status_code == 400
    assert csrf_client.post("/cart/items/KIT-001/remove").status_code == 400
    assert csrf_client.post("/logout").status_code == 400
    assert not any(cart.lines.values())

    token = _token(csrf_client, "/products/KIT-001")
    added = csrf_client.post("/products/KIT-001/add", data={"quantity": "1", "csrf_token": token})
    assert added.status_code == 302
    assert list(cart.lines.values()) == [{"KIT-001": 1}]
    page = csrf_client.get("/cart").get_data(as_text=True)
    assert len(TOKEN.findall(page)) == 3  # the line's quantity, its remove button, logout
    assert csrf_client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_the_search_form_carries_no_token(client):
    page = client.get("/").get_data(as_text=True)
    search = page.split('<form class="search"', 1)[1].split("</form>", 1)[0]
    assert 'method="get"' in search
    assert "csrf_token" not in search


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example/",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\r\nSet-Cookie: x=1",
        "evil.example",
    ],
)
def test_login_never_redirects_off_site(client, log_in, next_url):
    assert log_in(next_url=next_url).headers["Location"] == "/"


def test_login_follows_a_local_next_with_its_query(client, log_in):
    assert log_in(next_url="/?q=lamp&page=2").headers["Location"] == "/?q=lamp&page=2"


def test_the_session_cookie_is_httponly_and_samesite_lax(client, log_in):
    cookie = log_in().headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_the_session_cookie_is_secure_in_production(make_app, tmp_path, log_in):
    settings = StorefrontSettings.from_env(
        data_dir=tmp_path,
        environment="production",
        secret_key="a-real-secret",
        service_client_secret="another-real-secret",
    )
    client = make_app(settings=settings).test_client()
    response = client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    assert "Secure" in response.headers["Set-Cookie"]


def test_production_refuses_the_local_secret_key(tmp_path):
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        StorefrontSettings.from_env(
            data_dir=tmp_path, environment="production", service_client_secret="real"
        )


def test_the_cookie_holds_no_password(client, log_in):
    cookie = log_in().headers["Set-Cookie"]
    assert "correct" not in cookie
