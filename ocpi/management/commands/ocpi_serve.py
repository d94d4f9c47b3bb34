"""Run the whole platform in the foreground: web, Celery worker and beat, OCPP (what `make run` does)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and Celery beat; Ctrl-C stops them all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--ocpp-port", type=int, default=9000, help="OCPP central system port")

    def handle(self, *args: Any, **options: Any) -> None:
        bin_dir = Path(sys.executable).parent
        var = Path(settings.VAR_DIR)
        commands = {
            "web": [
                str(bin_dir / "gunicorn"),
                "config.wsgi",
                "--bind",
                options["bind"],
                "--workers",
                "1",
                "--threads",
                str(options["threads"]),
                "--access-logfile",
                "-",
            ],
            "worker": [
                str(bin_dir / "celery"),
                *("-A", "config", "worker", "--pool", "threads", "-c", "4", "-l", "INFO"),
            ],
            "ocpp": [
                sys.executable,
                "manage.py",
                "run_ocpp",
                "--host",
                "127.0.0.1",
                "--port",
                str(options["ocpp_port"]),
            ],
            "beat": [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "beat",
                "-l",
                "INFO",
                "--schedule",
                str(var / "celerybeat-schedule"),
            ],
        }
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        procs = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}  # noqa: S603
        self.stdout.write(
            self.style.SUCCESS(
                f"serving on http://{options['bind']} (web, worker, beat) and "
                f"ws://127.0.0.1:{options['ocpp_port']}/ocpp/<charge_point_id> (OCPP 1.6J / 2.0.1)"
            )
        )

        def stop(*_: Any) -> None:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in procs.values()):
                time.sleep(0.5)
            dead = [name for name, p in procs.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(dead)} exited; stopping the others")
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for proc in procs.values():
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
