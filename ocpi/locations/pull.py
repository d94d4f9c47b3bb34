"""Pulling a partner CPO's Locations into our eMSP's copies (§8.1 Pull model, §8.2.1.1 Sender GET list).

Each object of the partner's list is validated through the wire schema (a ValidationError makes the
pull skip and log it) and must belong to a CPO party the partner registered: otherwise it raises
InvalidParameters and is ignored (transport and format, "Client Owned Object Pull"). It is stored whole
with `location_put`, EVSEs and connectors included. An older version never overwrites a newer one: a
pulled location older than the stored copy (one pushed meanwhile) is skipped.
"""

from __future__ import annotations

from typing import Any

from ocpi.core.types import Role
from ocpi.locations import schemas
from ocpi.locations.models import Location
from ocpi.locations.services import location_put
from ocpi.models import Platform
from ocpi.sync.pull import registered_party

PAGE_LIMIT = 100
"""Locations per page asked for (Gireve's cap); the server's X-Limit still rules."""


def location_store(platform: Platform, data: dict[str, Any]) -> None:
    """Store one Location of a partner CPO's list, unless our copy is newer."""
    location = schemas.Location.model_validate(data)
    party = registered_party(
        platform=platform, role=Role.CPO, country_code=location.country_code, party_id=location.party_id
    )
    stored = (
        Location.objects.filter(
            country_code=party.country_code, ocpi_party_id=party.party_id, ocpi_id__iexact=location.id
        )
        .values_list("last_updated", flat=True)
        .first()
    )
    if stored is not None and stored > location.last_updated:
        return
    location_put(party=party, data=location)
