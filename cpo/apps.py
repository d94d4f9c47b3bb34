"""The CPO role: its OCPI endpoints are registered in version details when CPO is in OCPI_ROLES."""

from django.apps import AppConfig


class CpoConfig(AppConfig):
    name = "cpo"
    verbose_name = "CPO role"
    default_auto_field = "django.db.models.BigAutoField"
