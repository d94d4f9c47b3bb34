"""Real OCPP chargers for the tests: the ocpp library's ChargePoint (1.6 and 2.0.1) over websockets."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Any, TypeVar

from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as ChargePoint201
from websockets.asyncio.client import ClientConnection, connect

from cpo.ocpp.server import CentralSystem

T = TypeVar("T")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def basic(identity: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{identity}:{password}".encode()).decode()


class Charger16(ChargePoint16):
    """A 1.6J charge point that accepts remote starts (to receive commands)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.remote_starts: list[dict[str, Any]] = []

    @on(Action16.remote_start_transaction)
    def on_remote_start(self, id_tag: str, **kwargs: Any) -> Any:
        self.remote_starts.append({"id_tag": id_tag, **kwargs})
        return result16.RemoteStartTransaction(status="Accepted")


class Charger201(ChargePoint201):
    """A 2.0.1 charging station."""


@asynccontextmanager
async def central_system() -> AsyncIterator[CentralSystem]:
    """The run_ocpp server, in this event loop, on a free port."""
    central = CentralSystem(node="test-node")
    await central.start("127.0.0.1", 0)
    try:
        yield central
    finally:
        await central.close()


async def open_socket(
    port: int, identity: str, password: str | None, subprotocols: list[str] | None
) -> ClientConnection:
    headers = {"Authorization": basic(identity, password)} if password is not None else {}
    return await connect(
        f"ws://127.0.0.1:{port}/ocpp/{identity}",
        subprotocols=subprotocols,  # type: ignore[arg-type]
        additional_headers=headers,
        open_timeout=5,
    )


C = TypeVar("C", Charger16, Charger201)


@asynccontextmanager
async def _charger(cls: type[C], port: int, identity: str, password: str, protocol: str) -> AsyncIterator[C]:
    """A connected charger of class `cls` whose frames are read by a task of its own."""
    websocket = await open_socket(port, identity, password, [protocol])
    client = cls(identity, websocket, response_timeout=10)
    task = asyncio.create_task(client.start())
    try:
        yield client
    finally:
        task.cancel()
        with suppress(Exception):
            await websocket.close()
        with suppress(asyncio.CancelledError, Exception):
            await task


def charger_16(port: int, identity: str, password: str) -> AbstractAsyncContextManager[Charger16]:
    return _charger(Charger16, port, identity, password, "ocpp1.6")


def charger_201(port: int, identity: str, password: str) -> AbstractAsyncContextManager[Charger201]:
    return _charger(Charger201, port, identity, password, "ocpp2.0.1")


async def eventually(central: CentralSystem, check: Callable[[], T], *, timeout: float = 5.0) -> T:
    """Poll a database check on the server's threads until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await central.db.run(check)
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check}")
        await asyncio.sleep(0.05)
