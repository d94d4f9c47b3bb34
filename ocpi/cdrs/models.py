"""Stored OCPI 2.2.1 CDRs (§10.3.1): our CPO's own, and those partner CPOs post to our eMSP."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper

from ocpi.models import Party
from ocpi.sessions.models import amount_field
from ocpi.sessions.schemas import AuthMethod
from ocpi.tokens.models import enum_choices
from ocpi.tokens.schemas import TokenType


class Cdr(models.Model):
    """OCPI 2.2.1 §10.3.1 CDR object, keyed by (country_code, party_id, id) of its CPO `party`.

    A CDR is final: it "cannot be changed or replaced once sent" (§10.1), corrections are new credit
    CDRs (§10.1.1), so rows are only ever inserted. Scalars and totals are columns (filters, admin,
    invoicing); the nested objects (cdr_token, cdr_location, tariffs, charging_periods, signed_data)
    are kept as their wire JSON, with token_* and location columns copied from them. The token's
    eMSP (token_country_code/token_party_id, upper case) is the only party that may see the CDR
    (interop lesson 14). Costs are Price pairs: <name>_excl_vat and <name>_incl_vat.
    """

    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="cdrs", help_text="The CPO party owning the CDR."
    )
    country_code = models.CharField(max_length=2)
    ocpi_party_id = models.CharField(
        "party id", max_length=3, help_text="OCPI party_id (`party_id` is the FK)."
    )
    ocpi_id = models.CharField("id", max_length=39, help_text="CDR.id")
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField()
    session_id = models.CharField(max_length=36, null=True, blank=True, help_text="Session.id, when any.")
    cdr_token = models.JSONField(help_text="§10.4.5 CdrToken, wire JSON.")
    token_country_code = models.CharField(max_length=2, help_text="The token's eMSP, upper case.")
    token_party_id = models.CharField(max_length=3, help_text="The token's eMSP, upper case.")
    token_uid = models.CharField(max_length=36)
    token_type = models.CharField(max_length=11, choices=enum_choices(TokenType))
    token_contract_id = models.CharField(max_length=36)
    auth_method = models.CharField(max_length=12, choices=enum_choices(AuthMethod))
    authorization_reference = models.CharField(max_length=36, null=True, blank=True)
    cdr_location = models.JSONField(help_text="§10.4.4 CdrLocation, wire JSON.")
    location_id = models.CharField(max_length=36)
    evse_uid = models.CharField(max_length=36)
    connector_id = models.CharField(max_length=36)
    meter_id = models.CharField(max_length=255, null=True, blank=True)
    currency = models.CharField(max_length=3)
    tariffs = models.JSONField(null=True, blank=True, help_text="§11.3.1 Tariffs, wire JSON.")
    charging_periods = models.JSONField(help_text="§10.4.6 ChargingPeriods, wire JSON.")
    signed_data = models.JSONField(null=True, blank=True, help_text="§10.4.7 SignedData, wire JSON.")
    total_cost_excl_vat = amount_field()
    total_cost_incl_vat = amount_field(null=True, blank=True)
    total_fixed_cost_excl_vat = amount_field(null=True, blank=True)
    total_fixed_cost_incl_vat = amount_field(null=True, blank=True)
    total_energy = amount_field(help_text="kWh")
    total_energy_cost_excl_vat = amount_field(null=True, blank=True)
    total_energy_cost_incl_vat = amount_field(null=True, blank=True)
    total_time = amount_field(help_text="hours")
    total_time_cost_excl_vat = amount_field(null=True, blank=True)
    total_time_cost_incl_vat = amount_field(null=True, blank=True)
    total_parking_time = amount_field(null=True, blank=True, help_text="hours")
    total_parking_cost_excl_vat = amount_field(null=True, blank=True)
    total_parking_cost_incl_vat = amount_field(null=True, blank=True)
    total_reservation_cost_excl_vat = amount_field(null=True, blank=True)
    total_reservation_cost_incl_vat = amount_field(null=True, blank=True)
    remark = models.CharField(max_length=255, null=True, blank=True)
    invoice_reference_id = models.CharField(max_length=39, null=True, blank=True)
    credit = models.BooleanField(null=True, blank=True)
    credit_reference_id = models.CharField(max_length=39, null=True, blank=True)
    home_charging_compensation = models.BooleanField(null=True, blank=True)
    last_updated = models.DateTimeField()

    class Meta:
        verbose_name = "CDR"
        ordering = ["last_updated", "pk"]
        constraints = [
            models.UniqueConstraint("country_code", "ocpi_party_id", Upper("ocpi_id"), name="ocpi_cdr_key"),
        ]
        indexes = [
            models.Index(fields=["last_updated", "id"], name="ocpi_cdr_last_updated"),
            models.Index(
                fields=["token_country_code", "token_party_id", "last_updated"], name="ocpi_cdr_token_emsp"
            ),
            models.Index(fields=["session_id"], name="ocpi_cdr_session_id"),
            models.Index(fields=["credit_reference_id"], name="ocpi_cdr_credit_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}-{self.ocpi_party_id} CDR {self.ocpi_id}"
