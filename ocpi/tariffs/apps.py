"""OCPI 2.2.1 Tariffs module: models, wire schemas and role-neutral services."""

from django.apps import AppConfig


class TariffsConfig(AppConfig):
    name = "ocpi.tariffs"
    label = "ocpi_tariffs"
    verbose_name = "OCPI tariffs"
    default_auto_field = "django.db.models.BigAutoField"
