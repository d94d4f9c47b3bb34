"""OCPI 2.2.1 Tariffs module wire objects (§11.3 Object description, §11.4 Data types)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, Strict, StringConstraints, model_validator

from ocpi.core.types import (
    URL,
    CiString36,
    CountryCode,
    DateTime,
    DisplayText,
    Number,
    OcpiModel,
    PartyId,
    Price,
    String3,
)
from ocpi.locations.schemas import EnergyMix, Int64, TimeOfDay

LocalDate = Annotated[
    str,
    Strict(),
    StringConstraints(max_length=10, pattern=r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"),
]
"""§11.4.6 TariffRestrictions start_date/end_date: string(10), a local date `YYYY-MM-DD` (spec regex)."""


class DayOfWeek(StrEnum):
    """§11.4.1 DayOfWeek."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class ReservationRestrictionType(StrEnum):
    """§11.4.3 ReservationRestrictionType."""

    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


class TariffDimensionType(StrEnum):
    """§11.4.5 TariffDimensionType."""

    ENERGY = "ENERGY"
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class TariffType(StrEnum):
    """§11.4.7 TariffType."""

    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


class PriceComponent(OcpiModel):
    """§11.4.2 PriceComponent: `vat` absent means no VAT applies, which differs from 0 %."""

    type: TariffDimensionType
    price: Number
    vat: Number | None = None
    step_size: Int64


class TariffRestrictions(OcpiModel):
    """§11.4.6 TariffRestrictions: every set field must match (logical AND)."""

    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: LocalDate | None = None
    end_date: LocalDate | None = None
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_current: Number | None = None
    max_current: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: Int64 | None = None
    max_duration: Int64 | None = None
    day_of_week: list[DayOfWeek] | None = None
    reservation: ReservationRestrictionType | None = None


_RESERVATION_DIMENSIONS = frozenset({TariffDimensionType.FLAT, TariffDimensionType.TIME})


class TariffElement(OcpiModel):
    """§11.4.4 TariffElement: a reservation element "can only have FLAT and TIME" dimensions (§11.4.6)."""

    price_components: Annotated[list[PriceComponent], Field(min_length=1)]
    restrictions: TariffRestrictions | None = None

    @model_validator(mode="after")
    def _reservation_dimensions(self) -> Self:
        if self.restrictions is not None and self.restrictions.reservation is not None:
            for component in self.price_components:
                if component.type not in _RESERVATION_DIMENSIONS:
                    raise ValueError(
                        f"price_components: a reservation element can only have FLAT and TIME "
                        f"components, not {component.type.value}"
                    )
        return self


class Tariff(OcpiModel):
    """§11.3.1 Tariff."""

    country_code: CountryCode
    party_id: PartyId
    id: CiString36
    currency: String3
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: URL | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: Annotated[list[TariffElement], Field(min_length=1)]
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime
