"""Admin of the OCPP central system: charge points (registration, mapping, live state), transactions,
commands. Connection state and what chargers report are read-only: only the charger changes them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from cpo.ocpp.bridge import transaction_cdr_retry
from cpo.ocpp.models import (
    ChargePoint,
    OcppChargingState,
    OcppCommand,
    OcppConnector,
    OcppMeterReading,
    OcppTransaction,
)
from cpo.ocpp.passwords import password_validate
from cpo.ocpp.services import charge_point_set_password
from ocpi.locations.models import EVSE, Connector

RECENT_MESSAGES = 50


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChargePointForm(forms.ModelForm):
    """The password is typed in clear and stored hashed (cpo.ocpp.passwords); empty keeps the old one."""

    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="16 to 40 characters (OCPP 2.0.1 BasicAuthPassword). Leave empty to keep the current one.",
    )

    class Meta:
        model = ChargePoint
        fields = ("identity", "password", "location")

    def clean_password(self) -> str:
        password: str = self.cleaned_data.get("password") or ""
        if not password and not self.instance.password_hash:
            raise ValidationError("A new charger needs a password.")
        if password:
            password_validate(password)
        return password


class OcppConnectorFormSet(BaseInlineFormSet):
    """A mapped EVSE must be at the charger's location, and the connector one of that EVSE's."""

    def clean(self) -> None:
        super().clean()
        location = self.instance.location if self.instance.location_id else None
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            evse: EVSE | None = data.get("evse")
            connector: Connector | None = data.get("connector")
            if evse is not None and (location is None or evse.location_id != location.pk):
                form.add_error("evse", "This EVSE is not at the charger's location.")
            if connector is not None and (evse is None or connector.evse_id != evse.pk):
                form.add_error("connector", "This connector is not one of the EVSE's.")


class OcppConnectorInline(admin.TabularInline):
    model = OcppConnector
    formset = OcppConnectorFormSet
    extra = 0
    fields = (
        "ocpp_evse_id",
        "ocpp_connector_id",
        "evse",
        "connector",
        "ocpp_status",
        "error_code",
        "ocpi_status",
        "status_at",
    )
    readonly_fields = ("ocpp_status", "error_code", "ocpi_status", "status_at")
    autocomplete_fields = ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        charger = getattr(request, "_ocpp_charge_point", None)
        location_id: int = charger.location_id if charger is not None and charger.location_id else 0
        if db_field.name == "evse":
            kwargs["queryset"] = EVSE.objects.filter(location_id=location_id).order_by("position")
        elif db_field.name == "connector":
            connectors = Connector.objects.filter(evse__location_id=location_id)
            kwargs["queryset"] = connectors.select_related("evse")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ChargePoint)
class ChargePointAdmin(admin.ModelAdmin):
    form = ChargePointForm
    list_display = (
        "identity",
        "location",
        "protocol",
        "connected",
        "last_heartbeat_at",
        "last_seen_at",
        "vendor",
        "model",
        "firmware_version",
    )
    list_filter = ("connected", "protocol", "vendor")
    search_fields = ("identity", "vendor", "model", "serial_number", "location__ocpi_id")
    list_select_related = ("location",)
    inlines = (OcppConnectorInline,)
    readonly_fields = (
        "protocol",
        "connected",
        "node",
        "connected_at",
        "disconnected_at",
        "last_seen_at",
        "last_heartbeat_at",
        "last_boot_at",
        "offline_published",
        "vendor",
        "model",
        "serial_number",
        "firmware_version",
        "meter_type",
        "meter_serial_number",
        "station_status",
        "recent_messages",
    )
    fieldsets = (
        (None, {"fields": ("identity", "password", "location")}),
        (
            "Connection",
            {
                "fields": (
                    "protocol",
                    "connected",
                    "node",
                    "connected_at",
                    "disconnected_at",
                    "last_seen_at",
                    "last_heartbeat_at",
                    "last_boot_at",
                    "offline_published",
                    "station_status",
                )
            },
        ),
        (
            "Reported at boot",
            {
                "fields": (
                    "vendor",
                    "model",
                    "serial_number",
                    "firmware_version",
                    "meter_type",
                    "meter_serial_number",
                )
            },
        ),
        ("Last messages", {"fields": ("recent_messages",)}),
    )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        request._ocpp_charge_point = obj  # type: ignore[attr-defined]
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: ChargePoint, form: Any, change: bool) -> None:
        password = form.cleaned_data.get("password")
        if password:
            charge_point_set_password(charge_point=obj, password=password)
        super().save_model(request, obj, form, change)

    @admin.display(description="last messages (newest first)")
    def recent_messages(self, obj: ChargePoint) -> SafeString:
        rows = obj.messages.order_by("-id")[:RECENT_MESSAGES]
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            (
                (m.created_at.isoformat(timespec="seconds"), m.direction, m.action, m.frame[:400])
                for m in rows
            ),
        )
        return format_html(
            "<table><tr><th>at</th><th>dir</th><th>action</th><th>frame</th></tr>{}</table>", body
        )


class ReadingInline(ReadOnlyMixin, admin.TabularInline):
    model = OcppMeterReading
    fields = ("timestamp", "energy_wh", "power_w", "current_a", "soc", "context")
    readonly_fields = fields
    extra = 0


class StateInline(ReadOnlyMixin, admin.TabularInline):
    model = OcppChargingState
    fields = ("timestamp", "state")
    readonly_fields = fields
    extra = 0


@admin.register(OcppTransaction)
class OcppTransactionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "transaction_id",
        "charge_point",
        "evse_id",
        "state",
        "started_at",
        "stopped_at",
        "id_tag",
        "auth_status",
        "session",
        "cdr",
    )
    list_filter = ("state", "auth_status")
    search_fields = ("transaction_id", "id_tag", "charge_point__identity", "session__ocpi_id")
    list_select_related = ("charge_point", "session", "cdr")
    inlines = (StateInline, ReadingInline)
    actions = ("create_missing_cdr",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Create the missing CDR of stopped transactions")
    def create_missing_cdr(self, request: HttpRequest, queryset: QuerySet[OcppTransaction]) -> None:
        made = sum(transaction_cdr_retry(transaction_pk=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{made} CDR(s) created.", messages.SUCCESS if made else messages.WARNING)


@admin.register(OcppCommand)
class OcppCommandAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("request_id", "charge_point", "action", "status", "created_at", "sent_at", "answered_at")
    list_filter = ("status", "action")
    search_fields = ("request_id", "charge_point__identity")
    list_select_related = ("charge_point",)
