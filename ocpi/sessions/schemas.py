"""OCPI 2.2.1 Sessions module wire objects (§9 Sessions), with the CDR classes a Session is made of.

CdrToken, ChargingPeriod, CdrDimension, CdrDimensionType and AuthMethod are defined by the CDRs module
(§10.4) but a Session uses them too; they live here so that Sessions do not depend on CDRs (which need
Locations and Tariffs). `ocpi.cdrs.schemas` re-exports them.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from ocpi.core.types import (
    Bool,
    CiString36,
    CountryCode,
    DateTime,
    Number,
    OcpiModel,
    PartyId,
    Price,
    String3,
    String255,
)
from ocpi.tokens.schemas import ObjectId36, ProfileType, TokenType

__all__ = [
    "AuthMethod",
    "CdrDimension",
    "CdrDimensionType",
    "CdrToken",
    "ChargingPeriod",
    "ChargingPreferences",
    "ChargingPreferencesResponse",
    "ProfileType",
    "Session",
    "SessionStatus",
]


class SessionStatus(StrEnum):
    """§9.4.3 SessionStatus."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"
    RESERVATION = "RESERVATION"


class ChargingPreferencesResponse(StrEnum):
    """§9.4.1 ChargingPreferencesResponse: the answer to PUT .../charging_preferences."""

    ACCEPTED = "ACCEPTED"
    DEPARTURE_REQUIRED = "DEPARTURE_REQUIRED"
    ENERGY_NEED_REQUIRED = "ENERGY_NEED_REQUIRED"
    NOT_POSSIBLE = "NOT_POSSIBLE"
    PROFILE_TYPE_NOT_SUPPORTED = "PROFILE_TYPE_NOT_SUPPORTED"


class AuthMethod(StrEnum):
    """§10.4.1 AuthMethod."""

    AUTH_REQUEST = "AUTH_REQUEST"
    COMMAND = "COMMAND"
    WHITELIST = "WHITELIST"


class CdrDimensionType(StrEnum):
    """§10.4.3 CdrDimensionType. See SESSION_ONLY_DIMENSIONS for the values a CDR may not carry."""

    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


SESSION_ONLY_DIMENSIONS = frozenset(
    {
        CdrDimensionType.CURRENT,
        CdrDimensionType.ENERGY_EXPORT,
        CdrDimensionType.ENERGY_IMPORT,
        CdrDimensionType.POWER,
        CdrDimensionType.STATE_OF_CHARGE,
    }
)
"""§10.4.3 "Session Only" column: these SHALL only be used in Sessions, never in a CDR."""


class CdrDimension(OcpiModel):
    """§10.4.2 CdrDimension."""

    type: CdrDimensionType
    volume: Number

    @field_validator("volume")
    @classmethod
    def _state_of_charge_is_a_percentage(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        """§10.4.3 STATE_OF_CHARGE: "values allowed: 0 to 100"."""
        if info.data.get("type") == CdrDimensionType.STATE_OF_CHARGE and not 0 <= value <= 100:
            raise ValueError("STATE_OF_CHARGE must be between 0 and 100")
        return value


class ChargingPeriod(OcpiModel):
    """§10.4.6 ChargingPeriod: a period ends when the next one starts, the last one with the session."""

    start_date_time: DateTime
    dimensions: Annotated[list[CdrDimension], Field(min_length=1)]
    tariff_id: CiString36 | None = None


class CdrToken(OcpiModel):
    """§10.4.5 CdrToken: the token as used for the session; country_code/party_id are its eMSP's."""

    country_code: CountryCode
    party_id: PartyId
    uid: CiString36
    type: TokenType
    contract_id: CiString36


class Session(OcpiModel):
    """§9.3.1 Session object, owned by the CPO (country_code, party_id)."""

    country_code: CountryCode
    party_id: PartyId
    id: ObjectId36
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: Number
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36
    meter_id: String255 | None = None
    currency: String3
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Price | None = None
    status: SessionStatus
    last_updated: DateTime


class ChargingPreferences(OcpiModel):
    """§9.3.2 ChargingPreferences: body of the Sender's PUT .../{session_id}/charging_preferences."""

    profile_type: ProfileType
    departure_time: DateTime | None = None
    energy_need: Number | None = None
    discharge_allowed: Bool | None = None
