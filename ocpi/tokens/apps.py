"""OCPI 2.2.1 Tokens module: models, wire schemas and role-neutral services."""

from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "ocpi.tokens"
    label = "ocpi_tokens"
    verbose_name = "OCPI tokens"
    default_auto_field = "django.db.models.BigAutoField"
