"""charger_send: a command from the web side reaches the process holding the charger, even one that
was not running (or not connected to the charger) when the command was queued."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from ocpp.v16 import call

from cpo.ocpp.models import ChargePoint, OcppCommand, OcppMessage
from cpo.ocpp.selectors import charger_command_get
from cpo.ocpp.server import CentralSystem
from cpo.ocpp.services import charger_send
from tests.cpo.ocpp.clients import central_system, charger_16, eventually
from tests.cpo.ocpp.conftest import PASSWORD, Site

REMOTE_START = {"idTag": "RFID0001", "connectorId": 1}


def test_command_to_connected_charger(site: Site, charger: Callable[..., ChargePoint]) -> None:
    charger("CP-1")
    received: list[dict[str, object]] = []

    async def scenario() -> str:
        async with central_system() as central, charger_16(central.port, "CP-1", PASSWORD) as client:
            await client.call(call.Heartbeat())
            request_id = await central.db.run(
                charger_send, identity="CP-1", action="RemoteStartTransaction", payload=REMOTE_START
            )
            await eventually(
                central,
                lambda: charger_command_get(request_id=request_id).status == OcppCommand.Status.ANSWERED,
            )
            received.extend(client.remote_starts)
            return request_id

    request_id = asyncio.run(scenario())
    command = charger_command_get(request_id=request_id)
    assert command.response == {"status": "Accepted"}
    assert received == [{"id_tag": "RFID0001", "connector_id": 1}]
    logged = OcppMessage.objects.filter(unique_id=request_id).values_list("direction", "action")
    assert set(logged) == {("OUT", "RemoteStartTransaction"), ("IN", "RemoteStartTransaction")}


def test_command_survives_restart_and_waits_for_the_charger(
    site: Site, charger: Callable[..., ChargePoint]
) -> None:
    """Queued while no server runs; a server started later delivers it once the charger connects."""
    charger("CP-1")
    request_id = charger_send(identity="CP-1", action="RemoteStartTransaction", payload=REMOTE_START)

    async def scenario() -> None:
        async with central_system() as central:
            await asyncio.sleep(0.3)
            assert (
                await central.db.run(lambda: charger_command_get(request_id=request_id).status) == "PENDING"
            )
            async with charger_16(central.port, "CP-1", PASSWORD):
                await eventually(
                    central,
                    lambda: charger_command_get(request_id=request_id).status == OcppCommand.Status.ANSWERED,
                )

    asyncio.run(scenario())


def test_command_expires_when_the_charger_stays_away(site: Site, charger: Callable[..., ChargePoint]) -> None:
    charger("CP-1")
    request_id = charger_send(
        identity="CP-1", action="RemoteStartTransaction", payload=REMOTE_START, ttl_seconds=0.1
    )

    async def scenario() -> None:
        async with central_system() as central:
            await eventually(
                central,
                lambda: charger_command_get(request_id=request_id).status == OcppCommand.Status.EXPIRED,
            )

    asyncio.run(scenario())


def test_invalid_commands_are_refused(site: Site, charger: Callable[..., ChargePoint]) -> None:
    charger("CP-1")
    with pytest.raises(ValidationError):
        charger_send(identity="CP-1", action="RemoteStartTransaction", payload={"connectorId": 1})
    with pytest.raises(ValidationError):
        charger_send(identity="CP-1", action="MakeCoffee", payload={})
    with pytest.raises(ValidationError):
        charger_send(identity="CP-NONE", action="Reset", payload={"type": "Soft"})
    assert not OcppCommand.objects.exists()


def test_command_reaches_the_process_holding_the_charger(
    site: Site, charger: Callable[..., ChargePoint]
) -> None:
    """Two run_ocpp processes side by side: the one holding the connection sends the command."""
    charger("CP-1")

    async def scenario() -> None:
        first = CentralSystem(node="node-a")
        second = CentralSystem(node="node-b")
        await first.start("127.0.0.1", 0)
        await second.start("127.0.0.1", 0)
        try:
            async with charger_16(second.port, "CP-1", PASSWORD) as client:
                await client.call(call.Heartbeat())
                request_id = await first.db.run(
                    charger_send, identity="CP-1", action="RemoteStartTransaction", payload=REMOTE_START
                )
                await eventually(
                    first,
                    lambda: charger_command_get(request_id=request_id).status == OcppCommand.Status.ANSWERED,
                )
                assert len(client.remote_starts) == 1
                assert "CP-1" not in first.connections
        finally:
            await first.close()
            await second.close()

    asyncio.run(scenario())
