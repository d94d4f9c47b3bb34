"""OCPI 2.2.1 Sessions module: models, wire schemas and role-neutral services."""

from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "ocpi.sessions"
    label = "ocpi_sessions"
    verbose_name = "OCPI sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug Sessions into the sync engine: pull from partner CPOs, PUT when a partner lost a session."""
        from ocpi.sessions.pull import PAGE_LIMIT, session_store
        from ocpi.sessions.push import MODULE, session_resync
        from ocpi.sync.outbox import register_resync
        from ocpi.sync.pull import register_pull

        register_pull(MODULE, session_store, page_limit=PAGE_LIMIT)
        register_resync(MODULE, session_resync)
