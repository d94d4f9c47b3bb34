"""Pulling a partner CPO's Tariffs into our eMSP's copies (§11.1 Pull model, §11.2.1.1 Sender GET list).

Each object of the partner's list is validated through the wire schema (a ValidationError makes the
pull skip and log it) and must belong to a CPO party the partner registered: otherwise it raises
InvalidParameters and is ignored (transport and format, "Client Owned Object Pull"). It is stored with
`tariff_put`. An older version never overwrites a newer one: a pulled tariff older than the stored
copy (one pushed meanwhile) is skipped.
"""

from __future__ import annotations

from typing import Any

from ocpi.core.types import Role
from ocpi.models import Platform
from ocpi.sync.pull import registered_party
from ocpi.tariffs import schemas
from ocpi.tariffs.models import Tariff
from ocpi.tariffs.services import tariff_put

PAGE_LIMIT = 100
"""Tariffs per page asked for (Gireve's cap); the server's X-Limit still rules."""


def tariff_store(platform: Platform, data: dict[str, Any]) -> None:
    """Store one Tariff of a partner CPO's list, unless our copy is newer."""
    tariff = schemas.Tariff.model_validate(data)
    party = registered_party(
        platform=platform, role=Role.CPO, country_code=tariff.country_code, party_id=tariff.party_id
    )
    stored = (
        Tariff.objects.filter(
            country_code=party.country_code, ocpi_party_id=party.party_id, ocpi_id__iexact=tariff.id
        )
        .values_list("last_updated", flat=True)
        .first()
    )
    if stored is not None and stored > tariff.last_updated:
        return
    tariff_put(party=party, data=tariff)
