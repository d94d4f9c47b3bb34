"""Properties of the engine over generated tariffs and sessions (hypothesis).

* Splitting a charging period in two (its quantities in proportion) never changes any total: the
  engine's own cuts are exact, so where the CPO starts a period cannot change the price (§10.3.1).
* total_cost is the sum of its parts (plus the min/max price adjustment, zero when none applies).
* Totals stay within min_price and max_price (§11.3.1), excl. VAT and incl. VAT.

Generated durations are multiples of 36 s (0.01 h), so a test's own split of a period is exact.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocpi.pricing import PriceResult, compile_tariff, price_session
from ocpi.sessions.schemas import ChargingPeriod
from ocpi.tariffs.schemas import Tariff

SETTINGS = settings(
    max_examples=int(os.environ.get("PRICING_EXAMPLES", "100")),  # e.g. PRICING_EXAMPLES=2000 to stress
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
UNIT = 36  # seconds: 0.01 hour, so every generated duration is an exact decimal number of hours
ZONES = ["UTC", "Europe/Amsterdam", "America/New_York"]
DAYS = [
    datetime(2024, 3, 31, tzinfo=UTC),
    datetime(2024, 10, 27, tzinfo=UTC),
    datetime(2024, 11, 3, tzinfo=UTC),
]

money = st.integers(min_value=0, max_value=500).map(lambda cents: Decimal(cents) / 100)
times = st.integers(min_value=0, max_value=47).map(lambda half: f"{half // 2:02d}:{30 * (half % 2):02d}")


@st.composite
def components(draw: st.DrawFn) -> list[dict[str, Any]]:
    kinds = draw(
        st.lists(
            st.sampled_from(["FLAT", "ENERGY", "TIME", "PARKING_TIME"]), min_size=1, max_size=4, unique=True
        )
    )
    steps = {
        "FLAT": [1],
        "ENERGY": [1, 100, 500],
        "TIME": [0, 1, 60, 300, 900],
        "PARKING_TIME": [1, 60, 300, 900],
    }
    return [
        {
            "type": kind,
            "price": draw(money),
            "step_size": draw(st.sampled_from(steps[kind])),
            **({"vat": vat} if (vat := draw(st.sampled_from([None, 0, 9, 21]))) is not None else {}),
        }
        for kind in kinds
    ]


@st.composite
def restrictions(draw: st.DrawFn) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    if draw(st.booleans()):
        chosen["start_time"] = draw(times)
    if draw(st.booleans()):
        chosen["end_time"] = draw(times)
    if draw(st.integers(0, 4)) == 0:
        chosen["day_of_week"] = draw(
            st.lists(st.sampled_from(["MONDAY", "SATURDAY", "SUNDAY"]), min_size=1, unique=True)
        )
    if draw(st.integers(0, 3)) == 0:
        chosen[draw(st.sampled_from(["min_kwh", "max_kwh"]))] = draw(st.sampled_from([1, 5, 10]))
    if draw(st.integers(0, 3)) == 0:
        chosen[draw(st.sampled_from(["min_power", "max_power"]))] = draw(st.sampled_from([11, 22]))
    if draw(st.integers(0, 3)) == 0:
        chosen[draw(st.sampled_from(["min_duration", "max_duration"]))] = draw(st.sampled_from([1800, 3600]))
    return chosen


@st.composite
def tariffs(draw: st.DrawFn, *, bounded: bool = False) -> Tariff:
    items = [
        {
            "price_components": draw(components()),
            **({"restrictions": r} if (r := draw(restrictions())) else {}),
        }
        for _ in range(draw(st.integers(1, 4)))
    ]
    if draw(st.booleans()):
        items.append({"price_components": draw(components())})  # a fallback without restrictions
    data: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "ABC",
        "id": "P",
        "currency": "EUR",
        "elements": items,
        "last_updated": "2024-01-01T00:00:00Z",
    }
    if bounded:
        low = draw(money)
        high = low + draw(money) + Decimal("0.01")
        if draw(st.booleans()):
            data["min_price"] = {"excl_vat": low, "incl_vat": low * Decimal("1.21")}
        if draw(st.booleans()):
            data["max_price"] = {"excl_vat": high, "incl_vat": high * Decimal("1.21")}
    return Tariff.model_validate(data)


@st.composite
def sessions(draw: st.DrawFn) -> tuple[datetime, list[tuple[int, str, Decimal, int]], str]:
    """A start instant, periods as (units of 36 s, charge/park, kWh per unit, max power), a zone."""
    if draw(st.booleans()):
        start = draw(st.sampled_from(DAYS)) + timedelta(minutes=draw(st.integers(0, 24 * 60)))
    else:
        start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 366 * 24 * 60)))
    periods = draw(
        st.lists(
            st.tuples(
                st.integers(1, 120),
                st.sampled_from(["charge", "charge", "park"]),
                st.integers(0, 3000).map(lambda e: Decimal(e) / 10000),
                st.sampled_from([7, 11, 22, 50]),
            ),
            min_size=1,
            max_size=6,
        )
    )
    return start, periods, draw(st.sampled_from(ZONES))


def build(
    start: datetime, periods: list[tuple[int, str, Decimal, int]]
) -> tuple[list[ChargingPeriod], datetime]:
    built = []
    now = start
    for units, kind, rate, power in periods:
        if kind == "charge":
            dims = [
                {"type": "ENERGY", "volume": rate * units},
                {"type": "TIME", "volume": Decimal(units) / 100},
                {"type": "MAX_POWER", "volume": power},
            ]
        else:
            dims = [{"type": "PARKING_TIME", "volume": Decimal(units) / 100}]
        built.append(ChargingPeriod.model_validate({"start_date_time": now, "dimensions": dims}))
        now += timedelta(seconds=units * UNIT)
    return built, now


def price(
    tariff: Tariff, start: datetime, periods: list[tuple[int, str, Decimal, int]], zone: str
) -> PriceResult:
    charging_periods, end = build(start, periods)
    return price_session(
        tariff=compile_tariff(tariff), charging_periods=charging_periods, start=start, end=end, time_zone=zone
    )


def totals(result: PriceResult) -> tuple[Any, ...]:
    return (
        result.total_cost,
        *result.cost_parts,
        result.exact_total_cost,
        result.billed_energy,
        result.billed_time,
        result.billed_parking_time,
        result.total_energy,
        result.total_time,
        result.total_parking_time,
    )


@SETTINGS
@given(tariff=tariffs(bounded=True), session=sessions(), data=st.data())
def test_splitting_a_period_never_changes_the_totals(
    tariff: Tariff, session: Any, data: st.DataObject
) -> None:
    start, periods, zone = session
    candidates = [i for i, p in enumerate(periods) if p[0] > 1]
    if not candidates:
        periods = [(periods[0][0] + 1, *periods[0][1:]), *periods[1:]]
        candidates = [0]
    i = data.draw(st.sampled_from(candidates))
    units, kind, rate, power = periods[i]
    cut = data.draw(st.integers(1, units - 1))
    split = [*periods[:i], (cut, kind, rate, power), (units - cut, kind, rate, power), *periods[i + 1 :]]
    assert totals(price(tariff, start, split, zone)) == totals(price(tariff, start, periods, zone))


@SETTINGS
@given(tariff=tariffs(bounded=True), session=sessions())
def test_total_cost_is_the_sum_of_its_parts(tariff: Tariff, session: Any) -> None:
    start, periods, zone = session
    result = price(tariff, start, periods, zone)
    for vat in ("excl_vat", "incl_vat"):
        parts = sum(getattr(p, vat) for p in result.cost_parts)
        assert getattr(result.total_cost, vat) == parts + getattr(result.adjustment, vat)
    if not (result.min_price_applied or result.max_price_applied):
        assert result.adjustment.excl_vat == result.adjustment.incl_vat == 0
    if not (result.min_price_applied or result.max_price_applied):
        # The breakdown's exact costs add up to the exact total (each shown to at most 18 decimals).
        shown = sum(p.cost.excl_vat for p in result.parts)
        assert abs(shown - result.exact_total_cost.excl_vat) <= Decimal("1e-18") * (len(result.parts) + 1)


@SETTINGS
@given(tariff=tariffs(bounded=True), session=sessions())
def test_totals_stay_within_min_and_max_price(tariff: Tariff, session: Any) -> None:
    start, periods, zone = session
    result = price(tariff, start, periods, zone)
    for vat in ("excl_vat", "incl_vat"):
        total = getattr(result.total_cost, vat)
        if tariff.min_price is not None:
            assert total >= getattr(tariff.min_price, vat).quantize(Decimal("0.01"))
        if tariff.max_price is not None:
            assert total <= getattr(tariff.max_price, vat).quantize(Decimal("0.01"))
