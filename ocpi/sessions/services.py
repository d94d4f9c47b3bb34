"""Writes and wire conversion of Sessions (§9.2.2 Receiver interface: PUT and PATCH), role neutral.

The same services store a partner CPO's session pushed to our eMSP and our own CPO's sessions. The
owner's `last_updated` is stored; a PUT or PATCH that changes nothing else writes nothing (lesson 10).

A change to a session of our own CPO (a party without platform) is queued, in the same transaction,
for the eMSP owning its token (`ocpi.sessions.push`): a PUT when new or replaced, a PATCH with only
what is new otherwise (§9.1.1, §9.2.2.3). Nothing is pushed when nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Upper
from pydantic import TypeAdapter, ValidationError

from ocpi.core.db import bulk_update_rows, insert_values
from ocpi.core.exceptions import validation_error
from ocpi.core.patch import check_path_ids, validate_patch
from ocpi.core.types import Number, Price, format_datetime, number_json
from ocpi.models import Party
from ocpi.sessions import schemas
from ocpi.sessions.models import Session, SessionChargingPeriod, fit_amount

_NUMBER: TypeAdapter[Decimal] = TypeAdapter(Number)
_KEY_FIELDS = ("country_code", "party_id", "id")


def cdr_token_columns(token: schemas.CdrToken) -> dict[str, Any]:
    """The §10.4.5 CdrToken as filter columns; the eMSP codes upper case, to match Party rows."""
    return {
        "cdr_token": token.to_json(),
        "token_country_code": token.country_code.upper(),
        "token_party_id": token.party_id.upper(),
        "token_uid": token.uid,
        "token_type": token.type.value,
        "token_contract_id": token.contract_id,
    }


def _parse(data: schemas.Session | Mapping[str, Any]) -> schemas.Session:
    if isinstance(data, schemas.Session):
        return data
    try:
        return schemas.Session.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def _columns(session: schemas.Session) -> dict[str, Any]:
    total = session.total_cost
    return {
        "ocpi_id": session.id,
        "start_date_time": session.start_date_time,
        "end_date_time": session.end_date_time,
        "kwh": fit_amount("kwh", session.kwh),
        **cdr_token_columns(session.cdr_token),
        "auth_method": session.auth_method.value,
        "authorization_reference": session.authorization_reference,
        "location_id": session.location_id,
        "evse_uid": session.evse_uid,
        "connector_id": session.connector_id,
        "meter_id": session.meter_id,
        "currency": session.currency,
        "total_cost_excl_vat": fit_amount("total_cost.excl_vat", total.excl_vat) if total else None,
        "total_cost_incl_vat": fit_amount("total_cost.incl_vat", total.incl_vat) if total else None,
        "status": session.status.value,
        "last_updated": session.last_updated,
    }


def _apply(session: Session, values: Mapping[str, Any], *, periods_changed: bool = False) -> list[str]:
    """Assign the values that differ; `last_updated` only follows a real change (interop lesson 10)."""
    changed = [
        name for name, value in values.items() if name != "last_updated" and getattr(session, name) != value
    ]
    if not changed and not periods_changed:
        return []
    for name in changed:
        setattr(session, name, values[name])
    session.last_updated = values["last_updated"]
    return [*changed, "last_updated"]


def _period_rows(session: Session, periods: Sequence[schemas.ChargingPeriod], *, first: int) -> list[Any]:
    """Rows of `periods` from position `first`."""
    return [
        SessionChargingPeriod(
            session=session, position=first + n, start_date_time=period.start_date_time, data=period.to_json()
        )
        for n, period in enumerate(periods)
    ]


def _find_for_update(*, party: Party, session_id: str) -> Session | None:
    return (
        Session.objects.select_for_update()
        .alias(id_ci=Upper("ocpi_id"))
        .filter(country_code=party.country_code, ocpi_party_id=party.party_id, id_ci=session_id.upper())
        .first()
    )


@transaction.atomic
def session_put(
    *, party: Party, data: schemas.Session | Mapping[str, Any], session_id: str | None = None
) -> tuple[Session, bool]:
    """§9.2.2.2 PUT: create or replace the Session of CPO `party`; returns (session, created).

    The Session's country_code/party_id SHALL be the party's, as in the URL (InvalidParameters).
    The new object replaces the stored one, charging periods included: an omitted or empty list
    removes them. `session_id` is the URL's, when given, and must match the body's `id`.
    """
    session = _parse(data)
    path = {"country_code": party.country_code, "party_id": party.party_id}
    if session_id is not None:
        path["id"] = session_id
    check_path_ids(
        path=path, body={"country_code": session.country_code, "party_id": session.party_id, "id": session.id}
    )
    values = _columns(session)
    periods = session.charging_periods or []
    existing = _find_for_update(party=party, session_id=session.id)
    if existing is None:
        try:
            with transaction.atomic():
                created = Session.objects.create(
                    party=party, country_code=party.country_code, ocpi_party_id=party.party_id, **values
                )
                SessionChargingPeriod.objects.bulk_create(_period_rows(created, periods, first=0))
        except IntegrityError:
            # A concurrent PUT of the same session won the insert: replace it instead.
            existing = _find_for_update(party=party, session_id=session.id)
            if existing is None:
                raise
        else:
            _announce(session=created, party=party, created=True)
            return created, True
    stored = list(existing.charging_periods.order_by("position").values_list("data", flat=True))
    periods_changed = stored != [period.to_json() for period in periods]
    changed = _apply(existing, values, periods_changed=periods_changed)
    if changed:
        existing.save(update_fields=changed)
    if periods_changed:
        existing.charging_periods.all().delete()
        SessionChargingPeriod.objects.bulk_create(_period_rows(existing, periods, first=0))
    if changed:
        _announce(session=existing, party=party, created=False)
    return existing, False


@transaction.atomic
def session_patch(*, session: Session, patch: Mapping[str, Any]) -> Session:
    """§9.2.2.3 PATCH: replace the fields present, and APPEND the `charging_periods` given.

    An omitted or empty `charging_periods` leaves the stored list alone (§9.2.2.3, interop lesson 11);
    replacing periods takes a PUT. A period equal to one already stored (same start, dimensions and
    tariff) is not appended again: it is a retried PATCH, not a new period. The key (country_code,
    party_id, id) cannot change. `last_updated` is required. Returns the stored session.
    """
    fields = validate_patch(schemas.Session, patch)
    locked = Session.objects.select_for_update().get(pk=session.pk)
    current = _session_dict(locked, [])
    check_path_ids(path={name: current[name] for name in _KEY_FIELDS}, body=patch)
    merged = _parse({**current, **{name: patch[name] for name in fields}})
    incoming = merged.charging_periods or []
    new_periods: list[schemas.ChargingPeriod] = []
    if incoming:
        starts = {period.start_date_time for period in incoming}
        known = list(
            locked.charging_periods.filter(start_date_time__in=starts).values_list("data", flat=True)
        )
        for period in incoming:
            as_json = period.to_json()
            if as_json not in known:
                known.append(as_json)
                new_periods.append(period)
    changed = _apply(locked, _columns(merged), periods_changed=bool(new_periods))
    if changed:
        locked.save(update_fields=changed)
    if new_periods:
        last = locked.charging_periods.aggregate(last=Max("position"))["last"]
        first = 0 if last is None else last + 1
        SessionChargingPeriod.objects.bulk_create(_period_rows(locked, new_periods, first=first))
    if changed:
        _announce(
            session=locked,
            party=locked.party,
            created=False,
            columns=[name for name in changed if name != "last_updated"],
            new_periods=[period.to_json() for period in new_periods],
        )
    return locked


@dataclass(frozen=True)
class SessionProgress:
    """What a running session gained (§9.2.2.3 PATCH fields): `kwh` and `total_cost` when they changed,
    the charging periods that follow the stored ones."""

    session_id: int
    last_updated: datetime
    kwh: Decimal | None = None
    total_cost: Price | None = None
    charging_periods: Sequence[schemas.ChargingPeriod] = ()


_PROGRESS_READ = (
    "country_code",
    "ocpi_party_id",
    "ocpi_id",
    "token_country_code",
    "token_party_id",
    "kwh",
    "total_cost_excl_vat",
    "total_cost_incl_vat",
    "last_updated",
    "party__platform_id",
    "party__country_code",
    "party__party_id",
)
"""What `sessions_progress` reads of a session: what it may change, its PATCH's path and addressee, and
whether it is ours. Every other column of every session of a batch would be read and converted for
nothing."""


@transaction.atomic(savepoint=False)
def sessions_progress(*, updates: Sequence[SessionProgress]) -> list[Session]:
    """Many running sessions' progress at once: each applied as `session_patch` would apply it (fields
    replaced, periods appended, a PATCH with only what is new queued for the token's eMSP), in a fixed
    number of queries whatever the number of sessions (the OCPP bridge writes every MeterValues).

    Append-only by construction: a period starting at or before a session's last stored period is a
    repeat and is dropped (as `session_patch` drops a period already stored). Values are typed already
    (schemas, Decimal); amounts are checked against the columns. Returns the sessions that changed.
    No savepoint inside the caller's transaction (a batch writer's hot path): if it fails, the
    caller's transaction fails with it.
    """
    if not updates:
        return []
    # The last stored period of each session, found through the (session, position) index: the
    # periods are append-only, so the last one also starts latest. An aggregate over all of them
    # would make every update of a long session cost more.
    last_period = SessionChargingPeriod.objects.filter(session_id=OuterRef("pk")).order_by("-position")
    locked = (
        Session.objects.select_for_update(of=("self",))
        .select_related("party")
        .only(*_PROGRESS_READ)
        .annotate(
            last_position=Subquery(last_period.values("position")[:1]),
            last_start=Subquery(last_period.values("start_date_time")[:1]),
        )
        .in_bulk([u.session_id for u in updates])
    )
    tails = {pk: (s.last_position, s.last_start) for pk, s in locked.items() if s.last_position is not None}
    changed_sessions: list[tuple[Session, list[str], list[dict[str, Any]]]] = []
    rows: list[tuple[int, int, datetime, dict[str, Any]]] = []
    for update in updates:
        session = locked[update.session_id]
        last, latest = tails.get(session.pk, (None, None))
        periods = [p for p in update.charging_periods if latest is None or p.start_date_time > latest]
        values: dict[str, Any] = {"last_updated": update.last_updated}
        if update.kwh is not None:
            values["kwh"] = fit_amount("kwh", update.kwh)
        if update.total_cost is not None:
            values["total_cost_excl_vat"] = fit_amount("total_cost.excl_vat", update.total_cost.excl_vat)
            values["total_cost_incl_vat"] = fit_amount("total_cost.incl_vat", update.total_cost.incl_vat)
        changed = _apply(session, values, periods_changed=bool(periods))
        if not changed:
            continue
        as_json = [period.to_json() for period in periods]
        first = 0 if last is None else last + 1
        rows += [
            (session.pk, first + n, period.start_date_time, data)
            for n, (period, data) in enumerate(zip(periods, as_json, strict=True))
        ]
        if periods:
            tails[session.pk] = (len(periods) + (-1 if last is None else last), periods[-1].start_date_time)
        changed_sessions.append((session, changed, as_json))
    if not changed_sessions:
        return []
    fields = sorted({name for _, changed, _ in changed_sessions for name in changed})
    bulk_update_rows([session for session, _, _ in changed_sessions], fields)
    insert_values(SessionChargingPeriod, ("session_id", "position", "start_date_time", "data"), rows)
    own = [(s, c, p) for s, c, p in changed_sessions if s.party.platform_id is None]
    if own:
        # Imported here: the push module builds its bodies with this module's wire conversion.
        from ocpi.sessions.push import sessions_patched

        sessions_patched(
            changes=[
                (session, [n for n in changed if n != "last_updated"], periods)
                for session, changed, periods in own
            ]
        )
    return [session for session, _, _ in changed_sessions]


def _announce(
    *,
    session: Session,
    party: Party,
    created: bool,
    columns: list[str] | None = None,
    new_periods: list[dict[str, Any]] | None = None,
) -> None:
    """Queue the push of a change to one of our own sessions, in the caller's transaction."""
    if party.platform_id is not None:
        return
    # Imported here: the push module builds its bodies with this module's wire conversion.
    from ocpi.sessions.push import session_pushed

    session_pushed(
        session=session, party=party, created=created, columns=columns, new_periods=new_periods or ()
    )


def _total_cost_json(session: Session) -> dict[str, Any] | None:
    if session.total_cost_excl_vat is None:
        return None
    total: dict[str, Any] = {"excl_vat": number_json(session.total_cost_excl_vat)}
    if session.total_cost_incl_vat is not None:
        total["incl_vat"] = number_json(session.total_cost_incl_vat)
    return total


def _optional_datetime(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


_WIRE_VALUES: dict[str, Callable[[Session], Any]] = {
    "country_code": lambda s: s.country_code,
    "party_id": lambda s: s.ocpi_party_id,
    "id": lambda s: s.ocpi_id,
    "start_date_time": lambda s: format_datetime(s.start_date_time),
    "end_date_time": lambda s: _optional_datetime(s.end_date_time),
    "kwh": lambda s: number_json(s.kwh),
    "cdr_token": lambda s: s.cdr_token,
    "auth_method": lambda s: s.auth_method,
    "authorization_reference": lambda s: s.authorization_reference,
    "location_id": lambda s: s.location_id,
    "evse_uid": lambda s: s.evse_uid,
    "connector_id": lambda s: s.connector_id,
    "meter_id": lambda s: s.meter_id,
    "currency": lambda s: s.currency,
    "total_cost": _total_cost_json,
    "status": lambda s: s.status,
    "last_updated": lambda s: format_datetime(s.last_updated),
}
"""Each §9.3.1 field but `charging_periods` (stored apart), in wire order, from its columns only."""

_OMITTED_WHEN_NULL = frozenset({"end_date_time", "authorization_reference", "meter_id", "total_cost"})
"""Optional fields a whole Session leaves out when they have no value."""


def session_wire_fields(session: Session, names: Iterable[str]) -> dict[str, Any]:
    """The named §9.3.1 fields as wire JSON, a cleared one as null, reading only their columns (a PATCH
    of a Session loaded with just those columns costs no query)."""
    return {name: _WIRE_VALUES[name](session) for name in names}


def _session_dict(session: Session, periods: list[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value_of in _WIRE_VALUES.items():
        if name == "total_cost" and periods:  # charging_periods come before total_cost on the wire
            data["charging_periods"] = periods
        value = value_of(session)
        if value is not None or name not in _OMITTED_WHEN_NULL:
            data[name] = value
    return data


def sessions_to_json(sessions: Sequence[Session]) -> list[dict[str, Any]]:
    """A page of §9.3.1 Sessions as wire JSON, built from columns and stored JSON.

    One query fetches the charging periods of the whole page, whatever its size.
    """
    if not sessions:
        return []
    periods: dict[int, list[Any]] = {session.pk: [] for session in sessions}
    rows = (
        SessionChargingPeriod.objects.filter(session_id__in=list(periods))
        .order_by("session_id", "position")
        .values_list("session_id", "data")
    )
    for session_pk, data in rows:
        periods[session_pk].append(data)
    return [_session_dict(session, periods[session.pk]) for session in sessions]


def session_to_json(session: Session) -> dict[str, Any]:
    """One §9.3.1 Session as wire JSON (one query, for its charging periods)."""
    return sessions_to_json([session])[0]
