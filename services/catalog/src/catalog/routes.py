"""The catalog's HTTP API: products, categories and their pictures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from prometheus_client import Counter

from catalog import services
from catalog.caching import cached, cached_json
from catalog.images import ImageStore
from catalog.repository import CatalogRepository
from catalog.schemas import CategoryList, ProductOut, ProductPage, ProductQuery
from catalog.settings import CatalogSettings
from polykit.errors import NotFound
from polykit.health import Readiness
from polykit.info import ServiceInfo, service_info
from polykit.openapi import problem_response
from polykit.settings import framework_version

FRAMEWORK = "fastapi"
FRAMEWORK_VERSION = framework_version("fastapi")
# Prices change rarely and only with a deploy; a minute of staleness costs nothing.
JSON_MAX_AGE = 60
IMAGE_MAX_AGE = 86_400
# SVG can carry script: opened on its own, a picture may draw and nothing more.
IMAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter()


@dataclass(frozen=True)
class Collaborators:
    settings: CatalogSettings
    readiness: Readiness
    repository: CatalogRepository
    images: ImageStore
    product_views: Counter


def collaborators(request: Request) -> Collaborators:
    return request.app.state.collaborators


Deps = Annotated[Collaborators, Depends(collaborators)]


CACHE_HEADERS = {
    "ETag": {"description": "Strong validator: a hash of the body", "schema": {"type": "string"}},
    "Cache-Control": {"description": "public, with a max-age", "schema": {"type": "string"}},
}
NOT_MODIFIED = {"description": "Not modified: the If-None-Match ETag still matches"}


def _cacheable(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI for a cached read from the database: 200 with validators, 304, and the 503."""
    return {
        200: {"description": description, "headers": CACHE_HEADERS},
        304: NOT_MODIFIED,
        503: problem_response("The catalog's database is not answering"),
    }


@router.get(
    "/api/info",
    response_model=ServiceInfo,
    summary="Which service this is, and whether it is ready",
)
async def api_info(deps: Deps) -> dict[str, object]:
    ready, _ = await deps.readiness.acheck()
    return service_info(
        deps.settings, framework=FRAMEWORK, framework_version=FRAMEWORK_VERSION, ready=ready
    )


@router.get(
    "/api/products",
    response_model=ProductPage,
    summary="Search, filter and page through products (sorted by name, then SKU)",
    responses=_cacheable("One page of products")
    | {422: problem_response("A query parameter is invalid; `errors` names it")},
)
async def list_products(
    request: Request, query: Annotated[ProductQuery, Query()], deps: Deps
) -> Response:
    page = await services.product_search(
        repository=deps.repository,
        q=query.q,
        category=query.category,
        skus=query.sku,
        page=query.page,
        page_size=query.page_size,
    )
    return cached_json(request, page, max_age=JSON_MAX_AGE)


@router.get(
    "/api/products/{sku}",
    response_model=ProductOut,
    summary="One product",
    responses=_cacheable("The product") | {404: problem_response("No product has this SKU")},
)
async def get_product(request: Request, sku: str, deps: Deps) -> Response:
    product = await services.product_view(
        repository=deps.repository, sku=sku, views=deps.product_views
    )
    return cached_json(request, product, max_age=JSON_MAX_AGE)


@router.get(
    "/api/categories",
    response_model=CategoryList,
    summary="Every category with its number of products",
    responses=_cacheable("The categories, in navigation order"),
)
async def list_categories(request: Request, deps: Deps) -> Response:
    categories = await services.category_list(repository=deps.repository)
    return cached_json(request, categories, max_age=JSON_MAX_AGE)


@router.get(
    "/images/{name}",
    response_class=Response,
    summary="A product's picture, as named by its `image_url`",
    responses={
        200: {
            "description": "The picture",
            "content": {"image/svg+xml": {"schema": {"type": "string", "format": "binary"}}},
            "headers": CACHE_HEADERS,
        },
        304: NOT_MODIFIED,
        404: problem_response("No picture has this name"),
    },
)
async def get_image(request: Request, name: str, deps: Deps) -> Response:
    image = deps.images.get(name)
    if image is None:
        raise NotFound("There is no such image.")
    return cached(
        request,
        image.body,
        media_type=image.media_type,
        max_age=IMAGE_MAX_AGE,
        headers=IMAGE_HEADERS,
    )
