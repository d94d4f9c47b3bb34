"""Pull a partner's data now, with a progress bar: ocpi_sync <partner> [--module M] [--full]."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ocpi.credentials.services import RegistrationFailed, platform_lookup
from ocpi.sync.pull import pull_module, pullable_modules


class Command(BaseCommand):
    help = "Pull a partner's Sender endpoints now. <partner> is CC-PID (e.g. NL-ABC) or the platform name."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partner")
        parser.add_argument("--module", action="append", help="only this module (repeatable)")
        parser.add_argument("--full", action="store_true", help="full resync: no date_from")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            platform = platform_lookup(options["partner"])
        except RegistrationFailed as exc:
            raise CommandError(str(exc)) from exc
        if not platform.is_registered:
            raise CommandError(f"{platform.name} is not registered")
        available = pullable_modules(platform)
        modules = options["module"] or available
        unknown = [m for m in modules if m not in available]
        if unknown:
            raise CommandError(f"{platform.name} has no pullable Sender endpoint for: {', '.join(unknown)}")
        failed = False
        for module in modules:
            with tqdm(desc=f"{platform.name} {module}", unit="obj", file=sys.stderr) as bar:
                run = pull_module(platform=platform, module=module, full=options["full"], progress=bar.update)
            failed |= run.outcome != run.Outcome.OK
            seconds = ((run.finished_at or run.started_at) - run.started_at).total_seconds()
            self.stdout.write(
                f"{module}: {run.outcome} fetched={run.fetched} stored={run.stored} skipped={run.skipped} "
                f"pages={run.pages} in {seconds:.1f}s"
                + (f" errors: {run.errors.splitlines()[0]}" if run.errors else "")
            )
        if failed:
            raise CommandError("some modules failed")
