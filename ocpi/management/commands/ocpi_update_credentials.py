"""Rotate credentials with a registered partner (PUT /credentials, §7.1.4)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocpi.credentials.services import RegistrationFailed, platform_lookup, platform_update_credentials


class Command(BaseCommand):
    help = "Rotate credentials tokens with a partner: ocpi_update_credentials <name|CC-PID>"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partner")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            platform = platform_update_credentials(platform=platform_lookup(options["partner"]))
        except RegistrationFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"credentials rotated with {platform.name}"))
