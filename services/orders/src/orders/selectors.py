"""orders' reads."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from orders.models import Order
from polykit.errors import NotFound


def _orders() -> QuerySet[Order]:
    return Order.objects.prefetch_related("items")


def order_list(*, user_id: str, page: int, page_size: int) -> tuple[list[Order], int]:
    """One page of the user's orders, newest first, and how many they have in all."""
    orders = _orders().filter(user_id=user_id).order_by("-created_at", "-id")
    start = (page - 1) * page_size
    return list(orders[start : start + page_size]), orders.count()


def order_get(*, order_id: UUID, user_id: str, is_staff: bool) -> Order:
    """The order, if the caller may see it: their own, or any for staff. Another user's order
    is a 404, as if it did not exist."""
    orders = _orders() if is_staff else _orders().filter(user_id=user_id)
    order = orders.filter(pk=order_id).first()
    if order is None:
        raise NotFound("No such order.")
    return order
