"""eMSP Sessions Receiver (§9.2.2): GET, PUT, PATCH of a CPO's session."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi.core.envelope import ocpi_response
from ocpi.core.openapi import envelope_of
from ocpi.core.views import ReceiverView
from ocpi.sessions.schemas import Session
from ocpi.sessions.selectors import session_get
from ocpi.sessions.services import session_patch, session_put, session_to_json


class SessionReceiverView(ReceiverView):
    ocpi_module, ocpi_role, owner_role = "sessions", "EMSP", "CPO"

    @extend_schema(responses=envelope_of(Session), tags=["sessions"])
    def get(self, request: Request, **kw: Any) -> Response:
        return ocpi_response(session_to_json(session_get(**kw)))

    @extend_schema(request=Session, responses=envelope_of(None), tags=["sessions"])
    def put(self, request: Request, **kw: Any) -> Response:
        _, created = session_put(party=self.party, data=request.data, session_id=kw["session_id"])
        return ocpi_response(http_status=201 if created else 200)

    @extend_schema(request=Session, responses=envelope_of(None), tags=["sessions"])
    def patch(self, request: Request, **kw: Any) -> Response:
        session_patch(session=session_get(**kw), patch=request.data)
        return ocpi_response()
