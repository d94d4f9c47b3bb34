"""Credentials token authentication (§4.1.3): `Authorization: Token <base64(token)>`, plain accepted too.

Tokens partners use are stored hashed (ocpi.models.CredentialsToken); we decode the header, hash and
look up. A Token A (registration token) is accepted only by views that say so (versions, credentials).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ocpi.core import context
from ocpi.core.exceptions import Unauthorized
from ocpi.models import CredentialsToken, Party, Platform, token_hash


@dataclass
class OcpiCaller:
    """The authenticated partner: its platform, the token it used (in clear, from this request only)."""

    platform: Platform
    token: CredentialsToken
    raw_token: str
    _parties: list[Party] | None = field(default=None, repr=False)

    is_authenticated = True

    @property
    def is_registration_token(self) -> bool:
        return self.token.kind == CredentialsToken.Kind.REGISTRATION

    @property
    def parties(self) -> list[Party]:
        if self._parties is None:
            self._parties = list(Party.objects.filter(platform=self.platform))
        return self._parties

    def has_party(self, country_code: str, party_id: str, role: str | None = None) -> bool:
        cc, pid = country_code.upper(), party_id.upper()
        return any(
            p.country_code == cc and p.party_id == pid and (role is None or p.role == role)
            for p in self.parties
        )


def candidate_tokens(header_value: str) -> list[str]:
    """The credentials tokens a header may carry: base64-decoded (2.2.1) first, then the plain value."""
    scheme, _, value = header_value.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    candidates = []
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if decoded and decoded.isprintable() and decoded.strip() == decoded:
        candidates.append(decoded)
    candidates.append(value)
    return candidates


def encode_token(token: str) -> str:
    """The Authorization header value we send: 'Token ' + base64(UTF-8 token)."""
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


def authenticate_token(header_value: str | None) -> OcpiCaller | None:
    if not header_value:
        return None
    candidates = candidate_tokens(header_value)
    if not candidates:
        return None
    hashes = {token_hash(c): c for c in candidates}
    tokens = {
        t.token_hash: t
        for t in CredentialsToken.objects.select_related("platform").filter(
            Q(token_hash__in=hashes), revoked_at__isnull=True
        )
    }
    for h, raw in hashes.items():
        token = tokens.get(h)
        if token is not None:
            return OcpiCaller(platform=token.platform, token=token, raw_token=raw)
    return None


class OcpiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[OcpiCaller, CredentialsToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION")
        if not header:
            return None
        caller = authenticate_token(header)
        if caller is None:
            raise Unauthorized("Unknown credentials token")
        context.update(partner=caller.platform.name)
        return caller, caller.token

    def authenticate_header(self, request: Request) -> str:
        return "Token"


class IsOcpiPartner(BasePermission):
    """Any registered partner; a Token A only where the view sets `allow_registration_token`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        caller = request.user
        if not isinstance(caller, OcpiCaller):
            raise Unauthorized("Missing Authorization header")
        if caller.is_registration_token and not getattr(view, "allow_registration_token", False):
            raise Unauthorized("A registration token (Token A) is only valid for versions and credentials")
        # A token B issued before the partner answered our POST: versions/credentials only.
        registered = caller.platform.is_registered
        if not registered and not getattr(view, "allow_registration_token", False):
            raise Unauthorized("Platform is not registered")
        return True
