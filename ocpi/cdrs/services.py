"""Creation and wire conversion of CDRs (§10.2.2.2 Receiver POST), role neutral.

There is no update service on purpose: a CDR "cannot be changed or replaced once sent" (§10.1); a
correction is a new credit CDR (§10.1.1), created like any other.

A new CDR of our own CPO (a party without platform) is queued, in the same transaction, for a POST to
the eMSP owning its token (`ocpi.cdrs.push`, §10.2.2.2); a duplicate create queues nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from pydantic import ValidationError

from ocpi.cdrs import schemas
from ocpi.cdrs.models import Cdr
from ocpi.core.exceptions import validation_error
from ocpi.core.patch import check_path_ids
from ocpi.core.types import Price, format_datetime, number_json, price_json
from ocpi.models import Party
from ocpi.sessions.models import fit_amount
from ocpi.sessions.services import cdr_token_columns

logger = logging.getLogger(__name__)

_PRICES = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)


def _parse(data: schemas.CDR | Mapping[str, Any]) -> schemas.CDR:
    if isinstance(data, schemas.CDR):
        return data
    try:
        return schemas.CDR.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def _price_columns(name: str, price: Price | None) -> dict[str, Decimal | None]:
    return {
        f"{name}_excl_vat": fit_amount(f"{name}.excl_vat", price.excl_vat) if price else None,
        f"{name}_incl_vat": fit_amount(f"{name}.incl_vat", price.incl_vat) if price else None,
    }


def _columns(cdr: schemas.CDR) -> dict[str, Any]:
    location = cdr.cdr_location
    values: dict[str, Any] = {
        "ocpi_id": cdr.id,
        "start_date_time": cdr.start_date_time,
        "end_date_time": cdr.end_date_time,
        "session_id": cdr.session_id,
        **cdr_token_columns(cdr.cdr_token),
        "auth_method": cdr.auth_method.value,
        "authorization_reference": cdr.authorization_reference,
        "cdr_location": location.to_json(),
        "location_id": location.id,
        "evse_uid": location.evse_uid,
        "connector_id": location.connector_id,
        "meter_id": cdr.meter_id,
        "currency": cdr.currency,
        "tariffs": [tariff.to_json() for tariff in cdr.tariffs] if cdr.tariffs is not None else None,
        "charging_periods": [period.to_json() for period in cdr.charging_periods],
        "signed_data": cdr.signed_data.to_json() if cdr.signed_data else None,
        "total_energy": fit_amount("total_energy", cdr.total_energy),
        "total_time": fit_amount("total_time", cdr.total_time),
        "total_parking_time": fit_amount("total_parking_time", cdr.total_parking_time),
        "remark": cdr.remark,
        "invoice_reference_id": cdr.invoice_reference_id,
        "credit": cdr.credit,
        "credit_reference_id": cdr.credit_reference_id,
        "home_charging_compensation": cdr.home_charging_compensation,
        "last_updated": cdr.last_updated,
    }
    for name in _PRICES:
        values.update(_price_columns(name, getattr(cdr, name)))
    return values


def _find(*, party: Party, cdr_id: str) -> Cdr | None:
    return (
        Cdr.objects.alias(id_ci=Upper("ocpi_id"))
        .filter(country_code=party.country_code, ocpi_party_id=party.party_id, id_ci=cdr_id.upper())
        .first()
    )


def _existing(party: Party, values: Mapping[str, Any], existing: Cdr) -> tuple[Cdr, bool]:
    incoming = cdr_to_json(Cdr(country_code=party.country_code, ocpi_party_id=party.party_id, **values))
    if incoming != cdr_to_json(existing):
        logger.warning(
            "CDR %s/%s/%s posted again with other content; the stored one is kept (CDRs never change, §10.1)",
            party.country_code,
            party.party_id,
            existing.ocpi_id,
        )
    return existing, False


@transaction.atomic
def cdr_create(*, party: Party, data: schemas.CDR | Mapping[str, Any]) -> tuple[Cdr, bool]:
    """§10.2.2.2 POST: store a new CDR of CPO `party`; returns (cdr, created).

    Idempotent: when `party` already has a CDR with this id (in any case), nothing is written and the
    stored CDR is returned with created=False, so a POST retried after a lost response succeeds and
    never duplicates a bill. Different content under a known id is logged and ignored: the first
    CDR stands (§10.1). The CDR's country_code/party_id SHALL be the party's (InvalidParameters).
    """
    cdr = _parse(data)
    check_path_ids(
        path={"country_code": party.country_code, "party_id": party.party_id},
        body={"country_code": cdr.country_code, "party_id": cdr.party_id},
    )
    values = _columns(cdr)
    existing = _find(party=party, cdr_id=cdr.id)
    if existing is not None:
        return _existing(party, values, existing)
    try:
        with transaction.atomic():
            created = Cdr.objects.create(
                party=party, country_code=party.country_code, ocpi_party_id=party.party_id, **values
            )
    except IntegrityError:
        # A concurrent POST of the same CDR won the insert.
        existing = _find(party=party, cdr_id=cdr.id)
        if existing is None:
            raise
        return _existing(party, values, existing)
    if party.platform_id is None:
        # Imported here: the push module builds its body with this module's cdr_to_json.
        from ocpi.cdrs.push import cdr_pushed

        cdr_pushed(cdr=created, party=party)
    return created, True


def cdr_to_json(cdr: Cdr) -> dict[str, Any]:
    """The §10.3.1 CDR as wire JSON, straight from the columns and stored JSON (no query)."""
    data: dict[str, Any] = {
        "country_code": cdr.country_code,
        "party_id": cdr.ocpi_party_id,
        "id": cdr.ocpi_id,
        "start_date_time": format_datetime(cdr.start_date_time),
        "end_date_time": format_datetime(cdr.end_date_time),
    }
    optional: dict[str, Any] = {
        "session_id": cdr.session_id,
        "cdr_token": cdr.cdr_token,
        "auth_method": cdr.auth_method,
        "authorization_reference": cdr.authorization_reference,
        "cdr_location": cdr.cdr_location,
        "meter_id": cdr.meter_id,
        "currency": cdr.currency,
        "tariffs": cdr.tariffs,
        "charging_periods": cdr.charging_periods,
        "signed_data": cdr.signed_data,
        "total_cost": price_json(cdr.total_cost_excl_vat, cdr.total_cost_incl_vat),
        "total_fixed_cost": price_json(cdr.total_fixed_cost_excl_vat, cdr.total_fixed_cost_incl_vat),
        "total_energy": number_json(cdr.total_energy),
        "total_energy_cost": price_json(cdr.total_energy_cost_excl_vat, cdr.total_energy_cost_incl_vat),
        "total_time": number_json(cdr.total_time),
        "total_time_cost": price_json(cdr.total_time_cost_excl_vat, cdr.total_time_cost_incl_vat),
        "total_parking_time": (
            number_json(cdr.total_parking_time) if cdr.total_parking_time is not None else None
        ),
        "total_parking_cost": price_json(cdr.total_parking_cost_excl_vat, cdr.total_parking_cost_incl_vat),
        "total_reservation_cost": price_json(
            cdr.total_reservation_cost_excl_vat, cdr.total_reservation_cost_incl_vat
        ),
        "remark": cdr.remark,
        "invoice_reference_id": cdr.invoice_reference_id,
        "credit": cdr.credit,
        "credit_reference_id": cdr.credit_reference_id,
        "home_charging_compensation": cdr.home_charging_compensation,
    }
    data.update((name, value) for name, value in optional.items() if value is not None)
    data["last_updated"] = format_datetime(cdr.last_updated)
    return data


def cdrs_to_json(cdrs: Iterable[Cdr]) -> list[dict[str, Any]]:
    """A page of CDRs as wire JSON, without any query."""
    return [cdr_to_json(cdr) for cdr in cdrs]
