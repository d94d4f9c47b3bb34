"""Run the OCPP central system (OCPP 1.6J and 2.0.1) in the foreground: `python manage.py run_ocpp`."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cpo.ocpp.server import CentralSystem
from cpo.ocpp.worker import tune_gc


class Command(BaseCommand):
    help = "Serve OCPP-J on ws://HOST:PORT/ocpp/<charge point identity> until SIGINT/SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 - chargers connect from the network
        parser.add_argument("--port", type=int, default=9000)
        parser.add_argument(
            "--node",
            default="",
            help="Name of this process in the charger table (default host:port), stable across restarts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tune_gc()
        asyncio.run(self._serve(options["host"], options["port"], options["node"]))

    async def _serve(self, host: str, port: int, node: str) -> None:
        central = CentralSystem(node=node or None)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await central.start(host, port)
        self.stdout.write(
            self.style.SUCCESS(
                f"OCPP central system on ws://{host}:{central.port}/ocpp/<id> ({central.node})"
            )
        )
        try:
            await stop.wait()
        finally:
            await central.close()
