"""Reads of Tokens (§12.2.1.1 Receiver GET, §12.2.2.1 Sender GET list)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Upper

from ocpi.core.exceptions import UnknownToken
from ocpi.core.types import Role
from ocpi.tokens.models import Token


def token_get(*, country_code: str, party_id: str, uid: str, type: str = "RFID") -> Token:
    """One token by its full key (§12.2.1.1; `type` defaults to RFID as there). CiStrings match any case.

    Raises UnknownToken (2004, HTTP 404).
    """
    token = (
        Token.objects.alias(uid_ci=Upper("uid"))
        .filter(
            uid_ci=uid.upper(), type=type, country_code=country_code.upper(), ocpi_party_id=party_id.upper()
        )
        .first()
    )
    if token is None:
        raise UnknownToken(f"Unknown token {country_code}/{party_id}/{uid} ({type})")
    return token


def tokens_of_own_emsp_parties() -> QuerySet[Token]:
    """Our own eMSP parties' tokens, what the Sender GET list serves (§12.2.2.1), in paging order."""
    return Token.objects.filter(party__platform__isnull=True, party__role=Role.EMSP).order_by(
        "last_updated", "pk"
    )
