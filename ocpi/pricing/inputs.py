"""What the engine needs from an OCPI CDR or Session given as JSON, read and validated (for the CLI).

Only the fields pricing uses are read: start_date_time, end_date_time, charging_periods (validated
through the ChargingPeriod schema) and, for local-time restrictions, a time zone. A 2.2.1 CdrLocation
(§10.4.4) has no time_zone and a Session only a location_id, so the zone is the one the caller gives,
else a `time_zone` found in the object (top level, `cdr_location` or `location`, as some partners add
it), else UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import TypeAdapter, ValidationError

from ocpi.core.types import DateTime
from ocpi.sessions.schemas import ChargingPeriod

_DATETIME: TypeAdapter[datetime] = TypeAdapter(DateTime)
_PERIODS: TypeAdapter[list[ChargingPeriod]] = TypeAdapter(list[ChargingPeriod])
_ZONE_PLACES = (("time_zone",), ("cdr_location", "time_zone"), ("location", "time_zone"))


class PricingInputError(ValueError):
    """The object cannot be priced; `field` names the offending field (e.g. `charging_periods[0]...`)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class PricingInput:
    """A CDR or Session reduced to what pricing reads."""

    kind: str
    """"CDR" or "Session"."""
    id: str | None
    start: datetime
    end: datetime | None
    charging_periods: list[ChargingPeriod]
    time_zone: str | None
    time_zone_field: str | None


def _path(prefix: str, loc: Sequence[int | str]) -> str:
    text = prefix
    for item in loc:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else str(item))
    return text or "body"


def _first_error(prefix: str, exc: ValidationError) -> PricingInputError:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    message = "missing required field" if first["type"] == "missing" else first["msg"]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return PricingInputError(_path(prefix, first["loc"]), message + more)


def _datetime(data: dict[str, Any], field: str, *, required: bool) -> datetime | None:
    if data.get(field) is None:
        if required:
            raise PricingInputError(field, "missing required field")
        return None
    try:
        return _DATETIME.validate_python(data[field])
    except ValidationError as exc:
        raise _first_error(field, exc) from None


def find_time_zone(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """The object's time zone and the field it came from, when it carries one (validated)."""
    for place in _ZONE_PLACES:
        value: Any = data
        for key in place:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            field = ".".join(place)
            if not isinstance(value, str):
                raise PricingInputError(field, "must be an IANA time zone name")
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise PricingInputError(field, f"unknown time zone {value!r}") from None
            return value, field
    return None, None


def read_pricing_input(data: Any) -> PricingInput:
    """Read a CDR (§10.3.1) or Session (§9.3.1) JSON object; raise PricingInputError naming the field."""
    if not isinstance(data, dict):
        raise PricingInputError("body", "must be a JSON object (a CDR or a Session)")
    kind = "CDR" if "cdr_location" in data or "total_energy" in data else "Session"
    start = _datetime(data, "start_date_time", required=True)
    assert start is not None
    end = _datetime(data, "end_date_time", required=kind == "CDR")
    raw_periods = data.get("charging_periods")
    if raw_periods is None:
        if kind == "CDR":
            raise PricingInputError("charging_periods", "missing required field")
        raw_periods = []
    try:
        periods = _PERIODS.validate_python(raw_periods)
    except ValidationError as exc:
        raise _first_error("charging_periods", exc) from None
    if kind == "CDR" and not periods:
        raise PricingInputError("charging_periods", "a CDR has at least one charging period")
    zone, zone_field = find_time_zone(data)
    identifier = data.get("id")
    return PricingInput(
        kind=kind,
        id=identifier if isinstance(identifier, str) else None,
        start=start,
        end=end,
        charging_periods=periods,
        time_zone=zone,
        time_zone_field=zone_field,
    )
