"""The CPO's decision on a token shown at a charger (§12.1.3 real-time authorization, §12.4.6 WhitelistType).

Order: the stored token (pushed or pulled from its eMSP) and its whitelist type first; real-time
authorization with the owning eMSP when the whitelist type asks for it, with a timeout; the
documented fallback when the eMSP does not answer (docs/decisions.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models.functions import Upper
from pydantic import ValidationError

from ocpi.core.client import OcpiClient, OcpiClientError, OcpiStatusError
from ocpi.core.routing import PartyRef
from ocpi.models import Party, Platform
from ocpi.tokens.models import Token
from ocpi.tokens.schemas import AllowedType, AuthorizationInfo, LocationReferences, TokenType, WhitelistType
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


def token_find(*, uid: str, token_type: str | None = None, by_contract_id: bool = False) -> Token | None:
    """The stored Token shown at a charger: uid (or contract_id) matched case-insensitively (§16.1 CiString).

    uid is unique only with type and eMSP (§12.3.2); without a type (OCPP 1.6 idTags carry none) RFID
    tokens come first, then the most recently updated.
    """
    queryset = Token.objects.select_related("party", "party__platform")
    if by_contract_id:
        queryset = queryset.alias(key_ci=Upper("contract_id"))
    else:
        queryset = queryset.alias(key_ci=Upper("uid"))
        if token_type is not None:
            queryset = queryset.filter(type=token_type)
    candidates = list(queryset.filter(key_ci=uid.upper()).order_by("-last_updated", "-pk")[:20])
    candidates.sort(key=lambda t: t.type != TokenType.RFID.value)
    return candidates[0] if candidates else None


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


def _offline(stored: Token) -> TokenDecision:
    """No answer from the eMSP: ALLOWED_OFFLINE may charge (§12.4.6), NEVER may not (docs/decisions.md)."""
    whitelist = WhitelistType(stored.whitelist)
    fallback = AllowedType.ALLOWED if whitelist == WhitelistType.ALLOWED_OFFLINE else AllowedType.BLOCKED
    if not stored.valid:
        fallback = AllowedType.BLOCKED
    return TokenDecision(allowed=fallback, token=stored, source="offline-fallback")


def token_decide(
    *,
    uid: str,
    token_type: str | None = "RFID",
    location: LocationReferences | None = None,
    by_contract_id: bool = False,
    realtime: bool = True,
) -> TokenDecision:
    """Decide whether the token may charge.

    - stored, whitelist ALWAYS or ALLOWED: the stored `valid` decides (no network call);
    - stored, ALLOWED_OFFLINE: real-time; eMSP unreachable -> ALLOWED (§12.4.6);
    - stored, NEVER: real-time; eMSP unreachable -> not allowed (fallback BLOCKED);
    - unknown: real-time at every registered eMSP with a tokens Sender endpoint, first answer wins
      (not for a contract id: real-time authorization names a token uid, §12.2.3).

    `token_type` None matches any type (RFID first); `realtime=False` takes the offline fallbacks
    without calling anyone (a charger that cannot wait any longer).
    """
    stored = token_find(uid=uid, token_type=token_type, by_contract_id=by_contract_id)
    if stored is None:
        if by_contract_id or not realtime:
            return TokenDecision(allowed=None, token=None, source="unknown")
        return _ask_everyone(uid, token_type or TokenType.RFID.value, location)
    whitelist = WhitelistType(stored.whitelist)
    local = AllowedType.ALLOWED if stored.valid else AllowedType.BLOCKED
    platform = stored.party.platform
    if whitelist in (WhitelistType.ALWAYS, WhitelistType.ALLOWED) or platform is None:
        return TokenDecision(allowed=local, token=stored, source="whitelist")
    if not realtime:
        return _offline(stored)
    to_party = PartyRef(stored.country_code, stored.ocpi_party_id)
    try:
        info = _realtime(platform, stored.uid, stored.type, location, to_party)
    except OcpiClientError as exc:
        logger.warning("real-time authorization of %s at %s failed: %s", uid, platform.name, exc)
        return _offline(stored)
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
