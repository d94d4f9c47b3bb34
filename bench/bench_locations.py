"""Serving one 100-location page (4 EVSEs x 2 connectors each) from a table of 10,000 locations.

Baseline, measured in the same run: the raw SQL fetch of the same rows plus `json.dumps` of them.
The request goes through the whole stack (middleware, token auth, routing headers, paging, envelope).
Everything is written inside a transaction that is rolled back, so the database is left as it was.
"""

from __future__ import annotations

import copy
import json
import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from rest_framework.test import APIClient

from ocpi.core.auth import encode_token
from ocpi.locations.models import EVSE, Connector, Location
from ocpi.locations.schemas import Location as LocationSchema
from ocpi.locations.services import location_put
from ocpi.models import CredentialsToken, Party, Platform, token_hash

LOCATIONS = 10_000
PAGE = 100
REPEATS = 30


class _Rollback(Exception):
    pass


def _template() -> dict[str, Any]:
    connector = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 400,
        "max_amperage": 32,
        "max_electric_power": 22000,
        "tariff_ids": ["T1"],
        "last_updated": "2024-01-01T00:00:00Z",
    }
    evse = {
        "uid": "E0",
        "evse_id": "NL*OCP*E0",
        "status": "AVAILABLE",
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
        "connectors": [connector, {**connector, "id": "2"}],
        "last_updated": "2024-01-01T00:00:00Z",
    }
    evses = [{**copy.deepcopy(evse), "uid": f"E{i}", "evse_id": f"NL*OCP*E{i}"} for i in range(4)]
    return {
        "country_code": "NL",
        "party_id": "OCP",
        "id": "BENCH-TEMPLATE",
        "publish": True,
        "name": "Bench location",
        "address": "Street 1",
        "city": "Amsterdam",
        "postal_code": "1000 AA",
        "country": "NLD",
        "coordinates": {"latitude": "52.374030", "longitude": "4.889700"},
        "evses": evses,
        "time_zone": "Europe/Amsterdam",
        "opening_times": {"twentyfourseven": True},
        "last_updated": "2024-01-01T00:00:00Z",
    }


def _fill(party: Party) -> None:
    """Clone one location written by the real service into 10,000 rows with bulk inserts."""
    location, _ = location_put(party=party, data=LocationSchema.model_validate(_template()))
    evses = list(EVSE.objects.filter(location=location).order_by("position"))
    connectors: dict[int, list[Connector]] = {
        e.pk: list(Connector.objects.filter(evse=e).order_by("position")) for e in evses
    }
    for start in range(0, LOCATIONS, 500):
        batch = []
        for n in range(start, min(start + 500, LOCATIONS)):
            clone = copy.copy(location)
            clone.pk, clone.ocpi_id = None, f"BENCH{n:05d}"
            batch.append(clone)
        created = Location.objects.bulk_create(batch)
        evse_rows: list[EVSE] = []
        plan: list[int] = []
        for loc in created:
            for evse in evses:
                row = copy.copy(evse)
                row.pk, row.location = None, loc
                evse_rows.append(row)
                plan.append(evse.pk)
        made = EVSE.objects.bulk_create(evse_rows)
        connector_rows: list[Connector] = []
        for evse_row, template_pk in zip(made, plan, strict=True):
            for connector in connectors[template_pk]:
                connector_row = copy.copy(connector)
                connector_row.pk, connector_row.evse = None, evse_row
                connector_rows.append(connector_row)
        Connector.objects.bulk_create(connector_rows)
    location.delete()


def _raw_page(offset: int) -> str:
    """The baseline: the same rows with three plain SQL queries, dumped as JSON."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {Location._meta.db_table} WHERE ocpi_id LIKE 'BENCH%%' "
            "ORDER BY last_updated, id LIMIT %s OFFSET %s",
            [PAGE, offset],
        )
        cols = [c[0] for c in cursor.description]
        locations = [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]
        ids = [loc["id"] for loc in locations]
        marks = ",".join(["%s"] * len(ids))
        cursor.execute(
            f"SELECT * FROM {EVSE._meta.db_table} WHERE location_id IN ({marks}) "
            "ORDER BY location_id, position",
            ids,
        )
        cols = [c[0] for c in cursor.description]
        evses = [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]
        evse_ids = [e["id"] for e in evses]
        marks = ",".join(["%s"] * len(evse_ids))
        cursor.execute(
            f"SELECT * FROM {Connector._meta.db_table} WHERE evse_id IN ({marks}) ORDER BY evse_id, position",
            evse_ids,
        )
        cols = [c[0] for c in cursor.description]
        connectors = [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]
    by_evse: dict[int, list[dict[str, Any]]] = {}
    for connector in connectors:
        by_evse.setdefault(connector["evse_id"], []).append(connector)
    by_location: dict[int, list[dict[str, Any]]] = {}
    for evse in evses:
        evse["connectors"] = by_evse.get(evse["id"], [])
        by_location.setdefault(evse["location_id"], []).append(evse)
    for loc in locations:
        loc["evses"] = by_location.get(loc["id"], [])
    return json.dumps(locations, default=str)


def _median(fn: Callable[[], object]) -> float:
    fn()
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run() -> list[str]:
    logging.getLogger("ocpi.request").setLevel(logging.WARNING)
    lines: list[str] = []
    try:
        with transaction.atomic():
            party = Party.objects.own().filter(role="CPO").first() or Party.objects.create(
                country_code="NL", party_id="OCP", role="CPO", business_name="Bench"
            )
            platform = Platform.objects.create(name="bench-partner", status=Platform.Status.REGISTERED)
            CredentialsToken.objects.create(
                platform=platform, kind="ACCESS", token_hash=token_hash("bench-token")
            )
            Party.objects.create(
                country_code="DE", party_id="BEN", role="EMSP", platform=platform, business_name="Bench eMSP"
            )
            started = time.perf_counter()
            _fill(party)
            elapsed = time.perf_counter() - started
            lines.append(f"setup: {LOCATIONS} locations x 4 EVSEs x 2 connectors in {elapsed:.1f} s")
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=encode_token("bench-token"))
            offset = LOCATIONS // 2

            def serve() -> None:
                response = client.get(f"/ocpi/2.2.1/cpo/locations?offset={offset}&limit={PAGE}")
                assert response.status_code == 200
                assert len(json.loads(response.content)["data"]) == PAGE

            ours = _median(serve)
            baseline = _median(lambda: _raw_page(offset))
            lines.append(f"baseline raw SQL + json.dumps: {baseline * 1000:.1f} ms per page")
            lines.append(f"GET /cpo/locations page of {PAGE}: {ours * 1000:.1f} ms per page")
            lines.append(f"ratio: {ours / baseline:.2f}x the baseline (goal <= 3x), on {connection.vendor}")
            raise _Rollback
    except _Rollback:
        pass
    return lines
