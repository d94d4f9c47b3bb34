"""Price a CDR or Session with a tariff: ocpi_price [--tz ZONE] [--json] <tariff.json> <cdr_or_session.json>.

Prints the breakdown as a table (which tariff element priced which part of each charging period), or
with --json one object holding the total_* fields of a CDR in OCPI form (§10.3.1). The time zone for
time-of-day and weekday restrictions is --tz, else a time_zone found in the object, else UTC.
Invalid input exits with status 2 and a message naming the file and the field.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError, CommandParser
from pydantic import ValidationError

from ocpi.pricing import PriceResult, PricingError, minor_unit, price_session
from ocpi.pricing.inputs import PricingInput, PricingInputError, read_pricing_input
from ocpi.tariffs.schemas import Tariff

INVALID = 2
_RAW_NUMBER = "\x00number:"
_RAW_PATTERN = re.compile(r'"\\u0000number:([^"]*)"')
_COLUMNS = ("#", "From", "To", "Dimension", "Element", "Quantity", "Billed", "Price", "VAT %", "Excl", "Incl")


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=INVALID)


def _load(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def _tariff(path: str, data: Any) -> Tariff:
    try:
        return Tariff.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
            message = "missing required field" if err["type"] == "missing" else err["msg"]
            problems.append(f"{field or 'body'}: {message}")
        raise _fail(f"{path}: not a valid Tariff: " + "; ".join(problems)) from None


def _dumps(value: Any) -> str:
    """JSON with every Decimal written as the exact number it is (5.50 stays 5.50, never a float)."""

    def mark(item: Any) -> Any:
        if isinstance(item, Decimal):
            return _RAW_NUMBER + str(item)
        if isinstance(item, dict):
            return {k: mark(v) for k, v in item.items()}
        return item

    return _RAW_PATTERN.sub(r"\1", json.dumps(mark(value), indent=2))


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # reads two files, touches no database
    help = (
        "Price an OCPI CDR or Session with an OCPI Tariff and print the breakdown "
        "(or, with --json, the CDR total_* fields)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tariff", help="an OCPI 2.2.1 Tariff object (JSON file)")
        parser.add_argument(
            "priced", metavar="cdr_or_session", help="an OCPI 2.2.1 CDR or Session (JSON file)"
        )
        parser.add_argument(
            "--tz", help="IANA time zone of the location (default: from the object, else UTC)"
        )
        parser.add_argument("--json", action="store_true", help="print the total_* fields as one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        tariff = _tariff(options["tariff"], _load(options["tariff"]))
        priced_path = options["priced"]
        try:
            priced = read_pricing_input(_load(priced_path))
        except PricingInputError as exc:
            raise _fail(f"{priced_path}: {exc}") from None
        zone, zone_source = self._zone(options["tz"], priced)
        try:
            result = price_session(
                tariff=tariff,
                charging_periods=priced.charging_periods,
                start=priced.start,
                end=priced.end,
                time_zone=zone,
            )
        except PricingError as exc:
            raise _fail(f"{priced_path}: {exc}") from None
        if options["json"]:
            self.stdout.write(_dumps(result.to_ocpi()))
        else:
            self._table(tariff, priced, result, zone, zone_source)

    def _zone(self, option: str | None, priced: PricingInput) -> tuple[ZoneInfo, str]:
        if option is not None:
            try:
                return ZoneInfo(option), "--tz"
            except (ZoneInfoNotFoundError, ValueError):
                raise _fail(f"--tz: unknown time zone {option!r}") from None
        if priced.time_zone is not None:
            return ZoneInfo(priced.time_zone), f"from {priced.time_zone_field}"
        return ZoneInfo("UTC"), "default"

    def _table(
        self, tariff: Tariff, priced: PricingInput, result: PriceResult, zone: ZoneInfo, source: str
    ) -> None:
        digits = minor_unit(result.currency)

        def local(moment: Any) -> str:
            return str(moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"))

        def money(value: Decimal | None, places: int = digits) -> str:
            return "" if value is None else f"{value:.{places}f}"

        write = self.stdout.write
        end = local(priced.end) if priced.end is not None else "ongoing"
        write(f"{priced.kind} {priced.id or '-'} priced with tariff {tariff.id} ({result.currency})")
        write(f"Time zone {zone.key} ({source}); session {local(priced.start)} -> {end} local time")
        write("")
        rows = [_COLUMNS]
        for part in result.parts:
            unit = "kWh" if part.dimension == "ENERGY" else "" if part.dimension == "FLAT" else "h"
            label = ("RESERVATION " if part.reservation else "") + part.dimension.value
            rows.append(
                (
                    "-" if part.period_index is None else str(part.period_index),
                    local(part.start),
                    local(part.end),
                    label,
                    str(part.element_index),
                    f"{part.quantity:.4f} {unit}".rstrip(),
                    f"{part.billed_quantity:.4f} {unit}".rstrip(),
                    money(part.price, 4),
                    "-" if part.vat is None else f"{part.vat.normalize():f}",
                    money(part.cost.excl_vat, 4),
                    money(part.cost.incl_vat, 4),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
        for row in rows:
            write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        unpriced = [p.index for p in result.periods if not p.priced]
        if unpriced:
            which = (
                f"periods {', '.join(map(str, unpriced))} name"
                if len(unpriced) > 1
                else f"period {unpriced[0]} names"
            )
            write(
                f"({which} another tariff and {'are' if len(unpriced) > 1 else 'is'} not priced by this one)"
            )
        write("")
        totals = [
            ("total_fixed_cost", result.total_fixed_cost),
            ("total_energy_cost", result.total_energy_cost),
            ("total_time_cost", result.total_time_cost),
            ("total_parking_cost", result.total_parking_cost),
            ("total_reservation_cost", result.total_reservation_cost),
        ]
        if result.min_price_applied or result.max_price_applied:
            which = "min_price" if result.min_price_applied else "max_price"
            totals.append((f"{which} adjustment", result.adjustment))
        totals.append(("total_cost", result.total_cost))
        write(f"{'':24}{'excl. VAT':>12}{'incl. VAT':>12}")
        for name, price in totals:
            write(f"{name:24}{money(price.excl_vat):>12}{money(price.incl_vat):>12}")
        write("")
        write(f"{'total_energy':24}{result.total_energy:>12.4f} kWh (billed {result.billed_energy:.4f})")
        write(f"{'total_time':24}{result.total_time:>12.4f} h")
        write(f"{'total_parking_time':24}{result.total_parking_time:>12.4f} h")
