"""orders' routes, without trailing slashes like every polyshop service.

DRF routers added later must be built with `use_regex_path=False` (and `trailing_slash=False`):
the default gives regex routes, which make poor span names and metric labels.
"""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from orders import adapter
from orders.apis import InfoApi

urlpatterns = [
    path("api/info", InfoApi.as_view()),
    path("openapi.json", SpectacularJSONAPIView.as_view()),
    path("healthz", adapter.HealthView.as_view()),
    path("readyz", adapter.ReadyView.as_view()),
    path("metrics", adapter.MetricsView.as_view()),
]

handler400 = handler403 = handler404 = handler500 = adapter.error_view
