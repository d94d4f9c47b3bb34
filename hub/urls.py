"""HUB role endpoints under /ocpi/2.2.1/hub/, listed in version details when HUB is in OCPI_ROLES."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
