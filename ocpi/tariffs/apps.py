"""OCPI 2.2.1 Tariffs module: models, wire schemas and role-neutral services."""

from django.apps import AppConfig


class TariffsConfig(AppConfig):
    name = "ocpi.tariffs"
    label = "ocpi_tariffs"
    verbose_name = "OCPI tariffs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug Tariffs into the sync engine: pull from partner CPOs, PUT when a partner lost a tariff."""
        from ocpi.sync.outbox import register_resync
        from ocpi.sync.pull import register_pull
        from ocpi.tariffs.pull import PAGE_LIMIT, tariff_store
        from ocpi.tariffs.push import MODULE, tariff_resync

        register_pull(MODULE, tariff_store, page_limit=PAGE_LIMIT)
        register_resync(MODULE, tariff_resync)
