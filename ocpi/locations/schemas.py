"""OCPI 2.2.1 Locations module wire objects (§8.3 Object description, §8.4 Data types).

One pydantic class per spec object, with the spec's cardinalities, lengths, patterns and enums, plus
the cross-field rules the spec text states (PublishTokenType, Hours, RegularHours, Location.publish).
`TokenType` (§12.4.4, Tokens module) lives here because PublishTokenType needs it; the Tokens module
imports it from here so there is one definition.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, Strict, StringConstraints, ValidationInfo, field_validator, model_validator

from ocpi.core.types import (
    URL,
    BusinessDetails,
    CiString36,
    CiString48,
    CountryCode,
    DateTime,
    DisplayText,
    Image,
    Number,
    OcpiModel,
    PartyId,
    String3,
    String4,
    String10,
    String16,
    String20,
    String45,
    String64,
    String255,
)

Int64 = Annotated[int, Strict(), Field(ge=-(2**63), le=2**63 - 1)]
"""OCPI `int`: a JSON integer; bounded to 64 bits so no value can overflow a database column."""

# §8.4.13 says string(10)/string(11) *and* gives a regex that allows one character more (a sign,
# all integer digits and 7 decimals: "-179.1234567" is 12). The regex is the precise format and real
# coordinates use it (7 decimals are "approximately 1cm precision"), so the regex decides the length.
Latitude = Annotated[str, Strict(), StringConstraints(pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")]
"""§8.4.13 GeoLocation.latitude, regex `-?[0-9]{1,2}\\.[0-9]{5,7}` (at most 11 characters)."""

Longitude = Annotated[str, Strict(), StringConstraints(pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")]
"""§8.4.13 GeoLocation.longitude, regex `-?[0-9]{1,3}\\.[0-9]{5,7}` (at most 12 characters)."""

TimeOfDay = Annotated[
    str, Strict(), StringConstraints(max_length=5, pattern=r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")
]
"""string(5) `HH:MM`, regex `([0-1][0-9]|2[0-3]):[0-5][0-9]` (§8.4.21 RegularHours, §11.4.6).

Used by RegularHours and TariffRestrictions; the pattern leaves only printable ASCII.
"""

Weekday = Annotated[int, Strict(), Field(ge=1, le=7)]
"""§8.4.21 RegularHours.weekday: int(1), Monday (1) till Sunday (7)."""

Percentage = Annotated[Number, Field(ge=0, le=100)]
"""§8.4.7 EnergySource.percentage: number, 0-100."""


# --- enums -----------------------------------------------------------------------------------------


class Capability(StrEnum):
    """§8.4.3 Capability."""

    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE"
    CHARGING_PREFERENCES_CAPABLE = "CHARGING_PREFERENCES_CAPABLE"
    CHIP_CARD_SUPPORT = "CHIP_CARD_SUPPORT"
    CONTACTLESS_CARD_SUPPORT = "CONTACTLESS_CARD_SUPPORT"
    CREDIT_CARD_PAYABLE = "CREDIT_CARD_PAYABLE"
    DEBIT_CARD_PAYABLE = "DEBIT_CARD_PAYABLE"
    PED_TERMINAL = "PED_TERMINAL"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE"
    RESERVABLE = "RESERVABLE"
    RFID_READER = "RFID_READER"
    START_SESSION_CONNECTOR_REQUIRED = "START_SESSION_CONNECTOR_REQUIRED"
    TOKEN_GROUP_CAPABLE = "TOKEN_GROUP_CAPABLE"
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE"


class ConnectorFormat(StrEnum):
    """§8.4.4 ConnectorFormat."""

    SOCKET = "SOCKET"
    CABLE = "CABLE"


class ConnectorType(StrEnum):
    """§8.4.5 ConnectorType."""

    CHADEMO = "CHADEMO"
    CHAOJI = "CHAOJI"
    DOMESTIC_A = "DOMESTIC_A"
    DOMESTIC_B = "DOMESTIC_B"
    DOMESTIC_C = "DOMESTIC_C"
    DOMESTIC_D = "DOMESTIC_D"
    DOMESTIC_E = "DOMESTIC_E"
    DOMESTIC_F = "DOMESTIC_F"
    DOMESTIC_G = "DOMESTIC_G"
    DOMESTIC_H = "DOMESTIC_H"
    DOMESTIC_I = "DOMESTIC_I"
    DOMESTIC_J = "DOMESTIC_J"
    DOMESTIC_K = "DOMESTIC_K"
    DOMESTIC_L = "DOMESTIC_L"
    DOMESTIC_M = "DOMESTIC_M"
    DOMESTIC_N = "DOMESTIC_N"
    DOMESTIC_O = "DOMESTIC_O"
    GBT_AC = "GBT_AC"
    GBT_DC = "GBT_DC"
    IEC_60309_2_single_16 = "IEC_60309_2_single_16"
    IEC_60309_2_three_16 = "IEC_60309_2_three_16"
    IEC_60309_2_three_32 = "IEC_60309_2_three_32"
    IEC_60309_2_three_64 = "IEC_60309_2_three_64"
    IEC_62196_T1 = "IEC_62196_T1"
    IEC_62196_T1_COMBO = "IEC_62196_T1_COMBO"
    IEC_62196_T2 = "IEC_62196_T2"
    IEC_62196_T2_COMBO = "IEC_62196_T2_COMBO"
    IEC_62196_T3A = "IEC_62196_T3A"
    IEC_62196_T3C = "IEC_62196_T3C"
    NEMA_5_20 = "NEMA_5_20"
    NEMA_6_30 = "NEMA_6_30"
    NEMA_6_50 = "NEMA_6_50"
    NEMA_10_30 = "NEMA_10_30"
    NEMA_10_50 = "NEMA_10_50"
    NEMA_14_30 = "NEMA_14_30"
    NEMA_14_50 = "NEMA_14_50"
    PANTOGRAPH_BOTTOM_UP = "PANTOGRAPH_BOTTOM_UP"
    PANTOGRAPH_TOP_DOWN = "PANTOGRAPH_TOP_DOWN"
    TESLA_R = "TESLA_R"
    TESLA_S = "TESLA_S"


class EnergySourceCategory(StrEnum):
    """§8.4.8 EnergySourceCategory."""

    NUCLEAR = "NUCLEAR"
    GENERAL_FOSSIL = "GENERAL_FOSSIL"
    COAL = "COAL"
    GAS = "GAS"
    GENERAL_GREEN = "GENERAL_GREEN"
    SOLAR = "SOLAR"
    WIND = "WIND"
    WATER = "WATER"


class EnvironmentalImpactCategory(StrEnum):
    """§8.4.10 EnvironmentalImpactCategory."""

    NUCLEAR_WASTE = "NUCLEAR_WASTE"
    CARBON_DIOXIDE = "CARBON_DIOXIDE"


class Facility(StrEnum):
    """§8.4.12 Facility."""

    HOTEL = "HOTEL"
    RESTAURANT = "RESTAURANT"
    CAFE = "CAFE"
    MALL = "MALL"
    SUPERMARKET = "SUPERMARKET"
    SPORT = "SPORT"
    RECREATION_AREA = "RECREATION_AREA"
    NATURE = "NATURE"
    MUSEUM = "MUSEUM"
    BIKE_SHARING = "BIKE_SHARING"
    BUS_STOP = "BUS_STOP"
    TAXI_STAND = "TAXI_STAND"
    TRAM_STOP = "TRAM_STOP"
    METRO_STATION = "METRO_STATION"
    TRAIN_STATION = "TRAIN_STATION"
    AIRPORT = "AIRPORT"
    PARKING_LOT = "PARKING_LOT"
    CARPOOL_PARKING = "CARPOOL_PARKING"
    FUEL_STATION = "FUEL_STATION"
    WIFI = "WIFI"


class ParkingRestriction(StrEnum):
    """§8.4.17 ParkingRestriction."""

    EV_ONLY = "EV_ONLY"
    PLUGGED = "PLUGGED"
    DISABLED = "DISABLED"
    CUSTOMERS = "CUSTOMERS"
    MOTORCYCLES = "MOTORCYCLES"


class ParkingType(StrEnum):
    """§8.4.18 ParkingType."""

    ALONG_MOTORWAY = "ALONG_MOTORWAY"
    PARKING_GARAGE = "PARKING_GARAGE"
    PARKING_LOT = "PARKING_LOT"
    ON_DRIVEWAY = "ON_DRIVEWAY"
    ON_STREET = "ON_STREET"
    UNDERGROUND_GARAGE = "UNDERGROUND_GARAGE"


class PowerType(StrEnum):
    """§8.4.19 PowerType."""

    AC_1_PHASE = "AC_1_PHASE"
    AC_2_PHASE = "AC_2_PHASE"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class Status(StrEnum):
    """§8.4.22 Status (of an EVSE)."""

    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


class TokenType(StrEnum):
    """§12.4.4 TokenType (Tokens module), used by PublishTokenType."""

    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


# --- classes ---------------------------------------------------------------------------------------


class GeoLocation(OcpiModel):
    """§8.4.13 GeoLocation (WGS 84), coordinates kept as the strings sent so they read back exactly."""

    latitude: Latitude
    longitude: Longitude


class AdditionalGeoLocation(OcpiModel):
    """§8.4.1 AdditionalGeoLocation."""

    latitude: Latitude
    longitude: Longitude
    name: DisplayText | None = None


class EnergySource(OcpiModel):
    """§8.4.7 EnergySource."""

    source: EnergySourceCategory
    percentage: Percentage


class EnvironmentalImpact(OcpiModel):
    """§8.4.9 EnvironmentalImpact."""

    category: EnvironmentalImpactCategory
    amount: Number


class EnergyMix(OcpiModel):
    """§8.4.6 EnergyMix (also used by Tariff.energy_mix, §11.3.1)."""

    is_green_energy: Annotated[bool, Strict()]
    energy_sources: list[EnergySource] | None = None
    environ_impact: list[EnvironmentalImpact] | None = None
    supplier_name: String64 | None = None
    energy_product_name: String64 | None = None


class ExceptionalPeriod(OcpiModel):
    """§8.4.11 ExceptionalPeriod."""

    period_begin: DateTime
    period_end: DateTime


class RegularHours(OcpiModel):
    """§8.4.21 RegularHours: `period_end` "must be later than `period_begin`"."""

    weekday: Weekday
    period_begin: TimeOfDay
    period_end: TimeOfDay

    @field_validator("period_end")
    @classmethod
    def _end_after_begin(cls, value: str, info: ValidationInfo) -> str:
        # Zero-padded HH:MM strings order like the times they denote.
        begin = info.data.get("period_begin")
        if begin is not None and value <= begin:
            raise ValueError("must be later than period_begin")
        return value


class Hours(OcpiModel):
    """§8.4.14 Hours: `regular_hours` only with `twentyfourseven=false`, and then at least one entry."""

    twentyfourseven: Annotated[bool, Strict()]
    regular_hours: list[RegularHours] | None = None
    exceptional_openings: list[ExceptionalPeriod] | None = None
    exceptional_closings: list[ExceptionalPeriod] | None = None

    @model_validator(mode="after")
    def _regular_hours_match_twentyfourseven(self) -> Self:
        if self.twentyfourseven and self.regular_hours:
            raise ValueError("regular_hours may only be used when twentyfourseven is false")
        if not self.twentyfourseven and not self.regular_hours:
            raise ValueError("regular_hours needs at least one entry when twentyfourseven is false")
        return self


class PublishTokenType(OcpiModel):
    """§8.4.20 PublishTokenType: one of uid/visual_number/group_id; uid needs type, visual_number issuer."""

    uid: CiString36 | None = None
    type: TokenType | None = None
    visual_number: String64 | None = None
    issuer: String64 | None = None
    group_id: CiString36 | None = None

    @model_validator(mode="after")
    def _identifies_a_token(self) -> Self:
        if self.uid is None and self.visual_number is None and self.group_id is None:
            raise ValueError("at least one of uid, visual_number or group_id must be set")
        if self.uid is not None and self.type is None:
            raise ValueError("type must be set when uid is set")
        if self.visual_number is not None and self.issuer is None:
            raise ValueError("issuer must be set when visual_number is set")
        return self


class StatusSchedule(OcpiModel):
    """§8.4.23 StatusSchedule."""

    period_begin: DateTime
    period_end: DateTime | None = None
    status: Status


class Connector(OcpiModel):
    """§8.3.3 Connector."""

    id: CiString36
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: Int64
    max_amperage: Int64
    max_electric_power: Int64 | None = None
    tariff_ids: list[CiString36] | None = None
    terms_and_conditions: URL | None = None
    last_updated: DateTime


class EVSE(OcpiModel):
    """§8.3.2 EVSE: at least one connector."""

    uid: CiString36
    evse_id: CiString48 | None = None
    status: Status
    status_schedule: list[StatusSchedule] | None = None
    capabilities: list[Capability] | None = None
    connectors: Annotated[list[Connector], Field(min_length=1)]
    floor_level: String4 | None = None
    coordinates: GeoLocation | None = None
    physical_reference: String16 | None = None
    directions: list[DisplayText] | None = None
    parking_restrictions: list[ParkingRestriction] | None = None
    images: list[Image] | None = None
    last_updated: DateTime


class Location(OcpiModel):
    """§8.3.1 Location: `publish_allowed_to` "may only be used when the `publish` field is set to false"."""

    country_code: CountryCode
    party_id: PartyId
    id: CiString36
    publish: Annotated[bool, Strict()]
    publish_allowed_to: list[PublishTokenType] | None = None
    name: String255 | None = None
    address: String45
    city: String45
    postal_code: String10 | None = None
    state: String20 | None = None
    country: String3
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] | None = None
    parking_type: ParkingType | None = None
    evses: list[EVSE] | None = None
    directions: list[DisplayText] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] | None = None
    time_zone: String255
    opening_times: Hours | None = None
    charging_when_closed: Annotated[bool, Strict()] | None = None
    images: list[Image] | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime

    @field_validator("publish_allowed_to")
    @classmethod
    def _only_when_unpublished(
        cls, value: list[PublishTokenType] | None, info: ValidationInfo
    ) -> list[PublishTokenType] | None:
        if value and info.data.get("publish") is True:
            raise ValueError("may only be used when publish is false")
        return value
