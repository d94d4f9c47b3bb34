"""Charge point passwords (OCPP security profile 1: HTTP Basic on the WebSocket upgrade).

Hashed with Django's PBKDF2 hasher at a lower work factor (OCPP_PASSWORD_ITERATIONS, default 10,000)
than user passwords get. The work factor of a password hash protects guessable secrets; an OCPP
password is a machine secret of 16 to 40 characters (OCPP 2.0.1 BasicAuthPassword, passwordString
[16..40]) that we require at that length. At Django's default of a million iterations every charger
reconnecting after a restart would cost 0.4 s of CPU, 30 minutes for 5,000 chargers. A verified
password is also remembered in memory for as long as its hash is unchanged, so a flapping charger costs
one hash, not one per reconnect.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password
from django.core.exceptions import ValidationError

PASSWORD_MIN_LENGTH = 16
PASSWORD_MAX_LENGTH = 40
_CACHE_LIMIT = 100_000
_CACHE_KEY = secrets.token_bytes(32)
_verified: dict[str, tuple[str, bytes]] = {}


class OcppPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA256 with the OCPP work factor (see the module docstring for why it is lower)."""

    algorithm = "ocpp_pbkdf2_sha256"

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        work = iterations or int(settings.OCPP_PASSWORD_ITERATIONS)
        return super().encode(password, salt, work)


_HASHER = OcppPasswordHasher()
_DUMMY = _HASHER.encode("x" * PASSWORD_MIN_LENGTH, _HASHER.salt())


def password_validate(password: str) -> None:
    """OCPP 2.0.1 BasicAuthPassword: 16 to 40 printable ASCII characters (no ':' in Basic auth user part)."""
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise ValidationError(
            f"An OCPP password has {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters "
            f"(OCPP 2.0.1 BasicAuthPassword)."
        )
    if not all(" " < ch <= "~" for ch in password):
        raise ValidationError("An OCPP password is printable ASCII without spaces.")


def password_hash(password: str) -> str:
    """The stored form of a charge point password."""
    password_validate(password)
    return _HASHER.encode(password, _HASHER.salt())


def _digest(password: str) -> bytes:
    return hmac.new(_CACHE_KEY, password.encode("utf-8", "surrogateescape"), hashlib.sha256).digest()


def password_check(*, identity: str, password: str, encoded: str | None) -> bool:
    """Whether `password` matches `encoded` (None: unknown charger, answered in the same time)."""
    if encoded is None:
        _HASHER.verify(password, _DUMMY)
        return False
    remembered = _verified.get(identity)
    digest = _digest(password)
    if remembered is not None and remembered[0] == encoded and hmac.compare_digest(remembered[1], digest):
        return True
    ours = encoded.startswith(_HASHER.algorithm + "$")
    valid = _HASHER.verify(password, encoded) if ours else check_password(password, encoded)
    if valid:
        if len(_verified) >= _CACHE_LIMIT:
            _verified.clear()
        _verified[identity] = (encoded, digest)
    return valid
