"""A shopper in a real browser: Playwright driving Debian's Chromium against the running store.

Screenshots go to SCREENSHOT_DIR when it is set (`make screenshots` writes the README's), else to
the test's temporary folder.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
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
