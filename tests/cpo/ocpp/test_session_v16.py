"""A whole OCPP 1.6J charging session through a real central system, down to the OCPI rows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from ocpp.v16 import call

from cpo.ocpp.models import ChargePoint, OcppMessage, OcppTransaction
from ocpi.cdrs.models import Cdr
from ocpi.locations.models import EVSE
from ocpi.sessions.models import Session
from ocpi.sessions.services import session_to_json
from tests.cpo.ocpp.clients import central_system, charger_16, eventually, iso
from tests.cpo.ocpp.conftest import PASSWORD, Site


def energy(at: Any, wh: int, context: str = "Sample.Periodic", **extra: str) -> dict[str, Any]:
    sampled = [
        {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh", "context": context}
    ]
    if extra.get("power_kw"):
        sampled.append({"value": extra["power_kw"], "measurand": "Power.Active.Import", "unit": "kW"})
    if extra.get("amps"):
        for phase in ("L1", "L2", "L3"):
            sampled.append(
                {"value": extra["amps"], "measurand": "Current.Import", "phase": phase, "unit": "A"}
            )
    if extra.get("soc"):
        sampled.append({"value": extra["soc"], "measurand": "SoC", "unit": "Percent", "location": "EV"})
    return {"timestamp": iso(at), "sampledValue": sampled}


def status(connector: int, value: str, at: Any) -> call.StatusNotification:
    return call.StatusNotification(
        connector_id=connector, error_code="NoError", status=value, timestamp=iso(at)
    )


def dims(period: dict[str, Any]) -> dict[str, float]:
    return {d["type"]: d["volume"] for d in period["dimensions"]}


def test_whole_session(site: Site, charger: Callable[..., ChargePoint]) -> None:
    """Boot, status, authorize, start, meter values around a SuspendedEV phase, stop: the OCPI Session
    gets PATCHed with new periods as it goes, and ends COMPLETED with a priced CDR."""
    charger("CP-16")
    evse = site.evse(1)
    t0 = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    minute = timedelta(minutes=1)
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        async with central_system() as central, charger_16(central.port, "CP-16", PASSWORD) as client:
            boot = await client.call(
                call.BootNotification(
                    charge_point_vendor="Acme", charge_point_model="AC22", meter_serial_number="MTR-0001"
                )
            )
            assert boot.status == "Accepted"
            await client.call(status(0, "Available", t0 - 10 * minute))
            await client.call(status(1, "Available", t0 - 10 * minute))
            await eventually(central, lambda: EVSE.objects.get(pk=evse.pk).status == "AVAILABLE")
            auth = await client.call(call.Authorize(id_tag="rfid0001"))
            assert auth.id_tag_info["status"] == "Accepted"
            assert auth.id_tag_info["parent_id_tag"] == "GROUP1"
            await client.call(status(1, "Preparing", t0 - minute))
            start = await client.call(
                call.StartTransaction(connector_id=1, id_tag="RFID0001", meter_start=1000, timestamp=iso(t0))
            )
            assert start.id_tag_info["status"] == "Accepted"
            tx = start.transaction_id
            await client.call(status(1, "Charging", t0))
            await eventually(central, lambda: EVSE.objects.get(pk=evse.pk).status == "CHARGING")
            await client.call(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=tx,
                    meter_value=[energy(t0 + 15 * minute, 4000, power_kw="12", amps="16", soc="40")],
                )
            )
            seen["live"] = await central.db.run(
                lambda: session_to_json(Session.objects.get(ocpp_transaction__transaction_id=str(tx)))
            )
            await client.call(status(1, "SuspendedEV", t0 + 20 * minute))
            await client.call(
                call.MeterValues(
                    connector_id=1, transaction_id=tx, meter_value=[energy(t0 + 30 * minute, 5000)]
                )
            )
            await client.call(status(1, "Charging", t0 + 40 * minute))
            await client.call(
                call.MeterValues(
                    connector_id=1, transaction_id=tx, meter_value=[energy(t0 + 45 * minute, 6500)]
                )
            )
            seen["before_stop"] = await central.db.run(
                lambda: session_to_json(Session.objects.get(ocpp_transaction__transaction_id=str(tx)))
            )
            stop = await client.call(
                call.StopTransaction(
                    meter_stop=8000,
                    timestamp=iso(t0 + 60 * minute),
                    transaction_id=tx,
                    reason="EVDisconnected",
                    id_tag="RFID0001",
                    transaction_data=[energy(t0 + 60 * minute, 8000, context="Transaction.End")],
                )
            )
            assert stop.id_tag_info["status"] == "Accepted"
            await client.call(status(1, "Finishing", t0 + 61 * minute))
            await client.call(status(1, "Available", t0 + 62 * minute))
            await eventually(central, lambda: EVSE.objects.get(pk=evse.pk).status == "AVAILABLE")
            await client.call(call.Heartbeat())

    asyncio.run(scenario())

    live = seen["live"]
    assert live["status"] == "ACTIVE"
    assert live["kwh"] == 3
    assert [dims(p) for p in live["charging_periods"]] == [
        {"ENERGY": 3, "TIME": 0.25, "POWER": 12, "CURRENT": 48, "STATE_OF_CHARGE": 40}
    ]
    assert live["total_cost"] == {"excl_vat": 0.75, "incl_vat": 0.9}
    assert len(seen["before_stop"]["charging_periods"]) == 5  # appended PATCH by PATCH

    session = Session.objects.get()
    data = session_to_json(session)
    assert data["status"] == "COMPLETED"
    assert data["kwh"] == 7
    assert data["start_date_time"] == iso(t0)
    assert data["end_date_time"] == iso(t0 + 60 * minute)
    assert data["cdr_token"] == {
        "country_code": "DE",
        "party_id": "ABC",
        "uid": "RFID0001",
        "type": "RFID",
        "contract_id": "DE-ABC-RFID0001",
    }
    assert (data["location_id"], data["evse_uid"], data["connector_id"]) == ("LOC-OCPP", "EVSE-1", "1")
    assert data["auth_method"] == "WHITELIST"
    assert data["meter_id"] == "MTR-0001"
    assert data["currency"] == "EUR"
    periods = data["charging_periods"]
    assert [p["start_date_time"] for p in periods] == [iso(t0 + m * minute) for m in (0, 15, 20, 30, 40, 45)]
    assert [dims(p).get("ENERGY") for p in periods] == [3, 1, 0, 0, 1.5, 1.5]
    assert [("TIME" in dims(p), "PARKING_TIME" in dims(p)) for p in periods] == [
        (True, False), (True, False), (False, True), (False, True), (True, False), (True, False)
    ]  # fmt: skip
    assert all(p["tariff_id"] == "T-ENERGY-PARK" for p in periods)
    assert data["total_cost"] == {"excl_vat": 3.75, "incl_vat": 4.5}

    cdr = Cdr.objects.get()
    assert cdr.ocpi_id == session.ocpi_id == cdr.session_id
    assert cdr.total_energy == Decimal("7")
    assert cdr.total_time == Decimal("1")
    assert cdr.total_parking_time == Decimal("0.3333")
    assert (cdr.total_energy_cost_excl_vat, cdr.total_parking_cost_excl_vat) == (
        Decimal("1.75"),
        Decimal("2"),
    )
    assert (cdr.total_cost_excl_vat, cdr.total_cost_incl_vat) == (Decimal("3.75"), Decimal("4.5"))
    assert cdr.cdr_location["evse_id"] == "NL*OCP*E0001"
    assert cdr.cdr_location["connector_standard"] == "IEC_62196_T2"
    assert cdr.tariffs is not None
    assert cdr.tariffs[0]["id"] == "T-ENERGY-PARK"
    cdr_types = {d["type"] for p in cdr.charging_periods for d in p["dimensions"]}
    assert cdr_types == {"ENERGY", "TIME", "PARKING_TIME"}  # no Session-only dimensions in a CDR
    assert cdr.remark is None

    tx = OcppTransaction.objects.get()
    assert (tx.state, tx.stop_reason, tx.cdr_id) == ("STOPPED", "EVDisconnected", cdr.pk)
    assert EVSE.objects.get(pk=evse.pk).status == "AVAILABLE"
    row = ChargePoint.objects.get(identity="CP-16")
    assert (row.vendor, row.model, row.protocol, row.connected) == ("Acme", "AC22", "ocpp1.6", False)
    assert row.last_heartbeat_at is not None
    actions = set(OcppMessage.objects.filter(charge_point=row).values_list("action", flat=True))
    assert {"BootNotification", "StartTransaction", "MeterValues", "StopTransaction"} <= actions


def test_refused_tokens(site: Site, charger: Callable[..., ChargePoint]) -> None:
    """Unknown -> Invalid, valid=false -> Blocked, whitelist NEVER with an eMSP that cannot be asked (no
    tokens Sender endpoint) -> Blocked (the offline fallback); a refused start creates no Session, and
    its StopTransaction is simply acknowledged."""
    charger("CP-16")
    answers: dict[str, Any] = {}

    async def scenario() -> None:
        async with central_system() as central, charger_16(central.port, "CP-16", PASSWORD) as client:
            for tag in ("UNKNOWN1", "BLOCKED01", "NEVER001"):
                answers[tag] = (await client.call(call.Authorize(id_tag=tag))).id_tag_info["status"]
            start = await client.call(
                call.StartTransaction(
                    connector_id=1, id_tag="BLOCKED01", meter_start=0, timestamp=iso(timezone.now())
                )
            )
            answers["start"] = start.id_tag_info["status"]
            await client.call(
                call.StopTransaction(
                    meter_stop=10, timestamp=iso(timezone.now()), transaction_id=start.transaction_id
                )
            )

    asyncio.run(scenario())
    assert answers == {
        "UNKNOWN1": "Invalid",
        "BLOCKED01": "Blocked",
        "NEVER001": "Blocked",
        "start": "Blocked",
    }
    assert not Session.objects.exists()
    assert not Cdr.objects.exists()


def test_duplicate_start_gets_same_transaction_id(site: Site, charger: Callable[..., ChargePoint]) -> None:
    """OCPP-J retransmits an unanswered CALL: the same StartTransaction gets the same transactionId."""
    charger("CP-16")
    ids: list[int] = []
    t0 = timezone.now().replace(microsecond=0)

    async def scenario() -> None:
        async with central_system() as central, charger_16(central.port, "CP-16", PASSWORD) as client:
            for _ in range(2):
                start = call.StartTransaction(
                    connector_id=1, id_tag="RFID0001", meter_start=500, timestamp=iso(t0)
                )
                ids.append((await client.call(start)).transaction_id)

    asyncio.run(scenario())
    assert ids[0] == ids[1]
    assert OcppTransaction.objects.count() == 1
    assert Session.objects.count() == 1


def test_reconnect_and_replay(site: Site, charger: Callable[..., ChargePoint]) -> None:
    """A charger loses its connection mid-session, reconnects and replays its offline queue (old
    timestamps, messages it had sent already, out of order) and its stop twice: one Session, one CDR,
    with the right energy; a meter reading that went backwards is not billed and is noted."""
    charger("CP-16")
    t0 = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)
    minute = timedelta(minutes=1)

    async def scenario() -> None:
        async with central_system() as central:
            async with charger_16(central.port, "CP-16", PASSWORD) as client:
                await client.call(
                    call.BootNotification(charge_point_vendor="Acme", charge_point_model="AC22")
                )
                start = call.StartTransaction(
                    connector_id=2, id_tag="RFID0001", meter_start=1000, timestamp=iso(t0)
                )
                tx = (await client.call(start)).transaction_id
                await client.call(
                    call.MeterValues(
                        connector_id=2, transaction_id=tx, meter_value=[energy(t0 + 10 * minute, 2000)]
                    )
                )
            # Offline for a while; the queue comes out after the reconnect.
            async with charger_16(central.port, "CP-16", PASSWORD) as client:
                await client.call(
                    call.BootNotification(charge_point_vendor="Acme", charge_point_model="AC22")
                )
                assert (await client.call(start)).transaction_id == tx
                for at, wh in ((30, 4000), (10, 2000), (20, 3000), (40, 3500), (50, 4500)):
                    await client.call(
                        call.MeterValues(
                            connector_id=2, transaction_id=tx, meter_value=[energy(t0 + at * minute, wh)]
                        )
                    )
                stop = call.StopTransaction(
                    meter_stop=5000, timestamp=iso(t0 + 60 * minute), transaction_id=tx
                )
                await client.call(stop)
                await client.call(stop)

    asyncio.run(scenario())
    assert OcppTransaction.objects.count() == 1
    session = Session.objects.get()
    cdr = Cdr.objects.get()
    assert session.status == "COMPLETED"
    assert session.kwh == Decimal("4")  # 1000 -> 5000 Wh; the drop from 4000 to 3500 adds nothing
    assert cdr.total_energy == Decimal("4")
    energies = [d["volume"] for p in cdr.charging_periods for d in p["dimensions"] if d["type"] == "ENERGY"]
    assert energies == [1, 1, 1, 0, 0.5, 0.5]  # 10, 20, 30 (sorted), 40 (backwards), 50, stop
    assert "backwards" in (cdr.remark or "")
    assert OcppTransaction.objects.get().readings.count() == 5


def test_transaction_without_stop_is_closed_by_the_next(
    site: Site, charger: Callable[..., ChargePoint]
) -> None:
    """A charger that lost a StopTransaction starts a new transaction on the connector: the old one is
    closed at its last reading (CDR with a remark); its stop, if it comes after all, changes nothing."""
    charger("CP-16")
    t0 = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)
    minute = timedelta(minutes=1)

    async def scenario() -> None:
        async with central_system() as central, charger_16(central.port, "CP-16", PASSWORD) as client:
            first = call.StartTransaction(
                connector_id=1, id_tag="RFID0001", meter_start=1000, timestamp=iso(t0)
            )
            lost = (await client.call(first)).transaction_id
            await client.call(
                call.MeterValues(
                    connector_id=1, transaction_id=lost, meter_value=[energy(t0 + 10 * minute, 2000)]
                )
            )
            second = call.StartTransaction(
                connector_id=1, id_tag="RFID0001", meter_start=2500, timestamp=iso(t0 + 60 * minute)
            )
            assert (await client.call(second)).transaction_id != lost
            late = call.StopTransaction(meter_stop=9000, timestamp=iso(t0 + 50 * minute), transaction_id=lost)
            await client.call(late)

    asyncio.run(scenario())
    closed, running = OcppTransaction.objects.order_by("pk")
    assert (closed.state, closed.stop_reason, closed.stopped_at) == ("STOPPED", "Orphaned", t0 + 10 * minute)
    assert running.state == "ACTIVE"
    assert closed.session is not None
    assert running.session is not None
    cdr = Cdr.objects.get()
    assert cdr.session_id == closed.session.ocpi_id
    assert cdr.total_energy == Decimal("1")
    assert "no stop received" in (cdr.remark or "")
    statuses = dict(Session.objects.values_list("ocpi_id", "status"))
    assert statuses == {closed.session.ocpi_id: "COMPLETED", running.session.ocpi_id: "ACTIVE"}
