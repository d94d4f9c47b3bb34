"""A real OCPP charging session on a live CPO platform reaches a live eMSP platform by push.

The CPO (NL-CPA) runs gunicorn, a Celery worker and `run_ocpp`; the eMSP (DE-EMB) runs gunicorn and a
Celery worker; they are registered with each other over OCPI credentials. The eMSP's token reaches the
CPO by push; real chargers (the ocpp library's 1.6J and 2.0.1 ChargePoints over websockets, HTTP Basic
auth) charge with it at a location with a tariff. The eMSP must receive the Session (PUT, then PATCHes
while it runs, then the COMPLETED PUT), the priced CDR (POST) and the EVSE statuses, and its own price
check of the CDR must agree with the CPO's price.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from tests.e2e.harness import LivePlatform, Platforms, PlatformSpec, parallel
from tests.e2e.helpers import connect, run_json, wait_for
from tests.e2e.ocpp_charger import charger_16, charger_201, iso, meter_value_16, meter_value_201

pytestmark = pytest.mark.e2e

CPO_CODE = ("NL", "CPA")
EMSP_CODE = ("DE", "EMB")
LOCATION = "LOC-OCPP"
TARIFF_ID = "T-ENERGY-PARK"
UID = "04E1A2B3C4D5E6"
CONTRACT_ID = "DE-EMB-C00000042-7"
CP16 = "CP-16-E2E"
CS201 = "CS-201-E2E"
CP_RT = "CP-RT-E2E"
RT_UID = "RT0NEVER0001"
PASSWORDS = {CP16: "e2e-charger-16-secret", CS201: "e2e-station-201-secret", CP_RT: "e2e-realtime-secret"}
MINUTE = timedelta(minutes=1)
WAIT = 45.0  # seconds: pushes go through Celery
OCPP_ENV = {"OCPP_STATUS_DEBOUNCE_SECONDS": "1", "OCPP_STATUS_MAX_DELAY_SECONDS": "5"}

TARIFF = {
    "id": TARIFF_ID,
    "currency": "EUR",
    "elements": [
        {
            "price_components": [
                {"type": "ENERGY", "price": 0.25, "vat": 20.0, "step_size": 1},
                {"type": "PARKING_TIME", "price": 6.00, "vat": 20.0, "step_size": 60},
            ]
        }
    ],
}

SITE = """
import json
from ocpi.locations.schemas import Location
from ocpi.locations.services import location_put
from ocpi.models import Party
from ocpi.tariffs.schemas import Tariff
from ocpi.tariffs.services import tariff_put
data = json.loads({data!r})
party = Party.objects.own().get(role="CPO")
tariff_put(party=party, data=Tariff.model_validate(data["tariff"]))
location_put(party=party, data=Location.model_validate(data["location"]))
print(json.dumps("ok"))
"""

TOKEN = """
import json
from ocpi.models import Party
from ocpi.tokens.services import token_put
party = Party.objects.own().get(role="EMSP")
token, created = token_put(party=party, data={{
    "country_code": party.country_code, "party_id": party.party_id, "uid": {uid!r}, "type": "RFID",
    "contract_id": {contract_id!r}, "issuer": "eMSP B", "valid": True, "whitelist": {whitelist!r},
    "last_updated": {now!r}}})
print(json.dumps(created))
"""

STATE = """
import json
from cpo.ocpp.models import OcppTransaction
from emsp.models import CdrPriceCheck
from ocpi.cdrs.models import Cdr
from ocpi.cdrs.services import cdr_to_json
from ocpi.locations.models import EVSE
from ocpi.sessions.models import Session
from ocpi.sessions.services import session_to_json
from ocpi.sync.models import OutboxMessage
keys = {{"country_code": "NL", "ocpi_party_id": "CPA", "evse_uid": {evse_uid!r}}}
sessions = [session_to_json(s) for s in Session.objects.filter(**keys)]
cdrs = list(Cdr.objects.filter(**keys))
objects = ["NL/CPA/" + s["id"] for s in sessions]
print(json.dumps({{
    "sessions": sessions,
    "cdrs": [cdr_to_json(c) for c in cdrs],
    "price_checks": [
        {{"cdr": c.cdr.ocpi_id, "outcome": c.outcome, "tariff_ids": c.tariff_ids, "message": c.message,
          "reported": [str(c.reported_excl_vat), str(c.reported_incl_vat)],
          "expected": [str(c.expected_excl_vat), str(c.expected_incl_vat)]}}
        for c in CdrPriceCheck.objects.filter(cdr__in=cdrs).select_related("cdr")
    ],
    "transactions": [
        {{"transaction_id": t.transaction_id, "state": t.state, "stop_reason": t.stop_reason,
          "meter_start_wh": str(t.meter_start_wh), "meter_stop_wh": str(t.meter_stop_wh),
          "session": t.session.ocpi_id if t.session else None, "cdr": t.cdr.ocpi_id if t.cdr else None,
          "identity": t.charge_point.identity}}
        for t in OcppTransaction.objects.filter(session__ocpi_id__in=[s["id"] for s in sessions])
    ],
    "outbox": [
        [m.module, m.method, m.state, m.last_error]
        for m in OutboxMessage.objects.filter(object_key__in=objects).order_by("id")
    ],
    "evses": dict(EVSE.objects.filter(location__ocpi_id={location!r}, location__country_code="NL")
                  .values_list("uid", "status")),
}}, default=str))
"""


def now_text() -> str:
    return iso(datetime.now(UTC))


def site_data() -> dict[str, Any]:
    """The CPO's tariff and its location LOC-OCPP: five EVSEs (status UNKNOWN until a charger reports)."""
    now = now_text()
    cc, pid = CPO_CODE

    def evse(number: int) -> dict[str, Any]:
        return {
            "uid": f"EVSE-{number}",
            "evse_id": f"{cc}*{pid}*E000{number}",
            "status": "UNKNOWN",
            "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
            "connectors": [
                {
                    "id": "1",
                    "standard": "IEC_62196_T2",
                    "format": "SOCKET",
                    "power_type": "AC_3_PHASE",
                    "max_voltage": 230,
                    "max_amperage": 32,
                    "tariff_ids": [TARIFF_ID],
                    "last_updated": now,
                }
            ],
            "last_updated": now,
        }

    return {
        "tariff": {"country_code": cc, "party_id": pid, "last_updated": now, **TARIFF},
        "location": {
            "country_code": cc,
            "party_id": pid,
            "id": LOCATION,
            "publish": True,
            "name": "OCPP roaming site",
            "address": "Stationsplein 1",
            "city": "Utrecht",
            "postal_code": "3511ED",
            "country": "NLD",
            "coordinates": {"latitude": "52.089444", "longitude": "5.110278"},
            "evses": [evse(n) for n in (1, 2, 3, 4, 5)],
            "time_zone": "Europe/Amsterdam",
            "last_updated": now,
        },
    }


# --- reading the platforms' databases ------------------------------------------------------------------


def session_row(platform: LivePlatform, evse_uid: str) -> dict[str, Any] | None:
    """The CPO's session on an EVSE as `platform` stores it (its own, or its copy), with its periods."""
    rows = platform.sql(
        "SELECT id, ocpi_id, status, kwh FROM ocpi_sessions_session "
        "WHERE country_code = %s AND ocpi_party_id = %s AND evse_uid = %s",
        [*CPO_CODE, evse_uid],
    )
    assert len(rows) <= 1, f"{platform.name} has {len(rows)} sessions on {evse_uid}"
    if not rows:
        return None
    pk, ocpi_id, status, kwh = rows[0]
    periods = platform.sql(
        "SELECT data FROM ocpi_sessions_sessionchargingperiod WHERE session_id = %s ORDER BY position", [pk]
    )
    return {
        "id": ocpi_id,
        "status": status,
        "kwh": Decimal(str(kwh)),
        "periods": [json.loads(data) if isinstance(data, str) else data for (data,) in periods],
    }


def evse_status(platform: LivePlatform, evse_uid: str) -> str | None:
    rows = platform.sql(
        "SELECT e.status FROM ocpi_locations_evse e JOIN ocpi_locations_location l ON e.location_id = l.id "
        "WHERE l.country_code = %s AND l.ocpi_id = %s AND e.uid = %s",
        [CPO_CODE[0], LOCATION, evse_uid],
    )
    return str(rows[0][0]) if rows else None


def cdr_ids(platform: LivePlatform, evse_uid: str) -> list[str]:
    rows = platform.sql(
        "SELECT ocpi_id FROM ocpi_cdrs_cdr WHERE country_code = %s AND ocpi_party_id = %s AND evse_uid = %s",
        [*CPO_CODE, evse_uid],
    )
    return [str(row[0]) for row in rows]


def state(platform: LivePlatform, evse_uid: str) -> dict[str, Any]:
    """Sessions, CDRs, price checks, OCPP transactions and outbox messages about one EVSE, as JSON."""
    return run_json(platform, STATE.format(evse_uid=evse_uid, location=LOCATION))


def dims(period: dict[str, Any]) -> dict[str, Decimal]:
    return {d["type"]: Decimal(str(d["volume"])) for d in period["dimensions"]}


def shape(periods: list[dict[str, Any]]) -> list[tuple[str, Decimal, str]]:
    """(start, ENERGY kWh, TIME or PARKING_TIME) per charging period."""
    result = []
    for period in periods:
        d = dims(period)
        kind = "PARKING_TIME" if "PARKING_TIME" in d else "TIME" if "TIME" in d else "?"
        assert not ("PARKING_TIME" in d and "TIME" in d), period
        result.append((period["start_date_time"], d.get("ENERGY", Decimal(0)), kind))
    return result


def money(price: dict[str, Any]) -> tuple[Decimal, Decimal]:
    return Decimal(str(price["excl_vat"])), Decimal(str(price["incl_vat"]))


async def until(predicate: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """wait_for off the event loop, so the charger's websocket keeps being served meanwhile."""
    return await asyncio.to_thread(wait_for, predicate, timeout=timeout, interval=0.25, what=what)


def pushed(platform: LivePlatform, module: str) -> list[tuple[str, str]]:
    """(method, state) of the platform's outbox messages of a module, oldest first."""
    rows = platform.sql(
        "SELECT method, state FROM ocpi_sync_outboxmessage WHERE module = %s ORDER BY id", [module]
    )
    return [(str(method), str(result)) for method, result in rows]


def session_is(
    platform: LivePlatform, evse_uid: str, *, status: str, kwh: str, periods: int | None = None
) -> Callable[[], dict[str, Any] | None]:
    """A check for wait_for: the session on the EVSE as `platform` has it, once it is like this."""

    def check() -> dict[str, Any] | None:
        row = session_row(platform, evse_uid)
        if row is None or row["status"] != status or row["kwh"] != Decimal(kwh):
            return None
        if periods is not None and len(row["periods"]) != periods:
            return None
        return row

    return check


def token_at(cpo: LivePlatform) -> tuple[Any, ...] | None:
    """(eMSP country, party, contract_id, valid, whitelist) of the token as the CPO stores it."""
    rows = cpo.sql(
        "SELECT country_code, ocpi_party_id, contract_id, valid, whitelist FROM ocpi_tokens_token "
        "WHERE uid = %s",
        [UID],
    )
    return (*rows[0][:3], bool(rows[0][3]), rows[0][4]) if len(rows) == 1 else None


def onboard(cpo: LivePlatform, identity: str, connectors: int = 2) -> None:
    """`ocpp_add_charger`: the charger's connectors onto the next free EVSEs of LOC-OCPP."""
    out = cpo.manage(
        "ocpp_add_charger",
        identity,
        "--password",
        PASSWORDS[identity],
        "--location",
        LOCATION,
        "--connectors",
        str(connectors),
    ).stdout
    assert f"charger {identity}: {connectors} connector(s) mapped to location {LOCATION}" in out, out


# --- the platforms -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def roaming(platforms: Platforms) -> Iterator[tuple[LivePlatform, LivePlatform]]:
    """CPO NL-CPA (with run_ocpp) and eMSP DE-EMB, registered; the site, the chargers and the token."""
    cpo, emsp = platforms.start(
        PlatformSpec(*CPO_CODE, ("CPO",), "CPO A", env=OCPP_ENV, ocpp=True),
        PlatformSpec(*EMSP_CODE, ("EMSP",), "eMSP B"),
    )
    try:
        connect(cpo, emsp)
        site, created = parallel(
            lambda job: job(),
            [
                lambda: run_json(cpo, SITE.format(data=json.dumps(site_data()))),
                lambda: run_json(
                    emsp, TOKEN.format(uid=UID, contract_id=CONTRACT_ID, whitelist="ALLOWED", now=now_text())
                ),
            ],
        )
        assert (site, created) == ("ok", True)
        for identity in (CP16, CS201):  # one after the other: each takes the next two free EVSEs
            onboard(cpo, identity)
        onboard(cpo, CP_RT, connectors=1)  # EVSE-5
        # The eMSP's token reached the CPO by push (the eMSP's outbox PUT), the CPO's site the eMSP.
        wait_for(
            lambda: (
                token_at(cpo) == (*EMSP_CODE, CONTRACT_ID, True, "ALLOWED")
                and pushed(emsp, "tokens") == [("PUT", "DELIVERED")]
            ),
            what="the token pushed to the CPO",
        )
        wait_for(
            lambda: (
                [evse_status(emsp, f"EVSE-{n}") for n in (1, 2, 3, 4, 5)] == ["UNKNOWN"] * 5
                and emsp.sql("SELECT count(*) FROM ocpi_tariffs_tariff WHERE ocpi_id = %s", [TARIFF_ID])
                == [(1,)]
                and pushed(cpo, "locations") == pushed(cpo, "tariffs") == [("PUT", "DELIVERED")]
            ),
            what="the CPO's location and tariff pushed to the eMSP",
        )
        yield cpo, emsp
    finally:
        platforms.destroy(cpo, emsp)


def recent_start() -> datetime:
    """t0 of a session: in the recent past (chargers report what happened), whole seconds."""
    return (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)


def check_roamed(
    cpo: LivePlatform,
    emsp: LivePlatform,
    *,
    evse_uid: str,
    identity: str,
    transaction_id: str,
    meter_wh: tuple[int, int],
    meter_id: str | None,
    expected_periods: list[tuple[str, Decimal, str]],
    kwh: Decimal,
    start: datetime,
    end: datetime,
    cost: tuple[Decimal, Decimal],
    parking_hours: Decimal,
) -> None:
    """What both platforms hold about a finished session, compared with the charger's figures and each
    other."""
    ours, theirs = parallel(lambda p: state(p, evse_uid), [cpo, emsp])

    # The CPO: one COMPLETED session and its priced CDR, born from this OCPP transaction.
    assert len(ours["sessions"]) == len(ours["cdrs"]) == 1, ours
    session, cdr = ours["sessions"][0], ours["cdrs"][0]
    assert len(ours["transactions"]) == 1, ours["transactions"]
    tx = ours["transactions"][0]
    assert (Decimal(tx.pop("meter_start_wh")), Decimal(tx.pop("meter_stop_wh"))) == tuple(
        map(Decimal, meter_wh)
    )
    assert tx == {
        "transaction_id": transaction_id,
        "state": "STOPPED",
        "stop_reason": "EVDisconnected",
        "session": session["id"],
        "cdr": cdr["id"],
        "identity": identity,
    }
    assert Decimal(meter_wh[1] - meter_wh[0]) / 1000 == kwh

    assert session["status"] == "COMPLETED"
    assert Decimal(str(session["kwh"])) == kwh
    assert (session["start_date_time"], session["end_date_time"]) == (iso(start), iso(end))
    assert session["cdr_token"] == {
        "country_code": EMSP_CODE[0],
        "party_id": EMSP_CODE[1],
        "uid": UID,
        "type": "RFID",
        "contract_id": CONTRACT_ID,
    }
    assert (session["location_id"], session["evse_uid"], session["connector_id"]) == (LOCATION, evse_uid, "1")
    assert session["currency"] == "EUR"
    assert session.get("meter_id") == meter_id
    assert shape(session["charging_periods"]) == expected_periods
    assert all(p["tariff_id"] == TARIFF_ID for p in session["charging_periods"])
    assert money(session["total_cost"]) == cost

    assert cdr["id"] == cdr["session_id"] == session["id"]
    assert money(cdr["total_cost"]) == cost
    assert Decimal(str(cdr["total_energy"])) == kwh
    assert Decimal(str(cdr["total_time"])) == Decimal(str((end - start).total_seconds() / 3600))
    assert Decimal(str(cdr["total_parking_time"])) == parking_hours
    assert cdr["cdr_token"] == session["cdr_token"]
    assert "remark" not in cdr, cdr["remark"]  # a clean session: no metering anomaly to report
    assert (cdr["cdr_location"]["id"], cdr["cdr_location"]["evse_uid"]) == (LOCATION, evse_uid)
    assert [t["id"] for t in cdr["tariffs"]] == [TARIFF_ID]
    assert [p["start_date_time"] for p in cdr["charging_periods"]] == [p[0] for p in expected_periods]

    # The eMSP holds the same Session and CDR (same ids, same totals, same periods: the final PUT
    # replaced the periods PATCHed while it ran), and its own pricing of the CDR agrees.
    assert theirs["sessions"] == [session]
    assert theirs["cdrs"] == [cdr]
    assert len(theirs["price_checks"]) == 1, theirs["price_checks"]
    check = theirs["price_checks"][0]
    assert (check["cdr"], check["outcome"], check["tariff_ids"], check["message"]) == (
        cdr["id"],
        "OK",
        [TARIFF_ID],
        "",
    ), check
    assert tuple(Decimal(v) for v in check["reported"]) == cost
    assert tuple(Decimal(v) for v in check["expected"]) == cost

    # How it travelled: PUT (ACTIVE), PATCHes while charging, the COMPLETED PUT, the CDR's POST; all
    # delivered to the eMSP, none failed or still waiting.
    outbox = ours["outbox"]
    sessions_calls = [(method, result) for module, method, result, _ in outbox if module == "sessions"]
    assert sessions_calls[0] == ("PUT", "DELIVERED"), outbox
    assert sessions_calls[-1] == ("PUT", "DELIVERED"), outbox
    assert sessions_calls.count(("PATCH", "DELIVERED")) >= 2, outbox
    assert [(m, r) for module, m, r, _ in outbox if module == "cdrs"] == [("POST", "DELIVERED")], outbox
    assert not [row for row in outbox if row[2] in ("PENDING", "FAILED")], outbox

    # EVSE statuses: the eMSP's copy is the CPO's.
    assert theirs["evses"] == ours["evses"]


# --- the tests ---------------------------------------------------------------------------------------


def test_an_ocpp16_session_reaches_the_emsp_as_session_and_priced_cdr(
    roaming: tuple[LivePlatform, LivePlatform],
) -> None:
    cpo, emsp = roaming
    t0 = recent_start()
    url = cpo.ocpp_url(CP16)
    seen: dict[str, Any] = {}

    def status(connector: int, value: str, at: datetime) -> Any:
        return call16.StatusNotification(
            connector_id=connector, error_code="NoError", status=value, timestamp=iso(at)
        )

    def meter(tx: int, at: datetime, wh: int, **extra: Any) -> Any:
        return call16.MeterValues(
            connector_id=1, transaction_id=tx, meter_value=[meter_value_16(at, wh, **extra)]
        )

    async def scenario() -> None:
        async with charger_16(url, CP16, PASSWORDS[CP16]) as cp:
            boot = await cp.call(
                call16.BootNotification(
                    charge_point_vendor="Acme", charge_point_model="AC22", meter_serial_number="MTR-16"
                ),
                suppress=False,
            )
            assert boot.status == "Accepted"
            for connector in (0, 1, 2):
                await cp.call(status(connector, "Available", t0 - 10 * MINUTE), suppress=False)
            auth = await cp.call(call16.Authorize(id_tag=UID), suppress=False)
            assert auth.id_tag_info["status"] == "Accepted"
            await cp.call(status(1, "Preparing", t0 - MINUTE), suppress=False)
            start = await cp.call(
                call16.StartTransaction(connector_id=1, id_tag=UID, meter_start=1000, timestamp=iso(t0)),
                suppress=False,
            )
            assert start.id_tag_info["status"] == "Accepted"
            tx = start.transaction_id
            assert isinstance(tx, int)
            assert tx > 0
            seen["tx"] = tx
            await cp.call(status(1, "Charging", t0), suppress=False)
            await cp.call(meter(tx, t0 + 15 * MINUTE, 4000, power_w=12000, amps=16, soc=40), suppress=False)
            # The eMSP has the session ACTIVE with the first 3 kWh: PUT then PATCH, before any stop.
            seen["active"] = await until(
                session_is(emsp, "EVSE-1", status="ACTIVE", kwh="3", periods=1),
                "the ACTIVE session with 3 kWh at the eMSP",
            )
            await cp.call(meter(tx, t0 + 20 * MINUTE, 5000, power_w=12000, amps=16, soc=45), suppress=False)
            await cp.call(status(1, "SuspendedEV", t0 + 20 * MINUTE), suppress=False)
            for minutes in (30, 40):  # the EV takes nothing: the register stands still
                await cp.call(
                    meter(tx, t0 + minutes * MINUTE, 5000, power_w=0, amps=0, soc=80), suppress=False
                )
            await cp.call(status(1, "Charging", t0 + 40 * MINUTE), suppress=False)
            await cp.call(meter(tx, t0 + 50 * MINUTE, 6500, power_w=9000, amps=13, soc=90), suppress=False)
            seen["before_stop"] = await until(
                session_is(emsp, "EVSE-1", status="ACTIVE", kwh="5.5", periods=5),
                "the PATCHed periods, suspended phase included, at the eMSP",
            )
            seen["charging"] = await until(
                lambda: evse_status(emsp, "EVSE-1") == "CHARGING", "EVSE-1 CHARGING at the eMSP"
            )
            stop = await cp.call(
                call16.StopTransaction(
                    meter_stop=8000,
                    timestamp=iso(t0 + 60 * MINUTE),
                    transaction_id=tx,
                    reason="EVDisconnected",
                    id_tag=UID,
                    transaction_data=[meter_value_16(t0 + 60 * MINUTE, 8000, context="Transaction.End")],
                ),
                suppress=False,
            )
            assert stop.id_tag_info["status"] == "Accepted"
            await cp.call(status(1, "Finishing", t0 + 61 * MINUTE), suppress=False)
            await cp.call(status(1, "Available", t0 + 62 * MINUTE), suppress=False)
            await until(lambda: cdr_ids(emsp, "EVSE-1"), "the CDR at the eMSP")
            await until(
                lambda: [evse_status(emsp, uid) for uid in ("EVSE-1", "EVSE-2")] == ["AVAILABLE"] * 2,
                "EVSE-1 and EVSE-2 AVAILABLE again at the eMSP",
            )

    asyncio.run(scenario())

    active = seen["active"]
    assert shape(active["periods"]) == [(iso(t0), Decimal(3), "TIME")]
    live = seen["before_stop"]
    assert live["id"] == active["id"]
    assert shape(live["periods"]) == [
        (iso(t0), Decimal(3), "TIME"),
        (iso(t0 + 15 * MINUTE), Decimal(1), "TIME"),
        (iso(t0 + 20 * MINUTE), Decimal(0), "PARKING_TIME"),
        (iso(t0 + 30 * MINUTE), Decimal(0), "PARKING_TIME"),
        (iso(t0 + 40 * MINUTE), Decimal("1.5"), "TIME"),
    ]
    # 1000 Wh -> 8000 Wh; 20 minutes suspended (20-40): 7 kWh x 0.25 + 1/3 h x 6.00 = 3.75, +20 % VAT.
    check_roamed(
        cpo,
        emsp,
        evse_uid="EVSE-1",
        identity=CP16,
        transaction_id=str(seen["tx"]),
        meter_wh=(1000, 8000),
        meter_id="MTR-16",
        expected_periods=[
            *shape(live["periods"]),
            (iso(t0 + 50 * MINUTE), Decimal("1.5"), "TIME"),
        ],
        kwh=Decimal(7),
        start=t0,
        end=t0 + 60 * MINUTE,
        cost=(Decimal("3.75"), Decimal("4.5")),
        parking_hours=Decimal("0.3333"),
    )


def test_an_ocpp201_session_reaches_the_emsp_as_session_and_priced_cdr(
    roaming: tuple[LivePlatform, LivePlatform],
) -> None:
    cpo, emsp = roaming
    t0 = recent_start()
    url = cpo.ocpp_url(CS201)
    id_token = {"idToken": UID, "type": "ISO14443"}
    transaction_id = "TX-E2E-0001"

    def status(evse: int, value: str, at: datetime) -> Any:
        return call201.StatusNotification(
            timestamp=iso(at), connector_status=value, evse_id=evse, connector_id=1
        )

    def event(kind: str, seq: int, at: datetime, trigger: str, **extra: Any) -> Any:
        return call201.TransactionEvent(
            event_type=kind,
            timestamp=iso(at),
            trigger_reason=trigger,
            seq_no=seq,
            transaction_info={"transactionId": transaction_id, **extra.pop("info", {})},
            **extra,
        )

    seen: dict[str, Any] = {}

    async def scenario() -> None:
        async with charger_201(url, CS201, PASSWORDS[CS201]) as cs:
            boot = await cs.call(
                call201.BootNotification(
                    charging_station={"model": "DC50", "vendorName": "Acme", "serialNumber": "S-201"},
                    reason="PowerUp",
                ),
                suppress=False,
            )
            assert boot.status == "Accepted"
            for evse in (1, 2):
                await cs.call(status(evse, "Available", t0 - 10 * MINUTE), suppress=False)
            auth = await cs.call(call201.Authorize(id_token=id_token), suppress=False)
            assert auth.id_token_info["status"] == "Accepted"
            await cs.call(status(1, "Occupied", t0 - MINUTE), suppress=False)
            started = await cs.call(
                event(
                    "Started",
                    0,
                    t0,
                    "Authorized",
                    info={"chargingState": "Charging"},
                    evse={"id": 1, "connectorId": 1},
                    id_token=id_token,
                    meter_value=[meter_value_201(t0, 2000, context="Transaction.Begin")],
                ),
                suppress=False,
            )
            assert started.id_token_info["status"] == "Accepted"
            await cs.call(
                event(
                    "Updated",
                    1,
                    t0 + 15 * MINUTE,
                    "MeterValuePeriodic",
                    meter_value=[meter_value_201(t0 + 15 * MINUTE, 5000, power_w=11000, amps=16, soc=30)],
                ),
                suppress=False,
            )
            seen["active"] = await until(
                session_is(emsp, "EVSE-3", status="ACTIVE", kwh="3", periods=1),
                "the ACTIVE session with 3 kWh at the eMSP",
            )
            await cs.call(
                event(
                    "Updated",
                    2,
                    t0 + 20 * MINUTE,
                    "ChargingStateChanged",
                    info={"chargingState": "SuspendedEV"},
                    meter_value=[meter_value_201(t0 + 20 * MINUTE, 5500, power_w=6000, amps=9, soc=35)],
                ),
                suppress=False,
            )
            await cs.call(
                event(
                    "Updated",
                    3,
                    t0 + 35 * MINUTE,
                    "MeterValuePeriodic",
                    meter_value=[meter_value_201(t0 + 35 * MINUTE, 5500, power_w=0, amps=0, soc=35)],
                ),
                suppress=False,
            )
            await cs.call(
                event(
                    "Updated", 4, t0 + 45 * MINUTE, "ChargingStateChanged", info={"chargingState": "Charging"}
                ),
                suppress=False,
            )
            await cs.call(
                event(
                    "Updated",
                    5,
                    t0 + 55 * MINUTE,
                    "MeterValuePeriodic",
                    meter_value=[meter_value_201(t0 + 55 * MINUTE, 7000, power_w=9000, amps=13, soc=60)],
                ),
                suppress=False,
            )
            seen["before_stop"] = await until(
                session_is(emsp, "EVSE-3", status="ACTIVE", kwh="5", periods=5),
                "the PATCHed periods, suspended phase included, at the eMSP",
            )
            seen["charging"] = await until(
                lambda: evse_status(emsp, "EVSE-3") == "CHARGING", "EVSE-3 CHARGING at the eMSP"
            )
            ended = await cs.call(
                event(
                    "Ended",
                    6,
                    t0 + 60 * MINUTE,
                    "EVDeparted",
                    info={"stoppedReason": "EVDisconnected"},
                    id_token=id_token,
                    meter_value=[meter_value_201(t0 + 60 * MINUTE, 8000, context="Transaction.End")],
                ),
                suppress=False,
            )
            assert ended.id_token_info["status"] == "Accepted"
            await cs.call(status(1, "Available", t0 + 61 * MINUTE), suppress=False)
            await until(lambda: cdr_ids(emsp, "EVSE-3"), "the CDR at the eMSP")
            await until(
                lambda: [evse_status(emsp, uid) for uid in ("EVSE-3", "EVSE-4")] == ["AVAILABLE"] * 2,
                "EVSE-3 and EVSE-4 AVAILABLE again at the eMSP",
            )

    asyncio.run(scenario())

    active = seen["active"]
    assert shape(active["periods"]) == [(iso(t0), Decimal(3), "TIME")]
    live = seen["before_stop"]
    assert live["id"] == active["id"]
    assert shape(live["periods"]) == [
        (iso(t0), Decimal(3), "TIME"),
        (iso(t0 + 15 * MINUTE), Decimal("0.5"), "TIME"),
        (iso(t0 + 20 * MINUTE), Decimal(0), "PARKING_TIME"),
        (iso(t0 + 35 * MINUTE), Decimal(0), "PARKING_TIME"),
        (iso(t0 + 45 * MINUTE), Decimal("1.5"), "TIME"),
    ]
    # 2000 Wh -> 8000 Wh; 25 minutes suspended (20-45): 6 kWh x 0.25 + 25/60 h x 6.00 = 4.00, +20 % VAT.
    check_roamed(
        cpo,
        emsp,
        evse_uid="EVSE-3",
        identity=CS201,
        transaction_id=transaction_id,
        meter_wh=(2000, 8000),
        meter_id=None,
        expected_periods=[
            *shape(live["periods"]),
            (iso(t0 + 55 * MINUTE), Decimal(1), "TIME"),
        ],
        kwh=Decimal(6),
        start=t0,
        end=t0 + 60 * MINUTE,
        cost=(Decimal("4.0"), Decimal("4.8")),
        parking_hours=Decimal("0.4167"),
    )


AUTHORIZATIONS = """
import json
from emsp.models import AuthorizationRecord
print(json.dumps([[a.authorization_reference, a.allowed, a.location_id, a.evse_uids, a.token.uid]
                  for a in AuthorizationRecord.objects.order_by("created_at")]))
"""


def test_a_whitelist_never_token_is_authorized_in_real_time_by_the_emsp(
    roaming: tuple[LivePlatform, LivePlatform],
) -> None:
    """A token the eMSP pushed with whitelist NEVER: the charger's Authorize makes the CPO ask the eMSP
    (OCPI §12.2.3 real-time authorization, over HTTP between the live platforms); the start reuses that
    answer; the Session and the CDR the eMSP receives carry the eMSP's own authorization_reference and
    auth_method AUTH_REQUEST."""
    cpo, emsp = roaming
    created = run_json(
        emsp, TOKEN.format(uid=RT_UID, contract_id="DE-EMB-C00000077-1", whitelist="NEVER", now=now_text())
    )
    assert created is True
    wait_for(
        lambda: cpo.sql("SELECT whitelist FROM ocpi_tokens_token WHERE uid = %s", [RT_UID]) == [("NEVER",)],
        what="the NEVER token pushed to the CPO",
    )
    t0 = recent_start()
    answers: dict[str, Any] = {}

    async def scenario() -> None:
        async with charger_16(cpo.ocpp_url(CP_RT), CP_RT, PASSWORDS[CP_RT]) as cp:
            await cp.call(call16.BootNotification(charge_point_vendor="Acme", charge_point_model="RT1"))
            auth = await cp.call(call16.Authorize(id_tag=RT_UID), suppress=False)
            answers["authorize"] = auth.id_tag_info["status"]
            start = await cp.call(
                call16.StartTransaction(connector_id=1, id_tag=RT_UID, meter_start=0, timestamp=iso(t0)),
                suppress=False,
            )
            answers["start"] = start.id_tag_info["status"]
            await cp.call(
                call16.MeterValues(
                    connector_id=1,
                    transaction_id=start.transaction_id,
                    meter_value=[meter_value_16(t0 + 10 * MINUTE, 2000)],
                ),
                suppress=False,
            )
            await cp.call(
                call16.StopTransaction(
                    meter_stop=4000, timestamp=iso(t0 + 20 * MINUTE), transaction_id=start.transaction_id
                ),
                suppress=False,
            )
            await until(lambda: cdr_ids(emsp, "EVSE-5"), "the CDR of the real-time authorized session")

    asyncio.run(scenario())
    assert answers == {"authorize": "Accepted", "start": "Accepted"}
    records = run_json(emsp, AUTHORIZATIONS)
    assert len(records) == 1, records  # one request: the start reused the Authorize answer
    reference, allowed, location_id, evse_uids, uid = records[0]
    assert (allowed, location_id, evse_uids, uid) == ("ALLOWED", LOCATION, ["EVSE-5"], RT_UID)
    at_emsp = state(emsp, "EVSE-5")
    at_cpo = state(cpo, "EVSE-5")
    (session,) = at_emsp["sessions"]
    (cdr,) = at_emsp["cdrs"]
    assert (session["auth_method"], session.get("authorization_reference")) == ("AUTH_REQUEST", reference)
    assert (cdr["auth_method"], cdr.get("authorization_reference")) == ("AUTH_REQUEST", reference)
    assert session["kwh"] == 4
    assert at_cpo["sessions"] == at_emsp["sessions"]
    assert at_cpo["cdrs"] == at_emsp["cdrs"]
