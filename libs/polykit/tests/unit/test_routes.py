from __future__ import annotations

import pytest

from polykit.routes import UNMATCHED, normalise_route


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("/api/products/<sku>", "/api/products/{sku}"),  # Flask
        ("/api/items/<int:item_id>", "/api/items/{item_id}"),  # Flask converter
        ("/f/<any(a, b):kind>", "/f/{kind}"),  # Flask converter with arguments
        ("api/cart/items/<sku>", "/api/cart/items/{sku}"),  # Sanic: no leading slash
        ("api/x/<item_id:int>", "/api/x/{item_id}"),  # Sanic: name first
        ("/api/products/{sku}", "/api/products/{sku}"),  # FastAPI, Falcon, Pyramid
        ("/api/payments/{id:uuid}", "/api/payments/{id}"),  # Falcon converter
        ("/api/users/{id:\\d{3}}", "/api/users/{id}"),  # Pyramid regex with braces
        ("api/orders/<uuid:pk>", "/api/orders/{pk}"),  # Django path converter
        ("^api/orders/(?P<pk>[^/.]+)$", "/api/orders/{pk}"),  # DRF regex router
        ("/static/*subpath", "/static/{subpath}"),  # Pyramid traversal star
        ("/api/items/([^/]+)$", "/api/items/{arg1}"),  # Tornado unnamed group
        ("/api/items/(?P<sku>[^/]+)$", "/api/items/{sku}"),  # Tornado named group
        ("", "/"),
        ("/api/info", "/api/info"),
    ],
)
def test_every_framework_form_becomes_one(template, expected):
    assert normalise_route(template) == expected


def test_no_match_has_one_fixed_label():
    assert normalise_route(None) == UNMATCHED
