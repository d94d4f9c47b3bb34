"""OCPP statuses -> OCPI EVSE status: the mapping, the debounce, and UNKNOWN for chargers gone offline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from ocpp.v16 import call

from cpo.ocpp import bridge
from cpo.ocpp.models import ChargePoint, OcppConnector
from cpo.ocpp.services import ocpp_connector_map
from cpo.ocpp.status import connector_ocpi_status, evse_status
from ocpi.locations.models import EVSE
from ocpi.locations.schemas import Status
from tests.cpo.ocpp.clients import central_system, charger_16, eventually, iso
from tests.cpo.ocpp.conftest import PASSWORD, Site


@pytest.mark.parametrize(
    ("ocpp", "transaction", "ocpi"),
    [
        ("Available", False, "AVAILABLE"),
        ("Preparing", False, "BLOCKED"),
        ("Preparing", True, "CHARGING"),
        ("Charging", True, "CHARGING"),
        ("SuspendedEV", True, "CHARGING"),
        ("SuspendedEVSE", True, "CHARGING"),
        ("Finishing", False, "BLOCKED"),
        ("Reserved", False, "RESERVED"),
        ("Unavailable", False, "INOPERATIVE"),
        ("Faulted", False, "OUTOFORDER"),
        ("Occupied", False, "BLOCKED"),
        ("Occupied", True, "CHARGING"),
        ("Nonsense", False, "UNKNOWN"),
    ],
)
def test_mapping(ocpp: str, transaction: bool, ocpi: str) -> None:
    assert connector_ocpi_status(ocpp_status=ocpp, transaction_active=transaction) == Status(ocpi)


def test_several_connectors_on_one_evse() -> None:
    assert evse_status(["AVAILABLE", "CHARGING"]) == Status.CHARGING
    assert evse_status(["AVAILABLE", "OUTOFORDER"]) == Status.AVAILABLE
    assert evse_status(["RESERVED", "AVAILABLE"]) == Status.RESERVED
    assert evse_status(["OUTOFORDER", "INOPERATIVE"]) == Status.INOPERATIVE
    assert evse_status([]) == Status.UNKNOWN


def _status(connector: int, value: str, at: Any) -> call.StatusNotification:
    return call.StatusNotification(
        connector_id=connector, error_code="NoError", status=value, timestamp=iso(at)
    )


def test_flapping_is_debounced(
    site: Site, charger: Callable[..., ChargePoint], monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """A burst of reports costs partners one EVSE PATCH with the final status; repeats cost nothing;
    a report older than the stored one (a late offline queue) is ignored."""
    settings.OCPP_STATUS_DEBOUNCE_SECONDS = 0.3
    charger("CP-1")
    evse = site.evse(1)
    patches: list[Any] = []
    original = bridge.evse_patch

    def counting(**kwargs: Any) -> Any:
        patches.append(kwargs["patch"]["status"])
        return original(**kwargs)

    monkeypatch.setattr(bridge, "evse_patch", counting)
    now = timezone.now()

    async def scenario() -> None:
        async with central_system() as central, charger_16(central.port, "CP-1", PASSWORD) as client:
            for n, value in enumerate(("Available", "Unavailable", "Available", "Faulted", "Available")):
                await client.call(_status(1, value, now + timedelta(seconds=n)))
            await eventually(central, lambda: EVSE.objects.get(pk=evse.pk).status == "AVAILABLE")
            await client.call(_status(1, "Available", now + timedelta(seconds=10)))
            await client.call(_status(1, "Faulted", now - timedelta(minutes=5)))
            await asyncio.sleep(0.6)

    asyncio.run(scenario())
    assert patches == ["AVAILABLE"]
    assert EVSE.objects.get(pk=evse.pk).status == "AVAILABLE"
    assert OcppConnector.objects.get(charge_point__identity="CP-1", ocpp_evse_id=1).ocpp_status == "Available"


def test_charge_point_status_and_shared_evse(site: Site, charger: Callable[..., ChargePoint]) -> None:
    """1.6 connectorId 0 Unavailable/Faulted overrides every EVSE of the charger; two OCPP connectors
    mapped onto one OCPI EVSE combine (in use wins)."""
    cp = charger("CP-1", connectors=1)
    evse = site.evse(1)
    ocpp_connector_map(charge_point=cp, ocpp_evse_id=2, evse=evse)
    now = timezone.now()
    seen: list[str] = []

    async def scenario() -> None:
        async with central_system() as central, charger_16(central.port, "CP-1", PASSWORD) as client:

            async def settled(expected: str) -> None:
                await eventually(central, lambda: EVSE.objects.get(pk=evse.pk).status == expected)
                seen.append(expected)

            await client.call(_status(1, "Available", now))
            await client.call(_status(2, "Available", now))
            await settled("AVAILABLE")
            await client.call(_status(2, "Finishing", now + timedelta(seconds=1)))
            await settled("BLOCKED")
            await client.call(_status(0, "Faulted", now + timedelta(seconds=2)))
            await settled("OUTOFORDER")
            await client.call(_status(0, "Available", now + timedelta(seconds=3)))
            await client.call(_status(2, "Available", now + timedelta(seconds=3)))
            await settled("AVAILABLE")

    asyncio.run(scenario())
    assert seen == ["AVAILABLE", "BLOCKED", "OUTOFORDER", "AVAILABLE"]


def test_offline_charger_becomes_unknown_and_recovers(
    site: Site, charger: Callable[..., ChargePoint], settings: Any
) -> None:
    """Gone for longer than the grace period -> its EVSEs UNKNOWN (not on every flap); back -> its last
    reported statuses again."""
    settings.OCPP_OFFLINE_GRACE_SECONDS = 0.5
    charger("CP-1")
    evse = site.evse(1)

    async def scenario() -> None:
        async with central_system() as central:
            async with charger_16(central.port, "CP-1", PASSWORD) as client:
                await client.call(_status(1, "Available", timezone.now()))
                await eventually(central, lambda: EVSE.objects.get(pk=evse.pk).status == "AVAILABLE")
            async with charger_16(central.port, "CP-1", PASSWORD) as client:  # a quick flap: no change
                await client.call(call.Heartbeat())
            assert await central.db.run(lambda: EVSE.objects.get(pk=evse.pk).status) == "AVAILABLE"
            await eventually(central, lambda: EVSE.objects.get(pk=evse.pk).status == "UNKNOWN")
            async with charger_16(central.port, "CP-1", PASSWORD) as client:
                await client.call(call.Heartbeat())
                await eventually(central, lambda: EVSE.objects.get(pk=evse.pk).status == "AVAILABLE")

    asyncio.run(scenario())
