"""One test per dimension (§11.4.5), step_size (§10.3.1), VAT (§11.4.2), min/max price (§11.3.1),
money rounding, the public result, and the errors the engine reports."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from ocpi.core.types import Price
from ocpi.pricing import PricingError, compile_tariff, minor_unit, price_session, round_money
from ocpi.pricing.money import settle
from ocpi.sessions.schemas import ChargingPeriod
from ocpi.tariffs.schemas import ReservationRestrictionType
from tests.conftest import example
from tests.ocpi.pricing.builders import D, Session, at, costs, element, elements, hours, same, tariff

START = at("2024-06-03 10:00")


def costs_of(price: Price) -> tuple[Decimal, Decimal | None]:
    return price.excl_vat, price.incl_vat


def test_energy_is_the_energy_dimension() -> None:
    t = tariff(elements(element({"ENERGY": "0.30"})))
    result = Session(START).charge(30, kwh="7.5").park(30).charge(10, kwh="2.5").price(t)
    assert result.total_energy == 10
    assert result.total_energy_cost.excl_vat == D("3.00")
    assert result.total_cost.excl_vat == D("3.00")


def test_energy_import_when_no_energy_dimension() -> None:
    """Session-only ENERGY_IMPORT is priced when a period reports no ENERGY (docs/pricing.md)."""
    t = tariff(elements(element({"ENERGY": "0.30"})))
    result = Session(START).raw(30, ENERGY_IMPORT=10, TIME=D("0.5")).price(t)
    assert result.total_energy_cost.excl_vat == D("3.00")


def test_time_is_charging_time_from_the_dimensions_not_the_wall_clock() -> None:
    """A 2-hour period reporting 30 minutes of charging bills 30 minutes (citrineos/citrineos#225)."""
    t = tariff(elements(element({"TIME": "2.00"})))
    result = Session(START).raw(120, ENERGY=5, TIME=D("0.5")).price(t)
    assert result.total_time_cost.excl_vat == D("1.00")
    assert result.total_time == D("0.5")
    # And a period without TIME is not charging time at all.
    assert Session(START).raw(120, ENERGY=5).price(t).total_cost.excl_vat == D("0.00")


def test_parking_time_is_the_time_not_charging() -> None:
    t = tariff(elements(element({"TIME": "2.00", "PARKING_TIME": "4.00"})))
    result = Session(START).charge(60, kwh=10).park(30).price(t)
    assert (result.total_time_cost.excl_vat, result.total_parking_cost.excl_vat) == (D("2.00"), D("2.00"))
    assert (result.total_time, result.total_parking_time, result.total_charging_time) == (
        D("1.5"),
        D("0.5"),
        D(1),
    )


def test_flat_is_billed_once_per_session() -> None:
    t = tariff(elements(element({"FLAT": "1.00", "ENERGY": "0.20"})))
    result = Session(START).charge(10, kwh=1).charge(10, kwh=1).park(10).charge(10, kwh=1).price(t)
    assert [p.dimension.value for p in result.parts].count("FLAT") == 1
    assert result.total_fixed_cost.excl_vat == D("1.00")
    assert result.total_cost.excl_vat == D("1.60")


def test_flat_of_the_first_element_that_applies() -> None:
    """Evening start fee differs: the FLAT is taken where it first applies (the session start)."""
    t = tariff(
        elements(
            element({"FLAT": "2.00"}, start_time="18:00", end_time="23:00"),
            element({"FLAT": "1.00", "ENERGY": "0.20"}),
        )
    )
    assert Session(at("2024-06-03 17:30")).charge(60, kwh=1).price(t).total_fixed_cost.excl_vat == D("1.00")
    assert Session(at("2024-06-03 18:30")).charge(60, kwh=1).price(t).total_fixed_cost.excl_vat == D("2.00")


def test_flat_of_a_session_without_periods_yet() -> None:
    """A session that has just started (no charging period) owes its start fee (session_example_1)."""
    data = example("session_example_1_simple_start.json")
    t = tariff(elements(element({"FLAT": "2.50", "ENERGY": "0.25"})))
    result = price_session(
        tariff=t, charging_periods=[], start=at("2020-03-09 10:17:09"), end=None, time_zone="UTC"
    )
    assert result.total_cost.excl_vat == D(str(data["total_cost"]["excl_vat"]))


def test_parking_flat_fee_counts_as_parking() -> None:
    """§10.3.1: total_fixed_cost excludes parking fees; total_parking_cost includes its fixed part."""
    t = tariff(
        elements(
            element({"FLAT": "3.00", "PARKING_TIME": "6.00"}, min_duration=7200), element({"ENERGY": "0.30"})
        )
    )
    result = Session(START).charge(60, kwh=10).park(90).price(t)
    assert result.total_fixed_cost.excl_vat == D("0.00")
    assert result.total_parking_cost.excl_vat == D("6.00")  # 3.00 fee + 30 minutes at 6.00


def test_step_size_zero_means_exact() -> None:
    t = tariff(elements(element({"TIME": "3.60"}, step={"TIME": 0})))
    result = Session(START).raw(1, TIME=D("0.0001")).price(t)  # 0.36 s
    assert result.exact_total_cost.excl_vat == D("0.00036")


def test_step_size_rounds_energy_in_wh() -> None:
    t = tariff(elements(element({"ENERGY": "1.00"}, step={"ENERGY": 1000})))
    assert Session(START).charge(60, kwh="10.001").price(t).total_cost.excl_vat == D("11.00")
    assert Session(START).charge(60, kwh="10").price(t).total_cost.excl_vat == D("10.00")


def test_step_size_uses_the_last_component_and_puts_the_extra_last() -> None:
    """A 30-minute step before 17:00 and a 1-minute step after: only the last one counts (§10.3.1)."""
    t = tariff(
        elements(
            element({"TIME": "6.00"}, step={"TIME": 1800}, end_time="17:00"),
            element({"TIME": "6.00"}, step={"TIME": 60}, start_time="17:00"),
        )
    )
    result = Session(at("2024-06-03 16:50")).charge("10.5").price(t)  # 16:50 -> 17:00:30
    assert same(result.billed_time, hours(11))
    assert same(result.parts[1].billed_quantity, hours(1))


def test_step_size_on_charging_when_parking_is_free() -> None:
    """Only the time dimension that was priced last is rounded: no PARKING_TIME price, TIME is rounded."""
    t = tariff(elements(element({"TIME": "6.00"}, step={"TIME": 900})))
    result = Session(START).charge(20).park(30).price(t)
    assert result.billed_time == D("0.5")
    assert result.total_cost.excl_vat == D("3.00")


def test_step_size_charging_again_after_parking() -> None:
    """Charge, pause, charge: the last time-based part is charging, so TIME is rounded, parking not."""
    t = tariff(
        elements(element({"TIME": "6.00", "PARKING_TIME": "6.00"}, step={"TIME": 900, "PARKING_TIME": 900}))
    )
    result = Session(START).charge(10).park(5).charge(10).price(t)
    assert result.billed_time == D("0.5")
    assert same(result.billed_parking_time, hours(5))


def test_vat_per_component_absent_zero_and_set() -> None:
    """§11.4.2: no `vat` means no VAT applies, 0 is 0 %; each component has its own."""
    t = tariff(
        elements(
            element({"FLAT": "1.00", "ENERGY": "0.50", "TIME": "1.00"}, vat={"ENERGY": "21", "TIME": "0"})
        )
    )
    result = Session(START).charge(60, kwh=10).price(t)
    assert costs_of(result.total_fixed_cost) == (D("1.00"), D("1.00"))  # no VAT applies
    assert (result.total_energy_cost.excl_vat, result.total_energy_cost.incl_vat) == (D("5.00"), D("6.05"))
    assert (result.total_time_cost.excl_vat, result.total_time_cost.incl_vat) == (D("1.00"), D("1.00"))
    assert costs(result) == (D("7.00"), D("8.05"))
    energy = next(p for p in result.parts if p.dimension == "ENERGY")
    assert (energy.vat, energy.cost.excl_vat, energy.cost.incl_vat) == (D(21), D("5.00"), D("6.05"))


def test_min_price_both_excl_and_incl_vat() -> None:
    """§11.3.1 NOTE: excl. and incl. VAT are bounded separately."""
    t = tariff(
        elements(element({"ENERGY": "0.25"}, vat={"ENERGY": "25"})),
        min_price={"excl_vat": 1.00, "incl_vat": 1.20},
    )
    result = Session(START).charge(60, kwh="3.9").price(t)  # 0.975 / 1.21875
    assert costs(result) == (D("1.00"), D("1.22"))
    assert result.min_price_applied
    assert result.adjustment.excl_vat == D("0.02")
    assert result.adjustment.incl_vat == D("0.00")


def test_max_price_without_incl_vat_keeps_the_vat_rate() -> None:
    t = tariff(elements(element({"ENERGY": "0.50"}, vat={"ENERGY": "20"})), max_price={"excl_vat": 10})
    result = Session(START).charge(60, kwh=40).price(t)  # 20.00 / 24.00
    assert costs(result) == (D("10.00"), D("12.00"))
    assert result.max_price_applied
    assert result.total_energy_cost.excl_vat == D("20.00")
    assert result.adjustment.excl_vat == D("-10.00")


def test_min_price_without_incl_vat_on_a_free_session() -> None:
    t = tariff(elements(element({"ENERGY": "0.50"})), min_price={"excl_vat": 1})
    assert costs(Session(START).charge(10).price(t)) == (D("1.00"), D("1.00"))


def test_money_is_rounded_half_up_once_on_the_total() -> None:
    """Three parts of 0.005 each: each alone rounds to 0.01, their total 0.015 rounds to 0.02."""
    t = tariff(elements(element({"FLAT": "0.005", "ENERGY": "0.005", "TIME": "0.005"})))
    result = Session(START).charge(60, kwh=1).price(t)
    assert result.total_cost.excl_vat == D("0.02")
    assert sum(p.excl_vat for p in result.cost_parts) == D("0.02")
    assert [p.excl_vat for p in result.cost_parts[:3]] == [D("0.01"), D("0.01"), D("0.00")]


def test_money_rounding_and_apportioning() -> None:
    assert round_money(D("2.345"), "EUR") == D("2.35")
    assert round_money(D("-2.345"), "EUR") == D("-2.35")
    assert round_money(Fraction(1, 3), "EUR") == D("0.33")
    assert round_money(Fraction(5, 8), "EUR") == D("0.63")
    assert round_money(D("1234.5"), "JPY") == D("1235")
    assert round_money(D("1.2345"), "KWD") == D("1.235")
    assert minor_unit("eur") == 2
    parts, total = settle([D("2.875"), D("3.30"), D("4.125")], "EUR")
    assert (parts, total) == ([D("2.88"), D("3.30"), D("4.12")], D("10.30"))
    parts, total = settle([Fraction(1, 3), Fraction(1, 3), Fraction(1, 3)], "EUR")
    assert (parts, total) == ([D("0.34"), D("0.33"), D("0.33")], D("1.00"))


def test_currency_without_minor_unit() -> None:
    t = tariff(elements(element({"ENERGY": "35"})), currency="JPY")
    assert Session(START).charge(60, kwh="10.01").price(t).total_cost.excl_vat == D("350")


def test_to_ocpi_gives_the_cdr_total_fields() -> None:
    t = tariff("tariff_13_simple_3hour_5parking.json")
    result = Session(START).charge(150, kwh=30).park(42).price(t)
    ocpi = result.to_ocpi()
    assert set(ocpi) == {
        "total_cost", "total_fixed_cost", "total_energy", "total_energy_cost", "total_time",
        "total_time_cost", "total_parking_time", "total_parking_cost", "total_reservation_cost",
    }  # fmt: skip
    assert ocpi["total_cost"] == {"excl_vat": D("11.25"), "incl_vat": D("12.75")}
    assert ocpi["total_time"] == D("3.2000")
    assert str(ocpi["total_parking_time"]) == "0.7000"
    assert str(ocpi["total_energy"]) == "30.0000"


def test_period_of_another_tariff_is_not_priced() -> None:
    """§10.4.6 tariff_id: a period that names another tariff is left to that tariff."""
    t = tariff(elements(element({"ENERGY": "1.00"})), id="A")
    session = Session(START).charge(10, kwh=1)
    session.periods[0]["tariff_id"] = "a"  # CiString: case-insensitive
    session.charge(10, kwh=2)
    session.periods[1]["tariff_id"] = "B"
    result = session.price(t)
    assert result.total_cost.excl_vat == D("1.00")
    assert [p.priced for p in result.periods] == [True, False]
    assert result.total_energy == 3


def test_ongoing_session_ends_with_its_last_reported_time() -> None:
    t = tariff(
        elements(element({"TIME": "6.00"}, start_time="10:00", end_time="10:30"), element({"TIME": "1.00"}))
    )
    periods = [
        ChargingPeriod.model_validate(
            {"start_date_time": "2024-06-03T10:20:00Z", "dimensions": [{"type": "TIME", "volume": 0.5}]}
        )
    ]
    result = price_session(tariff=t, charging_periods=periods, start=START + timedelta(minutes=20), end=None)
    assert [p.element_index for p in result.parts] == [0, 1]
    assert same(result.parts[0].quantity, hours(10))
    assert same(result.parts[1].quantity, hours(20))
    assert result.periods[0].end.isoformat() == "2024-06-03T10:50:00+00:00"
    assert same(result.exact_total_cost.excl_vat, D(1) + D(1) / 3)


def test_compiled_tariff_gives_the_same_result() -> None:
    t = tariff("tariff_4_complex.json")
    session = Session(START).charge(100, kwh=20, MAX_CURRENT=16).park(10)
    assert session.price(compile_tariff(t)).total_cost == session.price(t).total_cost  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("order", "charging_periods[1].start_date_time"),
        ("negative", "charging_periods[0].dimensions[0].volume"),
        ("before", "charging_periods[0].start_date_time"),
        ("end", "end_date_time"),
    ],
)
def test_invalid_sessions_name_the_field(change: str, field: str) -> None:
    t = tariff(elements(element({"TIME": "1.00"})))
    session = Session(START).charge(10).charge(10)
    start, end = START, START + timedelta(minutes=20)
    if change == "order":
        session.periods.reverse()
    elif change == "negative":
        session.periods[0]["dimensions"] = [{"type": "TIME", "volume": -1}]
    elif change == "before":
        start = START + timedelta(minutes=5)
    else:
        end = START + timedelta(minutes=5)
    with pytest.raises(PricingError) as error:
        price_session(tariff=t, charging_periods=session.charging_periods(), start=start, end=end)
    assert error.value.field == field


def test_unknown_time_zone_and_contradicting_reservation() -> None:
    t = tariff(elements(element({"TIME": "1.00"})))
    with pytest.raises(PricingError, match="time_zone"):
        Session(START).charge(10).price(t, tz="Mars/Olympus_Mons")
    with pytest.raises(PricingError, match="reservation"):
        Session(START).charge(10).price(t, reservation=ReservationRestrictionType.RESERVATION_EXPIRES)


def test_decimal_from_end_to_end() -> None:
    t = tariff("tariff_4_complex.json")
    result = Session(START).charge(100, kwh=20, MAX_CURRENT=16).park(10).price(t)
    for price in (result.total_cost, *result.cost_parts, result.adjustment, result.exact_total_cost):
        assert isinstance(price.excl_vat, Decimal)
        assert isinstance(price.incl_vat, Decimal)
    for part in result.parts:
        assert all(isinstance(v, Decimal) for v in (part.quantity, part.billed_quantity, part.cost.excl_vat))


def test_energy_fed_back_is_not_priced() -> None:
    """Negative ENERGY (V2G) has no price in 2.2.1: not billed, not counted for min_kwh."""
    t = tariff(elements(element({"ENERGY": "0.30"})))
    result = Session(START).charge(30, kwh=10).charge(30, kwh=-4).price(t)
    assert result.total_energy_cost.excl_vat == D("3.00")
    assert result.total_energy == 6


def test_to_ocpi_completes_a_cdr() -> None:
    """The totals drop into the CDR schema as they are (§10.3.1)."""
    from ocpi.cdrs.schemas import CDR

    data = example("cdr_example.json")
    cdr = CDR.model_validate(data)
    assert cdr.tariffs is not None
    result = price_session(
        tariff=cdr.tariffs[0],
        charging_periods=cdr.charging_periods,
        start=cdr.start_date_time,
        end=cdr.end_date_time,
    )
    priced = CDR.model_validate({**data, **result.to_ocpi()})
    assert priced.total_cost == cdr.total_cost
    assert priced.total_parking_cost is not None
    assert priced.to_json()["total_cost"] == {"excl_vat": 4, "incl_vat": 4.4}
