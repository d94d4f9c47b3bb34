"""eMSP Locations Receiver (§8.2.2): GET, PUT, PATCH of a CPO's Location, EVSE and Connector."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi.core.envelope import ocpi_response
from ocpi.core.openapi import envelope_of
from ocpi.core.patch import validate_patch
from ocpi.core.views import ReceiverView
from ocpi.locations import models, services
from ocpi.locations.schemas import EVSE, Connector, Location
from ocpi.locations.selectors import connector_get, evse_get, location_get


def _location(kw: dict[str, Any]) -> models.Location:
    return location_get(
        country_code=kw["country_code"], party_id=kw["party_id"], location_id=kw["location_id"]
    )


def _evse(kw: dict[str, Any]) -> models.EVSE:
    return evse_get(location=_location(kw), evse_uid=kw["evse_uid"])


def _connector(kw: dict[str, Any]) -> models.Connector:
    return connector_get(evse=_evse(kw), connector_id=kw["connector_id"])


def _stored(created: bool) -> Response:
    return ocpi_response(http_status=201 if created else 200)


class LocationReceiverView(ReceiverView):
    ocpi_module, ocpi_role, owner_role = "locations", "EMSP", "CPO"

    @extend_schema(responses=envelope_of(Location), tags=["locations"])
    def get(self, request: Request, **kw: Any) -> Response:
        return ocpi_response(services.location_to_json(_location(kw)))

    @extend_schema(request=Location, responses=envelope_of(None), tags=["locations"])
    def put(self, request: Request, **kw: Any) -> Response:
        data = Location.model_validate(request.data)
        services.location_check_path(data=data, **kw)
        return _stored(services.location_put(party=self.party, data=data)[1])

    @extend_schema(request=Location, responses=envelope_of(None), tags=["locations"])
    def patch(self, request: Request, **kw: Any) -> Response:
        services.location_patch(location=_location(kw), patch=validate_patch(Location, request.data))
        return ocpi_response()


class EvseReceiverView(ReceiverView):
    ocpi_module, ocpi_role, owner_role = "locations", "EMSP", "CPO"

    @extend_schema(responses=envelope_of(EVSE), tags=["locations"])
    def get(self, request: Request, **kw: Any) -> Response:
        return ocpi_response(services.evse_to_json(_evse(kw)))

    @extend_schema(request=EVSE, responses=envelope_of(None), tags=["locations"])
    def put(self, request: Request, **kw: Any) -> Response:
        data = EVSE.model_validate(request.data)
        services.evse_check_path(data=data, evse_uid=kw["evse_uid"])
        return _stored(services.evse_put(location=_location(kw), data=data)[1])

    @extend_schema(request=EVSE, responses=envelope_of(None), tags=["locations"])
    def patch(self, request: Request, **kw: Any) -> Response:
        services.evse_patch(evse=_evse(kw), patch=validate_patch(EVSE, request.data))
        return ocpi_response()


class ConnectorReceiverView(ReceiverView):
    ocpi_module, ocpi_role, owner_role = "locations", "EMSP", "CPO"

    @extend_schema(responses=envelope_of(Connector), tags=["locations"])
    def get(self, request: Request, **kw: Any) -> Response:
        return ocpi_response(services.connector_to_json(_connector(kw)))

    @extend_schema(request=Connector, responses=envelope_of(None), tags=["locations"])
    def put(self, request: Request, **kw: Any) -> Response:
        data = Connector.model_validate(request.data)
        services.connector_check_path(data=data, connector_id=kw["connector_id"])
        return _stored(services.connector_put(evse=_evse(kw), data=data)[1])

    @extend_schema(request=Connector, responses=envelope_of(None), tags=["locations"])
    def patch(self, request: Request, **kw: Any) -> Response:
        services.connector_patch(connector=_connector(kw), patch=validate_patch(Connector, request.data))
        return ocpi_response()
