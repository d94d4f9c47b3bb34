"""Writes of the OCPP side: charge points, their connection state, the message log, commands to chargers.

What chargers report about charging (statuses, transactions) goes through `cpo.ocpp.bridge`, which
turns it into OCPI objects. Everything here runs in a worker thread of `run_ocpp` or in the web process.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from ocpp.messages import Call, _validate_payload
from ocpp.v16 import call as v16_call
from ocpp.v201 import call as v201_call

from cpo.ocpp.models import ChargePoint, OcppCommand, OcppConnector, OcppMessage, OcppProtocol
from cpo.ocpp.passwords import password_hash
from ocpi.core.db import insert_values
from ocpi.core.types import Role
from ocpi.locations import schemas as location_schemas
from ocpi.locations.models import EVSE, Connector, Location
from ocpi.locations.selectors import own_location_get
from ocpi.locations.services import location_put
from ocpi.models import Party

logger = logging.getLogger("cpo.ocpp")

COMMANDS_CHANNEL = "ocpp:commands"
"""Redis pub/sub channel announcing new commands; the message is the charger identity."""

_VERSIONS = {OcppProtocol.V16.value: ("1.6", v16_call), OcppProtocol.V201.value: ("2.0.1", v201_call)}


# --- charge points ---------------------------------------------------------------------------------


def charge_point_set_password(*, charge_point: ChargePoint, password: str) -> None:
    """Store a new password (hashed, cpo.ocpp.passwords); the charger's next connection must use it."""
    charge_point.password_hash = password_hash(password)
    if charge_point.pk is not None:
        charge_point.save(update_fields=["password_hash"])


@transaction.atomic
def ocpp_connector_map(
    *,
    charge_point: ChargePoint,
    ocpp_evse_id: int,
    ocpp_connector_id: int = 1,
    evse: EVSE,
    connector: Connector | None = None,
) -> OcppConnector:
    """Map an OCPP (evseId, connectorId) onto an OCPI EVSE and Connector of the charger's location.

    The EVSE must belong to the charger's Location and the Connector to the EVSE: a session must name
    a location_id, evse_uid and connector_id that exist together (OCPI §9.3.1). Without a connector,
    the EVSE's first one is taken.
    """
    if charge_point.location_id is None or evse.location_id != charge_point.location_id:
        raise ValidationError(f"EVSE {evse.uid} is not at the location of charger {charge_point.identity}.")
    if connector is None:
        connector = evse.connectors.order_by("position", "pk").first()
    if connector is not None and connector.evse_id != evse.pk:
        raise ValidationError(f"Connector {connector.ocpi_id} is not a connector of EVSE {evse.uid}.")
    mapped, _ = OcppConnector.objects.update_or_create(
        charge_point=charge_point,
        ocpp_evse_id=ocpp_evse_id,
        ocpp_connector_id=ocpp_connector_id,
        defaults={"evse": evse, "connector": connector, "status_pending": True},
    )
    return mapped


def _own_cpo_party() -> Party:
    party: Party | None = Party.objects.own().filter(role=Role.CPO).order_by("pk").first()
    if party is None:
        raise ValidationError("We have no own CPO party: put CPO in OCPI_ROLES and run migrate.")
    return party


# ISO 3166-1 alpha-2 -> alpha-3 for the countries an operator is likely to run in; the draft location's
# country is the operator's to complete anyway (OCPP_DRAFT_COUNTRY overrides).
_ALPHA3 = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "CH": "CHE", "CY": "CYP", "CZ": "CZE", "DE": "DEU", "DK": "DNK",
    "EE": "EST", "ES": "ESP", "FI": "FIN", "FR": "FRA", "GB": "GBR", "GR": "GRC", "HR": "HRV", "HU": "HUN",
    "IE": "IRL", "IS": "ISL", "IT": "ITA", "LI": "LIE", "LT": "LTU", "LU": "LUX", "LV": "LVA", "MT": "MLT",
    "NL": "NLD", "NO": "NOR", "PL": "POL", "PT": "PRT", "RO": "ROU", "SE": "SWE", "SI": "SVN", "SK": "SVK",
    "US": "USA", "CA": "CAN", "AU": "AUS", "NZ": "NZL",
}  # fmt: skip

DRAFT_TEXT = "To be completed"
DRAFT_CONNECTOR = {
    "id": "1",
    "standard": location_schemas.ConnectorType.IEC_62196_T2.value,
    "format": location_schemas.ConnectorFormat.SOCKET.value,
    "power_type": location_schemas.PowerType.AC_3_PHASE.value,
    "max_voltage": 230,
    "max_amperage": 32,
}


def draft_location_create(*, identity: str, evses: int) -> Location:
    """An unpublished Location for a charger whose site is not entered yet (OCPI §8.3.1 `publish`).

    It is valid OCPI (written through `location_put`) with obviously provisional address, coordinates
    and connector data, and one EVSE per OCPP connector with status UNKNOWN until the charger reports.
    `publish=false` tells eMSPs not to show it until the operator completes it.
    """
    if len(identity) > 32:
        raise ValidationError(
            "A draft location is named after the identity, which must then have at most 32 characters."
        )
    party = _own_cpo_party()
    now = timezone.now()
    country = settings.OCPP_DRAFT_COUNTRY or _ALPHA3.get(party.country_code, "NLD")
    data = location_schemas.Location.model_validate(
        {
            "country_code": party.country_code,
            "party_id": party.party_id,
            "id": identity,
            "publish": False,
            "name": f"Charger {identity}",
            "address": DRAFT_TEXT,
            "city": DRAFT_TEXT,
            "country": country,
            "coordinates": {"latitude": "0.000000", "longitude": "0.000000"},
            "evses": [
                {
                    "uid": f"{identity}-{n}",
                    "status": location_schemas.Status.UNKNOWN.value,
                    "connectors": [{**DRAFT_CONNECTOR, "last_updated": now}],
                    "last_updated": now,
                }
                for n in range(1, evses + 1)
            ],
            "time_zone": settings.TIME_ZONE,
            "last_updated": now,
        }
    )
    location, created = location_put(party=party, data=data)
    if not created:
        raise ValidationError(f"Location {identity} exists already: pass it with --location.")
    return location


@transaction.atomic
def charge_point_onboard(
    *, identity: str, password: str, location_id: str | None = None, connectors: int = 1
) -> ChargePoint:
    """Register a charger and map its connectors 1..N onto EVSEs of a location (`ocpp_add_charger`).

    With `location_id`, connector N goes to the Nth EVSE of that location (our own) that no charger
    uses yet. Without, a draft location named after the charger is created (draft_location_create).
    """
    if connectors < 1:
        raise ValidationError("A charger has at least one connector.")
    if ChargePoint.objects.filter(identity=identity).exists():
        raise ValidationError(f"Charger {identity} is registered already.")
    if location_id is None:
        location = draft_location_create(identity=identity, evses=connectors)
    else:
        location = own_location_get(location_id=location_id)
    # Two onboardings at one location at once must not take the same free EVSEs: the second waits.
    Location.objects.select_for_update().filter(pk=location.pk).first()
    free = list(
        location.evses.filter(ocpp_connectors__isnull=True)
        .exclude(status=location_schemas.Status.REMOVED.value)
        .order_by("position", "pk")[:connectors]
    )
    if len(free) < connectors:
        raise ValidationError(
            f"Location {location.ocpi_id} has {len(free)} EVSE(s) no charger uses, {connectors} needed."
        )
    charge_point = ChargePoint(identity=identity, location=location)
    charge_point_set_password(charge_point=charge_point, password=password)
    charge_point.save()
    for number, evse in enumerate(free, start=1):
        ocpp_connector_map(charge_point=charge_point, ocpp_evse_id=number, evse=evse)
    return charge_point


# --- connection state ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connected:
    """What a new connection must catch up on."""

    evses: list[int]
    """EVSEs set to UNKNOWN while the charger was offline: they get its last reported statuses back."""
    commands: bool
    """Commands are waiting for it."""


def charge_point_connect(*, charge_point_id: int, protocol: str, node: str) -> Connected:
    """The charger is connected to `node` (a reconnect without a new StatusNotification included)."""
    now = timezone.now()
    was_offline = ChargePoint.objects.filter(pk=charge_point_id, offline_published=True).exists()
    ChargePoint.objects.filter(pk=charge_point_id).update(
        connected=True,
        protocol=protocol,
        node=node,
        connected_at=now,
        last_seen_at=now,
        offline_published=False,
    )
    waiting = OcppCommand.objects.filter(
        charge_point_id=charge_point_id, status=OcppCommand.Status.PENDING, expires_at__gt=now
    ).exists()
    return Connected(evses=_mapped_evses([charge_point_id]) if was_offline else [], commands=waiting)


def charge_point_disconnect(*, charge_point_id: int, node: str) -> None:
    """The socket closed; ignored when a newer connection (maybe another process) holds the charger."""
    ChargePoint.objects.filter(pk=charge_point_id, node=node, connected=True).update(
        connected=False, disconnected_at=timezone.now()
    )


def charge_points_release(*, node: str) -> int:
    """At start-up: connections a previous run of this node left marked open are closed."""
    return ChargePoint.objects.filter(node=node, connected=True).update(
        connected=False, disconnected_at=timezone.now()
    )


def charge_point_seen(*, charge_point_id: int, heartbeat: bool = False) -> None:
    """Any message proves the charger alive (throttled by the caller); a Heartbeat is also recorded."""
    now = timezone.now()
    fields: dict[str, Any] = {"last_seen_at": now}
    if heartbeat:
        fields["last_heartbeat_at"] = now
    ChargePoint.objects.filter(pk=charge_point_id).update(**fields)


def charge_point_boot(*, charge_point_id: int, info: Mapping[str, str | None]) -> None:
    """BootNotification (1.6 §4.2, 2.0.1 B01): what the charger says it is, shown in admin."""
    now = timezone.now()
    fields: dict[str, Any] = {name: (value or "")[:50] for name, value in info.items()}
    ChargePoint.objects.filter(pk=charge_point_id).update(last_boot_at=now, last_seen_at=now, **fields)


def _mapped_evses(charge_point_ids: Iterable[int]) -> list[int]:
    return list(
        OcppConnector.objects.filter(charge_point_id__in=list(charge_point_ids), evse__isnull=False)
        .values_list("evse_id", flat=True)
        .distinct()
    )


def charge_points_mark_offline(*, grace_seconds: float, stale_seconds: float) -> list[int]:
    """Chargers gone for longer than the grace period: returns the EVSEs to republish (as UNKNOWN).

    Gone means disconnected for `grace_seconds`, never connected, or marked connected but silent for
    `stale_seconds` (its run_ocpp process died without closing the row).
    """
    now = timezone.now()
    gone = Q(connected=False) & (
        Q(disconnected_at__isnull=True) | Q(disconnected_at__lt=now - timedelta(seconds=grace_seconds))
    )
    stale = Q(connected=True, last_seen_at__lt=now - timedelta(seconds=stale_seconds))
    ids = list(
        ChargePoint.objects.filter(gone | stale, offline_published=False, connectors__evse__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    if not ids:
        return []
    ChargePoint.objects.filter(pk__in=ids, connected=True).update(connected=False, disconnected_at=now)
    ChargePoint.objects.filter(pk__in=ids).update(offline_published=True)
    return _mapped_evses(ids)


# --- message log -----------------------------------------------------------------------------------


_FRAME_HEAD = re.compile(r'\s*\[\s*([234])\s*,\s*"((?:[^"\\]|\\.)*)"\s*(?:,\s*"([^"\\]*)")?')
"""The head of an OCPP-J frame: `[<type>, "<id>"` and, for a CALL, `, "<action>"` (OCPP-J §4)."""


def ocpp_frame_fields(frame: str) -> dict[str, Any]:
    """Message type, id and action of an OCPP-J frame, for the log; {} when it has no such head.

    Read from the head of the text: parsing every frame's JSON a second time (the library parses it)
    would cost the event loop more than the rest of the log.
    """
    head = _FRAME_HEAD.match(frame)
    if head is None:
        return {}
    fields: dict[str, Any] = {"message_type": int(head[1]), "unique_id": head[2][:64]}
    if fields["message_type"] == 2 and head[3] is not None:
        fields["action"] = head[3][:64]
    return fields


MESSAGE_COLUMNS = (
    "charge_point_id",
    "direction",
    "frame",
    "created_at",
    "message_type",
    "unique_id",
    "action",
)
"""What the run_ocpp message log buffers of each frame, in this order (no model instance per frame)."""


@transaction.atomic
def messages_store(*, messages: Sequence[Sequence[Any]], prune: Iterable[int], keep: int) -> None:
    """Append log rows (values of MESSAGE_COLUMNS), then cut the log of the chargers in `prune` down to
    their `keep` newest, in one transaction (autocommit would commit every row of the insert alone).

    One prepared DELETE executed per charger, each an index range on (charge_point, -id): a window
    function over all their rows, or the ORM's per-charger queries, cost the database thread more
    than the messages themselves.
    """
    insert_values(OcppMessage, MESSAGE_COLUMNS, messages)
    chargers = list(prune)
    if not chargers or keep <= 0:
        return
    meta = OcppMessage._meta
    quote = connection.ops.quote_name
    table, charger, key = quote(meta.db_table), quote("charge_point_id"), quote("id")
    sql = (
        f"DELETE FROM {table} WHERE {charger} = %s AND {key} < "  # noqa: S608 - names from the model
        f"(SELECT {key} FROM {table} WHERE {charger} = %s ORDER BY {key} DESC LIMIT 1 OFFSET %s)"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(pk, pk, keep - 1) for pk in chargers])


# --- commands to chargers --------------------------------------------------------------------------


def _validate_call(protocol: str, action: str, payload: Mapping[str, Any]) -> None:
    """The payload must pass the library's own schema check for that action (what `call()` applies)."""
    versions = [_VERSIONS[protocol]] if protocol in _VERSIONS else list(_VERSIONS.values())
    errors = []
    for version, module in versions:
        if not hasattr(module, action):
            errors.append(f"{action} is not an OCPP {version} action")
            continue
        try:
            _validate_payload(Call(uuid.uuid4().hex, action, json.loads(json.dumps(payload))), version)
        except Exception as exc:
            errors.append(f"OCPP {version}: {exc}")
            continue
        return
    raise ValidationError("; ".join(errors))


def charger_send(
    *, identity: str, action: str, payload: Mapping[str, Any], ttl_seconds: float | None = None
) -> str:
    """Queue an OCPP call for a charger (e.g. RemoteStartTransaction); returns its request id.

    `payload` is the OCPP JSON (camelCase). The command is a row, so it survives restarts and reaches
    whichever run_ocpp process holds (or next gets) the charger's connection: announced on Redis when
    REDIS_URL is set, and polled from the table in any case. Not delivered within `ttl_seconds`
    (OCPP_COMMAND_TTL_SECONDS, default 120) it expires. Read the outcome with charger_command_get.
    """
    charge_point = ChargePoint.objects.filter(identity=identity).first()
    if charge_point is None:
        raise ValidationError(f"Unknown charger {identity}.")
    _validate_call(charge_point.protocol, action, payload)
    ttl = ttl_seconds if ttl_seconds is not None else float(settings.OCPP_COMMAND_TTL_SECONDS)
    command = OcppCommand.objects.create(
        request_id=str(uuid.uuid4()),
        charge_point=charge_point,
        action=action,
        payload=dict(payload),
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    transaction.on_commit(lambda: _announce(identity))
    return command.request_id


def _announce(identity: str) -> None:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return
    import redis

    try:
        client = redis.Redis.from_url(url)
        try:
            client.publish(COMMANDS_CHANNEL, identity)
        finally:
            client.close()
    except redis.RedisError:
        logger.warning("could not announce a command for %s on Redis; it is delivered by polling", identity)


def command_claim(*, command_id: int) -> bool:
    """Take a PENDING command for sending; False when another process took it or it expired."""
    now = timezone.now()
    return bool(
        OcppCommand.objects.filter(
            pk=command_id, status=OcppCommand.Status.PENDING, expires_at__gt=now
        ).update(status=OcppCommand.Status.SENT, sent_at=now)
    )


def command_finish(*, command_id: int, status: str, response: Any = None) -> None:
    """Store what the charger answered (or that it did not)."""
    OcppCommand.objects.filter(pk=command_id, status=OcppCommand.Status.SENT).update(
        status=status, response=response, answered_at=timezone.now()
    )


def commands_expire(*, answer_timeout: float) -> int:
    """PENDING past their deadline -> EXPIRED; SENT by a process that died before the answer -> TIMEOUT."""
    now = timezone.now()
    expired = OcppCommand.objects.filter(status=OcppCommand.Status.PENDING, expires_at__lte=now).update(
        status=OcppCommand.Status.EXPIRED, answered_at=now
    )
    lost = OcppCommand.objects.filter(
        status=OcppCommand.Status.SENT, sent_at__lt=now - timedelta(seconds=2 * answer_timeout)
    ).update(status=OcppCommand.Status.TIMEOUT, answered_at=now)
    return expired + lost
