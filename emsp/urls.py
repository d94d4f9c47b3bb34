"""EMSP role endpoints under /ocpi/2.2.1/emsp/, listed in version details when EMSP is in OCPI_ROLES."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
