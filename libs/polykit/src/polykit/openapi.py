"""Pieces of the OpenAPI documents that all services share.

The kit owns the schemas every service returns (`ServiceInfo`, `Problem`), so the eight documents
describe them the same way. Frameworks that generate their document (FastAPI, DRF, sanic-ext)
use the pydantic models directly; the others build theirs with apispec from YAML in their handlers'
docstrings (`spec_from_docstrings`).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from apispec import APISpec
from apispec.yaml_utils import load_operations_from_docstring, load_yaml_from_docstring
from pydantic import BaseModel, Field

from polykit.info import ServiceInfo

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class FieldErrorModel(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error, as application/problem+json (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldErrorModel] = Field(default_factory=list)


# `GET /api/info`, the same operation in every document.
INFO_OPERATIONS: dict[str, Any] = {
    "get": {
        "summary": "Which service this is, and whether it is ready",
        "responses": {
            "200": {
                "description": "The service's identity",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ServiceInfo"}}
                },
            }
        },
    }
}


def component_schemas(*models: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """JSON schemas of models, nested definitions hoisted into components."""
    schemas: dict[str, dict[str, Any]] = {}
    for model in (ServiceInfo, Problem, *models):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def operations_from_docstrings(handler: Any) -> dict[str, Any]:
    """A function's docstring YAML keyed by method, or each `on_get`/`get` method's of a class."""
    if not inspect.isclass(handler):
        return load_operations_from_docstring(handler.__doc__ or "")
    operations = {}
    for method in HTTP_METHODS:
        for attribute in (f"on_{method}", method):
            function = getattr(handler, attribute, None)
            if function is not None and function.__doc__:
                operation = load_yaml_from_docstring(function.__doc__)
                if operation:
                    operations[method] = operation
                break
    return operations


def spec_from_docstrings(
    *,
    title: str,
    version: str,
    paths: Mapping[str, Any],  # a handler with docstring YAML, or the operations themselves
    models: tuple[type[BaseModel], ...] = (),
) -> dict[str, Any]:
    spec = APISpec(title=title, version=version, openapi_version="3.1.0")
    for name, schema in component_schemas(*models).items():
        spec.components.schema(name, schema)
    for path, handler in paths.items():
        operations = (
            handler if isinstance(handler, Mapping) else operations_from_docstrings(handler)
        )
        spec.path(path=path, operations=operations)
    return spec.to_dict()
