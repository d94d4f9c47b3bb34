"""OCPI 2.2.1 Cdrs module: models, wire schemas and role-neutral services."""

from django.apps import AppConfig


class CdrsConfig(AppConfig):
    name = "ocpi.cdrs"
    label = "ocpi_cdrs"
    verbose_name = "OCPI cdrs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug CDRs into the sync engine: pull from partner CPOs (a CDR is POSTed once, never resynced)."""
        from ocpi.cdrs.pull import PAGE_LIMIT, cdr_store
        from ocpi.cdrs.push import MODULE
        from ocpi.sync.pull import register_pull

        register_pull(MODULE, cdr_store, page_limit=PAGE_LIMIT)
