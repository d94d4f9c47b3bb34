"""Pulling a partner eMSP's Tokens into our CPO's cache (§12.1.2 Pull model, §12.2.2.1 Sender GET).

Each object of the partner's list is validated through the wire schema (a ValidationError makes the
pull skip and log it) and must belong to an eMSP party the partner registered: otherwise it raises
InvalidParameters and is ignored (transport and format, "Client Owned Object Pull"). It is stored
with `token_put`. An older version never overwrites a newer one: a pulled token older than the
stored copy is skipped.
"""

from __future__ import annotations

from typing import Any

from django.db.models.functions import Upper

from ocpi.core.types import Role
from ocpi.models import Platform
from ocpi.sync.pull import registered_party
from ocpi.tokens import schemas
from ocpi.tokens.models import Token
from ocpi.tokens.services import token_put

PAGE_LIMIT = 1000
"""Tokens per page asked for (a Gireve-like cap); the server's X-Limit still rules."""


def token_store(platform: Platform, data: dict[str, Any]) -> None:
    """Store one Token of a partner eMSP's list, unless our copy is newer."""
    token = schemas.Token.model_validate(data)
    party = registered_party(
        platform=platform, role=Role.EMSP, country_code=token.country_code, party_id=token.party_id
    )
    stored = (
        Token.objects.alias(uid_ci=Upper("uid"))
        .filter(party=party, uid_ci=token.uid.upper(), type=token.type.value)
        .values_list("last_updated", flat=True)
        .first()
    )
    if stored is not None and stored > token.last_updated:
        return
    token_put(party=party, data=token)
