"""The Django admin for staff: orders (read-only but for the refund action) and the outbox.

Orders change state only through the services' state machine, so no field is editable here."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from orders import adapter, services
from orders.models import Order, OrderItem, OutboxEvent
from polykit.errors import ServiceUnavailable

admin.site.site_header = admin.site.site_title = "polyshop orders"
admin.site.index_title = "Operations"


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderItemInline(ReadOnly, admin.TabularInline):
    model = OrderItem
    fields = ("sku", "name", "quantity", "unit_price_cents")
    extra = 0


@admin.register(Order)
class OrderAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "user_id", "status", "total", "payment_status", "card", "created_at")
    list_filter = ("status", "payment_status", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("id", "user_id")
    search_help_text = "An order's id, or a buyer's user id."
    inlines = [OrderItemInline]
    readonly_fields = ("total", "card")
    actions = ["refund"]
    fieldsets = (
        (None, {"fields": ("id", "user_id", "status", "total", "created_at", "updated_at")}),
        ("Payment", {"fields": ("payment_id", "payment_status", "card")}),
        (
            "Shipping address",
            {
                "fields": (
                    "ship_name",
                    "ship_line1",
                    "ship_line2",
                    "ship_city",
                    "ship_postal_code",
                    "ship_country",
                )
            },
        ),
    )

    @admin.display(description="total", ordering="total_cents")
    def total(self, order: Order) -> str:
        return f"{order.total_cents / 100:,.2f} {order.currency}"

    @admin.display(description="card")
    def card(self, order: Order) -> str:
        return f"{order.card_brand} •••• {order.card_last4}" if order.card_last4 else "—"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Order], search_term: str
    ) -> tuple[QuerySet[Order], bool]:
        # Exact ids only: a substring search over UUIDs would scan every row.
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            by_id = Q(pk=UUID(term))
        except ValueError:
            by_id = Q(pk__in=[])
        return queryset.filter(by_id | Q(user_id=term)), False

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    @admin.action(description="Refund the selected paid orders", permissions=["refund"])
    def refund(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        deps = adapter.current().checkout
        refunded = 0
        for order in queryset:
            try:
                services.order_refund(deps=deps, order_id=order.id)
                refunded += 1
            except services.IllegalTransition as exc:
                self.message_user(request, f"{order.id}: {exc.detail}", messages.WARNING)
            except ServiceUnavailable as exc:
                self.message_user(request, f"{order.id}: {exc.detail}", messages.ERROR)
        if refunded:
            self.message_user(request, f"Refunded {refunded} order(s).", messages.SUCCESS)


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "type", "created_at", "delivered_at", "attempts", "next_attempt_at")
    list_filter = ("type", ("delivered_at", admin.EmptyFieldListFilter))
    fields = (
        "id",
        "type",
        "payload",
        "created_at",
        "delivered_at",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
