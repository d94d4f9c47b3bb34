"""CPO Sessions Sender (§9.2.1): the list (an eMSP sees its tokens' sessions only), charging preferences."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from cpo.services.sessions import charging_preferences_set
from ocpi.core.envelope import ocpi_response
from ocpi.core.openapi import envelope_of
from ocpi.core.pagination import paginated_response
from ocpi.core.views import OcpiView
from ocpi.sessions.schemas import ChargingPreferences, Session
from ocpi.sessions.selectors import sessions_visible_to
from ocpi.sessions.services import sessions_to_json

SESSIONS_PAGE_LIMIT = 100


class SessionListView(OcpiView):
    ocpi_module, ocpi_role = "sessions", "CPO"

    @extend_schema(responses=envelope_of(Session, many=True), tags=["sessions"])
    def get(self, request: Request) -> Response:
        qs = sessions_visible_to(caller_parties=self.caller(request).parties)
        return paginated_response(request, qs, max_limit=SESSIONS_PAGE_LIMIT, render=sessions_to_json)


class ChargingPreferencesView(OcpiView):
    ocpi_module, ocpi_role = "sessions", "CPO"

    @extend_schema(request=ChargingPreferences, responses=envelope_of(None), tags=["sessions"])
    def put(self, request: Request, session_id: str) -> Response:
        preferences = ChargingPreferences.model_validate(request.data)
        answer = charging_preferences_set(
            session_id=session_id, preferences=preferences, caller_parties=self.caller(request).parties
        )
        return ocpi_response(answer.value)
