"""The inventory API's resources: stock per SKU, and reservations of stock for orders.

Each method parses its input with the pydantic schemas, calls one use case and serializes the
answer; its docstring (below `---`) is its OpenAPI operation (see openapi.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_restful import Resource
from prometheus_client import Counter

from inventory import services
from inventory.adapter import json_body, query_args, roles_required, validated
from inventory.repository import Hold, InventoryRepository
from inventory.schemas import (
    ReservationIn,
    ReservationList,
    ReservationOut,
    ReservationQuery,
    SkuPath,
    StockIn,
    StockOut,
)
from inventory.services import Clock
from inventory.settings import InventorySettings
from polykit.health import Readiness
from polykit.info import service_info
from polykit.settings import framework_version

FRAMEWORK = "flask-restful"
DISTRIBUTION = "flask-restful"

Body = dict[str, Any]


@dataclass(frozen=True)
class Inventory:
    """What the resources work with, handed to each through `resource_class_kwargs`."""

    repository: InventoryRepository
    outcomes: Counter
    clock: Clock
    ttl: timedelta


class InfoResource(Resource):
    def __init__(self, *, settings: InventorySettings, readiness: Readiness) -> None:
        self.settings = settings
        self.readiness = readiness

    def get(self) -> dict[str, object]:
        """Which service this is, and whether it is ready (documented by INFO_OPERATIONS)."""
        ready, _ = self.readiness.check()
        return service_info(
            self.settings,
            framework=FRAMEWORK,
            framework_version=framework_version(DISTRIBUTION),
            ready=ready,
        )


class InventoryResource(Resource):
    def __init__(self, *, deps: Inventory) -> None:
        self.deps = deps


class StockResource(InventoryResource):
    method_decorators = {"put": [roles_required("staff", "service")]}

    def get(self, sku: str) -> Body:
        """How many units of a product can be reserved.
        ---
        summary: How many units of a product can be reserved
        responses:
          "200": {$ref: "#/components/responses/Stock"}
          "404": {$ref: "#/components/responses/NotFound"}
        """
        level = services.stock_get(repository=self.deps.repository, sku=sku)
        return _json(StockOut.of(level))

    def put(self, sku: str) -> Body:
        """Sets the stock of a product.
        ---
        summary: Set how many units of a product can be reserved (staff or service)
        description: A SKU inventory did not know starts being stocked.
        requestBody:
          required: true
          content:
            application/json:
              schema: {$ref: "#/components/schemas/StockIn"}
        responses:
          "200": {$ref: "#/components/responses/Stock"}
          "401": {$ref: "#/components/responses/Unauthorized"}
          "403": {$ref: "#/components/responses/Forbidden"}
          "422": {$ref: "#/components/responses/Invalid"}
        """
        sku = validated(SkuPath, {"sku": sku}).sku
        body = json_body(StockIn)
        level = services.stock_set(
            repository=self.deps.repository, sku=sku, available=body.available
        )
        return _json(StockOut.of(level))


class ReservationsResource(InventoryResource):
    method_decorators = [roles_required("service")]

    def post(self) -> tuple[Body, int]:
        """Holds stock for an order.
        ---
        summary: Hold stock for an order, all or nothing (service)
        description: >
          Asking again for the same order_id returns that order's reservation (200), whatever
          became of it. A hold not committed within RESERVATION_TTL_SECONDS expires and its
          units go back to stock.
        requestBody:
          required: true
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ReservationIn"}
        responses:
          "201": {$ref: "#/components/responses/Reservation"}
          "200": {$ref: "#/components/responses/Reservation"}
          "401": {$ref: "#/components/responses/Unauthorized"}
          "403": {$ref: "#/components/responses/Forbidden"}
          "409":
            description: Items are short, each named in `errors` as `items.<sku>`; nothing is held
            content:
              application/problem+json:
                schema: {$ref: "#/components/schemas/Problem"}
          "422": {$ref: "#/components/responses/Invalid"}
        """
        body = json_body(ReservationIn)
        hold, created = services.reservation_place(
            repository=self.deps.repository,
            outcomes=self.deps.outcomes,
            clock=self.deps.clock,
            ttl=self.deps.ttl,
            order_id=body.order_id,
            lines=body.lines(),
        )
        return _reservation(hold), 201 if created else 200

    def get(self) -> Body:
        """An order's reservation, for recovering an interrupted checkout.
        ---
        summary: An order's reservation, if it has one (service)
        parameters:
          - {name: order_id, in: query, required: true, schema: {type: string, format: uuid}}
        responses:
          "200":
            description: The order's reservation, or no items
            content:
              application/json:
                schema: {$ref: "#/components/schemas/ReservationList"}
          "401": {$ref: "#/components/responses/Unauthorized"}
          "403": {$ref: "#/components/responses/Forbidden"}
          "422": {$ref: "#/components/responses/Invalid"}
        """
        query = query_args(ReservationQuery)
        holds = services.reservations_of_order(
            repository=self.deps.repository, order_id=query.order_id
        )
        return _json(ReservationList(items=[ReservationOut.of(hold) for hold in holds]))


class ReservationResource(InventoryResource):
    method_decorators = [roles_required("service", "staff")]

    def get(self, reservation_id: uuid.UUID) -> Body:
        """One reservation.
        ---
        summary: One reservation (service or staff)
        responses:
          "200": {$ref: "#/components/responses/Reservation"}
          "401": {$ref: "#/components/responses/Unauthorized"}
          "403": {$ref: "#/components/responses/Forbidden"}
          "404": {$ref: "#/components/responses/NotFound"}
        """
        hold = services.reservation_get(
            repository=self.deps.repository, reservation_id=reservation_id
        )
        return _reservation(hold)


class CommitResource(InventoryResource):
    method_decorators = [roles_required("service", "staff")]

    def post(self, reservation_id: uuid.UUID) -> Body:
        """Commits a held reservation: its units are sold.
        ---
        summary: Commit a held reservation; its units are sold (service or staff)
        description: Committing a committed reservation answers it again.
        responses:
          "200": {$ref: "#/components/responses/Reservation"}
          "401": {$ref: "#/components/responses/Unauthorized"}
          "403": {$ref: "#/components/responses/Forbidden"}
          "404": {$ref: "#/components/responses/NotFound"}
          "409":
            description: The reservation was released or has expired
            content:
              application/problem+json:
                schema: {$ref: "#/components/schemas/Problem"}
        """
        hold = services.reservation_commit(
            repository=self.deps.repository,
            outcomes=self.deps.outcomes,
            clock=self.deps.clock,
            reservation_id=reservation_id,
        )
        return _reservation(hold)


class ReleaseResource(InventoryResource):
    method_decorators = [roles_required("service", "staff")]

    def post(self, reservation_id: uuid.UUID) -> Body:
        """Releases a held reservation: its units go back to stock.
        ---
        summary: Release a held reservation; its units go back to stock (service or staff)
        description: >
          Releasing a released or expired reservation answers it again (its units are back
          already).
        responses:
          "200": {$ref: "#/components/responses/Reservation"}
          "401": {$ref: "#/components/responses/Unauthorized"}
          "403": {$ref: "#/components/responses/Forbidden"}
          "404": {$ref: "#/components/responses/NotFound"}
          "409":
            description: The reservation was committed
            content:
              application/problem+json:
                schema: {$ref: "#/components/schemas/Problem"}
        """
        hold = services.reservation_release(
            repository=self.deps.repository,
            outcomes=self.deps.outcomes,
            clock=self.deps.clock,
            reservation_id=reservation_id,
        )
        return _reservation(hold)


class OpenApiResource(Resource):
    def __init__(self, *, document: dict[str, Any]) -> None:
        self.document = document

    def get(self) -> dict[str, Any]:
        return self.document


ROUTES: list[tuple[type[InventoryResource], str]] = [
    (StockResource, "/api/stock/<string:sku>"),
    (ReservationsResource, "/api/reservations"),
    (ReservationResource, "/api/reservations/<uuid:reservation_id>"),
    (CommitResource, "/api/reservations/<uuid:reservation_id>/commit"),
    (ReleaseResource, "/api/reservations/<uuid:reservation_id>/release"),
]


def _json(model: Any) -> Body:
    return model.model_dump(mode="json")


def _reservation(hold: Hold) -> Body:
    return _json(ReservationOut.of(hold))
