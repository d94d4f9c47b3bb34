"""Pushing our own eMSP's Tokens to partner CPOs through the durable outbox (§12.1.1 Push model).

An eMSP "pushes [a new Token] to the CPO by calling PUT" and sends changes "by calling either the PUT
or the PATCH" (§12.1.1) on `{tokens_endpoint_url}/{country_code}/{party_id}/{token_uid}[?type={type}]`
(§12.2.1). The token services call `token_pushed` in the transaction of the change; only tokens of our
own parties (no platform) are pushed, partners' copies never are. Every registered partner with a
Tokens Receiver endpoint gets the message, addressed to its CPO party when it has one.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from ocpi.core.exceptions import UnknownToken
from ocpi.core.routing import PartyRef
from ocpi.core.types import Role
from ocpi.models import Party
from ocpi.sync.outbox import Push, outbox_enqueue, push_audience
from ocpi.tokens.models import Token
from ocpi.tokens.schemas import TokenType
from ocpi.tokens.selectors import token_get
from ocpi.tokens.services import token_to_json

MODULE = "tokens"


def token_object_key(token: Token) -> str:
    """CC/PID/uid/type: uid alone is not unique (§12.3.2), so the type is part of the object."""
    return f"{token.country_code}/{token.ocpi_party_id}/{token.uid}/{token.type}"


def token_path(token: Token) -> str:
    """`/{country_code}/{party_id}/{token_uid}[?type={type}]` (§12.2.1); ?type only when not RFID,
    the Receiver's default."""
    path = f"/{token.country_code}/{token.ocpi_party_id}/{quote(token.uid, safe='')}"
    if token.type != TokenType.RFID:
        path += f"?type={token.type}"
    return path


def token_put_push(token: Token) -> Push:
    """PUT of the whole Token (§12.2.1.2)."""
    return Push(
        module=MODULE,
        object_key=token_object_key(token),
        method="PUT",
        path=token_path(token),
        body=token_to_json(token),
        from_party=PartyRef(token.country_code, token.ocpi_party_id),
    )


def token_patch_push(token: Token, fields: Sequence[str]) -> Push:
    """PATCH of the changed fields only, always with `last_updated` (§12.2.1.3); a cleared optional
    field is sent as null."""
    current = token_to_json(token)
    body = {name: current.get(name) for name in fields}
    body["last_updated"] = current["last_updated"]
    return Push(
        module=MODULE,
        object_key=token_object_key(token),
        method="PATCH",
        path=token_path(token),
        body=body,
        from_party=PartyRef(token.country_code, token.ocpi_party_id),
    )


def token_pushed(*, token: Token, party: Party, created: bool, fields: Sequence[str] | None = None) -> None:
    """Queue the change of one of our tokens: a PUT when new or replaced (`fields` None), else a PATCH
    of `fields`. Partners' tokens (party of a platform) are never pushed. Call it inside the change's
    transaction."""
    if party.platform_id is not None:
        return
    push = token_put_push(token) if created or fields is None else token_patch_push(token, fields)
    outbox_enqueue(push=push, audience=push_audience(module=MODULE, owner=party, to_role=Role.CPO))


def token_resync(object_key: str, path: str) -> Push | None:
    """A PUT of the whole current Token when a partner answered a PATCH with "unknown" (sync engine)."""
    country_code, party_id, rest = object_key.split("/", 2)
    uid, token_type = rest.rsplit("/", 1)
    try:
        token = token_get(country_code=country_code, party_id=party_id, uid=uid, type=token_type)
    except UnknownToken:
        return None
    return token_put_push(token)
