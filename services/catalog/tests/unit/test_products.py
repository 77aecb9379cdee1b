"""Browsing the catalog as the storefront, the cart and orders do: search, filters, pages, SKU
batches — and every bad query parameter refused by name."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def products(shop, **params):
    response = shop.get("/api/products", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def skus(page):
    return [item["sku"] for item in page["items"]]


def test_the_first_page_holds_twenty_products_sorted_by_name(shop, seed):
    page = products(shop)
    assert (page["page"], page["page_size"], page["total"]) == (1, 20, len(seed.products))
    names = [item["name"] for item in page["items"]]
    assert len(names) == 20
    assert names == sorted(names, key=str.lower)


def test_a_product_has_the_documented_shape(shop):
    item = products(shop, sku="KIT-MUG-001")["items"][0]
    assert item == {
        "sku": "KIT-MUG-001",
        "name": "Stoneware Mug, Speckled Oat",
        "description": item["description"],
        "category": "kitchen",
        "price_cents": 1800,
        "currency": "USD",
        "image_url": "/images/KIT-MUG-001.svg",
    }
    assert item["description"].endswith(".")


def test_pages_cover_every_product_once(shop, seed):
    seen = []
    for number in (1, 2, 3):
        page = products(shop, page=number, page_size=25)
        assert page["total"] == len(seed.products)
        seen += skus(page)
    assert sorted(seen) == sorted(product.sku for product in seed.products)


def test_a_page_past_the_end_is_empty_but_still_counts(shop, seed):
    page = products(shop, page=99, page_size=100)
    assert page["items"] == []
    assert page["total"] == len(seed.products)


def test_search_ignores_case_in_names_and_descriptions(shop):
    page = products(shop, q="WALNUT")
    found = set(skus(page))
    # In a name (the board and the radio) and only in a description (the speakers).
    assert {"KIT-BRD-001", "AUD-RAD-001", "AUD-SPK-001"} <= found
    assert all("walnut" in (i["name"] + " " + i["description"]).lower() for i in page["items"])
    assert page["total"] == len(found)


def test_every_word_of_a_search_must_match(shop):
    assert skus(products(shop, q="walnut radio")) == ["AUD-RAD-001"]
    assert products(shop, q="walnut kettle")["total"] == 0


def test_wildcards_in_a_search_are_literal(shop):
    assert products(shop, q="%")["total"] == 0
    assert products(shop, q="_")["total"] == 0


def test_an_empty_search_or_category_means_everything(shop, seed):
    assert products(shop, q="  ", category="")["total"] == len(seed.products)


def test_a_category_holds_only_its_products(shop, seed):
    page = products(shop, category="audio", page_size=100)
    expected = {product.sku for product in seed.products if product.category == "audio"}
    assert set(skus(page)) == expected
    assert page["total"] == len(expected)


def test_search_within_a_category(shop):
    everywhere = set(skus(products(shop, q="tea", page_size=100)))
    in_kitchen = skus(products(shop, q="tea", category="kitchen"))
    assert in_kitchen == ["KIT-TWL-001"]
    assert len(everywhere) > len(in_kitchen)


def test_an_unknown_category_is_empty_not_an_error(shop):
    page = products(shop, category="no-such-thing")
    assert (page["items"], page["total"]) == ([], 0)


def test_several_skus_at_once_skipping_unknown_ones(shop):
    page = products(shop, sku=["KIT-MUG-001", "AUD-MIC-001", "KIT-MUG-001", "NO-SUCH-SKU-1"])
    assert sorted(skus(page)) == ["AUD-MIC-001", "KIT-MUG-001"]
    assert page["total"] == 2


def test_a_batch_of_skus_comes_back_whole_without_paging(shop, seed):
    wanted = [product.sku for product in seed.products[:30]]
    page = products(shop, sku=wanted)
    assert page["page_size"] == 30
    assert sorted(skus(page)) == sorted(wanted)


def test_a_batch_can_still_be_paged(shop, seed):
    wanted = [product.sku for product in seed.products[:30]]
    page = products(shop, sku=wanted, page_size=10, page=3)
    assert (len(page["items"]), page["total"]) == (10, 30)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "x"}, "page"),
        ({"page": 10**6}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"q": "x" * 201}, "q"),
        ({"q": "mug\x00"}, "q"),
        ({"category": "x" * 65}, "category"),
        ({"category": "\x00"}, "category"),
        ({"sku": "kit-mug-001"}, "sku"),
        ({"sku": ["KIT-MUG-001", "A B"]}, "sku"),
        ({"sku": [f"SKU-{n}" for n in range(101)]}, "sku"),
        ({"pagesize": 5}, "pagesize"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_bad_query_parameter_is_a_422_naming_it(shop, params, field):
    response = shop.get("/api/products", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(name == field or name.startswith(f"{field}.") for name in fields), fields


def test_one_product_by_sku(shop):
    response = shop.get("/api/products/OUT-TNT-001")
    assert response.status_code == 200
    assert response.json()["name"] == "Two-Person Backpacking Tent"
    assert response.json()["price_cents"] == 28900


@pytest.mark.parametrize("sku", ["NO-SUCH-SKU-1", "kit-mug-001", "KIT MUG", "%00"])
def test_an_unknown_product_is_a_404_problem(shop, sku):
    response = shop.get(f"/api/products/{sku}")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 404


def test_product_views_are_counted_without_a_sku_label(shop):
    def views():
        for line in shop.get("/metrics").text.splitlines():
            if line.startswith("polyshop_product_views_total"):
                assert "{" not in line  # one series, whatever the SKU
                return float(line.split()[-1])
        return 0.0

    before = views()
    shop.get("/api/products/KIT-MUG-001")
    shop.get("/api/products/KIT-MUG-002")
    shop.get("/api/products/NO-SUCH-SKU-1")
    shop.get("/api/products")
    assert views() == before + 2


def test_categories_with_their_product_counts(shop, seed):
    response = shop.get("/api/categories")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [c["slug"] for c in items] == [category.slug for category in seed.categories]
    assert set(items[0]) == {"slug", "name", "description", "product_count"}
    assert sum(c["product_count"] for c in items) == len(seed.products)
    for category in items:
        listed = products(shop, category=category["slug"], page_size=1)
        assert listed["total"] == category["product_count"] > 0
