"""Meter values and charging states -> OCPI charging periods (OCPI 2.2.1 §10.4.6, §10.4.3). Pure functions.

Readings are normalised once, at ingest: energy in Wh, power in W, current in A, state of charge in %
(OCPP 1.6 §7.31 SampledValue: `value` is a string, `unit` defaults to Wh; OCPP 2.0.1 SampledValueType:
a number scaled by `unitOfMeasure.multiplier`). The period rules are in docs/ocpp.md:

- a period ends at every energy reading and at every charging-state change;
- its ENERGY is the register delta in kWh; its duration is TIME (charging) or PARKING_TIME (the EV
  is connected but not taking energy: SuspendedEV, Finishing, 2.0.1 EVConnected/Idle), in hours;
- the register never counts backwards: a reading below the highest one adds nothing (a meter reset
  or a bad reading is never billed as negative energy, and never double counted afterwards);
- quantities are rounded down per dimension, so a dimension's periods add up to its total rounded
  down (never a step_size too many, OCPI §10.3.1).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ocpi.core.types import parse_datetime
from ocpi.sessions.schemas import CdrDimensionType

ENERGY_REGISTER = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
CURRENT = "Current.Import"
SOC = "SoC"

PARKING_STATES = frozenset({"SuspendedEV", "Finishing", "EVConnected", "Idle"})
"""Charging states in which the EV is connected but not charging by its own choice (OCPI PARKING_TIME).

SuspendedEVSE is not parking: the charger, i.e. the CPO, withholds the energy (smart charging)."""

_UNIT_SCALE: dict[str, tuple[str, Decimal]] = {
    "Wh": ("energy", Decimal(1)),
    "kWh": ("energy", Decimal(1000)),
    "W": ("power", Decimal(1)),
    "kW": ("power", Decimal(1000)),
    "A": ("current", Decimal(1)),
    "Percent": ("percent", Decimal(1)),
}
_MEASURAND_KIND = {ENERGY_REGISTER: "energy", POWER: "power", CURRENT: "current", SOC: "percent"}
_MEASURAND_DEFAULT_UNIT = {ENERGY_REGISTER: "Wh", POWER: "W", CURRENT: "A", SOC: "Percent"}
_LINE_PHASES = {"L1": "1", "L2": "2", "L3": "3", "L1-N": "1", "L2-N": "2", "L3-N": "3"}

MAX_VALUE = Decimal(10) ** 12
"""A value no meter shows (a terawatt-hour register, a terawatt): a corrupt sample, dropped at ingest."""
KWH_PLACES = Decimal("0.000001")
HOUR_PLACES = Decimal("0.000001")
KW_PLACES = Decimal("0.001")
AMPERE_PLACES = Decimal("0.01")
WH_PER_KWH = Decimal(1000)


@dataclass(frozen=True)
class Reading:
    """What the meter said at one instant (any field may be missing)."""

    timestamp: datetime
    energy_wh: Decimal | None = None
    power_w: Decimal | None = None
    current_a: Decimal | None = None
    soc: Decimal | None = None
    context: str = ""

    def merged(self, other: Reading) -> Reading:
        """This reading completed with what `other` (same instant) has and this one lacks."""
        return Reading(
            timestamp=self.timestamp,
            energy_wh=self.energy_wh if self.energy_wh is not None else other.energy_wh,
            power_w=self.power_w if self.power_w is not None else other.power_w,
            current_a=self.current_a if self.current_a is not None else other.current_a,
            soc=self.soc if self.soc is not None else other.soc,
            context=self.context or other.context,
        )


@dataclass(frozen=True)
class StateChange:
    """The connector's charging state from `timestamp` on."""

    timestamp: datetime
    state: str


@dataclass
class _Values:
    """Phase-less and per-phase values of one measurand at one instant."""

    total: Decimal | None = None
    phases: dict[str, Decimal] = field(default_factory=dict)

    def value(self) -> Decimal | None:
        """The phase-less value when sent, else the sum over the line phases."""
        if self.total is not None:
            return self.total
        return sum(self.phases.values(), Decimal(0)) if self.phases else None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value)) if isinstance(value, (int, float, str)) else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None


def _sampled(
    values: dict[str, _Values],
    *,
    measurand: str,
    value: Decimal,
    unit: str,
    phase: str | None,
    location: str | None,
) -> None:
    kind = _MEASURAND_KIND.get(measurand)
    scale = _UNIT_SCALE.get(unit)
    if kind is None or scale is None or scale[0] != kind or location in ("Body", "Cable"):
        return
    scaled = value * scale[1]
    if abs(scaled) >= MAX_VALUE:
        return
    slot = values.setdefault(measurand, _Values())
    if phase is None:
        slot.total = scaled
    elif phase in _LINE_PHASES:
        slot.phases[_LINE_PHASES[phase]] = scaled


def _reading(timestamp: datetime, values: Mapping[str, _Values], context: str) -> Reading | None:
    reading = Reading(
        timestamp=timestamp,
        energy_wh=values[ENERGY_REGISTER].value() if ENERGY_REGISTER in values else None,
        power_w=values[POWER].value() if POWER in values else None,
        current_a=values[CURRENT].value() if CURRENT in values else None,
        soc=values[SOC].total if SOC in values else None,
        context=context,
    )
    if reading.soc is not None and not 0 <= reading.soc <= 100:
        reading = Reading(
            reading.timestamp, reading.energy_wh, reading.power_w, reading.current_a, None, context
        )
    if (reading.energy_wh, reading.power_w, reading.current_a, reading.soc) == (None, None, None, None):
        return None
    return reading


def _collect(meter_values: Iterable[Mapping[str, Any]], *, v201: bool) -> list[Reading]:
    by_time: dict[datetime, Reading] = {}
    for meter_value in meter_values:
        try:
            timestamp = parse_datetime(meter_value.get("timestamp"))
        except ValueError:
            continue
        values: dict[str, _Values] = {}
        context = ""
        for sampled in meter_value.get("sampled_value") or []:
            measurand = sampled.get("measurand") or ENERGY_REGISTER
            if not v201 and sampled.get("format") == "SignedData":
                continue
            number = _decimal(sampled.get("value"))
            if number is None:
                continue
            if v201:
                unit_of_measure = sampled.get("unit_of_measure") or {}
                unit = unit_of_measure.get("unit") or _MEASURAND_DEFAULT_UNIT.get(measurand, "Wh")
                multiplier = unit_of_measure.get("multiplier") or 0
                number = number.scaleb(int(multiplier))
            else:
                unit = sampled.get("unit") or _MEASURAND_DEFAULT_UNIT.get(measurand, "Wh")
            context = context or sampled.get("context") or ""
            _sampled(
                values,
                measurand=measurand,
                value=number,
                unit=unit,
                phase=sampled.get("phase"),
                location=sampled.get("location"),
            )
        reading = _reading(timestamp, values, context)
        if reading is None:
            continue
        previous = by_time.get(timestamp)
        by_time[timestamp] = reading if previous is None else previous.merged(reading)
    return sorted(by_time.values(), key=lambda r: r.timestamp)


def readings_v16(meter_values: Iterable[Mapping[str, Any]]) -> list[Reading]:
    """OCPP 1.6 MeterValue list (snake_case keys, as the ocpp library passes them) -> readings by time."""
    return _collect(meter_values, v201=False)


def readings_v201(meter_values: Iterable[Mapping[str, Any]]) -> list[Reading]:
    """OCPP 2.0.1 MeterValueType list (snake_case keys) -> readings by time."""
    return _collect(meter_values, v201=True)


def context_register(readings: Sequence[Reading], context: str) -> Decimal | None:
    """The energy register of the last reading taken in `context` (e.g. Transaction.End), if any."""
    for reading in reversed(readings):
        if reading.context == context and reading.energy_wh is not None:
            return reading.energy_wh
    return None


# --- periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One OCPI ChargingPeriod: [start, next period's start), with its measured values."""

    start: datetime
    charging: bool
    energy_kwh: Decimal
    hours: Decimal
    power_kw: Decimal | None = None
    current_a: Decimal | None = None
    soc: Decimal | None = None

    def dimensions(self, *, for_cdr: bool) -> list[dict[str, Any]]:
        """§10.4.2 CdrDimensions as wire JSON; a CDR leaves out the Session-only ones (§10.4.3)."""
        dims: list[tuple[CdrDimensionType, Decimal]] = [
            (CdrDimensionType.ENERGY, self.energy_kwh),
            (CdrDimensionType.TIME if self.charging else CdrDimensionType.PARKING_TIME, self.hours),
        ]
        if not for_cdr:
            if self.power_kw is not None:
                dims.append((CdrDimensionType.POWER, self.power_kw))
            if self.current_a is not None:
                dims.append((CdrDimensionType.CURRENT, self.current_a))
            if self.soc is not None:
                dims.append((CdrDimensionType.STATE_OF_CHARGE, self.soc))
        return [{"type": kind.value, "volume": _json_number(volume)} for kind, volume in dims]


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class Metered:
    """The outcome of metering a stretch of a transaction."""

    periods: list[Period]
    register_wh: Decimal
    went_backwards: bool = False


def _quantize(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _is_charging(state: str) -> bool:
    return state not in PARKING_STATES


def _state_at(states: Sequence[StateChange], moment: datetime, initial: str) -> str:
    current = initial
    for change in states:
        if change.timestamp > moment:
            break
        current = change.state
    return current


def _average(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, Decimal(0)) / len(values) if values else None


@dataclass
class _Slice:
    start: datetime
    end: datetime
    charging: bool
    energy_wh: Decimal = Decimal(0)
    readings: list[Reading] = field(default_factory=list)


def _slices(
    start: datetime, end: datetime, energy_wh: Decimal, states: Sequence[StateChange], initial: str
) -> list[_Slice]:
    """[start, end] cut at the state changes inside it, with the interval's energy spread over the
    charging parts by duration (energy can only flow while charging)."""
    cuts = [start, *(c.timestamp for c in states if start < c.timestamp < end), end]
    slices = [_Slice(a, b, _is_charging(_state_at(states, a, initial))) for a, b in itertools.pairwise(cuts)]
    slices = [s for s in slices if s.end > s.start]
    if not slices:
        return []
    charging = [s for s in slices if s.charging]
    if energy_wh > 0 and not charging:
        # Energy flowed, so the charger was charging whatever its last state said (a late status).
        slices[0].charging = True
        charging = [slices[0]]
    total = sum(((s.end - s.start).total_seconds() for s in charging), 0.0)
    given = Decimal(0)
    for index, piece in enumerate(charging):
        if index == len(charging) - 1:
            piece.energy_wh = energy_wh - given
        else:
            piece.energy_wh = energy_wh * Decimal(str((piece.end - piece.start).total_seconds() / total))
            given += piece.energy_wh
    return slices


def meter(
    *,
    start: datetime,
    start_wh: Decimal,
    readings: Sequence[Reading],
    states: Sequence[StateChange],
    initial_state: str = "",
    end: datetime | None = None,
    end_wh: Decimal | None = None,
) -> Metered:
    """The charging periods of [start, end], end defaulting to the last energy reading.

    `readings` and `states` may be in any order and may hold instants outside the stretch (offline
    queues deliver late); only what falls inside counts. `end_wh` is the register at `end` (1.6
    meterStop), when known. Returns the periods and the register (highest seen) at the end.
    """
    ordered = sorted(readings, key=lambda r: r.timestamp)
    timeline = sorted(states, key=lambda s: s.timestamp)
    stop = (
        end
        if end is not None
        else max((r.timestamp for r in ordered if r.energy_wh is not None), default=start)
    )
    points: list[tuple[datetime, Decimal | None]] = [
        (r.timestamp, r.energy_wh) for r in ordered if r.energy_wh is not None and start < r.timestamp <= stop
    ]
    if end_wh is not None:
        if points and points[-1][0] == stop:
            points[-1] = (stop, end_wh)
        else:
            points.append((stop, end_wh))
    elif not points or points[-1][0] < stop:
        points.append((stop, None))
    register = start_wh
    backwards = False
    slices: list[_Slice] = []
    previous = start
    for moment, raw in points:
        if raw is not None and raw < register:
            backwards = True
        delta = max(Decimal(0), raw - register) if raw is not None else Decimal(0)
        register += delta
        slices.extend(_slices(previous, moment, delta, timeline, initial_state))
        previous = moment
    for reading in ordered:
        if start < reading.timestamp <= stop:
            owner = next((s for s in slices if s.start < reading.timestamp <= s.end), None)
            if owner is not None:
                owner.readings.append(reading)
    return Metered(periods=_periods(slices), register_wh=register, went_backwards=backwards)


def _floor(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_DOWN)


_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)


def _periods(slices: Sequence[_Slice]) -> list[Period]:
    """Slices -> periods with exact-as-possible quantities.

    Durations and energy are cumulated per dimension (TIME, PARKING_TIME, ENERGY) in exact units and
    each period gets the difference of the rounded-down cumulated values: the periods of a dimension add
    up to its total rounded down, never up. A rounding that adds even a microsecond to 20 minutes of
    parking would cost the driver a whole extra step (OCPI §10.3.1 step_size is applied to the total).
    """
    periods: list[Period] = []
    cumulated = {True: 0, False: 0}
    energy_so_far = Decimal(0)
    for piece in slices:
        micro = (piece.end - piece.start) // timedelta(microseconds=1)
        before = _floor(cumulated[piece.charging] / _MICROSECONDS_PER_HOUR, HOUR_PLACES)
        cumulated[piece.charging] += micro
        hours = _floor(cumulated[piece.charging] / _MICROSECONDS_PER_HOUR, HOUR_PLACES) - before
        kwh_from = _floor(energy_so_far / WH_PER_KWH, KWH_PLACES)
        energy_so_far += piece.energy_wh
        energy_kwh = _floor(energy_so_far / WH_PER_KWH, KWH_PLACES) - kwh_from
        power = _quantize(energy_kwh / hours, KW_PLACES) if piece.charging and hours > 0 else None
        current = _average([r.current_a for r in piece.readings if r.current_a is not None])
        socs = [r.soc for r in piece.readings if r.soc is not None]
        periods.append(
            Period(
                start=piece.start,
                charging=piece.charging,
                energy_kwh=energy_kwh,
                hours=hours,
                power_kw=power,
                current_a=_quantize(current, AMPERE_PLACES) if current is not None else None,
                soc=socs[-1] if socs else None,
            )
        )
    return periods


def total_kwh(*, start_wh: Decimal, register_wh: Decimal) -> Decimal:
    """Energy of the whole transaction in kWh, never negative (Session.kwh), rounded like the periods."""
    return _floor(max(Decimal(0), register_wh - start_wh) / WH_PER_KWH, KWH_PLACES)
