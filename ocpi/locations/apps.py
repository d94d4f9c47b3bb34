"""OCPI 2.2.1 Locations module: models, wire schemas and role-neutral services."""

from django.apps import AppConfig


class LocationsConfig(AppConfig):
    name = "ocpi.locations"
    label = "ocpi_locations"
    verbose_name = "OCPI locations"
    default_auto_field = "django.db.models.BigAutoField"
