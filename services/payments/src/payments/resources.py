"""The payments API's resources: each responder parses, calls one use case, writes the answer.
The YAML in their docstrings is the OpenAPI document (`GET /openapi.json`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import falcon

from payments import services
from payments.adapter import json_body, query_params, require_roles, speaks_problems
from payments.idempotency import IDEMPOTENCY_HEADER, Answer, Clock, IdempotencyKeys
from payments.repository import PaymentRepository
from payments.schemas import ChargeIn, PaymentOut, PaymentPage, PaymentQuery, RefundIn, RefundOut
from payments.services import PaymentCounters
from payments.settings import PaymentsSettings
from polykit.health import Readiness
from polykit.info import service_info
from polykit.openapi import INFO_OPERATIONS, spec_from_docstrings
from polykit.settings import framework_version

FRAMEWORK = "falcon"


@dataclass(frozen=True)
class Collaborators:
    repository: PaymentRepository
    keys: IdempotencyKeys
    clock: Clock
    counters: PaymentCounters


def write_answer(resp: falcon.Response, answer: Answer) -> None:
    # As "201 Created", not 201: the tracing middleware splits the status line of a success and
    # fails (500) on a bare int, though Falcon itself accepts one.
    resp.status = falcon.code_to_http_status(answer.status)
    resp.content_type = falcon.MEDIA_JSON
    resp.text = answer.body
    if answer.replayed:
        resp.set_header("Idempotent-Replayed", "true")


class PaymentsResource:
    def __init__(self, deps: Collaborators) -> None:
        self.deps = deps

    @falcon.before(require_roles("service"))
    @speaks_problems
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Charge a card, once per Idempotency-Key.
        ---
        summary: Charge a card (services only)
        description: >
          Captures, or declines by design.md's test cards (a decline is a 201 with status
          "declined"). The same Idempotency-Key with the same body replays the first answer
          with `Idempotent-Replayed: true`; with another body it is a 422; while the first is
          still running, a 409.
        parameters:
          - {in: header, name: Idempotency-Key, required: true, schema: {type: string, maxLength: 255}}
        requestBody:
          required: true
          content:
            application/json: {schema: {$ref: "#/components/schemas/ChargeIn"}}
        responses:
          "201":
            description: Captured or declined
            content:
              application/json: {schema: {$ref: "#/components/schemas/PaymentOut"}}
          "400": {description: "No Idempotency-Key, or a body that is not JSON"}
          "409": {description: A request with this key is still running}
          "413": {description: The body is over 16 KiB}
          "422": {description: "A field is invalid (card.number, card.exp_month, …), or the key was used with another body"}
        """  # noqa: E501
        deps = self.deps
        answer = services.payment_charge(
            repository=deps.repository,
            keys=deps.keys,
            clock=deps.clock,
            counters=deps.counters,
            caller=req.context.principal.subject,
            idempotency_key=req.get_header(IDEMPOTENCY_HEADER),
            charge=json_body(req, ChargeIn),
        )
        write_answer(resp, answer)

    @falcon.before(require_roles("service", "staff"))
    @speaks_problems
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List payments, newest first.
        ---
        summary: List payments, optionally one order's (services and staff)
        parameters:
          - {in: query, name: order_id, schema: {type: string, format: uuid}}
          - {in: query, name: page, schema: {type: integer, minimum: 1, default: 1}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100, default: 20}}
        responses:
          "200":
            description: A page of payments
            content:
              application/json: {schema: {$ref: "#/components/schemas/PaymentPage"}}
          "422": {description: A query parameter is invalid or unknown}
        """  # noqa: E501
        page = services.payment_list(
            repository=self.deps.repository, query=query_params(req, PaymentQuery)
        )
        resp.media = page.model_dump(mode="json")


class PaymentResource:
    def __init__(self, deps: Collaborators) -> None:
        self.deps = deps

    @falcon.before(require_roles("service", "staff"))
    @speaks_problems
    def on_get(self, req: falcon.Request, resp: falcon.Response, payment_id: uuid.UUID) -> None:
        """One payment, with what has been refunded so far.
        ---
        summary: One payment (services and staff)
        parameters:
          - {in: path, name: payment_id, required: true, schema: {type: string, format: uuid}}
        responses:
          "200":
            description: The payment
            content:
              application/json: {schema: {$ref: "#/components/schemas/PaymentOut"}}
          "404": {description: No such payment}
        """
        payment = services.payment_get(repository=self.deps.repository, payment_id=payment_id)
        resp.media = payment.model_dump(mode="json")


class RefundsResource:
    def __init__(self, deps: Collaborators) -> None:
        self.deps = deps

    @falcon.before(require_roles("service", "staff"))
    @speaks_problems
    def on_post(self, req: falcon.Request, resp: falcon.Response, payment_id: uuid.UUID) -> None:
        """Refund part or all of a captured payment.
        ---
        summary: Refund a captured payment (services and staff)
        description: >
          Never more than is captured and not yet refunded. An Idempotency-Key is optional;
          with one, a retry is answered as the first was rather than refunded again.
        parameters:
          - {in: path, name: payment_id, required: true, schema: {type: string, format: uuid}}
          - {in: header, name: Idempotency-Key, schema: {type: string, maxLength: 255}}
        requestBody:
          required: true
          content:
            application/json: {schema: {$ref: "#/components/schemas/RefundIn"}}
        responses:
          "201":
            description: Refunded
            content:
              application/json: {schema: {$ref: "#/components/schemas/RefundOut"}}
          "400": {description: "An Idempotency-Key that is not usable, or a body that is not JSON"}
          "404": {description: No such payment}
          "409": {description: "Not captured, or more than is left to refund"}
          "413": {description: The body is over 16 KiB}
          "422": {description: amount_cents is invalid}
        """
        deps = self.deps
        answer = services.payment_refund(
            repository=deps.repository,
            keys=deps.keys,
            clock=deps.clock,
            counters=deps.counters,
            caller=req.context.principal.subject,
            idempotency_key=req.get_header(IDEMPOTENCY_HEADER),
            payment_id=payment_id,
            refund=json_body(req, RefundIn),
        )
        write_answer(resp, answer)


class InfoResource:
    def __init__(self, settings: PaymentsSettings, readiness: Readiness) -> None:
        self.settings = settings
        self.readiness = readiness

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Which service this is, and whether it is ready (documented by INFO_OPERATIONS)."""
        ready, _ = self.readiness.check()
        resp.media = service_info(
            self.settings,
            framework=FRAMEWORK,
            framework_version=framework_version("falcon"),
            ready=ready,
        )


class OpenApiResource:
    def __init__(self, settings: PaymentsSettings) -> None:
        self.document: dict[str, Any] = spec_from_docstrings(
            title="polyshop payments",
            version=settings.service_version,
            paths={
                "/api/info": INFO_OPERATIONS,
                "/api/payments": PaymentsResource,
                "/api/payments/{payment_id}": PaymentResource,
                "/api/payments/{payment_id}/refunds": RefundsResource,
            },
            models=(ChargeIn, RefundIn, PaymentOut, PaymentPage, RefundOut),
        )
        _document_bearer_tokens(self.document)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.document


def _document_bearer_tokens(document: dict[str, Any]) -> None:
    """Every payments operation wants a bearer token: said once here, not in each docstring."""
    document["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in document["paths"].items():
        if not path.startswith("/api/payments"):
            continue
        for operation in operations.values():
            operation["security"] = [{"bearer": []}]
            responses = operation["responses"]
            responses["401"] = {"description": "No bearer token, or not a valid one"}
            responses["403"] = {"description": "The token lacks the role"}
            responses["503"] = {"description": "Tokens cannot be checked or the store is down"}
            for status, response in responses.items():
                if status >= "400":
                    response["content"] = problem
