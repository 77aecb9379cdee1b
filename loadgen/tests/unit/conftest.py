"""A fake store for the shoppers to walk: one small WSGI app on a loopback port answering every
path the journeys use, recording each request (method, path, headers, body) it receives."""

from __future__ import annotations

# isort: off
# Locust patches the standard library with gevent as it is imported: before the server below.
import locust  # noqa: F401

# isort: on
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gevent
import pytest
from gevent.pywsgi import WSGIServer

from loadgen.journeys import ShopperSteps

PRODUCTS = [
    {"sku": "COF-001", "name": "Assam Breakfast Loose Leaf", "category": "coffee-tea"},
    {"sku": "KIT-002", "name": "Carbon Steel Skillet", "category": "kitchen"},
    {"sku": "AUD-003", "name": "Belt-Drive Turntable", "category": "audio"},
]
CATEGORIES = [{"slug": "coffee-tea"}, {"slug": "kitchen"}, {"slug": "audio"}]
STAFF_TOKEN = "staff-token"


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeStore:
    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    # SKUs every checkout is refused for (409, short stock) until restocked.
    short: set[str] = field(default_factory=set)
    staff_token: str = STAFF_TOKEN

    def of(self, method: str, pattern: str) -> list[Seen]:
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        body = json.loads(raw) if raw else None
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        self.requests.append(Seen(method, path, environ.get("QUERY_STRING", ""), headers, body))
        status, answer = self.answer(method, path, headers, body)
        payload = json.dumps(answer).encode() if answer is not None else b"<html></html>"
        kind = "application/json" if answer is not None else "text/html"
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(payload)))])
        return [payload]

    def answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[str, Any]:
        match method, path:
            case "GET", "/api/products":
                return "200 OK", {"items": PRODUCTS, "page": 1, "page_size": 100, "total": 3}
            case "GET", "/api/categories":
                return "200 OK", {"items": CATEGORIES}
            case "POST", "/api/users":
                return "201 Created", {"id": str(uuid.uuid4()), "email": body["email"]}
            case "POST", "/api/tokens":
                token = STAFF_TOKEN if body["email"].startswith("staff@") else f"t-{body['email']}"
                return "200 OK", {"access_token": token, "token_type": "Bearer", "expires_in": 900}
            case "PUT", _ if path.startswith("/api/cart/items/"):
                return "200 OK", {"items": [], "item_count": 0}
            case "DELETE", _ if path.startswith("/api/cart/items/"):
                return "200 OK", {"items": [], "item_count": 0}
            case "POST", "/api/orders":
                if self.short:
                    errors = [{"field": f"items.{sku}", "message": "short"} for sku in self.short]
                    return "409 Conflict", {
                        "title": "Some items are out of stock.",
                        "errors": errors,
                    }
                if body["card"]["number"].endswith("0002"):
                    return "402 Payment Required", {"title": "Your card was declined."}
                return "201 Created", {"id": str(uuid.uuid4()), "status": "paid"}
            case "GET", "/api/orders":
                return "200 OK", {"items": [], "page": 1, "page_size": 20, "total": 0}
            case "GET", _ if path.startswith("/api/orders/"):
                return "200 OK", {"id": path.rsplit("/", 1)[1], "status": "paid"}
            case "PUT", _ if path.startswith("/api/stock/"):
                if headers.get("authorization") != f"Bearer {STAFF_TOKEN}":
                    return "403 Forbidden", {"title": "staff only"}
                self.short.discard(path.rsplit("/", 1)[1])
                return "200 OK", {"sku": path.rsplit("/", 1)[1], "available": body["available"]}
            case "GET", _:
                return "200 OK", None
        return "404 Not Found", {"title": "no such path"}


@pytest.fixture
def fake_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStore]:
    fake = FakeStore()
    server = WSGIServer(("127.0.0.1", 0), fake.app, log=None)
    server.start()
    fake.url = f"http://127.0.0.1:{server.server_port}"
    for name in ("storefront", "catalog", "cart", "orders", "users", "inventory"):
        monkeypatch.setenv(f"{name.upper()}_URL", fake.url)
    monkeypatch.setattr(ShopperSteps, "catalog", None)
    monkeypatch.setattr(ShopperSteps, "_staff_token", None)
    try:
        yield fake
    finally:
        server.stop(timeout=1)
        gevent.sleep(0)
