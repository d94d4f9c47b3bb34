"""Partner platforms, their endpoints and credentials tokens, and parties (OCPI 2.2.1 §7 Credentials).

A Platform is one OCPI connection (one credentials registration); it can carry several parties and
roles (§7.4 CredentialsRole). Our own parties are Party rows without a platform.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import models
from django.db.models import Q


def token_hash(token: str) -> str:
    """Tokens partners use to call us are kept only as SHA-256 (they are random, high-entropy strings)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class RoleChoices(models.TextChoices):
    """§16.8 Role."""

    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class InterfaceRoleChoices(models.TextChoices):
    """§6.2.3 InterfaceRole."""

    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class Platform(models.Model):
    """A partner platform: where to reach it, the token we use to call it, and its registration state."""

    class Status(models.TextChoices):
        NEW = "NEW", "New: partner's Token A entered, registration not yet done"
        INVITED = "INVITED", "Invited: we issued a Token A, waiting for the partner"
        REGISTERED = "REGISTERED", "Registered"
        UNREGISTERED = "UNREGISTERED", "Unregistered"

    name = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW, db_index=True)
    versions_url = models.URLField(max_length=255, blank=True, help_text="The partner's versions endpoint.")
    version = models.CharField(max_length=10, blank=True, help_text="Negotiated OCPI version.")
    version_url = models.URLField(max_length=255, blank=True, help_text="The partner's version details URL.")
    outgoing_token = models.CharField(
        max_length=64,
        blank=True,
        help_text="The credentials token we send to this partner (its Token A before registration).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_registered(self) -> bool:
        return self.status == self.Status.REGISTERED

    def endpoint_url(self, identifier: str, role: str) -> str | None:
        for endpoint in self.endpoints.all():
            if endpoint.identifier == identifier and endpoint.role == role:
                return endpoint.url
        return None


class PlatformEndpoint(models.Model):
    """One entry of the partner's version details (§6.2.2 Endpoint)."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="endpoints")
    identifier = models.CharField(max_length=64)
    role = models.CharField(max_length=8, choices=InterfaceRoleChoices.choices)
    url = models.URLField(max_length=255)

    class Meta:
        ordering = ["identifier", "role"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "identifier", "role"], name="uniq_platform_endpoint")
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.role}"


class CredentialsToken(models.Model):
    """A token a partner uses to call us, stored hashed. Kind A: registration only (§7.1.1)."""

    class Kind(models.TextChoices):
        REGISTRATION = "A", "Token A (registration only)"
        ACCESS = "ACCESS", "Access token (B or C)"

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.platform_id}"


class PartyQuerySet(models.QuerySet["Party"]):
    def own(self) -> PartyQuerySet:
        return self.filter(platform__isnull=True)

    def of_platform(self, platform: Platform) -> PartyQuerySet:
        return self.filter(platform=platform)


class Party(models.Model):
    """A party (country_code, party_id, role): ours (no platform) or one of a partner platform's roles."""

    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    role = models.CharField(max_length=5, choices=RoleChoices.choices)
    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="parties", null=True, blank=True
    )
    business_name = models.CharField(max_length=100)
    business_website = models.URLField(max_length=255, blank=True)
    business_logo = models.JSONField(null=True, blank=True, help_text="OCPI Image object")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: Any = PartyQuerySet.as_manager()

    class Meta:
        ordering = ["country_code", "party_id", "role"]
        verbose_name_plural = "parties"
        constraints = [
            models.UniqueConstraint(fields=["country_code", "party_id", "role"], name="uniq_party_role"),
            models.CheckConstraint(
                condition=Q(country_code__regex=r"^[A-Z]{2}$") & Q(party_id__regex=r"^[A-Z0-9]{3}$"),
                name="party_codes_upper",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}-{self.party_id} {self.role}"

    @property
    def is_own(self) -> bool:
        return self.platform_id is None
