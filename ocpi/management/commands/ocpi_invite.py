"""Create a Token A for a new partner and print it with our versions URL (§7.1.1)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocpi.credentials.services import RegistrationFailed, platform_invite
from ocpi.versions.registry import absolute_url


class Command(BaseCommand):
    help = "Create a registration token (Token A) for a new partner and print it with our versions URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--name", default=None, help="A name for the partner platform (default: generated)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.utils.crypto import get_random_string

        name = options["name"] or f"partner-{get_random_string(6).lower()}"
        try:
            platform, token_a = platform_invite(name=name)
        except RegistrationFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"platform:     {platform.name}")
        self.stdout.write(f"versions URL: {absolute_url('ocpi-versions')}")
        self.stdout.write(f"token A:      {token_a}")
