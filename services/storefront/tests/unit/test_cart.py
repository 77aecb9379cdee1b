"""The cart: adding from a product page (logged in or not), changing, removing, degrading."""

from __future__ import annotations

from html import unescape
from urllib.parse import parse_qs, urlsplit


def _page(response) -> str:
    return unescape(response.get_data(as_text=True))


def _login_next(response) -> str:
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    return parse_qs(location.query)["next"][0]


def test_add_to_cart_logged_out_goes_to_login_and_back_to_the_product(client, cart, log_in):
    response = client.post("/products/KIT-003/add", data={"quantity": "2"})
    assert response.status_code == 302
    assert _login_next(response) == "/products/KIT-003"

    login_page = _page(client.get(response.headers["Location"]))
    assert "Log in to add this to your cart." in login_page
    assert 'name="next" type="hidden" value="/products/KIT-003"' in login_page

    back = log_in(next_url="/products/KIT-003")
    assert back.headers["Location"] == "/products/KIT-003"
    product = _page(client.get("/products/KIT-003"))
    assert "Welcome back, Ada." in product
    assert "Hi, Ada" in product

    added = client.post("/products/KIT-003/add", data={"quantity": "2"})
    assert added.headers["Location"] == "/products/KIT-003"
    page = _page(client.get("/products/KIT-003"))
    assert "Added to your cart. You now have 2 of these." in page
    assert '<span class="badge" data-testid="cart-count">2</span>' in page


def test_adding_again_adds_to_the_line_up_to_99(client, shopper, cart):
    client.post("/products/KIT-001/add", data={"quantity": "60"})
    client.post("/products/KIT-001/add", data={"quantity": "60"})
    assert cart.lines[shopper] == {"KIT-001": 99}


def test_a_bad_quantity_is_shown_next_to_the_field(client, shopper, cart):
    response = client.post("/products/KIT-001/add", data={"quantity": "500"})
    assert response.status_code == 422
    assert "Choose 1 to 99." in _page(response)
    assert cart.lines.get(shopper, {}) == {}


def test_adding_an_unknown_product_is_a_404_page(client, shopper):
    response = client.post("/products/NOPE-9/add", data={"quantity": "1"})
    assert response.status_code == 404
    assert "We could not find that" in _page(response)


def test_cart_page_lists_lines_with_names_prices_and_subtotal(client, shopper, cart, catalog):
    cart.lines[shopper] = {"KIT-001": 2, "BOO-003": 1}
    page = _page(client.get("/cart"))
    assert "Kitchen thing 1" in page
    assert "Books thing 3" in page
    assert "$11.99 each" in page
    assert "$23.98" in page  # 2 x 11.99
    assert '<strong data-testid="subtotal">$37.97</strong>' in page  # 23.98 + 13.99
    assert 'src="/images/KIT-001.svg"' in page
    assert '<option selected value="2">2</option>' in page
    assert '<span class="badge" data-testid="cart-count">3</span>' in page
    # The product details came in one call to catalog.
    assert catalog.by_sku_calls == [["KIT-001", "BOO-003"]]


def test_changing_a_quantity_updates_the_cart(client, shopper, cart):
    cart.lines[shopper] = {"KIT-001": 2}
    response = client.post("/cart/items/KIT-001", data={"quantity": "5"})
    assert response.headers["Location"] == "/cart"
    assert cart.lines[shopper] == {"KIT-001": 5}
    page = _page(client.get("/cart"))
    assert "Your cart is updated." in page
    assert "$59.95" in page


def test_a_quantity_outside_the_choices_changes_nothing(client, shopper, cart):
    cart.lines[shopper] = {"KIT-001": 2}
    client.post("/cart/items/KIT-001", data={"quantity": "100"})
    assert cart.lines[shopper] == {"KIT-001": 2}
    assert "Choose a quantity from 1 to 99." in _page(client.get("/cart"))


def test_removing_a_line(client, shopper, cart):
    cart.lines[shopper] = {"KIT-001": 2, "GAR-001": 1}
    response = client.post("/cart/items/KIT-001/remove")
    assert response.headers["Location"] == "/cart"
    assert cart.lines[shopper] == {"GAR-001": 1}
    page = _page(client.get("/cart"))
    assert "Removed from your cart." in page
    assert "Kitchen thing 1" not in page


def test_an_empty_cart_says_so(client, shopper):
    assert "Your cart is empty." in _page(client.get("/cart"))


def test_cart_page_logged_out_asks_to_log_in_and_comes_back(client, log_in):
    response = client.get("/cart")
    assert _login_next(response) == "/cart"
    assert log_in(next_url="/cart").headers["Location"] == "/cart"


def test_an_expired_token_ends_the_session_and_asks_to_log_in_again(client, shopper, cart):
    cart.expired.add(shopper)
    response = client.get("/cart")
    assert _login_next(response) == "/cart"
    with client.session_transaction() as session:
        assert "token" not in session
        assert "name" not in session
    page = _page(client.get(response.headers["Location"]))
    assert "Your session has expired. Please log in again." in page
    assert "Hi, Ada" not in page


def test_an_expired_token_on_a_post_returns_to_the_page_of_the_form(client, shopper, cart):
    cart.expired.add(shopper)
    response = client.post("/products/KIT-002/add", data={"quantity": "1"})
    assert _login_next(response) == "/products/KIT-002"


def test_an_expired_token_while_browsing_returns_to_the_same_listing(client, shopper, cart):
    cart.expired.add(shopper)
    response = client.get("/?q=thing&page=2")
    assert _login_next(response) == "/?q=thing&page=2"


def test_catalog_down_shows_the_cart_without_details(client, shopper, cart, catalog):
    cart.lines[shopper] = {"KIT-001": 2}
    catalog.down = True
    response = client.get("/cart")
    assert response.status_code == 200
    page = _page(response)
    assert "Product details are not answering right now" in page
    assert "SKU KIT-001" in page
    assert "Subtotal" not in page


def test_cart_down_is_a_friendly_503_on_the_cart_page(client, shopper, cart):
    cart.down = True
    response = client.get("/cart")
    assert response.status_code == 503
    assert "Part of the shop is not answering" in _page(response)


def test_cart_down_only_hides_the_count_while_browsing(client, shopper, cart):
    cart.down = True
    response = client.get("/")
    assert response.status_code == 200
    page = _page(response)
    assert "Hi, Ada" in page
    assert 'data-testid="cart-count"' not in page


def test_a_product_catalog_no_longer_sells_can_still_be_removed(client, shopper, cart, catalog):
    cart.lines[shopper] = {"KIT-001": 1}
    del catalog.items["KIT-001"]
    page = _page(client.get("/cart"))
    assert "no longer sold" in page
    client.post("/cart/items/KIT-001/remove")
    assert cart.lines[shopper] == {}
