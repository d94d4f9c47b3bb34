"""Admin: the outbox (filters by partner, state, module; retry) and the pull history."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ocpi.sync.models import OutboxMessage, PullRun, PushChannel
from ocpi.sync.outbox import outbox_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "platform",
        "module",
        "method",
        "path",
        "state",
        "attempts",
        "next_attempt_at",
        "last_http_status",
        "last_ocpi_status",
        "created_at",
    )
    list_filter = ("state", "module", "method", "platform")
    search_fields = ("object_key", "path", "platform__name", "last_error")
    list_select_related = ("platform",)
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ("retry_action",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Retry the selected failed deliveries")
    def retry_action(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = outbox_retry(messages=queryset)
        self.message_user(request, f"{count} deliveries queued again", messages.SUCCESS)


@admin.register(PushChannel)
class PushChannelAdmin(admin.ModelAdmin):
    list_display = ("platform", "consecutive_failures", "open_until", "last_success_at", "last_failure_at")
    readonly_fields = [f.name for f in PushChannel._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PullRun)
class PullRunAdmin(admin.ModelAdmin):
    list_display = (
        "platform",
        "module",
        "full",
        "started_at",
        "outcome",
        "fetched",
        "stored",
        "skipped",
        "pages",
    )
    list_filter = ("outcome", "module", "platform", "full")
    readonly_fields = [f.name for f in PullRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
