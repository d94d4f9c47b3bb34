"""Writes and wire conversion of Tokens (§12.2.1 Receiver interface: PUT and PATCH), role neutral.

The same services store a partner eMSP's token pushed to our CPO and our own eMSP's tokens. They never
bump `last_updated` on their own: the owner's value is stored, and a PUT or PATCH that changes nothing
but `last_updated` writes nothing (interop lesson 10: a bump without a change breaks date_from sync).

A change to a token of our own eMSP (a party without platform) is queued for the partner CPOs in the
same transaction (`ocpi.tokens.push`): a PUT when new or replaced, a PATCH of the changed fields
otherwise (§12.1.1 Push model). Nothing is pushed when nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from pydantic import ValidationError

from ocpi.core.exceptions import validation_error
from ocpi.core.patch import check_path_ids, validate_patch
from ocpi.core.types import format_datetime
from ocpi.models import Party
from ocpi.tokens import schemas
from ocpi.tokens.models import Token

_KEY_FIELDS = ("country_code", "party_id", "uid", "type")


def _parse(data: schemas.Token | Mapping[str, Any]) -> schemas.Token:
    if isinstance(data, schemas.Token):
        return data
    try:
        return schemas.Token.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def _columns(token: schemas.Token) -> dict[str, Any]:
    return {
        "uid": token.uid,
        "type": token.type.value,
        "contract_id": token.contract_id,
        "visual_number": token.visual_number,
        "issuer": token.issuer,
        "group_id": token.group_id,
        "valid": token.valid,
        "whitelist": token.whitelist.value,
        "language": token.language,
        "default_profile_type": token.default_profile_type.value if token.default_profile_type else None,
        "energy_contract": token.energy_contract.to_json() if token.energy_contract else None,
        "last_updated": token.last_updated,
    }


def _apply(token: Token, values: Mapping[str, Any]) -> list[str]:
    """Assign the values that differ; `last_updated` only follows a real change (interop lesson 10)."""
    changed = [
        name for name, value in values.items() if name != "last_updated" and getattr(token, name) != value
    ]
    if not changed:
        return []
    for name in changed:
        setattr(token, name, values[name])
    token.last_updated = values["last_updated"]
    return [*changed, "last_updated"]


def _find_for_update(*, party: Party, uid: str, type: str) -> Token | None:
    return (
        Token.objects.select_for_update()
        .alias(uid_ci=Upper("uid"))
        .filter(uid_ci=uid.upper(), type=type, country_code=party.country_code, ocpi_party_id=party.party_id)
        .first()
    )


@transaction.atomic
def token_put(
    *,
    party: Party,
    data: schemas.Token | Mapping[str, Any],
    uid: str | None = None,
    type: str | None = None,
) -> tuple[Token, bool]:
    """§12.2.1.2 PUT: create or replace the Token of eMSP `party`; returns (token, created).

    The Token's country_code/party_id SHALL be the party's, as in the URL. `uid` and `type` are the
    URL's token_uid and ?type when given; they must match the body (InvalidParameters). When the
    URL has no ?type the body's type is used, instead of the spec's RFID default: a partner pushing an
    APP_USER token without ?type means that token, not an RFID one.
    """
    token = _parse(data)
    path = {"country_code": party.country_code, "party_id": party.party_id}
    if uid is not None:
        path["uid"] = uid
    if type is not None:
        path["type"] = type
    check_path_ids(path=path, body=token.to_json())
    values = _columns(token)
    existing = _find_for_update(party=party, uid=token.uid, type=token.type.value)
    if existing is None:
        try:
            with transaction.atomic():
                created = Token.objects.create(
                    party=party, country_code=party.country_code, ocpi_party_id=party.party_id, **values
                )
        except IntegrityError:
            # A concurrent PUT of the same token won the insert: replace it instead.
            existing = _find_for_update(party=party, uid=token.uid, type=token.type.value)
            if existing is None:
                raise
        else:
            _announce(token=created, party=party, created=True)
            return created, True
    changed = _apply(existing, values)
    if changed:
        existing.save(update_fields=changed)
        _announce(token=existing, party=party, created=False)
    return existing, False


@transaction.atomic
def token_patch(*, token: Token, patch: Mapping[str, Any]) -> Token:
    """§12.2.1.3 PATCH: replace the fields present (nested objects whole); `last_updated` is required.

    The key (country_code, party_id, uid, type) cannot be changed by a PATCH. Returns the stored token.
    """
    fields = validate_patch(schemas.Token, patch)
    locked = Token.objects.select_for_update().get(pk=token.pk)
    current = token_to_json(locked)
    check_path_ids(path={name: current[name] for name in _KEY_FIELDS}, body=patch)
    merged = _parse({**current, **{name: patch[name] for name in fields}})
    changed = _apply(locked, _columns(merged))
    if changed:
        locked.save(update_fields=changed)
        _announce(token=locked, party=locked.party, created=False, fields=changed)
    return locked


def _announce(*, token: Token, party: Party, created: bool, fields: list[str] | None = None) -> None:
    """Queue the push of a change to one of our own tokens, in the caller's transaction."""
    if party.platform_id is not None:
        return
    # Imported here: the push module builds its bodies with this module's token_to_json.
    from ocpi.tokens.push import token_pushed

    token_pushed(token=token, party=party, created=created, fields=fields)


def token_to_json(token: Token) -> dict[str, Any]:
    """The §12.3.2 Token as wire JSON, straight from the columns (no schema round trip: list speed)."""
    data: dict[str, Any] = {
        "country_code": token.country_code,
        "party_id": token.ocpi_party_id,
        "uid": token.uid,
        "type": token.type,
        "contract_id": token.contract_id,
    }
    if token.visual_number is not None:
        data["visual_number"] = token.visual_number
    data["issuer"] = token.issuer
    if token.group_id is not None:
        data["group_id"] = token.group_id
    data["valid"] = token.valid
    data["whitelist"] = token.whitelist
    if token.language is not None:
        data["language"] = token.language
    if token.default_profile_type is not None:
        data["default_profile_type"] = token.default_profile_type
    if token.energy_contract is not None:
        data["energy_contract"] = token.energy_contract
    data["last_updated"] = format_datetime(token.last_updated)
    return data


def tokens_to_json(tokens: Iterable[Token]) -> list[dict[str, Any]]:
    """A page of tokens as wire JSON, without any query."""
    return [token_to_json(token) for token in tokens]
