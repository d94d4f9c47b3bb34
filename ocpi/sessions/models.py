"""Stored OCPI 2.2.1 Sessions (§9.3.1): our CPO's own, and those partner CPOs push to our eMSP."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.db.models.functions import Upper

from ocpi.core.exceptions import InvalidParameters
from ocpi.models import Party
from ocpi.sessions.schemas import AuthMethod, SessionStatus
from ocpi.tokens.models import enum_choices
from ocpi.tokens.schemas import TokenType

DECIMAL_PLACES = 10
MAX_DIGITS = 24
_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
_LIMIT = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES)


def amount_field(**kwargs: Any) -> models.DecimalField[Any, Any]:
    """Money, energy and hours (§16.4 number): exact decimals, wide enough for hours such as 35/60."""
    return models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


def fit_amount(name: str, value: Decimal | None) -> Decimal | None:
    """A wire number as stored by `amount_field`: rounded to its decimals the same way on every database,
    and refused (2001 naming the field) when it could not be stored at all."""
    if value is None:
        return None
    if abs(value) >= _LIMIT:
        raise InvalidParameters(f"Invalid or missing parameters: {name}: number out of range")
    return value.quantize(_QUANTUM, rounding=ROUND_HALF_UP)


class Session(models.Model):
    """OCPI 2.2.1 §9.3.1 Session object, keyed by (country_code, party_id, id) of its CPO `party`.

    Scalars are columns (filters, admin, the pricing engine); `cdr_token` is kept as its wire JSON and
    copied into token_* columns, whose token_country_code/token_party_id (upper case) name the eMSP
    that may see the session (interop lesson 14). Charging periods are child rows, so a PATCH appends
    them with one INSERT instead of rewriting the whole list (§9.2.2.3).
    """

    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        related_name="sessions",
        help_text="The CPO party owning the session.",
    )
    country_code = models.CharField(max_length=2)
    ocpi_party_id = models.CharField(
        "party id", max_length=3, help_text="OCPI party_id (`party_id` is the FK)."
    )
    ocpi_id = models.CharField("id", max_length=36, help_text="Session.id")
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField(null=True, blank=True)
    kwh = amount_field()
    cdr_token = models.JSONField(help_text="§10.4.5 CdrToken, wire JSON.")
    token_country_code = models.CharField(max_length=2, help_text="The token's eMSP, upper case.")
    token_party_id = models.CharField(max_length=3, help_text="The token's eMSP, upper case.")
    token_uid = models.CharField(max_length=36)
    token_type = models.CharField(max_length=11, choices=enum_choices(TokenType))
    token_contract_id = models.CharField(max_length=36)
    auth_method = models.CharField(max_length=12, choices=enum_choices(AuthMethod))
    authorization_reference = models.CharField(max_length=36, null=True, blank=True)
    location_id = models.CharField(max_length=36)
    evse_uid = models.CharField(max_length=36)
    connector_id = models.CharField(max_length=36)
    meter_id = models.CharField(max_length=255, null=True, blank=True)
    currency = models.CharField(max_length=3)
    total_cost_excl_vat = amount_field(null=True, blank=True)
    total_cost_incl_vat = amount_field(null=True, blank=True)
    status = models.CharField(max_length=11, choices=enum_choices(SessionStatus))
    last_updated = models.DateTimeField()

    class Meta:
        ordering = ["last_updated", "pk"]
        constraints = [
            models.UniqueConstraint(
                "country_code", "ocpi_party_id", Upper("ocpi_id"), name="ocpi_session_key"
            ),
        ]
        indexes = [
            models.Index(fields=["last_updated", "id"], name="ocpi_session_last_updated"),
            models.Index(
                fields=["token_country_code", "token_party_id", "last_updated"],
                name="ocpi_session_token_emsp",
            ),
            models.Index(fields=["token_uid"], name="ocpi_session_token_uid"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}-{self.ocpi_party_id} session {self.ocpi_id}"


class SessionChargingPeriod(models.Model):
    """One §10.4.6 ChargingPeriod of a Session, at its `position` in the Session's list.

    `data` is the period's wire JSON, rendered as is; `start_date_time` is a column for time queries.
    """

    # No index of its own: the (session, position) constraint's index serves every look-up by session,
    # and each index more is written for every period a running session gains.
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="charging_periods", db_index=False
    )
    position = models.PositiveIntegerField()
    start_date_time = models.DateTimeField()
    data = models.JSONField(help_text="§10.4.6 ChargingPeriod, wire JSON.")

    class Meta:
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="ocpi_session_period_uniq_position"),
        ]

    def __str__(self) -> str:
        return f"period {self.position} of {self.session_id}"


class SessionChargingPreferences(models.Model):
    """§9.3.2 ChargingPreferences an eMSP set on one of our sessions, and what we answered (§9.4.1)."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="charging_preferences")
    data = models.JSONField(help_text="The ChargingPreferences object as received.")
    answer = models.CharField(max_length=26)
    received_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"charging preferences of {self.session_id}: {self.answer}"
