"""The HUB role: its OCPI endpoints are registered in version details when HUB is in OCPI_ROLES."""

from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "HUB role"
    default_auto_field = "django.db.models.BigAutoField"
