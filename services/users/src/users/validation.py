"""openapi-core's request errors (raised by pyramid_openapi3) as the kit's problems: each field
named, in words a shopper can act on, never repeating the value sent (it may be a password)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby

from jsonschema.exceptions import ValidationError as SchemaError
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequestBodyError,
    SecurityValidationError,
)

from polykit.errors import (
    BadRequest,
    FieldError,
    ProblemError,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)

BODY = "body"
TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a JSON object",
}


def request_problem(errors: Iterable[Exception]) -> ProblemError:
    fields: list[FieldError] = []
    for error in errors:
        cause = error.__cause__
        if isinstance(cause, MediaTypeNotFound):
            return UnsupportedMediaType("Send the body as application/json.")
        if isinstance(cause, MediaTypeDeserializeError):
            return BadRequest(
                "The body is not valid JSON.", errors=[FieldError(BODY, "is not valid JSON")]
            )
        if isinstance(error, SecurityValidationError):
            return Unauthorized("This endpoint needs a bearer token.")
        if isinstance(error, MissingRequestBodyError):
            fields.append(FieldError(BODY, "is required: send a JSON object"))
        elif schema_errors := getattr(cause, "schema_errors", None):
            fields.extend(field_errors(schema_errors))
        else:
            fields.append(FieldError(getattr(error, "name", None) or BODY, "is not valid"))
    # One missing property shows up once per `required` error that lists it.
    return ValidationFailed("The request is not valid.", errors=list(dict.fromkeys(fields)))


def field_errors(errors: Iterable[SchemaError]) -> Iterator[FieldError]:
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            yield from field_errors(_closest_branch(error.context))
        elif error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    yield FieldError(_field(error, name), "is required")
        else:
            yield FieldError(_field(error), _message(error))


def _closest_branch(errors: list[SchemaError]) -> list[SchemaError]:
    """The alternative the body came nearest to: a login missing its password is told about
    the password, not about every client-credentials field as well."""

    def branch(error: SchemaError) -> int:
        return error.relative_schema_path[0]

    branches = [list(group) for _, group in groupby(sorted(errors, key=branch), key=branch)]
    return min(branches, key=len)


def _field(error: SchemaError, name: str | None = None) -> str:
    parts = [str(part) for part in error.absolute_path]
    if name is not None:
        parts.append(name)
    return ".".join(parts) or BODY


def _message(error: SchemaError) -> str:
    rule, value = error.validator, error.validator_value
    if rule == "type":
        types = [value] if isinstance(value, str) else value
        return "must be " + " or ".join(TYPE_NAMES.get(t, t) for t in types)
    if rule == "minLength":
        return "must not be empty" if value == 1 else f"must be at least {value} characters"
    if rule == "maxLength":
        return f"must be at most {value} characters"
    if rule == "format":
        return "must be an email address" if value == "email" else f"must be a valid {value}"
    if rule == "enum":
        return "must be one of " + ", ".join(map(str, value))
    if rule == "const":
        return f"must be {value}"
    return "is not valid"
