"""The base of every OCPI view: token auth, the envelope on errors, routing headers, role gating."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ocpi.core.auth import OcpiCaller
from ocpi.core.exceptions import UnknownObject
from ocpi.core.routing import PartyRef, Route, check_route, headers_for, parse_route, reply_parties
from ocpi.models import Party


def own_party_refs(role: str | None = None) -> list[PartyRef]:
    qs = Party.objects.own()
    if role:
        qs = qs.filter(role=role)
    return [PartyRef(cc, pid) for cc, pid in qs.values_list("country_code", "party_id")]


class OcpiView(APIView):
    """Subclasses set `ocpi_module`, and `ocpi_role` (CPO/EMSP/HUB) for role endpoints.

    Configuration modules set `routed = False` (no routing headers, §4.1.10.2) and may set
    `allow_registration_token = True` (Token A accepted, §4.1.3).
    """

    ocpi_module: str = ""
    ocpi_role: str | None = None
    routed: bool = True
    allow_registration_token: bool = False

    def caller(self, request: Request) -> OcpiCaller:
        user = request.user
        assert isinstance(user, OcpiCaller)  # guaranteed by IsOcpiPartner
        return user

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.ocpi_role and self.ocpi_role not in settings.OCPI_ROLES:
            raise UnknownObject(f"This platform does not have the {self.ocpi_role} role")
        if self.routed:
            route = parse_route(request.headers)
            caller = self.caller(request)
            check_route(
                route,
                caller_parties=[PartyRef(p.country_code, p.party_id) for p in caller.parties],
                own_parties=own_party_refs(),
            )
            request.ocpi_route = route  # type: ignore[attr-defined]

    def route(self, request: Request) -> Route:
        return getattr(request, "ocpi_route", Route())

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.routed:
            default_from = next(iter(own_party_refs(self.ocpi_role)), None)
            caller = request.user if isinstance(getattr(request, "_user", None), OcpiCaller) else None
            default_to = None
            if (
                isinstance(caller, OcpiCaller)
                and len({(p.country_code, p.party_id) for p in caller.parties}) == 1
            ):
                p = caller.parties[0]
                default_to = PartyRef(p.country_code, p.party_id)
            from_party, to_party = reply_parties(
                request.headers, default_from=default_from, default_to=default_to
            )
            for name, value in headers_for(from_party, to_party).items():
                response[name] = value
        return response
