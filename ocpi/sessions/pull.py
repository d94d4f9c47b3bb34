"""Pulling a partner CPO's Sessions into our eMSP (§9.1.2, §9.2.1.1 Sender GET).

Each object of the partner's list is validated through the wire schema (a ValidationError makes the
pull skip and log it) and must belong to a CPO party the partner registered: otherwise it raises
InvalidParameters and is ignored (transport and format, "Client Owned Object Pull"). It is stored
with `session_put`, charging periods included. An older version never overwrites a newer one: a
pulled session older than the stored copy is skipped.
"""

from __future__ import annotations

from typing import Any

from django.db.models.functions import Upper

from ocpi.core.types import Role
from ocpi.models import Platform
from ocpi.sessions import schemas
from ocpi.sessions.models import Session
from ocpi.sessions.services import session_put
from ocpi.sync.pull import registered_party

PAGE_LIMIT = 100
"""Sessions per page asked for; the server's X-Limit still rules."""


def session_store(platform: Platform, data: dict[str, Any]) -> None:
    """Store one Session of a partner CPO's list, unless our copy is newer."""
    session = schemas.Session.model_validate(data)
    party = registered_party(
        platform=platform, role=Role.CPO, country_code=session.country_code, party_id=session.party_id
    )
    stored = (
        Session.objects.alias(id_ci=Upper("ocpi_id"))
        .filter(party=party, id_ci=session.id.upper())
        .values_list("last_updated", flat=True)
        .first()
    )
    if stored is not None and stored > session.last_updated:
        return
    session_put(party=party, data=session)
