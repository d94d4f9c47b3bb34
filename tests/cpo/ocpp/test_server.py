"""The WebSocket endpoint: security profile 1 on the upgrade, subprotocols, replaced connections, the
library's schema validation and CallErrors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from ocpp.exceptions import (
    FormatViolationError,
    NotSupportedError,
    OCPPError,
    ProtocolError,
    TypeConstraintViolationError,
)
from ocpp.messages import Call
from ocpp.v16 import call
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from cpo.ocpp.models import ChargePoint, OcppMessage
from cpo.ocpp.server import CentralSystem
from tests.cpo.ocpp.clients import basic, central_system, charger_16, eventually, open_socket
from tests.cpo.ocpp.conftest import PASSWORD, Site


def _upgrade_status(path: str, authorization: str | None) -> int:
    """The HTTP status the upgrade of `path` gets (101 when it succeeds)."""

    async def scenario() -> int:
        async with central_system() as central:
            headers = {"Authorization": authorization} if authorization else {}
            try:
                websocket = await connect(
                    f"ws://127.0.0.1:{central.port}{path}",
                    subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                    additional_headers=headers,
                )
            except InvalidStatus as exc:
                return exc.response.status_code
            await websocket.close()
            return 101

    return asyncio.run(scenario())


@pytest.mark.parametrize(
    ("path", "authorization", "expected"),
    [
        ("/ocpp/CP-1", basic("CP-1", PASSWORD), 101),
        ("/ocpp/CP-1", basic("CP-1", "wrong-password-0000"), 401),
        ("/ocpp/CP-UNKNOWN", basic("CP-UNKNOWN", PASSWORD), 401),
        ("/ocpp/CP-1", None, 401),
        ("/ocpp/CP-1", "Bearer abc", 401),
        ("/ocpp/CP-OTHER", basic("CP-1", PASSWORD), 401),
        ("/elsewhere/CP-1", basic("CP-1", PASSWORD), 404),
    ],
    ids=[
        "right",
        "wrong password",
        "unknown identity",
        "no credentials",
        "not basic",
        "user is not the path",
        "path",
    ],
)
def test_upgrade(
    site: Site, charger: Callable[..., ChargePoint], path: str, authorization: str | None, expected: int
) -> None:
    """Security profile 1: HTTP Basic with the identity as user, checked before the upgrade (401)."""
    charger("CP-1")
    assert _upgrade_status(path, authorization) == expected


@pytest.mark.parametrize("offered", [["ocpp1.5"], None], ids=["unknown subprotocol", "no subprotocol"])
def test_subprotocol_required(
    site: Site, charger: Callable[..., ChargePoint], offered: list[str] | None
) -> None:
    """OCPP-J §3.1.2: without a common subprotocol the handshake completes, then the server closes."""
    charger("CP-1")

    async def scenario() -> tuple[str | None, int | None]:
        async with central_system() as central:
            websocket = await open_socket(central.port, "CP-1", PASSWORD, offered)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(websocket.recv(), 5)
            assert closed.value.rcvd is not None
            return websocket.subprotocol, closed.value.rcvd.code

    assert asyncio.run(scenario()) == (None, 1002)
    assert ChargePoint.objects.get(identity="CP-1").protocol == ""


def test_new_connection_replaces_the_old(site: Site, charger: Callable[..., ChargePoint]) -> None:
    charger("CP-1")

    async def scenario() -> None:
        async with central_system() as central:
            first = await open_socket(central.port, "CP-1", PASSWORD, ["ocpp1.6"])
            await eventually(central, lambda: ChargePoint.objects.get(identity="CP-1").connected)
            async with charger_16(central.port, "CP-1", PASSWORD) as second:
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(first.recv(), 5)
                assert (await second.call(call.Heartbeat())).current_time
                assert list(central.connections) == ["CP-1"]
                assert central.connections["CP-1"] is not None
                assert await central.db.run(lambda: ChargePoint.objects.get(identity="CP-1").connected)

    asyncio.run(scenario())
    assert not ChargePoint.objects.get(identity="CP-1").connected


async def _raw_call(client: Any, action: str, payload: dict[str, Any]) -> type[OCPPError] | None:
    """Send a CALL without the client's own schema check; the CallError type answered, if any."""
    message = Call(unique_id=f"raw-{action}", action=action, payload=payload)
    async with client._call_lock:
        await client._send(message.to_json())
        response = await client._get_specific_response(message.unique_id, 5)
    return type(response.to_exception()) if response.message_type_id == 4 else None


def test_call_errors(site: Site, charger: Callable[..., ChargePoint]) -> None:
    """The library's schemas validate every message; unhandled or unknown actions get their CallError."""
    charger("CP-1")
    errors: dict[str, Any] = {}

    async def scenario() -> None:
        async with central_system() as central, charger_16(central.port, "CP-1", PASSWORD) as client:
            errors["not handled"] = await _raw_call(
                client, "DiagnosticsStatusNotification", {"status": "Idle"}
            )
            errors["missing field"] = await _raw_call(client, "StatusNotification", {"connectorId": 1})
            errors["extra field"] = await _raw_call(
                client, "Authorize", {"idTag": "RFID0001", "colour": "red"}
            )
            errors["too long"] = await _raw_call(client, "Authorize", {"idTag": "X" * 21})
            errors["not 1.6"] = await _raw_call(client, "TransactionEvent", {})
            errors["fine"] = await _raw_call(client, "Authorize", {"idTag": "RFID0001"})

    asyncio.run(scenario())
    assert errors["not handled"] is not None
    assert errors["not handled"].__name__ == "NotImplementedError"
    assert errors["missing field"] is ProtocolError
    assert errors["extra field"] is FormatViolationError
    assert errors["too long"] is TypeConstraintViolationError
    assert errors["not 1.6"] is NotSupportedError
    assert errors["fine"] is None


def test_message_log_is_bounded(site: Site, charger: Callable[..., ChargePoint], settings: Any) -> None:
    settings.OCPP_MESSAGE_LOG_SIZE = 10
    charger("CP-1")

    async def scenario() -> None:
        async with central_system() as central, charger_16(central.port, "CP-1", PASSWORD) as client:
            for _ in range(40):
                await client.call(call.Heartbeat())
            await central.message_log.flush()

    asyncio.run(scenario())
    logged = OcppMessage.objects.filter(charge_point__identity="CP-1")
    assert 10 <= logged.count() <= 20  # cut to the newest 10 once 10 more have come
    newest = OcppMessage.objects.order_by("-id").values_list("id", flat=True)[:10]
    assert set(newest) <= set(logged.values_list("id", flat=True))
    assert set(logged.values_list("action", flat=True)) == {"Heartbeat"}
    assert set(logged.values_list("direction", flat=True)) == {"IN", "OUT"}


def test_shutdown_marks_its_chargers_disconnected(site: Site, charger: Callable[..., ChargePoint]) -> None:
    charger("CP-1")

    async def scenario() -> None:
        central = CentralSystem(node="node-a")
        await central.start("127.0.0.1", 0)
        websocket = await open_socket(central.port, "CP-1", PASSWORD, ["ocpp1.6"])
        await eventually(central, lambda: ChargePoint.objects.get(identity="CP-1").connected)
        await central.close()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(websocket.recv(), 5)

    asyncio.run(scenario())
    assert not ChargePoint.objects.get(identity="CP-1").connected


def test_restart_releases_what_the_previous_run_left_open(
    site: Site, charger: Callable[..., ChargePoint]
) -> None:
    """A run_ocpp killed without closing leaves chargers marked connected; its next start clears them."""
    cp = charger("CP-1")
    ChargePoint.objects.filter(pk=cp.pk).update(connected=True, node="node-a")

    async def scenario() -> None:
        central = CentralSystem(node="node-a")
        await central.start("127.0.0.1", 0)
        try:
            assert not await central.db.run(lambda: ChargePoint.objects.get(pk=cp.pk).connected)
        finally:
            await central.close()

    asyncio.run(scenario())
