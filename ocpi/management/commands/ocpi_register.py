"""Register with a partner from its versions URL and the Token A it gave us (§7.1.1, we are the Sender)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocpi.credentials.services import RegistrationFailed, platform_create, platform_register
from ocpi.models import Platform


class Command(BaseCommand):
    help = "Register with a partner platform: ocpi_register <versions_url> <token_a> [--name NAME]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("versions_url")
        parser.add_argument("token_a", help="The partner's Token A (put -- before it if it starts with -)")
        parser.add_argument("--name", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"] or options["versions_url"][:100]
        existing = Platform.objects.filter(name=name).first()
        if existing is not None and existing.is_registered:
            raise CommandError(f"Platform {name!r} is already registered")
        before = None
        if existing is not None:
            before = {f: getattr(existing, f) for f in ("status", "versions_url", "outgoing_token")}
            existing.versions_url, existing.outgoing_token = options["versions_url"], options["token_a"]
            existing.status = Platform.Status.NEW
            existing.save()
            platform = existing
        else:
            platform = platform_create(
                versions_url=options["versions_url"], token_a=options["token_a"], name=name
            )
        try:
            platform_register(platform=platform)
        except RegistrationFailed as exc:
            # Nothing half-stored: what the command created it removes, what it changed it puts back.
            if before is None:
                platform.delete()
            else:
                Platform.objects.filter(pk=platform.pk).update(**before)
            raise CommandError(str(exc)) from exc
        parties = ", ".join(str(p) for p in platform.parties.all())
        self.stdout.write(self.style.SUCCESS(f"registered with {platform.name} ({parties})"))
