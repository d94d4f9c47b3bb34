"""The EMSP role: its OCPI endpoints are registered in version details when EMSP is in OCPI_ROLES."""

from django.apps import AppConfig


class EmspConfig(AppConfig):
    name = "emsp"
    verbose_name = "EMSP role"
    default_auto_field = "django.db.models.BigAutoField"
