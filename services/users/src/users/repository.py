"""Accounts and login failures in the service's database; one short transaction per call."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from users.models import LoginFailure, User


class EmailTaken(Exception):
    pass


def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    # Rows handed back stay readable after their transaction: callers never lazy-load.
    return sessionmaker(engine, expire_on_commit=False)


class UserRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def add(self, user: User) -> User:
        try:
            with self.sessions.begin() as session:
                session.add(user)
        except IntegrityError:
            raise EmailTaken(user.email) from None
        return user

    def get(self, user_id: uuid.UUID) -> User | None:
        with self.sessions() as session:
            return session.get(User, user_id)

    def by_email(self, email: str) -> User | None:
        with self.sessions() as session:
            return session.scalar(sa.select(User).where(User.email == email))

    def update(self, user_id: uuid.UUID, **values: Any) -> None:
        with self.sessions.begin() as session:
            session.execute(sa.update(User).where(User.id == user_id).values(**values))


class LoginFailureRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def record(self, *, email: str, address: str, at: datetime, forget_before: datetime) -> None:
        """Adds a failure, and drops the ones too old to count so the table stays small."""
        with self.sessions.begin() as session:
            session.execute(sa.delete(LoginFailure).where(LoginFailure.failed_at < forget_before))
            session.add(LoginFailure(email=email, address=address, failed_at=at))

    def times(
        self, *, since: datetime, email: str | None = None, address: str | None = None
    ) -> list[datetime]:
        """When the failures for this email or this address happened, oldest first."""
        query = sa.select(LoginFailure.failed_at).where(LoginFailure.failed_at > since)
        if email is not None:
            query = query.where(LoginFailure.email == email)
        if address is not None:
            query = query.where(LoginFailure.address == address)
        with self.sessions() as session:
            return list(session.scalars(query.order_by(LoginFailure.failed_at)))

    def clear(self, *, email: str) -> None:
        with self.sessions.begin() as session:
            session.execute(sa.delete(LoginFailure).where(LoginFailure.email == email))
