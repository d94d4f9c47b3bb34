"""Admin for partner platforms and parties: register, rotate, unregister and invite from here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ocpi.credentials.services import (
    RegistrationFailed,
    platform_invite,
    platform_register,
    platform_unregister,
    platform_update_credentials,
)
from ocpi.models import CredentialsToken, Party, Platform, PlatformEndpoint
from ocpi.sync.models import PullRun
from ocpi.sync.tasks import pull_partner
from ocpi.versions.registry import absolute_url


class PlatformEndpointInline(admin.TabularInline):
    model = PlatformEndpoint
    extra = 0
    can_delete = False
    readonly_fields = ("identifier", "role", "url")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0
    fields = ("country_code", "party_id", "role", "business_name", "business_website")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CredentialsTokenInline(admin.TabularInline):
    model = CredentialsToken
    extra = 0
    can_delete = False
    fields = ("kind", "created_at", "revoked_at")
    readonly_fields = fields
    verbose_name_plural = "tokens this partner uses to call us (stored hashed)"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PlatformForm(forms.ModelForm):
    outgoing_token = forms.CharField(
        required=False,
        max_length=64,
        label="Partner's Token A / our outgoing token",
        help_text="To register with a partner: enter its versions URL and the Token A it gave you, "
        "save, then use the 'Register with partner' action.",
        widget=forms.PasswordInput(render_value=True),
    )

    class Meta:
        model = Platform
        fields = ("name", "versions_url", "outgoing_token")


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    form = PlatformForm
    list_display = ("name", "status", "parties_display", "version", "last_contact_at", "registered_at")
    list_filter = ("status", "version")
    search_fields = (
        "name",
        "versions_url",
        "parties__party_id",
        "parties__country_code",
        "parties__business_name",
    )
    readonly_fields = (
        "status",
        "version",
        "version_url",
        "registered_at",
        "last_contact_at",
        "last_error",
        "created_at",
        "updated_at",
        "last_pulls",
    )
    inlines = (PartyInline, PlatformEndpointInline, CredentialsTokenInline)
    actions = (
        "register_action",
        "update_credentials_action",
        "unregister_action",
        "invite_action",
        "sync_now_action",
        "full_resync_action",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Platform]:
        return super().get_queryset(request).prefetch_related("parties")

    @admin.display(description="parties")
    def parties_display(self, obj: Platform) -> str:
        return ", ".join(str(p) for p in obj.parties.all())

    def _each(self, request: HttpRequest, queryset: QuerySet[Platform], verb: str, fn: object) -> None:
        for platform in queryset:
            try:
                fn(platform=platform)  # type: ignore[operator]
            except RegistrationFailed as exc:
                self.message_user(request, f"{platform}: {verb} failed: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{platform}: {verb} done", messages.SUCCESS)

    @admin.display(description="last pull per module")
    def last_pulls(self, obj: Platform) -> SafeString:
        latest: dict[str, PullRun] = {}
        for run in PullRun.objects.filter(platform=obj).order_by("-started_at")[:200]:
            latest.setdefault(run.module, run)
        if not latest:
            return format_html("{}", "never pulled")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.module,
                    f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                    r.outcome,
                    r.stored,
                    r.skipped,
                    r.errors[:200],
                )
                for r in latest.values()
            ),
        )
        return format_html(
            "<table><tr><th>module</th><th>when</th><th>outcome</th><th>objects</th><th>skipped</th>"
            "<th>errors</th></tr>{}</table>",
            rows,
        )

    @admin.action(description="Sync now (delta pull of every module)")
    def sync_now_action(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        for platform in queryset.filter(status=Platform.Status.REGISTERED):
            pull_partner.delay(platform.pk)
        self.message_user(request, "pull queued", messages.SUCCESS)

    @admin.action(description="Full resync (pull everything, no date_from)")
    def full_resync_action(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        for platform in queryset.filter(status=Platform.Status.REGISTERED):
            pull_partner.delay(platform.pk, full=True)
        self.message_user(request, "full resync queued", messages.SUCCESS)

    @admin.action(description="Register with partner (POST our credentials using its Token A)")
    def register_action(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        self._each(request, queryset, "registration", platform_register)

    @admin.action(description="Update credentials (rotate tokens)")
    def update_credentials_action(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        self._each(request, queryset, "credentials update", platform_update_credentials)

    @admin.action(description="Unregister (DELETE credentials) and forget")
    def unregister_action(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        self._each(request, queryset, "unregistration", platform_unregister)

    @admin.action(description="Issue a Token A (invite this partner to register with us)")
    def invite_action(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        for platform in queryset:
            try:
                _, token_a = platform_invite(name=platform.name)
            except RegistrationFailed as exc:
                self.message_user(request, f"{platform}: {exc}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"{platform}: give the partner our versions URL {absolute_url('ocpi-versions')} and Token A "
                f"{token_a} (shown once; it is stored hashed)",
                messages.WARNING,
            )


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ("country_code", "party_id", "role", "business_name", "platform", "is_own")
    list_filter = ("role", "country_code", ("platform", admin.EmptyFieldListFilter))
    search_fields = ("party_id", "country_code", "business_name", "platform__name")
    list_select_related = ("platform",)

    @admin.display(boolean=True, description="ours")
    def is_own(self, obj: Party) -> bool:
        return obj.is_own
