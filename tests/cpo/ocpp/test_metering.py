"""Meter values -> readings (units, phases, duplicates) and readings + states -> charging periods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cpo.ocpp.metering import Reading, StateChange, meter, readings_v16, readings_v201, total_kwh

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_v16_units_phases_and_duplicates() -> None:
    readings = readings_v16(
        [
            {
                "timestamp": "2026-03-01T10:15:00Z",
                "sampled_value": [
                    {"value": "12.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                    {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                    {"value": "10", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                    {"value": "11", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
                    {"value": "12", "measurand": "Current.Import", "phase": "L3", "unit": "A"},
                    {"value": "230", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
                    {"value": "35", "measurand": "SoC", "unit": "Percent", "location": "EV"},
                    {"value": "ABCDEF", "format": "SignedData"},
                ],
            },
            # The same instant again (a retransmission carrying only energy): one reading.
            {"timestamp": "2026-03-01T10:15:00Z", "sampled_value": [{"value": "12500"}]},
            # Per-phase registers only: summed.
            {
                "timestamp": "2026-03-01T10:30:00Z",
                "sampled_value": [
                    {"value": "5000", "phase": "L1"},
                    {"value": "5000", "phase": "L2"},
                    {"value": "4000", "phase": "L3"},
                ],
            },
            {"timestamp": "not a time", "sampled_value": [{"value": "1"}]},
            {"timestamp": "2026-03-01T10:45:00Z", "sampled_value": [{"value": "garbage"}]},
        ]
    )
    assert readings == [
        Reading(
            timestamp=T0 + 15 * MINUTE,
            energy_wh=Decimal("12500.0"),
            power_w=Decimal("7200.0"),
            current_a=Decimal("33"),
            soc=Decimal("35"),
        ),
        Reading(timestamp=T0 + 30 * MINUTE, energy_wh=Decimal("14000")),
    ]


def test_v201_multiplier_and_default_unit() -> None:
    readings = readings_v201(
        [
            {
                "timestamp": "2026-03-01T10:00:00Z",
                "sampled_value": [
                    {
                        "value": 1.25,
                        "context": "Transaction.Begin",
                        "unit_of_measure": {"unit": "kWh", "multiplier": 1},
                    },
                    {
                        "value": 11,
                        "measurand": "Power.Active.Import",
                        "unit_of_measure": {"unit": "W", "multiplier": 3},
                    },
                ],
            },
            {"timestamp": "2026-03-01T10:05:00Z", "sampled_value": [{"value": 13000}]},
        ]
    )
    assert [(r.energy_wh, r.power_w, r.context) for r in readings] == [
        (Decimal("12500"), Decimal("11000"), "Transaction.Begin"),
        (Decimal("13000"), None, ""),
    ]


def dims(period: object) -> dict[str, float]:
    return {d["type"]: d["volume"] for d in period.dimensions(for_cdr=False)}  # type: ignore[attr-defined]


def test_periods_split_at_state_changes_energy_only_while_charging() -> None:
    """A reading interval with a SuspendedEV change inside: the energy goes to the charging part."""
    metered = meter(
        start=T0,
        start_wh=Decimal(0),
        readings=[Reading(T0 + 30 * MINUTE, energy_wh=Decimal(6000))],
        states=[StateChange(T0, "Charging"), StateChange(T0 + 20 * MINUTE, "SuspendedEV")],
        end=T0 + 40 * MINUTE,
        end_wh=Decimal(6000),
    )
    assert [dims(p) for p in metered.periods] == [
        {"ENERGY": 6, "TIME": 0.333333, "POWER": 18},
        {"ENERGY": 0, "PARKING_TIME": 0.166666},
        {"ENERGY": 0, "PARKING_TIME": 0.166667},
    ]
    assert metered.register_wh == 6000


def test_rounding_never_exceeds_the_exact_total() -> None:
    """Three parking stretches of 20 minutes: together 1 hour, never 1.000001 (a step_size too many)."""
    states = [
        StateChange(T0 + m * MINUTE, s)
        for m, s in ((0, "SuspendedEV"), (20, "Charging"), (40, "SuspendedEV"))
    ]
    readings = [
        Reading(T0 + m * MINUTE, energy_wh=Decimal(e))
        for m, e in ((20, 0), (40, 1000), (60, 1000), (80, 1000))
    ]
    metered = meter(start=T0, start_wh=Decimal(0), readings=readings, states=states)
    parking = sum(Decimal(str(dims(p).get("PARKING_TIME", 0))) for p in metered.periods)
    charging = sum(Decimal(str(dims(p).get("TIME", 0))) for p in metered.periods)
    assert parking <= Decimal(1)
    assert Decimal(1) - parking < Decimal("0.000002")
    assert charging == Decimal("0.333333")


def test_backwards_meter_and_late_readings() -> None:
    """A reading below the highest one adds nothing (and is flagged); readings outside the stretch
    (before its start, after its end) are ignored."""
    readings = [
        Reading(T0 - MINUTE, energy_wh=Decimal(0)),
        Reading(T0 + 10 * MINUTE, energy_wh=Decimal(2000)),
        Reading(T0 + 20 * MINUTE, energy_wh=Decimal(1500)),
        Reading(T0 + 30 * MINUTE, energy_wh=Decimal(2500)),
        Reading(T0 + 90 * MINUTE, energy_wh=Decimal(9999)),
    ]
    metered = meter(start=T0, start_wh=Decimal(1000), readings=readings, states=[], end=T0 + 40 * MINUTE)
    assert metered.went_backwards
    assert [dims(p)["ENERGY"] for p in metered.periods] == [1, 0, 0.5, 0]
    assert metered.register_wh == 2500
    assert total_kwh(start_wh=Decimal(1000), register_wh=metered.register_wh) == Decimal("1.5")
    assert total_kwh(start_wh=Decimal(3000), register_wh=Decimal(1000)) == 0


def test_energy_without_a_charging_state_counts_as_charging() -> None:
    """Energy flowed while the last status said SuspendedEV (a late status): that time was charging."""
    metered = meter(
        start=T0,
        start_wh=Decimal(0),
        readings=[Reading(T0 + 10 * MINUTE, energy_wh=Decimal(1000))],
        states=[StateChange(T0, "SuspendedEV")],
    )
    assert [dims(p) for p in metered.periods] == [{"ENERGY": 1, "TIME": 0.166666, "POWER": 6}]


def test_impossible_values_are_dropped() -> None:
    """A terawatt-hour register or a terawatt of power is a corrupt sample, not something to bill."""
    readings = readings_v16(
        [
            {
                "timestamp": "2026-01-01T10:00:00Z",
                "sampled_value": [
                    {"value": "1e22", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": "1e10", "measurand": "Power.Active.Import", "unit": "kW"},
                    {"value": "16", "measurand": "Current.Import", "unit": "A"},
                ],
            }
        ]
    )
    assert [(r.energy_wh, r.power_w, r.current_a) for r in readings] == [(None, None, Decimal(16))]
