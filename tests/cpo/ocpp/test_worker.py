"""The batch writer in child processes (`server.ProcessExecutor`, `cpo.ocpp.worker`): jobs run in another
process on the parent's database, their errors come back as they were raised, a child that dies is
replaced, and MeterValues written there become the same Session rows."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from cpo.ocpp import bridge
from cpo.ocpp.models import ChargePoint, OcppMeterReading
from cpo.ocpp.server import CentralSystem, ProcessExecutor
from ocpi.sessions.models import Session
from tests.cpo.ocpp.conftest import Site
from tests.cpo.ocpp.test_batch import _reading, _sessions, chargers  # noqa: F401 - fixture


def _pid() -> int:
    return os.getpid()


def _database_name() -> str:
    from django.db import connection

    return str(connection.settings_dict["NAME"])


def _refuse(*, why: str) -> None:
    raise ValueError(why)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.django_db(transaction=True)
def test_jobs_run_in_a_child_on_the_parent_database_and_errors_come_back() -> None:
    async def scenario() -> None:
        executor = ProcessExecutor(1)
        try:
            await executor.start()
            child = await executor.run(_pid)
            assert child != os.getpid()
            assert await executor.run(_database_name) == connection.settings_dict["NAME"]
            with pytest.raises(ValueError, match="kwh: the meter is haunted"):
                await executor.run(_refuse, why="kwh: the meter is haunted")
            assert await executor.run(_pid) == child  # the same child goes on serving
        finally:
            executor.close()

    asyncio.run(scenario())


@pytest.mark.django_db(transaction=True)
def test_a_child_that_dies_fails_its_job_and_the_next_job_gets_a_new_child() -> None:
    from concurrent.futures.process import BrokenProcessPool

    async def scenario() -> None:
        executor = ProcessExecutor(1)
        try:
            first = await executor.run(_pid)
            with pytest.raises(BrokenProcessPool):
                await executor.run(_die)
            second = await executor.run(_pid)
            assert second not in (first, os.getpid())
        finally:
            executor.close()

    asyncio.run(scenario())


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="an in-memory SQLite test database is not shared with a child"
)
def test_meter_values_written_by_the_child_process_become_the_session(
    site: Site,
    chargers: Callable[..., ChargePoint],  # noqa: F811 - fixture
    settings: Any,
) -> None:
    settings.OCPP_BATCH_PROCESSES = 1
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    (cp_a, tx_a), (cp_b, tx_b) = _sessions(2, chargers, t0)
    at = t0 + timedelta(minutes=1)

    async def scenario() -> None:
        central = CentralSystem(node="test-worker")
        assert isinstance(central.writer, ProcessExecutor)
        try:
            await central.writer.start()
            await asyncio.gather(
                central.meters.submit(bridge.MeterValuesItem(cp_a, tx_a, 1, _reading(at, 1500))),
                central.meters.submit(bridge.MeterValuesItem(cp_b, tx_b, 1, _reading(at, 3000))),
            )
        finally:
            loop = asyncio.get_running_loop()
            for close in (central.db.close, central.auth.close, central.writer.close):
                await loop.run_in_executor(None, close)

    asyncio.run(scenario())
    assert Session.objects.get(ocpp_transaction__transaction_id=tx_a).kwh == Decimal("0.5")
    assert Session.objects.get(ocpp_transaction__transaction_id=tx_b).kwh == Decimal("2")
    assert OcppMeterReading.objects.filter(transaction__transaction_id__in=[tx_a, tx_b]).count() == 2


def test_a_child_ends_when_its_parent_has_ended() -> None:
    import threading

    from cpo.ocpp import worker

    read, write = os.pipe()
    left: list[int] = []
    watcher = threading.Thread(target=worker._watch, args=(read, left.append), daemon=True)
    watcher.start()
    watcher.join(0.2)
    assert watcher.is_alive()  # the parent is there: the child stays
    assert not left
    os.close(write)  # what the parent's end of the sentinel does when it exits, however it exits
    watcher.join(5)
    assert left == [0]
    os.close(read)
