"""Writes and renderings of Tariffs (§11), role-neutral: our own tariffs and partners' copies.

A Tariff is only ever replaced whole (PUT) or deleted (DELETE); there is no PATCH (§11.2.2).
`last_updated` of a partner's tariff is stored as sent; our own tariff keeps its `last_updated`
when a PUT changes nothing (interop lesson 10).

A change to one of our own tariffs (a party without platform) is queued for the partners in the same
transaction (`ocpi.tariffs.push`): a PUT of the whole tariff when it is new or changed, a DELETE when it
is deleted; nothing when a PUT changes nothing. Partners' copies are never pushed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ocpi.core.exceptions import InvalidParameters
from ocpi.core.patch import check_path_ids
from ocpi.core.types import Price, price_json
from ocpi.locations.services import format_timestamp
from ocpi.models import Party
from ocpi.tariffs import schemas
from ocpi.tariffs.models import PRICE_DIGITS, PRICE_PLACES, Tariff

_PRICE_LIMIT = Decimal(10) ** (PRICE_DIGITS - PRICE_PLACES)


def tariff_to_json(tariff: Tariff) -> dict[str, Any]:
    """§11.3.1 Tariff as wire JSON, straight from the columns and the stored elements."""
    data: dict[str, Any] = {
        "country_code": tariff.country_code,
        "party_id": tariff.ocpi_party_id,
        "id": tariff.ocpi_id,
        "currency": tariff.currency,
    }
    if tariff.type is not None:
        data["type"] = tariff.type
    if tariff.tariff_alt_text is not None:
        data["tariff_alt_text"] = tariff.tariff_alt_text
    if tariff.tariff_alt_url is not None:
        data["tariff_alt_url"] = tariff.tariff_alt_url
    min_price = price_json(tariff.min_price_excl_vat, tariff.min_price_incl_vat)
    if min_price is not None:
        data["min_price"] = min_price
    max_price = price_json(tariff.max_price_excl_vat, tariff.max_price_incl_vat)
    if max_price is not None:
        data["max_price"] = max_price
    data["elements"] = tariff.elements
    if tariff.start_date_time is not None:
        data["start_date_time"] = format_timestamp(tariff.start_date_time)
    if tariff.end_date_time is not None:
        data["end_date_time"] = format_timestamp(tariff.end_date_time)
    if tariff.energy_mix is not None:
        data["energy_mix"] = tariff.energy_mix
    data["last_updated"] = format_timestamp(tariff.last_updated)
    return data


def tariff_to_schema(tariff: Tariff) -> schemas.Tariff:
    return schemas.Tariff.model_validate(tariff_to_json(tariff))


def tariff_check_path(*, data: schemas.Tariff, country_code: str, party_id: str, tariff_id: str) -> None:
    """PUT (§11.2.2): the URL's country_code, party_id and tariff_id must be the body's."""
    check_path_ids(
        path={"country_code": country_code, "party_id": party_id, "id": tariff_id},
        body={"country_code": data.country_code, "party_id": data.party_id, "id": data.id},
    )


def _price_columns(name: str, price: Price | None) -> dict[str, Decimal | None]:
    """A Price as two Decimal columns; a value the columns cannot hold is refused (2001), not a crash."""
    columns = {f"{name}_excl_vat": None if price is None else price.excl_vat}
    columns[f"{name}_incl_vat"] = None if price is None else price.incl_vat
    for column, value in columns.items():
        if value is not None and abs(value) >= _PRICE_LIMIT:
            field = column.replace(f"{name}_", f"{name}.")
            raise InvalidParameters(
                f"Invalid or missing parameters: {field}: must be less than {_PRICE_LIMIT:,} in size",
                data={"errors": [{"field": field, "message": "too large"}]},
            )
    return columns


def _columns(data: schemas.Tariff) -> dict[str, Any]:
    return {
        "ocpi_id": data.id,
        "currency": data.currency,
        "type": data.type.value if data.type is not None else None,
        "tariff_alt_text": [t.to_json() for t in data.tariff_alt_text]
        if data.tariff_alt_text is not None
        else None,
        "tariff_alt_url": data.tariff_alt_url,
        **_price_columns("min_price", data.min_price),
        **_price_columns("max_price", data.max_price),
        "elements": [e.to_json() for e in data.elements],
        "start_date_time": data.start_date_time,
        "end_date_time": data.end_date_time,
        "energy_mix": data.energy_mix.to_json() if data.energy_mix is not None else None,
    }


def _find(country_code: str, party_id: str, tariff_id: str) -> Tariff | None:
    return (
        Tariff.objects.select_for_update()
        .filter(country_code=country_code, ocpi_party_id=party_id, ocpi_id__iexact=tariff_id)
        .first()
    )


def _announce(tariff: Tariff, party: Party, *, deleted: bool = False) -> None:
    """Queue the push of a change to one of our own tariffs, in the caller's transaction."""
    if party.platform_id is not None:
        return
    # Imported here: the push module renders its bodies with this module's tariff_to_json.
    from ocpi.tariffs.push import tariff_pushed

    tariff_pushed(tariff=tariff, party=party, deleted=deleted)


@transaction.atomic
def tariff_put(*, party: Party, data: schemas.Tariff) -> tuple[Tariff, bool]:
    """Create or replace a tariff (PUT, §11.2.2); `party` owns it and must match the body's ids.

    Returns the tariff and whether it was created.
    """
    country_code, party_id = data.country_code.upper(), data.party_id.upper()
    if (country_code, party_id) != (party.country_code, party.party_id):
        raise InvalidParameters(
            f"Invalid or missing parameters: tariff {data.country_code}/{data.party_id} does not belong "
            f"to party {party.country_code}/{party.party_id}"
        )
    columns = _columns(data)
    tariff = _find(country_code, party_id, data.id)
    if tariff is None:
        try:
            with transaction.atomic():
                tariff = Tariff.objects.create(
                    party=party,
                    country_code=country_code,
                    ocpi_party_id=party_id,
                    last_updated=data.last_updated,
                    **columns,
                )
        except IntegrityError:
            # Created meanwhile by a concurrent PUT of the same tariff: replace it instead.
            tariff = _find(country_code, party_id, data.id)
            if tariff is None:
                raise
        else:
            _announce(tariff, party)
            return tariff, True
    changed = [name for name, value in columns.items() if getattr(tariff, name) != value]
    for name in changed:
        setattr(tariff, name, columns[name])
    if tariff.party_id != party.pk:
        tariff.party = party
        changed.append("party")
    own = party.platform_id is None
    if (changed or not own) and tariff.last_updated != data.last_updated:
        tariff.last_updated = data.last_updated
        changed.append("last_updated")
    if changed:
        tariff.save(update_fields=changed)
        _announce(tariff, party)
    return tariff, False


@transaction.atomic
def tariff_delete(*, tariff: Tariff) -> None:
    """Delete a tariff (DELETE, §11.2.2.3).

    The spec only RECOMMENDS checking that no Connector still lists it in `tariff_ids`; a partner's
    delete is obeyed as sent, so no check is made here. Deleting one of our own tariffs queues a
    DELETE for the partners (§11.2.2.3).
    """
    party = tariff.party
    tariff.delete()
    _announce(tariff, party, deleted=True)


@transaction.atomic
def tariff_touch(*, tariff: Tariff, at: datetime | None = None) -> None:
    """Record that our own tariff changed: last_updated = `at` or now, and a PUT of it is queued."""
    tariff.last_updated = at if at is not None else timezone.now()
    tariff.save(update_fields=["last_updated"])
    _announce(tariff, tariff.party)
