"""orders' HTTP API, in DRF views."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import adapter
from polykit.info import ServiceInfo, service_info
from polykit.settings import framework_version


class InfoApi(APIView):
    # Public, and deaf to the Authorization header: a stale token must not hide it.
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        summary="Which service this is, and whether it is ready",
        responses={200: ServiceInfo},
    )
    def get(self, request: Request) -> Response:
        kit = adapter.current()
        ready, _ = kit.readiness.check()
        return Response(
            service_info(
                kit.settings,
                framework="django",
                framework_version=framework_version("django"),
                ready=ready,
            )
        )
