"""CPO role endpoints under /ocpi/2.2.1/cpo/, listed in version details when CPO is in OCPI_ROLES."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
