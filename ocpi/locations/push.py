"""Pushing our own Locations, EVSEs and Connectors to partners through the durable outbox (§8.1, §8.2.2).

The CPO sends "new Location objects or updates" to the eMSP's Receiver interface (§8.2.2) on
`{locations_endpoint_url}/{country_code}/{party_id}/{location_id}[/{evse_uid}[/{connector_id}]]`:
a PUT of the whole object when it is new or replaced (§8.2.2.2), a PATCH of the changed fields with
`last_updated` otherwise (§8.2.2.3: "Any request to the PATCH method SHALL contain the last_updated
field"). The location services call the `*_pushed` functions in the change's transaction, for our own
objects only (a partner's copy is never pushed back). Every message of a location and of its EVSEs and
connectors shares the location's object key, so the outbox delivers them in order.

Who gets it: the registered partners with a Locations Receiver (`push_audience`) that may see the
location (`ocpi.locations.visibility`), addressed to their eMSP party. When `publish` or
`publish_allowed_to` changes, the partners that could see it before still get the change, so they learn
they must stop showing it, and those that could not get a PUT of the whole location, which they did not
have. A partner that lost a location answers a PATCH with "unknown object": `location_resync` then gives
the whole current location.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from ocpi.core.exceptions import UnknownObject
from ocpi.core.patch import LAST_UPDATED
from ocpi.core.routing import PartyRef
from ocpi.core.types import Role
from ocpi.locations.models import EVSE, Connector, Location
from ocpi.locations.selectors import location_get
from ocpi.locations.services import (
    connector_to_json,
    evse_fields_to_json,
    evse_to_json,
    location_fields_to_json,
    location_to_json,
)
from ocpi.locations.visibility import PublishAllowedTo, allowed_parties
from ocpi.models import Party, Platform
from ocpi.sync.outbox import Push, outbox_enqueue, push_audience

MODULE = "locations"

Audience = dict[int, tuple[Platform, PartyRef | None]]
"""Platform pk -> (platform, party to address)."""

Visibility = tuple[bool, Any]
"""(publish, publish_allowed_to) of a location, to compare its audience before and after a change."""

_WIRE_FIELD = {"latitude": "coordinates", "longitude": "coordinates"}
"""Columns whose wire field has another name; the others are named as on the wire."""

_NOT_WIRE = frozenset({"party", "position", LAST_UPDATED})


def location_object_key(location: Location) -> str:
    """`CC/PID/location_id`: a location and all its EVSEs and connectors are one object for ordering."""
    return f"{location.country_code}/{location.ocpi_party_id}/{location.ocpi_id}"


def location_path(location: Location) -> str:
    """`/{country_code}/{party_id}/{location_id}` (§8.2.2)."""
    return f"/{location.country_code}/{location.ocpi_party_id}/{quote(location.ocpi_id, safe='')}"


def evse_path(location: Location, evse: EVSE) -> str:
    return f"{location_path(location)}/{quote(evse.uid, safe='')}"


def connector_path(location: Location, evse: EVSE, connector: Connector) -> str:
    return f"{evse_path(location, evse)}/{quote(connector.ocpi_id, safe='')}"


def wire_fields(columns: Iterable[str]) -> list[str]:
    """Changed columns as the wire fields a PATCH carries (coordinates for latitude/longitude)."""
    fields: list[str] = []
    for column in columns:
        if column in _NOT_WIRE:
            continue
        name = _WIRE_FIELD.get(column, column)
        if name not in fields:
            fields.append(name)
    return fields


def _push(location: Location, method: str, path: str, body: dict[str, Any]) -> Push:
    return Push(
        module=MODULE,
        object_key=location_object_key(location),
        method=method,
        path=path,
        body=body,
        from_party=PartyRef(location.country_code, location.ocpi_party_id),
    )


def _patch_body(current: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """The changed fields (a cleared optional field as null) and always `last_updated` (§8.2.2.3)."""
    body = {name: current.get(name) for name in fields}
    body[LAST_UPDATED] = current[LAST_UPDATED]
    return body


def location_put_push(location: Location) -> Push:
    """PUT of the whole Location with its EVSEs and connectors (§8.2.2.2)."""
    return _push(location, "PUT", location_path(location), location_to_json(location))


def location_patch_push(location: Location, fields: Sequence[str]) -> Push:
    """PATCH of the Location's changed fields (§8.2.2.3)."""
    return _push(
        location, "PATCH", location_path(location), _patch_body(location_fields_to_json(location), fields)
    )


def evse_put_push(location: Location, evse: EVSE) -> Push:
    """PUT of the whole EVSE with its connectors (§8.2.2.2)."""
    return _push(location, "PUT", evse_path(location, evse), evse_to_json(evse))


def evse_patch_push(location: Location, evse: EVSE, fields: Sequence[str]) -> Push:
    """PATCH of the EVSE's changed fields, e.g. `{"status": ..., "last_updated": ...}` (§8.2.2.3)."""
    return _push(location, "PATCH", evse_path(location, evse), _patch_body(evse_fields_to_json(evse), fields))


def connector_put_push(location: Location, evse: EVSE, connector: Connector) -> Push:
    """PUT of the whole Connector (§8.2.2.2)."""
    return _push(location, "PUT", connector_path(location, evse, connector), connector_to_json(connector))


def connector_patch_push(location: Location, evse: EVSE, connector: Connector, fields: Sequence[str]) -> Push:
    """PATCH of the Connector's changed fields, e.g. `{"tariff_ids": [...], "last_updated": ...}`."""
    return _push(
        location,
        "PATCH",
        connector_path(location, evse, connector),
        _patch_body(connector_to_json(connector), fields),
    )


def location_audience(
    *, owner: Party, publish: bool, publish_allowed_to: PublishAllowedTo | None
) -> Audience:
    """The partners with a Locations Receiver that may see a location with these publish settings.

    Published: every one, addressed to its eMSP party. Unpublished: only the platforms whose eMSP
    parties own a token `publish_allowed_to` names, addressed to that party (ocpi.locations.visibility).
    """
    audience = push_audience(module=MODULE, owner=owner, to_role=Role.EMSP)
    if publish:
        return {platform.pk: (platform, to) for platform, to in audience}
    platforms = {platform.pk: platform for platform, _ in audience}
    parties = Party.objects.filter(platform_id__in=platforms, role=Role.EMSP).order_by(
        "country_code", "party_id"
    )
    allowed: Audience = {}
    for party in allowed_parties(publish=False, publish_allowed_to=publish_allowed_to, parties=parties):
        if party.platform_id is not None and party.platform_id not in allowed:
            allowed[party.platform_id] = (
                platforms[party.platform_id],
                PartyRef(party.country_code, party.party_id),
            )
    return allowed


def _current_audience(location: Location) -> Audience:
    return location_audience(
        owner=location.party, publish=location.publish, publish_allowed_to=location.publish_allowed_to
    )


def location_pushed(
    *, location: Location, fields: Sequence[str] | None, before: Visibility | None = None
) -> None:
    """Queue a change of one of our locations: a PUT of the whole location (`fields` None) or a PATCH of
    `fields` (wire names). `before` is its (publish, publish_allowed_to) before the change, when it
    existed. Call it inside the change's transaction, with the location reloaded (EVSEs prefetched)."""
    push = location_put_push(location) if fields is None else location_patch_push(location, fields)
    now = _current_audience(location)
    if before is None or before == (location.publish, location.publish_allowed_to):
        outbox_enqueue(push=push, audience=now.values())
        return
    was = location_audience(owner=location.party, publish=before[0], publish_allowed_to=before[1])
    if fields is None:
        outbox_enqueue(push=push, audience={**was, **now}.values())
        return
    # Those that had it get the PATCH (with publish=false they stop showing it); the others get it whole.
    outbox_enqueue(push=push, audience={**was, **{pk: m for pk, m in now.items() if pk in was}}.values())
    gained = [member for pk, member in now.items() if pk not in was]
    if gained:
        outbox_enqueue(push=location_put_push(location), audience=gained)


def evse_pushed(*, location: Location, evse: EVSE, fields: Sequence[str] | None) -> None:
    """Queue a change of an EVSE of one of our locations: PUT of the EVSE (`fields` None) or PATCH."""
    push = evse_put_push(location, evse) if fields is None else evse_patch_push(location, evse, fields)
    outbox_enqueue(push=push, audience=_current_audience(location).values())


def connector_pushed(
    *, location: Location, evse: EVSE, connector: Connector, fields: Sequence[str] | None
) -> None:
    """Queue a change of a connector of one of our locations: PUT of the connector or PATCH."""
    if fields is None:
        push = connector_put_push(location, evse, connector)
    else:
        push = connector_patch_push(location, evse, connector, fields)
    outbox_enqueue(push=push, audience=_current_audience(location).values())


def location_resync(object_key: str, path: str) -> Push | None:
    """A PUT of the whole current location when a partner answered a PATCH (of it, or of one of its
    EVSEs or connectors) with "unknown object"; the whole location carries them all. None when gone."""
    country_code, party_id, location_id = object_key.split("/", 2)
    try:
        location = location_get(country_code=country_code, party_id=party_id, location_id=location_id)
    except UnknownObject:
        return None
    return location_put_push(location)
