"""One test per TariffRestrictions field (§11.4.6), in local time, across midnight and DST changes."""

from __future__ import annotations

from decimal import Decimal

from ocpi.pricing import PriceResult
from ocpi.tariffs.schemas import ReservationRestrictionType
from tests.ocpi.pricing.builders import D, Session, at, element, elements, hours, same, tariff

DAY_NIGHT = tariff(
    elements(
        element({"ENERGY": "0.40", "TIME": "2.00"}, start_time="08:00", end_time="18:00"),
        element({"ENERGY": "0.20", "TIME": "1.00"}),
    )
)


def lines(result: PriceResult) -> list[tuple[int, str, Decimal]]:
    return [(p.element_index, p.dimension.value, p.quantity) for p in result.parts]


def test_start_and_end_time_split_one_period_in_its_middle() -> None:
    """17:30-18:30 in one period with 10 kWh: the 18:00 boundary cuts it, energy pro-rated over time."""
    result = Session(at("2024-06-03 17:30")).charge(60, kwh=10).price(DAY_NIGHT)
    assert lines(result) == [(0, "ENERGY", 5), (0, "TIME", D("0.5")), (1, "ENERGY", 5), (1, "TIME", D("0.5"))]
    assert [(p.start.time().isoformat(), p.end.time().isoformat()) for p in result.parts[::2]] == [
        ("17:30:00", "18:00:00"),
        ("18:00:00", "18:30:00"),
    ]
    assert result.total_cost.excl_vat == D("4.50")  # 2.00 + 1.00 + 1.00 + 0.50
    assert [len(p.parts) for p in result.periods] == [4]


def test_start_time_is_inclusive_and_end_time_exclusive() -> None:
    at_start = Session(at("2024-06-03 08:00")).charge(60, kwh=1).price(DAY_NIGHT)
    assert {p.element_index for p in at_start.parts} == {0}
    at_end = Session(at("2024-06-03 18:00")).charge(60, kwh=1).price(DAY_NIGHT)
    assert {p.element_index for p in at_end.parts} == {1}


def test_local_time_of_the_location_time_zone() -> None:
    """08:00-18:00 is Amsterdam time: 06:30 UTC in June is 08:30 there."""
    start = at("2024-06-03 06:30")
    assert {p.element_index for p in Session(start).charge(60, kwh=1).price(DAY_NIGHT).parts} == {1}
    in_amsterdam = Session(start).charge(60, kwh=1).price(DAY_NIGHT, tz="Europe/Amsterdam")
    assert {p.element_index for p in in_amsterdam.parts} == {0}


def test_time_window_crossing_midnight() -> None:
    """22:00-06:00 wraps to the next day (end_time < start_time)."""
    night = tariff(
        elements(element({"TIME": "1.00"}, start_time="22:00", end_time="06:00"), element({"TIME": "3.00"}))
    )
    result = Session(at("2024-06-03 21:00")).charge(600).price(night)  # 21:00 -> 07:00
    assert [(p.element_index, p.quantity) for p in result.parts] == [(1, D(1)), (0, D(8)), (1, D(1))]
    assert result.total_cost.excl_vat == D("14.00")


def test_end_time_midnight_means_end_of_day() -> None:
    evening = tariff(
        elements(element({"TIME": "1.00"}, start_time="20:00", end_time="00:00"), element({"TIME": "3.00"}))
    )
    result = Session(at("2024-06-03 23:00")).charge(120).price(evening)
    assert [(p.element_index, p.quantity) for p in result.parts] == [(0, D(1)), (1, D(1))]
    only_end = tariff(elements(element({"TIME": "1.00"}, end_time="00:00"), element({"TIME": "3.00"})))
    assert {p.element_index for p in Session(at("2024-06-03 23:00")).charge(120).price(only_end).parts} == {0}


def test_start_and_end_date() -> None:
    """start_date inclusive, end_date exclusive, both local dates."""
    promo = tariff(
        elements(
            element({"ENERGY": "0.10"}, start_date="2024-06-04", end_date="2024-06-06"),
            element({"ENERGY": "0.30"}),
        )
    )
    days = {
        day: {p.element_index for p in Session(at(f"{day} 12:00")).charge(60, kwh=1).price(promo).parts}
        for day in ("2024-06-03", "2024-06-04", "2024-06-05", "2024-06-06")
    }
    assert days == {"2024-06-03": {1}, "2024-06-04": {0}, "2024-06-05": {0}, "2024-06-06": {1}}
    # 23:30 UTC on the 3rd is already the 4th in Amsterdam.
    local = Session(at("2024-06-03 23:30")).charge(10, kwh=1).price(promo, tz="Europe/Amsterdam")
    assert {p.element_index for p in local.parts} == {0}


def test_day_of_week_in_local_time() -> None:
    weekend = tariff(
        elements(element({"TIME": "1.00"}, day_of_week=["SATURDAY", "SUNDAY"]), element({"TIME": "2.00"}))
    )
    friday_night = Session(at("2024-06-07 23:00")).charge(120).price(weekend)  # Fri 23:00 -> Sat 01:00
    assert [(p.element_index, p.quantity) for p in friday_night.parts] == [(1, D(1)), (0, D(1))]
    # Sunday 23:30 UTC is Monday 01:30 in Amsterdam.
    assert {
        p.element_index
        for p in Session(at("2024-06-09 23:30")).charge(30).price(weekend, tz="Europe/Amsterdam").parts
    } == {1}


def test_min_kwh_and_max_kwh_split_where_the_energy_is_reached() -> None:
    """First 10 kWh at 0.20, then 0.30: a period from 8 to 14 kWh is cut at 10 kWh, time pro-rated too."""
    blocks = tariff(
        elements(
            element({"ENERGY": "0.20", "TIME": "1.00"}, max_kwh=10),
            element({"ENERGY": "0.30", "TIME": "2.00"}, min_kwh=10),
        )
    )
    result = Session(at("2024-06-03 10:00")).charge(60, kwh=8).charge(60, kwh=6).price(blocks)
    assert lines(result) == [
        (0, "ENERGY", 8),
        (0, "TIME", 1),
        (0, "ENERGY", 2),
        (0, "TIME", D("0.333333333333333333")),  # 1/3 hour, shown to 18 decimals
        (1, "ENERGY", 4),
        (1, "TIME", D("0.666666666666666667")),
    ]
    assert result.periods[1].parts[2].start.time().isoformat() == "11:20:00"
    assert same(result.exact_total_cost.excl_vat, D("2.00") + D("1.20") + 1 + D(1) / 3 + D(4) / 3)


def test_min_current_and_max_current() -> None:
    """Below 32 A one price, 32 A and more another; the period's MIN/MAX_CURRENT decide (§11.4.6)."""
    amps = tariff(
        elements(
            element({"TIME": "1.00"}, max_current=32),
            element({"TIME": "2.00"}, min_current=32),
            element({"TIME": "9.00"}),
        )
    )
    session = (
        Session(at("2024-06-03 10:00")).charge(60, MAX_CURRENT=16).charge(60, MIN_CURRENT=32, MAX_CURRENT=40)
    )
    session.charge(60, CURRENT=20).charge(60)  # the average when no extreme is given; nothing: fallback
    assert [p.element_index for p in session.price(amps).parts] == [0, 1, 0, 2]


def test_min_power_and_max_power() -> None:
    kw = tariff(
        elements(
            element({"ENERGY": "0.50"}, min_power=50),
            element({"ENERGY": "0.30"}, max_power=22),
            element({"ENERGY": "0.40"}),
        )
    )
    session = Session(at("2024-06-03 10:00")).charge(10, kwh=10, MAX_POWER=100, MIN_POWER=50)
    session.charge(60, kwh=11, MAX_POWER=11).charge(60, kwh=30, MAX_POWER=30, MIN_POWER=22).charge(
        10, kwh=1, POWER=22
    )
    assert [p.element_index for p in session.price(kw).parts] == [0, 1, 2, 2]


def test_min_duration_and_max_duration() -> None:
    """Duration is measured from the session start: [0, 30 min) free, [30, 60) 0.25, 60 min on 0.40."""
    stages = tariff(
        elements(
            element({"TIME": "0.00"}, max_duration=1800),
            element({"TIME": "3.00"}, min_duration=1800, max_duration=3600),
            element({"TIME": "6.00"}, min_duration=3600),
        )
    )
    result = Session(at("2024-06-03 10:00")).charge(90).price(stages)
    assert [(p.element_index, p.quantity) for p in result.parts] == [
        (0, D("0.5")),
        (1, D("0.5")),
        (2, D("0.5")),
    ]
    assert result.total_cost.excl_vat == D("4.50")


def test_reservation_elements_only_price_reservations() -> None:
    """Without a reservation the RESERVATION elements are skipped; a RESERVATION_EXPIRES element only
    applies to an expired reservation."""
    t = tariff("tariff_17_reservation_with_expire_fee.json")
    plain = Session(at("2024-06-03 10:00")).charge(60, kwh=20).price(t)
    assert plain.total_cost.excl_vat == D("5.50")
    assert plain.total_reservation_cost.excl_vat == D("0.00")
    # A reservation given without its time: its fees still apply, at the reservation start.
    booked = (
        Session(at("2024-06-03 10:00"))
        .charge(60, kwh=20)
        .price(
            tariff("tariff_16_reservation_2_euro_fee_5_euro_per_hour.json"),
            reservation=ReservationRestrictionType.RESERVATION,
        )
    )
    assert booked.total_reservation_cost.excl_vat == D("2.00")
    assert booked.total_cost.excl_vat == D("7.50")


def test_reservation_expires_wins_whatever_the_order() -> None:
    """§11.4.3 NOTE: for an expired reservation the RESERVATION_EXPIRES TIME component is used."""
    data = tariff("tariff_18_reservation_with_expire_time.json").model_dump(mode="json")
    data["elements"][0], data["elements"][1] = data["elements"][1], data["elements"][0]
    expired = Session(at("2024-06-03 10:00")).reserve(90).price(tariff(data))
    assert expired.total_cost.excl_vat == D("9.00")


def test_daylight_saving_starts() -> None:
    """Amsterdam, 31 March 2024: 02:00 jumps to 03:00 (01:00 UTC). 02:30-04:00 local applies from the
    jump: 00:30-02:30 UTC is 30 min at 1.00, 60 min at 2.00, 30 min at 1.00 = 3.00."""
    t = tariff(
        elements(element({"TIME": "2.00"}, start_time="02:30", end_time="04:00"), element({"TIME": "1.00"}))
    )
    session = Session(at("2024-03-31 01:30", "Europe/Amsterdam")).charge(120)
    result = session.price(t, tz="Europe/Amsterdam")
    assert [(p.element_index, p.quantity) for p in result.parts] == [(1, D("0.5")), (0, 1), (1, D("0.5"))]
    assert [p.start.strftime("%H:%M") for p in result.parts] == ["00:30", "01:00", "02:00"]
    assert result.total_cost.excl_vat == D("3.00")


def test_daylight_saving_ends() -> None:
    """Amsterdam, 27 October 2024: 03:00 goes back to 02:00 (01:00 UTC), so 02:00-03:00 local happens
    twice: 23:30-02:30 UTC holds two real hours of it at 6.00, and 2 x 30 min at 1.00 = 13.00."""
    t = tariff(
        elements(element({"TIME": "6.00"}, start_time="02:00", end_time="03:00"), element({"TIME": "1.00"}))
    )
    session = Session(at("2024-10-27 01:30", "Europe/Amsterdam")).charge(180)
    result = session.price(t, tz="Europe/Amsterdam")
    assert [(p.element_index, p.quantity) for p in result.parts] == [(1, D("0.5")), (0, 2), (1, D("0.5"))]
    assert result.total_cost.excl_vat == D("13.00")
    assert result.total_time == 3


def test_daylight_saving_day_of_week_and_midnight() -> None:
    """A Sunday-only element in New York across the November change: Sunday is 25 real hours long."""
    t = tariff(elements(element({"TIME": "1.00"}, day_of_week=["SUNDAY"]), element({"TIME": "0.00"})))
    result = (
        Session(at("2024-11-02 23:00", "America/New_York")).charge(60 * 27).price(t, tz="America/New_York")
    )
    sunday = [p for p in result.parts if p.element_index == 0]
    assert [p.quantity for p in sunday] == [25]
    assert result.total_cost.excl_vat == D("25.00")


def test_every_restriction_at_once_is_a_logical_and() -> None:
    busy = tariff(
        elements(
            element(
                {"ENERGY": "0.90"},
                start_time="17:00",
                end_time="20:00",
                day_of_week=["MONDAY"],
                min_kwh=1,
                min_power=11,
            ),
            element({"ENERGY": "0.30"}),
        )
    )
    session = Session(at("2024-06-03 16:00")).charge(120, kwh=2, MAX_POWER=22, MIN_POWER=11)
    assert lines(session.price(busy)) == [(1, "ENERGY", D(1)), (0, "ENERGY", D(1))]  # 17:00 and 1 kWh at once
    low_power = Session(at("2024-06-03 16:00")).charge(120, kwh=2, MAX_POWER=10)
    assert {p.element_index for p in low_power.price(busy).parts} == {1}
    assert hours(60) == 1


def test_day_of_week_is_that_of_each_instant_even_in_a_window_past_midnight() -> None:
    """FRIDAY 22:00-06:00 covers Friday 22:00-24:00, not Saturday 00:00-06:00 (docs/pricing.md)."""
    friday_night = tariff(
        elements(
            element({"TIME": "1.00"}, start_time="22:00", end_time="06:00", day_of_week=["FRIDAY"]),
            element({"TIME": "3.00"}),
        )
    )
    result = Session(at("2024-06-07 23:00")).charge(120).price(friday_night)
    assert [(p.element_index, p.quantity) for p in result.parts] == [(0, D(1)), (1, D(1))]
