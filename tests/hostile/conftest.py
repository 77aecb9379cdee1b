"""The store the hostile suite attacks.

It always starts its own, from the Procfile as the e2e suite does (SQLite, fresh data folder),
because it needs two things a store started by someone else would not give it: users signs with
a key the suite made, so the suite can mint a valid token of any role; and every log line and
every exported span is the suite's to read, so the leak test can search them all. The OTLP
receiver keeps each export whole, not only the fields the e2e suite's receiver decodes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from e2e import shop, tokens
from e2e.otlp import OtlpReceiver
from e2e.store import LocalStore, traced_env

# Any JSON Web Token: a header and a payload that are base64url JSON objects, and a signature.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")


class WholeExportsReceiver(OtlpReceiver):
    """The e2e receiver, also keeping each export request as it came."""

    def __init__(self) -> None:
        super().__init__()
        self.exports: list[bytes] = []

    def _collect(self, body: bytes) -> None:
        with self._lock:
            self.exports.append(body)
        super()._collect(body)


@dataclass(frozen=True)
class Place:
    """Where a text was found: a log file and line, or a span's field."""

    where: str
    text: str


@dataclass
class HostileStore:
    JWT = JWT

    local: LocalStore
    otlp: WholeExportsReceiver
    signing_key: Ed25519PrivateKey
    kid: str

    def token(self, *roles: str, subject: str | None = None) -> str:
        return tokens.sign(
            self.signing_key, self.kid, sub=subject or str(uuid.uuid4()), roles=list(roles)
        )

    def auth(self, *roles: str, subject: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, subject=subject)}"}

    def log_lines(self) -> Iterator[Place]:
        for path in sorted((self.local.workdir / "logs").glob("*.log")):
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                yield Place(f"{path.name}:{number}", line)

    def span_texts(self) -> Iterator[Place]:
        """Every string the store exported with its spans: names, attributes (of the resource,
        the span, its events and links), status messages."""
        with self.otlp._lock:
            exports = list(self.otlp.exports)
        for body in exports:
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource_spans in request.resource_spans:
                service = _attribute(resource_spans.resource.attributes, "service.name")
                yield from _strings(f"{service} resource", resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        where = f"{service} span {span.name!r}"
                        yield Place(where, span.name)
                        yield Place(f"{where} status", span.status.message)
                        yield from _strings(where, span.attributes)
                        for event in span.events:
                            yield Place(f"{where} event", event.name)
                            yield from _strings(f"{where} event {event.name!r}", event.attributes)
                        for link in span.links:
                            yield from _strings(f"{where} link", link.attributes)

    def leaks(self, patterns: Mapping[str, Iterable[re.Pattern[str]]]) -> list[str]:
        """`what in where: text` for each log line or span string that one of `what`'s
        patterns matches."""
        return [
            f"{what} in {place.where}: {place.text[:300]}"
            for place in [*self.log_lines(), *self.span_texts()]
            for what, found in patterns.items()
            if any(pattern.search(place.text) for pattern in found)
        ]

    def services_exporting(self) -> set[str]:
        with self.otlp._lock:
            return {span.service for span in self.otlp.spans}


def _attribute(attributes, key: str) -> str:
    for attribute in attributes:
        if attribute.key == key:
            return attribute.value.string_value
    return ""


def _strings(where: str, attributes) -> Iterator[Place]:
    for attribute in attributes:
        yield Place(f"{where} {attribute.key}", attribute.key)
        yield from _values(f"{where} {attribute.key}", attribute.value)


def _values(where: str, value) -> Iterator[Place]:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        yield Place(where, value.string_value)
    elif kind == "bytes_value":
        yield Place(where, value.bytes_value.decode(errors="replace"))
    elif kind == "array_value":
        for item in value.array_value.values:
            yield from _values(where, item)
    elif kind == "kvlist_value":
        yield from _strings(where, value.kvlist_value.values)
    elif kind is not None:
        yield Place(where, str(getattr(value, kind)))


@pytest.fixture(scope="session")
def hostile(tmp_path_factory) -> Iterator[HostileStore]:
    otlp = WholeExportsReceiver().start()
    signing_key = tokens.new_key()
    env = traced_env(otlp.endpoint, tokens.pem(signing_key))
    local = LocalStore(workdir=Path(tmp_path_factory.mktemp("hostile-store")), env=env)
    print(f"\nstarting the store; logs in {local.workdir / 'logs'}")
    local.start()
    try:
        jwks = httpx.get(shop.url("users", "/.well-known/jwks.json"), timeout=10).json()
        yield HostileStore(
            local=local, otlp=otlp, signing_key=signing_key, kid=jwks["keys"][0]["kid"]
        )
    finally:
        local.stop()
        otlp.stop()
