"""MeterValues in batches (`bridge.meter_values_batch`, `server.MeterBatcher`): the same Sessions, PATCHes and
readings as one message at a time, in a number of queries that does not grow with the batch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cpo.ocpp import bridge
from cpo.ocpp.metering import Reading
from cpo.ocpp.models import ChargePoint, OcppMeterReading, OcppTransaction
from cpo.ocpp.server import CentralSystem
from ocpi.models import PlatformEndpoint
from ocpi.sessions.models import Session
from ocpi.sync.models import OutboxMessage
from tests.cpo.ocpp.conftest import Site

START_WH = Decimal(1000)


@pytest.fixture
def emsp_receives_sessions(site: Site) -> Site:
    platform = site.emsp.platform
    assert platform is not None
    PlatformEndpoint.objects.create(
        platform=platform, identifier="sessions", role="RECEIVER", url="http://abc.test/sessions"
    )
    return site


def _start(charger: ChargePoint, at: datetime) -> str:
    result = bridge.transaction_start_v16(
        charge_point_id=charger.pk,
        connector_id=1,
        id_tag="RFID0001",
        meter_start_wh=START_WH,
        at=at,
        decision=bridge.authorize_id_tag(id_tag="RFID0001"),
    )
    return result.transaction_id


def _reading(at: datetime, wh: int) -> list[Reading]:
    return [Reading(timestamp=at, energy_wh=Decimal(wh), power_w=Decimal(11000))]


def _sessions(count: int, charger: Callable[..., ChargePoint], t0: datetime) -> list[tuple[int, str]]:
    started = []
    for n in range(count):
        cp = charger(f"CP-{n}", connectors=0)
        started.append((cp.pk, _start(cp, t0)))
    return started


@pytest.fixture
def chargers(site: Site) -> Callable[..., ChargePoint]:
    """Chargers sharing EVSE-1 (a batch spans many chargers; EVSE mapping is not what is tested here)."""
    from cpo.ocpp.models import OcppConnector

    evse = site.evse(1)
    connector = evse.connectors.get()

    def make(identity: str, connectors: int = 0) -> ChargePoint:
        cp = ChargePoint.objects.create(identity=identity, password_hash="!", location=site.location)
        OcppConnector.objects.create(
            charge_point=cp, ocpp_evse_id=1, ocpp_connector_id=1, evse=evse, connector=connector
        )
        return cp

    return make


def test_batch_matches_one_by_one_and_stores_each_reading_once(
    emsp_receives_sessions: Site, chargers: Callable[..., ChargePoint]
) -> None:
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    (cp_a, tx_a), (cp_b, tx_b) = _sessions(2, chargers, t0)
    bridge.meter_values_batch(
        items=[
            bridge.MeterValuesItem(cp_a, tx_a, 1, _reading(t0 + timedelta(minutes=1), 1500)),
            # the same message twice in one batch (a retransmission), then the next reading
            bridge.MeterValuesItem(cp_b, None, 1, _reading(t0 + timedelta(minutes=1), 1200)),
            bridge.MeterValuesItem(cp_b, tx_b, 1, _reading(t0 + timedelta(minutes=1), 1200)),
            bridge.MeterValuesItem(cp_b, tx_b, 1, _reading(t0 + timedelta(minutes=2), 1800)),
            bridge.MeterValuesItem(cp_b, "no-such-transaction", 1, _reading(t0, 5)),
        ]
    )
    a = OcppTransaction.objects.get(charge_point_id=cp_a, transaction_id=tx_a)
    b = OcppTransaction.objects.get(charge_point_id=cp_b, transaction_id=tx_b)
    assert a.session is not None
    assert b.session is not None
    assert OcppMeterReading.objects.filter(transaction=b).count() == 2
    assert (a.session.kwh, b.session.kwh) == (Decimal("0.5"), Decimal("0.8"))
    assert b.periods_until == t0 + timedelta(minutes=2)
    assert [p.position for p in b.session.charging_periods.order_by("position")] == [0, 1]
    # one PATCH per session, each with its own new periods only (after the PUT of its creation)
    patches: dict[str, dict[str, Any]] = {
        m.object_key.rsplit("/", 1)[1]: dict(m.body or {})
        for m in OutboxMessage.objects.filter(method="PATCH")
    }
    assert set(patches) == {a.session.ocpi_id, b.session.ocpi_id}
    assert patches[b.session.ocpi_id]["kwh"] == 0.8
    assert len(patches[b.session.ocpi_id]["charging_periods"]) == 2
    assert len(patches[a.session.ocpi_id]["charging_periods"]) == 1
    assert "total_cost" in patches[a.session.ocpi_id]


def _queries(items: list[bridge.MeterValuesItem]) -> int:
    with CaptureQueriesContext(connection) as captured:
        bridge.meter_values_batch(items=items)
    return len(captured.captured_queries)


def test_queries_do_not_grow_with_the_batch(
    emsp_receives_sessions: Site, chargers: Callable[..., ChargePoint]
) -> None:
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    running = _sessions(12, chargers, t0)

    def batch(sessions: list[tuple[int, str]], minute: int) -> list[bridge.MeterValuesItem]:
        at = t0 + timedelta(minutes=minute)
        return [bridge.MeterValuesItem(cp, tx, 1, _reading(at, 1000 + 100 * minute)) for cp, tx in sessions]

    _queries(batch(running, 1))  # the first readings of a session are read back once
    few = _queries(batch(running[:2], 2))
    many = _queries(batch(running[2:], 2))
    assert few == many
    assert Session.objects.filter(kwh=Decimal("0.2")).count() == 12


def test_running_cost_is_recomputed_every_minute_of_charger_time(
    emsp_receives_sessions: Site, chargers: Callable[..., ChargePoint], settings: Any
) -> None:
    settings.OCPP_RUNNING_COST_SECONDS = 60
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    ((cp, tx),) = _sessions(1, chargers, t0)
    costs = []
    for seconds, wh in ((10, 2000), (20, 3000), (70, 4000)):
        bridge.meter_values_batch(
            items=[bridge.MeterValuesItem(cp, tx, 1, _reading(t0 + timedelta(seconds=seconds), wh))]
        )
        session = Session.objects.get()
        costs.append((session.kwh, session.total_cost_excl_vat))
    # T-ENERGY-PARK: 0.25/kWh, step 1 Wh
    assert costs == [
        (Decimal("1"), Decimal("0.25")),
        (Decimal("2"), Decimal("0.25")),  # 10 s later: kWh moves, the cost waits
        (Decimal("3"), Decimal("0.75")),
    ]


def test_a_bad_message_fails_alone(
    emsp_receives_sessions: Site, chargers: Callable[..., ChargePoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that fails is retried message by message: the good ones are stored, the bad one's
    handler gets the error (the charger a CallError)."""
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    (cp_a, tx_a), (cp_b, tx_b) = _sessions(2, chargers, t0)
    at = t0 + timedelta(minutes=1)
    good = bridge.MeterValuesItem(cp_a, tx_a, 1, _reading(at, 1500))
    bad = bridge.MeterValuesItem(cp_b, tx_b, 1, _reading(at, 666))
    store = bridge._readings_store_many

    def failing(pairs: Any) -> None:
        if any(r.energy_wh == 666 for _, readings in pairs for r in readings):
            raise ValueError("kwh: the meter is haunted")
        store(pairs)

    monkeypatch.setattr(bridge, "_readings_store_many", failing)

    async def scenario() -> tuple[BaseException | None, ...]:
        central = CentralSystem(node="test-batch")
        try:
            return await asyncio.gather(
                central.meters.submit(good), central.meters.submit(bad), return_exceptions=True
            )
        finally:
            await asyncio.get_running_loop().run_in_executor(None, central.db.close)
            await asyncio.get_running_loop().run_in_executor(None, central.auth.close)

    results = asyncio.run(scenario())
    assert results[0] is None
    assert isinstance(results[1], Exception)
    assert "kwh" in str(results[1])
    assert Session.objects.get(ocpp_transaction__transaction_id=tx_a).kwh == Decimal("0.5")
    assert not OcppMeterReading.objects.filter(transaction__transaction_id=tx_b).exists()
