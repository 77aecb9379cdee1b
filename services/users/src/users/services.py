"""The users use cases. No Pyramid here: views.py calls these, and so does start-up (the staff
account). Failures are the kit's problem errors, which every framework already answers."""

from __future__ import annotations

import hmac
import logging
import math
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from prometheus_client import Counter

from polykit.errors import (
    Conflict,
    FieldError,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from users.models import User
from users.repository import EmailTaken, LoginFailureRepository, UserRepository
from users.signing import IssuedToken, TokenIssuer

log = logging.getLogger("polyshop.users")

Clock = Callable[[], datetime]
CUSTOMER_ROLES = ("customer",)
STAFF_ROLES = ("customer", "staff")


def default_hasher() -> PasswordHasher:
    """argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). argon2-cffi's own
    default takes 64 MiB a hash: eight logins at once on one gthread worker would want 512 MiB.
    Hashes made with other parameters are redone at the next successful login."""
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class Passwords:
    """argon2id hashes, checked in about the same time whether or not the account exists."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or default_hasher()
        # Checked instead when no account has the email, so that an unknown email costs as
        # much time as a wrong password and the timing does not tell which accounts exist.
        self._decoy = self.hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            matched = self.hasher.verify(stored or self._decoy, password)
        except (VerificationError, InvalidHashError):
            return False
        return matched and stored is not None

    def outdated(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)


@dataclass(frozen=True)
class LoginThrottle:
    """Too many failed logins for one email, or from one address, within the window → 429."""

    failures: LoginFailureRepository
    clock: Clock
    window: timedelta = timedelta(minutes=15)
    per_account: int = 5
    per_address: int = 20

    def check(self, *, email: str, address: str) -> None:
        now = self.clock()
        since = now - self.window
        wait = max(
            self._wait(self.failures.times(since=since, email=email), self.per_account, now),
            self._wait(self.failures.times(since=since, address=address), self.per_address, now),
        )
        if wait:
            raise TooManyRequests("Too many failed logins. Try again later.", retry_after=wait)

    def _wait(self, failed_at: list[datetime], limit: int, now: datetime) -> int:
        """Seconds until enough of the oldest failures leave the window to fall below limit."""
        if len(failed_at) < limit:
            return 0
        frees_at = failed_at[len(failed_at) - limit] + self.window
        return max(1, math.ceil((frees_at - now).total_seconds()))

    def failed(self, *, email: str, address: str) -> None:
        now = self.clock()
        self.failures.record(email=email, address=address, at=now, forget_before=now - self.window)

    def succeeded(self, *, email: str) -> None:
        # The address's count stays: one good login must not wash out an attacker's tries.
        self.failures.clear(email=email)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_register(
    *,
    users: UserRepository,
    passwords: Passwords,
    clock: Clock,
    email: str,
    password: str,
    name: str,
) -> User:
    name = name.strip()
    if not name:
        raise ValidationFailed(errors=[FieldError("name", "must not be blank")])
    user = User(
        id=uuid.uuid4(),
        email=normalise_email(email),
        name=name,
        password_hash=passwords.hash(password),
        roles=list(CUSTOMER_ROLES),
        created_at=clock(),
    )
    try:
        return users.add(user)
    except EmailTaken:
        raise Conflict(
            "An account with this email already exists.",
            errors=[FieldError("email", "is already registered")],
        ) from None


def user_get(*, users: UserRepository, subject: str) -> User:
    try:
        user = users.get(uuid.UUID(subject))
    except ValueError:
        user = None
    if user is None:
        raise NotFound("This account no longer exists.")
    return user


def token_for_password(
    *,
    users: UserRepository,
    passwords: Passwords,
    throttle: LoginThrottle,
    issuer: TokenIssuer,
    logins: Counter,
    email: str,
    password: str,
    address: str,
) -> IssuedToken:
    email = normalise_email(email)
    try:
        throttle.check(email=email, address=address)
    except TooManyRequests:
        logins.labels(outcome="locked_out").inc()
        raise
    user = users.by_email(email)
    # verify() does the same work for an unknown email (and says no).
    if not passwords.verify(user.password_hash if user else None, password) or user is None:
        throttle.failed(email=email, address=address)
        logins.labels(outcome="bad_credentials").inc()
        raise Unauthorized("The email or password is not right.")
    throttle.succeeded(email=email)
    if passwords.outdated(user.password_hash):
        users.update(user.id, password_hash=passwords.hash(password))
    logins.labels(outcome="success").inc()
    return issuer.issue(subject=str(user.id), roles=user.roles)


def token_for_client(
    *, clients: Mapping[str, str], issuer: TokenIssuer, client_id: str, client_secret: str
) -> IssuedToken:
    expected = clients.get(client_id)
    # Compared even for an unknown client, in constant time: neither says how close a guess is.
    matched = hmac.compare_digest((expected or "").encode(), client_secret.encode())
    if expected is None or not matched:
        log.warning("client credentials refused for client %r", client_id[:64])
        raise Unauthorized("The client credentials are not right.")
    return issuer.issue(subject=f"service:{client_id}", roles=["service"])


def staff_seed(
    *, users: UserRepository, passwords: Passwords, clock: Clock, email: str, password: str
) -> User:
    """The staff account, as the environment describes it: made on first start; on later starts
    its roles and password are brought back in line (STAFF_PASSWORD may have been rotated)."""
    email = normalise_email(email)
    user = users.by_email(email)
    if user is None:
        try:
            return users.add(
                User(
                    id=uuid.uuid4(),
                    email=email,
                    name="Staff",
                    password_hash=passwords.hash(password),
                    roles=list(STAFF_ROLES),
                    created_at=clock(),
                )
            )
        except EmailTaken:  # another replica seeded it a moment ago
            user = users.by_email(email)
            assert user is not None
    changes: dict[str, object] = {}
    if not set(STAFF_ROLES) <= set(user.roles):
        changes["roles"] = sorted(set(user.roles) | set(STAFF_ROLES))
    if not passwords.verify(user.password_hash, password) or passwords.outdated(user.password_hash):
        changes["password_hash"] = passwords.hash(password)
    if changes:
        users.update(user.id, **changes)
        log.info("staff account %s brought in line with the environment", email)
    return user
