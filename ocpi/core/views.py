"""The base of every OCPI view: token auth, the envelope on errors, routing headers, role gating."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ocpi.core.auth import OcpiCaller
from ocpi.core.exceptions import InvalidParameters, UnknownObject
from ocpi.core.routing import PartyRef, Route, check_route, headers_for, parse_route, reply_parties
from ocpi.models import Party

E = TypeVar("E", bound=StrEnum)


def enum_query(request: Request, name: str, enum: type[E], default: E | None = None) -> E | None:
    """An enum query parameter (e.g. `?type=RFID`); an unknown value is 2001 naming the parameter."""
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidParameters(
            f"Invalid query parameter {name}: {value!r} is not one of {allowed}"
        ) from None


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

    def writer_party(self, request: Request, *, country_code: str, party_id: str, role: str) -> Party:
        """The caller's own party named in a Client Owned Object URL (§4.1.6); anything else is 2001.

        A partner may write only under the country_code/party_id of a role it registered.
        """
        party = self._caller_party(request, country_code, party_id, role)
        if party is None:
            raise InvalidParameters(
                f"{country_code.upper()}/{party_id.upper()} is not a {role} party registered by the caller"
            )
        return party

    def reader_party(self, request: Request, *, country_code: str, party_id: str, role: str) -> Party:
        """Like writer_party, for GETs: another party's objects are simply not there (§4.1.6.1: 404)."""
        party = self._caller_party(request, country_code, party_id, role)
        if party is None:
            raise UnknownObject(f"Unknown object under {country_code.upper()}/{party_id.upper()}")
        return party

    def _caller_party(self, request: Request, country_code: str, party_id: str, role: str) -> Party | None:
        cc, pid = country_code.upper(), party_id.upper()
        return next(
            (
                p
                for p in self.caller(request).parties
                if p.country_code == cc and p.party_id == pid and p.role == role
            ),
            None,
        )

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


class ReceiverView(OcpiView):
    """Receiver endpoints of Client Owned Objects (§4.1.6): `{country_code}/{party_id}/{id}...` URLs.

    The URL's party must be one the caller registered with `owner_role`: GETs of others' objects are
    404 (2003), writes under others' ids are 2001. `self.party` is the caller's party afterwards.
    """

    owner_role: str = "CPO"
    party: Party

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        keys = {
            "country_code": kwargs["country_code"],
            "party_id": kwargs["party_id"],
            "role": self.owner_role,
        }
        if request.method in ("GET", "HEAD", "OPTIONS"):
            self.party = self.reader_party(request, **keys)
        else:
            self.party = self.writer_party(request, **keys)
