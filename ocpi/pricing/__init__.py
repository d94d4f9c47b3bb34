"""The one tariff pricing function of the project (OCPI 2.2.1 §11 Tariffs, §10 CDRs); see docs/pricing.md.

Plain package, not a Django app: no models, no settings. Typical use::

    from ocpi.pricing import compile_tariff, price_session

    result = price_session(
        tariff=compile_tariff(tariff), charging_periods=cdr.charging_periods,
        start=cdr.start_date_time, end=cdr.end_date_time, time_zone=location.time_zone,
    )
    cdr_fields = result.to_ocpi()
"""

from ocpi.pricing.compiled import CompiledTariff, compile_tariff
from ocpi.pricing.engine import (
    ChargingPeriodsRead,
    PeriodBreakdown,
    PricedPart,
    PriceResult,
    PricingError,
    price_session,
)
from ocpi.pricing.money import minor_unit, round_money

__all__ = [
    "ChargingPeriodsRead",
    "CompiledTariff",
    "PeriodBreakdown",
    "PriceResult",
    "PricedPart",
    "PricingError",
    "compile_tariff",
    "minor_unit",
    "price_session",
    "round_money",
]
