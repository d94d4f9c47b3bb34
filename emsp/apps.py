"""The eMSP role: Receiver of locations, tariffs, sessions and CDRs; Sender of tokens."""

from django.apps import AppConfig


class EmspConfig(AppConfig):
    name = "emsp"
    verbose_name = "eMSP role"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ocpi.versions.registry import register
        from ocpi.versions.schemas import InterfaceRole

        register("locations", InterfaceRole.RECEIVER, "emsp/locations", party_role="EMSP")
        register("tariffs", InterfaceRole.RECEIVER, "emsp/tariffs", party_role="EMSP")
        register("tokens", InterfaceRole.SENDER, "emsp/tokens", party_role="EMSP")
        register("sessions", InterfaceRole.RECEIVER, "emsp/sessions", party_role="EMSP")
        register("cdrs", InterfaceRole.RECEIVER, "emsp/cdrs", party_role="EMSP")

        # Pulled CDRs get the same cost check as pushed ones (this app loads after ocpi.cdrs).
        from emsp.services.cdrs import cdr_receive
        from ocpi.cdrs.pull import PAGE_LIMIT, make_cdr_store
        from ocpi.sync.pull import register_pull

        register_pull("cdrs", make_cdr_store(cdr_receive), page_limit=PAGE_LIMIT)
