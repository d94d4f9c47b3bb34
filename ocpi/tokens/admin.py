"""Admin for Tokens: find by uid or contract id, block/unblock and change whitelisting in the list.

Edits go through `token_patch`, like a partner's PATCH, so `last_updated` follows a real change only,
and an edit of one of our own eMSP's tokens is queued for the partner CPOs as a PATCH of the changed
fields in the same transaction (§12.1.1 Push model). Tokens are never added or deleted here: they
arrive by PUT, and §12.1 forbids deleting them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone

from ocpi.core.types import format_datetime
from ocpi.tokens.models import Token
from ocpi.tokens.services import token_patch

_EDITABLE = ("valid", "whitelist")


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = (
        "uid",
        "type",
        "contract_id",
        "visual_number",
        "issuer",
        "country_code",
        "ocpi_party_id",
        "valid",
        "whitelist",
        "last_updated",
    )
    list_editable = _EDITABLE
    list_filter = ("valid", "whitelist", "type", "party")
    search_fields = ("uid", "contract_id", "visual_number")
    list_select_related = ("party",)
    ordering = ("-last_updated", "-pk")
    date_hierarchy = "last_updated"
    readonly_fields = (
        "party",
        "country_code",
        "ocpi_party_id",
        "uid",
        "type",
        "contract_id",
        "visual_number",
        "issuer",
        "group_id",
        "language",
        "default_profile_type",
        "energy_contract",
        "last_updated",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Token | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Token, form: ModelForm[Any], change: bool) -> None:
        patch: dict[str, Any] = {
            name: form.cleaned_data[name] for name in form.changed_data if name in _EDITABLE
        }
        if not patch:
            return
        patch["last_updated"] = format_datetime(timezone.now())
        stored = token_patch(token=obj, patch=patch)
        obj.last_updated = stored.last_updated
