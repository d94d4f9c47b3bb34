"""§7.3 Credentials object and §7.4 CredentialsRole."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, Strict, StringConstraints

from ocpi.core.types import URL, BusinessDetails, CountryCode, OcpiModel, PartyId, Role


def _token_chars(value: str) -> str:
    """Printable, non-whitespace ASCII only (U+0021..U+007E), as §7.3 requires."""
    if any(not ("\x21" <= ch <= "\x7e") for ch in value):
        raise ValueError("must contain only printable non-whitespace ASCII characters")
    return value


CredentialsTokenStr = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=64), AfterValidator(_token_chars)
]


class CredentialsRole(OcpiModel):
    role: Role
    business_details: BusinessDetails
    party_id: PartyId
    country_code: CountryCode


class Credentials(OcpiModel):
    token: CredentialsTokenStr
    url: URL
    roles: Annotated[list[CredentialsRole], Field(min_length=1)]
