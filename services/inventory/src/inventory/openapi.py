"""inventory's OpenAPI document: each resource method's docstring YAML (below `---`), the
pydantic schemas as components, and the parts the operations share."""

from __future__ import annotations

from typing import Any

from inventory.resources import ROUTES
from inventory.schemas import (
    SKU_PATTERN,
    ReservationIn,
    ReservationList,
    ReservationOut,
    StockIn,
    StockOut,
)
from inventory.settings import InventorySettings
from polykit.openapi import INFO_OPERATIONS, spec_from_docstrings
from polykit.routes import normalise_route


def openapi_document(settings: InventorySettings) -> dict[str, Any]:
    document = spec_from_docstrings(
        title="polyshop inventory",
        version=settings.service_version,
        paths={"/api/info": INFO_OPERATIONS}
        | {normalise_route(rule): resource for resource, rule in ROUTES},
        models=(StockIn, StockOut, ReservationIn, ReservationOut, ReservationList),
    )
    for path, operations in document["paths"].items():
        for parameter in ("sku", "reservation_id"):
            if f"{{{parameter}}}" in path:
                operations["parameters"] = [_path_parameter(parameter)]
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            if "401" in operation.get("responses", {}):
                operation["security"] = [{"bearer": []}]
            if "requestBody" in operation:  # every body is read by adapter.json_body
                for status, name in (("400", "NotJson"), ("413", "TooLarge")):
                    operation["responses"].setdefault(
                        status, {"$ref": f"#/components/responses/{name}"}
                    )
    document["components"]["responses"] = RESPONSES
    document["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    return document


def _path_parameter(name: str) -> dict[str, Any]:
    schema = (
        {"type": "string", "pattern": SKU_PATTERN, "maxLength": 64}
        if name == "sku"
        else {"type": "string", "format": "uuid"}
    )
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _answer(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


RESPONSES = {
    "Stock": _answer("The product's stock", "StockOut"),
    "Reservation": _answer("The reservation", "ReservationOut"),
    "Unauthorized": _problem("No valid bearer token"),
    "Forbidden": _problem("The token lacks the role this needs"),
    "NotFound": _problem("No such stock or reservation"),
    "Invalid": _problem("A field is missing or invalid (`errors` names each)"),
    "NotJson": _problem("The body is not JSON"),
    "TooLarge": _problem("The body is over 64 KiB"),
}
