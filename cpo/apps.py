"""The CPO role: Sender of locations, tariffs, sessions, CDRs; Receiver of tokens (and the OCPP bridge)."""

from django.apps import AppConfig


class CpoConfig(AppConfig):
    name = "cpo"
    verbose_name = "CPO role"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ocpi.versions.registry import register
        from ocpi.versions.schemas import InterfaceRole

        register("locations", InterfaceRole.SENDER, "cpo/locations", party_role="CPO")
        register("tariffs", InterfaceRole.SENDER, "cpo/tariffs", party_role="CPO")
        register("sessions", InterfaceRole.SENDER, "cpo/sessions", party_role="CPO")
        register("cdrs", InterfaceRole.SENDER, "cpo/cdrs", party_role="CPO")
        register("tokens", InterfaceRole.RECEIVER, "cpo/tokens", party_role="CPO")
