"""Load the demo data `make run` uses (idempotent): own CPO and eMSP parties, an admin, a Token A."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from ocpi.credentials.services import platform_invite
from ocpi.demo import demo_load
from ocpi.services import own_parties_sync
from ocpi.versions.registry import absolute_url


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the admin login, the versions URL and a Token A."

    def handle(self, *args: Any, **options: Any) -> None:
        parties = own_parties_sync()
        summary = demo_load()
        username = os.environ.get("OCPI_DEMO_ADMIN_USER", "admin")
        password = os.environ.get("OCPI_DEMO_ADMIN_PASSWORD", "ocpi-admin")
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=username, defaults={"email": f"{username}@localhost"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        _, token_a = platform_invite(name="demo-partner")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"  own parties:  {', '.join(str(p) for p in parties)}")
        for line in summary:
            self.stdout.write(f"  {line}")
        admin_url = f"{settings.OCPI_BASE_URL}/admin/"
        self.stdout.write(f"  admin:        {admin_url}  (user {username!r}, password {password!r})")
        self.stdout.write(f"  versions URL: {absolute_url('ocpi-versions')}")
        self.stdout.write(f"  Token A:      {token_a}   (a partner registers with it; new each run)")
        self.stdout.write(f"  API docs:     {settings.OCPI_BASE_URL}/api/docs/")
