"""What the API answers. What it accepts is described in openapi.yaml (Registration,
TokenRequest), which pyramid_openapi3 checks before a view runs; these build the answers that
the same document describes (User, Token, Jwks), and the response check holds them to it."""

from __future__ import annotations

from typing import Literal, TypedDict

from users.models import User
from users.signing import IssuedToken


class UserOut(TypedDict):
    id: str
    email: str
    name: str
    roles: list[str]
    created_at: str


class TokenOut(TypedDict):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int


def user_out(user: User) -> UserOut:
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "roles": sorted(user.roles),
        "created_at": user.created_at.isoformat().replace("+00:00", "Z"),
    }


def token_out(token: IssuedToken) -> TokenOut:
    return {
        "access_token": token.access_token,
        "token_type": "Bearer",
        "expires_in": token.expires_in,
    }
