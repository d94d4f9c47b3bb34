"""The OCPP-J central system: a websockets server on `ws://<host>:<port>/ocpp/<identity>`.

- Security profile 1 (OCPP 1.6 Security Whitepaper §2.1, OCPP 2.0.1 Part 2 A00.FR.2xx): HTTP Basic
  on the upgrade, user = the identity in the URL; anything else is refused with 401 before upgrading.
- Subprotocols `ocpp2.0.1` and `ocpp1.6` (OCPP-J 1.6 §3.1.2): when the charger offers neither, the
  upgrade completes without one and the connection is closed at once, as OCPP-J prescribes.
- A second connection with an identity replaces the first (the old socket is closed).
- Database work runs on worker threads (`DbExecutor`), never on the event loop; token decisions, which
  may wait on an eMSP's real-time authorization, on threads of their own.
- Commands (`services.charger_send`) reach the process holding the charger: announced on Redis
  when REDIS_URL is set, and in any case polled from the OcppCommand table.
- EVSE statuses are debounced (`StatusDebouncer`); chargers gone past the grace period become UNKNOWN.
- MeterValues of all chargers are written in batches (`MeterBatcher`), one transaction per batch, by
  the batch writer: a child process of its own (`ProcessExecutor`, OCPP_BATCH_PROCESSES), which also
  writes the message log.
"""

from __future__ import annotations

import asyncio
import functools
import http
import logging
import multiprocessing
import re
import socket
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from threading import Barrier
from typing import Any, TypeVar
from urllib.parse import unquote

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.utils import timezone
from ocpp import messages as ocpp_messages
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidHeader
from websockets.frames import CloseCode
from websockets.headers import build_www_authenticate_basic, parse_authorization_basic
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from cpo.ocpp import bridge, casing, selectors, services, validation, worker
from cpo.ocpp.handlers import ChargePoint16, ChargePoint201
from cpo.ocpp.handlers.base import FRAME_LOGGER, OcppConnectionMixin
from cpo.ocpp.models import OcppProtocol
from cpo.ocpp.passwords import password_check
from cpo.ocpp.selectors import Login

T = TypeVar("T")
logger = logging.getLogger("cpo.ocpp")

SLOW_JOB_SECONDS = 0.5
"""A database job this long holds up every charger served by the thread: it is logged."""
PATH = re.compile(r"^/ocpp/(?P<identity>[^/?#]+)/?(?:\?.*)?$")
SUBPROTOCOLS = (OcppProtocol.V201.value, OcppProtocol.V16.value)
CLASSES: dict[str, type[ChargePoint16] | type[ChargePoint201]] = {
    OcppProtocol.V16.value: ChargePoint16,
    OcppProtocol.V201.value: ChargePoint201,
}


def _select_subprotocol(connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    """Ours in order of preference; None (not websockets' HTTP 400) when the charger offers none of them:
    OCPP-J requires completing the handshake without a subprotocol and closing (the handler does)."""
    for protocol in SUBPROTOCOLS:
        if protocol in offered:
            return Subprotocol(protocol)
    return None


class DbExecutor:
    """Worker threads for the ORM: each keeps its connection; a broken one is dropped and reopened.

    One thread on SQLite (one writer at a time anyway), OCPP_DB_THREADS (default 4) otherwise. The
    messages of one charger are processed in order because its connection awaits each handler.
    """

    def __init__(self, threads: int | None = None) -> None:
        sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        self.workers = threads or (1 if sqlite else int(settings.OCPP_DB_THREADS))
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="ocpp-db")

    async def run(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(self.call, fn, kwargs))

    @staticmethod
    def call(fn: Callable[..., T], kwargs: dict[str, Any]) -> T:
        started = time.perf_counter()
        try:
            return fn(**kwargs)
        except DatabaseError:
            if connection.connection is not None and not connection.is_usable():
                connection.close()
            raise
        finally:
            took = time.perf_counter() - started
            if took > SLOW_JOB_SECONDS:
                logger.warning("slow OCPP database job %s: %.0f ms", getattr(fn, "__name__", fn), 1000 * took)

    def close(self) -> None:
        """Close every thread's database connection (a test database cannot be dropped while open)."""
        barrier = Barrier(self.workers)

        def close_one() -> None:
            connection.close()
            barrier.wait(timeout=10)

        for future in [self._pool.submit(close_one) for _ in range(self.workers)]:
            with suppress(Exception):
                future.result(timeout=15)
        self._pool.shutdown(wait=True)


class ProcessExecutor:
    """`DbExecutor` in child processes (`worker`): the same jobs, each with a GIL of its own.

    For the batch writer (OCPP_BATCH_PROCESSES, default 1): a batch's SQLite or psycopg steps no
    longer hand the GIL back and forth with the event loop. Functions, arguments and results must
    pickle. A child that dies (killed, out of memory) fails the jobs it had; the next job gets a new one.
    """

    def __init__(self, processes: int) -> None:
        self.workers = processes
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        databases = {alias: dict(connections[alias].settings_dict) for alias in connections}
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),  # a fork would copy the event loop's threads
            initializer=worker.start,
            initargs=(databases,),
        )

    async def start(self) -> None:
        """Start the children now rather than on the first batch (Django's set-up takes a second)."""
        await asyncio.gather(*(self.run(worker.ready) for _ in range(self.workers)))

    async def run(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        pool = self._pool
        try:
            return await loop.run_in_executor(pool, worker.call, fn, kwargs)
        except BrokenProcessPool:
            if pool is self._pool:
                logger.error("an OCPP batch writer process died: starting another")
                self._pool = self._new_pool()
            raise

    def close(self) -> None:
        """Stop the children (their database connections close with them)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class StatusDebouncer:
    """Publish an EVSE's status once it has been stable for OCPP_STATUS_DEBOUNCE_SECONDS (default 5),
    and at the latest OCPP_STATUS_MAX_DELAY_SECONDS (default 30) after the first change.

    A flapping connector (Preparing, Charging, SuspendedEV... within seconds, or a reconnect storm)
    costs partners one PATCH with the final state instead of one per report; unchanged statuses are
    never sent (`bridge.evse_status_publish`). `status_pending` in the database lets the sweep publish
    what a crashed process had scheduled.
    """

    def __init__(self, central: CentralSystem) -> None:
        self.central = central
        self._first: dict[int, float] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}

    def schedule(self, evses: Iterable[int], *, now: bool = False) -> None:
        loop = asyncio.get_running_loop()
        delay = 0.0 if now else float(settings.OCPP_STATUS_DEBOUNCE_SECONDS)
        longest = float(settings.OCPP_STATUS_MAX_DELAY_SECONDS)
        for evse in evses:
            moment = loop.time()
            first = self._first.setdefault(evse, moment)
            timer = self._timers.pop(evse, None)
            if timer is not None:
                timer.cancel()
            self._timers[evse] = loop.call_at(min(moment + delay, first + longest), self._fire, evse)

    def _fire(self, evse: int) -> None:
        self._timers.pop(evse, None)
        self._first.pop(evse, None)
        self.central.spawn(self._publish(evse))

    async def _publish(self, evse: int) -> None:
        try:
            await self.central.db.run(bridge.evse_status_publish, evse_pk=evse)
        except Exception:
            logger.exception("could not publish the status of EVSE %s", evse)

    def cancel(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._first.clear()

    @property
    def pending(self) -> int:
        return len(self._timers)


class MeterBatcher:
    """The MeterValues of every charger, written together: one database job and transaction per batch.

    A batch starts as soon as a message arrives and a database thread is free; whatever arrives while
    it runs forms the next one, so batches grow with the load and an idle system waits for nothing.
    A charger's answer leaves after the transaction holding its readings committed. A batch that fails
    is retried message by message, so a bad message fails alone (and gets its CallError).
    """

    def __init__(self, central: CentralSystem) -> None:
        self.central = central
        self.max_size = int(settings.OCPP_METER_BATCH_MAX)
        self._pending: list[tuple[bridge.MeterValuesItem, asyncio.Future[None]]] = []
        self._running = 0

    async def submit(self, item: bridge.MeterValuesItem) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._running < self.central.writer.workers:
            self._running += 1
            self.central.spawn(self._drain())
        await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.max_size], self._pending[self.max_size :]
                await self._write(batch)
        finally:
            self._running -= 1

    async def _write(self, batch: list[tuple[bridge.MeterValuesItem, asyncio.Future[None]]]) -> None:
        try:
            await self.central.writer.run(bridge.meter_values_batch, items=[item for item, _ in batch])
        except Exception as error:
            if len(batch) == 1:
                _settle(batch[0][1], error)
                return
            logger.warning("a batch of %d MeterValues failed (%s): retried one by one", len(batch), error)
            for item, future in batch:
                try:
                    await self.central.writer.run(bridge.meter_values_batch, items=[item])
                except Exception as single:
                    _settle(future, single)
                else:
                    _settle(future, None)
        else:
            for _, future in batch:
                _settle(future, None)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    """Answer a waiting handler (unless its connection went away meanwhile)."""
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


FLUSH_CHUNK = 200
PRUNE_CHUNK = 200
"""Frames written, and chargers' logs cut, per database job of the message log."""


class MessageLog:
    """The last OCPP_MESSAGE_LOG_SIZE (default 100, 0: off) frames per charger, written in batches; a
    charger's log is cut back to that size once as many again have come (so it holds up to twice as many).

    A diagnostic log for the admin, not a ledger: transactions are made idempotent by their own
    keys, so the log is flushed every second off the message path.
    """

    def __init__(self, central: CentralSystem) -> None:
        self.central = central
        self.keep = int(settings.OCPP_MESSAGE_LOG_SIZE)
        self._rows: list[tuple[Any, ...]] = []
        self._since_prune: dict[int, int] = {}

    def add(self, charge_point_pk: int, direction: str, frame: str, fields: dict[str, Any]) -> None:
        if self.keep <= 0:
            return
        self._rows.append(
            (
                charge_point_pk,
                direction,
                frame,
                timezone.now(),
                fields.get("message_type"),
                fields.get("unique_id", ""),
                fields.get("action", ""),
            )
        )
        self._since_prune[charge_point_pk] = self._since_prune.get(charge_point_pk, 0) + 1

    async def flush(self) -> None:
        """Write what is buffered, in small jobs: a big one would hold up every charger's messages."""
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        prune = [pk for pk, count in self._since_prune.items() if count >= self.keep]
        for pk in prune:
            del self._since_prune[pk]
        jobs = max(-(-len(rows) // FLUSH_CHUNK), -(-len(prune) // PRUNE_CHUNK))
        try:
            for job in range(jobs):
                await self.central.writer.run(
                    services.messages_store,
                    messages=rows[job * FLUSH_CHUNK : (job + 1) * FLUSH_CHUNK],
                    prune=prune[job * PRUNE_CHUNK : (job + 1) * PRUNE_CHUNK],
                    keep=self.keep,
                )
        except Exception:
            logger.exception("could not store %d OCPP messages", len(rows))


class CentralSystem:
    """One run_ocpp process: the server, its open connections and its background work."""

    def __init__(self, *, node: str | None = None, db_threads: int | None = None) -> None:
        self.node = node or ""
        self.db = DbExecutor(db_threads)
        # The batch writer (MeterValues, the message log): in processes of its own unless turned off.
        processes = int(settings.OCPP_BATCH_PROCESSES)
        self.writer: DbExecutor | ProcessExecutor = ProcessExecutor(processes) if processes else self.db
        # Token decisions may wait on an eMSP (real-time authorization): threads of their own, so a
        # slow partner never holds up the database work of every other charger.
        self.auth = DbExecutor(int(settings.OCPP_AUTH_THREADS))
        self.response_timeout = float(settings.OCPP_RESPONSE_TIMEOUT)
        self.seen_interval = float(settings.OCPP_SEEN_INTERVAL_SECONDS)
        self.connections: dict[str, OcppConnectionMixin] = {}
        self.debouncer = StatusDebouncer(self)
        self.message_log = MessageLog(self)
        self.meters = MeterBatcher(self)
        self._logins: dict[ServerConnection, Login] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[Any]] = []
        self._server: Server | None = None
        self._delivering: set[str] = set()
        self._closing = asyncio.Event()
        # Schema validation inline: about 0.2 ms for a MeterValues here, against 0.3-0.4 ms through the
        # library's default thread-pool hop (CPU-bound work gains nothing from a thread under the GIL).
        ocpp_messages.ASYNC_VALIDATION = False
        validation.install()
        casing.install()
        FRAME_LOGGER.setLevel(logging.DEBUG if settings.OCPP_LOG_FRAMES else logging.WARNING)

    # --- lifecycle ----------------------------------------------------------------------------------

    async def start(self, host: str = "0.0.0.0", port: int = 9000) -> Server:  # noqa: S104 - chargers connect from anywhere
        """Listen; connections a previous run of this node left open in the database are closed first.

        The node name defaults to host:port, stable across restarts; on a random port (0) there can
        be no previous run, so the name comes from the port bound and nothing is released.
        """
        if not self.node and port:
            self.node = f"{socket.gethostname()}:{port}"
        if self.node:
            released = await self.db.run(services.charge_points_release, node=self.node)
            if released:
                logger.info("closed %d connections left open by a previous run of %s", released, self.node)
        if isinstance(self.writer, ProcessExecutor):
            await self.writer.start()
        self._server = await serve(
            self._handler,
            host,
            port,
            subprotocols=[Subprotocol(p) for p in SUBPROTOCOLS],
            select_subprotocol=_select_subprotocol,
            process_request=self._process_request,
            compression=None,
            ping_interval=float(settings.OCPP_PING_INTERVAL),
            ping_timeout=float(settings.OCPP_PING_INTERVAL),
            max_size=2**20,
            max_queue=4,
            backlog=4096,
            logger=logging.getLogger("cpo.ocpp.websockets"),
        )
        if not self.node:
            self.node = f"{socket.gethostname()}:{self.port}"
        self._loops = [
            asyncio.create_task(self._every(float(settings.OCPP_SWEEP_SECONDS), self._sweep)),
            asyncio.create_task(self._every(1.0, self.message_log.flush)),
            asyncio.create_task(self._every(self._poll_interval(), self._poll_commands)),
        ]
        if getattr(settings, "REDIS_URL", ""):
            self._loops.append(asyncio.create_task(self._listen_redis()))
        return self._server

    @property
    def port(self) -> int:
        assert self._server is not None
        assert self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening, close every connection, finish the background work, release the threads."""
        self._closing.set()
        for task in self._loops:
            task.cancel()
        if self._loops:
            await asyncio.wait(self._loops, timeout=10)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            await self.db.run(services.charge_points_release, node=self.node)
        self.debouncer.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.message_log.flush()
        loop = asyncio.get_running_loop()
        closing = [
            self.db.close,
            self.auth.close,
            *([self.writer.close] if self.writer is not self.db else []),
        ]
        await asyncio.gather(*(loop.run_in_executor(None, close) for close in closing))

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run a coroutine as a task that is kept referenced until it ends."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _every(self, seconds: float, job: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:
                logger.exception("OCPP background job %s failed", getattr(job, "__name__", job))

    # --- the upgrade: path, authentication ----------------------------------------------------------

    @staticmethod
    def _refuse(connection: ServerConnection, status: http.HTTPStatus, text: str) -> Response:
        response = connection.respond(status, text + "\n")
        if status == http.HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = build_www_authenticate_basic("ocpp")
        return response

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        match = PATH.match(request.path)
        if match is None:
            return self._refuse(connection, http.HTTPStatus.NOT_FOUND, "Use /ocpp/<charge point identity>")
        identity = unquote(match["identity"])
        credentials = self._credentials(request.headers)
        if credentials is None or credentials[0] != identity:
            return self._refuse(
                connection, http.HTTPStatus.UNAUTHORIZED, "Basic credentials of this charger needed"
            )
        login = await self.db.run(selectors.charge_point_login, identity=identity)
        loop = asyncio.get_running_loop()
        valid = await loop.run_in_executor(
            None,
            functools.partial(
                password_check,
                identity=identity,
                password=credentials[1],
                encoded=login.password_hash if login else None,
            ),
        )
        if login is None or not valid:
            logger.warning("refused OCPP connection of %r: unknown charger or wrong password", identity)
            return self._refuse(connection, http.HTTPStatus.UNAUTHORIZED, "Unknown charger or wrong password")
        self._logins[connection] = login
        return None

    @staticmethod
    def _credentials(headers: Headers) -> tuple[str, str] | None:
        value = headers.get("Authorization")
        if value is None:
            return None
        try:
            return parse_authorization_basic(value)
        except InvalidHeader:
            return None

    # --- a connection -------------------------------------------------------------------------------

    async def _handler(self, websocket: ServerConnection) -> None:
        login = self._logins.pop(websocket, None)
        if login is None:
            await websocket.close(CloseCode.POLICY_VIOLATION, "not authenticated")
            return
        protocol = websocket.subprotocol
        if protocol not in CLASSES:
            # OCPP-J 1.6 §3.1.2: no common subprotocol -> complete the handshake, then close at once.
            await websocket.close(CloseCode.PROTOCOL_ERROR, "OCPP subprotocol ocpp1.6 or ocpp2.0.1 required")
            return
        charger = CLASSES[protocol](login.identity, websocket, central=self, pk=login.pk)
        previous = self.connections.get(login.identity)
        self.connections[login.identity] = charger
        if previous is not None:
            logger.info("charger %s reconnected: the previous connection is closed", login.identity)
            self.spawn(previous.disconnect("replaced by a new connection"))
        try:
            connected = await self.db.run(
                services.charge_point_connect, charge_point_id=login.pk, protocol=protocol, node=self.node
            )
            self.debouncer.schedule(connected.evses)
            if connected.commands:
                self.spawn(self.deliver(login.identity))
            await charger.start()
        except ConnectionClosed:
            pass
        finally:
            # Only the current connection of a charger marks it disconnected (not one it replaced);
            # at shutdown one update marks them all (close()).
            current = self.connections.get(login.identity) is charger
            if current:
                del self.connections[login.identity]
            if current and not self._closing.is_set():
                with suppress(Exception):
                    await self.db.run(
                        services.charge_point_disconnect, charge_point_id=login.pk, node=self.node
                    )

    # --- commands -----------------------------------------------------------------------------------

    def _poll_interval(self) -> float:
        default = 10.0 if getattr(settings, "REDIS_URL", "") else 1.0
        return float(settings.OCPP_COMMAND_POLL_SECONDS) or default

    async def deliver(self, identity: str) -> None:
        """Send the pending commands of a charger connected here, one after the other."""
        charger = self.connections.get(identity)
        if charger is None or identity in self._delivering:
            return
        self._delivering.add(identity)
        try:
            for command in await self.db.run(selectors.commands_pending, charge_point_ids=[charger.pk]):
                if self.connections.get(identity) is not charger:
                    return
                if await self.db.run(services.command_claim, command_id=command.pk):
                    await charger.send_command(command)
        finally:
            self._delivering.discard(identity)

    async def _poll_commands(self) -> None:
        commands = await self.db.run(selectors.commands_pending, node=self.node)
        for identity in {command.charge_point.identity for command in commands}:
            if identity in self.connections:
                self.spawn(self.deliver(identity))

    async def _listen_redis(self) -> None:
        """Redis pub/sub: a command announced for a charger connected here is delivered at once.

        Polled with a short timeout and a closing flag rather than cancelled: redis-py may turn a
        cancellation inside a network call into a connection error, which would be retried forever.
        """
        import redis.asyncio as redis_asyncio
        from redis.exceptions import RedisError

        while not self._closing.is_set():
            client = redis_asyncio.Redis.from_url(settings.REDIS_URL)
            try:
                pubsub = client.pubsub()
                await pubsub.subscribe(services.COMMANDS_CHANNEL)
                while not self._closing.is_set():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                    if message is None or message.get("type") != "message":
                        continue
                    data = message.get("data")
                    identity = data.decode() if isinstance(data, bytes) else str(data)
                    if identity in self.connections:
                        self.spawn(self.deliver(identity))
            except (RedisError, OSError):
                logger.warning("Redis pub/sub lost; commands are polled until it is back", exc_info=True)
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), 5)
            finally:
                with suppress(Exception):
                    await asyncio.wait_for(client.aclose(), 5)

    # --- the sweep ----------------------------------------------------------------------------------

    async def _sweep(self) -> None:
        """Offline chargers -> UNKNOWN, statuses a dead process never published, expired commands,
        and connections another process now holds (the charger reconnected there)."""
        grace = float(settings.OCPP_OFFLINE_GRACE_SECONDS)
        stale = grace + 3 * float(settings.OCPP_HEARTBEAT_INTERVAL)
        offline = await self.db.run(
            services.charge_points_mark_offline, grace_seconds=grace, stale_seconds=stale
        )
        self.debouncer.schedule(offline, now=True)
        debounce = float(settings.OCPP_STATUS_MAX_DELAY_SECONDS)
        pending = await self.db.run(bridge.evses_pending, older_than_seconds=2 * debounce)
        self.debouncer.schedule(pending, now=True)
        await self.db.run(services.commands_expire, answer_timeout=self.response_timeout)
        held = {charger.pk: identity for identity, charger in self.connections.items()}
        moved = await self.db.run(
            selectors.charge_points_held_elsewhere, charge_point_ids=list(held), node=self.node
        )
        for pk in moved:
            charger = self.connections.pop(held[pk], None)
            if charger is not None:
                self.spawn(charger.disconnect("connected elsewhere"))
