"""The tariff pricing engine: prices a session or CDR exactly from one OCPI 2.2.1 Tariff.

This is the one pricing function of the project: sessions, CDRs, the CLI and the benchmark all call
`price_session`. docs/pricing.md lists the rules with their spec sections and every choice the spec
leaves open. In short:

* quantities come from the charging periods' dimensions (§10.4.3): TIME is charging time, PARKING_TIME
  time not charging, ENERGY kWh, RESERVATION_TIME reservation time; never wall-clock start to end;
* for each dimension the first element, in tariff order, with a component of that dimension and whose
  restrictions all hold prices it (§11.3.1). Restrictions are evaluated at every instant, so a period
  is split exactly where an element starts or stops applying (§11.4.6), pro-rating the period's
  quantities linearly over its wall-clock time;
* FLAT is billed once per session, and once per reservation; step_size is applied once per session to
  the total ENERGY and once to the total of the time dimension used last, with the step of the last
  component used, the extra going to the last priced part (§10.3.1 step_size);
* min_price and max_price bound the exact total (§11.3.1 NOTE); money is rounded once (money.py).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction
from functools import cached_property
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ocpi.core.types import Price
from ocpi.pricing.compiled import (
    DIMENSION_TYPES,
    US_PER_SECOND,
    CompiledTariff,
    Component,
    Dim,
    Element,
    compile_tariff,
    from_us,
    to_us,
)
from ocpi.pricing.money import Exact, round_money, round_within, settle
from ocpi.sessions.schemas import CdrDimensionType, ChargingPeriod
from ocpi.tariffs.schemas import ReservationRestrictionType, Tariff, TariffDimensionType

__all__ = [
    "ChargingPeriodsRead",
    "PeriodBreakdown",
    "PriceResult",
    "PricedPart",
    "PricingError",
    "price_session",
]

# Exact arithmetic: with 60 significant digits no sum or product of OCPI numbers is ever rounded.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN)
_ZERO = Decimal(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE = Decimal(1)
_US_PER_HOUR = 3600 * US_PER_SECOND
_FOUR_DECIMALS = Decimal("0.0001")
_BREAKDOWN_DECIMALS = Decimal("1e-18")

_ENERGY = CdrDimensionType.ENERGY
_ENERGY_IMPORT = CdrDimensionType.ENERGY_IMPORT
_TIME = CdrDimensionType.TIME
_PARKING = CdrDimensionType.PARKING_TIME
_RESERVATION_TIME = CdrDimensionType.RESERVATION_TIME
_MIN_CURRENT = CdrDimensionType.MIN_CURRENT
_MAX_CURRENT = CdrDimensionType.MAX_CURRENT
_CURRENT = CdrDimensionType.CURRENT
_MIN_POWER = CdrDimensionType.MIN_POWER
_MAX_POWER = CdrDimensionType.MAX_POWER
_POWER = CdrDimensionType.POWER

_DURATIONS = frozenset({_TIME, _PARKING, _RESERVATION_TIME})

_BOOKED = ReservationRestrictionType.RESERVATION
_EXPIRED = ReservationRestrictionType.RESERVATION_EXPIRES

# Cost categories, in the order of the CDR's total_* fields (and of money apportioning).
_FIXED, _ENERGY_COST, _TIME_COST, _PARKING_COST, _RESERVATION_COST = range(5)
_CATEGORY = {
    Dim.FLAT: _FIXED,
    Dim.ENERGY: _ENERGY_COST,
    Dim.TIME: _TIME_COST,
    Dim.PARKING_TIME: _PARKING_COST,
    Dim.RESERVATION: _RESERVATION_COST,
    Dim.RESERVATION_FLAT: _RESERVATION_COST,
}
# How many step_size units one unit of the dimension is: ENERGY steps are Wh, time steps seconds.
_STEP_UNITS = {Dim.ENERGY: 1000, Dim.TIME: 3600, Dim.PARKING_TIME: 3600, Dim.RESERVATION: 3600}


class PricingError(ValueError):
    """The input cannot be priced (periods out of order, a negative duration, an unknown time zone...)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True, slots=True)
class PricedPart:
    """One line of the breakdown: which element priced how much of which dimension, and when.

    `quantity` is what was consumed in this part (kWh, hours, or 1 for FLAT); `billed_quantity` adds
    the step_size rounding, which only ever lands on the last part of a dimension. `cost` is exact
    (money is only rounded on the totals); exact values that do not terminate are shown to 18 decimals.
    """

    period_index: int | None
    """Index in the charging periods; None for a FLAT fee priced at the start, without any period."""
    start: datetime
    end: datetime
    dimension: TariffDimensionType
    reservation: bool
    element_index: int
    price: Decimal
    vat: Decimal | None
    step_size: int
    quantity: Decimal
    billed_quantity: Decimal
    cost: Price


@dataclass(frozen=True, slots=True)
class PeriodBreakdown:
    """A charging period with the parts that priced it (`priced` is False for another tariff's period)."""

    index: int
    start: datetime
    end: datetime
    tariff_id: str | None
    priced: bool
    parts: tuple[PricedPart, ...]


# A part as the pricing loop records it: (period index, start µs, end µs, component, quantity).
_RawPart = tuple[int | None, int, int, Component, Exact]


# Indexes of the rounded amounts of a PriceResult.
_TOTAL, _ADJUSTMENT = 5, 6


@dataclass(frozen=True, slots=True)
class _Internals:
    """What the breakdown and the audit values are built from, on demand."""

    raw_parts: tuple[_RawPart, ...]
    extras: dict[int, Exact]
    """Part index -> the quantity step_size added to that part."""
    consumed: dict[Component, Decimal]
    fractional: dict[Component, Fraction]
    exact_parts: tuple[list[Exact], list[Exact]]
    exact_bounded: tuple[Exact, Exact] | None
    """The exact total after min_price/max_price, when the tariff has either."""
    rows: list[_Period]
    ends: list[int]
    """Each row's end as this pricing saw it (a row read once for many pricings has its end moved on)."""


class PriceResult:
    """Totals of a priced session, named as in the CDR object (§10.3.1), with the breakdown.

    Every cost is a Price rounded to the currency's minor unit. The parts add up to the total, except
    for `adjustment`, what min_price or max_price added or took off (zero otherwise):
    total_cost = fixed + energy + time + parking + reservation + adjustment.
    Times are hours and energy kWh as consumed (from the dimensions); `billed_*` are after step_size.
    The Price objects and the breakdown are built on first access, so pricing many sessions only
    pays for what is read (`to_ocpi()` reads the rounded amounts directly).
    """

    def __init__(
        self,
        *,
        currency: str,
        excl: list[Decimal],
        incl: list[Decimal],
        quantities: tuple[Decimal, Decimal, Decimal, Decimal],
        min_price_applied: bool,
        max_price_applied: bool,
        internals: _Internals,
    ) -> None:
        self.currency = currency
        self._excl = excl  # fixed, energy, time, parking, reservation, total, adjustment
        self._incl = incl
        self.total_energy, charging, self.total_parking_time, self.total_reservation_time = quantities
        self.total_time = charging + self.total_parking_time
        self.min_price_applied = min_price_applied
        self.max_price_applied = max_price_applied
        self._internals = internals

    def __repr__(self) -> str:
        return (
            f"PriceResult({self.currency} total_cost={self._excl[_TOTAL]}/{self._incl[_TOTAL]}, "
            f"fixed={self._excl[_FIXED]}, energy={self._excl[_ENERGY_COST]}, time={self._excl[_TIME_COST]}, "
            f"parking={self._excl[_PARKING_COST]}, reservation={self._excl[_RESERVATION_COST]}, "
            f"adjustment={self._excl[_ADJUSTMENT]})"
        )

    def _price(self, i: int) -> Price:
        return Price.model_construct(excl_vat=self._excl[i], incl_vat=self._incl[i])

    @cached_property
    def total_cost(self) -> Price:
        return self._price(_TOTAL)

    @cached_property
    def total_fixed_cost(self) -> Price:
        """FLAT fees, except those of parking and of a reservation (§10.3.1)."""
        return self._price(_FIXED)

    @cached_property
    def total_energy_cost(self) -> Price:
        return self._price(_ENERGY_COST)

    @cached_property
    def total_time_cost(self) -> Price:
        """Charging time (TIME) only; reservation time is in total_reservation_cost."""
        return self._price(_TIME_COST)

    @cached_property
    def total_parking_cost(self) -> Price:
        """PARKING_TIME, and the FLAT fee of an element that only prices parking (§10.3.1)."""
        return self._price(_PARKING_COST)

    @cached_property
    def total_reservation_cost(self) -> Price:
        """Reservation time and fees, fixed ones included (§10.3.1)."""
        return self._price(_RESERVATION_COST)

    @cached_property
    def adjustment(self) -> Price:
        """What min_price or max_price added (positive) or took off (negative) from the sum of the parts."""
        return self._price(_ADJUSTMENT)

    @property
    def cost_parts(self) -> tuple[Price, ...]:
        """The rounded parts that, with `adjustment`, add up to total_cost."""
        return (
            self.total_fixed_cost,
            self.total_energy_cost,
            self.total_time_cost,
            self.total_parking_cost,
            self.total_reservation_cost,
        )

    @property
    def total_charging_time(self) -> Decimal:
        """Hours charging: total_time - total_parking_time (§10.3.1 NOTE)."""
        return self.total_time - self.total_parking_time

    def _billed(self, dim: Dim) -> Decimal:
        internals = self._internals
        with localcontext(_CONTEXT):
            decimal = sum((q for c, q in internals.consumed.items() if c.dim is dim), _ZERO)
            fraction = sum((q for c, q in internals.fractional.items() if c.dim is dim), Fraction(0))
            return display_decimal(decimal if not fraction else _terminating(fraction + Fraction(decimal)))

    @property
    def billed_energy(self) -> Decimal:
        """kWh billed: the energy priced by the tariff, after step_size."""
        return self._billed(Dim.ENERGY)

    @property
    def billed_time(self) -> Decimal:
        """Hours of charging billed, after step_size."""
        return self._billed(Dim.TIME)

    @property
    def billed_parking_time(self) -> Decimal:
        """Hours of parking billed, after step_size."""
        return self._billed(Dim.PARKING_TIME)

    @property
    def billed_reservation_time(self) -> Decimal:
        """Hours of reservation billed, after step_size."""
        return self._billed(Dim.RESERVATION)

    @cached_property
    def exact_total_cost(self) -> Price:
        """The total before money rounding (after min_price/max_price), for audits."""
        internals = self._internals
        if internals.exact_bounded is not None:
            excl, incl = internals.exact_bounded
        else:
            with localcontext(_CONTEXT):
                excl, incl = _sum(internals.exact_parts[0]), _sum(internals.exact_parts[1])
        return Price.model_construct(excl_vat=display_decimal(excl), incl_vat=display_decimal(incl))

    @cached_property
    def parts(self) -> tuple[PricedPart, ...]:
        """Every priced part in time order (built on first access, not in the pricing loop)."""
        with localcontext(_CONTEXT):
            return tuple(self._part(i, raw) for i, raw in enumerate(self._internals.raw_parts))

    @cached_property
    def periods(self) -> tuple[PeriodBreakdown, ...]:
        """The breakdown per charging period."""
        by_period: dict[int, list[PricedPart]] = {}
        for part in self.parts:
            if part.period_index is not None:
                by_period.setdefault(part.period_index, []).append(part)
        return tuple(
            PeriodBreakdown(
                r.index,
                from_us(r.start),
                from_us(end),
                r.tariff_id,
                r.priced,
                tuple(by_period.get(r.index, ())),
            )
            for r, end in zip(self._internals.rows, self._internals.ends, strict=True)
        )

    def _part(self, i: int, raw: _RawPart) -> PricedPart:
        period_index, start, end, component, quantity = raw
        extra = self._internals.extras.get(i)
        billed = quantity if extra is None else _add(quantity, extra)
        excl = _mul(component.price, billed)
        return PricedPart(
            period_index=period_index,
            start=from_us(start),
            end=from_us(end),
            dimension=DIMENSION_TYPES[component.dim],
            reservation=component.dim in (Dim.RESERVATION, Dim.RESERVATION_FLAT),
            element_index=component.element_index,
            price=component.price,
            vat=component.vat,
            step_size=component.step_size,
            quantity=display_decimal(quantity),
            billed_quantity=display_decimal(billed),
            cost=Price.model_construct(
                excl_vat=display_decimal(excl), incl_vat=display_decimal(_mul(excl, component.factor))
            ),
        )

    def to_ocpi(self) -> dict[str, Any]:
        """The total_* fields of a CDR (§10.3.1) in OCPI form: Price objects, hours and kWh to 4 decimals."""
        excl, incl = self._excl, self._incl
        return {
            "total_cost": {"excl_vat": excl[_TOTAL], "incl_vat": incl[_TOTAL]},
            "total_fixed_cost": {"excl_vat": excl[_FIXED], "incl_vat": incl[_FIXED]},
            "total_energy": _four(self.total_energy),
            "total_energy_cost": {"excl_vat": excl[_ENERGY_COST], "incl_vat": incl[_ENERGY_COST]},
            "total_time": _four(self.total_time),
            "total_time_cost": {"excl_vat": excl[_TIME_COST], "incl_vat": incl[_TIME_COST]},
            "total_parking_time": _four(self.total_parking_time),
            "total_parking_cost": {"excl_vat": excl[_PARKING_COST], "incl_vat": incl[_PARKING_COST]},
            "total_reservation_cost": {
                "excl_vat": excl[_RESERVATION_COST],
                "incl_vat": incl[_RESERVATION_COST],
            },
        }


def _four(value: Decimal) -> Decimal:
    return value.quantize(_FOUR_DECIMALS, rounding=ROUND_HALF_UP)


def display_decimal(value: Exact) -> Decimal:
    """An exact value as a Decimal: exact when it terminates, else to 18 decimals (breakdown only)."""
    if isinstance(value, Decimal):
        return value
    exact = _terminating(value)
    if isinstance(exact, Decimal):
        return exact
    with localcontext(_CONTEXT):
        result = Decimal(value.numerator) / Decimal(value.denominator)
        return result.quantize(_BREAKDOWN_DECIMALS, rounding=ROUND_HALF_EVEN)


def _zone(time_zone: str | tzinfo) -> tzinfo:
    if isinstance(time_zone, tzinfo):
        return time_zone
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PricingError(f"unknown time zone {time_zone!r}", field="time_zone") from None


def _mul(a: Exact, b: Exact) -> Exact:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a * b
    return Fraction(a) * Fraction(b)


def _add(a: Exact, b: Exact) -> Exact:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a + b
    return Fraction(a) + Fraction(b)


class _Period:
    """A charging period as read once from its dimensions (the only read of the pydantic objects)."""

    __slots__ = (
        "end", "energy", "index", "max_current", "max_power", "min_current", "min_power", "parking",
        "priced", "reported_energy", "reservation", "start", "tariff_id", "time",
    )  # fmt: skip

    def __init__(
        self,
        index: int,
        start: int,
        tariff_id: str | None,
        priced: bool,
        energy: Decimal,
        time: Decimal,
        parking: Decimal,
        reservation: Decimal,
        levels: tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None],
    ) -> None:
        self.index = index
        self.start = self.end = start
        self.tariff_id = tariff_id
        self.priced = priced
        self.reported_energy = energy
        self.energy = energy if energy > 0 else _ZERO
        self.time = time
        self.parking = parking
        self.reservation = reservation
        self.min_current, self.max_current, self.min_power, self.max_power = levels


def _read_periods(
    id_upper: str, periods: Sequence[ChargingPeriod], start: int, first_index: int = 0
) -> list[_Period]:
    """The periods as rows; `start` is the session start, or the start of the period before them."""
    rows: list[_Period] = []
    previous = start
    for index, period in enumerate(periods, first_index):
        try:
            delta = period.start_date_time - _EPOCH  # aware UTC, as the DateTime schema type gives
            t0 = (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds
        except TypeError:  # a naive datetime, from an object built without validation: UTC (§16.2)
            t0 = to_us(period.start_date_time)
        if t0 < previous:
            what = "the session start" if index == 0 else "the start of the previous period"
            raise PricingError(f"is before {what}", field=f"charging_periods[{index}].start_date_time")
        previous = t0
        energy = time = parking = reservation = _ZERO
        energy_import = current = min_current = max_current = power = min_power = max_power = None
        has_energy = False
        for dimension in period.dimensions:
            kind = dimension.type
            if kind is _ENERGY:
                energy += dimension.volume
                has_energy = True
            elif kind is _TIME:
                time += dimension.volume
            elif kind is _PARKING:
                parking += dimension.volume
            elif kind is _MAX_CURRENT:
                volume = dimension.volume
                max_current = volume if max_current is None else max(max_current, volume)
            elif kind is _MIN_CURRENT:
                volume = dimension.volume
                min_current = volume if min_current is None else min(min_current, volume)
            elif kind is _MAX_POWER:
                volume = dimension.volume
                max_power = volume if max_power is None else max(max_power, volume)
            elif kind is _MIN_POWER:
                volume = dimension.volume
                min_power = volume if min_power is None else min(min_power, volume)
            elif kind is _RESERVATION_TIME:
                reservation += dimension.volume
            elif kind is _CURRENT:
                current = dimension.volume
            elif kind is _POWER:
                power = dimension.volume
            elif kind is _ENERGY_IMPORT:
                volume = dimension.volume
                energy_import = volume if energy_import is None else energy_import + volume
        if time < 0 or parking < 0 or reservation < 0:
            d_index = next(
                i for i, d in enumerate(period.dimensions) if d.type in _DURATIONS and d.volume < 0
            )
            raise PricingError(
                "a duration cannot be negative",
                field=f"charging_periods[{index}].dimensions[{d_index}].volume",
            )
        if not has_energy and energy_import is not None:
            energy = energy_import
        tariff_id = period.tariff_id
        rows.append(
            _Period(
                index,
                t0,
                tariff_id,
                tariff_id is None or tariff_id.upper() == id_upper,
                energy,
                time,
                parking,
                reservation,
                # The level a restriction compares with: the period's extreme when reported, else its
                # average, else the other extreme (docs/pricing.md, "Current and power").
                (
                    min_current
                    if min_current is not None
                    else current
                    if current is not None
                    else max_current,
                    max_current
                    if max_current is not None
                    else current
                    if current is not None
                    else min_current,
                    min_power if min_power is not None else power if power is not None else max_power,
                    max_power if max_power is not None else power if power is not None else min_power,
                ),
            )
        )
    return rows


class ChargingPeriodsRead:
    """The charging periods of a running session, read once for all its pricings.

    A running session is priced again and again as periods are appended to it (the OCPP bridge does so
    every minute of charging): reading every period for every pricing would make a long session cost
    ever more. Periods are `extend`ed as they come and pass `price_session` in place of the list; the
    checks are those of a list (order, negative durations), made once. A read that failed fails every
    later pricing, as the same list would.
    """

    __slots__ = ("_error", "_rows", "_start", "tariff_id")

    def __init__(self, *, tariff: CompiledTariff, start: datetime) -> None:
        self.tariff_id = tariff.id_upper
        self._start = to_us(start)
        self._rows: list[_Period] = []
        self._error: PricingError | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def extend(self, periods: Sequence[ChargingPeriod]) -> None:
        """Append periods that follow those read so far."""
        if self._error is not None:
            return
        rows = self._rows
        try:
            rows += _read_periods(self.tariff_id, periods, rows[-1].start if rows else self._start, len(rows))
        except PricingError as exc:
            self._error = exc

    def rows_for(self, tariff: CompiledTariff, start: int) -> list[_Period]:
        if tariff.id_upper != self.tariff_id or start != self._start:
            raise ValueError("these periods were read for another tariff or session start")
        if self._error is not None:
            raise self._error
        return list(self._rows)  # the result keeps its rows: later extends must not reach it


@dataclass(slots=True)
class _Run:
    """What one pricing run shares between its periods."""

    tariff: CompiledTariff
    start: int
    session_start: int
    slot_starts: list[int]
    slot_flags: list[tuple[bool, ...]]
    reservation_candidates: tuple[tuple[int, Component], ...]
    reservation_flats: tuple[tuple[int, Component], ...]
    parts: list[_RawPart]
    session_flat_done: bool
    reservation_flat_done: bool


def price_session(
    *,
    tariff: Tariff | CompiledTariff,
    charging_periods: Sequence[ChargingPeriod] | ChargingPeriodsRead,
    start: datetime,
    end: datetime | None,
    time_zone: str | tzinfo = "UTC",
    reservation: ReservationRestrictionType | None = None,
) -> PriceResult:
    """Price a session or CDR with one tariff (the caller picks it, e.g. the connector's).

    `start`/`end`: the session's or CDR's start_date_time and end_date_time; `end=None` prices an
    ongoing session up to the end of its last period's reported time. `time_zone`: the Location's
    time_zone, for every time-of-day, date and weekday restriction (§11.4.6). `reservation`:
    RESERVATION when a reservation preceded the session, RESERVATION_EXPIRES when it expired without
    a session; None infers it from RESERVATION_TIME dimensions. Periods whose `tariff_id` names another
    tariff are not priced by this one (§10.4.6). Compile a tariff once (`compile_tariff`) to price many
    sessions with it; pass a `ChargingPeriodsRead` to price a growing session many times.
    """
    compiled = tariff if isinstance(tariff, CompiledTariff) else compile_tariff(tariff)
    zone = _zone(time_zone)
    with localcontext(_CONTEXT):
        return _price(compiled, charging_periods, start, end, zone, reservation)


def _price(
    tariff: CompiledTariff,
    charging_periods: Sequence[ChargingPeriod] | ChargingPeriodsRead,
    start: datetime,
    end: datetime | None,
    zone: tzinfo,
    reservation: ReservationRestrictionType | None,
) -> PriceResult:
    start_us = to_us(start)
    if isinstance(charging_periods, ChargingPeriodsRead):
        rows = charging_periods.rows_for(tariff, start_us)
    else:
        rows = _read_periods(tariff.id_upper, charging_periods, start_us)
    for row, following in pairwise(rows):
        row.end = following.start
    if rows:
        last = rows[-1]
        if end is None:
            last.end = last.start + int((last.time + last.parking + last.reservation) * _US_PER_HOUR)
        else:
            last.end = to_us(end)
            if last.end < last.start:
                raise PricingError("is before the start of the last charging period", field="end_date_time")
        end_us = last.end
    else:
        end_us = to_us(end) if end is not None else start_us
        if end_us < start_us:
            raise PricingError("is before start_date_time", field="end_date_time")

    # §11.4.6 reservation: from when it is made until charging starts, or until it expires.
    reserved = any(r.reservation > 0 for r in rows)
    session_used = any(r.energy > 0 or r.time > 0 or r.parking > 0 for r in rows)
    if reservation is None and reserved:
        reservation = _BOOKED if session_used else _EXPIRED
    if reservation is _EXPIRED and session_used:
        raise PricingError(
            "an expired reservation has no charging session, but the charging periods report one",
            field="reservation",
        )
    session_start = next((r.start for r in rows if r.reservation == 0), end_us) if reserved else start_us

    slot_starts, slot_flags = tariff.slots(zone, start_us, end_us)
    splits = sorted(
        {b for b in slot_starts if start_us < b < end_us}
        | {session_start + d for d in tariff.session_durations if session_start + d < end_us}
        | {start_us + d for d in tariff.reservation_durations if start_us + d < end_us}
    )
    candidates, flats = tariff.reservation_candidates.get(reservation, ((), ())) if reservation else ((), ())
    run = _Run(
        tariff=tariff,
        start=start_us,
        session_start=session_start,
        slot_starts=slot_starts,
        slot_flags=slot_flags,
        reservation_candidates=candidates,
        reservation_flats=flats,
        parts=[],
        session_flat_done=reservation is _EXPIRED,
        reservation_flat_done=reservation is None,
    )
    parts = run.parts
    session = tariff.session_candidates
    energy_candidates = session[Dim.ENERGY]
    time_candidates = session[Dim.TIME]
    parking_candidates = session[Dim.PARKING_TIME]
    session_flats = tariff.session_flat
    general = tariff.general_elements
    thresholds = tariff.kwh_thresholds
    n_splits, n_slots, n_thresholds = len(splits), len(slot_starts), len(thresholds)
    split_i = slot_i = threshold_i = 0
    energy_so_far = _ZERO  # the session's energy at the start of the period: a sum of Decimals
    session_seen = reservation_seen = False

    for row in rows:
        t0, t1 = row.start, row.end
        energy = row.energy
        if t0 >= session_start:
            session_seen = True
        if row.reservation:
            reservation_seen = True
        if not row.priced:
            energy_so_far += energy
            continue
        while split_i < n_splits and splits[split_i] <= t0:
            split_i += 1
        cut_i = split_i
        while cut_i < n_splits and splits[cut_i] < t1:
            cut_i += 1
        inner_kwh: list[Decimal] = []
        if n_thresholds and energy:
            while threshold_i < n_thresholds and thresholds[threshold_i] <= energy_so_far:
                threshold_i += 1
            reached = energy_so_far + energy
            k = threshold_i
            while k < n_thresholds and thresholds[k] < reached:
                inner_kwh.append(thresholds[k])
                k += 1
        if cut_i > split_i or inner_kwh:
            energy_so_far = _split_period(run, row, splits[split_i:cut_i], inner_kwh, energy_so_far)
            split_i = cut_i
            continue

        # The common case: one set of elements prices the whole period.
        while slot_i + 1 < n_slots and slot_starts[slot_i + 1] <= t0:
            slot_i += 1
        flags: Sequence[bool] = slot_flags[slot_i]
        if general:
            flags = _refine(flags, general, energy_so_far, t0 - session_start, t0 - start_us, row)
        index = row.index
        if energy:
            for element_index, component in energy_candidates:
                if flags[element_index]:
                    parts.append((index, t0, t1, component, energy))
                    break
        if row.time:
            for element_index, component in time_candidates:
                if flags[element_index]:
                    parts.append((index, t0, t1, component, row.time))
                    break
        if row.parking:
            for element_index, component in parking_candidates:
                if flags[element_index]:
                    parts.append((index, t0, t1, component, row.parking))
                    break
        if row.reservation:
            for element_index, component in candidates:
                if flags[element_index]:
                    parts.append((index, t0, t1, component, row.reservation))
                    break
            if not run.reservation_flat_done:
                run.reservation_flat_done = _flat(parts, flats, flags, index, t0, t1)
        if not run.session_flat_done and t0 >= session_start:
            run.session_flat_done = _flat(parts, session_flats, flags, index, t0, t1)
        energy_so_far += energy

    # A session, or a reservation, without any period of its own still owes its FLAT fee: it is priced
    # at its start (e.g. a session that has just started, or a reservation given without its time).
    if not run.session_flat_done and not session_seen:
        flags = _flags_at(tariff, zone, session_start, general, session_start - start_us)
        run.session_flat_done = _flat(parts, session_flats, flags, None, session_start, session_start)
    if not run.reservation_flat_done and not reservation_seen:
        flags = _flags_at(tariff, zone, start_us, general, 0)
        run.reservation_flat_done = _flat(parts, flats, flags, None, start_us, start_us)
    return _finish(tariff, rows, parts)


def _flags_at(
    tariff: CompiledTariff, zone: tzinfo, instant: int, general: Sequence[Element], elapsed: int
) -> Sequence[bool]:
    """Which elements apply at an instant outside any period (no energy, current or power known)."""
    slot_starts, slot_flags = tariff.slots(zone, instant, instant)
    flags: Sequence[bool] = slot_flags[max(bisect_right(slot_starts, instant) - 1, 0)]
    if general:
        flags = _refine(flags, general, _ZERO, 0, elapsed, None)
    return flags


def _refine(
    flags: Sequence[bool],
    general: Sequence[Element],
    energy: Exact,
    session_elapsed: int | Fraction,
    reservation_elapsed: int | Fraction,
    row: _Period | None,
) -> list[bool]:
    """Add the kWh, current, power and duration restrictions to the time flags of one piece."""
    refined = list(flags)
    for element in general:
        index = element.index
        if refined[index]:
            elapsed = math.floor(reservation_elapsed if element.reservation is not None else session_elapsed)
            if row is None:
                refined[index] = element.general_ok(energy, elapsed, None, None, None, None)
            else:
                refined[index] = element.general_ok(
                    energy, elapsed, row.min_current, row.max_current, row.min_power, row.max_power
                )
    return refined


def _flat(
    parts: list[_RawPart],
    candidates: Sequence[tuple[int, Component]],
    flags: Sequence[bool],
    index: int | None,
    t0: int,
    t1: int,
) -> bool:
    """§11.4.5 FLAT: billed once, by the first element with a FLAT component that applies; True if so."""
    for element_index, component in candidates:
        if flags[element_index]:
            parts.append((index, t0, t1, component, _ONE))
            return True
    return False


def _split_period(
    run: _Run, row: _Period, inner_times: list[int], inner_kwh: list[Decimal], energy_so_far: Decimal
) -> Decimal:
    """Price a period that an element boundary cuts: split it exactly, pro-rating quantities linearly.

    A cut is a fraction u of the period: at an instant b, u = (b - start) / duration; where the
    session's energy reaches a min_kwh/max_kwh threshold k, u = (k - energy so far) / energy of the
    period. Pieces are exact Fractions, so the pieces of a quantity add up to it exactly.
    """
    tariff = run.tariff
    t0, t1 = row.start, row.end
    duration = t1 - t0
    cuts: set[Fraction] = {Fraction(b - t0, duration) for b in inner_times}
    energy = Fraction(row.energy)
    base = Fraction(energy_so_far)
    if energy:
        cuts.update((Fraction(k) - base) / energy for k in inner_kwh)
    bounds = [Fraction(0), *sorted(c for c in cuts if 0 < c < 1), Fraction(1)]
    session = tariff.session_candidates
    quantities = [
        (candidates, Fraction(volume))
        for candidates, volume in (
            (session[Dim.ENERGY], row.energy),
            (session[Dim.TIME], row.time),
            (session[Dim.PARKING_TIME], row.parking),
            (run.reservation_candidates, row.reservation),
        )
        if volume
    ]
    general = tariff.general_elements
    parts = run.parts
    latest: dict[int, int] = {}  # quantity -> index of its latest part, to merge pieces of one component
    for low, high in pairwise(bounds):
        share = high - low
        at = t0 + low * duration
        begin = math.floor(at)
        finish = math.floor(t0 + high * duration)
        flags: Sequence[bool] = run.slot_flags[max(bisect_right(run.slot_starts, begin) - 1, 0)]
        if general:
            flags = _refine(flags, general, base + energy * low, at - run.session_start, at - run.start, row)
        for q, (candidates, volume) in enumerate(quantities):
            for element_index, component in candidates:
                if flags[element_index]:
                    previous = latest.get(q)
                    if (
                        previous is not None
                        and parts[previous][3] is component
                        and parts[previous][2] == begin
                    ):
                        index, first, _, _, amount = parts[previous]
                        parts[previous] = (index, first, finish, component, _add(amount, volume * share))
                    else:
                        latest[q] = len(parts)
                        parts.append((row.index, begin, finish, component, volume * share))
                    break
        if row.reservation and not run.reservation_flat_done:
            run.reservation_flat_done = _flat(parts, run.reservation_flats, flags, row.index, begin, finish)
        if not run.session_flat_done and begin >= run.session_start:
            run.session_flat_done = _flat(parts, tariff.session_flat, flags, row.index, begin, finish)
    return energy_so_far + row.energy


def _step(
    parts: list[_RawPart],
    last: int,
    consumed: dict[Component, Decimal],
    fractional: dict[Component, Fraction],
    extras: dict[int, Exact],
) -> None:
    """§10.3.1 step_size: round the session total of the dimension used last up to its last step.

    `last` is the last part with a quantity of a step group (ENERGY; TIME and PARKING_TIME together;
    reservation TIME). Only that part's dimension is rounded, with its component's step_size, on the
    session total of that dimension, and the extra goes to that part (`extras`); every other part
    keeps what was consumed.
    """
    component = parts[last][3]
    step = component.step_size
    if step <= 0:
        return
    dim = component.dim
    decimals = _ZERO
    for c, quantity in consumed.items():
        if c.dim is dim:
            decimals += quantity
    numerator, denominator = decimals.as_integer_ratio()
    for c, fraction in fractional.items():
        if c.dim is dim:
            numerator = numerator * fraction.denominator + fraction.numerator * denominator
            denominator *= fraction.denominator
    # The total in step units is numerator * per_unit / denominator; round it up to a multiple of step.
    per_unit = _STEP_UNITS[dim]
    units = numerator * per_unit
    steps = -(-units // (denominator * step))
    extra = steps * step * denominator - units  # over denominator * per_unit
    if extra:
        extras[last] = _ratio(extra, denominator * per_unit)


def _ratio(numerator: int, denominator: int) -> Exact:
    """An exact ratio: a Decimal when its decimal expansion terminates and fits the context, else a
    Fraction (which keeps it exact)."""
    rest = denominator
    twos = fives = 0
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    # Decimals after the point, plus (over-estimated) digits of the numerator: must fit in 60 digits.
    if rest != 1 or max(twos, fives) + numerator.bit_length() // 3 + 1 > _CONTEXT.prec - 2:
        return Fraction(numerator, denominator)
    with localcontext(_CONTEXT):
        return Decimal(numerator) / Decimal(denominator)


def _terminating(value: Fraction) -> Exact:
    """A Fraction as a Decimal when its decimal expansion terminates (keeps the fast Decimal path)."""
    return _ratio(value.numerator, value.denominator)


_GROUPS = {
    Dim.ENERGY: 0,
    Dim.TIME: 1,
    Dim.PARKING_TIME: 1,
    Dim.RESERVATION: 2,
    Dim.FLAT: -1,
    Dim.RESERVATION_FLAT: -1,
}


def _finish(tariff: CompiledTariff, rows: list[_Period], parts: list[_RawPart]) -> PriceResult:
    # What each component priced: Decimal quantities, and the Fractions of split periods apart.
    consumed: dict[Component, Decimal] = {}
    fractional: dict[Component, Fraction] = {}
    for part in parts:
        component = part[3]
        quantity = part[4]
        if quantity.__class__ is Decimal:
            consumed[component] = consumed.get(component, _ZERO) + quantity  # type: ignore[operator]
        else:
            previous = fractional.get(component)
            fractional[component] = quantity if previous is None else previous + quantity  # type: ignore[assignment,operator]

    # step_size, once per group, on the part of the group that has a quantity and comes last.
    extras: dict[int, Exact] = {}
    found = [-1, -1, -1]
    missing = 3
    for i in range(len(parts) - 1, -1, -1):
        part = parts[i]
        group = _GROUPS[part[3].dim]
        if group >= 0 and found[group] < 0 and part[4]:
            found[group] = i
            missing -= 1
            if not missing:
                break
    for last in found:
        if last >= 0:
            _step(parts, last, consumed, fractional, extras)
    for i, extra in extras.items():
        component = parts[i][3]
        if extra.__class__ is Decimal:
            consumed[component] = consumed.get(component, _ZERO) + extra  # type: ignore[operator]
        else:
            previous = fractional.get(component)
            fractional[component] = extra if previous is None else previous + extra  # type: ignore[assignment,operator]

    # Exact costs per category (fixed, energy, time, parking, reservation), excl. and incl. VAT.
    excl: list[Exact] = [_ZERO] * 5
    incl: list[Exact] = [_ZERO] * 5
    for component, quantity in consumed.items():
        category = _PARKING_COST if component.parking_flat else _CATEGORY[component.dim]
        cost = component.price * quantity
        excl[category] += cost  # type: ignore[operator]
        incl[category] += cost * component.factor  # type: ignore[operator]
    if fractional:
        # Exact ratios with integers; at most one Fraction per category at the end.
        ratios_excl: dict[int, tuple[int, int]] = {}
        ratios_incl: dict[int, tuple[int, int]] = {}
        for component, fraction in fractional.items():
            category = _PARKING_COST if component.parking_flat else _CATEGORY[component.dim]
            if category not in ratios_excl:
                ratios_excl[category] = excl[category].as_integer_ratio()
                ratios_incl[category] = incl[category].as_integer_ratio()
            price_n, price_d = component.price_ratio
            factor_n, factor_d = component.factor_ratio
            numerator = price_n * fraction.numerator
            denominator = price_d * fraction.denominator
            ratios_excl[category] = _plus(ratios_excl[category], numerator, denominator)
            ratios_incl[category] = _plus(ratios_incl[category], numerator * factor_n, denominator * factor_d)
        for category, (n, d) in ratios_excl.items():
            excl[category] = _ratio(n, d)
        for category, (n, d) in ratios_incl.items():
            incl[category] = _ratio(n, d)

    currency = tariff.currency
    rounded_excl, sum_excl = settle(excl, currency)
    rounded_incl, sum_incl = settle(incl, currency)
    total_excl, total_incl = sum_excl, sum_incl
    min_applied = max_applied = False
    bounded: tuple[Exact, Exact] | None = None
    low, high = tariff.min_price, tariff.max_price
    if low is not None or high is not None:
        exact_excl, exact_incl, min_applied, max_applied = _bound(tariff, _sum(excl), _sum(incl))
        bounded = (exact_excl, exact_incl)
        total_excl = round_within(
            exact_excl, low.excl_vat if low else None, high.excl_vat if high else None, currency
        )
        total_incl = round_within(
            exact_incl, low.incl_vat if low else None, high.incl_vat if high else None, currency
        )
        # Rounding inside a bound with more decimals than the currency also counts as applying it.
        for total, plain in (
            (total_excl, round_money(exact_excl, currency)),
            (total_incl, round_money(exact_incl, currency)),
        ):
            min_applied = min_applied or total > plain
            max_applied = max_applied or total < plain
    rounded_excl += (total_excl, total_excl - sum_excl)
    rounded_incl += (total_incl, total_incl - sum_incl)

    charging = parking = reservation_time = energy = _ZERO
    for r in rows:
        charging += r.time
        parking += r.parking
        reservation_time += r.reservation
        energy += r.reported_energy
    return PriceResult(
        currency=currency,
        excl=rounded_excl,
        incl=rounded_incl,
        quantities=(energy, charging, parking, reservation_time),
        min_price_applied=min_applied,
        max_price_applied=max_applied,
        internals=_Internals(
            raw_parts=tuple(parts),
            extras=extras,
            consumed=consumed,
            fractional=fractional,
            exact_parts=(excl, incl),
            exact_bounded=bounded,
            rows=rows,
            ends=[r.end for r in rows],
        ),
    )


def _plus(ratio: tuple[int, int], numerator: int, denominator: int) -> tuple[int, int]:
    return ratio[0] * denominator + numerator * ratio[1], ratio[1] * denominator


def _sum(values: Sequence[Exact]) -> Exact:
    if all(value.__class__ is Decimal for value in values):
        return sum(values, _ZERO)
    return _terminating(sum((Fraction(value) for value in values), Fraction(0)))


def _bound(tariff: CompiledTariff, excl: Exact, incl: Exact) -> tuple[Exact, Exact, bool, bool]:
    """§11.3.1 min_price / max_price: each bounds the total excl. VAT and, separately, incl. VAT.

    When a bound has no incl_vat, the total incl. VAT moves in proportion to the total excl. VAT (the
    session's own VAT rate); with nothing to scale (a zero total) it becomes the bound excl. VAT.
    """
    min_applied = max_applied = False
    if tariff.min_price is not None:
        excl, incl, min_applied = _clamp(excl, incl, tariff.min_price, below=True)
    if tariff.max_price is not None:
        excl, incl, max_applied = _clamp(excl, incl, tariff.max_price, below=False)
    return excl, incl, min_applied, max_applied


def _clamp(excl: Exact, incl: Exact, bound: Price, *, below: bool) -> tuple[Exact, Exact, bool]:
    def outside(value: Exact, limit: Decimal) -> bool:
        return value < limit if below else value > limit

    new_excl: Exact = bound.excl_vat if outside(excl, bound.excl_vat) else excl
    new_incl: Exact = incl
    if bound.incl_vat is not None:
        if outside(incl, bound.incl_vat):
            new_incl = bound.incl_vat
    elif new_excl != excl:
        new_incl = Fraction(incl) * Fraction(new_excl) / Fraction(excl) if excl else new_excl
    return new_excl, new_incl, new_excl != excl or new_incl != incl
