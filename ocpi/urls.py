"""OCPI URLs: /ocpi/versions, /ocpi/2.2.1 (details), /ocpi/2.2.1/credentials, then each role's modules."""

from django.urls import include, path

from ocpi.credentials.views import CredentialsView
from ocpi.versions.views import VersionDetailsView, VersionsView

urlpatterns = [
    path("versions", VersionsView.as_view(), name="ocpi-versions"),
    path("2.2.1", VersionDetailsView.as_view(), name="ocpi-version-details"),
    path("2.2.1/credentials", CredentialsView.as_view(), name="ocpi-credentials"),
    path("2.2.1/cpo/", include("cpo.urls")),
    path("2.2.1/emsp/", include("emsp.urls")),
    path("2.2.1/hub/", include("hub.urls")),
]
