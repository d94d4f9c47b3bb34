"""A whole OCPP 2.0.1 charging session (TransactionEvent Started/Updated/Ended) down to the OCPI rows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from ocpp.v201 import call

from cpo.ocpp.models import ChargePoint, OcppTransaction
from ocpi.cdrs.models import Cdr
from ocpi.locations.models import EVSE
from ocpi.sessions.models import Session
from ocpi.sessions.services import session_to_json
from tests.cpo.ocpp.clients import central_system, charger_201, eventually, iso
from tests.cpo.ocpp.conftest import PASSWORD, Site

TOKEN = {"idToken": "RFID0001", "type": "ISO14443"}


def meter(
    at: Any, value: float, *, unit: str = "kWh", multiplier: int = 0, context: str = "Sample.Periodic"
) -> dict:
    return {
        "timestamp": iso(at),
        "sampledValue": [
            {
                "value": value,
                "context": context,
                "measurand": "Energy.Active.Import.Register",
                "unitOfMeasure": {"unit": unit, "multiplier": multiplier},
            }
        ],
    }


def test_whole_session(site: Site, charger: Callable[..., ChargePoint]) -> None:
    """Boot, status, authorize, Started (EV connected), Charging, SuspendedEV, Charging, Ended without a
    final meter value; units kWh, Wh and a multiplier; a retransmitted event changes nothing."""
    charger("CS-201")
    evse = site.evse(1)
    t0 = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    minute = timedelta(minutes=1)
    answers: dict[str, Any] = {}

    async def scenario() -> None:
        async with central_system() as central, charger_201(central.port, "CS-201", PASSWORD) as client:
            boot = await client.call(
                call.BootNotification(
                    charging_station={"model": "DC50", "vendorName": "Acme"}, reason="PowerUp"
                )
            )
            assert boot.status == "Accepted"
            await client.call(
                call.StatusNotification(
                    timestamp=iso(t0 - 5 * minute), connector_status="Available", evse_id=1, connector_id=1
                )
            )
            await eventually(central, lambda: EVSE.objects.get(pk=evse.pk).status == "AVAILABLE")
            answers["authorize"] = (await client.call(call.Authorize(id_token=TOKEN))).id_token_info["status"]
            await client.call(
                call.StatusNotification(
                    timestamp=iso(t0), connector_status="Occupied", evse_id=1, connector_id=1
                )
            )

            def event(kind: str, seq: int, at: Any, trigger: str, **extra: Any) -> call.TransactionEvent:
                info = {"transactionId": "TX-0001", **extra.pop("info", {})}
                return call.TransactionEvent(
                    event_type=kind,
                    timestamp=iso(at),
                    trigger_reason=trigger,
                    seq_no=seq,
                    transaction_info=info,
                    **extra,
                )

            started = await client.call(
                event(
                    "Started",
                    0,
                    t0,
                    "Authorized",
                    info={"chargingState": "EVConnected"},
                    evse={"id": 1, "connectorId": 1},
                    id_token=TOKEN,
                    meter_value=[meter(t0, 10.0, context="Transaction.Begin")],
                )
            )
            answers["started"] = started.id_token_info["status"]
            await eventually(central, lambda: EVSE.objects.get(pk=evse.pk).status == "CHARGING")
            await client.call(
                event("Updated", 1, t0 + minute, "ChargingStateChanged", info={"chargingState": "Charging"})
            )
            periodic = event(
                "Updated",
                2,
                t0 + 16 * minute,
                "MeterValuePeriodic",
                meter_value=[meter(t0 + 16 * minute, 14000, unit="Wh")],
            )
            await client.call(periodic)
            await client.call(periodic)  # retransmitted
            answers["live"] = await central.db.run(lambda: session_to_json(Session.objects.get()))
            await client.call(
                event(
                    "Updated",
                    3,
                    t0 + 20 * minute,
                    "ChargingStateChanged",
                    info={"chargingState": "SuspendedEV"},
                )
            )
            await client.call(
                event(
                    "Updated",
                    4,
                    t0 + 30 * minute,
                    "MeterValuePeriodic",
                    meter_value=[meter(t0 + 30 * minute, 14.5)],
                )
            )
            await client.call(
                event(
                    "Updated", 5, t0 + 35 * minute, "ChargingStateChanged", info={"chargingState": "Charging"}
                )
            )
            await client.call(
                event(
                    "Updated",
                    6,
                    t0 + 45 * minute,
                    "MeterValuePeriodic",
                    meter_value=[meter(t0 + 45 * minute, 1.6, unit="kWh", multiplier=1)],
                )
            )
            ended = await client.call(
                event(
                    "Ended",
                    7,
                    t0 + 50 * minute,
                    "EVDeparted",
                    info={"stoppedReason": "EVDisconnected"},
                    id_token=TOKEN,
                )
            )
            answers["ended"] = ended.id_token_info["status"]
            await client.call(
                call.StatusNotification(
                    timestamp=iso(t0 + 51 * minute), connector_status="Available", evse_id=1, connector_id=1
                )
            )
            await eventually(central, lambda: EVSE.objects.get(pk=evse.pk).status == "AVAILABLE")

    asyncio.run(scenario())

    assert answers["authorize"] == answers["started"] == answers["ended"] == "Accepted"
    live = answers["live"]
    assert live["status"] == "ACTIVE"
    assert live["kwh"] == 4
    assert len(live["charging_periods"]) == 2  # EVConnected minute, then charging: sent once, not twice

    session = Session.objects.get()
    data = session_to_json(session)
    assert data["status"] == "COMPLETED"
    assert data["kwh"] == 6  # 10 kWh -> 16 kWh, the last reading: no meter value came with Ended
    assert data["end_date_time"] == iso(t0 + 50 * minute)
    starts = [p["start_date_time"] for p in data["charging_periods"]]
    assert starts == [iso(t0 + m * minute) for m in (0, 1, 16, 20, 30, 35, 45)]

    cdr = Cdr.objects.get()
    assert cdr.total_energy == Decimal("6")
    assert cdr.total_parking_time == Decimal("0.2667")  # 1 + 10 + 5 minutes
    assert cdr.total_time == Decimal("0.8333")  # 50 minutes
    # 6 kWh at 0.25 + 16 minutes of parking at 6.00/h
    assert (cdr.total_cost_excl_vat, cdr.total_cost_incl_vat) == (Decimal("3.1"), Decimal("3.72"))
    assert "no meter stop value" in (cdr.remark or "")
    tx = OcppTransaction.objects.get()
    assert (tx.transaction_id, tx.stop_reason, tx.charging_state) == ("TX-0001", "EVDisconnected", "Charging")
    assert ChargePoint.objects.get(identity="CS-201").protocol == "ocpp2.0.1"


def test_unknown_token_gets_no_session(site: Site, charger: Callable[..., ChargePoint]) -> None:
    """A transaction with an unknown idToken is answered Invalid and never becomes an OCPI Session."""
    charger("CS-201")
    answers: list[str] = []

    async def scenario() -> None:
        async with central_system() as central, charger_201(central.port, "CS-201", PASSWORD) as client:
            for kind, seq in (("Started", 0), ("Ended", 1)):
                result = await client.call(
                    call.TransactionEvent(
                        event_type=kind,
                        timestamp=iso(timezone.now()),
                        trigger_reason="Authorized",
                        seq_no=seq,
                        transaction_info={"transactionId": "TX-X"},
                        evse={"id": 2, "connectorId": 1},
                        id_token={"idToken": "NOBODY", "type": "ISO14443"},
                    )
                )
                answers.append(result.id_token_info["status"])

    asyncio.run(scenario())
    assert answers == ["Invalid", "Invalid"]
    assert OcppTransaction.objects.get().state == "STOPPED"
    assert not Session.objects.exists()
    assert not Cdr.objects.exists()
