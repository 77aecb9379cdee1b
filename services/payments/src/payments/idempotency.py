"""`Idempotency-Key` with Stripe's semantics, per caller: the first request with a key runs and
its answer is stored; the same key with the same body replays that answer (`Idempotent-Replayed:
true`); with another body it is a 422; while the first is still running, a 409. A request that
fails before it completes lets go of its key, so that a retry runs afresh; one that died with its
process is taken over once its claim is stale. Keys are kept at least a day.

The atomic parts (the claim by INSERT, completing it in the work's own transaction) are the
repository's; this module decides what each state of a key means for the caller."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from payments.models import DONE, IdempotencyKey
from payments.repository import Claim, ClaimLost, KeyBusy, PaymentRepository, StoredResponse
from polykit.errors import BadRequest, Conflict, FieldError, ValidationFailed

log = logging.getLogger("polyshop.payments")

Clock = Callable[[], datetime]
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# design.md: keys are kept at least a day. Older ones are purged now and then.
KEEP_KEYS = timedelta(hours=24)
PURGE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Answer:
    """What to send back: a status and the JSON body, and whether it is a stored one replayed."""

    status: int
    body: str
    replayed: bool = False


class IdempotencyKeys:
    """Runs each request at most once per (caller, key).

    Requests are told apart by an HMAC of their body rather than the body: a charge's body
    holds a card number and a CVC, which are never stored, and a plain hash of a 16-digit number
    could be reversed by trying them all."""

    def __init__(
        self,
        repository: PaymentRepository,
        clock: Clock,
        *,
        secret: bytes,
        stale_after: timedelta,
    ) -> None:
        self.repository = repository
        self.clock = clock
        self.secret = secret
        self.stale_after = stale_after
        self._next_purge: datetime | None = None
        self._purge_lock = threading.Lock()

    def request_hash(self, operation: str, body: Mapping[str, Any]) -> str:
        canonical = json.dumps([operation, body], sort_keys=True, separators=(",", ":"))
        return hmac.new(self.secret, canonical.encode(), hashlib.sha256).hexdigest()

    def run(
        self,
        *,
        caller: str,
        key: str,
        request_hash: str,
        execute: Callable[[Claim], StoredResponse],
    ) -> Answer:
        """`execute` does the work and must complete the claim in the same transaction."""
        now = self.clock()
        self._purge_now_and_then(now)
        try:
            held = self.repository.claim_key(
                caller=caller,
                key=key,
                request_hash=request_hash,
                now=now,
                stale_before=now - self.stale_after,
            )
        except KeyBusy:
            raise _still_running() from None
        if isinstance(held, IdempotencyKey):
            return _stored_answer(held, request_hash)
        try:
            response = execute(held)
        except ClaimLost:
            raise Conflict(
                f"A later request with this {IDEMPOTENCY_HEADER} took over; retry to get its"
                " answer."
            ) from None
        except BaseException:
            self._release(held)
            raise
        return Answer(response.status, response.body)

    def _release(self, claim: Claim) -> None:
        try:
            self.repository.release_key(claim)
        except Exception:
            # The store is failing too: the claim goes stale and the next retry takes it over.
            log.warning("could not release an idempotency key after a failure", exc_info=True)

    def _purge_now_and_then(self, now: datetime) -> None:
        with self._purge_lock:
            if self._next_purge is not None and now < self._next_purge:
                return
            self._next_purge = now + PURGE_EVERY
        purged = self.repository.purge_keys(before=now - KEEP_KEYS)
        if purged:
            log.info("purged %d idempotency keys older than %s", purged, KEEP_KEYS)


def _stored_answer(held: IdempotencyKey, request_hash: str) -> Answer:
    if not hmac.compare_digest(held.request_hash, request_hash):
        raise ValidationFailed(
            f"This {IDEMPOTENCY_HEADER} was already used with a different request.",
            errors=[FieldError(IDEMPOTENCY_HEADER, "was used before with a different body")],
        )
    if held.status != DONE or held.response_status is None or held.response_body is None:
        raise _still_running()
    return Answer(held.response_status, held.response_body, replayed=True)


def _still_running() -> Conflict:
    return Conflict(
        f"A request with this {IDEMPOTENCY_HEADER} is still being processed; retry shortly.",
        headers={"Retry-After": "1"},
    )


def idempotency_key_check(key: str | None) -> str:
    if key is None or not key.strip():
        raise BadRequest(
            f"Send an {IDEMPOTENCY_HEADER} header: a unique string per payment attempt.",
            errors=[FieldError(IDEMPOTENCY_HEADER, "is required")],
        )
    if len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise BadRequest(
            f"The {IDEMPOTENCY_HEADER} header is not usable.",
            errors=[
                FieldError(
                    IDEMPOTENCY_HEADER, f"must be at most {MAX_KEY_LENGTH} printable ASCII chars"
                )
            ],
        )
    return key
