"""Real OCPP chargers for the end-to-end tests, driven from the test process against a live run_ocpp.

The ocpp library's `ChargePoint` (1.6J and 2.0.1) over a `websockets` client connection, with OCPP
security profile 1: HTTP Basic on the upgrade, user name = the charge point identity. Written here
independently of the platform's code (nothing from `cpo` is imported): this is what a charger sends.

    async with charger_16(cpo.ocpp_url("CP-1"), "CP-1", password) as cp:
        await cp.call(call.BootNotification(charge_point_vendor="Acme", charge_point_model="AC22"))
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Any, TypeVar

from ocpp.charge_point import ChargePoint
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v201 import ChargePoint as ChargePoint201
from websockets.asyncio.client import connect

RESPONSE_TIMEOUT = 15.0
OPEN_TIMEOUT = 10.0
FRAMES = logging.getLogger("tests.e2e.ocpp")

C = TypeVar("C", bound=ChargePoint)


def iso(moment: datetime) -> str:
    """An OCPP timestamp: UTC, whole seconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def basic_auth(identity: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{identity}:{password}".encode()).decode("ascii")


@asynccontextmanager
async def _charger(
    cls: type[C], url: str, identity: str, password: str, subprotocol: str
) -> AsyncIterator[C]:
    """Connect, run the charger's receive loop (it answers the central system's CALLs) while inside."""
    websocket = await connect(
        url,
        subprotocols=[subprotocol],  # type: ignore[list-item]
        additional_headers={"Authorization": basic_auth(identity, password)},
        open_timeout=OPEN_TIMEOUT,
    )
    assert websocket.subprotocol == subprotocol, f"server chose {websocket.subprotocol!r}"
    charger = cls(identity, websocket, response_timeout=RESPONSE_TIMEOUT, logger=FRAMES)
    task = asyncio.create_task(charger.start())
    try:
        yield charger
    finally:
        task.cancel()
        with suppress(Exception):
            await websocket.close()
        with suppress(asyncio.CancelledError, Exception):
            await task


def charger_16(url: str, identity: str, password: str) -> AbstractAsyncContextManager[ChargePoint16]:
    """An OCPP 1.6J charge point connected to `url` (`async with`)."""
    return _charger(ChargePoint16, url, identity, password, "ocpp1.6")


def charger_201(url: str, identity: str, password: str) -> AbstractAsyncContextManager[ChargePoint201]:
    """An OCPP 2.0.1 charging station connected to `url` (`async with`)."""
    return _charger(ChargePoint201, url, identity, password, "ocpp2.0.1")


# --- meter values ------------------------------------------------------------------------------------


def meter_value_16(
    at: datetime,
    wh: int,
    *,
    context: str = "Sample.Periodic",
    power_w: int | None = None,
    amps: float | None = None,
    soc: int | None = None,
) -> dict[str, Any]:
    """An OCPP 1.6 MeterValue (§7.17): the energy register in Wh; power, current per phase, SoC.

    1.6 sampled values are strings.
    """
    sampled: list[dict[str, Any]] = [
        {"value": str(wh), "context": context, "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
    ]
    if power_w is not None:
        sampled.append(
            {"value": str(power_w), "context": context, "measurand": "Power.Active.Import", "unit": "W"}
        )
    if amps is not None:
        sampled += [
            {"value": str(amps), "context": context, "measurand": "Current.Import", "phase": p, "unit": "A"}
            for p in ("L1", "L2", "L3")
        ]
    if soc is not None:
        sampled.append(
            {"value": str(soc), "context": context, "measurand": "SoC", "location": "EV", "unit": "Percent"}
        )
    return {"timestamp": iso(at), "sampledValue": sampled}


def meter_value_201(
    at: datetime,
    wh: int,
    *,
    context: str = "Sample.Periodic",
    power_w: int | None = None,
    amps: float | None = None,
    soc: int | None = None,
) -> dict[str, Any]:
    """An OCPP 2.0.1 MeterValueType: numbers with a unitOfMeasure; the energy register in Wh."""

    def sample(value: float, measurand: str, unit: str, **extra: str) -> dict[str, Any]:
        return {
            "value": value,
            "context": context,
            "measurand": measurand,
            "unitOfMeasure": {"unit": unit},
            **extra,
        }

    sampled = [sample(wh, "Energy.Active.Import.Register", "Wh")]
    if power_w is not None:
        sampled.append(sample(power_w, "Power.Active.Import", "W"))
    if amps is not None:
        sampled += [sample(amps, "Current.Import", "A", phase=p) for p in ("L1", "L2", "L3")]
    if soc is not None:
        sampled.append(sample(soc, "SoC", "Percent", location="EV"))
    return {"timestamp": iso(at), "sampledValue": sampled}
