"""Receiving CDRs as the eMSP (§10.2.2): store, then check the cost with our own pricing engine."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from pydantic import ValidationError

from emsp.models import CdrPriceCheck
from ocpi.cdrs.models import Cdr
from ocpi.cdrs.schemas import CDR
from ocpi.cdrs.services import cdr_create
from ocpi.locations.models import Location
from ocpi.models import Party
from ocpi.pricing import PricingError, minor_unit, price_session
from ocpi.tariffs.models import Tariff as TariffRow
from ocpi.tariffs.schemas import Tariff
from ocpi.tariffs.services import tariff_to_schema

logger = logging.getLogger("emsp.cdrs")


@transaction.atomic
def cdr_receive(*, party: Party, data: CDR) -> tuple[Cdr, bool]:
    """Store a CPO's CDR (a repeat POST of the same id creates nothing) and check its cost once."""
    stored, created = cdr_create(party=party, data=data)
    if created:
        cdr_price_check(cdr=stored, data=data, party=party)
    return stored, created


def _tariffs(data: CDR, party: Party) -> list[Tariff]:
    """The tariffs the CDR's periods name: from the CDR itself, else our copy of the CPO's tariffs."""
    wanted = {p.tariff_id for p in data.charging_periods if p.tariff_id}
    given = {t.id: t for t in data.tariffs or []}
    found = [given[t] for t in sorted(wanted) if t in given]
    missing = [t for t in sorted(wanted) if t not in given]
    if missing:
        rows = TariffRow.objects.filter(party=party, ocpi_id__in=missing)
        found += [tariff_to_schema(row) for row in rows]
    if not wanted and data.tariffs:
        found = list(data.tariffs[:1])
    return found


def _time_zone(data: CDR, party: Party) -> str:
    """A 2.2.1 CdrLocation has no time zone: take it from our copy of the CPO's Location."""
    zone = (
        Location.objects.filter(party=party, ocpi_id__iexact=data.cdr_location.id)
        .values_list("time_zone", flat=True)
        .first()
    )
    return zone or "UTC"


def cdr_price_check(*, cdr: Cdr, data: CDR, party: Party) -> CdrPriceCheck:
    """Price the CDR's periods with its tariffs and compare with its total_cost (one minor unit of slack)."""
    tariffs = _tariffs(data, party)
    zone = _time_zone(data, party)
    check = CdrPriceCheck(
        cdr=cdr,
        tariff_ids=[t.id for t in tariffs],
        time_zone=zone,
        reported_excl_vat=data.total_cost.excl_vat,
        reported_incl_vat=data.total_cost.incl_vat,
    )
    if not tariffs:
        check.outcome, check.message = CdrPriceCheck.Outcome.NO_TARIFF, "the CDR names no tariff we know"
        check.save()
        return check
    try:
        results = [
            price_session(
                tariff=tariff,
                charging_periods=data.charging_periods,
                start=data.start_date_time,
                end=data.end_date_time,
                time_zone=zone,
            )
            for tariff in tariffs
        ]
    except (PricingError, ValidationError, ValueError) as exc:
        check.outcome, check.message = CdrPriceCheck.Outcome.ERROR, str(exc)[:2000]
        check.save()
        return check
    expected_excl = sum((r.total_cost.excl_vat for r in results), Decimal(0))
    incl = [r.total_cost.incl_vat for r in results]
    expected_incl = (
        sum((i for i in incl if i is not None), Decimal(0)) if all(i is not None for i in incl) else None
    )
    check.expected_excl_vat, check.expected_incl_vat = expected_excl, expected_incl
    check.difference_excl_vat = data.total_cost.excl_vat - expected_excl
    slack = Decimal(1).scaleb(-minor_unit(data.currency))
    if abs(check.difference_excl_vat) <= slack:
        check.outcome = CdrPriceCheck.Outcome.OK
    else:
        check.outcome = CdrPriceCheck.Outcome.MISMATCH
        check.message = f"reported {data.total_cost.excl_vat} excl. VAT, our pricing gives {expected_excl}"
        logger.warning("CDR %s of %s: %s", data.id, party, check.message)
    check.save()
    return check
