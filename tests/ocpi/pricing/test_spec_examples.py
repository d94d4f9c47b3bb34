"""Every tariff example of OCPI 2.2.1 parses, and every worked example prices to the spec's amounts.

mod_tariffs.asciidoc §11.3.1.1 (Examples), §11.4.2 (PriceComponent step_size note and the "switching
Tariff Element" examples), §11.4.6 (max_power and max_duration examples), mod_cdrs.asciidoc §10.3.1
(step_size examples) and the CDR example. Two stated amounts contradict the spec's own tariff; those
tests assert the amount the tariff gives and say why (also in docs/pricing.md).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from ocpi.cdrs.schemas import CDR
from ocpi.pricing import price_session
from ocpi.tariffs.schemas import ReservationRestrictionType, Tariff
from tests.conftest import EXAMPLES, example
from tests.ocpi.pricing.builders import D, Session, at, costs, element, elements, hours, same, tariff

TARIFF_EXAMPLES = sorted(p.name for p in EXAMPLES.glob("tariff*.json"))
MONDAY = "2024-06-03"
SATURDAY = "2024-06-08"


def test_the_examples_folder_has_the_tariff_examples() -> None:
    assert len(TARIFF_EXAMPLES) >= 19


@pytest.mark.parametrize("name", TARIFF_EXAMPLES)
def test_every_tariff_example_parses(name: str) -> None:
    data = example(name)
    if name == "tariff_put_example.json":
        # The PUT example leaves out last_updated, which §11.3.1 makes required (cardinality 1).
        assert "last_updated" not in data
        data = {**data, "last_updated": "2019-01-01T00:00:00Z"}
    parsed = Tariff.model_validate(data)
    assert parsed.elements


# --- §11.3.1.1 Examples ----------------------------------------------------------------------------


def test_simple_025_per_kwh() -> None:
    """20 kWh: € 5.00 excl. VAT, € 5.50 incl. VAT."""
    result = Session(at(f"{MONDAY} 10:00")).charge(60, kwh=20).price(tariff("tariff_8_simple_025kwh.json"))
    assert costs(result) == (D("5.00"), D("5.50"))
    assert result.total_energy_cost.excl_vat == D("5.00")


def test_025_per_kwh_and_start_fee() -> None:
    """20 kWh: € 5.50 excl. VAT, € 6.10 incl. VAT."""
    result = Session(at(f"{MONDAY} 10:00")).charge(60, kwh=20).price(tariff("tariff_9_025kwh_start.json"))
    assert costs(result) == (D("5.50"), D("6.10"))
    assert result.total_fixed_cost.excl_vat == D("0.50")
    assert result.total_fixed_cost.incl_vat == D("0.60")


@pytest.mark.parametrize(
    ("kwh", "excl", "incl", "applied"),
    [("20", "5.00", "5.50", False), ("1.5", "0.50", "0.55", True), ("0", "0.50", "0.55", True)],
)
def test_025_per_kwh_and_min_price(kwh: str, excl: str, incl: str, applied: bool) -> None:
    """20 kWh: € 5.00 / € 5.50; below 2 kWh, € 0.50 excl. VAT or € 0.55 incl. VAT."""
    result = (
        Session(at(f"{MONDAY} 10:00")).charge(30, kwh=kwh).price(tariff("tariff_12_025kwh_min_price.json"))
    )
    assert costs(result) == (D(excl), D(incl))
    assert result.min_price_applied is applied


def test_025_per_kwh_parking_and_start_fee() -> None:
    """20 kWh and 40 minutes parked: € 7.00 / € 7.90 (parking billed per 15 minutes, so 45)."""
    session = Session(at(f"{MONDAY} 10:00")).charge(90, kwh=20).park(40)
    result = session.price(tariff("tariff_10_025kwh_parking_start.json"))
    assert costs(result) == (D("7.00"), D("7.90"))
    assert result.billed_parking_time == D("0.75")
    assert result.total_parking_cost.excl_vat == D("1.50")


@pytest.mark.parametrize(("kwh", "excl", "incl"), [("50", "10.00", "11.00"), ("30", "8.00", "8.85")])
def test_025_per_kwh_start_fee_and_max_price(kwh: str, excl: str, incl: str) -> None:
    """50 kWh: € 10.00 / € 11.00 (the max price); 30 kWh: € 8.00 / € 8.85."""
    session = Session(at("2019-05-06 10:00")).charge(120, kwh=kwh)
    result = session.price(tariff("tariff_6_025kwh_start_max_price.json"))
    assert costs(result) == (D(excl), D(incl))
    assert result.max_price_applied is (kwh == "50")


def test_simple_2_per_hour() -> None:
    """2.5 hours charging: € 5.00 / € 5.50; TIME only, so parking is free."""
    session = Session(at(f"{MONDAY} 10:00")).charge(150, kwh=30).park(30)
    result = session.price(tariff("tariff_1_simple_2hour.json"))
    assert costs(result) == (D("5.00"), D("5.50"))
    assert result.total_parking_cost.excl_vat == D("0.00")


def test_simple_3_per_hour_5_per_hour_parking() -> None:
    """150 minutes charging + 42 parking (billed per 5 minutes: 45): € 11.25 / € 12.75."""
    session = Session(at(f"{MONDAY} 10:00")).charge(150, kwh=30).park(42)
    result = session.price(tariff("tariff_13_simple_3hour_5parking.json"))
    assert costs(result) == (D("11.25"), D("12.75"))
    assert result.billed_parking_time == D("0.75")
    assert result.billed_time == D("2.5")


def test_ad_hoc_alt_text() -> None:
    """2.5 hours at € 1.90 and 5.2 % VAT: € 4.75 / € 5.00 (4.997 rounded to the cent)."""
    result = Session(at(f"{MONDAY} 10:00")).charge(150, kwh=10).price(tariff("tariff_2_alt_text.json"))
    assert costs(result) == (D("4.75"), D("5.00"))
    assert result.exact_total_cost.incl_vat == D("4.997")


def test_alt_url_energy_per_100_wh() -> None:
    """20.45 kWh billed per 0.1 kWh (20.5): energy € 5.13 / € 5.64, total € 5.63 / € 6.24."""
    result = Session(at(f"{MONDAY} 10:00")).charge(60, kwh="20.45").price(tariff("tariff_3_alt_url.json"))
    assert costs(result) == (D("5.63"), D("6.24"))
    assert result.total_energy_cost.excl_vat == D("5.13")
    assert result.total_energy_cost.incl_vat == D("5.64")
    assert result.total_fixed_cost.incl_vat == D("0.60")
    assert result.billed_energy == D("20.5")


def test_alt_url_with_the_real_time_price() -> None:
    """The same session at the real-time € 0.22/kWh: energy € 4.51 / € 4.96, total € 5.01 / € 5.56."""
    t = tariff("tariff_3_alt_url.json").model_dump()
    t["elements"][0]["price_components"][1]["price"] = Decimal("0.22")
    result = Session(at(f"{MONDAY} 10:00")).charge(60, kwh="20.45").price(Tariff.model_validate(t))
    assert (result.total_energy_cost.excl_vat, result.total_energy_cost.incl_vat) == (D("4.51"), D("4.96"))
    assert costs(result) == (D("5.01"), D("5.56"))


def test_ad_hoc_not_possible_alt_text() -> None:
    """Modelled as € 0.50 start fee incl. VAT (0.40 + 25 %) and € 2.00 per hour incl. VAT (1.90 + 5.2 %)."""
    result = (
        Session(at(f"{MONDAY} 10:00"))
        .charge(60, kwh=10)
        .price(tariff("tariff_11_not_possible_alt_text.json"))
    )
    assert result.total_fixed_cost.incl_vat == D("0.50")
    assert result.total_time_cost.incl_vat == D("2.00")  # 1.9988
    assert costs(result) == (D("2.30"), D("2.50"))


def test_complex_monday() -> None:
    """Monday 09:30, 165 minutes at most 16 A, 42 minutes parked: € 9.00 / € 10.30.

    Charging time is not rounded (followed by parking); parking is rounded from 42 to 45 minutes by
    the step_size of the weekday parking element.
    """
    session = Session(at(f"{MONDAY} 09:30")).charge(165, kwh=10, MAX_CURRENT=16).park(42)
    result = session.price(tariff("tariff_4_complex.json"))
    assert costs(result) == (D("9.00"), D("10.30"))
    assert result.total_fixed_cost.excl_vat == D("2.50")
    assert result.total_time_cost.excl_vat == D("2.75")
    assert result.total_time_cost.incl_vat == D("3.30")
    assert result.total_parking_cost.excl_vat == D("3.75")
    assert result.billed_time == D("2.75")
    assert result.billed_parking_time == D("0.75")
    # 2.875 + 3.30 + 4.125 = 10.30 exactly: the parts are apportioned so that they add up to it.
    assert sum(p.incl_vat or 0 for p in result.cost_parts) == D("10.30")


def test_complex_saturday_spec_amount_uses_the_wrong_price() -> None:
    """Saturday 13:30, 114 minutes at at least 43 A, 71 minutes parked.

    The spec states € 12.28 / € 13.861, but its breakdown prices 114 minutes at € 1.20 per hour where
    the tariff (and the spec's own table and prose) say € 1.25 (ocpi/ocpi#396, #579): 114 minutes at
    € 1.25 is € 2.375. With the tariff's price: 2.50 + 2.375 + 7.50 = € 12.375 excl. VAT and
    2.875 + 2.85 + 8.25 = € 13.975 incl. VAT, rounded € 12.38 / € 13.98. Every quantity the spec
    states holds: 114 charging minutes (not rounded), parking 71 -> 75 minutes at € 6.00.
    """
    session = Session(at(f"{SATURDAY} 13:30")).charge(114, kwh=40, MIN_CURRENT=43).park(71)
    result = session.price(tariff("tariff_4_complex.json"))
    assert result.exact_total_cost.excl_vat == D("12.375")
    assert result.exact_total_cost.incl_vat == D("13.975")
    assert costs(result) == (D("12.38"), D("13.98"))
    assert same(result.billed_time, hours(114))
    assert result.billed_parking_time == D("1.25")
    assert result.total_parking_cost.excl_vat == D("7.50")
    assert result.total_parking_cost.incl_vat == D("8.25")
    assert {p.element_index for p in result.parts if p.dimension == "TIME"} == {3}
    # The spec's own amounts come back with its (wrong) price of € 1.20 per hour:
    wrong = tariff("tariff_4_complex.json").model_dump()
    wrong["elements"][3]["price_components"][0]["price"] = Decimal("1.20")
    assert session.price(Tariff.model_validate(wrong)).exact_total_cost.incl_vat == D("13.861")


def test_free_of_charge() -> None:
    result = (
        Session(at(f"{MONDAY} 10:00"))
        .charge(60, kwh=20)
        .park(60)
        .price(tariff("tariff_5_free_of_charge.json"))
    )
    assert costs(result) == (D("0.00"), D("0.00"))


def test_reservation_5_per_hour() -> None:
    """Charging starts 15 minutes after the reservation, 20 kWh: € 6.75 / € 7.60."""
    session = Session(at(f"{MONDAY} 10:00")).reserve(15).charge(60, kwh=20)
    result = session.price(tariff("tariff_15_reservation_5_euro_per_hour.json"))
    assert costs(result) == (D("6.75"), D("7.60"))
    assert result.total_reservation_cost.excl_vat == D("1.25")
    assert result.total_reservation_cost.incl_vat == D("1.50")
    assert result.total_fixed_cost.excl_vat == D("0.50")
    assert result.total_time_cost.excl_vat == D("0.00")


def test_reservation_fee_and_5_per_hour() -> None:
    """Charging 13 minutes after the reservation (billed per 5 minutes: 15), 20 kWh: € 8.75 / € 10.00."""
    session = Session(at(f"{MONDAY} 10:00")).reserve(13).charge(60, kwh=20)
    result = session.price(tariff("tariff_16_reservation_2_euro_fee_5_euro_per_hour.json"))
    assert costs(result) == (D("8.75"), D("10.00"))
    assert result.total_reservation_cost.excl_vat == D("3.25")  # 2.00 fee + 1.25 time
    assert result.total_reservation_cost.incl_vat == D("3.90")
    assert result.total_fixed_cost.excl_vat == D("0.50")
    assert result.billed_reservation_time == D("0.25")


def test_reservation_with_expire_fee() -> None:
    """22 minutes reserved (per 10 minutes: 30), 20 kWh: € 6.50 / € 7.30.

    Expired after 1 hour: € 6.00 / € 7.20 (expiry fee and the hour, no start fee).
    """
    t = tariff("tariff_17_reservation_with_expire_fee.json")
    used = Session(at(f"{MONDAY} 10:00")).reserve(22).charge(60, kwh=20).price(t)
    assert costs(used) == (D("6.50"), D("7.30"))
    assert used.total_reservation_cost.excl_vat == D("1.00")
    expired = Session(at(f"{MONDAY} 10:00")).reserve(60).price(t)
    assert costs(expired) == (D("6.00"), D("7.20"))
    assert expired.total_reservation_cost.excl_vat == D("6.00")
    assert expired.total_fixed_cost.excl_vat == D("0.00")  # no charging session, so no start fee
    explicit = (
        Session(at(f"{MONDAY} 10:00"))
        .reserve(60)
        .price(t, reservation=ReservationRestrictionType.RESERVATION_EXPIRES)
    )
    assert costs(explicit) == costs(expired)


def test_reservation_with_expire_time() -> None:
    """22 minutes reserved at € 3 (per 10 minutes: 30), 20 kWh: € 7.00 / € 7.90; expired after 1.5 hours
    at the RESERVATION_EXPIRES price of € 6 per hour: € 9.00 / € 10.80."""
    t = tariff("tariff_18_reservation_with_expire_time.json")
    used = Session(at(f"{MONDAY} 10:00")).reserve(22).charge(60, kwh=20).price(t)
    assert costs(used) == (D("7.00"), D("7.90"))
    expired = Session(at(f"{MONDAY} 10:00")).reserve(90).price(t)
    assert costs(expired) == (D("9.00"), D("10.80"))


# --- §11.4.6 TariffRestrictions examples -----------------------------------------------------------


def test_max_power_example() -> None:
    """1 kWh at 6 kW, 40 kWh at 48 kW, 0.5 kWh at 4 kW: € 20.30 excl. VAT."""
    session = (
        Session(at(f"{MONDAY} 10:00"))
        .charge(10, kwh=1, MAX_POWER=6)
        .charge(50, kwh=40, MAX_POWER=48)
        .charge(8, kwh="0.5", MAX_POWER=4)
    )
    result = session.price(tariff("tariffrestriction_example_max_power.json"))
    assert result.total_cost.excl_vat == D("20.30")
    assert [(p.element_index, p.quantity) for p in result.parts] == [(0, 1), (2, 40), (0, D("0.5"))]


def test_max_duration_example() -> None:
    """40 minutes: 5 kWh in the first 30 (free), 1.2 kWh in the last 10 at € 0.25: € 0.30 excl. VAT."""
    session = Session(at(f"{MONDAY} 10:00")).charge(30, kwh=5).charge(10, kwh="1.2")
    result = session.price(tariff("tariffrestriction_example_max_duration.json"))
    assert result.total_cost.excl_vat == D("0.30")
    # The same within one period: the 30-minute boundary splits it, energy pro-rated over time.
    single = (
        Session(at(f"{MONDAY} 10:00"))
        .charge(40, kwh=8)
        .price(tariff("tariffrestriction_example_max_duration.json"))
    )
    assert [(p.element_index, p.quantity) for p in single.parts] == [(0, D(6)), (1, D(2))]
    assert single.total_cost.excl_vat == D("0.50")


# --- §11.4.2 PriceComponent: step_size note and the "switching Tariff Element" examples --------------


@pytest.mark.parametrize(("step", "excl"), [(1, "0.029"), (25, "0.03125"), (500, "0.125")])
def test_step_size_note_energy(step: int, excl: str) -> None:
    """115.2 Wh at € 0.25/kWh: billed 116 Wh (€ 0.029), 125 Wh (€ 0.031), 500 Wh (€ 0.125)."""
    t = tariff(elements(element({"ENERGY": "0.25"}, step={"ENERGY": step})))
    result = Session(at(f"{MONDAY} 10:00")).charge(5, kwh="0.1152").price(t)
    assert result.exact_total_cost.excl_vat == D(excl)
    assert result.total_cost.excl_vat == D(excl).quantize(D("0.01"), rounding="ROUND_HALF_UP")


def test_step_size_note_parking() -> None:
    """PARKING_TIME with step_size 300: parked 8 minutes, billed 10."""
    t = tariff(elements(element({"PARKING_TIME": "6.00"}, step={"PARKING_TIME": 300})))
    result = Session(at(f"{MONDAY} 10:00")).park(8).price(t)
    assert same(result.billed_parking_time, hours(10))
    assert result.total_cost.excl_vat == D("1.00")


def test_switching_element_1() -> None:
    """16:55, 10 minutes charging, 2 parking: 5 min at € 1.20 + 5 min at € 2.40 + 15 min parking at € 1.

    € 0.55: parking is rounded from 2 to 15 minutes, charging is not (it is followed by parking).
    """
    result = Session(at(f"{MONDAY} 16:55")).charge(10).park(2).price(tariff("tariff_14_step_size.json"))
    assert result.total_cost.excl_vat == D("0.55")
    lines = [(p.element_index, p.dimension.value, p.billed_quantity) for p in result.parts]
    assert [line[:2] for line in lines] == [(0, "TIME"), (1, "TIME"), (1, "PARKING_TIME")]
    assert all(same(line[2], q) for line, q in zip(lines, [hours(5), hours(5), D("0.25")], strict=True))


def test_switching_element_2() -> None:
    """16:35, 35 minutes charging, rounded to 45 by the last step (15 minutes).

    25 minutes at € 1.20 + 20 minutes at € 2.40 = € 1.30.
    """
    result = Session(at(f"{MONDAY} 16:35")).charge(35).price(tariff("tariff_14_step_size.json"))
    assert result.total_cost.excl_vat == D("1.30")
    assert [p.element_index for p in result.parts] == [0, 1]
    assert same(result.parts[0].billed_quantity, hours(25))
    assert same(result.parts[1].billed_quantity, hours(20))
    assert result.billed_time == D("0.75")


def test_switching_to_free_of_charge_element() -> None:
    """19:40, 12 minutes charging, 20 parking (free after 20:00): parking 8 -> 15 minutes, on 19:52-20:00.

    The spec states € 0.80 (12 min at € 1.20 + 15 min at € 2.40), but at 19:40 the 17:00-20:00
    element applies: charging costs € 2.40 per hour and parking € 1.00 per hour. The quantities are
    the spec's (12 charging minutes not rounded, 8 billable parking minutes rounded to 15 and billed
    on the last period before 20:00); the amount is 0.48 + 0.25 = € 0.73, as the spec's editor
    confirmed in ocpi/ocpi#546.
    """
    result = Session(at(f"{MONDAY} 19:40")).charge(12).park(20).price(tariff("tariff_14_step_size.json"))
    assert result.total_cost.excl_vat == D("0.73")
    assert result.total_time_cost.excl_vat == D("0.48")
    assert result.total_parking_cost.excl_vat == D("0.25")
    parking = [p for p in result.parts if p.dimension == "PARKING_TIME"]
    assert len(parking) == 1
    assert (parking[0].start.time().isoformat(), parking[0].end.time().isoformat()) == (
        "19:52:00",
        "20:00:00",
    )
    assert same(parking[0].quantity, hours(8))
    assert parking[0].billed_quantity == D("0.25")


# --- §10.3.1 CDR step_size examples ----------------------------------------------------------------


def test_cdr_step_size_charging_then_parking() -> None:
    """Both steps 5 minutes, 21 minutes charging then 7 parking: charging 21 (not 25), parking 10."""
    t = tariff(
        elements(element({"TIME": "1.00", "PARKING_TIME": "2.00"}, step={"TIME": 300, "PARKING_TIME": 300}))
    )
    result = Session(at(f"{MONDAY} 10:00")).charge(21).park(7).price(t)
    assert same(result.billed_time, hours(21))
    assert same(result.billed_parking_time, hours(10))


def test_cdr_step_size_energy_total() -> None:
    """€ 0.20/kWh before 17:00, € 0.27 after, steps 500 Wh: 4.3 + 1.1 kWh -> 5.5, so 1.2 kWh after 17:00."""
    t = tariff(
        elements(
            element({"ENERGY": "0.20"}, step={"ENERGY": 500}, end_time="17:00"),
            element({"ENERGY": "0.27"}, step={"ENERGY": 500}, start_time="17:00"),
        )
    )
    result = Session(at(f"{MONDAY} 16:00")).charge(60, kwh="4.3").charge(30, kwh="1.1").price(t)
    assert [p.billed_quantity for p in result.parts] == [D("4.3"), D("1.2")]
    assert result.billed_energy == D("5.5")
    assert result.exact_total_cost.excl_vat == D("0.860") + D("0.324")


def test_cdr_step_size_time_total() -> None:
    """€ 5/h before 17:00, € 7/h after, steps 10 minutes: 6 + 22 = 28 -> 30 minutes, so 24 after 17:00."""
    t = tariff(
        elements(
            element({"TIME": "5.00"}, step={"TIME": 600}, end_time="17:00"),
            element({"TIME": "7.00"}, step={"TIME": 600}, start_time="17:00"),
        )
    )
    result = Session(at(f"{MONDAY} 16:54")).charge(28).price(t)
    assert same(result.parts[0].billed_quantity, hours(6))
    assert same(result.parts[1].billed_quantity, D("0.4"))
    assert result.billed_time == D("0.5")
    assert result.total_cost.excl_vat == D("3.30")  # 0.50 + 2.80


def test_cdr_step_size_time_and_parking() -> None:
    """Charging € 1/h, parking € 2/h, steps 10 minutes: 21 charging + 16 parking: parking 20, charging 21."""
    t = tariff(
        elements(element({"TIME": "1.00", "PARKING_TIME": "2.00"}, step={"TIME": 600, "PARKING_TIME": 600}))
    )
    result = Session(at(f"{MONDAY} 10:00")).charge(21).park(16).price(t)
    assert same(result.billed_time, hours(21))
    assert same(result.billed_parking_time, hours(20))
    assert same(result.exact_total_cost.excl_vat, D("0.35") + D(2) / 3)
    assert result.total_cost.excl_vat == D("1.02")


# --- The CDR and Session examples -----------------------------------------------------------------


def test_cdr_example_prices_to_its_own_totals() -> None:
    """cdr_example.json: 1.973 hours at € 2.00 per hour, billed per 5 minutes (2 hours): € 4.00 / € 4.40."""
    cdr = CDR.model_validate(example("cdr_example.json"))
    assert cdr.tariffs is not None
    result = price_session(
        tariff=cdr.tariffs[0],
        charging_periods=cdr.charging_periods,
        start=cdr.start_date_time,
        end=cdr.end_date_time,
    )
    assert result.total_cost == cdr.total_cost
    assert result.total_time_cost == cdr.total_time_cost
    assert result.total_time == cdr.total_time
    assert result.billed_time == D(2)


def test_tariff_put_example() -> None:
    """€ 2.00 per hour charging time billed per 5 minutes (not parking): 61 minutes -> 65, € 2.17."""
    data = {**example("tariff_put_example.json"), "last_updated": "2019-01-01T00:00:00Z"}
    result = (
        Session(datetime.fromisoformat("2019-01-01T10:00:00+00:00"))
        .charge(61)
        .park(10)
        .price(Tariff.model_validate(data))
    )
    assert same(result.billed_time, hours(65))
    assert costs(result) == (D("2.17"), D("2.38"))
