"""Browsing: the home grid, search, category filter, pagination, product pages, images."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from polykit.http import make_client
from polykit.metrics import Metrics
from storefront.clients import CatalogClient


def _page(response) -> str:
    return unescape(response.get_data(as_text=True))


def _product_links(page: str) -> list[str]:
    return re.findall(r'href="/products/([^"/]+)"', page)


def test_home_shows_categories_and_the_first_page_of_products(client):
    response = client.get("/")
    page = _page(response)
    assert response.status_code == 200
    for name in ("Kitchen", "Garden", "Books"):
        assert name in page
    assert _product_links(page) == [f"KIT-{n:03d}" for n in range(1, 13)]
    assert "30 products" in page
    assert "$11.99" in page  # KIT-001 costs 1199 cents


def test_pagination_links_lead_to_the_next_page(client):
    first = _page(client.get("/"))
    assert 'href="/?page=2"' in first
    second = _page(client.get("/?page=2"))
    assert _product_links(second)[:2] == ["KIT-013", "KIT-014"]
    assert 'rel="prev" href="/"' in second


def test_search_finds_by_name_and_keeps_the_query_in_every_link(client):
    page = _page(client.get("/?q=garden"))
    assert set(_product_links(page)) <= {f"GAR-{n:03d}" for n in range(1, 11)}
    assert len(_product_links(page)) == 10
    assert "Results for “garden”" in page
    # Category links keep the search; the search box shows it.
    assert 'href="/?q=garden&category=books"' in page
    assert 'value="garden"' in page


def test_category_filter_keeps_the_search_and_pages(client, settings):
    page = _page(client.get("/?category=kitchen"))
    assert _product_links(page) == [f"KIT-{n:03d}" for n in range(1, 13)]
    # The search form carries the category along, and the next page keeps it.
    assert '<input type="hidden" name="category" value="kitchen">' in page
    assert 'href="/?category=kitchen&page=2"' in page
    last = _page(client.get("/?category=kitchen&page=2"))
    assert _product_links(last) == ["KIT-013", "KIT-014"]


def test_search_within_a_category_and_page_stay_together(client):
    page = _page(client.get("/?q=thing&category=kitchen&page=2"))
    assert _product_links(page) == ["KIT-013", "KIT-014"]
    assert 'href="/?q=thing&category=kitchen"' in page  # back to the first page


def test_a_search_with_no_match_says_so(client):
    page = _page(client.get("/?q=unicorn"))
    assert "No products match “unicorn”" in page
    assert _product_links(page) == []


def test_an_unknown_category_is_a_friendly_404(client):
    response = client.get("/?category=nope")
    assert response.status_code == 404
    assert "There is no such category." in _page(response)


def test_a_search_too_long_is_shown_next_to_the_box(client):
    page = _page(client.get("/?q=" + "a" * 101))
    assert '<p class="field-error">Search for at most 100 characters.</p>' in page
    assert _product_links(page)[0] == "KIT-001"


def test_control_characters_never_reach_catalog(client):
    page = _page(client.get("/?q=thing%00%0a"))
    assert "Results for “thing”" in page


@pytest.mark.parametrize("page", ["abc", "0", "-3", "99999999999"])
def test_a_nonsense_page_number_shows_the_first_page(client, page):
    response = client.get(f"/?page={page}")
    assert response.status_code == 200
    assert _product_links(_page(response))[0] == "KIT-001"


def test_a_page_past_the_end_offers_the_first(client):
    page = _page(client.get("/?page=9"))
    assert "no products on this page" in page
    assert _product_links(page) == []


def test_product_page_shows_the_product_and_an_add_to_cart_form(client):
    page = _page(client.get("/products/GAR-002"))
    assert "<h1>Garden thing 2</h1>" in page
    assert "$12.99" in page
    assert "A fine garden thing, number 2." in page
    assert 'action="/products/GAR-002/add"' in page
    assert 'name="quantity"' in page
    assert "Add to cart" in page
    assert 'src="/images/GAR-002.svg"' in page
    assert '<a href="/?category=garden">Garden</a>' in page


def test_unknown_product_is_a_friendly_404(client):
    response = client.get("/products/NOPE-1")
    assert response.status_code == 404
    page = _page(response)
    assert "We could not find that" in page
    assert "Back to the shop" in page


def test_catalog_down_is_a_friendly_503(client, catalog):
    catalog.down = True
    for path in ("/", "/products/KIT-001"):
        response = client.get(path)
        assert response.status_code == 503
        page = _page(response)
        assert "Part of the shop is not answering" in page
        assert "Traceback" not in page


# --- images, through a real CatalogClient on a fake transport --------------------------


def _catalog_on(handler) -> CatalogClient:
    metrics = Metrics(service="storefront", framework="flask", framework_version="3", version="0")
    transport = httpx.MockTransport(handler)
    return CatalogClient(make_client(metrics, base_url="http://catalog.test", transport=transport))


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"/>'


def _image_server(request: httpx.Request) -> httpx.Response:
    if request.url.path != "/images/KIT-001.svg":
        return httpx.Response(404, json={"status": 404, "title": "Not Found"})
    headers = {"ETag": '"abc"', "Cache-Control": "public, max-age=86400"}
    if request.headers.get("If-None-Match") == '"abc"':
        return httpx.Response(304, headers=headers)
    # A stream, as a real transport hands it over (content= would arrive already read).
    headers |= {"Content-Type": "image/svg+xml", "Content-Length": str(len(SVG))}
    return httpx.Response(200, stream=httpx.ByteStream(SVG), headers=headers)


def test_images_are_proxied_with_catalogs_caching_headers(make_app):
    client = make_app(catalog=_catalog_on(_image_server)).test_client()
    response = client.get("/images/KIT-001.svg")
    assert response.status_code == 200
    assert response.data == SVG
    assert response.mimetype == "image/svg+xml"
    assert response.headers["ETag"] == '"abc"'
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert "Cookie" not in response.headers.get("Vary", "")


def test_image_revalidation_is_forwarded_and_answers_304(make_app):
    client = make_app(catalog=_catalog_on(_image_server)).test_client()
    response = client.get("/images/KIT-001.svg", headers={"If-None-Match": '"abc"'})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == '"abc"'


def test_unknown_image_is_404_and_odd_names_never_reach_catalog(make_app):
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return _image_server(request)

    client = make_app(catalog=_catalog_on(handler)).test_client()
    assert client.get("/images/NOPE.svg").status_code == 404
    assert client.get("/images/..").status_code == 404
    assert client.get("/images/.hidden").status_code == 404
    assert asked == ["/images/NOPE.svg"]


def test_image_with_catalog_down_is_503_not_a_hang(make_app):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = make_app(catalog=_catalog_on(refuse)).test_client()
    assert client.get("/images/KIT-001.svg").status_code == 503
