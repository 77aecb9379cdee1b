"""orders' HTTP API, in DRF views: each parses with an Input serializer, calls one service or
selector, and answers with an Output serializer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import adapter, selectors, services
from orders.adapter import IsCustomer, IsStaff
from orders.models import Order
from polykit.errors import (
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    Conflict,
    FieldError,
    ProblemError,
    ValidationFailed,
)
from polykit.info import ServiceInfo, service_info
from polykit.settings import framework_version

MAX_KEY_LENGTH = 255
MAX_PAGE_SIZE = 100


class InfoApi(APIView):
    # Public, and deaf to the Authorization header: a stale token must not hide it.
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        summary="Which service this is, and whether it is ready",
        responses={200: ServiceInfo},
    )
    def get(self, request: Request) -> Response:
        kit = adapter.current()
        ready, _ = kit.readiness.check()
        return Response(
            service_info(
                kit.settings,
                framework="django",
                framework_version=framework_version("django"),
                ready=ready,
            )
        )


# --- input --------------------------------------------------------------------------------------


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


class CardIn(serializers.Serializer):
    """Checked here so that a typo costs no order; payments checks again and has the last word.
    The number and CVC are passed on to payments and never stored."""

    number = serializers.CharField(max_length=23)
    exp_month = serializers.IntegerField(min_value=1, max_value=12)
    exp_year = serializers.IntegerField(min_value=2000, max_value=2100)
    cvc = serializers.RegexField(r"^[0-9]{3,4}$", error_messages={"invalid": "3 or 4 digits."})

    def validate_number(self, value: str) -> str:
        digits = value.replace(" ", "").replace("-", "")
        if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19):
            raise serializers.ValidationError("A card number has 12 to 19 digits.")
        if not _luhn_valid(digits):
            raise serializers.ValidationError("This is not a valid card number.")
        return digits

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = datetime.now(UTC)
        if attrs["exp_year"] < today.year:
            raise serializers.ValidationError({"exp_year": "The card has expired."})
        if (attrs["exp_year"], attrs["exp_month"]) < (today.year, today.month):
            raise serializers.ValidationError({"exp_month": "The card has expired."})
        return attrs


class ShippingAddressIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$", error_messages={"invalid": "A two-letter country code (ISO 3166-1)."}
    )

    def validate_country(self, value: str) -> str:
        return value.upper()


class OrderIn(serializers.Serializer):
    card = CardIn()
    shipping_address = ShippingAddressIn()


class OrderListIn(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=20)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # DRF reads `?page=` as no page at all (a form's empty field); the document, and every
        # other service, call it what it is: not a number.
        blank = {
            name: [field.error_messages["invalid"]]
            for name, field in self.fields.items()
            if data.get(name) == ""
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


# --- output -------------------------------------------------------------------------------------


class OrderItemOut(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price_cents = serializers.IntegerField()


class ShippingAddressOut(serializers.Serializer):
    name = serializers.CharField(source="ship_name")
    line1 = serializers.CharField(source="ship_line1")
    line2 = serializers.CharField(source="ship_line2")
    city = serializers.CharField(source="ship_city")
    postal_code = serializers.CharField(source="ship_postal_code")
    country = serializers.CharField(source="ship_country")


class CardOut(serializers.Serializer):
    brand = serializers.CharField()
    last4 = serializers.CharField()


class PaymentOut(serializers.Serializer):
    status = serializers.CharField(help_text="captured, declined or refunded")
    card = CardOut()


class OrderOut(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Order.Status.choices)
    items = OrderItemOut(many=True)
    total_cents = serializers.IntegerField()
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    shipping_address = ShippingAddressOut(source="*")
    payment = serializers.SerializerMethodField()

    @extend_schema_field(PaymentOut(allow_null=True))
    def get_payment(self, order: Order) -> dict[str, Any] | None:
        if not order.payment_status:
            return None
        return {
            "status": order.payment_status,
            "card": {"brand": order.card_brand, "last4": order.card_last4},
        }


class OrderPageOut(serializers.Serializer):
    items = OrderOut(many=True)
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    total = serializers.IntegerField()


class FieldErrorOut(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class ProblemOut(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(required=False)
    errors = FieldErrorOut(many=True, required=False)


class OrderProblemOut(ProblemOut):
    order = OrderOut(help_text="The order as it was kept")
    decline_code = serializers.CharField(required=False)


def _problem(description: str, serializer: Any = ProblemOut) -> OpenApiResponse:
    return OpenApiResponse(response=serializer, description=description)


# --- views --------------------------------------------------------------------------------------

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "One per checkout attempt, at most 255 characters. The same key with the same body"
        " replays the first answer (with `Idempotent-Replayed: true`); with another body → 422;"
        " while the first is still running → 409. Kept 24 hours."
    ),
)


class OrderCollectionApi(APIView):
    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsCustomer()]
        return [(IsCustomer | IsStaff)()]

    @extend_schema(
        operation_id="order_list",
        summary="The caller's orders, newest first",
        parameters=[OrderListIn],
        responses={
            200: OrderPageOut,
            (422, PROBLEM_CONTENT_TYPE): _problem("A query parameter is invalid"),
        },
    )
    def get(self, request: Request) -> Response:
        query = OrderListIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, page_size = query.validated_data["page"], query.validated_data["page_size"]
        orders, total = selectors.order_list(
            user_id=request.user.principal.subject, page=page, page_size=page_size
        )
        return Response(
            OrderPageOut(
                {"items": orders, "page": page, "page_size": page_size, "total": total}
            ).data
        )

    @extend_schema(
        operation_id="order_place",
        summary="Check out the caller's cart: price, reserve, charge, and place the order",
        parameters=[IDEMPOTENCY_KEY],
        request=OrderIn,
        responses={
            201: OrderOut,
            (400, PROBLEM_CONTENT_TYPE): _problem("Malformed JSON, or no Idempotency-Key"),
            (402, PROBLEM_CONTENT_TYPE): _problem(
                "The card was declined; the order is kept as payment_failed", OrderProblemOut
            ),
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "The cart is empty, an item is no longer sold or out of stock (`errors` names"
                " `items.<sku>`), or the same key is still running"
            ),
            (422, PROBLEM_CONTENT_TYPE): _problem(
                "The body is invalid (`errors` names each field), or the key was used with"
                " another body"
            ),
            (503, PROBLEM_CONTENT_TYPE): _problem(
                "A service the checkout needs is down; an order placed meanwhile is settled"
                " by the recovery loop, and replaying the key then answers with it"
            ),
        },
    )
    def post(self, request: Request) -> HttpResponse:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise BadRequest(
                "Checking out needs an Idempotency-Key header.",
                errors=[FieldError("Idempotency-Key", "This header is required.")],
            )
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationFailed(
                errors=[FieldError("Idempotency-Key", f"At most {MAX_KEY_LENGTH} characters.")]
            )
        body = OrderIn(data=request.data)
        body.is_valid(raise_exception=True)
        deps = adapter.current().checkout
        user_id = request.user.principal.subject

        claim = services.idempotency_claim(
            deps=deps,
            user_id=user_id,
            key=key,
            request_hash=services.request_fingerprint(request.data, secret=settings.SECRET_KEY),
        )
        if isinstance(claim, services.Replay):
            return _answer(claim.status, claim.body, replayed=True)
        if isinstance(claim, Order):  # settled by the recovery loop after the first try died
            status, answer = _settled(claim, request)
            services.idempotency_complete(user_id=user_id, key=key, status=status, body=answer)
            return _answer(status, answer, replayed=True)

        try:
            order = services.order_place(
                deps=deps,
                user_id=user_id,
                idempotency_key=key,
                card=dict(body.validated_data["card"]),
                shipping=services.ShippingAddress(**body.validated_data["shipping_address"]),
            )
        except services.CheckoutDeclined as declined:
            status, answer = 402, _order_problem(declined, declined.order, request)
        except ProblemError as problem:
            if problem.status >= 500:
                services.idempotency_release(user_id=user_id, key=key)
                raise
            status, answer = problem.status, problem.body(instance=request.path)
        except BaseException:
            services.idempotency_release(user_id=user_id, key=key)
            raise
        else:
            status, answer = 201, OrderOut(order).data
        services.idempotency_complete(user_id=user_id, key=key, status=status, body=answer)
        return _answer(status, answer)


class OrderDetailApi(APIView):
    permission_classes = [IsCustomer | IsStaff]

    @extend_schema(
        operation_id="order_get",
        summary="One order: the caller's own, or any for staff",
        responses={
            200: OrderOut,
            (404, PROBLEM_CONTENT_TYPE): _problem("No such order, or another user's"),
        },
    )
    def get(self, request: Request, order_id: UUID) -> Response:
        principal = request.user.principal
        order = selectors.order_get(
            order_id=order_id, user_id=principal.subject, is_staff=principal.is_staff
        )
        return Response(OrderOut(order).data)


def _order_problem(problem: ProblemError, order: Order, request: Request) -> dict[str, Any]:
    answer = problem.body(instance=request.path) | {"order": OrderOut(order).data}
    if isinstance(problem, services.CheckoutDeclined):
        answer["decline_code"] = problem.decline_code
    return answer


def _settled(order: Order, request: Request) -> tuple[int, dict[str, Any]]:
    """The answer the first request would have given, for an order it left to the recovery
    loop."""
    if order.status == Order.Status.PAYMENT_FAILED:
        return 402, _order_problem(services.CheckoutDeclined(order, None), order, request)
    if order.status == Order.Status.CANCELLED:
        problem = Conflict("The order could not be completed and was cancelled; nothing is owed.")
        return 409, _order_problem(problem, order, request)
    return 201, OrderOut(order).data


def _answer(status: int, body: dict[str, Any], *, replayed: bool = False) -> JsonResponse:
    return JsonResponse(
        body,
        status=status,
        content_type=PROBLEM_CONTENT_TYPE if status >= 400 else "application/json",
        headers={"Idempotent-Replayed": "true"} if replayed else None,
    )
