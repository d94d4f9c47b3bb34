"""Run the OCPP central system (OCPP 1.6J and 2.0.1) in the foreground: `python manage.py run_ocpp`."""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cpo.ocpp.server import CentralSystem

GC_THRESHOLDS = (10_000, 10, 100)
SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits for it (Python's default: 0.005). The database
threads give the GIL up around every SQLite step and psycopg network wait; with the event loop busy,
each time they want it back costs them up to this long, which made a write of a few hundred rows take
tenths of a second."""


def _tune_gc() -> None:
    """Fewer, cheaper garbage collections: a collection stops the event loop and the database threads
    alike, and a full one walks every live object (tenths of a second with thousands of chargers).

    What is loaded at start (Django, the schemas) is frozen out of the collector's walks; the youngest
    generation is collected every 10,000 allocations instead of 700, so the short-lived objects of each
    message (frames, rows, schemas) mostly die before they are promoted; and a full collection comes
    after 100 collections of the middle generation instead of 10.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL)


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
        _tune_gc()
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
