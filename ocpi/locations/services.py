"""Writes and renderings of Locations, EVSEs and Connectors (§8), role-neutral.

The same services store our own locations (admin, OCPP bridge, CPO Sender) and partners' copies
(eMSP Receiver PUT/PATCH). The rules they encode:

- PUT replaces (§8.2.2.2), PATCH changes only what it carries (§8.2.2.3).
- A PUT or PATCH on an EVSE or connector sets the new `last_updated` on its parents (§8.2.2.2/3).
  A parent keeps a later value it already has: its `last_updated` is "when this Location or one of
  its EVSEs or Connectors were last updated" (§8.3.1), so it never moves backwards.
- `last_updated` of a partner's object is stored as the partner sent it. Our own objects change
  `last_updated` only when their content changes (interop lesson 10: a bump without a change defeats
  `date_from` delta sync); a change without an explicit `last_updated` is stamped with now.
- EVSEs are never deleted from our own locations: one missing from a PUT gets status REMOVED
  (§8.1 "they MUST update the EVSE's status field to REMOVED"). A partner's copy mirrors what the
  partner sent, so EVSEs and connectors it leaves out of a PUT are removed from our copy.

A change to one of our own locations, EVSEs or connectors (a party without platform) is queued for
the partners in the same transaction (`ocpi.locations.push`, §8.2.2): a PUT of the object when it is
new or replaced, a PATCH of the changed fields otherwise; nothing when nothing changed. A PUT or PATCH
whose EVSEs or connectors change is sent as a PUT of the whole parent (array PATCH semantics are
ambiguous between implementations, interop lesson 11). Partners' copies are never pushed.

`*_to_json` build the wire JSON straight from columns and stored JSON (no re-validation):
`location_to_json` reads prefetched EVSEs/connectors (no query), `locations_to_json` renders a
whole page of a list selector in two queries, whatever the page size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ocpi.core.exceptions import InvalidParameters
from ocpi.core.patch import LAST_UPDATED, check_path_ids
from ocpi.core.types import OcpiModel
from ocpi.locations import schemas
from ocpi.locations.models import EVSE, Connector, Location
from ocpi.locations.selectors import (
    CONNECTORS_ATTR,
    EVSES_ATTR,
    connectors_of,
    connectors_prefetch,
    evses_of,
    evses_prefetch,
)
from ocpi.models import Party

# --- rendering -------------------------------------------------------------------------------------


def format_timestamp(value: datetime) -> str:
    """§16.2 DateTime as `2015-06-29T20:39:09Z` (fraction only when present), same as types.format_datetime.

    Written for speed (isoformat instead of strftime): it runs for every row of every page.
    """
    offset = value.utcoffset()
    if offset is None:
        text = value.isoformat()
    elif offset:
        text = value.astimezone(UTC).isoformat()[:-6]
    else:
        text = value.isoformat()[:-6]
    if value.microsecond:
        text = text.rstrip("0")
    return text + "Z"


# The builders read a row mapping: a `.values()` row, or a model instance's `vars()` (Django keeps
# every loaded field there under its attname). One builder per object keeps the two paths identical.

_CONNECTOR_COLUMNS = (
    "evse_id",
    "ocpi_id",
    "standard",
    "format",
    "power_type",
    "max_voltage",
    "max_amperage",
    "max_electric_power",
    "tariff_ids",
    "terms_and_conditions",
    "last_updated",
)
_EVSE_COLUMNS = (
    "id",
    "location_id",
    "uid",
    "evse_id",
    "status",
    "status_schedule",
    "capabilities",
    "floor_level",
    "latitude",
    "longitude",
    "physical_reference",
    "directions",
    "parking_restrictions",
    "images",
    "last_updated",
)
_LOCATION_MIDDLE = ("related_locations", "parking_type")
_LOCATION_TAIL = ("directions", "operator", "suboperator", "owner", "facilities")
_LOCATION_END = ("opening_times", "charging_when_closed", "images", "energy_mix")


def _connector_json(row: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row["ocpi_id"],
        "standard": row["standard"],
        "format": row["format"],
        "power_type": row["power_type"],
        "max_voltage": row["max_voltage"],
        "max_amperage": row["max_amperage"],
    }
    if row["max_electric_power"] is not None:
        data["max_electric_power"] = row["max_electric_power"]
    if row["tariff_ids"] is not None:
        data["tariff_ids"] = row["tariff_ids"]
    if row["terms_and_conditions"] is not None:
        data["terms_and_conditions"] = row["terms_and_conditions"]
    data["last_updated"] = format_timestamp(row["last_updated"])
    return data


def _evse_json(row: Mapping[str, Any], connectors: list[dict[str, Any]] | None) -> dict[str, Any]:
    data: dict[str, Any] = {"uid": row["uid"]}
    if row["evse_id"] is not None:
        data["evse_id"] = row["evse_id"]
    data["status"] = row["status"]
    if row["status_schedule"] is not None:
        data["status_schedule"] = row["status_schedule"]
    if row["capabilities"] is not None:
        data["capabilities"] = row["capabilities"]
    if connectors is not None:
        data["connectors"] = connectors
    if row["floor_level"] is not None:
        data["floor_level"] = row["floor_level"]
    if row["latitude"] is not None and row["longitude"] is not None:
        data["coordinates"] = {"latitude": row["latitude"], "longitude": row["longitude"]}
    if row["physical_reference"] is not None:
        data["physical_reference"] = row["physical_reference"]
    if row["directions"] is not None:
        data["directions"] = row["directions"]
    if row["parking_restrictions"] is not None:
        data["parking_restrictions"] = row["parking_restrictions"]
    if row["images"] is not None:
        data["images"] = row["images"]
    data["last_updated"] = format_timestamp(row["last_updated"])
    return data


def _location_json(row: Mapping[str, Any], evses: list[dict[str, Any]] | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "country_code": row["country_code"],
        "party_id": row["ocpi_party_id"],
        "id": row["ocpi_id"],
        "publish": row["publish"],
    }
    if row["publish_allowed_to"] is not None:
        data["publish_allowed_to"] = row["publish_allowed_to"]
    if row["name"] is not None:
        data["name"] = row["name"]
    data["address"] = row["address"]
    data["city"] = row["city"]
    if row["postal_code"] is not None:
        data["postal_code"] = row["postal_code"]
    if row["state"] is not None:
        data["state"] = row["state"]
    data["country"] = row["country"]
    data["coordinates"] = {"latitude": row["latitude"], "longitude": row["longitude"]}
    for name in _LOCATION_MIDDLE:
        if row[name] is not None:
            data[name] = row[name]
    if evses:
        data["evses"] = evses
    for name in _LOCATION_TAIL:
        if row[name] is not None:
            data[name] = row[name]
    data["time_zone"] = row["time_zone"]
    for name in _LOCATION_END:
        if row[name] is not None:
            data[name] = row[name]
    data["last_updated"] = format_timestamp(row["last_updated"])
    return data


def connector_to_json(connector: Connector) -> dict[str, Any]:
    """§8.3.3 Connector as wire JSON."""
    return _connector_json(vars(connector))


def evse_to_json(evse: EVSE) -> dict[str, Any]:
    """§8.3.2 EVSE as wire JSON; connectors from the prefetched list (selectors.connectors_prefetch)."""
    return _evse_json(vars(evse), [_connector_json(vars(c)) for c in connectors_of(evse)])


def location_to_json(location: Location) -> dict[str, Any]:
    """§8.3.1 Location as wire JSON; EVSEs and connectors from the prefetched lists (no query then).

    `evses` is left out when the location has none (the field is optional, §8.3.1).
    """
    evses = [
        _evse_json(vars(evse), [_connector_json(vars(c)) for c in connectors_of(evse)])
        for evse in evses_of(location)
    ]
    return _location_json(vars(location), evses)


def locations_to_json(locations: Sequence[Location]) -> list[dict[str, Any]]:
    """A page of locations as wire JSON, in at most two queries whatever the page size (GET list).

    Locations from a prefetching selector render from their prefetched EVSEs with no query. Otherwise
    (the list selectors do not prefetch) the EVSEs and connectors of the whole page are read as plain
    rows in one query each, which skips building a model instance per EVSE and connector: rendering a
    page then costs little more than the SQL and the JSON encoding.
    """
    if all(hasattr(location, EVSES_ATTR) for location in locations):
        return [location_to_json(location) for location in locations]
    pks = [location.pk for location in locations]
    connectors: dict[int, list[dict[str, Any]]] = {}
    connector_rows = (
        Connector.objects.filter(evse__location_id__in=pks)
        .order_by("evse_id", "position", "pk")
        .values(*_CONNECTOR_COLUMNS)
    )
    for row in connector_rows:
        connectors.setdefault(row["evse_id"], []).append(_connector_json(row))
    evses: dict[int, list[dict[str, Any]]] = {}
    evse_rows = (
        EVSE.objects.filter(location_id__in=pks)
        .order_by("location_id", "position", "pk")
        .values(*_EVSE_COLUMNS)
    )
    for row in evse_rows:
        evses.setdefault(row["location_id"], []).append(_evse_json(row, connectors.get(row["id"], [])))
    return [_location_json(vars(location), evses.get(location.pk)) for location in locations]


def location_to_schema(location: Location) -> schemas.Location:
    return schemas.Location.model_validate(location_to_json(location))


def evse_to_schema(evse: EVSE) -> schemas.EVSE:
    return schemas.EVSE.model_validate(evse_to_json(evse))


def connector_to_schema(connector: Connector) -> schemas.Connector:
    return schemas.Connector.model_validate(connector_to_json(connector))


def location_fields_to_json(location: Location) -> dict[str, Any]:
    """The Location object without its EVSEs (admin validation of an unsaved location)."""
    return _location_json(vars(location), None)


def evse_fields_to_json(evse: EVSE) -> dict[str, Any]:
    """The EVSE object without its connectors (admin validation of an unsaved EVSE)."""
    return _evse_json(vars(evse), None)


# --- path and body -------------------------------------------------------------------------------


def location_check_path(
    *, data: schemas.Location, country_code: str, party_id: str, location_id: str
) -> None:
    """PUT (§8.2.2.2): the URL's country_code, party_id and location_id must be the body's."""
    check_path_ids(
        path={"country_code": country_code, "party_id": party_id, "id": location_id},
        body={"country_code": data.country_code, "party_id": data.party_id, "id": data.id},
    )


def evse_check_path(*, data: schemas.EVSE, evse_uid: str) -> None:
    """PUT of an EVSE: the URL's evse_uid must be the body's uid."""
    check_path_ids(path={"uid": evse_uid}, body={"uid": data.uid})


def connector_check_path(*, data: schemas.Connector, connector_id: str) -> None:
    """PUT of a connector: the URL's connector_id must be the body's id."""
    check_path_ids(path={"id": connector_id}, body={"id": data.id})


# --- writing helpers -----------------------------------------------------------------------------


def _json(value: Any) -> Any:
    """A validated schema value as the JSON stored in a column (nested objects via their to_json)."""
    if isinstance(value, OcpiModel):
        return value.to_json()
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


def _columns(values: Mapping[str, Any], skip: Iterable[str]) -> dict[str, Any]:
    """OCPI field values -> model columns: `coordinates` splits in two, the rest keep their names."""
    skipped = set(skip) | {LAST_UPDATED}
    columns: dict[str, Any] = {}
    for name, value in values.items():
        if name in skipped:
            continue
        if name == "coordinates":
            columns["latitude"] = value.latitude if value is not None else None
            columns["longitude"] = value.longitude if value is not None else None
        else:
            columns[name] = _json(value)
    return columns


def _schema_values(data: OcpiModel) -> dict[str, Any]:
    return {name: getattr(data, name) for name in type(data).model_fields}


def _assign(obj: models.Model, columns: Mapping[str, Any]) -> list[str]:
    """Set the columns that differ; returns their names (empty: nothing changed)."""
    changed = []
    for name, value in columns.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _is_own(party: Party) -> bool:
    return party.platform_id is None


def _stamp(given: datetime | None) -> datetime:
    return given if given is not None else timezone.now()


def _latest(current: datetime, others: Sequence[datetime]) -> datetime:
    return max(current, *others) if others else current


def _bump(obj: Location | EVSE, last_updated: datetime) -> None:
    """A parent's last_updated follows a child's, but never moves backwards (see module docstring)."""
    if last_updated > obj.last_updated:
        obj.last_updated = last_updated
        obj.save(update_fields=["last_updated"])


def _check_unique(keys: Iterable[str], field: str, key: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(keys):
        if value.upper() in seen:
            raise InvalidParameters(
                f"Invalid or missing parameters: {field}[{index}].{key}: duplicate {value!r}",
                data={"errors": [{"field": f"{field}[{index}].{key}", "message": "duplicate"}]},
            )
        seen.add(value.upper())


def _forget_prefetched(obj: models.Model, attr: str) -> None:
    """Drop a prefetched list we just changed, so the caller's object does not read stale rows."""
    obj.__dict__.pop(attr, None)


def _lock_location(pk: int) -> Location:
    """The location row, re-read under a row lock: every write to a location tree serialises here."""
    return Location.objects.select_for_update(of=("self",)).select_related("party").get(pk=pk)


# --- push (our own objects only; callers check) ---------------------------------------------------
# The push module renders its bodies with this module's *_to_json, so it is imported at call time.


def _announce_location(
    location: Location, columns: Sequence[str] | None, before: tuple[bool, Any] | None = None
) -> None:
    """Queue a PUT of the whole location (`columns` None) or a PATCH of the changed columns."""
    from ocpi.locations import push

    fields = None if columns is None else push.wire_fields(columns)
    push.location_pushed(location=location, fields=fields, before=before)


def _announce_evse(location: Location, evse: EVSE, columns: Sequence[str] | None) -> None:
    """Queue a PUT of the whole EVSE (`columns` None) or a PATCH of the changed columns."""
    from ocpi.locations import push

    fields = None if columns is None else push.wire_fields(columns)
    push.evse_pushed(location=location, evse=evse, fields=fields)


def _announce_connector(
    location: Location, evse: EVSE, connector: Connector, columns: Sequence[str] | None
) -> None:
    """Queue a PUT of the whole connector (`columns` None) or a PATCH of the changed columns."""
    from ocpi.locations import push

    fields = None if columns is None else push.wire_fields(columns)
    push.connector_pushed(location=location, evse=evse, connector=connector, fields=fields)


# --- connectors ------------------------------------------------------------------------------------


def _connector_write(
    *, evse: EVSE, data: schemas.Connector, existing: Connector | None, position: int, own: bool
) -> tuple[Connector, bool]:
    """Create or replace one connector; returns it and whether its content changed."""
    columns = _columns(_schema_values(data), skip=("id",))
    columns["ocpi_id"] = data.id
    if existing is None:
        connector = Connector(evse=evse, position=position, last_updated=data.last_updated, **columns)
        connector.save()
        return connector, True
    changed = _assign(existing, columns)
    fields = list(changed)
    if existing.position != position:
        existing.position = position
        fields.append("position")
    last_updated = data.last_updated if (changed or not own) else existing.last_updated
    if last_updated != existing.last_updated:
        existing.last_updated = last_updated
        fields.append("last_updated")
    if fields:
        existing.save(update_fields=fields)
    return existing, bool(changed)


S = TypeVar("S", schemas.EVSE, schemas.Connector)
C = TypeVar("C", EVSE, Connector)


def _ordered_write(
    items: Sequence[tuple[str, S]],
    existing: dict[str, C],
    *,
    replace: bool,
    write: Callable[[S, C | None, int], tuple[C, bool]],
) -> tuple[bool, list[datetime]]:
    """Write the children of an EVSE or location in the order given, popping each from `existing`.

    replace=True (PUT): positions follow the list; replace=False (PATCH): known children keep their
    position and new ones go last. What stays in `existing` was left out (the caller decides its
    fate). Returns (whether the set or order changed, last_updated of every changed child).
    """
    next_position = max((c.position for c in existing.values()), default=-1) + 1
    membership = False
    stamps: list[datetime] = []
    for index, (key, item) in enumerate(items):
        current = existing.pop(key.upper(), None)
        if current is None:
            position = index if replace else next_position
            next_position += 1
            membership = True
        else:
            position = index if replace else current.position
            membership = membership or current.position != position
        child, changed = write(item, current, position)
        if changed:
            stamps.append(child.last_updated)
    return membership, stamps


def _connectors_sync(
    *, evse: EVSE, items: Sequence[schemas.Connector], own: bool, replace: bool
) -> tuple[bool, list[datetime]]:
    """Write an EVSE's connectors in the order given.

    replace=True (PUT): the list is the truth; connectors not in it are deleted (a connector has no
    status to mark it removed, and an EVSE's connectors describe its hardware). replace=False
    (PATCH): listed connectors are created or replaced, others stay where they are.
    Returns (whether the set or order changed, last_updated of every changed connector).
    """
    _check_unique((c.id for c in items), "connectors", "id")
    existing = {c.ocpi_id.upper(): c for c in connectors_of(evse)}
    membership, stamps = _ordered_write(
        [(item.id, item) for item in items],
        existing,
        replace=replace,
        write=lambda item, current, position: _connector_write(
            evse=evse, data=item, existing=current, position=position, own=own
        ),
    )
    if replace and existing:
        Connector.objects.filter(pk__in=[c.pk for c in existing.values()]).delete()
        membership = True
    _forget_prefetched(evse, CONNECTORS_ATTR)
    return membership, stamps


# --- EVSEs -----------------------------------------------------------------------------------------


def _evse_write(
    *, location: Location, data: schemas.EVSE, existing: EVSE | None, position: int, own: bool
) -> tuple[EVSE, bool]:
    """Create or replace one EVSE with its connectors; returns it and whether anything in it changed."""
    _check_unique((c.id for c in data.connectors), "connectors", "id")
    columns = _columns(_schema_values(data), skip=("connectors",))
    if existing is None:
        evse = EVSE(location=location, position=position, last_updated=data.last_updated, **columns)
        evse.save()
        Connector.objects.bulk_create(
            Connector(
                evse=evse,
                position=index,
                ocpi_id=item.id,
                last_updated=item.last_updated,
                **_columns(_schema_values(item), skip=("id",)),
            )
            for index, item in enumerate(data.connectors)
        )
        return evse, True
    changed = _assign(existing, columns)
    membership, stamps = _connectors_sync(evse=existing, items=data.connectors, own=own, replace=True)
    if own:
        last_updated = data.last_updated if (changed or membership) else existing.last_updated
        last_updated = _latest(last_updated, stamps)
    else:
        last_updated = data.last_updated
    fields = list(changed)
    if existing.position != position:
        existing.position = position
        fields.append("position")
    if last_updated != existing.last_updated:
        existing.last_updated = last_updated
        fields.append("last_updated")
    if fields:
        existing.save(update_fields=fields)
    return existing, bool(changed or membership or stamps)


def _evses_sync(
    *, location: Location, items: Sequence[schemas.EVSE], own: bool, replace: bool, stamp: datetime
) -> tuple[bool, list[datetime]]:
    """Write a location's EVSEs in the order given (see _connectors_sync for replace).

    On replace, an EVSE left out is deleted from a partner's copy but kept in our own location with
    status REMOVED (stamped `stamp`), after the EVSEs sent: EVSEs are never deleted (§8.1).
    Returns (whether the set or order changed, last_updated of every changed EVSE).
    """
    _check_unique((e.uid for e in items), "evses", "uid")
    existing = {e.uid.upper(): e for e in evses_of(location)}
    membership, stamps = _ordered_write(
        [(item.uid, item) for item in items],
        existing,
        replace=replace,
        write=lambda item, current, position: _evse_write(
            location=location, data=item, existing=current, position=position, own=own
        ),
    )
    if replace and existing:
        if own:
            for offset, evse in enumerate(sorted(existing.values(), key=lambda e: (e.position, e.pk))):
                fields = _assign(evse, {"position": len(items) + offset})
                if evse.status != schemas.Status.REMOVED:
                    evse.status = schemas.Status.REMOVED.value
                    evse.last_updated = max(evse.last_updated, stamp)
                    fields += ["status", "last_updated"]
                    stamps.append(evse.last_updated)
                if fields:
                    evse.save(update_fields=fields)
                    membership = True
        else:
            EVSE.objects.filter(pk__in=[e.pk for e in existing.values()]).delete()
            membership = True
    _forget_prefetched(location, EVSES_ATTR)
    return membership, stamps


# --- locations -------------------------------------------------------------------------------------


def _location_key(party: Party, data: schemas.Location) -> tuple[str, str]:
    country_code, party_id = data.country_code.upper(), data.party_id.upper()
    if (country_code, party_id) != (party.country_code, party.party_id):
        raise InvalidParameters(
            f"Invalid or missing parameters: location {data.country_code}/{data.party_id} does not belong "
            f"to party {party.country_code}/{party.party_id}"
        )
    return country_code, party_id


def _find_location(country_code: str, party_id: str, location_id: str) -> Location | None:
    return (
        Location.objects.select_for_update(of=("self",))
        .filter(country_code=country_code, ocpi_party_id=party_id, ocpi_id__iexact=location_id)
        .prefetch_related(evses_prefetch())
        .first()
    )


def _reload(pk: int) -> Location:
    return Location.objects.select_related("party").prefetch_related(evses_prefetch()).get(pk=pk)


@transaction.atomic
def location_put(*, party: Party, data: schemas.Location) -> tuple[Location, bool]:
    """Create or replace a whole location with its EVSEs and connectors (PUT, §8.2.2.2).

    `party` owns the location (ours, or the partner CPO that pushed it) and must match the body's
    country_code/party_id. EVSEs and connectors keep the order sent. EVSEs left out are deleted from
    a partner's copy and marked REMOVED in our own (module docstring). Returns the location, reloaded
    with its EVSEs and connectors prefetched, and whether it was created.
    """
    country_code, party_id = _location_key(party, data)
    own = _is_own(party)
    columns = _columns(_schema_values(data), skip=("country_code", "party_id", "id", "evses"))
    columns["ocpi_id"] = data.id
    location = _find_location(country_code, party_id, data.id)
    if location is None:
        try:
            with transaction.atomic():
                location = Location.objects.create(
                    party=party,
                    country_code=country_code,
                    ocpi_party_id=party_id,
                    last_updated=data.last_updated,
                    **columns,
                )
        except IntegrityError:
            # Created meanwhile by a concurrent PUT of the same location: replace it instead.
            location = _find_location(country_code, party_id, data.id)
            if location is None:
                raise
        else:
            _evses_sync(
                location=location, items=data.evses or [], own=own, replace=True, stamp=data.last_updated
            )
            created = _reload(location.pk)
            if own:
                _announce_location(created, None)
            return created, True
    before = (location.publish, location.publish_allowed_to)
    changed = _assign(location, columns)
    if location.party_id != party.pk:
        location.party = party
        changed.append("party")
    membership, stamps = _evses_sync(
        location=location, items=data.evses or [], own=own, replace=True, stamp=data.last_updated
    )
    anything = bool(changed or membership or stamps)
    if own:
        last_updated = data.last_updated if (changed or membership) else location.last_updated
        last_updated = _latest(last_updated, stamps)
    else:
        last_updated = data.last_updated
    if last_updated != location.last_updated:
        location.last_updated = last_updated
        changed.append("last_updated")
    if changed:
        location.save(update_fields=changed)
    replaced = _reload(location.pk)
    if own and anything:
        _announce_location(replaced, None, before)
    return replaced, False


def _check_publish(location: Location) -> None:
    """§8.3.1: publish_allowed_to "may only be used when the publish field is set to false"."""
    if location.publish and location.publish_allowed_to:
        raise InvalidParameters(
            "Invalid or missing parameters: publish_allowed_to: may only be used when publish is false",
            data={
                "errors": [
                    {"field": "publish_allowed_to", "message": "may only be used when publish is false"}
                ]
            },
        )


@transaction.atomic
def location_patch(*, location: Location, patch: Mapping[str, Any]) -> Location:
    """Apply a validated PATCH (`ocpi.core.patch.validate_patch(schemas.Location, ...)`, §8.2.2.3).

    Only the fields present change; a null clears an optional field. `evses` in a location PATCH
    creates or replaces each EVSE listed and leaves the others alone (a PATCH cannot remove, §8.2.2.3).
    Ids cannot change (§8.3.1). `last_updated` is taken from the patch; without one (our own edits)
    a real change is stamped with now and a no-op leaves everything as it was.
    """
    check_path_ids(
        path={
            "country_code": location.country_code,
            "party_id": location.ocpi_party_id,
            "id": location.ocpi_id,
        },
        body=patch,
    )
    locked = _lock_location(location.pk)
    own = _is_own(locked.party)
    given: datetime | None = patch.get(LAST_UPDATED)
    before = (locked.publish, locked.publish_allowed_to)
    changed = _assign(locked, _columns(patch, skip=("country_code", "party_id", "id", "evses")))
    columns = list(changed)
    _check_publish(locked)
    membership: bool = False
    stamps: list[datetime] = []
    if patch.get("evses"):
        membership, stamps = _evses_sync(
            location=locked, items=patch["evses"], own=own, replace=False, stamp=_stamp(given)
        )
    anything = bool(changed or membership or stamps)
    if own:
        if not anything:
            return _reload(locked.pk)
        last_updated = _stamp(given) if (changed or membership) else locked.last_updated
        last_updated = _latest(last_updated, stamps)
    elif given is not None:
        last_updated = given
    else:
        last_updated = _stamp(None) if anything else locked.last_updated
    if last_updated != locked.last_updated:
        locked.last_updated = last_updated
        changed.append(LAST_UPDATED)
    if changed:
        locked.save(update_fields=changed)
    patched = _reload(locked.pk)
    if own:
        # Own and unchanged returned above. EVSEs changed through a location PATCH: send it whole.
        _announce_location(patched, None if (membership or stamps) else columns, before)
    return patched


@transaction.atomic
def location_touch(*, location: Location, at: datetime | None = None) -> None:
    """Record that our own location changed: last_updated = `at` or now, and a PUT of it is queued."""
    location.last_updated = _stamp(at)
    location.save(update_fields=[LAST_UPDATED])
    if _is_own(location.party):
        _announce_location(_reload(location.pk), None)


# --- EVSE and connector PUT/PATCH ----------------------------------------------------------------


def _evse_reload(pk: int) -> EVSE:
    return (
        EVSE.objects.select_related("location", "location__party")
        .prefetch_related(connectors_prefetch())
        .get(pk=pk)
    )


@transaction.atomic
def evse_put(*, location: Location, data: schemas.EVSE) -> tuple[EVSE, bool]:
    """Create or replace one EVSE of a location with its connectors (PUT, §8.2.2.2).

    A new EVSE goes after the existing ones. The location's last_updated follows the EVSE's
    ("the Receiver SHALL also set the new last_updated value on the parent Location").
    Returns the EVSE, reloaded with its connectors, and whether it was created.
    """
    locked = _lock_location(location.pk)
    own = _is_own(locked.party)
    current = locked.evses.filter(uid__iexact=data.uid).prefetch_related(connectors_prefetch()).first()
    if current is None:
        top = locked.evses.aggregate(top=models.Max("position"))["top"]
        position = 0 if top is None else top + 1
    else:
        position = current.position
    evse, changed = _evse_write(location=locked, data=data, existing=current, position=position, own=own)
    if changed or not own:
        _bump(locked, evse.last_updated)
    location.last_updated = locked.last_updated
    _forget_prefetched(location, EVSES_ATTR)
    written = _evse_reload(evse.pk)
    if own and changed:
        _announce_evse(locked, written, None)
    return written, current is None


@transaction.atomic
def evse_patch(*, evse: EVSE, patch: Mapping[str, Any]) -> EVSE:
    """Apply a validated PATCH to an EVSE (§8.2.2.3), e.g. {"status": ..., "last_updated": ...}.

    `connectors` creates or replaces each connector listed. The location's last_updated follows.
    Without `last_updated` in the patch (our own OCPP status updates) a real change is stamped with
    now and an unchanged status changes nothing.
    """
    check_path_ids(path={"uid": evse.uid}, body=patch)
    locked = _lock_location(evse.location_id)
    own = _is_own(locked.party)
    current = EVSE.objects.prefetch_related(connectors_prefetch()).get(pk=evse.pk)
    given: datetime | None = patch.get(LAST_UPDATED)
    changed = _assign(current, _columns(patch, skip=("uid", "connectors")))
    columns = list(changed)
    membership: bool = False
    stamps: list[datetime] = []
    if patch.get("connectors"):
        membership, stamps = _connectors_sync(evse=current, items=patch["connectors"], own=own, replace=False)
    anything = bool(changed or membership or stamps)
    if own:
        if not anything:
            return _evse_reload(current.pk)
        last_updated = _stamp(given) if (changed or membership) else current.last_updated
        last_updated = _latest(last_updated, stamps)
    elif given is not None:
        last_updated = given
    else:
        last_updated = _stamp(None) if anything else current.last_updated
    if last_updated != current.last_updated:
        current.last_updated = last_updated
        changed.append(LAST_UPDATED)
    if changed:
        current.save(update_fields=changed)
    if anything or not own:
        _bump(locked, current.last_updated)
    _forget_prefetched(evse, CONNECTORS_ATTR)
    patched = _evse_reload(current.pk)
    if own:
        # Own and unchanged returned above. Connectors changed through an EVSE PATCH: send it whole.
        _announce_evse(locked, patched, None if (membership or stamps) else columns)
    return patched


@transaction.atomic
def evse_touch(*, evse: EVSE, at: datetime | None = None) -> None:
    """Record that our own EVSE changed: it and its location get `at` or now, and a PUT of it is queued."""
    stamp = _stamp(at)
    evse.last_updated = stamp
    evse.save(update_fields=[LAST_UPDATED])
    locked = _lock_location(evse.location_id)
    _bump(locked, stamp)
    if _is_own(locked.party):
        _announce_evse(locked, _evse_reload(evse.pk), None)


@transaction.atomic
def evse_move(*, evse: EVSE, position: int, at: datetime | None = None) -> None:
    """Move an EVSE within its location's list (admin ordering).

    `position` is no OCPI field, but a location's `evses` are rendered in that order, so our own
    location is stamped `at` (or now) and queued whole: only a PUT of the location carries an order.
    """
    locked = _lock_location(evse.location_id)
    current = EVSE.objects.get(pk=evse.pk)
    evse.position = position
    if current.position == position:
        return
    current.position = position
    current.save(update_fields=["position"])
    if _is_own(locked.party):
        _bump(locked, _stamp(at))
        _announce_location(_reload(locked.pk), None)


@transaction.atomic
def connector_put(*, evse: EVSE, data: schemas.Connector) -> tuple[Connector, bool]:
    """Create or replace one connector of an EVSE (PUT, §8.2.2.2); new ones go last.

    The EVSE's and the location's last_updated follow the connector's (§8.2.2.2).
    """
    locked = _lock_location(evse.location_id)
    own = _is_own(locked.party)
    parent = EVSE.objects.get(pk=evse.pk)
    current = parent.connectors.filter(ocpi_id__iexact=data.id).first()
    if current is None:
        top = parent.connectors.aggregate(top=models.Max("position"))["top"]
        position = 0 if top is None else top + 1
    else:
        position = current.position
    connector, changed = _connector_write(
        evse=parent, data=data, existing=current, position=position, own=own
    )
    if changed or not own:
        _bump(parent, connector.last_updated)
        _bump(locked, connector.last_updated)
    _forget_prefetched(evse, CONNECTORS_ATTR)
    if own and changed:
        _announce_connector(locked, parent, connector, None)
    return connector, current is None


@transaction.atomic
def connector_patch(*, connector: Connector, patch: Mapping[str, Any]) -> Connector:
    """Apply a validated PATCH to a connector (§8.2.2.3), e.g. {"tariff_ids": [...], "last_updated": ...}.

    The EVSE's and the location's last_updated follow the connector's.
    """
    check_path_ids(path={"id": connector.ocpi_id}, body=patch)
    current = Connector.objects.select_related("evse").get(pk=connector.pk)
    locked = _lock_location(current.evse.location_id)
    own = _is_own(locked.party)
    given: datetime | None = patch.get(LAST_UPDATED)
    changed = _assign(current, _columns(patch, skip=("id",)))
    columns = list(changed)
    if own:
        if not changed:
            return current
        last_updated = _stamp(given)
    elif given is not None:
        last_updated = given
    else:
        last_updated = _stamp(None) if changed else current.last_updated
    if last_updated != current.last_updated:
        current.last_updated = last_updated
        changed.append(LAST_UPDATED)
    if changed:
        current.save(update_fields=changed)
    if changed or not own:
        _bump(current.evse, current.last_updated)
        _bump(locked, current.last_updated)
    if own:
        _announce_connector(locked, current.evse, current, columns)
    return current


@transaction.atomic
def connector_touch(*, connector: Connector, at: datetime | None = None) -> None:
    """Record that our own connector changed: it, its EVSE and location get `at` or now, and a PUT of
    it is queued."""
    stamp = _stamp(at)
    connector.last_updated = stamp
    connector.save(update_fields=[LAST_UPDATED])
    evse = EVSE.objects.get(pk=connector.evse_id)
    _bump(evse, stamp)
    locked = _lock_location(evse.location_id)
    _bump(locked, stamp)
    if _is_own(locked.party):
        _announce_connector(locked, evse, connector, None)
