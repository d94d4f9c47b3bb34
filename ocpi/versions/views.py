"""§6 Versions: GET /ocpi/versions and GET /ocpi/2.2.1 (version details)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi.core.envelope import ocpi_response
from ocpi.core.openapi import envelope_of
from ocpi.core.views import OcpiView
from ocpi.versions.registry import absolute_url, our_endpoints
from ocpi.versions.schemas import Version, VersionDetails

SUPPORTED_VERSION = "2.2.1"


class VersionsView(OcpiView):
    ocpi_module = "versions"
    routed = False
    allow_registration_token = True

    @extend_schema(responses=envelope_of(Version, many=True), tags=["versions"])
    def get(self, request: Request) -> Response:
        versions = [Version(version=SUPPORTED_VERSION, url=absolute_url("ocpi-version-details"))]
        return ocpi_response([v.to_json() for v in versions])


class VersionDetailsView(OcpiView):
    ocpi_module = "versions"
    routed = False
    allow_registration_token = True

    @extend_schema(responses=envelope_of(VersionDetails), tags=["versions"])
    def get(self, request: Request) -> Response:
        return ocpi_response(VersionDetails(version=SUPPORTED_VERSION, endpoints=our_endpoints()).to_json())
