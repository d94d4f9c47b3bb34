"""The OCPP central system under load: connections held by one run_ocpp process, and MeterValues turned
into Session updates, against a bare ocpp echo server driven by the same clients in the same run.

Everything runs on 127.0.0.1 in separate processes: a scratch SQLite database (PostgreSQL with
OCPP_BENCH_POSTGRES=postgres://user@host:port; migrated here), the
real `manage.py run_ocpp`, a bare ocpp-library echo server (same library, same schema validation, no
database), and the clients in this process (raw OCPP-J frames over websockets, so the client side is
cheap). Printed, not asserted. Phases, each bounded in time:

1. connections: CHARGERS chargers authenticate (security profile 1), boot and stay connected;
2. LOAD_CHARGERS of them start a transaction (an OCPI Session each);
3. closed loop: each sends its next MeterValues as soon as the previous one is answered (max rate);
4. paced: PACED_RATE MeterValues/s in total, latency from send to answer. Answers go out after the
   database transaction that PATCHed the Session committed, so that latency bounds "message to row";
5. the same closed loop against the echo server; then the stops (Session COMPLETED + priced CDR).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CHARGERS = int(os.environ.get("OCPP_BENCH_CHARGERS", "5000"))
LOAD_CHARGERS = int(os.environ.get("OCPP_BENCH_LOAD_CHARGERS", "200"))
PHASE_SECONDS = float(os.environ.get("OCPP_BENCH_PHASE_SECONDS", "10"))
PACED_RATE = float(os.environ.get("OCPP_BENCH_RATE", "1000"))
CONNECT_CONCURRENCY = 200
PASSWORD = "bench-password-0123456789"
ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SECONDS = 10


# --- the processes -----------------------------------------------------------------------------------


POSTGRES = os.environ.get("OCPP_BENCH_POSTGRES", "")
"""e.g. postgres://postgres@127.0.0.1:5432: run on a scratch PostgreSQL database instead of SQLite."""


def _database_url(workdir: Path) -> str:
    if POSTGRES:
        return f"{POSTGRES.rstrip('/')}/bench_ocpp_{os.getpid()}"
    return f"sqlite:///{workdir / 'bench.sqlite3'}"


def _postgres_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES.rstrip('/')}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def _env(workdir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": _database_url(workdir),
            "OCPI_VAR_DIR": str(workdir),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(pid: int) -> float:
    """Resident memory of the process and its children (run_ocpp's batch writer), in MB."""
    total = 0.0
    with suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with suppress(OSError):
            total += sum(_rss_mb(int(child)) for child in task.read_text().split())
    return total


async def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        writer.close()
        return
    raise RuntimeError("server did not start listening")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the clients -------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Client:
    """One charger speaking OCPP 1.6J with raw frames: one CALL at a time, as OCPP-J requires."""

    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.websocket: Any = None
        self.counter = 0
        self.transaction_id: int | None = None
        self.sample = 0
        self.started = datetime.now(UTC) - timedelta(hours=2)

    async def connect(self, port: int, *, auth: bool = True) -> None:
        from websockets.asyncio.client import connect

        headers = {}
        if auth:
            token = base64.b64encode(f"{self.identity}:{PASSWORD}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        self.websocket = await connect(
            f"ws://127.0.0.1:{port}/ocpp/{self.identity}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=headers,
            compression=None,
            open_timeout=60,
            ping_interval=None,
        )

    async def call(self, action: str, payload: dict[str, Any]) -> Any:
        self.counter += 1
        unique_id = str(self.counter)
        await self.websocket.send(json.dumps([2, unique_id, action, payload], separators=(",", ":")))
        while True:
            message = json.loads(await self.websocket.recv())
            if message[0] == 2:  # a call from the server: not expected in the bench
                continue
            if message[1] == unique_id:
                if message[0] == 4:
                    raise RuntimeError(f"{action}: {message[2]} {message[3]}")
                return message[2]

    async def boot(self) -> None:
        await self.call("BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "B1"})

    async def start(self) -> None:
        answer = await self.call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": "BENCH0001",
                "meterStart": 1000,
                "timestamp": self.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
        self.transaction_id = answer["transactionId"]

    def meter_values(self) -> dict[str, Any]:
        """The next periodic sample: every SAMPLE_SECONDS of charger time, +30 Wh, power, 3 phases, SoC."""
        self.sample += 1
        at = self.started + timedelta(seconds=SAMPLE_SECONDS * self.sample)
        sampled = [
            {
                "value": str(1000 + 30 * self.sample),
                "measurand": "Energy.Active.Import.Register",
                "unit": "Wh",
            },
            {"value": "10.8", "measurand": "Power.Active.Import", "unit": "kW"},
            *(
                {"value": "15.6", "measurand": "Current.Import", "phase": p, "unit": "A"}
                for p in ("L1", "L2", "L3")
            ),
            {"value": str(min(100, 20 + self.sample // 10)), "measurand": "SoC", "unit": "Percent"},
        ]
        return {
            "connectorId": 1,
            "transactionId": self.transaction_id if self.transaction_id is not None else 1,
            "meterValue": [{"timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "sampledValue": sampled}],
        }

    async def stop(self) -> None:
        at = self.started + timedelta(seconds=SAMPLE_SECONDS * (self.sample + 1))
        await self.call(
            "StopTransaction",
            {
                "transactionId": self.transaction_id,
                "meterStop": 1000 + 30 * (self.sample + 1),
                "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )

    async def close(self) -> None:
        if self.websocket is not None:
            with suppress(Exception):
                await self.websocket.close()


async def _gather_limited(jobs: list[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            try:
                return await job()
            except Exception as exc:
                return exc

    return await asyncio.gather(*(one(job) for job in jobs))


async def _bounded(jobs: list[Awaitable[Any]], seconds: float) -> None:
    """Run the jobs; whatever is still waiting for an answer `seconds` later is abandoned."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _closed_loop(clients: list[Client], seconds: float) -> tuple[int, list[float]]:
    """Every client sends its next MeterValues as soon as the last one is answered; answers counted
    within `seconds` only."""
    started = time.perf_counter()
    deadline = started + seconds
    latencies: list[float] = []

    async def loop(client: Client) -> None:
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            await client.call("MeterValues", client.meter_values())
            if time.perf_counter() <= deadline:
                latencies.append(time.perf_counter() - sent)

    await _bounded([loop(c) for c in clients], seconds + 0.5)
    return int(len(latencies) / seconds), latencies


async def _paced(clients: list[Client], rate: float, seconds: float) -> tuple[float, list[float], int]:
    """`rate` MeterValues/s in total, spread evenly over the clients; a client never has two in flight."""
    per_client = rate / len(clients)
    latencies: list[float] = []
    late = 0
    started = time.perf_counter()

    async def loop(index: int, client: Client) -> None:
        nonlocal late
        next_at = started + index / rate
        while next_at < started + seconds:
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                late += 1
            sent = time.perf_counter()
            await client.call("MeterValues", client.meter_values())
            latencies.append(time.perf_counter() - sent)
            next_at += 1 / per_client

    await _bounded([loop(i, c) for i, c in enumerate(clients)], seconds + 3)
    return len(latencies) / seconds, latencies, late


async def _drain(clients: list[Client]) -> None:
    """Wait until the server has worked off what the last phase left queued (one Heartbeat each)."""
    await _gather_limited([functools.partial(c.call, "Heartbeat", {}) for c in clients], len(clients))


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _latency(values: list[float]) -> str:
    return (
        f"p50 {1000 * statistics.median(values):.0f} ms, p95 {1000 * _percentile(values, 0.95):.0f} ms, "
        f"p99 {1000 * _percentile(values, 0.99):.0f} ms"
        if values
        else "no answers"
    )


# --- the run ------------------------------------------------------------------------------------------


def _raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 2 * CHARGERS + 1000))
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def _query(database: str, sql: str) -> Any:
    if database.startswith("sqlite:///"):
        with sqlite3.connect(
            f"file:{database.removeprefix('sqlite:///')}?mode=ro", uri=True, timeout=30
        ) as db:
            return db.execute(sql).fetchone()[0]
    import psycopg

    with psycopg.connect(database) as connection:
        row = connection.execute(sql).fetchone()
        return row[0] if row else None


def run() -> list[str]:
    limit = _raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="bench-ocpp-") as directory:
        if POSTGRES:
            _postgres_admin(f"CREATE DATABASE bench_ocpp_{os.getpid()}")
        try:
            return asyncio.run(_run(Path(directory), limit))
        finally:
            if POSTGRES:
                _postgres_admin(f"DROP DATABASE IF EXISTS bench_ocpp_{os.getpid()} WITH (FORCE)")


async def _run(workdir: Path, fd_limit: int) -> list[str]:
    env = _env(workdir)
    python = sys.executable
    lines: list[str] = []
    started = time.perf_counter()
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [python, "-m", "bench.bench_ocpp", "fixtures", str(CHARGERS)], cwd=ROOT, env=env, check=True
    )
    load = os.getloadavg()[0]
    lines.append(
        f"setup (scratch {'PostgreSQL' if POSTGRES else 'SQLite'}, migrate, {CHARGERS} chargers registered): "
        f"{time.perf_counter() - started:.1f} s; open files limit {fd_limit}; {os.cpu_count()} CPUs, "
        f"load average {load:.1f} before the run (other work on the machine skews every figure)"
    )
    port = _free_port()
    server = subprocess.Popen(
        [python, "manage.py", "run_ocpp", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env
    )
    echo_port = _free_port()
    echo = subprocess.Popen([python, "-m", "bench.bench_ocpp", "echo", str(echo_port)], cwd=ROOT, env=env)
    clients = [Client(f"BENCH-{n:05d}") for n in range(CHARGERS)]
    try:
        await _wait_listening(port, server)
        await _wait_listening(echo_port, echo)
        lines += await _phases(env["DATABASE_URL"], server, port, echo_port, clients)
    finally:
        began = time.perf_counter()
        _stop(server)
        _stop(echo)
        await _bounded([c.close() for c in clients], 10)
        lines.append(f"shutdown of run_ocpp with its connections: {time.perf_counter() - began:.1f} s")
    return lines


async def _phases(
    database: str, server: subprocess.Popen[bytes], port: int, echo_port: int, clients: list[Client]
) -> list[str]:
    lines: list[str] = []
    # 1. connections
    began = time.perf_counter()

    async def connect_and_boot(client: Client) -> None:
        await client.connect(port)
        await client.boot()

    results = await asyncio.wait_for(
        _gather_limited([functools.partial(connect_and_boot, c) for c in clients], CONNECT_CONCURRENCY),
        timeout=120,
    )
    took = time.perf_counter() - began
    failures = [r for r in results if isinstance(r, Exception)]
    await asyncio.sleep(1)
    held = _query(database, "SELECT COUNT(*) FROM cpo_chargepoint WHERE connected")
    sample = clients[:: max(1, len(clients) // 200)]
    alive = await _gather_limited([functools.partial(c.call, "Heartbeat", {}) for c in sample], 50)
    answered = sum(not isinstance(a, Exception) for a in alive)
    connected = len(clients) - len(failures)
    lines.append(
        f"connections: {connected}/{len(clients)} authenticated + booted in {took:.1f} s "
        f"({connected / took:.0f}/s); held at once by one run_ocpp process: {held} (goal 5,000); "
        f"heartbeat sample answered {answered}/{len(alive)}; "
        f"server RSS {_rss_mb(server.pid):.0f} MB (with its batch writer)"
    )
    if failures:
        lines.append(f"  first connection failure: {failures[0]!r}")
    ready = [c for c, r in zip(clients, results, strict=True) if not isinstance(r, Exception)]
    load = ready[:LOAD_CHARGERS]
    # 2. sessions
    began = time.perf_counter()
    await _gather_limited([c.start for c in load], 100)
    lines.append(f"StartTransaction -> OCPI Session: {len(load)} in {time.perf_counter() - began:.1f} s")
    # 3. closed loop against run_ocpp
    rate, latencies = await _closed_loop(load, PHASE_SECONDS)
    lines.append(
        f"run_ocpp, closed loop, {len(load)} chargers: {rate} MeterValues/s turned into Session PATCHes "
        f"({_latency(latencies)}: queueing behind {len(load)} chargers)"
    )
    # 4. paced: at the goal, then at half of what the server sustained
    for target in (PACED_RATE, max(1.0, rate / 2)):
        await _drain(load)
        paced_rate, paced_latencies, late = await _paced(load, target, PHASE_SECONDS)
        lines.append(
            f"run_ocpp, paced at {target:.0f}/s: achieved {paced_rate:.0f}/s, message -> Session row "
            f"{_latency(paced_latencies)}; {late} sends behind schedule"
        )
    lines.append(
        "  (goals: p99 < 200 ms at 1,000 MeterValues/s; answers leave after the Session row committed)"
    )
    # 5. the echo server with the same clients
    echo_clients = [Client(c.identity) for c in load]
    for echo_client, client in zip(echo_clients, load, strict=True):
        echo_client.transaction_id, echo_client.sample = client.transaction_id, client.sample
    await _gather_limited(
        [functools.partial(c.connect, echo_port, auth=False) for c in echo_clients], CONNECT_CONCURRENCY
    )
    echo_rate, echo_latencies = await _closed_loop(echo_clients, PHASE_SECONDS)
    await _bounded([c.close() for c in echo_clients], 5)
    lines.append(
        f"bare ocpp echo server, same clients, closed loop: {echo_rate} MeterValues/s "
        f"({_latency(echo_latencies)}); run_ocpp reaches {100 * rate / max(echo_rate, 1):.0f}% of it "
        "(goal >= 50%)"
    )
    # 6. stops
    await _drain(load)
    began = time.perf_counter()
    await _gather_limited([c.stop for c in load], 100)
    took = time.perf_counter() - began
    await asyncio.sleep(1)
    sessions = _query(database, "SELECT COUNT(*) FROM ocpi_sessions_session WHERE status = 'COMPLETED'")
    cdrs = _query(database, "SELECT COUNT(*) FROM ocpi_cdrs_cdr")
    periods = _query(database, "SELECT COUNT(*) FROM ocpi_sessions_sessionchargingperiod")
    lines.append(
        f"StopTransaction -> COMPLETED Session + priced CDR: {len(load)} in {took:.1f} s "
        f"({len(load) / took:.0f}/s); rows: {sessions} completed sessions, {cdrs} CDRs, "
        f"{periods} charging periods"
    )
    return lines


# --- helper processes --------------------------------------------------------------------------------


def _fixtures(count: int) -> None:
    """Our CPO party's location with `count` EVSEs, a tariff, an eMSP token, `count` chargers."""
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from cpo.ocpp.models import ChargePoint, OcppConnector
    from cpo.ocpp.passwords import password_hash
    from ocpi.locations.models import EVSE, Connector, Location
    from ocpi.models import Party, Platform, PlatformEndpoint
    from ocpi.services import own_parties_sync
    from ocpi.tariffs.schemas import Tariff as TariffSchema
    from ocpi.tariffs.services import tariff_put
    from ocpi.tokens.services import token_put

    own_parties_sync()
    now = timezone.now()
    cpo = Party.objects.own().get(role="CPO")
    with transaction.atomic():
        tariff_put(
            party=cpo,
            data=TariffSchema.model_validate(
                {
                    "country_code": cpo.country_code,
                    "party_id": cpo.party_id,
                    "id": "BENCH",
                    "currency": "EUR",
                    "elements": [
                        {
                            "price_components": [
                                {"type": "ENERGY", "price": 0.3, "vat": 21, "step_size": 1},
                                {"type": "PARKING_TIME", "price": 3.0, "vat": 21, "step_size": 60},
                            ]
                        }
                    ],
                    "last_updated": now,
                }
            ),
        )
        platform = Platform.objects.create(
            name="bench-emsp", status=Platform.Status.REGISTERED, outgoing_token="bench-token"
        )
        # Sessions are pushed to it: every PATCH is an outbox row (nobody listens there; delivery is
        # the Celery worker's job, which the bench does not run).
        PlatformEndpoint.objects.create(
            platform=platform, identifier="sessions", role="RECEIVER", url="http://127.0.0.1:9/sessions"
        )
        emsp = Party.objects.create(
            country_code="DE", party_id="BEN", role="EMSP", platform=platform, business_name="Bench eMSP"
        )
        token_put(
            party=emsp,
            data={
                "country_code": "DE",
                "party_id": "BEN",
                "uid": "BENCH0001",
                "type": "RFID",
                "contract_id": "DE-BEN-C00000001",
                "issuer": "Bench",
                "valid": True,
                "whitelist": "ALWAYS",
                "last_updated": now,
            },
        )
        location = Location.objects.create(
            party=cpo,
            country_code=cpo.country_code,
            ocpi_party_id=cpo.party_id,
            ocpi_id="BENCH",
            publish=True,
            name="Bench site",
            address="Benchstraat 1",
            city="Utrecht",
            country="NLD",
            latitude="52.090000",
            longitude="5.120000",
            time_zone="Europe/Amsterdam",
            last_updated=now,
        )
        evses = EVSE.objects.bulk_create(
            EVSE(
                location=location,
                position=n,
                uid=f"BENCH-{n:05d}",
                evse_id=f"NL*OCP*EB{n:05d}",
                status="UNKNOWN",
                last_updated=now,
            )
            for n in range(count)
        )
        connectors = Connector.objects.bulk_create(
            Connector(
                evse=evse,
                position=0,
                ocpi_id="1",
                standard="IEC_62196_T2",
                format="SOCKET",
                power_type="AC_3_PHASE",
                max_voltage=230,
                max_amperage=32,
                tariff_ids=["BENCH"],
                last_updated=now,
            )
            for evse in evses
        )
        encoded = password_hash(PASSWORD)
        chargers = ChargePoint.objects.bulk_create(
            ChargePoint(identity=f"BENCH-{n:05d}", password_hash=encoded, location=location)
            for n in range(count)
        )
        OcppConnector.objects.bulk_create(
            OcppConnector(
                charge_point=cp, ocpp_evse_id=1, ocpp_connector_id=1, evse=evse, connector=connector
            )
            for cp, evse, connector in zip(chargers, evses, connectors, strict=True)
        )


async def _echo(port: int) -> None:
    """A bare central system: the ocpp library with its schema validation, answers at once, no database."""
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint, call_result
    from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
    from websockets.asyncio.server import serve

    class Echo(ChargePoint):
        @on(Action.boot_notification)
        def on_boot(self, **kwargs: Any) -> Any:
            return call_result.BootNotification(
                current_time=_now(), interval=300, status=RegistrationStatus.accepted
            )

        @on(Action.heartbeat)
        def on_heartbeat(self, **kwargs: Any) -> Any:
            return call_result.Heartbeat(current_time=_now())

        @on(Action.meter_values)
        def on_meter_values(self, **kwargs: Any) -> Any:
            return call_result.MeterValues()

        @on(Action.start_transaction)
        def on_start_transaction(self, **kwargs: Any) -> Any:
            return call_result.StartTransaction(
                transaction_id=1, id_tag_info={"status": AuthorizationStatus.accepted}
            )

    async def handler(websocket: Any) -> None:
        with suppress(Exception):
            await Echo(websocket.request.path.rsplit("/", 1)[-1], websocket).start()

    import logging

    logging.getLogger("ocpp").setLevel(logging.WARNING)
    async with serve(handler, "127.0.0.1", port, subprotocols=["ocpp1.6"], compression=None):  # type: ignore[list-item]
        await asyncio.Future()


if __name__ == "__main__":
    if sys.argv[1] == "fixtures":
        _fixtures(int(sys.argv[2]))
    elif sys.argv[1] == "echo":
        asyncio.run(_echo(int(sys.argv[2])))
