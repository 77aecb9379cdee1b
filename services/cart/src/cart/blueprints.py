"""The cart's HTTP API: the caller's own cart, and any shopper's cart for other services."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from prometheus_client import Counter
from sanic import Blueprint, HTTPResponse, Request
from sanic.response import empty, json
from sanic_ext import openapi

from cart.adapter import PROBLEM, json_body, no_content, protected
from cart.clients import Catalog
from cart.repository import CartStore
from cart.schemas import CartOut, QuantityIn
from cart.services import (
    Cart,
    cart_clear,
    cart_get,
    cart_remove_item,
    cart_set_quantity,
)
from cart.settings import CartSettings
from polykit.health import Readiness
from polykit.info import ServiceInfo, service_info
from polykit.settings import framework_version

FRAMEWORK = "sanic"
FRAMEWORK_VERSION = framework_version("sanic")
CART = {"application/json": openapi.Component(CartOut)}

bp = Blueprint("cart")


@dataclass(frozen=True)
class Collaborators:
    """Handed to handlers by sanic-ext's dependency injection, by type."""

    settings: CartSettings
    readiness: Readiness
    store: CartStore
    catalog: Catalog
    operations: Counter


@bp.get("/api/info")
@openapi.summary("Which service this is, and whether it is ready")
@openapi.response(
    200, {"application/json": openapi.Component(ServiceInfo)}, "The service's identity"
)
async def api_info(request: Request, deps: Collaborators) -> HTTPResponse:
    ready, _ = await deps.readiness.acheck()
    return json(
        service_info(
            deps.settings, framework=FRAMEWORK, framework_version=FRAMEWORK_VERSION, ready=ready
        )
    )


@bp.get("/api/cart")
@openapi.summary("The caller's cart")
@openapi.response(200, CART, "The cart; empty when the caller has none")
@protected("customer")
async def get_cart(request: Request, deps: Collaborators) -> HTTPResponse:
    return _cart(await cart_get(store=deps.store, user_id=request.ctx.principal.subject))


# `unquote=True`: otherwise Sanic hands path parameters over still percent-encoded.
@bp.put("/api/cart/items/<sku:str>", unquote=True)
@openapi.summary("Set how many of a product are in the caller's cart")
@openapi.description("Any quantity from 1 to 99 replaces the item's; 0 takes it out.")
@openapi.response(200, CART, "The whole cart, changed")
@openapi.response(404, PROBLEM, "Catalog has no product with this SKU")
@openapi.response(409, PROBLEM, "The cart already holds 50 different products")
@protected("customer")
@json_body(QuantityIn)
async def put_item(
    request: Request, sku: str, body: QuantityIn, deps: Collaborators
) -> HTTPResponse:
    cart = await cart_set_quantity(
        store=deps.store,
        catalog=deps.catalog,
        operations=deps.operations,
        user_id=request.ctx.principal.subject,
        sku=sku,
        quantity=body.quantity,
    )
    return _cart(cart)


@bp.delete("/api/cart/items/<sku:str>", unquote=True)
@openapi.summary("Take a product out of the caller's cart")
@openapi.response(200, CART, "The whole cart, without the product (whether or not it was in)")
@protected("customer")
async def delete_item(request: Request, sku: str, deps: Collaborators) -> HTTPResponse:
    cart = await cart_remove_item(
        store=deps.store,
        operations=deps.operations,
        user_id=request.ctx.principal.subject,
        sku=sku,
    )
    return _cart(cart)


@bp.delete("/api/cart")
@openapi.summary("Empty the caller's cart")
@no_content("The cart is empty")
@protected("customer")
async def delete_cart(request: Request, deps: Collaborators) -> HTTPResponse:
    await cart_clear(
        store=deps.store, operations=deps.operations, user_id=request.ctx.principal.subject
    )
    return empty()


@bp.get("/api/carts/<user_id:uuid>")
@openapi.summary("A shopper's cart, for other services (orders reads it at checkout)")
@openapi.response(200, CART, "The cart; empty when the shopper has none")
@openapi.response(404, PROBLEM, "user_id is not a UUID")
@protected("service")
async def get_user_cart(request: Request, user_id: UUID, deps: Collaborators) -> HTTPResponse:
    return _cart(await cart_get(store=deps.store, user_id=str(user_id)))


@bp.delete("/api/carts/<user_id:uuid>")
@openapi.summary("Empty a shopper's cart, for other services (orders, once an order is paid)")
@no_content("The cart is empty")
@openapi.response(404, PROBLEM, "user_id is not a UUID")
@protected("service")
async def delete_user_cart(request: Request, user_id: UUID, deps: Collaborators) -> HTTPResponse:
    await cart_clear(store=deps.store, operations=deps.operations, user_id=str(user_id))
    return empty()


def _cart(cart: Cart) -> HTTPResponse:
    return json(CartOut.of(cart).model_dump())
