"""The bridge: what chargers report over OCPP becomes OCPI EVSE statuses, Sessions and CDRs.

Every OCPI write goes through the module services (`evse_patch`, `session_put`, `sessions_progress`,
`cdr_create`), which is where partners' pushes are queued. The rules (docs/ocpp.md):

- token decisions are taken by `authorize_id_tag` with the CPO's token decision service: stored Token
  and whitelist first, real-time authorization with the eMSP when needed (OCPI §12.2.3, §12.4.6); the
  handlers take them before the database work, on threads of their own (an eMSP may be slow);
- a Session is created ACTIVE when a transaction starts with an accepted token (OCPI §9.4.3: all
  preconditions are met; energy may or may not flow); a transaction without an OCPI token (refused,
  unknown, or free vend) has no Session;
- meter values PATCH the Session with only what is new: kWh, the charging periods since the last
  PATCH, the running cost (OCPI §9.2.2.3: periods in a PATCH are appended);
- the stop recomputes every period from all stored readings and states (offline queues deliver late
  and out of order), PUTs the COMPLETED Session (which replaces its periods) and creates the CDR;
- everything is idempotent: a repeated StartTransaction returns the same transaction id, repeated
  readings are stored once, a second stop changes nothing.

Functions here run in a worker thread of run_ocpp, one database transaction each.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone

from cpo.ocpp import metering, status
from cpo.ocpp.metering import Reading, StateChange
from cpo.ocpp.models import (
    ChargePoint,
    OcppChargingState,
    OcppConnector,
    OcppMeterReading,
    OcppTransaction,
)
from cpo.services.authorization import token_decide
from ocpi.cdrs.services import cdr_create
from ocpi.core.db import bulk_update_rows, insert_values
from ocpi.core.types import Price
from ocpi.locations.models import EVSE, Location
from ocpi.locations.schemas import Status, TokenType
from ocpi.locations.services import evse_patch
from ocpi.models import Party
from ocpi.pricing import ChargingPeriodsRead, CompiledTariff, PricingError, compile_tariff, price_session
from ocpi.sessions.models import Session, SessionChargingPeriod
from ocpi.sessions.schemas import AuthMethod, ChargingPeriod, SessionStatus
from ocpi.sessions.services import SessionProgress, session_put, session_to_json, sessions_progress
from ocpi.tariffs.models import Tariff
from ocpi.tariffs.schemas import Tariff as TariffSchema
from ocpi.tariffs.schemas import TariffType
from ocpi.tariffs.services import tariff_to_json
from ocpi.tokens.models import Token
from ocpi.tokens.schemas import AllowedType, LocationReferences

logger = logging.getLogger("cpo.ocpp.bridge")

REMARK_MAX = 255
_CACHE_LIMIT = 4096
_compiled: dict[tuple[str, str, str, str], CompiledTariff] = {}
_periods_sent: dict[int, tuple[datetime | None, ChargingPeriodsRead | None, datetime | None]] = {}


# --- token decisions -------------------------------------------------------------------------------


class AuthStatus(StrEnum):
    """The authorization statuses we answer, by their OCPP 2.0.1 names (1.6 knows the first four)."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    INVALID = "Invalid"
    EXPIRED = "Expired"
    NO_CREDIT = "NoCredit"
    NOT_AT_THIS_LOCATION = "NotAtThisLocation"


@dataclass(frozen=True)
class AuthDecision:
    """The answer to an idTag/idToken, and what the Session needs from it."""

    status: AuthStatus
    token: Token | None = None
    auth_method: AuthMethod | None = None
    authorization_reference: str | None = None
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.status is AuthStatus.ACCEPTED

    @property
    def group_id(self) -> str | None:
        return self.token.group_id if self.token is not None else None


IDTOKEN_TYPES: dict[str, TokenType | None] = {
    "ISO14443": TokenType.RFID,
    "ISO15693": TokenType.RFID,
    "Central": TokenType.APP_USER,
    "Local": TokenType.AD_HOC_USER,
    "KeyCode": TokenType.OTHER,
    "MacAddress": TokenType.OTHER,
    "eMAID": None,
}
"""OCPP 2.0.1 IdTokenEnumType -> OCPI TokenType (eMAID is looked up by contract_id instead)."""

FREE_VEND = "NoAuthorization"
"""2.0.1 idToken type of a charger that charges without authorization: no token, no roaming Session."""


def _location_refs(charge_point_id: int | None, evse_id: int | None) -> LocationReferences | None:
    """Where the token is shown (§12.4.3), so the eMSP can answer NOT_ALLOWED: the charger's location and
    the EVSE of `evse_id`, or all the charger's EVSEs when the message names none (1.6 Authorize)."""
    if charge_point_id is None:
        return None
    rows = OcppConnector.objects.filter(charge_point_id=charge_point_id, evse__isnull=False)
    if evse_id:
        rows = rows.filter(ocpp_evse_id=evse_id)
    mapped = list(rows.values_list("evse__location__ocpi_id", "evse__uid"))
    if mapped:
        location_id = mapped[0][0]
        return LocationReferences(
            location_id=location_id, evse_uids=[u for lid, u in mapped if lid == location_id]
        )
    own = Location.objects.filter(ocpp_charge_points__pk=charge_point_id).values_list("ocpi_id", flat=True)
    charger_location = own.first()
    return LocationReferences(location_id=charger_location) if charger_location else None


_STATUS_OF: dict[AllowedType, AuthStatus] = {
    AllowedType.ALLOWED: AuthStatus.ACCEPTED,
    AllowedType.BLOCKED: AuthStatus.BLOCKED,
    AllowedType.EXPIRED: AuthStatus.EXPIRED,
    AllowedType.NO_CREDIT: AuthStatus.NO_CREDIT,
    AllowedType.NOT_ALLOWED: AuthStatus.NOT_AT_THIS_LOCATION,
}
"""OCPI AllowedType (§12.4.1) -> the OCPP authorization status (2.0.1 names; 1.6 maps in its handler)."""


def authorize_id_tag(
    *,
    id_tag: str,
    token_type: str | None = None,
    charge_point_id: int | None = None,
    evse_id: int | None = None,
    realtime: bool = True,
) -> AuthDecision:
    """Decide on an OCPP idTag (1.6) or idToken (2.0.1, with its type) with the CPO's token decision
    service (`cpo.services.authorization.token_decide`): the stored Token and its whitelist type first,
    then real-time authorization with the eMSP (§12.2.3) where the whitelist type asks for it.

    May wait on the eMSP (OCPI_AUTHORIZE_TIMEOUT per call): run_ocpp runs it on its own threads, never
    on the database threads. An accepted real-time answer makes the Session's auth_method AUTH_REQUEST
    with the eMSP's authorization_reference (§9.3.1); a whitelist or offline decision is WHITELIST.
    `realtime=False` is the answer without the network, for a charger that cannot wait any longer.
    """
    if token_type == FREE_VEND:
        return AuthDecision(AuthStatus.ACCEPTED, reason="free vend: no token")
    mapped = IDTOKEN_TYPES.get(token_type) if token_type else None
    decision = token_decide(
        uid=id_tag,
        token_type=mapped.value if mapped is not None else None,
        location=_location_refs(charge_point_id, evse_id) if realtime else None,
        by_contract_id=token_type == "eMAID",
        realtime=realtime,
    )
    if decision.allowed is None:
        return AuthDecision(AuthStatus.INVALID, token=decision.token, reason="unknown token")
    status = _STATUS_OF[decision.allowed]
    if status is not AuthStatus.ACCEPTED:
        return AuthDecision(
            status, token=decision.token, reason=f"{decision.source}: {decision.allowed.value}"
        )
    realtime_answer = decision.source == "realtime"
    return AuthDecision(
        status,
        token=decision.token,
        auth_method=AuthMethod.AUTH_REQUEST if realtime_answer else AuthMethod.WHITELIST,
        authorization_reference=decision.authorization_reference if realtime_answer else None,
        reason=decision.source,
    )


def _decision_of(tx: OcppTransaction) -> AuthDecision:
    """The decision stored with a transaction, for answering a repeated message the same way."""
    try:
        answered = AuthStatus(tx.auth_status)
    except ValueError:
        answered = AuthStatus.INVALID
    return AuthDecision(
        status=answered,
        token=tx.token,
        auth_method=AuthMethod(tx.auth_method) if tx.auth_method else None,
        authorization_reference=tx.authorization_reference,
    )


# --- EVSE status -----------------------------------------------------------------------------------

CHARGING_STATES_V16 = frozenset({"Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"})
"""1.6 statuses of a connector inside a transaction that tell its charging state."""


def _active_transaction(charge_point_id: int, evse_id: int) -> OcppTransaction | None:
    return (
        OcppTransaction.objects.filter(
            charge_point_id=charge_point_id, evse_id=evse_id, state=OcppTransaction.State.ACTIVE
        )
        .order_by("-started_at", "-pk")
        .first()
    )


def _connector_remap(connector: OcppConnector, *, transaction_active: bool) -> bool:
    """Recompute the OCPI status of one connector; True (and marked pending) when it changed."""
    if not connector.ocpp_status:
        return False
    mapped = status.connector_ocpi_status(
        ocpp_status=connector.ocpp_status, transaction_active=transaction_active
    ).value
    if mapped == connector.ocpi_status:
        return False
    connector.ocpi_status = mapped
    connector.status_pending = True
    return True


@transaction.atomic
def connector_status_record(
    *, charge_point_id: int, evse_id: int, connector_id: int, ocpp_status: str, error_code: str, at: datetime
) -> list[int]:
    """A StatusNotification (1.6 §4.9, 2.0.1 G01): store it; returns the EVSEs whose status may change.

    A report older than the stored one (an offline queue replayed late) is ignored. 1.6 connectorId 0
    (evse_id 0) is the whole charge point. The EVSE is only republished after the debounce
    (docs/ocpp.md), so the returned ids are to be scheduled, not published now.
    """
    if evse_id == 0:
        ChargePoint.objects.filter(pk=charge_point_id).update(station_status=ocpp_status)
        return _charger_evses(charge_point_id)
    connector, _ = OcppConnector.objects.select_for_update().get_or_create(
        charge_point_id=charge_point_id, ocpp_evse_id=evse_id, ocpp_connector_id=connector_id
    )
    if connector.status_at is not None and at < connector.status_at:
        return []
    active = _active_transaction(charge_point_id, evse_id)
    if active is not None and ocpp_status in CHARGING_STATES_V16:
        _state_record(active, at, ocpp_status)
    connector.ocpp_status = ocpp_status
    connector.error_code = error_code
    connector.status_at = at
    changed = _connector_remap(connector, transaction_active=active is not None)
    connector.save(update_fields=["ocpp_status", "error_code", "status_at", "ocpi_status", "status_pending"])
    return [connector.evse_id] if changed and connector.evse_id is not None else []


def _charger_evses(charge_point_id: int) -> list[int]:
    return list(
        OcppConnector.objects.filter(charge_point_id=charge_point_id, evse__isnull=False)
        .values_list("evse_id", flat=True)
        .distinct()
    )


def _transaction_changed_connector(tx: OcppTransaction, *, active: bool) -> list[int]:
    """A transaction started or ended: connectors whose status depends on that are remapped."""
    changed: list[int] = []
    if tx.evse_id is None:
        return changed
    for connector in OcppConnector.objects.filter(
        charge_point_id=tx.charge_point_id, ocpp_evse_id=tx.evse_id
    ):
        if _connector_remap(connector, transaction_active=active):
            connector.save(update_fields=["ocpi_status", "status_pending"])
            if connector.evse_id is not None:
                changed.append(connector.evse_id)
    return changed


@transaction.atomic
def evse_status_publish(*, evse_pk: int) -> str | None:
    """Set an EVSE's OCPI status from all the OCPP connectors mapped onto it (evse_patch -> partners).

    A charger offline past its grace period counts as UNKNOWN, a 1.6 connectorId 0 Unavailable or
    Faulted overrides its connectors, and the connectors combine by `status.PRECEDENCE`. An EVSE the
    operator marked REMOVED stays so. Nothing is written when the status is unchanged (suppressed
    duplicates). Returns the status set, or None when nothing changed.
    """
    evse = EVSE.objects.filter(pk=evse_pk).first()
    if evse is None:
        return None
    rows = list(OcppConnector.objects.filter(evse_id=evse_pk).select_related("charge_point"))
    statuses: list[str] = []
    for row in rows:
        charger = row.charge_point
        override = status.station_override(charger.station_status)
        if charger.offline_published:
            statuses.append(Status.UNKNOWN.value)
        elif override is not None:
            statuses.append(override.value)
        else:
            statuses.append(row.ocpi_status or Status.UNKNOWN.value)
    OcppConnector.objects.filter(evse_id=evse_pk, status_pending=True).update(status_pending=False)
    if not rows or evse.status == Status.REMOVED.value:
        return None
    new = status.evse_status(statuses).value
    if new == evse.status:
        return None
    evse_patch(evse=evse, patch={"status": Status(new)})
    return new


def evses_pending(*, older_than_seconds: float) -> list[int]:
    """EVSEs with a status change not yet published (their debounce timer died with a process)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        OcppConnector.objects.filter(status_pending=True, evse__isnull=False, status_at__lt=cutoff)
        .values_list("evse_id", flat=True)
        .distinct()
    )


# --- transactions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartResult:
    """What a transaction start answers, and the EVSEs whose status may change."""

    transaction_id: str
    decision: AuthDecision
    evses: list[int]


def _remark(tx: OcppTransaction, text: str) -> None:
    if text not in tx.remarks:
        tx.remarks = [*tx.remarks, text]


def _state_record(tx: OcppTransaction, at: datetime, state: str) -> None:
    OcppChargingState.objects.bulk_create(
        [OcppChargingState(transaction=tx, timestamp=at, state=state)], ignore_conflicts=True
    )


def _reading_of(row: OcppMeterReading) -> Reading:
    return Reading(
        timestamp=row.timestamp,
        energy_wh=row.energy_wh,
        power_w=row.power_w,
        current_a=row.current_a,
        soc=row.soc,
        context=row.context,
    )


_READING_FIELDS = ("energy_wh", "power_w", "current_a", "soc", "context")


def _readings_store(tx: OcppTransaction, readings: Sequence[Reading]) -> None:
    _readings_store_many([(tx, readings)])


def _readings_store_many(pairs: Sequence[tuple[OcppTransaction, Sequence[Reading]]]) -> None:
    """Store readings once per transaction and instant; a repeated instant only fills in what was
    missing (a retransmission, or another measurand). Three queries at most, whatever the number."""
    pairs = [(tx, readings) for tx, readings in pairs if readings]
    if not pairs:
        return
    stored: dict[tuple[int, datetime], OcppMeterReading] = {
        (row.transaction_id, row.timestamp): row
        for row in OcppMeterReading.objects.filter(
            transaction_id__in=[tx.pk for tx, _ in pairs],
            timestamp__in={r.timestamp for _, readings in pairs for r in readings},
        )
    }
    new: dict[tuple[int, datetime], Reading] = {}
    completed: dict[int, OcppMeterReading] = {}
    for tx, readings in pairs:
        for reading in readings:
            key = (tx.pk, reading.timestamp)
            if key in new:
                new[key] = new[key].merged(reading)
                continue
            row = stored.get(key)
            if row is None:
                new[key] = reading
                continue
            merged = _reading_of(row).merged(reading)
            if merged != _reading_of(row):
                for name, value in _values(merged).items():
                    setattr(row, name, value)
                completed[row.pk] = row
        if tx.meter_start_wh is None:
            energy = [r for r in readings if r.energy_wh is not None]
            begin = metering.context_register(energy, "Transaction.Begin")
            first = min(energy, key=lambda r: r.timestamp).energy_wh if energy else None
            tx.meter_start_wh = begin if begin is not None else first
    insert_values(
        OcppMeterReading,
        ("transaction_id", "timestamp", *_READING_FIELDS),
        [(pk, at, *_values(reading).values()) for (pk, at), reading in new.items()],
        ignore_conflicts=True,
    )
    if completed:
        bulk_update_rows(list(completed.values()), _READING_FIELDS)


def _values(reading: Reading) -> dict[str, Any]:
    return {
        "energy_wh": reading.energy_wh,
        "power_w": reading.power_w,
        "current_a": reading.current_a,
        "soc": reading.soc,
        "context": reading.context[:20],
    }


PROGRESS_FIELDS = ("meter_start_wh", "periods_until", "energy_until_wh", "remarks")
"""What metering a transaction may change on its row."""


def _tx_save(tx: OcppTransaction, *fields: str) -> None:
    tx.save(update_fields=list(fields))


def _connector_of(
    charge_point_id: int, evse_id: int | None, connector_id: int | None
) -> OcppConnector | None:
    if evse_id is None:
        return None
    queryset = OcppConnector.objects.select_related(
        "evse", "connector", "evse__location", "evse__location__party"
    )
    queryset = queryset.filter(charge_point_id=charge_point_id, ocpp_evse_id=evse_id)
    if connector_id is not None:
        queryset = queryset.filter(ocpp_connector_id=connector_id)
    return queryset.order_by("ocpp_connector_id").first()


def _tariff_for(location: Location, tariff_ids: Sequence[str] | None) -> Tariff | None:
    """The connector's tariff: of its tariff_ids (OCPI §8.3.3), the first valid for every session (type
    absent or REGULAR), else the first found; ad hoc and profile tariffs are for other audiences."""
    if not tariff_ids:
        return None
    found = {
        t.ocpi_id.upper(): t
        for t in Tariff.objects.alias(id_ci=Upper("ocpi_id")).filter(
            country_code=location.country_code,
            ocpi_party_id=location.ocpi_party_id,
            id_ci__in=[i.upper() for i in tariff_ids],
        )
    }
    ordered = [found[i.upper()] for i in tariff_ids if i.upper() in found]
    for tariff in ordered:
        if tariff.type in (None, TariffType.REGULAR.value):
            return tariff
    return ordered[0] if ordered else None


def _compiled_tariff(snapshot: Mapping[str, Any]) -> CompiledTariff:
    """Compile a tariff snapshot once per version (pricing every MeterValues must stay cheap)."""
    key = (snapshot["country_code"], snapshot["party_id"], snapshot["id"], snapshot["last_updated"])
    compiled = _compiled.get(key)
    if compiled is None:
        if len(_compiled) >= _CACHE_LIMIT:
            _compiled.clear()
        compiled = _compiled[key] = compile_tariff(TariffSchema.model_validate(snapshot))
    return compiled


def _cdr_location(location: Location, connector: OcppConnector) -> dict[str, Any]:
    """OCPI §10.4.4 CdrLocation: the location, EVSE and connector as they are when the session starts.

    evse_id is required there but optional on an EVSE (§8.3.2); an EVSE without one is named by its uid.
    """
    evse = connector.evse
    ocpi_connector = connector.connector
    assert evse is not None
    assert ocpi_connector is not None
    data: dict[str, Any] = {
        "id": location.ocpi_id,
        "address": location.address,
        "city": location.city,
        "country": location.country,
        "coordinates": {"latitude": location.latitude, "longitude": location.longitude},
        "evse_uid": evse.uid,
        "evse_id": evse.evse_id or evse.uid,
        "connector_id": ocpi_connector.ocpi_id,
        "connector_standard": ocpi_connector.standard,
        "connector_format": ocpi_connector.format,
        "connector_power_type": ocpi_connector.power_type,
    }
    for name in ("name", "postal_code", "state"):
        value = getattr(location, name)
        if value is not None:
            data[name] = value
    return data


def _session_open(tx: OcppTransaction, decision: AuthDecision, charge_point: ChargePoint) -> None:
    """Create the OCPI Session of an accepted transaction (OCPI §9.3.1), ACTIVE, 0 kWh.

    What the session is priced and billed with is fixed now: the location (CdrLocation snapshot) and
    the connector's tariff as it is at the start (the CDR's `tariffs`, §10.3.1), so a tariff edited
    or removed mid-session does not change a running session's price.
    """
    token = decision.token
    if token is None:
        return
    connector = _connector_of(tx.charge_point_id, tx.evse_id, tx.connector_id)
    if connector is None or connector.evse is None or connector.connector is None:
        _remark(tx, "connector not mapped to an OCPI EVSE: no Session")
        return
    location = connector.evse.location
    party: Party = location.party
    tariff = _tariff_for(location, connector.connector.tariff_ids)
    data = {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": str(uuid.uuid4()),
        "start_date_time": tx.started_at,
        "kwh": Decimal(0),
        "cdr_token": {
            "country_code": token.country_code,
            "party_id": token.ocpi_party_id,
            "uid": token.uid,
            "type": token.type,
            "contract_id": token.contract_id,
        },
        "auth_method": (decision.auth_method or AuthMethod.WHITELIST).value,
        "authorization_reference": decision.authorization_reference,
        "location_id": location.ocpi_id,
        "evse_uid": connector.evse.uid,
        "connector_id": connector.connector.ocpi_id,
        "meter_id": charge_point.meter_serial_number or None,
        "currency": tariff.currency if tariff is not None else settings.OCPP_DEFAULT_CURRENCY,
        "status": SessionStatus.ACTIVE.value,
        "last_updated": timezone.now(),
    }
    session, _ = session_put(party=party, data={k: v for k, v in data.items() if v is not None})
    tx.session = session
    tx.location = location
    tx.tariff = tariff_to_json(tariff) if tariff is not None else None
    tx.cdr_location = _cdr_location(location, connector)
    _tx_save(tx, "session", "location", "tariff", "cdr_location", "remarks")


def _tariff_id(tx: OcppTransaction) -> str | None:
    return str(tx.tariff["id"]) if tx.tariff else None


def _period_json(period: metering.Period, tariff_id: str | None, *, for_cdr: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"start_date_time": period.start, "dimensions": period.dimensions(for_cdr=for_cdr)}
    if tariff_id is not None:
        data["tariff_id"] = tariff_id
    return data


def _price(
    tx: OcppTransaction,
    periods: Sequence[ChargingPeriod] | ChargingPeriodsRead,
    end: datetime | None,
    time_zone: str | None = None,
) -> Any:
    """The pricing engine's result for these periods (None without a tariff or when it cannot price);
    the time zone is the location's (passed by callers that did not load the location)."""
    if time_zone is None and tx.location is not None:
        time_zone = tx.location.time_zone
    if tx.tariff is None or time_zone is None or not periods:
        return None
    try:
        return price_session(
            tariff=_compiled_tariff(tx.tariff),
            charging_periods=periods,
            start=tx.started_at,
            end=end,
            time_zone=time_zone,
        )
    except PricingError:
        logger.exception("pricing failed for tariff %s", tx.tariff.get("id"))
        return None


def _readings(tx: OcppTransaction, *, after: datetime | None = None) -> list[Reading]:
    queryset = tx.readings.all()
    if after is not None:
        queryset = queryset.filter(timestamp__gt=after)
    return [_reading_of(row) for row in queryset.order_by("timestamp")]


def _states(tx: OcppTransaction) -> list[StateChange]:
    return [StateChange(row.timestamp, row.state) for row in tx.states.order_by("timestamp", "pk")]


def _sent_periods(tx: OcppTransaction) -> tuple[ChargingPeriodsRead | None, datetime | None]:
    """The periods the Session has so far, read for its running cost (None without a tariff), and the
    charger time it was priced at.

    Kept in memory per session, valid while the transaction's `periods_until` (persisted with every
    PATCH) is the one they were kept for; otherwise (another process moved it on, a restart) read back
    from the Session, and priced again: parsing every stored period for every MeterValues would cost
    more than pricing.
    """
    assert tx.session_id is not None
    cached = _periods_sent.get(tx.session_id)
    if cached is not None and cached[0] == tx.periods_until:
        return cached[1], cached[2]
    if tx.tariff is None:
        return None, None
    read = ChargingPeriodsRead(tariff=_compiled_tariff(tx.tariff), start=tx.started_at)
    rows = (
        SessionChargingPeriod.objects.filter(session_id=tx.session_id)
        .order_by("position")
        .values_list("data", flat=True)
    )
    read.extend([ChargingPeriod.model_validate(data) for data in rows])
    return read, None


def _running_cost_seconds() -> float:
    """How often (in charger time) a running Session's total_cost is recomputed: pricing walks every
    period of the session, so doing it for every MeterValues would cost more as the session grows."""
    return float(settings.OCPP_RUNNING_COST_SECONDS)


def _session_progress(tx: OcppTransaction, readings: Sequence[Reading]) -> None:
    _session_progress_many([(tx, readings)])


def _session_progress_many(pairs: Sequence[tuple[OcppTransaction, Sequence[Reading]]]) -> None:
    """PATCH each Session with what is new since its last PATCH: kWh, periods, running cost (§9.2.2.3),
    all of them through one `sessions_progress`.

    Only readings later than the last period sent extend the Session; earlier ones (late deliveries)
    are stored and folded in by the final PUT at the stop. `readings` are those just stored; the first
    time (periods_until unset: readings may have come before the Session) they are read back.
    """
    pairs = [(tx, r) for tx, r in pairs if tx.session_id is not None and tx.meter_start_wh is not None]
    if not pairs:
        return
    time_zones = dict(
        Location.objects.filter(pk__in={tx.location_id for tx, _ in pairs})
        .order_by()
        .values_list("pk", "time_zone")
    )
    states: dict[int, list[StateChange]] = {tx.pk: [] for tx, _ in pairs}
    for transaction_pk, at, state in (
        OcppChargingState.objects.filter(transaction_id__in=list(states))
        .order_by("timestamp", "pk")
        .values_list("transaction_id", "timestamp", "state")
    ):
        states[transaction_pk].append(StateChange(at, state))
    updates: list[SessionProgress] = []
    for tx, readings in pairs:
        time_zone = time_zones.get(tx.location_id) if tx.location_id is not None else None
        update = _progress(tx, readings, states[tx.pk], time_zone)
        if update is not None:
            updates.append(update)
    sessions_progress(updates=updates)


def _progress(
    tx: OcppTransaction, readings: Sequence[Reading], states: Sequence[StateChange], time_zone: str | None
) -> SessionProgress | None:
    """One transaction's new periods, kWh and running cost; moves its `periods_until` on."""
    session_id = tx.session_id
    assert session_id is not None
    assert tx.meter_start_wh is not None
    since = tx.periods_until or tx.started_at
    since_wh = tx.energy_until_wh if tx.energy_until_wh is not None else tx.meter_start_wh
    fresh = sorted(
        (
            r
            for r in (readings if tx.periods_until is not None else _readings(tx, after=since))
            if r.timestamp > since
        ),
        key=lambda r: r.timestamp,
    )
    if not any(r.energy_wh is not None for r in fresh):
        return None
    metered = metering.meter(start=since, start_wh=since_wh, readings=fresh, states=states)
    if metered.went_backwards:
        _remark(tx, "meter reading went backwards: energy counted up to the highest reading")
    tariff_id = _tariff_id(tx)
    new = [ChargingPeriod.model_validate(_period_json(p, tariff_id, for_cdr=False)) for p in metered.periods]
    kwh = metering.total_kwh(start_wh=tx.meter_start_wh, register_wh=metered.register_wh)
    periods, priced_at = _sent_periods(tx)
    until = max(r.timestamp for r in fresh if r.energy_wh is not None)
    total_cost: Price | None = None
    if new and periods is not None:
        periods.extend(new)
        if priced_at is None or (until - priced_at).total_seconds() >= _running_cost_seconds():
            result = _price(tx, periods, None, time_zone)
            if result is not None:
                total_cost = result.total_cost
            priced_at = until
    tx.periods_until = until
    tx.energy_until_wh = metered.register_wh
    if len(_periods_sent) >= _CACHE_LIMIT:
        _periods_sent.clear()
    _periods_sent[session_id] = (tx.periods_until, periods, priced_at)
    return SessionProgress(
        session_id=session_id,
        last_updated=timezone.now(),
        kwh=kwh,
        total_cost=total_cost,
        charging_periods=new,
    )


def _session_close(tx: OcppTransaction) -> None:
    """The stop: recompute all periods, PUT the COMPLETED Session (§9.2.2.2) and create the CDR (§10)."""
    session = tx.session
    if session is None:
        return
    assert tx.stopped_at is not None
    _periods_sent.pop(session.pk, None)
    readings = _readings(tx)
    start_wh = tx.meter_start_wh
    if start_wh is None:
        energy = [r.energy_wh for r in readings if r.energy_wh is not None]
        start_wh = energy[0] if energy else Decimal(0)
    end_wh = tx.meter_stop_wh
    if end_wh is None:
        end_wh = metering.context_register(readings, "Transaction.End")
    if end_wh is None:
        _remark(tx, "no meter stop value: energy up to the last reading")
    metered = metering.meter(
        start=tx.started_at,
        start_wh=start_wh,
        readings=readings,
        states=_states(tx),
        end=tx.stopped_at,
        end_wh=end_wh,
    )
    if metered.went_backwards:
        _remark(tx, "meter reading went backwards: energy counted up to the highest reading")
    kwh = metering.total_kwh(start_wh=start_wh, register_wh=metered.register_wh)
    tariff_id = _tariff_id(tx)
    periods = metered.periods or [metering.Period(tx.started_at, True, Decimal(0), Decimal(0))]
    cdr_periods = [_period_json(p, tariff_id, for_cdr=True) for p in periods]
    result = _price(tx, [ChargingPeriod.model_validate(p) for p in cdr_periods], tx.stopped_at)
    data = session_to_json(session)
    data.update(
        {
            "end_date_time": tx.stopped_at,
            "kwh": kwh,
            "charging_periods": [_period_json(p, tariff_id, for_cdr=False) for p in metered.periods],
            "total_cost": _total_cost(result) if tx.tariff is not None else FREE,
            "status": SessionStatus.COMPLETED.value,
            "last_updated": timezone.now(),
        }
    )
    session_put(
        party=session.party, data={k: v for k, v in data.items() if v is not None}, session_id=session.ocpi_id
    )
    if tx.tariff is not None and result is None:
        _remark(tx, "pricing failed: no CDR, retry from the transaction admin")
        return
    _cdr_create(tx, session, cdr_periods, periods, result, kwh)


FREE = {"excl_vat": 0, "incl_vat": 0}
"""The price of a session on a connector without a tariff: we do not charge (OCPI §9.3.1 total_cost 0)."""


def _total_cost(result: Any) -> dict[str, Any] | None:
    if result is None:
        return None
    return {"excl_vat": result.total_cost.excl_vat, "incl_vat": result.total_cost.incl_vat}


def _cdr_create(
    tx: OcppTransaction,
    session: Session,
    cdr_periods: list[dict[str, Any]],
    periods: Sequence[metering.Period],
    result: Any,
    kwh: Decimal,
) -> None:
    """The CDR of a stopped transaction (OCPI §10.3.1); its id is the Session id, so it is made once.

    Periods carry no Session-only dimensions (§10.4.3); `tariffs` is the tariff as it was when the
    session started. Totals come from the pricing engine; without a tariff the session was free
    (total_cost 0) and the totals are the periods' sums.
    """
    assert tx.stopped_at is not None
    assert tx.cdr_location is not None
    data: dict[str, Any] = {
        "country_code": session.country_code,
        "party_id": session.ocpi_party_id,
        "id": session.ocpi_id,
        "start_date_time": tx.started_at,
        "end_date_time": tx.stopped_at,
        "session_id": session.ocpi_id,
        "cdr_token": session.cdr_token,
        "auth_method": session.auth_method,
        "authorization_reference": session.authorization_reference,
        "cdr_location": tx.cdr_location,
        "meter_id": session.meter_id,
        "currency": session.currency,
        "charging_periods": cdr_periods,
        "last_updated": timezone.now(),
    }
    if result is not None and tx.tariff is not None:
        data.update(result.to_ocpi())
        data["tariffs"] = [tx.tariff]
    else:
        data.update(
            {
                "total_cost": FREE,
                "total_energy": kwh,
                "total_time": sum((p.hours for p in periods), Decimal(0)),
                "total_parking_time": sum((p.hours for p in periods if not p.charging), Decimal(0)),
            }
        )
    if tx.remarks:
        data["remark"] = "; ".join(tx.remarks)[:REMARK_MAX]
    cdr, _ = cdr_create(party=session.party, data={k: v for k, v in data.items() if v is not None})
    tx.cdr = cdr


def transaction_cdr_retry(*, transaction_pk: int) -> bool:
    """Admin action: build the CDR of a stopped transaction whose CDR is missing (e.g. pricing failed)."""
    with transaction.atomic():
        tx = (
            OcppTransaction.objects.select_for_update(of=("self",))
            .select_related("session", "session__party", "location")
            .get(pk=transaction_pk)
        )
        if tx.state != OcppTransaction.State.STOPPED or tx.cdr_id is not None or tx.session is None:
            return False
        _session_close(tx)
        _tx_save(tx, "remarks", "cdr")
        return tx.cdr_id is not None


def _clamp_stop(tx: OcppTransaction, at: datetime) -> datetime:
    if at < tx.started_at:
        _remark(tx, "stop time before start time: stop set to the start")
        return tx.started_at
    return at


def _stop(tx: OcppTransaction, *, at: datetime, meter_stop_wh: Decimal | None, reason: str) -> list[int]:
    """Close a transaction once: COMPLETED Session, CDR, connector statuses."""
    tx.state = OcppTransaction.State.STOPPED
    tx.stopped_at = _clamp_stop(tx, at)
    tx.meter_stop_wh = meter_stop_wh
    tx.stop_reason = reason[:30]
    _session_close(tx)
    _tx_save(tx, "state", "stopped_at", "meter_stop_wh", "stop_reason", "cdr", *PROGRESS_FIELDS)
    return _transaction_changed_connector(tx, active=False)


def _close_orphans(tx: OcppTransaction) -> list[int]:
    """Older transactions still open on the same connector never got their stop (OCPP allows one
    transaction per connector): closed at their last reading, flagged in the CDR remark."""
    evses: list[int] = []
    orphans = (
        OcppTransaction.objects.select_for_update(of=("self",))
        .filter(
            charge_point_id=tx.charge_point_id,
            evse_id=tx.evse_id,
            state=OcppTransaction.State.ACTIVE,
            started_at__lt=tx.started_at,
        )
        .exclude(pk=tx.pk)
    )
    for orphan in orphans.select_related("session", "session__party", "token", "location"):
        last = orphan.readings.order_by("-timestamp").first()
        _remark(orphan, "no stop received: closed at the last reading when a new transaction started")
        evses += _stop(
            orphan, at=last.timestamp if last else orphan.started_at, meter_stop_wh=None, reason="Orphaned"
        )
    return evses


def _tx_lock(charge_point_id: int, transaction_id: str) -> OcppTransaction | None:
    """The transaction row, locked: one charger's messages may reach two processes around a reconnect."""
    try:
        return (
            OcppTransaction.objects.select_for_update(of=("self",))
            .select_related("session", "location")
            .get(charge_point_id=charge_point_id, transaction_id=transaction_id)
        )
    except OcppTransaction.DoesNotExist:
        return None


def _initial_state(tx: OcppTransaction) -> None:
    """The connector's state when the transaction starts, if it already tells charging or suspended."""
    if tx.evse_id is None:
        return
    connector = OcppConnector.objects.filter(
        charge_point_id=tx.charge_point_id, ocpp_evse_id=tx.evse_id
    ).first()
    if connector is not None and connector.ocpp_status in ("Charging", "SuspendedEV", "SuspendedEVSE"):
        _state_record(tx, tx.started_at, connector.ocpp_status)


def _start_key(connector_id: int, id_tag: str, meter_start_wh: Decimal, at: datetime) -> str:
    return f"{connector_id}|{id_tag.upper()}|{at.isoformat()}|{meter_start_wh}"


def transaction_start_known_v16(
    *, charge_point_id: int, connector_id: int, id_tag: str, meter_start_wh: Decimal, at: datetime
) -> StartResult | None:
    """The answer already given to this StartTransaction (a retransmission), or None when it is new."""
    start_key = _start_key(connector_id, id_tag, meter_start_wh, at)
    existing = OcppTransaction.objects.filter(charge_point_id=charge_point_id, start_key=start_key).first()
    if existing is None:
        return None
    return StartResult(str(existing.transaction_id), _decision_of(existing), [])


@transaction.atomic
def transaction_start_v16(
    *,
    charge_point_id: int,
    connector_id: int,
    id_tag: str,
    meter_start_wh: Decimal,
    at: datetime,
    decision: AuthDecision,
) -> StartResult:
    """OCPP 1.6 StartTransaction (§4.8): the transaction with its token `decision` (`authorize_id_tag`,
    taken by the caller) and, if accepted, a Session.

    The same StartTransaction twice (same connector, idTag, timestamp and meterStart: a retransmission
    after a lost answer) gets the first one's transactionId and answer back.
    """
    known = transaction_start_known_v16(
        charge_point_id=charge_point_id,
        connector_id=connector_id,
        id_tag=id_tag,
        meter_start_wh=meter_start_wh,
        at=at,
    )
    if known is not None:
        return known
    start_key = _start_key(connector_id, id_tag, meter_start_wh, at)
    charge_point = ChargePoint.objects.get(pk=charge_point_id)
    try:
        with transaction.atomic():
            tx = OcppTransaction.objects.create(
                charge_point=charge_point,
                ocpp_connector=_connector_of(charge_point_id, connector_id, 1),
                evse_id=connector_id,
                connector_id=1,
                start_key=start_key,
                id_tag=id_tag,
                token=decision.token,
                auth_status=decision.status.value,
                auth_method=decision.auth_method.value if decision.auth_method else "",
                authorization_reference=decision.authorization_reference,
                started_at=at,
                meter_start_wh=meter_start_wh,
                energy_until_wh=meter_start_wh,
                state=OcppTransaction.State.ACTIVE if decision.accepted else OcppTransaction.State.STOPPED,
            )
    except IntegrityError:
        existing = OcppTransaction.objects.get(charge_point_id=charge_point_id, start_key=start_key)
        return StartResult(str(existing.transaction_id), _decision_of(existing), [])
    tx.transaction_id = str(tx.pk)
    _tx_save(tx, "transaction_id")
    if not decision.accepted:
        # A refused start is no transaction (the charger stops, OCPP 1.6 §5.18 StopTransactionOnInvalidId);
        # its id is still unique and a later StopTransaction for it is simply acknowledged.
        return StartResult(tx.transaction_id, decision, [])
    evses = _close_orphans(tx)
    _initial_state(tx)
    _session_open(tx, decision, charge_point)
    return StartResult(tx.transaction_id, decision, evses + _transaction_changed_connector(tx, active=True))


@dataclass(frozen=True)
class MeterValuesItem:
    """One MeterValues message: its transaction id (optional in 1.6, absent in 2.0.1) or its EVSE."""

    charge_point_id: int
    transaction_id: str | None
    evse_id: int | None
    readings: Sequence[Reading]


@transaction.atomic
def meter_values_batch(*, items: Sequence[MeterValuesItem]) -> None:
    """MeterValues of many chargers in one database transaction: stored once, then PATCHed into each
    transaction's Session, in a fixed number of queries (run_ocpp batches what arrives together).

    Without a transaction id they belong to the transaction running on that connector or EVSE, if any;
    otherwise they are not about charging. Messages of one transaction are taken in the given order.
    """
    keys = _transaction_keys(items)
    transactions = _tx_lock_many({key for key in keys if key is not None})
    work: dict[int, tuple[OcppTransaction, list[Reading]]] = {}
    for item, key in zip(items, keys, strict=True):
        tx = transactions.get(key) if key is not None else None
        if tx is not None:
            work.setdefault(tx.pk, (tx, []))[1].extend(item.readings)
    pairs = list(work.values())
    if not pairs:
        return
    _readings_store_many(pairs)
    _session_progress_many(
        [(tx, readings) for tx, readings in pairs if tx.state == OcppTransaction.State.ACTIVE]
    )
    bulk_update_rows([tx for tx, _ in pairs], PROGRESS_FIELDS)


def _transaction_keys(items: Sequence[MeterValuesItem]) -> list[tuple[int, str] | None]:
    """(charger, transaction id) of each message: given, or the transaction running on its EVSE."""
    running: dict[tuple[int, int | None], str | None] = {}
    unnamed = [item for item in items if item.transaction_id is None and item.evse_id]
    if unnamed:
        for charger, evse, transaction_id in (
            OcppTransaction.objects.filter(
                charge_point_id__in={item.charge_point_id for item in unnamed},
                evse_id__in={item.evse_id for item in unnamed},
                state=OcppTransaction.State.ACTIVE,
                transaction_id__isnull=False,
            )
            .order_by("started_at", "pk")
            .values_list("charge_point_id", "evse_id", "transaction_id")
        ):
            running[(charger, evse)] = transaction_id  # the latest started wins
    keys: list[tuple[int, str] | None] = []
    for item in items:
        if item.transaction_id is not None:
            keys.append((item.charge_point_id, item.transaction_id))
        else:
            found = running.get((item.charge_point_id, item.evse_id or 0))
            keys.append((item.charge_point_id, found) if found is not None else None)
    return keys


_BATCH_FIELDS = (
    "charge_point_id",
    "transaction_id",
    "state",
    "started_at",
    "location_id",
    "tariff",
    "session_id",
    *PROGRESS_FIELDS,
)
"""What a batch of MeterValues reads of a transaction: loading the other columns of every locked row
(tokens, CdrLocation snapshot, stop fields) cost more than the lock."""


def _tx_lock_many(keys: set[tuple[int, str]]) -> dict[tuple[int, str], OcppTransaction]:
    """The transactions, locked (see `_tx_lock`), by (charger, transaction id)."""
    if not keys:
        return {}
    rows = (
        OcppTransaction.objects.select_for_update()
        .only(*_BATCH_FIELDS)
        .filter(
            charge_point_id__in={charger for charger, _ in keys},
            transaction_id__in={transaction_id for _, transaction_id in keys},
        )
        .order_by("pk")  # every batch locks in the same order: no deadlock between two batches
    )
    return {key: tx for tx in rows if (key := (tx.charge_point_id, str(tx.transaction_id))) in keys}


@transaction.atomic
def transaction_stop_v16(
    *,
    charge_point_id: int,
    transaction_id: str,
    meter_stop_wh: Decimal,
    at: datetime,
    reason: str,
    readings: Sequence[Reading],
) -> list[int]:
    """OCPP 1.6 StopTransaction (§4.10): its transactionData first, then the close (once)."""
    tx = _tx_lock(charge_point_id, transaction_id)
    if tx is None:
        logger.warning(
            "StopTransaction for unknown transaction %s of charger %s", transaction_id, charge_point_id
        )
        return []
    _readings_store(tx, readings)
    if tx.state != OcppTransaction.State.ACTIVE:
        _tx_save(tx, "meter_start_wh")
        return []
    return _stop(tx, at=at, meter_stop_wh=meter_stop_wh, reason=reason or "Local")


def transaction_decision_v201(*, charge_point_id: int, transaction_id: str) -> AuthDecision | None:
    """The token decision a 2.0.1 transaction already has (a repeated idToken is not asked again)."""
    tx = (
        OcppTransaction.objects.filter(charge_point_id=charge_point_id, transaction_id=transaction_id)
        .exclude(auth_status="")
        .select_related("token")
        .first()
    )
    return _decision_of(tx) if tx is not None else None


@dataclass(frozen=True)
class EventResult:
    """What a 2.0.1 TransactionEvent answers (idTokenInfo when an idToken came) and EVSEs to republish."""

    decision: AuthDecision | None
    evses: list[int]


@transaction.atomic
def transaction_event_v201(
    *,
    charge_point_id: int,
    event_type: str,
    at: datetime,
    transaction_info: Mapping[str, Any],
    evse: Mapping[str, Any] | None,
    id_token: Mapping[str, Any] | None,
    readings: Sequence[Reading],
    decision: AuthDecision | None = None,
) -> EventResult:
    """OCPP 2.0.1 TransactionEvent (E01-E15): Started / Updated / Ended, in any combination.

    `decision` is the caller's `authorize_id_tag` answer for the event's idToken (taken off the
    database threads); the first one a transaction gets is kept and answered to repeats.

    The first event seen creates the transaction (a lost Started does not lose the session). The
    Session is opened by the first event carrying an accepted idToken, which may come after the
    start (TxStartPoint EVConnected, E03). A repeated event (same seqNo, retransmitted) stores nothing
    new and answers the same.
    """
    transaction_id = str(transaction_info["transaction_id"])
    tx = _tx_lock(charge_point_id, transaction_id)
    evses: list[int] = []
    evse_id = evse.get("id") if evse else None
    connector_id = evse.get("connector_id") if evse else None
    if tx is None:
        try:
            with transaction.atomic():
                tx = OcppTransaction.objects.create(
                    charge_point_id=charge_point_id,
                    transaction_id=transaction_id,
                    evse_id=evse_id,
                    connector_id=connector_id,
                    ocpp_connector=_connector_of(charge_point_id, evse_id, connector_id),
                    started_at=min([at, *(r.timestamp for r in readings)]) if event_type != "Started" else at,
                    remote_start_id=transaction_info.get("remote_start_id"),
                )
        except IntegrityError:
            tx = _tx_lock(charge_point_id, transaction_id)
            assert tx is not None
        evses += _close_orphans(tx)
        evses += _transaction_changed_connector(tx, active=True)
    elif tx.evse_id is None and evse_id is not None:
        tx.evse_id, tx.connector_id = evse_id, connector_id
        tx.ocpp_connector = _connector_of(charge_point_id, evse_id, connector_id)
        _tx_save(tx, "evse_id", "connector_id", "ocpp_connector")
    charging_state = transaction_info.get("charging_state")
    if charging_state:
        _state_record(tx, at, charging_state)
        if tx.charging_state != charging_state:
            tx.charging_state = charging_state
            _tx_save(tx, "charging_state")
    _readings_store(tx, readings)
    if id_token is not None:
        if not tx.auth_status:
            if decision is None:
                decision = AuthDecision(AuthStatus.INVALID, reason="no decision taken")
            tx.id_tag = str(id_token.get("id_token", ""))[:36]
            tx.id_token_type = str(id_token.get("type", ""))[:20]
            tx.token = decision.token
            tx.auth_status = decision.status.value
            tx.auth_method = decision.auth_method.value if decision.auth_method else ""
            tx.authorization_reference = decision.authorization_reference
            _tx_save(
                tx,
                "id_tag",
                "id_token_type",
                "token",
                "auth_status",
                "auth_method",
                "authorization_reference",
            )
        else:
            decision = _decision_of(tx)
    else:
        decision = None
    if (
        tx.state == OcppTransaction.State.ACTIVE
        and tx.session is None
        and tx.auth_status == AuthStatus.ACCEPTED
    ):
        charge_point = ChargePoint.objects.get(pk=charge_point_id)
        _session_open(tx, decision or _decision_of(tx), charge_point)
    if tx.state != OcppTransaction.State.ACTIVE:
        _tx_save(tx, "meter_start_wh")
        return EventResult(decision, evses)
    if event_type == "Ended":
        end_wh = metering.context_register(readings, "Transaction.End")
        evses += _stop(
            tx, at=at, meter_stop_wh=end_wh, reason=str(transaction_info.get("stopped_reason") or "Local")
        )
    else:
        _session_progress(tx, readings)
        _tx_save(tx, *PROGRESS_FIELDS)
    return EventResult(decision, evses)
