"""Admin for Sessions: status, energy, cost and the partners involved, with filters. View only.

A Session is the CPO's object (§9.1): ours changes through the CPO services, a partner's only through
its PUT/PATCH, so the admin never edits one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ocpi.sessions.models import Session, SessionChargingPeriod


def plain_amount(value: Decimal) -> str:
    """A stored amount without its padding zeros (41.1200000000 -> 41.12), never in exponent form."""
    return f"{value.normalize():f}"


class ReadOnlyAdminMixin:
    """Every field shown, nothing added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ChargingPeriodInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SessionChargingPeriod
    fields = ("position", "start_date_time", "data")
    readonly_fields = fields
    extra = 0


class TokenEmspFilter(admin.SimpleListFilter):
    """The eMSP owning the token of a Session or CDR: the party that may see it."""

    title = "token eMSP"
    parameter_name = "token_emsp"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        pairs = (
            model_admin.model._default_manager.order_by("token_country_code", "token_party_id")
            .values_list("token_country_code", "token_party_id")
            .distinct()
        )
        return [(f"{cc}-{pid}", f"{cc}-{pid}") for cc, pid in pairs]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value or "-" not in value:
            return queryset
        country_code, party_id = value.split("-", 1)
        return queryset.filter(token_country_code=country_code, token_party_id=party_id)


@admin.register(Session)
class SessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "ocpi_id",
        "status",
        "kwh_display",
        "total_cost_display",
        "cpo",
        "token_emsp",
        "token_uid",
        "location_id",
        "evse_uid",
        "start_date_time",
        "end_date_time",
        "last_updated",
    )
    list_filter = ("status", "auth_method", "party", TokenEmspFilter, "currency", "start_date_time")
    search_fields = ("ocpi_id", "token_uid", "token_contract_id", "location_id", "evse_uid")
    list_select_related = ("party", "party__platform")
    ordering = ("-last_updated", "-pk")
    date_hierarchy = "start_date_time"
    inlines = (ChargingPeriodInline,)

    @admin.display(description="kWh", ordering="kwh")
    def kwh_display(self, obj: Session) -> str:
        return plain_amount(obj.kwh)

    @admin.display(description="cost (excl./incl. VAT)", ordering="total_cost_excl_vat")
    def total_cost_display(self, obj: Session) -> str:
        if obj.total_cost_excl_vat is None:
            return "-"
        incl = obj.total_cost_incl_vat
        text = plain_amount(obj.total_cost_excl_vat)
        if incl is not None:
            text += f" / {plain_amount(incl)}"
        return f"{text} {obj.currency}"

    @admin.display(description="CPO", ordering="party")
    def cpo(self, obj: Session) -> str:
        platform = obj.party.platform
        return f"{obj.country_code}-{obj.ocpi_party_id} ({platform.name if platform else 'own'})"

    @admin.display(description="token eMSP", ordering="token_party_id")
    def token_emsp(self, obj: Session) -> str:
        return f"{obj.token_country_code}-{obj.token_party_id}"
