"""§7 Credentials endpoint: GET, POST (register), PUT (update), DELETE (unregister)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi.core.envelope import ocpi_response
from ocpi.core.openapi import envelope_of
from ocpi.core.views import OcpiView
from ocpi.credentials import services
from ocpi.credentials.schemas import Credentials


class CredentialsView(OcpiView):
    ocpi_module = "credentials"
    routed = False
    allow_registration_token = True

    @extend_schema(responses=envelope_of(Credentials), tags=["credentials"])
    def get(self, request: Request) -> Response:
        return ocpi_response(services.credentials_get(caller=self.caller(request)).to_json())

    @extend_schema(request=Credentials, responses=envelope_of(Credentials), tags=["credentials"])
    def post(self, request: Request) -> Response:
        credentials = Credentials.model_validate(request.data)
        answer = services.registration_accept(caller=self.caller(request), credentials=credentials)
        return ocpi_response(answer.to_json())

    @extend_schema(request=Credentials, responses=envelope_of(Credentials), tags=["credentials"])
    def put(self, request: Request) -> Response:
        credentials = Credentials.model_validate(request.data)
        answer = services.credentials_update_accept(caller=self.caller(request), credentials=credentials)
        return ocpi_response(answer.to_json())

    @extend_schema(responses=envelope_of(None), tags=["credentials"])
    def delete(self, request: Request) -> Response:
        services.credentials_delete_accept(caller=self.caller(request))
        return ocpi_response()
