"""Message routing headers (§4.1.10): OCPI-from-* / OCPI-to-*.

They are parsed and checked on every functional-module request, and set on every response of those
modules, error responses included. Configuration modules (versions, credentials) carry none (§4.1.10.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ocpi.core.exceptions import InvalidParameters

FROM_CC, FROM_PID = "OCPI-from-country-code", "OCPI-from-party-id"
TO_CC, TO_PID = "OCPI-to-country-code", "OCPI-to-party-id"

_CC = re.compile(r"^[A-Za-z]{2}$")
_PID = re.compile(r"^[A-Za-z0-9]{3}$")


@dataclass(frozen=True)
class PartyRef:
    country_code: str
    party_id: str

    def __str__(self) -> str:
        return f"{self.country_code}-{self.party_id}"


@dataclass(frozen=True)
class Route:
    from_party: PartyRef | None = None
    to_party: PartyRef | None = None


def _pair(headers: Mapping[str, str], cc_name: str, pid_name: str) -> PartyRef | None:
    cc = (headers.get(cc_name) or "").strip()
    pid = (headers.get(pid_name) or "").strip()
    if not cc and not pid:
        return None
    if not cc:
        raise InvalidParameters(f"{cc_name} header is required when {pid_name} is given")
    if not pid:
        raise InvalidParameters(f"{pid_name} header is required when {cc_name} is given")
    if not _CC.match(cc):
        raise InvalidParameters(f"{cc_name} header must be a 2-letter country code, got {cc!r}")
    if not _PID.match(pid):
        raise InvalidParameters(f"{pid_name} header must be a 3-character party id, got {pid!r}")
    return PartyRef(cc.upper(), pid.upper())


def parse_route(headers: Mapping[str, str]) -> Route:
    """Read the four headers (Django's request.headers is case-insensitive)."""
    return Route(from_party=_pair(headers, FROM_CC, FROM_PID), to_party=_pair(headers, TO_CC, TO_PID))


def check_route(route: Route, *, caller_parties: Iterable[PartyRef], own_parties: Iterable[PartyRef]) -> None:
    """The sender must be one of the caller's registered parties and the receiver one of ours."""
    if route.from_party is not None and route.from_party not in set(caller_parties):
        raise InvalidParameters(
            f"{FROM_CC}/{FROM_PID} {route.from_party} is not a party registered by the calling platform"
        )
    if route.to_party is not None and route.to_party not in set(own_parties):
        raise InvalidParameters(f"{TO_CC}/{TO_PID} {route.to_party} is not a party on this platform")


def headers_for(from_party: PartyRef | None, to_party: PartyRef | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if from_party is not None:
        headers[FROM_CC], headers[FROM_PID] = from_party.country_code, from_party.party_id
    if to_party is not None:
        headers[TO_CC], headers[TO_PID] = to_party.country_code, to_party.party_id
    return headers


def reply_parties(
    headers: Mapping[str, str], *, default_from: PartyRef | None, default_to: PartyRef | None
) -> tuple[PartyRef | None, PartyRef | None]:
    """The (from, to) of our response: the request's to/from swapped, even when they failed validation."""

    def loose(cc_name: str, pid_name: str) -> PartyRef | None:
        cc = (headers.get(cc_name) or "").strip().upper()
        pid = (headers.get(pid_name) or "").strip().upper()
        if _CC.match(cc) and _PID.match(pid):
            return PartyRef(cc, pid)
        return None

    return loose(TO_CC, TO_PID) or default_from, loose(FROM_CC, FROM_PID) or default_to
