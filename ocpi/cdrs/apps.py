"""OCPI 2.2.1 Cdrs module: models, wire schemas and role-neutral services."""

from django.apps import AppConfig


class CdrsConfig(AppConfig):
    name = "ocpi.cdrs"
    label = "ocpi_cdrs"
    verbose_name = "OCPI cdrs"
    default_auto_field = "django.db.models.BigAutoField"
