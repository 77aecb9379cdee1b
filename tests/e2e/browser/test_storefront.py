"""A shopper in a real browser: Playwright driving Debian's Chromium against the running store.

Screenshots go to SCREENSHOT_DIR when it is set (`make screenshots` writes the README's), else to
the test's temporary folder.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from e2e.matrix import BY_NAME

# Debian's Chromium as root in a container, with nothing reaching for the internet.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser(store) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_shopper_finds_a_moka_pot_signs_up_and_fills_a_cart(page: Page, shots: Path):
    store = BY_NAME["storefront"].url
    page.goto(store + "/")
    grid = page.get_by_test_id("product-grid")
    expect(grid.locator("li").first).to_be_visible()
    page.screenshot(path=shots / "storefront-home.png", full_page=False)

    page.locator("#q").fill("moka")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"q=moka"))
    first = grid.locator("li").first
    expect(first).to_contain_text(re.compile("moka", re.IGNORECASE))
    first.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/products/"))
    product_name = page.locator("h1").inner_text()

    # Anonymous: adding asks for an account, then comes back to the product.
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_role("link", name="Create an account").click()
    page.locator("#name").fill("Lin Browser")
    page.locator("#email").fill(f"lin-{uuid.uuid4().hex[:8]}@example.com")
    page.locator("#password").fill("a long browser password")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/products/"))

    page.locator("#quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("2")

    page.goto(store + "/cart")
    lines = page.get_by_test_id("cart-lines")
    expect(lines).to_contain_text(product_name)
    expect(page.get_by_test_id("subtotal")).to_contain_text("$")
    page.screenshot(path=shots / "storefront-cart.png", full_page=False)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def test_a_shopper_checks_out_and_sees_the_payment_arrive_live(browser: Browser, shots: Path):
    store = BY_NAME["storefront"].url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()

    page.goto(store + "/register")
    page.locator("#name").fill("Toast Watcher")
    page.locator("#email").fill(f"toast-{uuid.uuid4().hex[:8]}@example.com")
    page.locator("#password").fill("a long browser password")
    page.get_by_role("button", name="Create account").click()

    page.goto(store + "/?category=kitchen")
    page.get_by_test_id("product-grid").locator("li a").first.click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("1")

    # A second tab listens, as a shopper with the order history open would; it is connected
    # before the order is placed, so the toast cannot race the page load.
    watcher = context.new_page()
    watcher.goto(store + "/orders")
    expect(watcher.locator("html[data-notifications=ready]")).to_have_count(1)

    page.goto(store + "/cart")
    page.get_by_test_id("checkout-link").click()
    page.get_by_test_id("ship-name").fill("Toast Watcher")
    page.get_by_test_id("ship-line1").fill("1 Toast Street")
    page.get_by_test_id("ship-city").fill("Springfield")
    page.get_by_test_id("ship-postal-code").fill("12345")
    page.get_by_test_id("card-number").fill("4242 4242 4242 4242")
    page.get_by_test_id("card-exp-month").select_option("12")
    page.get_by_test_id("card-exp-year").select_option(str(date.today().year + 3))
    page.get_by_test_id("card-cvc").fill("123")
    page.screenshot(path=shots / "storefront-checkout.png", full_page=False)
    page.get_by_test_id("place-order").click()

    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
    order_id = page.url.rsplit("/", 1)[1]

    toast = watcher.locator(
        f'[data-testid=toast][data-event-type="order.paid"][data-order-id="{order_id}"]'
    )
    expect(toast).to_be_visible()
    watcher.screenshot(path=shots / "storefront-order-toast.png", full_page=False)
    context.close()
