"""Builders for pricing tests: tariffs from the spec examples or dicts, sessions from segments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ocpi.pricing import PriceResult, price_session
from ocpi.sessions.schemas import ChargingPeriod
from ocpi.tariffs.schemas import ReservationRestrictionType, Tariff
from tests.conftest import example

D = Decimal


def tariff(source: str | dict[str, Any], **changes: Any) -> Tariff:
    """A spec example tariff by file name, or a tariff from a dict of elements and fields."""
    data = example(source) if isinstance(source, str) else source
    base = {"country_code": "DE", "party_id": "ALL", "id": "T1", "currency": "EUR"}
    return Tariff.model_validate({**base, "last_updated": "2024-01-01T00:00:00Z", **data, **changes})


def elements(*items: dict[str, Any]) -> dict[str, Any]:
    """A tariff dict from elements: `element({"TIME": "2.00"}, step={"TIME": 60}, start_time="17:00")`."""
    return {"elements": list(items)}


def element(
    prices: dict[str, str],
    *,
    vat: dict[str, str] | None = None,
    step: dict[str, int] | None = None,
    **restrictions: Any,
) -> dict[str, Any]:
    components = [
        {
            "type": kind,
            "price": float(price),
            "step_size": (step or {}).get(kind, 1),
            **({"vat": float(vat[kind])} if vat and kind in vat else {}),
        }
        for kind, price in prices.items()
    ]
    return {"price_components": components, **({"restrictions": restrictions} if restrictions else {})}


def hours(minutes: float | str) -> Decimal:
    return Decimal(str(minutes)) / 60


@dataclass
class Session:
    """Charging periods built segment by segment from a start instant."""

    start: datetime
    periods: list[dict[str, Any]] = field(default_factory=list)
    now: datetime | None = None

    def __post_init__(self) -> None:
        self.now = self.start.astimezone(UTC)  # real elapsed time, also across a DST change

    def _add(self, minutes: float | str, dimensions: dict[str, Any]) -> Session:
        assert self.now is not None
        self.periods.append(
            {
                "start_date_time": self.now.isoformat(),
                "dimensions": [{"type": k, "volume": v} for k, v in dimensions.items()],
            }
        )
        self.now += timedelta(minutes=float(minutes))
        return self

    def charge(self, minutes: float | str, kwh: str | float | Decimal = "0", **levels: Any) -> Session:
        """Charging: TIME is the duration, ENERGY the kWh, plus e.g. MAX_CURRENT=16."""
        return self._add(minutes, {"ENERGY": Decimal(str(kwh)), "TIME": hours(minutes), **levels})

    def park(self, minutes: float | str) -> Session:
        return self._add(minutes, {"PARKING_TIME": hours(minutes)})

    def reserve(self, minutes: float | str) -> Session:
        return self._add(minutes, {"RESERVATION_TIME": hours(minutes)})

    def raw(self, minutes: float | str, **dimensions: Any) -> Session:
        return self._add(minutes, dimensions)

    def charging_periods(self) -> list[ChargingPeriod]:
        return [ChargingPeriod.model_validate(p) for p in self.periods]

    def price(
        self,
        tariff: Tariff,
        *,
        tz: str = "UTC",
        reservation: ReservationRestrictionType | None = None,
        end: datetime | None = None,
    ) -> PriceResult:
        return price_session(
            tariff=tariff,
            charging_periods=self.charging_periods(),
            start=self.start,
            end=end or self.now,
            time_zone=tz,
            reservation=reservation,
        )


def same(value: Decimal, expected: Decimal) -> bool:
    """Equal to 15 decimals: billed times like 10 minutes (1/6 hour) do not terminate."""
    return abs(value - expected) < Decimal("1e-15")


def at(text: str, tz: str = "UTC") -> datetime:
    """A local time in a zone, e.g. at("2024-06-03 09:30", "Europe/Amsterdam")."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def costs(result: PriceResult) -> tuple[Decimal, Decimal | None]:
    return result.total_cost.excl_vat, result.total_cost.incl_vat
