"""OCPI 2.2.1 Sessions module: models, wire schemas and role-neutral services."""

from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "ocpi.sessions"
    label = "ocpi_sessions"
    verbose_name = "OCPI sessions"
    default_auto_field = "django.db.models.BigAutoField"
