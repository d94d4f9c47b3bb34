"""Which module endpoints this platform lists in its version details.

Roles register their endpoints (at import of their AppConfig.ready) with the party role they need;
version details then shows an endpoint only when that role is in OCPI_ROLES. A module appears only
once it is implemented, because only implemented views register.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from ocpi.versions.schemas import Endpoint, InterfaceRole


@dataclass(frozen=True)
class EndpointSpec:
    identifier: str
    role: InterfaceRole
    url_name: str
    party_role: str | None  # CPO/EMSP/HUB needed for it to be listed; None: always


_REGISTRY: dict[tuple[str, InterfaceRole, str | None], EndpointSpec] = {}


def register(identifier: str, role: InterfaceRole, url_name: str, *, party_role: str | None) -> None:
    spec = EndpointSpec(identifier, role, url_name, party_role)
    _REGISTRY[(identifier, role, party_role)] = spec


def absolute_url(url_name: str) -> str:
    return settings.OCPI_BASE_URL + reverse(url_name)


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
        endpoints.append(
            Endpoint(identifier=spec.identifier, role=spec.role, url=absolute_url(spec.url_name))
        )
    return endpoints


register("credentials", InterfaceRole.SENDER, "ocpi-credentials", party_role=None)
