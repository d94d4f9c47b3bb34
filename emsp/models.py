"""eMSP business data beyond the OCPI Token object: what decides a real-time authorization (§12.2.3)."""

from __future__ import annotations

from django.db import models

from ocpi.tokens.models import Token


class TokenPolicy(models.Model):
    """How our eMSP answers real-time authorization for one of its tokens.

    The OCPI Token carries only `valid`; expiry, credit and location restrictions are the eMSP's own
    business rules, and they map onto AllowedType EXPIRED / NO_CREDIT / NOT_ALLOWED.
    """

    token = models.OneToOneField(Token, on_delete=models.CASCADE, related_name="policy")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="After this: EXPIRED")
    no_credit = models.BooleanField(default=False, help_text="Answer NO_CREDIT")
    allowed_locations = models.JSONField(
        default=list,
        blank=True,
        help_text='Where the token may charge, as "CC-PID" (a CPO) or "CC-PID/location_id"; empty: anywhere. '
        "With a restriction, a request without LocationReferences is answered 2002.",
    )
    info = models.CharField(max_length=512, blank=True, help_text="Text shown to the driver (DisplayText)")
    info_language = models.CharField(max_length=2, default="en")

    def __str__(self) -> str:
        return f"policy of {self.token_id}"


class AuthorizationRecord(models.Model):
    """Every real-time authorization we answered, so sessions and CDRs can be matched to it later."""

    token = models.ForeignKey(Token, on_delete=models.CASCADE, related_name="authorizations")
    authorization_reference = models.CharField(max_length=36, unique=True)
    allowed = models.CharField(max_length=12)
    location_id = models.CharField(max_length=36, blank=True)
    evse_uids = models.JSONField(default=list, blank=True)
    requested_by = models.CharField(max_length=100, blank=True, help_text="The partner platform asking")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.authorization_reference} {self.allowed}"
