"""URLs: OCPI under /ocpi/, admin, OpenAPI (/api/schema/, /api/docs/), Prometheus /metrics."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ocpi.core.http import metrics_view, not_found, server_error

urlpatterns = [
    path("ocpi/", include("ocpi.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("metrics", metrics_view, name="metrics"),
]

handler404 = not_found
handler500 = server_error
