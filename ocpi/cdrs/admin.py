"""Admin for CDRs: read only, entirely. A CDR is a bill and never changes (§10.1); corrections are
credit CDRs created by the CPO services, never edits here."""

from __future__ import annotations

from django.contrib import admin

from ocpi.cdrs.models import Cdr
from ocpi.sessions.admin import ReadOnlyAdminMixin, TokenEmspFilter, plain_amount


@admin.register(Cdr)
class CdrAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "ocpi_id",
        "cpo",
        "token_emsp",
        "token_uid",
        "session_id",
        "energy",
        "total_cost",
        "credit",
        "start_date_time",
        "end_date_time",
        "last_updated",
    )
    list_filter = ("credit", "auth_method", "party", TokenEmspFilter, "currency", "start_date_time")
    search_fields = (
        "ocpi_id",
        "session_id",
        "token_uid",
        "token_contract_id",
        "location_id",
        "evse_uid",
        "credit_reference_id",
        "invoice_reference_id",
    )
    list_select_related = ("party", "party__platform")
    ordering = ("-last_updated", "-pk")
    date_hierarchy = "start_date_time"

    @admin.display(description="kWh", ordering="total_energy")
    def energy(self, obj: Cdr) -> str:
        return plain_amount(obj.total_energy)

    @admin.display(description="cost (excl./incl. VAT)", ordering="total_cost_excl_vat")
    def total_cost(self, obj: Cdr) -> str:
        text = plain_amount(obj.total_cost_excl_vat)
        if obj.total_cost_incl_vat is not None:
            text += f" / {plain_amount(obj.total_cost_incl_vat)}"
        return f"{text} {obj.currency}"

    @admin.display(description="CPO", ordering="party")
    def cpo(self, obj: Cdr) -> str:
        platform = obj.party.platform
        return f"{obj.country_code}-{obj.ocpi_party_id} ({platform.name if platform else 'own'})"

    @admin.display(description="token eMSP", ordering="token_party_id")
    def token_emsp(self, obj: Cdr) -> str:
        return f"{obj.token_country_code}-{obj.token_party_id}"
