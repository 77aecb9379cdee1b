from __future__ import annotations

from typing import ClassVar

from polykit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    service_name: ClassVar[str] = "notifications"
