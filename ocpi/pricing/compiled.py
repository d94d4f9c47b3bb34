"""A Tariff compiled once into the fast internal form the pricing loop reads (§11 Tariffs).

Compiling resolves everything that does not depend on a session: which element offers which
dimension (first component of that dimension in the element, §11.3.1 "only one Price Component per
dimension can be active"), the VAT factors, step sizes in the dimension's unit, the restriction bounds
as plain numbers, and the candidate order per dimension for the session and for a reservation.

Time-of-day, date and day-of-week restrictions are evaluated in local time (§11.4.6: "in local time,
the time zone is defined in the time_zone field of the Location"). For each local day the tariff is
used on, a day table lists the UTC instants at which any of those restrictions may change (local
midnight, every start_time/end_time, both occurrences of an hour repeated at the end of daylight
saving time, and the instant of every UTC-offset change) with, for each slot between two instants,
which elements' time restrictions hold. Day tables are cached per (time zone, local date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import IntEnum
from fractions import Fraction

from ocpi.core.types import Price
from ocpi.tariffs.schemas import (
    DayOfWeek,
    PriceComponent,
    ReservationRestrictionType,
    Tariff,
    TariffDimensionType,
    TariffElement,
)

US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * US_PER_SECOND
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HUNDRED = Decimal(100)
_ONE = Decimal(1)
_DAY_TABLE_CACHE_LIMIT = 4096
_WEEKDAYS = {
    DayOfWeek.MONDAY: 0,
    DayOfWeek.TUESDAY: 1,
    DayOfWeek.WEDNESDAY: 2,
    DayOfWeek.THURSDAY: 3,
    DayOfWeek.FRIDAY: 4,
    DayOfWeek.SATURDAY: 5,
    DayOfWeek.SUNDAY: 6,
}


class Dim(IntEnum):
    """Internal dimension codes: a reservation element's TIME and FLAT get their own (§11.4.6 reservation)."""

    ENERGY = 0
    TIME = 1
    PARKING_TIME = 2
    FLAT = 3
    RESERVATION = 4
    RESERVATION_FLAT = 5


DIMENSION_TYPES = {
    Dim.ENERGY: TariffDimensionType.ENERGY,
    Dim.TIME: TariffDimensionType.TIME,
    Dim.PARKING_TIME: TariffDimensionType.PARKING_TIME,
    Dim.FLAT: TariffDimensionType.FLAT,
    Dim.RESERVATION: TariffDimensionType.TIME,
    Dim.RESERVATION_FLAT: TariffDimensionType.FLAT,
}


def to_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch, exact (naive means UTC, as in §16.2 DateTime)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds


def from_us(us: int) -> datetime:
    """The aware UTC datetime of a microsecond instant."""
    return _EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True, slots=True, eq=False)
class Component:
    """One PriceComponent as priced: `factor` is 1 + vat/100 (1 when no VAT applies, §11.4.2).

    Compared and hashed by identity: each compiled component is one object, used as a dict key.
    """

    element_index: int
    component_index: int
    dim: Dim
    price: Decimal
    vat: Decimal | None
    factor: Decimal
    step_size: int
    parking_flat: bool
    price_ratio: tuple[int, int]
    factor_ratio: tuple[int, int]
    """A FLAT component of an element whose other components are all PARKING_TIME: a parking fee."""


@dataclass(frozen=True, slots=True)
class Element:
    """One TariffElement with its restrictions as plain numbers (None: not restricted)."""

    index: int
    reservation: ReservationRestrictionType | None
    time_restricted: bool
    general: bool
    """True when a restriction other than time of day, date or weekday is set."""
    start_us: int | None
    end_us: int | None
    start_date: date | None
    end_date: date | None
    weekdays: frozenset[int] | None
    min_kwh: Decimal | None
    max_kwh: Decimal | None
    min_current: Decimal | None
    max_current: Decimal | None
    min_power: Decimal | None
    max_power: Decimal | None
    min_duration_us: int | None
    max_duration_us: int | None
    components: dict[Dim, Component]

    def time_ok(self, local: datetime) -> bool:
        """§11.4.6 start/end_time (wrapping past midnight), start/end_date, day_of_week at a local time."""
        if self.weekdays is not None and local.weekday() not in self.weekdays:
            return False
        if self.start_date is not None or self.end_date is not None:
            day = local.date()
            if self.start_date is not None and day < self.start_date:
                return False
            if self.end_date is not None and day >= self.end_date:
                return False
        start, end = self.start_us, self.end_us
        if start is None and end is None:
            return True
        now = ((local.hour * 60 + local.minute) * 60 + local.second) * US_PER_SECOND + local.microsecond
        if start is None:
            start = 0
        if end is None or end == 0:
            end = _US_PER_DAY  # "To stop at end of the day use: 00:00"
        if start < end:
            return start <= now < end
        if start > end:
            return now >= start or now < end  # end_time < start_time: wraps to the next day
        return True

    def general_ok(
        self,
        energy: Decimal | Fraction,
        elapsed_us: int,
        min_current: Decimal | None,
        max_current: Decimal | None,
        min_power: Decimal | None,
        max_power: Decimal | None,
    ) -> bool:
        """§11.4.6 kWh, current, power and duration restrictions: every min inclusive, every max exclusive."""
        if self.min_kwh is not None and energy < self.min_kwh:
            return False
        if self.max_kwh is not None and energy >= self.max_kwh:
            return False
        if self.min_current is not None and (min_current is None or min_current < self.min_current):
            return False
        if self.max_current is not None and (max_current is None or max_current >= self.max_current):
            return False
        if self.min_power is not None and (min_power is None or min_power < self.min_power):
            return False
        if self.max_power is not None and (max_power is None or max_power >= self.max_power):
            return False
        if self.min_duration_us is not None and elapsed_us < self.min_duration_us:
            return False
        return not (self.max_duration_us is not None and elapsed_us >= self.max_duration_us)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _compile_component(
    element_index: int, component_index: int, pc: PriceComponent, dim: Dim, parking: bool
) -> Component:
    vat = pc.vat
    return Component(
        element_index=element_index,
        component_index=component_index,
        dim=dim,
        price=pc.price,
        vat=vat,
        factor=_ONE + vat / _HUNDRED if vat is not None else _ONE,
        step_size=max(pc.step_size, 0),
        parking_flat=parking and dim is Dim.FLAT,
        price_ratio=pc.price.as_integer_ratio(),
        factor_ratio=(_ONE + vat / _HUNDRED if vat is not None else _ONE).as_integer_ratio(),
    )


def _compile_element(index: int, element: TariffElement) -> Element:
    r = element.restrictions
    reservation = r.reservation if r is not None else None
    components: dict[Dim, Component] = {}
    others = {pc.type for pc in element.price_components if pc.type != TariffDimensionType.FLAT}
    parking = others == {TariffDimensionType.PARKING_TIME}
    for component_index, pc in enumerate(element.price_components):
        dim = Dim[pc.type.value]
        if reservation is not None:
            # §11.4.6: a reservation element "can only have FLAT and TIME" (checked by the schema).
            dim = Dim.RESERVATION if dim is Dim.TIME else Dim.RESERVATION_FLAT
        if dim not in components:
            components[dim] = _compile_component(index, component_index, pc, dim, parking)
    if r is None:
        return Element(
            index, None, False, False, None, None, None, None, None, None, None, None, None, None, None,
            None, None, components,
        )  # fmt: skip
    weekdays = frozenset(_WEEKDAYS[d] for d in r.day_of_week) if r.day_of_week else None
    start_us = _minutes(r.start_time) * 60 * US_PER_SECOND if r.start_time is not None else None
    end_us = _minutes(r.end_time) * 60 * US_PER_SECOND if r.end_time is not None else None
    start_date = date.fromisoformat(r.start_date) if r.start_date is not None else None
    end_date = date.fromisoformat(r.end_date) if r.end_date is not None else None
    time_restricted = any(v is not None for v in (weekdays, start_us, end_us, start_date, end_date))
    general = any(
        v is not None
        for v in (
            r.min_kwh, r.max_kwh, r.min_current, r.max_current, r.min_power, r.max_power,
            r.min_duration, r.max_duration,
        )
    )  # fmt: skip
    return Element(
        index=index,
        reservation=reservation,
        time_restricted=time_restricted,
        general=general,
        start_us=start_us,
        end_us=end_us,
        start_date=start_date,
        end_date=end_date,
        weekdays=weekdays,
        min_kwh=r.min_kwh,
        max_kwh=r.max_kwh,
        min_current=r.min_current,
        max_current=r.max_current,
        min_power=r.min_power,
        max_power=r.max_power,
        min_duration_us=r.min_duration * US_PER_SECOND if r.min_duration is not None else None,
        max_duration_us=r.max_duration * US_PER_SECOND if r.max_duration is not None else None,
        components=components,
    )


def _candidates(elements: list[Element], dim: Dim) -> tuple[tuple[int, Component], ...]:
    return tuple((e.index, e.components[dim]) for e in elements if dim in e.components)


class CompiledTariff:
    """A Tariff in the form the pricing loop reads; compile once with `compile_tariff` and reuse."""

    def __init__(self, tariff: Tariff) -> None:
        self.tariff = tariff
        self.id = tariff.id
        self.id_upper = tariff.id.upper()
        self.currency = tariff.currency
        self.min_price: Price | None = tariff.min_price
        self.max_price: Price | None = tariff.max_price
        self.elements = [_compile_element(i, e) for i, e in enumerate(tariff.elements)]
        session = [e for e in self.elements if e.reservation is None]
        booked = [e for e in self.elements if e.reservation is ReservationRestrictionType.RESERVATION]
        expired = [
            e for e in self.elements if e.reservation is ReservationRestrictionType.RESERVATION_EXPIRES
        ]
        self.session_candidates = {
            d: _candidates(session, d) for d in (Dim.ENERGY, Dim.TIME, Dim.PARKING_TIME)
        }
        self.session_flat = _candidates(session, Dim.FLAT)
        # §11.4.3 NOTE: for an expired reservation the RESERVATION_EXPIRES elements win over RESERVATION
        # ones, whatever their order; a reservation followed by a session uses RESERVATION elements only.
        self.reservation_candidates = {
            ReservationRestrictionType.RESERVATION: (
                _candidates(booked, Dim.RESERVATION),
                _candidates(booked, Dim.RESERVATION_FLAT),
            ),
            ReservationRestrictionType.RESERVATION_EXPIRES: (
                _candidates(expired, Dim.RESERVATION) + _candidates(booked, Dim.RESERVATION),
                _candidates(expired, Dim.RESERVATION_FLAT) + _candidates(booked, Dim.RESERVATION_FLAT),
            ),
        }
        self.has_time_restrictions = any(e.time_restricted for e in self.elements)
        self.has_general = any(e.general for e in self.elements)
        self.general_elements = tuple(e for e in self.elements if e.general)
        self.kwh_thresholds = sorted(
            {v for e in session for v in (e.min_kwh, e.max_kwh) if v is not None and v > 0}
        )
        self.session_durations = sorted(
            {v for e in session for v in (e.min_duration_us, e.max_duration_us) if v is not None and v > 0}
        )
        self.reservation_durations = sorted(
            {
                v
                for e in self.elements
                if e.reservation is not None
                for v in (e.min_duration_us, e.max_duration_us)
                if v is not None and v > 0
            }
        )
        self._minutes = sorted(
            {
                v // (60 * US_PER_SECOND)
                for e in self.elements
                for v in (e.start_us, e.end_us)
                if v is not None and v > 0
            }
        )
        self.all_true = tuple(True for _ in self.elements)
        self._day_tables: dict[tuple[tzinfo, int], tuple[list[int], list[tuple[bool, ...]]]] = {}

    def _flags(self, local: datetime) -> tuple[bool, ...]:
        return tuple(e.time_ok(local) if e.time_restricted else True for e in self.elements)

    def _day_table(self, zone: tzinfo, day: date) -> tuple[list[int], list[tuple[bool, ...]]]:
        key = (zone, day.toordinal())
        table = self._day_tables.get(key)
        if table is not None:
            return table
        start = to_us(datetime(day.year, day.month, day.day, tzinfo=zone))
        following = day + timedelta(days=1)
        end = to_us(datetime(following.year, following.month, following.day, tzinfo=zone))
        points = {start}
        for minute in self._minutes:
            hour, minute_of_hour = divmod(minute, 60)
            for fold in (0, 1):
                moment = to_us(
                    datetime(day.year, day.month, day.day, hour, minute_of_hour, tzinfo=zone, fold=fold)
                )
                if start < moment < end:
                    points.add(moment)
        ordered = sorted(points)
        instants: list[int] = []
        for a, b in zip(ordered, [*ordered[1:], end], strict=True):
            instants.append(a)
            instants.extend(_offset_changes(zone, a, b))
        # Keep only the instants where some element's time restrictions actually change.
        kept: list[int] = []
        flags: list[tuple[bool, ...]] = []
        for instant in instants:
            state = self._flags(from_us(instant).astimezone(zone))
            if not flags or state != flags[-1]:
                kept.append(instant)
                flags.append(state)
        table = (kept, flags)
        if len(self._day_tables) >= _DAY_TABLE_CACHE_LIMIT:
            self._day_tables.clear()
        self._day_tables[key] = table
        return table

    def slots(self, zone: tzinfo, start_us: int, end_us: int) -> tuple[list[int], list[tuple[bool, ...]]]:
        """Slot start instants covering [start_us, end_us] and, per slot, which elements' time rules hold."""
        if not self.has_time_restrictions:
            return [start_us], [self.all_true]
        first = from_us(start_us).astimezone(zone).date()
        last = from_us(end_us).astimezone(zone).date()
        instants: list[int] = []
        flags: list[tuple[bool, ...]] = []
        day = first - timedelta(days=1)
        while day <= last:
            day_instants, day_flags = self._day_table(zone, day)
            if flags and day_flags[0] == flags[-1]:  # nothing changes at this local midnight
                day_instants, day_flags = day_instants[1:], day_flags[1:]
            instants.extend(day_instants)
            flags.extend(day_flags)
            day += timedelta(days=1)
        return instants, flags


def _offset(zone: tzinfo, us: int) -> timedelta | None:
    return from_us(us).astimezone(zone).utcoffset()


def _offset_changes(zone: tzinfo, start: int, end: int) -> list[int]:
    """Instants in (start, end) where the zone's UTC offset changes (daylight saving time), by bisection."""
    changes: list[int] = []
    while _offset(zone, start) != _offset(zone, end):
        low, high = start, end
        before = _offset(zone, low)
        while high - low > 1:
            middle = (low + high) // 2
            if _offset(zone, middle) == before:
                low = middle
            else:
                high = middle
        if high >= end:
            break
        changes.append(high)
        start = high
    return changes


def compile_tariff(tariff: Tariff) -> CompiledTariff:
    """Compile a Tariff once for pricing many sessions with it (`price_session(tariff=compiled, ...)`)."""
    return CompiledTariff(tariff)
