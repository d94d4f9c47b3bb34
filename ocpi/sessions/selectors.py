"""Reads of Sessions (§9.2.1.1 Sender GET list, §9.2.2.1 Receiver GET)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.db.models.functions import Upper

from ocpi.core.exceptions import UnknownObject
from ocpi.core.types import Role
from ocpi.models import Party
from ocpi.sessions.models import Session


def session_get(*, country_code: str, party_id: str, session_id: str) -> Session:
    """One session by its key (§9.2.2.1); CiStrings match any case. Raises UnknownObject (HTTP 404)."""
    session = (
        Session.objects.alias(id_ci=Upper("ocpi_id"))
        .filter(country_code=country_code.upper(), ocpi_party_id=party_id.upper(), id_ci=session_id.upper())
        .first()
    )
    if session is None:
        raise UnknownObject(f"Unknown session {country_code}/{party_id}/{session_id}")
    return session


def token_owner_filter(caller_parties: Iterable[Party]) -> Q | None:
    """Rows whose token belongs to one of the caller's eMSP parties; None when it has none."""
    conditions = [
        Q(token_country_code=party.country_code.upper(), token_party_id=party.party_id.upper())
        for party in caller_parties
        if party.role == Role.EMSP
    ]
    return reduce(or_, conditions) if conditions else None


def sessions_visible_to(*, caller_parties: Iterable[Party]) -> QuerySet[Session]:
    """Our own CPO parties' sessions of the caller's tokens only, in paging order (§9.2.1.1).

    A session is private to the eMSP owning its token: sending it to any other party leaks the
    driver's whereabouts (interop lesson 14; §10.1 allows a CPO to return only the relevant objects).
    """
    of_caller = token_owner_filter(caller_parties)
    if of_caller is None:
        return Session.objects.none()
    return Session.objects.filter(of_caller, party__platform__isnull=True, party__role=Role.CPO).order_by(
        "last_updated", "pk"
    )
