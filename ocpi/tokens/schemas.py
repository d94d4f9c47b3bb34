"""OCPI 2.2.1 Tokens module wire objects (§12 Tokens: §12.3 objects, §12.4 data types).

`ProfileType` belongs to the Sessions module (§9.4.2) but lives here because the Token object uses it
and the Sessions schemas import this module, not the other way round. `TokenType` (§12.4.4) is defined
once, in the Locations schemas (PublishTokenType needs it), and re-exported here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Strict, StringConstraints

from ocpi.core.types import (
    PRINTABLE_ASCII,
    Bool,
    CiString36,
    CountryCode,
    DateTime,
    DisplayText,
    OcpiModel,
    PartyId,
    String2,
    String64,
)
from ocpi.locations.schemas import TokenType

__all__ = [
    "AllowedType",
    "AuthorizationInfo",
    "EnergyContract",
    "LocationReferences",
    "ObjectId36",
    "ProfileType",
    "Token",
    "TokenType",
    "WhitelistType",
]

ObjectId36 = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=36), PRINTABLE_ASCII]
"""CiString(36) used as an object key (Token.uid, Session.id, ...): an empty key could not be addressed."""


class WhitelistType(StrEnum):
    """§12.4.5 WhitelistType: when the CPO may authorize the Token without asking the eMSP."""

    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class AllowedType(StrEnum):
    """§12.4.1 AllowedType: the answer of a real-time authorization."""

    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"


class ProfileType(StrEnum):
    """§9.4.2 ProfileType (Sessions module): the driver's smart charging preference."""

    CHEAP = "CHEAP"
    FAST = "FAST"
    GREEN = "GREEN"
    REGULAR = "REGULAR"


class EnergyContract(OcpiModel):
    """§12.4.2 EnergyContract: the driver's own energy supplier/contract."""

    supplier_name: String64
    contract_id: String64 | None = None


class LocationReferences(OcpiModel):
    """§12.4.3 LocationReferences: the optional body of a real-time authorization request."""

    location_id: CiString36
    evse_uids: list[CiString36] | None = None


class Token(OcpiModel):
    """§12.3.2 Token object. Keyed by (country_code, party_id, uid, type); uid alone is not unique."""

    country_code: CountryCode
    party_id: PartyId
    uid: ObjectId36
    type: TokenType
    contract_id: CiString36
    visual_number: String64 | None = None
    issuer: String64
    group_id: CiString36 | None = None
    valid: Bool
    whitelist: WhitelistType
    language: String2 | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: DateTime


class AuthorizationInfo(OcpiModel):
    """§12.3.1 AuthorizationInfo: the eMSP's answer to a real-time authorization (POST .../authorize)."""

    allowed: AllowedType
    token: Token
    location: LocationReferences | None = None
    authorization_reference: CiString36 | None = None
    info: DisplayText | None = None
