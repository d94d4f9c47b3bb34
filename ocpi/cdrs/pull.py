"""Pulling a partner CPO's CDRs into our eMSP (§10.1.3, §10.2.1.1 Sender GET).

Each object of the partner's list is validated through the wire schema (a ValidationError makes the
pull skip and log it) and must belong to a CPO party the partner registered: otherwise it raises
InvalidParameters and is ignored (transport and format, "Client Owned Object Pull"). It is stored
with `cdr_create`. A CDR never changes (§10.1): one already stored is kept as it is, so an older
version can never overwrite it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocpi.cdrs import schemas
from ocpi.cdrs.models import Cdr
from ocpi.cdrs.services import cdr_create
from ocpi.core.types import Role
from ocpi.models import Platform
from ocpi.sync.pull import registered_party

PAGE_LIMIT = 100
"""CDRs per page asked for; the server's X-Limit still rules."""


CdrCreate = Callable[..., tuple[Cdr, bool]]


def make_cdr_store(create: CdrCreate = cdr_create) -> Callable[[Platform, dict[str, Any]], None]:
    """A pull store that hands each validated CDR to `create` (the eMSP role passes its own
    `cdr_receive`, which also checks the cost, so pulled and pushed CDRs are treated alike)."""

    def store(platform: Platform, data: dict[str, Any]) -> None:
        cdr = schemas.CDR.model_validate(data)
        party = registered_party(
            platform=platform, role=Role.CPO, country_code=cdr.country_code, party_id=cdr.party_id
        )
        create(party=party, data=cdr)

    return store


cdr_store = make_cdr_store()
"""Store one CDR of a partner CPO's list (a known one is left alone)."""
