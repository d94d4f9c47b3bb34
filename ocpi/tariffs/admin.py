"""Admin for Tariffs (§11): our own tariffs editable, partners' copies read-only.

The form is validated as a whole §11.3.1 Tariff object, so a saved tariff is valid OCPI; the
elements are shown as a table an operator can read (first matching element wins per dimension).
Saves and deletes go through the services (`tariff_put`, `tariff_delete`), never `model.save()`, so a
change to one of our tariffs is pushed to the partners in the same transaction (PUT or DELETE).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from pydantic import ValidationError

from ocpi.core.types import OcpiModel
from ocpi.locations.admin import SchemaForm, add_schema_errors, adopt
from ocpi.models import Party
from ocpi.tariffs import schemas, services
from ocpi.tariffs.models import Tariff

_RENAME = {"id": "ocpi_id", "min_price": "min_price_excl_vat", "max_price": "max_price_excl_vat"}

_UNITS = {"ENERGY": "per kWh", "FLAT": "flat", "PARKING_TIME": "per hour parked", "TIME": "per hour charging"}
_STEP_UNITS = {"ENERGY": "Wh", "FLAT": "", "PARKING_TIME": "s", "TIME": "s"}


class TariffAdminForm(SchemaForm):
    """Validates the whole tariff as a §11.3.1 Tariff object."""

    class Meta:
        model = Tariff
        fields = (
            "party",
            "ocpi_id",
            "currency",
            "type",
            "elements",
            "min_price_excl_vat",
            "min_price_incl_vat",
            "max_price_excl_vat",
            "max_price_incl_vat",
            "start_date_time",
            "end_date_time",
            "tariff_alt_text",
            "tariff_alt_url",
            "energy_mix",
        )

    def check(self, instance: Tariff) -> OcpiModel | None:
        if instance.party_id is None:
            return None
        instance.country_code, instance.ocpi_party_id = instance.party.country_code, instance.party.party_id
        if instance.last_updated is None:
            instance.last_updated = timezone.now()
        try:
            validated = schemas.Tariff.model_validate(services.tariff_to_json(instance))
        except ValidationError as exc:
            add_schema_errors(self, exc, _RENAME)
            return None
        duplicate = Tariff.objects.filter(
            country_code=instance.country_code,
            ocpi_party_id=instance.ocpi_party_id,
            ocpi_id__iexact=instance.ocpi_id,
        ).exclude(pk=instance.pk)
        if duplicate.exists():
            self.add_error(
                "ocpi_id" if "ocpi_id" in self.fields else None, "This party already has this tariff id."
            )
            return None
        return validated


def _restrictions_text(restrictions: dict[str, Any] | None) -> str:
    if not restrictions:
        return "always"
    parts = []
    for key, value in restrictions.items():
        parts.append(f"{key}={','.join(value) if isinstance(value, list) else value}")
    return "; ".join(parts)


def _price_text(value: Any) -> str:
    return f"{Decimal(str(value)):f}"


def elements_table(tariff: Tariff) -> SafeString:
    """The elements as an HTML table: one row per price component, in the order they apply."""
    rows = []
    for number, element in enumerate(tariff.elements or [], start=1):
        restrictions = _restrictions_text(element.get("restrictions"))
        for component in element.get("price_components", []):
            dimension = component.get("type", "")
            vat = component.get("vat")
            rows.append(
                (
                    number,
                    restrictions,
                    dimension,
                    f"{_price_text(component.get('price'))} {tariff.currency} {_UNITS.get(dimension, '')}",
                    "none" if vat is None else f"{_price_text(vat)} %",
                    f"{component.get('step_size')} {_STEP_UNITS.get(dimension, '')}".strip(),
                )
            )
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        rows,
    )
    return format_html(
        "<table><thead><tr><th>#</th><th>restrictions</th><th>dimension</th><th>price (excl. VAT)</th>"
        "<th>VAT</th><th>step size</th></tr></thead><tbody>{}</tbody></table>",
        body,
    )


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    form = TariffAdminForm
    list_display = (
        "ocpi_id",
        "party",
        "currency",
        "type",
        "element_count",
        "start_date_time",
        "end_date_time",
        "last_updated",
    )
    list_filter = ("party", "currency", "type")
    search_fields = ("ocpi_id", "country_code", "ocpi_party_id", "party__business_name", "tariff_alt_url")
    date_hierarchy = "last_updated"
    list_select_related = ("party",)
    readonly_fields = ("country_code", "ocpi_party_id", "elements_readable", "last_updated")
    fieldsets = (
        (None, {"fields": ("party", "country_code", "ocpi_party_id", "ocpi_id", "currency", "type")}),
        ("Elements", {"fields": ("elements_readable", "elements")}),
        (
            "Prices",
            {
                "fields": (
                    "min_price_excl_vat",
                    "min_price_incl_vat",
                    "max_price_excl_vat",
                    "max_price_incl_vat",
                )
            },
        ),
        ("Validity", {"fields": ("start_date_time", "end_date_time")}),
        ("Information", {"fields": ("tariff_alt_text", "tariff_alt_url", "energy_mix")}),
        (None, {"fields": ("last_updated",)}),
    )

    @admin.display(description="elements")
    def element_count(self, obj: Tariff) -> int:
        return len(obj.elements or [])

    @admin.display(description="elements (readable)")
    def elements_readable(self, obj: Tariff) -> SafeString:
        return elements_table(obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Tariff | None = None) -> Any:
        if obj is not None:
            return (*self.readonly_fields, "party", "ocpi_id")
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "party":
            kwargs["queryset"] = Party.objects.own().filter(role="CPO")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Tariff | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.party.platform_id is None)

    def save_model(self, request: HttpRequest, obj: Tariff, form: forms.ModelForm, change: bool) -> None:
        """A `tariff_put` of the whole tariff as edited, stamped now; one that changes nothing keeps its
        last_updated and is not pushed."""
        if change and not form.has_changed():
            return
        if change:
            obj.last_updated = timezone.now()
        data = schemas.Tariff.model_validate(services.tariff_to_json(obj))
        tariff, _ = services.tariff_put(party=obj.party, data=data)
        adopt(obj, tariff.pk)

    def delete_model(self, request: HttpRequest, obj: Tariff) -> None:
        services.tariff_delete(tariff=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Tariff]) -> None:
        for tariff in queryset.select_related("party"):
            services.tariff_delete(tariff=tariff)
