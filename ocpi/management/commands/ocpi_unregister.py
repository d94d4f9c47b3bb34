"""Unregister from a partner (DELETE /credentials, §7.2.4) and forget it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocpi.credentials.services import RegistrationFailed, platform_lookup, platform_unregister


class Command(BaseCommand):
    help = "Unregister from a partner: ocpi_unregister <name|CC-PID> [--force]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partner")
        parser.add_argument(
            "--force", action="store_true", help="Forget it locally even if it cannot be reached"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            platform = platform_unregister(
                platform=platform_lookup(options["partner"]), force=options["force"]
            )
        except RegistrationFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"unregistered from {platform.name}"))
