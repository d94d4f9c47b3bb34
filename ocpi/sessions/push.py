"""Pushing our own CPO's Sessions to the eMSP of their token through the durable outbox (§9.1.1).

The CPO creates a Session on the eMSP with PUT and sends changes with PATCH on
`{sessions_endpoint_url}/{country_code}/{party_id}/{session_id}` (§9.2.2). A PATCH carries only what
is new: the changed fields, `last_updated`, and only the newly added `charging_periods`, which the
Receiver appends (§9.2.2.3, interop lesson 11). A Session goes to the eMSP owning its token only,
never to every partner (interop lesson 14). The session services call `session_pushed` in the
transaction of the change; partners' copies are never pushed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from ocpi.core.exceptions import UnknownObject
from ocpi.core.routing import PartyRef
from ocpi.models import Party, Platform
from ocpi.sessions.models import Session
from ocpi.sessions.selectors import session_get
from ocpi.sessions.services import session_to_json, session_wire_fields
from ocpi.sync.outbox import Push, outbox_enqueue, outbox_enqueue_many, push_audience

MODULE = "sessions"

_WIRE_FIELD = {
    "ocpi_id": "id",
    "ocpi_party_id": "party_id",
    "token_country_code": "cdr_token",
    "token_party_id": "cdr_token",
    "token_uid": "cdr_token",
    "token_type": "cdr_token",
    "token_contract_id": "cdr_token",
    "total_cost_excl_vat": "total_cost",
    "total_cost_incl_vat": "total_cost",
}
"""Session columns whose wire field has another name; the others are named as on the wire."""


def session_object_key(session: Session) -> str:
    return f"{session.country_code}/{session.ocpi_party_id}/{session.ocpi_id}"


def session_path(session: Session) -> str:
    """`/{country_code}/{party_id}/{session_id}` (§9.2.2)."""
    return f"/{session.country_code}/{session.ocpi_party_id}/{quote(session.ocpi_id, safe='')}"


def session_put_push(session: Session) -> Push:
    """PUT of the whole Session, all its charging periods included (§9.2.2.2)."""
    return Push(
        module=MODULE,
        object_key=session_object_key(session),
        method="PUT",
        path=session_path(session),
        body=session_to_json(session),
        from_party=PartyRef(session.country_code, session.ocpi_party_id),
    )


def session_patch_push(
    session: Session, columns: Iterable[str], new_periods: Sequence[dict[str, Any]] = ()
) -> Push:
    """PATCH of the changed fields, `last_updated` and the new charging periods only (§9.2.2.3).

    A cleared optional field is sent as null.
    """
    names = dict.fromkeys(_WIRE_FIELD.get(column, column) for column in columns if column != "last_updated")
    body = session_wire_fields(session, names)
    if new_periods:
        body["charging_periods"] = list(new_periods)
    body.update(session_wire_fields(session, ["last_updated"]))
    return Push(
        module=MODULE,
        object_key=session_object_key(session),
        method="PATCH",
        path=session_path(session),
        body=body,
        from_party=PartyRef(session.country_code, session.ocpi_party_id),
    )


def session_pushed(
    *,
    session: Session,
    party: Party,
    created: bool,
    columns: Iterable[str] | None = None,
    new_periods: Sequence[dict[str, Any]] = (),
) -> None:
    """Queue the change of one of our sessions for the eMSP of its token: a PUT when new or replaced
    (`columns` None), else a PATCH. Partners' sessions are never pushed. Call it inside the change's
    transaction."""
    if party.platform_id is not None:
        return
    if created or columns is None:
        push = session_put_push(session)
    else:
        push = session_patch_push(session, columns, new_periods)
    audience = push_audience(
        module=MODULE,
        owner=party,
        only_parties=[PartyRef(session.token_country_code, session.token_party_id)],
        to_role="EMSP",
    )
    outbox_enqueue(push=push, audience=audience)


def sessions_patched(*, changes: Sequence[tuple[Session, Sequence[str], Sequence[dict[str, Any]]]]) -> None:
    """`session_pushed` for many of our sessions' PATCHes at once: (session, changed columns, new
    periods as wire JSON). One audience look-up per eMSP, one outbox write for all."""
    audiences: dict[tuple[str, str], list[tuple[Platform, PartyRef | None]]] = {}
    pushes: list[tuple[Push, list[tuple[Platform, PartyRef | None]]]] = []
    for session, columns, new_periods in changes:
        key = (session.token_country_code, session.token_party_id)
        if key not in audiences:
            audiences[key] = push_audience(
                module=MODULE, owner=session.party, only_parties=[PartyRef(*key)], to_role="EMSP"
            )
        pushes.append((session_patch_push(session, columns, new_periods), audiences[key]))
    outbox_enqueue_many(pushes=pushes)


def session_resync(object_key: str, path: str) -> Push | None:
    """A PUT of the whole current Session (with all its charging periods) when a partner answered a
    PATCH with "unknown object" (§9.2.2.3: the Receiver may not know the Session)."""
    country_code, party_id, session_id = object_key.split("/", 2)
    try:
        session = session_get(country_code=country_code, party_id=party_id, session_id=session_id)
    except UnknownObject:
        return None
    return session_put_push(session)
