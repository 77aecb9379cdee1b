"""What lets browsers and the storefront skip work: ETags, 304s and Cache-Control on reads, and
day-long caching of pictures that never leave their folder."""

from __future__ import annotations

import pytest

from catalog.images import ImageStore

READS = ["/api/products?page_size=3", "/api/products/KIT-MUG-001", "/api/categories"]


@pytest.mark.parametrize("path", READS)
def test_reads_carry_a_strong_etag_and_a_minute_of_caching(shop, path):
    response = shop.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    etag = response.headers["etag"]
    assert not etag.startswith("W/")
    assert shop.get(path).headers["etag"] == etag


@pytest.mark.parametrize("path", READS)
def test_a_matching_if_none_match_is_a_304_without_body(shop, path):
    etag = shop.get(path).headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = shop.get(path, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag


def test_a_stale_etag_gets_the_body(shop):
    response = shop.get("/api/categories", headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert response.json()["items"]


def test_different_answers_have_different_etags(shop):
    first = shop.get("/api/products", params={"page": 1}).headers["etag"]
    second = shop.get("/api/products", params={"page": 2}).headers["etag"]
    assert first != second


def test_errors_are_not_cached(shop):
    response = shop.get("/api/products/NO-SUCH-SKU-1")
    assert "etag" not in response.headers
    assert "cache-control" not in response.headers


def test_every_product_picture_is_served_and_cached_for_a_day(shop):
    items = shop.get("/api/products", params={"page_size": 100}).json()["items"]
    for item in items:
        response = shop.get(item["image_url"])
        assert response.status_code == 200, item["image_url"]
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.headers["cache-control"] == "public, max-age=86400"
        assert response.text.lstrip().startswith("<svg")
        again = shop.get(item["image_url"], headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304


def test_a_picture_cannot_run_script_when_opened_on_its_own(shop):
    response = shop.get("/images/KIT-MUG-001.svg")
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/images/NO-SUCH-SKU-1.svg",
        "/images/KIT-MUG-001.png",
        "/images/..%2Fapp.py",
        "/images/%2e%2e%2fapp.py",
        "/images/..%2F..%2Fpyproject.toml",
        "/images/..%5Capp.py",
        "/images/%2Fetc%2Fpasswd",
        "/images/.",
    ],
)
def test_unknown_or_escaping_picture_names_are_404_problems(shop, path):
    response = shop.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "import" not in response.text


def test_the_image_store_only_knows_the_files_in_its_folder(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "A-1.svg").write_text("<svg/>")
    (folder / "notes.txt").write_text("not a picture")
    (tmp_path / "secret.svg").write_text("<svg>secret</svg>")
    store = ImageStore(folder)
    assert store.get("A-1.svg").body == b"<svg/>"
    for name in ("../secret.svg", "notes.txt", f"{folder}/A-1.svg", ""):
        assert store.get(name) is None
