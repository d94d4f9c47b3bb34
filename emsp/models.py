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


class CdrPriceCheck(models.Model):
    """The eMSP's own pricing of a CDR it received, against the cost the CPO put on it (§10, §11).

    Pricing disputes are the most common roaming problem (interop lesson 12); this records, per CDR,
    what the CPO's own tariff gives with our pricing engine, so an operator sees mismatches at once.
    """

    class Outcome(models.TextChoices):
        OK = "OK", "Matches"
        MISMATCH = "MISMATCH", "Differs from our pricing"
        NO_TARIFF = "NO_TARIFF", "No tariff to check against"
        ERROR = "ERROR", "Could not be priced"

    cdr = models.OneToOneField("ocpi_cdrs.Cdr", on_delete=models.CASCADE, related_name="price_check")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, db_index=True)
    tariff_ids = models.JSONField(default=list, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    reported_excl_vat = models.DecimalField(max_digits=20, decimal_places=4)
    reported_incl_vat = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    expected_excl_vat = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    expected_incl_vat = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    difference_excl_vat = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    message = models.TextField(blank=True)
    checked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"price check of {self.cdr_id}: {self.outcome}"
