"""The admin's login: staff of the users service, by their email and password there.

Django's admin needs a Django user; this backend asks users for a token with the credentials
given, admits it only with the staff role, and keeps a local user marked staff with no usable
password. It grants staff every permission on orders' own models, and nothing else.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from orders import adapter
from polykit.errors import ServiceUnavailable, Unauthorized

log = logging.getLogger("polyshop.orders.admin")


class UsersStaffBackend(BaseBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if not username or not password:
            return None
        kit = adapter.current()
        address = request.META.get("REMOTE_ADDR") if request is not None else None
        try:
            token = kit.users.login(username, password, address)
            if token is None:
                return None
            principal = kit.verifier.verify(token)
        except (ServiceUnavailable, Unauthorized) as exc:
            log.warning("admin login not checked: %s", exc.detail)
            return None
        if not principal.is_staff:
            return None
        user, _ = get_user_model().objects.update_or_create(
            username=username.strip().lower(),
            defaults={"email": username.strip().lower(), "is_staff": True, "is_active": True},
        )
        if user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user

    def get_user(self, user_id: int) -> AbstractBaseUser | None:
        return get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return self.has_module_perms(user_obj, perm.partition(".")[0])

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return bool(user_obj.is_active and user_obj.is_staff and app_label == "orders")
