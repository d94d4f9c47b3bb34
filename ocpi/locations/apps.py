"""OCPI 2.2.1 Locations module: models, wire schemas and role-neutral services."""

from django.apps import AppConfig


class LocationsConfig(AppConfig):
    name = "ocpi.locations"
    label = "ocpi_locations"
    verbose_name = "OCPI locations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug Locations into the sync engine: pull from partner CPOs, PUT when a partner lost a location."""
        from ocpi.locations.pull import PAGE_LIMIT, location_store
        from ocpi.locations.push import MODULE, location_resync
        from ocpi.sync.outbox import register_resync
        from ocpi.sync.pull import register_pull

        register_pull(MODULE, location_store, page_limit=PAGE_LIMIT)
        register_resync(MODULE, location_resync)
