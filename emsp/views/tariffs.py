"""eMSP Tariffs Receiver (§11.2.2): GET, PUT, DELETE of a CPO's tariff."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi.core.envelope import ocpi_response
from ocpi.core.openapi import envelope_of
from ocpi.core.views import ReceiverView
from ocpi.tariffs import services
from ocpi.tariffs.schemas import Tariff
from ocpi.tariffs.selectors import tariff_get


class TariffReceiverView(ReceiverView):
    ocpi_module, ocpi_role, owner_role = "tariffs", "EMSP", "CPO"

    @extend_schema(responses=envelope_of(Tariff), tags=["tariffs"])
    def get(self, request: Request, **kw: Any) -> Response:
        return ocpi_response(services.tariff_to_json(tariff_get(**kw)))

    @extend_schema(request=Tariff, responses=envelope_of(None), tags=["tariffs"])
    def put(self, request: Request, **kw: Any) -> Response:
        data = Tariff.model_validate(request.data)
        services.tariff_check_path(data=data, **kw)
        _, created = services.tariff_put(party=self.party, data=data)
        return ocpi_response(http_status=201 if created else 200)

    @extend_schema(responses=envelope_of(None), tags=["tariffs"])
    def delete(self, request: Request, **kw: Any) -> Response:
        services.tariff_delete(tariff=tariff_get(**kw))
        return ocpi_response()
