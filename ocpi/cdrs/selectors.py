"""Reads of CDRs (§10.2.1.1 Sender GET list, §10.2.2.1 Receiver GET)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.db.models.functions import Upper

from ocpi.cdrs.models import Cdr
from ocpi.core.exceptions import UnknownObject
from ocpi.core.types import Role
from ocpi.models import Party
from ocpi.sessions.selectors import token_owner_filter


def cdr_get(*, country_code: str, party_id: str, cdr_id: str) -> Cdr:
    """One CDR by its key (§10.2.2.1); CiStrings match any case. Raises UnknownObject (HTTP 404)."""
    cdr = (
        Cdr.objects.alias(id_ci=Upper("ocpi_id"))
        .filter(country_code=country_code.upper(), ocpi_party_id=party_id.upper(), id_ci=cdr_id.upper())
        .first()
    )
    if cdr is None:
        raise UnknownObject(f"Unknown CDR {country_code}/{party_id}/{cdr_id}")
    return cdr


def cdrs_visible_to(*, caller_parties: Iterable[Party]) -> QuerySet[Cdr]:
    """Our own CPO parties' CDRs of the caller's tokens only, in paging order (§10.2.1.1).

    §10.1.3 lets the CPO "return only the CDRs that are relevant for the requesting eMSP"; returning
    others would leak other eMSPs' customers and bills (interop lesson 14).
    """
    of_caller = token_owner_filter(caller_parties)
    if of_caller is None:
        return Cdr.objects.none()
    return Cdr.objects.filter(of_caller, party__platform__isnull=True, party__role=Role.CPO).order_by(
        "last_updated", "pk"
    )
