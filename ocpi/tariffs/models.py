"""OCPI 2.2.1 Tariffs (§11): ours or partners' copies, keyed by (country_code, party_id, id).

Prices are Decimal columns; the element list is JSON holding the wire schema's JSON, read and
written whole (a Tariff is only ever PUT or DELETEd, §11.2.2).
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper

from ocpi.models import Party
from ocpi.tariffs import schemas

# §16.4: "4 decimals and a sufficiently large amount of digits"; 8 places keep more than partners send.
PRICE_DIGITS = 20
PRICE_PLACES = 8


class Tariff(models.Model):
    """§11.3.1 Tariff object: `min_price`/`max_price` (§16.5 Price) as Decimal columns, `elements` as JSON."""

    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="tariffs", help_text="The CPO owning this tariff."
    )
    country_code = models.CharField(max_length=2)
    ocpi_party_id = models.CharField(
        "party id", max_length=3, help_text="OCPI party_id (`party_id` is the FK)."
    )
    ocpi_id = models.CharField("id", max_length=36)
    currency = models.CharField(max_length=3, help_text="ISO 4217.")
    type = models.CharField(
        max_length=14,
        choices=[(t.value, t.value) for t in schemas.TariffType],
        null=True,
        blank=True,
        help_text="Empty: valid for all sessions.",
    )
    tariff_alt_text = models.JSONField(null=True, blank=True, help_text="List of DisplayText.")
    tariff_alt_url = models.CharField(max_length=255, null=True, blank=True)
    min_price_excl_vat = models.DecimalField(
        max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True, blank=True
    )
    min_price_incl_vat = models.DecimalField(
        max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True, blank=True
    )
    max_price_excl_vat = models.DecimalField(
        max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True, blank=True
    )
    max_price_incl_vat = models.DecimalField(
        max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True, blank=True
    )
    elements = models.JSONField(help_text="List of TariffElement (§11.4.4), in order: the first match wins.")
    start_date_time = models.DateTimeField(null=True, blank=True)
    end_date_time = models.DateTimeField(null=True, blank=True)
    energy_mix = models.JSONField(null=True, blank=True, help_text="EnergyMix (§8.4.6).")
    last_updated = models.DateTimeField(help_text="When this tariff last changed (UTC).")

    class Meta:
        ordering = ["last_updated", "pk"]
        constraints = [
            models.UniqueConstraint(
                models.F("country_code"), models.F("ocpi_party_id"), Upper("ocpi_id"), name="uniq_tariff_key"
            ),
            models.CheckConstraint(
                condition=models.Q(min_price_excl_vat__isnull=False)
                | models.Q(min_price_incl_vat__isnull=True),
                name="tariff_min_price_has_excl_vat",
            ),
            models.CheckConstraint(
                condition=models.Q(max_price_excl_vat__isnull=False)
                | models.Q(max_price_incl_vat__isnull=True),
                name="tariff_max_price_has_excl_vat",
            ),
        ]
        indexes = [models.Index(fields=["last_updated", "id"], name="tariff_last_updated")]

    def __str__(self) -> str:
        return f"{self.country_code}-{self.ocpi_party_id} {self.ocpi_id} ({self.currency})"
