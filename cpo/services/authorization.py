"""The CPO's decision on a token shown at a charger (§12.1.3 real-time authorization, §12.4.6 WhitelistType).

Order: the stored token (pushed or pulled from its eMSP) and its whitelist type first; real-time
authorization with the owning eMSP when the whitelist type asks for it, with a timeout; the
documented fallback when the eMSP does not answer (docs/decisions.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from pydantic import ValidationError

from ocpi.core.client import OcpiClient, OcpiClientError, OcpiStatusError
from ocpi.core.routing import PartyRef
from ocpi.models import Party, Platform
from ocpi.tokens.models import Token
from ocpi.tokens.schemas import AllowedType, AuthorizationInfo, LocationReferences, WhitelistType
from ocpi.tokens.services import token_put

logger = logging.getLogger("cpo.authorization")


@dataclass(frozen=True)
class TokenDecision:
    """What the charger is told, and why."""

    allowed: AllowedType | None  # None: unknown token
    token: Token | None
    authorization_reference: str | None = None
    source: str = "whitelist"  # whitelist | realtime | offline-fallback | unknown
    location: LocationReferences | None = None

    @property
    def is_allowed(self) -> bool:
        return self.allowed == AllowedType.ALLOWED


def _stored_token(uid: str, token_type: str) -> Token | None:
    return (
        Token.objects.filter(uid__iexact=uid, type=token_type)
        .select_related("party", "party__platform")
        .order_by("-last_updated")
        .first()
    )


def _authorize_url(platform: Platform, uid: str, token_type: str) -> str | None:
    base = platform.endpoint_url("tokens", "SENDER")
    if base is None:
        return None
    return f"{base.rstrip('/')}/{uid}/authorize?type={token_type}"


def _realtime(
    platform: Platform,
    uid: str,
    token_type: str,
    location: LocationReferences | None,
    to_party: PartyRef | None,
) -> AuthorizationInfo | None:
    """POST .../authorize at the eMSP: None when unknown there (2004); OcpiClientError if unreachable."""
    url = _authorize_url(platform, uid, token_type)
    if url is None:
        raise OcpiClientError(f"{platform.name} has no tokens Sender endpoint for real-time authorization")
    own = Party.objects.own().filter(role="CPO").first()
    client = OcpiClient(
        token=platform.outgoing_token,
        timeout=settings.OCPI_AUTHORIZE_TIMEOUT,
        module="tokens",
        from_party=PartyRef(own.country_code, own.party_id) if own else None,
        to_party=to_party,
    )
    try:
        result = client.post(url, location.to_json() if location is not None else None)
    except OcpiStatusError as exc:
        if exc.status_code == 2004:
            return None
        raise
    try:
        return AuthorizationInfo.model_validate(result.data)
    except ValidationError as exc:
        raise OcpiClientError(f"invalid AuthorizationInfo from {platform.name}: {exc}") from exc


def _cache(info: AuthorizationInfo, platform: Platform) -> Token | None:
    """Keep the token the eMSP answered with (§12.3.1 carries the complete Token)."""
    party = Party.objects.filter(
        platform=platform, country_code=info.token.country_code.upper(), party_id=info.token.party_id.upper()
    ).first()
    if party is None:
        return None
    token, _ = token_put(party=party, data=info.token)
    return token


def _from_info(info: AuthorizationInfo, platform: Platform) -> TokenDecision:
    return TokenDecision(
        allowed=info.allowed,
        token=_cache(info, platform),
        authorization_reference=info.authorization_reference,
        source="realtime",
        location=info.location,
    )


def token_decide(
    *, uid: str, token_type: str = "RFID", location: LocationReferences | None = None
) -> TokenDecision:
    """Decide whether the token may charge.

    - stored, whitelist ALWAYS or ALLOWED: the stored `valid` decides (no network call);
    - stored, ALLOWED_OFFLINE: real-time; eMSP unreachable -> ALLOWED (§12.4.6);
    - stored, NEVER: real-time; eMSP unreachable -> not allowed (fallback BLOCKED);
    - unknown: real-time at every registered eMSP with a tokens Sender endpoint, first answer wins.
    """
    stored = _stored_token(uid, token_type)
    if stored is None:
        return _ask_everyone(uid, token_type, location)
    whitelist = WhitelistType(stored.whitelist)
    local = AllowedType.ALLOWED if stored.valid else AllowedType.BLOCKED
    platform = stored.party.platform
    if whitelist in (WhitelistType.ALWAYS, WhitelistType.ALLOWED) or platform is None:
        return TokenDecision(allowed=local, token=stored, source="whitelist")
    to_party = PartyRef(stored.country_code, stored.ocpi_party_id)
    try:
        info = _realtime(platform, uid, token_type, location, to_party)
    except OcpiClientError as exc:
        logger.warning("real-time authorization of %s at %s failed: %s", uid, platform.name, exc)
        fallback = AllowedType.ALLOWED if whitelist == WhitelistType.ALLOWED_OFFLINE else AllowedType.BLOCKED
        return TokenDecision(allowed=fallback, token=stored, source="offline-fallback")
    if info is None:
        return TokenDecision(allowed=None, token=stored, source="unknown")
    return _from_info(info, platform)


def _ask_everyone(uid: str, token_type: str, location: LocationReferences | None) -> TokenDecision:
    platforms = Platform.objects.filter(
        status=Platform.Status.REGISTERED, endpoints__identifier="tokens", endpoints__role="SENDER"
    ).prefetch_related("endpoints")
    for platform in platforms:
        try:
            info = _realtime(platform, uid, token_type, location, None)
        except OcpiClientError as exc:
            logger.info("real-time authorization of unknown %s at %s failed: %s", uid, platform.name, exc)
            continue
        if info is not None:
            return _from_info(info, platform)
    return TokenDecision(allowed=None, token=None, source="unknown")
