"""The operator's status page: one request that asks all eight services, in one trace."""

from __future__ import annotations

import secrets

from e2e import api_client, shop
from e2e.matrix import SERVICES
from e2e.otlp import CLIENT, SERVER
from e2e.shop import Shopper
from e2e.store import StoreUnderTest, skip_or_fail
from e2e.storefront import StorefrontShopper
from e2e.waiting import poll_until


def test_status_reports_every_service_ready(store: StoreUnderTest):
    rows = api_client.store_status()
    assert [row["name"] for row in rows] == [s.name for s in SERVICES]
    for row, service in zip(rows, SERVICES, strict=True):
        assert row["framework"] == service.framework
        assert row["ready"] is True, row
        assert row["latency_ms"] >= 0


def test_status_page_shows_all_ready(store: StoreUnderTest):
    page = api_client.get("storefront", "/status").text
    assert "All services are ready." in page
    for service in SERVICES:
        assert f"<td>{service.name}</td>" in page


def test_one_status_request_is_one_trace_across_all_eight(store: StoreUnderTest):
    if store.otlp is None:
        skip_or_fail("the store was not started by the suite, so its spans go elsewhere")
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    api_client.store_status(headers={"traceparent": f"00-{trace_id}-{parent_id}-01"})

    def servers_of_all_eight():
        spans = store.otlp.trace(trace_id)
        services = {span.service for span in spans if span.kind == SERVER}
        return spans if services >= {s.name for s in SERVICES} else None

    spans = poll_until(servers_of_all_eight, timeout=30, what="server spans from all eight")
    by_id = {span.span_id: span for span in spans}

    (root,) = [s for s in spans if s.kind == SERVER and s.service == "storefront"]
    assert root.parent_span_id == parent_id
    assert root.attributes.get("http.route") == "/api/status"

    for service in SERVICES[1:]:
        (server,) = [s for s in spans if s.kind == SERVER and s.service == service.name]
        caller = by_id.get(server.parent_span_id)
        assert caller is not None, f"{service.name}'s span has no parent in the trace"
        assert caller.kind == CLIENT, caller
        assert caller.service == "storefront", caller
        assert caller.parent_span_id == root.span_id
        assert str(caller.attributes.get("url.full", "")).endswith("/api/info")


def test_one_checkout_is_one_trace_through_the_saga(store: StoreUnderTest):
    if store.otlp is None:
        skip_or_fail("the store was not started by the suite, so its spans go elsewhere")
    shopper = Shopper().signed_up()
    shopper.set_quantity(shop.products(page_size=1)["items"][0]["sku"], 1)
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    response = shop.call(
        "orders",
        "POST",
        "/api/orders",
        json={"card": shop.GOOD_CARD, "shipping_address": shop.ADDRESS},
        headers=shopper.auth
        | {"Idempotency-Key": secrets.token_hex(8), "traceparent": f"00-{trace_id}-{parent_id}-01"},
    )
    assert response.status_code == 201, response.text
    saga = {"orders", "cart", "catalog", "inventory", "payments"}

    def servers_of_the_saga():
        spans = store.otlp.trace(trace_id)
        services = {span.service for span in spans if span.kind == SERVER}
        return spans if services >= saga else None

    spans = poll_until(servers_of_the_saga, timeout=30, what="server spans of the whole saga")
    by_id = {span.span_id: span for span in spans}
    (root,) = [s for s in spans if s.kind == SERVER and s.service == "orders"]
    assert root.parent_span_id == parent_id
    for server in (s for s in spans if s.kind == SERVER and s.service in saga - {"orders"}):
        caller = by_id[server.parent_span_id]
        assert (caller.kind, caller.service) == (CLIENT, "orders"), (server.service, caller)


def test_a_storefront_checkout_is_one_trace_and_its_notification_links_to_it(
    store: StoreUnderTest,
):
    if store.otlp is None:
        skip_or_fail("the store was not started by the suite, so its spans go elsewhere")
    shopper = StorefrontShopper()
    assert shopper.register().status_code == 302
    assert shopper.add_to_cart(shop.products(page_size=1)["items"][0]["sku"]).status_code == 302
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    response = shopper.checkout(
        shop.GOOD_CARD["number"], headers={"traceparent": f"00-{trace_id}-{parent_id}-01"}
    )
    assert response.status_code == 303, response.text
    saga = {"orders", "cart", "catalog", "inventory", "payments"}

    def servers_of_the_checkout():
        spans = store.otlp.trace(trace_id)
        services = {span.service for span in spans if span.kind == SERVER}
        return spans if services >= saga | {"storefront"} else None

    spans = poll_until(servers_of_the_checkout, timeout=30, what="server spans of the checkout")
    by_id = {span.span_id: span for span in spans}
    (root,) = [s for s in spans if s.kind == SERVER and s.service == "storefront"]
    assert root.parent_span_id == parent_id
    assert root.attributes.get("http.route") == "/checkout"
    (orders,) = [s for s in spans if s.kind == SERVER and s.service == "orders"]
    assert (by_id[orders.parent_span_id].kind, by_id[orders.parent_span_id].service) == (
        CLIENT,
        "storefront",
    )
    for server in (s for s in spans if s.kind == SERVER and s.service in saga - {"orders"}):
        caller = by_id[server.parent_span_id]
        assert (caller.kind, caller.service) == (CLIENT, "orders"), (server.service, caller)

    # The worker delivers the order.paid event later, in a trace of its own linked to this one.
    def delivery():
        for deliver in store.otlp.linked_to(trace_id):
            delivered = store.otlp.trace(deliver.trace_id)
            if deliver.name == "outbox deliver" and any(
                s.kind == SERVER and s.service == "notifications" for s in delivered
            ):
                return deliver, delivered
        return None

    deliver, delivered = poll_until(delivery, timeout=30, what="the outbox delivery's spans")
    assert deliver.service == "orders"
    assert deliver.parent_span_id == ""
    ((_, origin),) = deliver.links
    assert by_id[origin].service == "orders"
    (posted,) = [s for s in delivered if s.kind == SERVER and s.service == "notifications"]
    assert posted.attributes.get("url.path") == "/api/events"  # Tornado sets no http.route
    caller = {s.span_id: s for s in delivered}[posted.parent_span_id]
    assert (caller.kind, caller.parent_span_id) == (CLIENT, deliver.span_id)
