"""CPO Locations Sender (§8.2.1): the list, and one Location, EVSE or Connector."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from cpo.selectors import location_visible_get, locations_visible_to
from ocpi.core.envelope import ocpi_response
from ocpi.core.openapi import envelope_of
from ocpi.core.pagination import paginated_response
from ocpi.core.views import OcpiView
from ocpi.locations.schemas import EVSE, Connector, Location
from ocpi.locations.selectors import connector_get, evse_get
from ocpi.locations.services import connector_to_json, evse_to_json, location_to_json, locations_to_json

LOCATIONS_PAGE_LIMIT = 100


class LocationListView(OcpiView):
    ocpi_module, ocpi_role = "locations", "CPO"

    @extend_schema(responses=envelope_of(Location, many=True), tags=["locations"])
    def get(self, request: Request) -> Response:
        qs = locations_visible_to(caller_parties=self.caller(request).parties)
        return paginated_response(request, qs, max_limit=LOCATIONS_PAGE_LIMIT, render=locations_to_json)


class LocationView(OcpiView):
    ocpi_module, ocpi_role = "locations", "CPO"

    @extend_schema(responses=envelope_of(Location), tags=["locations"])
    def get(self, request: Request, location_id: str) -> Response:
        location = location_visible_get(location_id=location_id, caller_parties=self.caller(request).parties)
        return ocpi_response(location_to_json(location))


class EvseView(OcpiView):
    ocpi_module, ocpi_role = "locations", "CPO"

    @extend_schema(responses=envelope_of(EVSE), tags=["locations"])
    def get(self, request: Request, location_id: str, evse_uid: str) -> Response:
        location = location_visible_get(location_id=location_id, caller_parties=self.caller(request).parties)
        return ocpi_response(evse_to_json(evse_get(location=location, evse_uid=evse_uid)))


class ConnectorView(OcpiView):
    ocpi_module, ocpi_role = "locations", "CPO"

    @extend_schema(responses=envelope_of(Connector), tags=["locations"])
    def get(self, request: Request, location_id: str, evse_uid: str, connector_id: str) -> Response:
        location = location_visible_get(location_id=location_id, caller_parties=self.caller(request).parties)
        evse = evse_get(location=location, evse_uid=evse_uid)
        return ocpi_response(connector_to_json(connector_get(evse=evse, connector_id=connector_id)))
