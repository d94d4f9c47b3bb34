"""Admin for the eMSP's authorization rules and the record of real-time authorizations."""

from django.contrib import admin
from django.http import HttpRequest

from emsp.models import AuthorizationRecord, CdrPriceCheck, TokenPolicy


@admin.register(TokenPolicy)
class TokenPolicyAdmin(admin.ModelAdmin):
    list_display = ("token", "expires_at", "no_credit", "allowed_locations")
    search_fields = ("token__uid", "token__contract_id")
    raw_id_fields = ("token",)


@admin.register(AuthorizationRecord)
class AuthorizationRecordAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "token",
        "allowed",
        "location_id",
        "requested_by",
        "authorization_reference",
    )
    list_filter = ("allowed", "requested_by")
    search_fields = ("token__uid", "authorization_reference", "location_id")
    readonly_fields = [f.name for f in AuthorizationRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CdrPriceCheck)
class CdrPriceCheckAdmin(admin.ModelAdmin):
    list_display = (
        "cdr",
        "outcome",
        "reported_excl_vat",
        "expected_excl_vat",
        "difference_excl_vat",
        "time_zone",
        "checked_at",
    )
    list_filter = ("outcome",)
    search_fields = ("cdr__ocpi_id", "message")
    readonly_fields = [f.name for f in CdrPriceCheck._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
