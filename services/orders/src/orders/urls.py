"""orders' routes, without trailing slashes like every polyshop service (but Django's admin,
which keeps its own).

DRF routers added later must be built with `use_regex_path=False` (and `trailing_slash=False`):
the default gives regex routes, which make poor span names and metric labels.
"""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularJSONAPIView

from orders import adapter
from orders.apis import InfoApi, OrderCollectionApi, OrderDetailApi

urlpatterns = [
    path("api/info", InfoApi.as_view()),
    path("api/orders", OrderCollectionApi.as_view()),
    path("api/orders/<uuid:order_id>", OrderDetailApi.as_view()),
    path("openapi.json", SpectacularJSONAPIView.as_view()),
    path("admin", RedirectView.as_view(url="/admin/")),
    path("admin/", admin.site.urls),
    path("healthz", adapter.HealthView.as_view()),
    path("readyz", adapter.ReadyView.as_view()),
    path("metrics", adapter.MetricsView.as_view()),
]

handler400 = handler403 = handler404 = handler500 = adapter.error_view
