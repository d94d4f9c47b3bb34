"""Token decisions at the charger go through the CPO's decision service, real-time included (OCPI §12.2.3).

The eMSP is `responses` (the server's authorization threads call it with `requests`); the charger is the
ocpp library's ChargePoint over websockets against the in-process central system.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import responses
from django.utils import timezone
from ocpp.v16 import call
from ocpp.v201 import call as call201

from cpo.ocpp.models import ChargePoint, OcppTransaction
from ocpi.models import PlatformEndpoint
from ocpi.sessions.models import Session
from tests.cpo.ocpp.clients import central_system, charger_16, charger_201, iso
from tests.cpo.ocpp.conftest import PASSWORD, Site

TOKENS_URL = "http://abc.test/ocpi/emsp/2.2.1/tokens"
AUTHORIZE_NEVER = f"{TOKENS_URL}/NEVER001/authorize?type=RFID"


@pytest.fixture
def emsp_online(site: Site) -> Site:
    """eMSP DE-ABC answers real-time authorization at its tokens Sender endpoint."""
    platform = site.emsp.platform
    assert platform is not None
    platform.outgoing_token = "token-for-abc"
    platform.save(update_fields=["outgoing_token"])
    PlatformEndpoint.objects.create(platform=platform, identifier="tokens", role="SENDER", url=TOKENS_URL)
    return site


def _answer(site: Site, allowed: str, reference: str | None = "REF-OCPP-1") -> dict[str, Any]:
    token = site.tokens["never"]
    data: dict[str, Any] = {
        "allowed": allowed,
        "token": {
            "country_code": token.country_code,
            "party_id": token.ocpi_party_id,
            "uid": token.uid,
            "type": token.type,
            "contract_id": token.contract_id,
            "issuer": token.issuer,
            "valid": True,
            "whitelist": "NEVER",
            "last_updated": "2026-01-01T00:00:00Z",
        },
    }
    if reference:
        data["authorization_reference"] = reference
    return {"data": data, "status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}


@responses.activate
def test_realtime_accepted_session_carries_the_reference(
    emsp_online: Site, charger: Callable[..., ChargePoint]
) -> None:
    """Authorize asks the eMSP once; the start reuses that answer; the Session is AUTH_REQUEST with the
    eMSP's authorization_reference, and the eMSP was told where the token was shown."""
    responses.post(AUTHORIZE_NEVER, json=_answer(emsp_online, "ALLOWED"))
    charger("CP-16")
    answers: dict[str, Any] = {}

    async def scenario() -> None:
        async with central_system() as central, charger_16(central.port, "CP-16", PASSWORD) as client:
            answers["authorize"] = (await client.call(call.Authorize(id_tag="never001"))).id_tag_info[
                "status"
            ]
            start = await client.call(
                call.StartTransaction(
                    connector_id=1, id_tag="never001", meter_start=0, timestamp=iso(timezone.now())
                )
            )
            answers["start"] = start.id_tag_info["status"]

    asyncio.run(scenario())
    assert answers == {"authorize": "Accepted", "start": "Accepted"}
    assert len(responses.calls) == 1
    request = responses.calls[0].request
    assert request.headers["Authorization"].startswith("Token ")
    # 1.6 Authorize names no connector: the charger's EVSEs.
    assert json.loads(request.body or b"{}") == {"location_id": "LOC-OCPP", "evse_uids": ["EVSE-1", "EVSE-2"]}
    session = Session.objects.get()
    assert (session.auth_method, session.authorization_reference) == ("AUTH_REQUEST", "REF-OCPP-1")
    assert session.token_uid == "NEVER001"
    tx = OcppTransaction.objects.get()
    assert (tx.auth_status, tx.auth_method, tx.authorization_reference) == (
        "Accepted",
        "AUTH_REQUEST",
        "REF-OCPP-1",
    )


@responses.activate
def test_realtime_refusals_map_to_each_ocpp_version(
    emsp_online: Site, charger: Callable[..., ChargePoint]
) -> None:
    """NOT_ALLOWED is 2.0.1 NotAtThisLocation and 1.6 Invalid; NO_CREDIT is NoCredit / Blocked. The
    2.0.1 TransactionEvent names its EVSE, so the eMSP gets the evse_uid too."""
    charger("CP-16", connectors=1)  # EVSE-1
    charger("CP-201", connectors=1)  # EVSE-2
    responses.post(
        AUTHORIZE_NEVER,
        json=_answer(emsp_online, "NOT_ALLOWED", reference=None),
    )
    answers: dict[str, Any] = {}

    async def scenario() -> None:
        async with central_system() as central:
            async with charger_16(central.port, "CP-16", PASSWORD) as client16:
                answers["1.6"] = (await client16.call(call.Authorize(id_tag="NEVER001"))).id_tag_info[
                    "status"
                ]
            responses.replace(
                responses.POST, AUTHORIZE_NEVER, json=_answer(emsp_online, "NO_CREDIT", reference=None)
            )
            async with charger_201(central.port, "CP-201", PASSWORD) as client201:
                event = await client201.call(
                    call201.TransactionEvent(
                        event_type="Started",
                        timestamp=iso(timezone.now()),
                        trigger_reason="Authorized",
                        seq_no=0,
                        transaction_info={"transaction_id": "TX-NC"},
                        id_token={"id_token": "NEVER001", "type": "ISO14443"},
                        evse={"id": 1, "connector_id": 1},
                    )
                )
                answers["2.0.1"] = event.id_token_info["status"]
                again = await client201.call(
                    call201.TransactionEvent(
                        event_type="Updated",
                        timestamp=iso(timezone.now()),
                        trigger_reason="Authorized",
                        seq_no=1,
                        transaction_info={"transaction_id": "TX-NC"},
                        id_token={"id_token": "NEVER001", "type": "ISO14443"},
                    )
                )
                answers["2.0.1 again"] = again.id_token_info["status"]

    asyncio.run(scenario())
    assert answers == {"1.6": "Invalid", "2.0.1": "NoCredit", "2.0.1 again": "NoCredit"}
    assert len(responses.calls) == 2  # the repeated idToken got the stored decision
    assert json.loads(responses.calls[1].request.body or b"{}") == {
        "location_id": "LOC-OCPP",
        "evse_uids": ["EVSE-2"],
    }
    assert not Session.objects.exists()


@responses.activate
def test_slow_emsp_holds_up_neither_the_database_nor_the_charger(
    emsp_online: Site, charger: Callable[..., ChargePoint], settings: Any
) -> None:
    """An eMSP slower than OCPP_AUTHORIZE_DEADLINE_SECONDS: the charger gets the offline answer (NEVER ->
    Blocked) at the deadline, and meanwhile another charger's messages are served at once."""
    settings.OCPP_AUTHORIZE_DEADLINE_SECONDS = 0.5

    def slow(request: Any) -> tuple[int, dict[str, str], str]:
        time.sleep(1.5)
        return 200, {}, json.dumps(_answer(emsp_online, "ALLOWED"))

    responses.add_callback(responses.POST, AUTHORIZE_NEVER, callback=slow)
    charger("CP-A", connectors=1)
    charger("CP-B", connectors=1)
    timings: dict[str, float] = {}
    answers: dict[str, Any] = {}

    async def scenario() -> None:
        async with (
            central_system() as central,
            charger_16(central.port, "CP-A", PASSWORD) as slow_one,
            charger_16(central.port, "CP-B", PASSWORD) as other,
        ):
            began = time.perf_counter()

            async def authorize() -> None:
                answers["A"] = (await slow_one.call(call.Authorize(id_tag="NEVER001"))).id_tag_info["status"]
                timings["A"] = time.perf_counter() - began

            async def meanwhile() -> None:
                await asyncio.sleep(0.1)
                await other.call(
                    call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
                )
                answers["B"] = (await other.call(call.Authorize(id_tag="RFID0001"))).id_tag_info["status"]
                timings["B"] = time.perf_counter() - began

            await asyncio.gather(authorize(), meanwhile())

    asyncio.run(scenario())
    assert answers == {"A": "Blocked", "B": "Accepted"}
    assert timings["B"] < 0.45, timings  # served while A's eMSP was still thinking
    assert 0.5 <= timings["A"] < 1.4, timings  # the deadline, not the eMSP's 1.5 s
