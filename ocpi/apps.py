"""The OCPI protocol kernel app: role-neutral, imports nothing from cpo/, emsp/ or hub/."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_own_parties(sender: AppConfig, **kwargs: Any) -> None:
    """Own parties follow OCPI_* settings on every `migrate` (the issue's contract, not business logic)."""
    from ocpi.services import own_parties_sync

    own_parties_sync(using=kwargs.get("using", "default"))


class OcpiConfig(AppConfig):
    name = "ocpi"
    verbose_name = "OCPI"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_sync_own_parties, sender=self, dispatch_uid="ocpi.own_parties_sync")
        import ocpi.core.openapi  # noqa: F401 - registers the OpenAPI auth extension
