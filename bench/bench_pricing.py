"""Pricing throughput: CDRs priced per second on one core, next to only loading them from JSON.

10,000 sessions of 20 charging periods each (16 charging with ENERGY, TIME and MAX_CURRENT, then 4
parking) spread over 2024 in Europe/Amsterdam (so some cross midnight, 18:00 or a DST change), priced
with a realistic tariff: 3 elements, time-of-day restrictions, step sizes. The baseline is loading the
same sessions from JSON into the Session schema, measured in the same run. Goals: at least 5,000 CDRs
per second, and pricing no slower than 2x loading.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpi.pricing import compile_tariff, price_session
from ocpi.sessions.schemas import Session
from ocpi.tariffs.schemas import Tariff

SESSIONS = 10_000
PERIODS = 20
REPEAT = 3
ZONE = "Europe/Amsterdam"

TARIFF = {
    "country_code": "NL",
    "party_id": "BEN",
    "id": "BENCH",
    "currency": "EUR",
    "elements": [
        {
            "price_components": [
                {"type": "FLAT", "price": 0.35, "vat": 21.0, "step_size": 1},
                {"type": "ENERGY", "price": 0.39, "vat": 21.0, "step_size": 1},
                {"type": "TIME", "price": 0.60, "vat": 21.0, "step_size": 60},
            ],
            "restrictions": {"start_time": "07:00", "end_time": "18:00"},
        },
        {
            "price_components": [
                {"type": "ENERGY", "price": 0.45, "vat": 21.0, "step_size": 1},
                {"type": "TIME", "price": 1.20, "vat": 21.0, "step_size": 60},
                {"type": "PARKING_TIME", "price": 4.00, "vat": 21.0, "step_size": 300},
            ],
            "restrictions": {"start_time": "18:00", "end_time": "23:00"},
        },
        {
            "price_components": [
                {"type": "FLAT", "price": 0.35, "vat": 21.0, "step_size": 1},
                {"type": "ENERGY", "price": 0.29, "vat": 21.0, "step_size": 100},
                {"type": "PARKING_TIME", "price": 1.00, "vat": 21.0, "step_size": 900},
            ]
        },
    ],
    "last_updated": "2024-01-01T00:00:00Z",
}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _session(rng: random.Random, n: int) -> str:
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(366 * 86_400))
    now = start
    periods: list[dict[str, Any]] = []
    kwh = 0.0
    for p in range(PERIODS):
        minutes = rng.randint(3, 12)
        if p < PERIODS - 4:
            energy = round(rng.uniform(0.2, 2.5), 3)
            kwh += energy
            dimensions = [
                {"type": "ENERGY", "volume": energy},
                {"type": "TIME", "volume": round(minutes / 60, 4)},
                {"type": "MAX_CURRENT", "volume": rng.choice([16, 32, 48])},
            ]
        else:
            dimensions = [{"type": "PARKING_TIME", "volume": round(minutes / 60, 4)}]
        periods.append({"start_date_time": _stamp(now), "dimensions": dimensions, "tariff_id": "BENCH"})
        now += timedelta(minutes=minutes)
    return json.dumps(
        {
            "country_code": "NL",
            "party_id": "BEN",
            "id": f"S{n}",
            "start_date_time": _stamp(start),
            "end_date_time": _stamp(now),
            "kwh": round(kwh, 3),
            "cdr_token": {
                "country_code": "NL",
                "party_id": "EMS",
                "uid": f"U{n}",
                "type": "RFID",
                "contract_id": f"NL-EMS-C{n:08d}",
            },
            "auth_method": "WHITELIST",
            "location_id": "LOC1",
            "evse_uid": "EVSE1",
            "connector_id": "1",
            "currency": "EUR",
            "charging_periods": periods,
            "status": "COMPLETED",
            "last_updated": _stamp(now),
        }
    )


def _best(action: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(REPEAT):
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
    return best, result


def run() -> list[str]:
    rng = random.Random(2211)
    documents = [_session(rng, n) for n in range(SESSIONS)]
    tariff = compile_tariff(Tariff.model_validate(TARIFF))

    def load() -> list[Session]:
        return [Session.model_validate_json(document) for document in documents]

    load_seconds, sessions = _best(load)

    def price() -> list[dict[str, Any]]:
        return [
            price_session(
                tariff=tariff,
                charging_periods=s.charging_periods or (),
                start=s.start_date_time,
                end=s.end_date_time,
                time_zone=ZONE,
            ).to_ocpi()
            for s in sessions
        ]

    price_seconds, priced = _best(price)
    total = sum(p["total_cost"]["excl_vat"] for p in priced)
    rate = SESSIONS / price_seconds
    ratio = price_seconds / load_seconds
    return [
        f"{SESSIONS:,} sessions x {PERIODS} charging periods, tariff of 3 elements with time-of-day "
        f"restrictions and step sizes, zone {ZONE}; best of {REPEAT}",
        f"load JSON into Session schema: {load_seconds:7.3f} s  {SESSIONS / load_seconds:9,.0f} sessions/s",
        f"price (price_session+to_ocpi): {price_seconds:7.3f} s  {rate:9,.0f} CDRs/s "
        f"({price_seconds / SESSIONS * 1e6:.0f} us per CDR)",
        f"pricing / loading ratio:       {ratio:7.2f}x",
        f"goals: >= 5,000 CDRs/s: {'met' if rate >= 5000 else 'NOT met'}; "
        f"<= 2x loading: {'met' if ratio <= 2 else 'NOT met'}  (checksum {total} EUR)",
    ]
