"""OCPI 2.2.1 Locations (§8): Location, EVSE and Connector, ours or partners' copies.

Scalar fields a query, filter or admin search needs are columns; nested value objects are JSON
holding the wire schema's JSON (`schemas.*.to_json()`), so they read back exactly as sent. A field
the object did not carry is NULL, never "" or [], so absent and empty stay distinguishable.
Country code and party id are stored upper-case (they name a Party); ids and uids keep the case
they were sent in but are unique case-insensitively (CiString, §16.1).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Upper

from ocpi.locations import schemas
from ocpi.models import Party


def _choices(enum: type[Any]) -> list[tuple[str, str]]:
    """Django choices mirroring a wire enum, so the two cannot drift apart."""
    return [(member.value, member.value) for member in enum]


class Location(models.Model):
    """§8.3.1 Location object: where a group of EVSEs is installed, keyed by (country_code, party_id, id)."""

    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="locations", help_text="The CPO owning this location."
    )
    country_code = models.CharField(max_length=2)
    ocpi_party_id = models.CharField(
        "party id", max_length=3, help_text="OCPI party_id (`party_id` is the FK)."
    )
    ocpi_id = models.CharField("id", max_length=36)
    publish = models.BooleanField(default=True)
    publish_allowed_to = models.JSONField(
        null=True, blank=True, help_text="List of PublishTokenType (§8.4.20)."
    )
    name = models.CharField(max_length=255, null=True, blank=True)
    address = models.CharField(max_length=45)
    city = models.CharField(max_length=45)
    postal_code = models.CharField(max_length=10, null=True, blank=True)
    state = models.CharField(max_length=20, null=True, blank=True)
    country = models.CharField(max_length=3, help_text="ISO 3166-1 alpha-3.")
    latitude = models.CharField(max_length=11, help_text="GeoLocation.latitude, decimal degrees as sent.")
    longitude = models.CharField(max_length=12, help_text="GeoLocation.longitude, decimal degrees as sent.")
    related_locations = models.JSONField(
        null=True, blank=True, help_text="List of AdditionalGeoLocation (§8.4.1)."
    )
    parking_type = models.CharField(
        max_length=20, choices=_choices(schemas.ParkingType), null=True, blank=True
    )
    directions = models.JSONField(null=True, blank=True, help_text="List of DisplayText.")
    operator = models.JSONField(null=True, blank=True, help_text="BusinessDetails (§8.4.2).")
    suboperator = models.JSONField(null=True, blank=True, help_text="BusinessDetails (§8.4.2).")
    owner = models.JSONField(null=True, blank=True, help_text="BusinessDetails (§8.4.2).")
    facilities = models.JSONField(null=True, blank=True, help_text="List of Facility (§8.4.12).")
    time_zone = models.CharField(max_length=255, help_text='IANA tz name, e.g. "Europe/Oslo".')
    opening_times = models.JSONField(null=True, blank=True, help_text="Hours (§8.4.14).")
    charging_when_closed = models.BooleanField(null=True, blank=True)
    images = models.JSONField(null=True, blank=True, help_text="List of Image (§8.4.15).")
    energy_mix = models.JSONField(null=True, blank=True, help_text="EnergyMix (§8.4.6).")
    last_updated = models.DateTimeField(
        help_text="When this location or one of its EVSEs or connectors last changed (UTC)."
    )

    class Meta:
        ordering = ["last_updated", "pk"]
        constraints = [
            models.UniqueConstraint(
                models.F("country_code"),
                models.F("ocpi_party_id"),
                Upper("ocpi_id"),
                name="uniq_location_key",
            ),
        ]
        indexes = [
            models.Index(fields=["last_updated", "id"], name="location_last_updated"),
            models.Index(fields=["city"], name="location_city"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}-{self.ocpi_party_id} {self.ocpi_id}" + (
            f" ({self.name})" if self.name else ""
        )


class EVSE(models.Model):
    """§8.3.2 EVSE object: one charging point of a location, unique by uid within it.

    `position` keeps the order the EVSEs were sent in, so the location reads back as sent.
    """

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="evses")
    position = models.PositiveIntegerField(help_text="Order within the parent, as sent.")
    uid = models.CharField(max_length=36)
    evse_id = models.CharField(max_length=48, null=True, blank=True, help_text="eMI3 EVSE ID.")
    status = models.CharField(max_length=11, choices=_choices(schemas.Status), db_index=True)
    status_schedule = models.JSONField(null=True, blank=True, help_text="List of StatusSchedule (§8.4.23).")
    capabilities = models.JSONField(null=True, blank=True, help_text="List of Capability (§8.4.3).")
    floor_level = models.CharField(max_length=4, null=True, blank=True)
    latitude = models.CharField(max_length=11, null=True, blank=True)
    longitude = models.CharField(max_length=12, null=True, blank=True)
    physical_reference = models.CharField(max_length=16, null=True, blank=True)
    directions = models.JSONField(null=True, blank=True, help_text="List of DisplayText.")
    parking_restrictions = models.JSONField(
        null=True, blank=True, help_text="List of ParkingRestriction (§8.4.17)."
    )
    images = models.JSONField(null=True, blank=True, help_text="List of Image (§8.4.15).")
    last_updated = models.DateTimeField(
        help_text="When this EVSE or one of its connectors last changed (UTC)."
    )

    class Meta:
        verbose_name = "EVSE"
        verbose_name_plural = "EVSEs"
        ordering = ["location_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(models.F("location"), Upper("uid"), name="uniq_evse_uid_per_location"),
        ]
        indexes = [models.Index(fields=["evse_id"], name="evse_evse_id")]

    def __str__(self) -> str:
        return self.evse_id or self.uid


class Connector(models.Model):
    """§8.3.3 Connector object: a socket or cable of an EVSE, unique by id within it."""

    evse = models.ForeignKey(EVSE, on_delete=models.CASCADE, related_name="connectors")
    position = models.PositiveIntegerField(help_text="Order within the parent, as sent.")
    ocpi_id = models.CharField("id", max_length=36)
    standard = models.CharField(max_length=32, choices=_choices(schemas.ConnectorType))
    format = models.CharField(max_length=6, choices=_choices(schemas.ConnectorFormat))
    power_type = models.CharField(max_length=16, choices=_choices(schemas.PowerType))
    max_voltage = models.BigIntegerField(help_text="Volt (line to neutral for AC_3_PHASE).")
    max_amperage = models.BigIntegerField(help_text="Ampere.")
    max_electric_power = models.BigIntegerField(null=True, blank=True, help_text="Watt.")
    tariff_ids = models.JSONField(null=True, blank=True, help_text="List of Tariff ids.")
    terms_and_conditions = models.CharField(max_length=255, null=True, blank=True)
    last_updated = models.DateTimeField(help_text="When this connector last changed (UTC).")

    class Meta:
        ordering = ["evse_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(models.F("evse"), Upper("ocpi_id"), name="uniq_connector_id_per_evse"),
        ]

    def __str__(self) -> str:
        return f"{self.ocpi_id} ({self.standard}, {self.power_type})"
