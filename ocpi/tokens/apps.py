"""OCPI 2.2.1 Tokens module: models, wire schemas and role-neutral services."""

from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "ocpi.tokens"
    label = "ocpi_tokens"
    verbose_name = "OCPI tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug Tokens into the sync engine: pull from partner eMSPs, PUT when a partner lost a token."""
        from ocpi.sync.outbox import register_resync
        from ocpi.sync.pull import register_pull
        from ocpi.tokens.pull import PAGE_LIMIT, token_store
        from ocpi.tokens.push import MODULE, token_resync

        register_pull(MODULE, token_store, page_limit=PAGE_LIMIT)
        register_resync(MODULE, token_resync)
