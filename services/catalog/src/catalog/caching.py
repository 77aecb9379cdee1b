"""HTTP caching for the catalog's reads: a strong ETag from the body, Cache-Control, and a 304
for a client that already holds the same body (RFC 9110 §13.1.2)."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match compares weakly: `W/"x"` matches `"x"`, and `*` matches anything."""
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def cached(
    request: Request, body: bytes, *, media_type: str, max_age: int, headers: dict | None = None
) -> Response:
    etag = strong_etag(body)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"} | (headers or {})
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def cached_json(request: Request, model: BaseModel, *, max_age: int) -> Response:
    return cached(
        request, model.model_dump_json().encode(), media_type="application/json", max_age=max_age
    )
