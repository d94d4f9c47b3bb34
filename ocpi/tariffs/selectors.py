"""Reads of Tariffs (§11)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from ocpi.core.exceptions import UnknownObject
from ocpi.models import Party
from ocpi.tariffs.models import Tariff

OWN_TARIFF_ROLES = ("CPO",)


def tariff_get(*, country_code: str, party_id: str, tariff_id: str) -> Tariff:
    """A tariff by its full key (Receiver interface, §11.2.2); raises UnknownObject (2003, HTTP 404)."""
    tariff = (
        Tariff.objects.select_related("party")
        .filter(country_code=country_code.upper(), ocpi_party_id=party_id.upper(), ocpi_id__iexact=tariff_id)
        .first()
    )
    if tariff is None:
        raise UnknownObject(f"Unknown tariff {country_code}/{party_id}/{tariff_id}")
    return tariff


def tariffs_of_own_parties(*, roles: Iterable[str] = OWN_TARIFF_ROLES) -> QuerySet[Tariff]:
    """Our own CPO parties' tariffs for a partner's GET list (§11.2.1.1), ordered (last_updated, pk)."""
    return Tariff.objects.filter(party__platform__isnull=True, party__role__in=list(roles)).order_by(
        "last_updated", "pk"
    )


def tariffs_of_party(*, party: Party) -> QuerySet[Tariff]:
    """One party's tariffs (e.g. a partner CPO's copies held by our eMSP), ordered like the above."""
    return Tariff.objects.filter(party=party).order_by("last_updated", "pk")
