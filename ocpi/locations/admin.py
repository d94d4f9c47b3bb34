"""Admin for Locations, EVSEs and Connectors (§8), for operators editing our own charging locations.

Every form is validated through the wire schemas, so whatever is saved here is still valid OCPI
(lengths, enums, patterns, JSON value objects, cross-field rules). Nothing is saved with
`model.save()`: every save goes through the services as the OCPI call a partner would make, so
`last_updated` moves with real edits only, reaches the parents, and the change is pushed to the
partners in the same transaction (`ocpi.locations.push`): a new object is a PUT, an edit of some
fields is a PATCH of those fields (e.g. an EVSE status), an added, removed or reordered connector is a
PUT of its EVSE. Partners' copies are read-only: they mirror what the partner pushed. Locations and
EVSEs cannot be deleted: "There is no way to entirely delete Locations, EVSEs and Connectors" (§8.1);
set an EVSE's status to REMOVED instead.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Max, QuerySet
from django.forms.models import construct_instance
from django.http import HttpRequest
from django.utils import timezone
from pydantic import ValidationError

from ocpi.core.exceptions import InvalidParameters
from ocpi.core.patch import LAST_UPDATED, validate_patch
from ocpi.core.types import OcpiModel
from ocpi.locations import schemas, services
from ocpi.locations.models import EVSE, Connector, Location
from ocpi.models import Party


def add_schema_errors(
    form: forms.BaseForm, exc: ValidationError, rename: Mapping[str, str] | None = None
) -> None:
    """Put each pydantic error on the form field it belongs to (OCPI name, or its renamed column)."""
    rename = rename or {}
    for err in exc.errors(include_url=False, include_input=False):
        loc = [str(part) for part in err["loc"]]
        field = rename.get(loc[0], loc[0]) if loc else None
        if field in form.fields:
            inner = ".".join(loc[1:])
            form.add_error(field, f"{inner}: {err['msg']}" if inner else err["msg"])
        else:
            form.add_error(None, f"{'.'.join(loc) or 'object'}: {err['msg']}")


def _stamp_new(instance: Location | EVSE | Connector) -> None:
    """A new object is created now; the stamp also lets it be rendered for validation."""
    if instance.last_updated is None:
        instance.last_updated = timezone.now()


def _own_party(party: Party | None) -> bool:
    return party is not None and party.platform_id is None


def adopt(obj: models.Model, pk: int) -> None:
    """Turn the admin's unsaved instance into the row a service wrote, for the admin's log and redirect."""
    obj.pk = pk
    obj._state.adding = False
    obj.refresh_from_db()


_WIRE_NAMES = {"ocpi_id": "id", "latitude": "coordinates", "longitude": "coordinates"}
_NOT_WIRE = frozenset({"party", "location", "position", "last_updated"})


def _wire_fields(changed: Iterable[str]) -> list[str]:
    """A form's changed fields as the OCPI fields they are part of (latitude -> coordinates)."""
    fields: list[str] = []
    for name in changed:
        if name not in _NOT_WIRE and _WIRE_NAMES.get(name, name) not in fields:
            fields.append(_WIRE_NAMES.get(name, name))
    return fields


def _patch(model: type[OcpiModel], rendered: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """A validated PATCH of `fields` with their values in `rendered` (a cleared optional one as null)."""
    return validate_patch(model, {name: rendered.get(name) for name in fields}, require_last_updated=False)


def _save_evse_fields(form: forms.ModelForm, evse: EVSE, stamp: datetime) -> None:
    """An edit of an existing EVSE's own fields: a PATCH of the changed ones (`evse_patch`), and a move
    when its position changed (`evse_move`)."""
    fields = _wire_fields(form.changed_data)
    if fields:
        patch = _patch(schemas.EVSE, services.evse_fields_to_json(evse), fields)
        patch[LAST_UPDATED] = stamp
        services.evse_patch(evse=evse, patch=patch)
    if "position" in form.changed_data:
        position = evse.position
        if position is None:
            top = EVSE.objects.filter(location_id=evse.location_id).aggregate(top=Max("position"))["top"]
            position = 0 if top is None else top + 1
        services.evse_move(evse=evse, position=position, at=stamp)


class SchemaForm(forms.ModelForm):
    """A ModelForm whose object must also be a valid OCPI object.

    `check` validates the instance exactly as the form would save it; the JSON fields are then saved
    as the schema normalises them (UTC `Z` timestamps, exact numbers, no nulls inside).
    """

    @abstractmethod
    def check(self, instance: Any) -> OcpiModel | None:
        """Validate the updated instance; add errors to the form and return None when invalid.

        Every form of this admin says how its object is an OCPI object (Location, EVSE, Connector).
        """

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        validated = self.check(instance)
        if validated is not None:
            rendered = validated.to_json()
            for name, field in self.fields.items():
                if isinstance(field, forms.JSONField) and name in type(validated).model_fields:
                    cleaned[name] = rendered.get(name)
        return cleaned


# --- Location ------------------------------------------------------------------------------------

_LOCATION_RENAME = {"id": "ocpi_id", "coordinates": "latitude"}
_LOCATION_FIELDS = (
    "party",
    "ocpi_id",
    "publish",
    "publish_allowed_to",
    "name",
    "address",
    "city",
    "postal_code",
    "state",
    "country",
    "time_zone",
    "latitude",
    "longitude",
    "related_locations",
    "directions",
    "parking_type",
    "facilities",
    "opening_times",
    "charging_when_closed",
    "operator",
    "suboperator",
    "owner",
    "images",
    "energy_mix",
)


class LocationAdminForm(SchemaForm):
    """Validates the location (without its EVSEs) as a §8.3.1 Location object."""

    class Meta:
        model = Location
        fields = _LOCATION_FIELDS

    def check(self, instance: Location) -> OcpiModel | None:
        if instance.party_id is None:
            return None
        instance.country_code, instance.ocpi_party_id = instance.party.country_code, instance.party.party_id
        _stamp_new(instance)
        try:
            validated = schemas.Location.model_validate(services.location_fields_to_json(instance))
        except ValidationError as exc:
            add_schema_errors(self, exc, _LOCATION_RENAME)
            return None
        duplicate = Location.objects.filter(
            country_code=instance.country_code,
            ocpi_party_id=instance.ocpi_party_id,
            ocpi_id__iexact=instance.ocpi_id,
        ).exclude(pk=instance.pk)
        if duplicate.exists():
            self.add_error(
                "ocpi_id" if "ocpi_id" in self.fields else None, "This party already has this location id."
            )
            return None
        return validated


class EVSEInlineForm(SchemaForm):
    """The EVSE's own fields, each validated as in §8.3.2."""

    class Meta:
        model = EVSE
        fields = ("position", "uid", "evse_id", "status", "floor_level", "physical_reference")

    def check(self, instance: EVSE) -> OcpiModel | None:
        _stamp_new(instance)
        try:
            validate_patch(schemas.EVSE, services.evse_fields_to_json(instance))
        except InvalidParameters as err:
            for problem in err.data["errors"]:
                field = problem["field"] if problem["field"] in self.fields else None
                self.add_error(field, f"{problem['field']}: {problem['message']}")
        return None


class EVSEInline(admin.TabularInline):
    """A location's EVSEs in the order sent; connectors are edited on the EVSE's own page."""

    model = EVSE
    form = EVSEInlineForm
    fields = ("position", "uid", "evse_id", "status", "floor_level", "physical_reference", "last_updated")
    readonly_fields = ("uid", "last_updated")  # an EVSE's uid names it at the partners: it cannot change
    ordering = ("position", "pk")
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An EVSE needs at least one connector (§8.3.2): add it from the EVSE page with its connectors.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or _own_party(obj.party))


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    form = LocationAdminForm
    inlines = [EVSEInline]
    list_display = ("ocpi_id", "name", "city", "country", "party", "publish", "evse_count", "last_updated")
    list_filter = ("publish", "country", "party", "parking_type", "evses__status")
    search_fields = (
        "ocpi_id",
        "name",
        "address",
        "city",
        "postal_code",
        "country_code",
        "ocpi_party_id",
        "party__business_name",
        "evses__uid",
        "evses__evse_id",
    )
    date_hierarchy = "last_updated"
    list_select_related = ("party",)
    readonly_fields = ("country_code", "ocpi_party_id", "last_updated")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "party",
                    "country_code",
                    "ocpi_party_id",
                    "ocpi_id",
                    "publish",
                    "publish_allowed_to",
                )
            },
        ),
        ("Address", {"fields": ("name", "address", "city", "postal_code", "state", "country", "time_zone")}),
        ("Coordinates", {"fields": ("latitude", "longitude", "related_locations", "directions")}),
        (
            "Details",
            {
                "fields": (
                    "parking_type",
                    "facilities",
                    "opening_times",
                    "charging_when_closed",
                    "operator",
                    "suboperator",
                    "owner",
                    "images",
                    "energy_mix",
                )
            },
        ),
        (None, {"fields": ("last_updated",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Location]:
        return super().get_queryset(request).select_related("party")

    @admin.display(description="EVSEs")
    def evse_count(self, obj: Location) -> int:
        return obj.evses.count()

    def get_readonly_fields(self, request: HttpRequest, obj: Location | None = None) -> Any:
        if obj is not None:
            return (*self.readonly_fields, "party", "ocpi_id")
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "party":
            kwargs["queryset"] = Party.objects.own().filter(role="CPO")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Location | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or _own_party(obj.party))

    def has_delete_permission(self, request: HttpRequest, obj: Location | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Location, form: forms.ModelForm, change: bool) -> None:
        """A new location is a `location_put` (PUT), an edit a `location_patch` of the changed fields."""
        if not change:
            data = schemas.Location.model_validate(services.location_fields_to_json(obj))
            location, _ = services.location_put(party=obj.party, data=data)
            adopt(obj, location.pk)
            return
        fields = _wire_fields(form.changed_data)
        if fields:
            patch = _patch(schemas.Location, services.location_fields_to_json(obj), fields)
            services.location_patch(location=obj, patch=patch)
            obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """EVSEs edited in the inline: a PATCH of each one's changed fields (e.g. its status)."""
        formset.save(commit=False)  # fills changed_objects for the admin's change message; writes nothing
        stamp = timezone.now()
        for evse_form in formset.forms:
            if evse_form.has_changed() and evse_form.instance.pk:
                _save_evse_fields(evse_form, evse_form.instance, stamp)


# --- EVSE ----------------------------------------------------------------------------------------

_EVSE_FIELDS = (
    "location",
    "position",
    "uid",
    "evse_id",
    "status",
    "status_schedule",
    "capabilities",
    "floor_level",
    "latitude",
    "longitude",
    "physical_reference",
    "directions",
    "parking_restrictions",
    "images",
)

# An EVSE needs one connector (§8.3.2) to be validated as a whole; its real connectors are validated
# by their own inline forms, so the EVSE's own fields are checked next to this valid one.
_ANY_VALID_CONNECTOR = {
    "id": "1",
    "standard": "IEC_62196_T2",
    "format": "SOCKET",
    "power_type": "AC_3_PHASE",
    "max_voltage": 230,
    "max_amperage": 16,
    "last_updated": "2020-01-01T00:00:00Z",
}


class EVSEAdminForm(SchemaForm):
    """Validates the EVSE's fields (its connectors are the inline below) as in §8.3.2."""

    class Meta:
        model = EVSE
        fields = _EVSE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "position" in self.fields:
            self.fields["position"].required = False
            self.fields["position"].help_text = "Order within the location; empty: after the others."

    def check(self, instance: EVSE) -> OcpiModel | None:
        _stamp_new(instance)
        data = services.evse_fields_to_json(instance)
        try:
            return schemas.EVSE.model_validate({**data, "connectors": [_ANY_VALID_CONNECTOR]})
        except ValidationError as exc:
            add_schema_errors(self, exc, {"coordinates": "latitude"})
            return None


_CONNECTOR_FIELDS = (
    "position",
    "ocpi_id",
    "standard",
    "format",
    "power_type",
    "max_voltage",
    "max_amperage",
    "max_electric_power",
    "tariff_ids",
    "terms_and_conditions",
)


class ConnectorInlineForm(SchemaForm):
    """A connector validated as a §8.3.3 Connector object."""

    class Meta:
        model = Connector
        fields = _CONNECTOR_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.fields["position"].help_text = "Empty: after the others."

    def check(self, instance: Connector) -> OcpiModel | None:
        _stamp_new(instance)
        try:
            return schemas.Connector.model_validate(services.connector_to_json(instance))
        except ValidationError as exc:
            add_schema_errors(self, exc, {"id": "ocpi_id"})
            return None


class ConnectorInline(admin.TabularInline):
    """An EVSE's connectors, at least one (§8.3.2 connectors: +)."""

    model = Connector
    form = ConnectorInlineForm
    fields = (*_CONNECTOR_FIELDS, "last_updated")
    readonly_fields = ("last_updated",)
    ordering = ("position", "pk")
    extra = 0
    min_num = 1

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # InlineModelAdmin passes min_num to the formset but not validate_min: enforce "+" ourselves.
        kwargs.setdefault("validate_min", True)
        return super().get_formset(request, obj, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or _own_party(obj.location.party))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and (obj is None or _own_party(obj.location.party))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or _own_party(obj.location.party))


@admin.register(EVSE)
class EVSEAdmin(admin.ModelAdmin):
    form = EVSEAdminForm
    inlines = [ConnectorInline]
    list_display = ("uid", "evse_id", "status", "location", "position", "last_updated")
    list_filter = ("status", "location__party", "location__country")
    search_fields = (
        "uid",
        "evse_id",
        "physical_reference",
        "location__ocpi_id",
        "location__name",
        "location__city",
    )
    list_select_related = ("location", "location__party")
    readonly_fields = ("last_updated",)
    fields = (*_EVSE_FIELDS, "last_updated")

    def get_readonly_fields(self, request: HttpRequest, obj: EVSE | None = None) -> Any:
        if obj is not None:
            return (*self.readonly_fields, "location", "uid")
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "location":
            kwargs["queryset"] = Location.objects.filter(party__platform__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: EVSE | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or _own_party(obj.location.party))

    def has_delete_permission(self, request: HttpRequest, obj: EVSE | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: EVSE, form: forms.ModelForm, change: bool) -> None:
        """An edit of the EVSE's own fields is a PATCH of them; a new EVSE needs its connectors
        (§8.3.2), so it is written whole with them in `save_formset`."""
        if change and form.has_changed():
            _save_evse_fields(form, obj, timezone.now())

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The connectors, through the services as one OCPI call each.

        A new EVSE, or a connector added, removed, renamed or moved, is an `evse_put` of the whole EVSE
        (only a PUT can remove a connector or give an order); otherwise each edited connector is a
        `connector_patch` of its changed fields.
        """
        formset.save(commit=False)  # fills new/changed/deleted_objects for the change message; writes nothing
        stamp = timezone.now()
        evse: EVSE = form.instance
        restructured = bool(formset.new_objects or formset.deleted_objects) or any(
            {"position", "ocpi_id"} & set(changed) for _, changed in formset.changed_objects
        )
        if not change or restructured:
            position = evse.position
            written = self._put_whole(evse, formset, stamp)
            if not change:
                adopt(evse, written.pk)
                if position is not None and position != written.position:
                    services.evse_move(evse=evse, position=position, at=stamp)
            return
        for connector, changed in formset.changed_objects:
            fields = _wire_fields(changed)
            if fields:
                patch = _patch(schemas.Connector, services.connector_to_json(connector), fields)
                patch[LAST_UPDATED] = stamp
                services.connector_patch(connector=connector, patch=patch)

    @staticmethod
    def _put_whole(evse: EVSE, formset: Any, stamp: datetime) -> EVSE:
        """`evse_put` of the EVSE as edited: its fields (as stored when it exists) and the connectors
        left in the inline, in their position order (those without one last)."""
        current = EVSE.objects.get(pk=evse.pk) if evse.pk else evse
        deleted = set(formset.deleted_forms)
        kept = [
            f for f in formset.forms if f not in deleted and (f.instance.pk is not None or f.has_changed())
        ]
        kept.sort(key=lambda f: (f.instance.position is None, f.instance.position or 0))
        connectors = [{**services.connector_to_json(f.instance), "last_updated": stamp} for f in kept]
        data = schemas.EVSE.model_validate(
            {**services.evse_fields_to_json(current), "connectors": connectors, "last_updated": stamp}
        )
        written, _ = services.evse_put(location=current.location, data=data)
        return written
