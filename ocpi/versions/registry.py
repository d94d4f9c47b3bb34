"""Which module endpoints this platform lists in its version details.

Roles register their endpoints (in their AppConfig.ready) with the party role they need; version
details then lists an endpoint only when that role is in OCPI_ROLES. A module appears only once it is
implemented, because only implemented views register.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from ocpi.versions.schemas import Endpoint, InterfaceRole

VERSION_PREFIX = "/ocpi/2.2.1/"


@dataclass(frozen=True)
class EndpointSpec:
    identifier: str
    role: InterfaceRole
    path: str  # below /ocpi/2.2.1/, e.g. "cpo/locations"
    party_role: str | None  # CPO/EMSP/HUB needed for it to be listed; None: always


_REGISTRY: dict[tuple[str, InterfaceRole, str | None], EndpointSpec] = {}


def register(identifier: str, role: InterfaceRole, path: str, *, party_role: str | None) -> None:
    _REGISTRY[(identifier, role, party_role)] = EndpointSpec(identifier, role, path, party_role)


def absolute_url(url_name: str) -> str:
    return settings.OCPI_BASE_URL + reverse(url_name)


def endpoint_url(path: str) -> str:
    """Public URL of a module endpoint, without trailing slash (partners append `/{id}`)."""
    return settings.OCPI_BASE_URL + VERSION_PREFIX + path.strip("/")


def our_endpoints() -> list[Endpoint]:
    roles = set(settings.OCPI_ROLES)
    seen: set[tuple[str, InterfaceRole]] = set()
    endpoints = []
    for spec in _REGISTRY.values():
        if spec.party_role is not None and spec.party_role not in roles:
            continue
        if (spec.identifier, spec.role) in seen:
            continue
        seen.add((spec.identifier, spec.role))
        endpoints.append(Endpoint(identifier=spec.identifier, role=spec.role, url=endpoint_url(spec.path)))
    return endpoints


register("credentials", InterfaceRole.SENDER, "credentials", party_role=None)
