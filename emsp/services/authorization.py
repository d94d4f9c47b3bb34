"""Real-time authorization as the eMSP (§12.2.3 POST {tokens_endpoint_url}/{token_uid}/authorize)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from emsp.models import AuthorizationRecord, TokenPolicy
from ocpi.core.exceptions import NotEnoughInformation, UnknownToken
from ocpi.core.types import DisplayText
from ocpi.models import Party
from ocpi.tokens.models import Token
from ocpi.tokens.schemas import AllowedType, AuthorizationInfo, LocationReferences
from ocpi.tokens.services import token_to_json


def _own_token(uid: str, token_type: str) -> Token:
    token = Token.objects.filter(
        uid__iexact=uid, type=token_type, party__platform__isnull=True, party__role="EMSP"
    ).first()
    if token is None:
        raise UnknownToken(f"Unknown token {uid} ({token_type})")
    return token


def _policy(token: Token) -> TokenPolicy | None:
    return TokenPolicy.objects.filter(token=token).first()


def _location_allowed(policy: TokenPolicy, caller_parties: list[Party], location: LocationReferences) -> bool:
    """A restriction names CPO parties ("CC-PID") or single locations ("CC-PID/location_id")."""
    allowed = {str(entry).upper() for entry in policy.allowed_locations}
    for party in caller_parties:
        if party.role != "CPO":
            continue
        key = f"{party.country_code}-{party.party_id}"
        if key in allowed or f"{key}/{location.location_id.upper()}" in allowed:
            return True
    return False


def _decide(
    token: Token, policy: TokenPolicy | None, caller_parties: list[Party], location: LocationReferences | None
) -> AllowedType:
    if not token.valid:
        return AllowedType.BLOCKED
    if policy is None:
        return AllowedType.ALLOWED
    if policy.expires_at is not None and policy.expires_at <= timezone.now():
        return AllowedType.EXPIRED
    if policy.no_credit:
        return AllowedType.NO_CREDIT
    if policy.allowed_locations:
        if location is None:
            raise NotEnoughInformation(
                "This token is restricted to some locations: LocationReferences are needed to authorize it"
            )
        if not _location_allowed(policy, caller_parties, location):
            return AllowedType.NOT_ALLOWED
    return AllowedType.ALLOWED


@transaction.atomic
def token_authorize(
    *,
    uid: str,
    token_type: str = "RFID",
    location: LocationReferences | None,
    caller_parties: list[Party],
    requested_by: str = "",
) -> AuthorizationInfo:
    """Decide, record and answer. Unknown token: 2004 (HTTP 404). Restricted token without location: 2002."""
    token = _own_token(uid, token_type)
    policy = _policy(token)
    allowed = _decide(token, policy, caller_parties, location)
    reference = uuid.uuid4().hex[:36]
    AuthorizationRecord.objects.create(
        token=token,
        authorization_reference=reference,
        allowed=allowed.value,
        location_id=location.location_id if location else "",
        evse_uids=list(location.evse_uids or []) if location else [],
        requested_by=requested_by,
    )
    info = None
    if policy is not None and policy.info:
        info = DisplayText(language=policy.info_language, text=policy.info)
    return AuthorizationInfo.model_validate(
        {
            "allowed": allowed,
            "token": token_to_json(token),
            # §12.3.1: the location is echoed only when the driver may charge there.
            "location": location.to_json()
            if location is not None and allowed == AllowedType.ALLOWED
            else None,
            "authorization_reference": reference,
            "info": info.to_json() if info else None,
        }
    )
