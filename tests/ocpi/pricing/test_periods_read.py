"""ChargingPeriodsRead: a growing session priced many times reads each period once, with the result a
list of the same periods gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ocpi.pricing import ChargingPeriodsRead, PricingError, compile_tariff, price_session
from ocpi.sessions.schemas import ChargingPeriod
from tests.ocpi.pricing.builders import D, Session, element, elements, tariff

START = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
TARIFF = compile_tariff(
    tariff(
        elements(
            element({"FLAT": "0.50", "ENERGY": "0.30"}, max_kwh=5),
            element({"ENERGY": "0.20", "TIME": "1.20"}, start_time="09:00", end_time="18:00"),
            element({"ENERGY": "0.40", "PARKING_TIME": "2.00"}, step={"ENERGY": 1000}),
        )
    )
)


def _session() -> Session:
    session = Session(START)
    for n in range(40):
        session.charge(5, kwh=f"{0.4 + n % 3 * 0.1:.1f}", MAX_CURRENT=16)
    return session.park(20)


def test_pricing_as_periods_come_equals_pricing_the_whole_list_each_time() -> None:
    periods = _session().charging_periods()
    read = ChargingPeriodsRead(tariff=TARIFF, start=START)
    for count in (1, 7, 19, 30, 41):
        read.extend(periods[len(read) : count])
        assert len(read) == count
        incremental = price_session(tariff=TARIFF, charging_periods=read, start=START, end=None)
        whole = price_session(tariff=TARIFF, charging_periods=periods[:count], start=START, end=None)
        assert incremental.total_cost == whole.total_cost
        assert incremental.total_energy == whole.total_energy
        assert incremental.total_time == whole.total_time
        assert [p.quantity for p in incremental.parts] == [p.quantity for p in whole.parts]
    assert incremental.total_cost.excl_vat > D("5")  # the tariff really priced the 41 periods


def test_a_result_keeps_the_period_ends_it_was_priced_with() -> None:
    session = Session(START).charge(6, kwh="1").charge(6, kwh="1").charge(6, kwh="1")
    assert session.now is not None
    session.now += timedelta(minutes=15)  # the charger said nothing for a quarter of an hour
    periods = session.charge(6, kwh="1").charging_periods()
    read = ChargingPeriodsRead(tariff=TARIFF, start=START)
    read.extend(periods[:3])
    early = price_session(tariff=TARIFF, charging_periods=read, start=START, end=None)
    read.extend(periods[3:])
    later = price_session(tariff=TARIFF, charging_periods=read, start=START, end=None)

    # Priced alone, the third period ended after its 6 minutes of TIME; once the fourth came, it ends
    # where the fourth starts. The early result keeps what it was priced with.
    assert [p.end for p in early.periods] == [START + timedelta(minutes=m) for m in (6, 12, 18)]
    assert [p.end for p in later.periods] == [START + timedelta(minutes=m) for m in (6, 12, 33, 39)]


def test_a_bad_period_fails_every_later_pricing_as_the_list_would() -> None:
    good = _session().charging_periods()[:2]
    backwards = ChargingPeriod.model_validate(
        {"start_date_time": "2024-06-03T08:01:00Z", "dimensions": [{"type": "ENERGY", "volume": 1}]}
    )
    read = ChargingPeriodsRead(tariff=TARIFF, start=START)
    read.extend(good)
    read.extend([backwards])
    with pytest.raises(PricingError) as error:
        price_session(tariff=TARIFF, charging_periods=read, start=START, end=None)
    assert error.value.field == "charging_periods[2].start_date_time"
    read.extend(_session().charging_periods()[5:6])
    with pytest.raises(PricingError):
        price_session(tariff=TARIFF, charging_periods=read, start=START, end=None)


def test_periods_read_for_another_tariff_or_start_are_refused() -> None:
    read = ChargingPeriodsRead(tariff=TARIFF, start=START)
    read.extend(_session().charging_periods()[:2])
    other = compile_tariff(tariff(elements(element({"ENERGY": "0.30"})), id="T2"))
    with pytest.raises(ValueError, match="another tariff"):
        price_session(tariff=other, charging_periods=read, start=START, end=None)
    with pytest.raises(ValueError, match="another tariff"):
        price_session(tariff=TARIFF, charging_periods=read, start=START + timedelta(minutes=1), end=None)
