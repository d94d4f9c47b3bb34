"""The credentials handshake (§7), both as the server (POST/PUT/DELETE received) and as the client.

Naming: the token a partner uses to call us is an "incoming" token (stored hashed), the token we use
to call it is the "outgoing" token (stored in clear, so we can send it). Token A is a registration
token: valid for versions and credentials only, spent by the registration.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from ocpi.core.auth import OcpiCaller
from ocpi.core.client import OcpiClient, OcpiClientError
from ocpi.core.exceptions import (
    InvalidParameters,
    MethodNotAllowed,
    NoMatchingEndpoints,
    OcpiError,
    UnableToUseClientApi,
    Unauthorized,
    UnsupportedVersion,
)
from ocpi.core.types import BusinessDetails, Role
from ocpi.credentials.schemas import Credentials, CredentialsRole
from ocpi.models import CredentialsToken, Party, Platform, PlatformEndpoint, token_hash
from ocpi.versions.registry import absolute_url
from ocpi.versions.schemas import Endpoint, Version, VersionDetails

logger = logging.getLogger("ocpi.credentials")

SUPPORTED_VERSION = "2.2.1"


class RegistrationFailed(Exception):
    """Client side: registering with, rotating or unregistering from a partner did not succeed."""


def new_token() -> str:
    """A fresh credentials token: 43 URL-safe characters, within §7.3's 64 printable ASCII.

    Never starting with "-": operators pass it on a command line (`ocpi_register <url> <token>`).
    """
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def our_credentials(*, token: str) -> Credentials:
    """Our Credentials object: the given token, our versions URL and every own party."""
    roles = []
    for party in Party.objects.own():
        logo = party.business_logo or None
        roles.append(
            CredentialsRole(
                role=Role(party.role),
                party_id=party.party_id,
                country_code=party.country_code,
                business_details=BusinessDetails.model_validate(
                    {"name": party.business_name, "website": party.business_website or None, "logo": logo}
                ),
            )
        )
    return Credentials(token=token, url=absolute_url("ocpi-versions"), roles=roles)


@dataclass(frozen=True)
class PartnerVersion:
    versions_url: str
    version: str
    version_url: str
    endpoints: list[Endpoint]

    def url_of(self, identifier: str) -> str | None:
        for endpoint in self.endpoints:
            if endpoint.identifier == identifier:
                return endpoint.url
        return None


def fetch_partner_version(*, versions_url: str, token: str) -> PartnerVersion:
    """GET the partner's versions and 2.2.1 details. 3001 if unreachable or invalid, 3002, 3003."""
    client = OcpiClient(token=token, module="versions")
    try:
        versions = [Version.model_validate(v) for v in client.get(versions_url).data or []]
    except (OcpiClientError, ValidationError, TypeError) as exc:
        raise UnableToUseClientApi(
            f"Unable to use the client's versions endpoint {versions_url}: {exc}"
        ) from exc
    match = next((v for v in versions if v.version == SUPPORTED_VERSION), None)
    if match is None:
        offered = ", ".join(v.version for v in versions) or "none"
        raise UnsupportedVersion(
            f"No mutual OCPI version: we support {SUPPORTED_VERSION}, client offers {offered}"
        )
    try:
        details = VersionDetails.model_validate(client.get(match.url).data)
    except (OcpiClientError, ValidationError) as exc:
        raise UnableToUseClientApi(f"Unable to use the client's version details {match.url}: {exc}") from exc
    partner = PartnerVersion(versions_url, match.version, match.url, details.endpoints)
    if partner.url_of("credentials") is None:
        raise NoMatchingEndpoints("The client's version details list no credentials endpoint")
    return partner


def _store_parties(platform: Platform, roles: Iterable[CredentialsRole]) -> None:
    """The partner's parties; a party another registered platform (or we) already has is refused."""
    for role in roles:
        cc, pid = role.country_code.upper(), role.party_id.upper()
        existing = (
            Party.objects.select_for_update().filter(country_code=cc, party_id=pid, role=role.role).first()
        )
        if existing is not None and existing.platform_id != platform.pk:
            owner = existing.platform
            if owner is None or owner.is_registered:
                raise InvalidParameters(
                    f"roles: party {cc}-{pid} {role.role} is already registered here by another platform"
                )
        details = role.business_details
        values = {
            "platform": platform,
            "business_name": details.name,
            "business_website": details.website or "",
            "business_logo": details.logo.to_json() if details.logo else None,
        }
        if existing is None:
            Party.objects.create(country_code=cc, party_id=pid, role=role.role, **values)
        else:
            for key, value in values.items():
                setattr(existing, key, value)
            existing.save()


def _store_partner(
    platform: Platform, *, credentials: Credentials, partner: PartnerVersion, outgoing_token: str
) -> None:
    now = timezone.now()
    platform.versions_url = partner.versions_url
    platform.version = partner.version
    platform.version_url = partner.version_url
    platform.outgoing_token = outgoing_token
    platform.status = Platform.Status.REGISTERED
    platform.registered_at = platform.registered_at or now
    platform.last_contact_at = now
    platform.last_error = ""
    platform.save()
    platform.endpoints.all().delete()
    PlatformEndpoint.objects.bulk_create(
        PlatformEndpoint(platform=platform, identifier=e.identifier, role=e.role.value, url=e.url)
        for e in partner.endpoints
    )
    _store_parties(platform, credentials.roles)


def _issue_token(platform: Platform) -> str:
    token = new_token()
    CredentialsToken.objects.create(
        platform=platform, kind=CredentialsToken.Kind.ACCESS, token_hash=token_hash(token)
    )
    return token


# --- server side ----------------------------------------------------------------------------------


def credentials_get(*, caller: OcpiCaller) -> Credentials:
    """GET: our credentials, with the very token the caller used (interop lesson 2: we only keep hashes)."""
    return our_credentials(token=caller.raw_token)


def registration_accept(*, caller: OcpiCaller, credentials: Credentials) -> Credentials:
    """POST (§7.2.2): fetch the client's endpoints with its token B, store it all, answer with token C."""
    if not caller.is_registration_token or caller.platform.is_registered:
        raise MethodNotAllowed("Already registered: use PUT to update credentials", http_status=405)
    partner = fetch_partner_version(versions_url=credentials.url, token=credentials.token)
    with transaction.atomic():
        token_a = CredentialsToken.objects.select_for_update().get(pk=caller.token.pk)
        if token_a.revoked_at is not None:
            raise Unauthorized("This registration token has already been used")
        platform = Platform.objects.select_for_update().get(pk=caller.platform.pk)
        if platform.is_registered:
            raise MethodNotAllowed("Already registered: use PUT to update credentials", http_status=405)
        _store_partner(platform, credentials=credentials, partner=partner, outgoing_token=credentials.token)
        token_a.revoked_at = timezone.now()
        token_a.save(update_fields=["revoked_at"])
        token_c = _issue_token(platform)
    logger.info("platform %s registered with us", platform.name)
    return our_credentials(token=token_c)


def credentials_update_accept(*, caller: OcpiCaller, credentials: Credentials) -> Credentials:
    """PUT (§7.2.3): re-fetch the client's endpoints, store its new token, rotate ours."""
    if caller.is_registration_token or not caller.platform.is_registered:
        raise MethodNotAllowed("Not registered: use POST to register", http_status=405)
    partner = fetch_partner_version(versions_url=credentials.url, token=credentials.token)
    with transaction.atomic():
        platform = Platform.objects.select_for_update().get(pk=caller.platform.pk)
        _store_partner(platform, credentials=credentials, partner=partner, outgoing_token=credentials.token)
        platform.tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        token_c = _issue_token(platform)
    logger.info("platform %s updated its credentials", platform.name)
    return our_credentials(token=token_c)


def _forget(platform: Platform) -> None:
    platform.tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    platform.endpoints.all().delete()
    platform.status = Platform.Status.UNREGISTERED
    platform.outgoing_token = ""
    platform.save()


def credentials_delete_accept(*, caller: OcpiCaller) -> None:
    """DELETE (§7.2.4): the client unregisters; its tokens stop working and we stop calling it."""
    if caller.is_registration_token or not caller.platform.is_registered:
        raise MethodNotAllowed("Not registered", http_status=405)
    with transaction.atomic():
        _forget(Platform.objects.select_for_update().get(pk=caller.platform.pk))
    logger.info("platform %s unregistered itself", caller.platform.name)


# --- client side ----------------------------------------------------------------------------------


def platform_invite(*, name: str) -> tuple[Platform, str]:
    """A Token A for a new partner (§7.1.1): create or reuse an INVITED platform, revoke older Token As."""
    with transaction.atomic():
        platform, _ = Platform.objects.get_or_create(name=name, defaults={"status": Platform.Status.INVITED})
        if platform.is_registered:
            raise RegistrationFailed(f"Platform {name!r} is already registered")
        platform.status = Platform.Status.INVITED
        platform.save(update_fields=["status", "updated_at"])
        platform.tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        token_a = new_token()
        CredentialsToken.objects.create(
            platform=platform, kind=CredentialsToken.Kind.REGISTRATION, token_hash=token_hash(token_a)
        )
    return platform, token_a


def _fail(platform: Platform, message: str) -> RegistrationFailed:
    Platform.objects.filter(pk=platform.pk).update(last_error=message[:2000])
    logger.warning("credentials call to %s failed: %s", platform.name, message)
    return RegistrationFailed(message)


def platform_create(*, versions_url: str, token_a: str, name: str | None = None) -> Platform:
    """An operator enters a partner's versions URL and the Token A it gave us."""
    return Platform.objects.create(
        name=name or versions_url[:100],
        versions_url=versions_url,
        outgoing_token=token_a,
        status=Platform.Status.NEW,
    )


def platform_register(*, platform: Platform) -> Platform:
    """We initiate (§7.1.1 as Sender): fetch with Token A, POST our token B, store their token C."""
    if platform.status not in (Platform.Status.NEW, Platform.Status.UNREGISTERED):
        raise RegistrationFailed(f"Platform {platform.name!r} is {platform.status}, expected NEW")
    if not platform.versions_url or not platform.outgoing_token:
        raise RegistrationFailed("The partner's versions URL and Token A are both needed")
    try:
        partner = fetch_partner_version(versions_url=platform.versions_url, token=platform.outgoing_token)
    except OcpiError as exc:
        raise _fail(platform, f"{int(exc.status_code)} {exc.message}") from exc
    credentials_url = partner.url_of("credentials")
    assert credentials_url is not None
    # Token B must be usable before the POST: the partner fetches our versions with it meanwhile.
    token_b = new_token()
    token_row = CredentialsToken.objects.create(
        platform=platform, kind=CredentialsToken.Kind.ACCESS, token_hash=token_hash(token_b)
    )
    try:
        client = OcpiClient(token=platform.outgoing_token, module="credentials")
        answer = client.post(credentials_url, our_credentials(token=token_b).to_json())
    except OcpiClientError as exc:
        token_row.delete()
        raise _fail(platform, f"Registration with {credentials_url} failed: {exc}") from exc
    try:
        theirs = Credentials.model_validate(answer.data)
        with transaction.atomic():
            _store_partner(platform, credentials=theirs, partner=partner, outgoing_token=theirs.token)
            # A Token A we may have issued to the same partner is moot now.
            platform.tokens.filter(kind=CredentialsToken.Kind.REGISTRATION, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
    except (ValidationError, OcpiError) as exc:
        # The partner has registered us already: unregister there too, so neither side keeps half of it.
        _undo_registration(credentials_url, answer.data)
        token_row.delete()
        raise _fail(platform, f"Registration with {credentials_url} failed: {exc}") from exc
    logger.info("registered with platform %s", platform.name)
    return platform


def _undo_registration(credentials_url: str, answer: object) -> None:
    """Best-effort DELETE at the partner with the token it just gave us (if it gave a usable one)."""
    token = answer.get("token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        logger.warning("cannot undo the registration at %s: its answer carries no token", credentials_url)
        return
    try:
        OcpiClient(token=token, module="credentials").delete(credentials_url)
    except OcpiClientError as exc:
        logger.warning("cannot undo the registration at %s: %s", credentials_url, exc)


def platform_update_credentials(*, platform: Platform) -> Platform:
    """Rotate (§7.1.4): PUT a fresh token B to the partner and store the new token C it answers."""
    if not platform.is_registered:
        raise RegistrationFailed(f"Platform {platform.name!r} is not registered")
    credentials_url = platform.endpoint_url("credentials", "SENDER") or platform.endpoint_url(
        "credentials", "RECEIVER"
    )
    if credentials_url is None:
        raise RegistrationFailed(f"Platform {platform.name!r} has no credentials endpoint")
    token_b = new_token()
    token_row = CredentialsToken.objects.create(
        platform=platform, kind=CredentialsToken.Kind.ACCESS, token_hash=token_hash(token_b)
    )
    try:
        client = OcpiClient(token=platform.outgoing_token, module="credentials")
        answer = client.put(credentials_url, our_credentials(token=token_b).to_json())
    except OcpiClientError as exc:
        token_row.delete()
        raise _fail(platform, f"Credentials update with {credentials_url} failed: {exc}") from exc
    # The partner accepted: from now on it calls us with token B only, and our old token is dead there.
    platform.tokens.filter(revoked_at__isnull=True).exclude(pk=token_row.pk).update(revoked_at=timezone.now())
    try:
        theirs = Credentials.model_validate(answer.data)
    except ValidationError as exc:
        raise _fail(platform, f"Credentials update with {credentials_url}: invalid answer: {exc}") from exc
    try:
        partner = fetch_partner_version(versions_url=theirs.url, token=theirs.token)
        with transaction.atomic():
            _store_partner(platform, credentials=theirs, partner=partner, outgoing_token=theirs.token)
    except OcpiError as exc:
        # Keep its new token and the endpoints we knew, and report.
        Platform.objects.filter(pk=platform.pk).update(outgoing_token=theirs.token)
        platform.outgoing_token = theirs.token
        raise _fail(
            platform,
            f"Credentials rotated with {credentials_url}, but refreshing its endpoints failed: {exc}",
        ) from exc
    logger.info("rotated credentials with platform %s", platform.name)
    return platform


def platform_unregister(*, platform: Platform, force: bool = False) -> Platform:
    """Unregister (§7.2.4 as client): DELETE our credentials at the partner, then forget it here.

    With `force`, the partner being unreachable does not stop us from forgetting it locally.
    """
    if not platform.is_registered:
        raise RegistrationFailed(f"Platform {platform.name!r} is not registered")
    credentials_url = platform.endpoint_url("credentials", "SENDER") or platform.endpoint_url(
        "credentials", "RECEIVER"
    )
    if credentials_url is not None:
        try:
            OcpiClient(token=platform.outgoing_token, module="credentials").delete(credentials_url)
        except OcpiClientError as exc:
            if not force:
                raise _fail(platform, f"Unregistration at {credentials_url} failed: {exc}") from exc
    with transaction.atomic():
        _forget(platform)
    logger.info("unregistered from platform %s", platform.name)
    return platform


def platform_lookup(ref: str) -> Platform:
    """A platform by name, or by one of its parties as CC-PID (e.g. NL-ABC)."""
    platform = Platform.objects.filter(name=ref).first()
    if platform is None and len(ref) == 6 and ref[2] == "-":
        party = Party.objects.filter(country_code=ref[:2].upper(), party_id=ref[3:].upper()).first()
        platform = party.platform if party else None
    if platform is None:
        raise RegistrationFailed(f"No platform named {ref!r} and no partner party {ref!r}")
    return platform
