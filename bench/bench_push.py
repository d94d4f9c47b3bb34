"""Push throughput and fan-out (sync engine).

1. Deliveries per second from one worker (`deliver_platform`, what the Celery task runs) to one local
   partner, next to the raw HTTP request rate to the same partner measured in the same run (goal: at
   least 50% of it).
2. The time for one EVSE status change to reach 50 registered partners: from the service call that
   changes the status to the last partner's 200, with the deliveries run by 8 worker threads as a
   Celery worker with concurrency 8 would (goal: under 2 s). Broker latency is not included.

The partners are one in-process HTTP server on 127.0.0.1 answering the OCPI envelope. Every row the
benchmark creates is deleted at the end.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from django.db import connections

from ocpi.core.auth import encode_token
from ocpi.core.patch import validate_patch
from ocpi.core.routing import PartyRef
from ocpi.locations import schemas
from ocpi.locations.models import Location
from ocpi.locations.selectors import evse_get, location_get
from ocpi.locations.services import evse_patch, location_put
from ocpi.models import Party, Platform, PlatformEndpoint
from ocpi.sync.models import OutboxMessage
from ocpi.sync.outbox import Push, deliver_platform, outbox_enqueue

MESSAGES = 1000
PARTNERS = 50
WORKERS = 8
ANSWER = json.dumps({"status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}).encode()


class _Partner(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    do_PUT = do_PATCH = do_POST = do_GET = _answer


def _partner(name: str, party_id: str, base: str) -> Platform:
    platform = Platform.objects.create(name=name, status=Platform.Status.REGISTERED, outgoing_token="bench")
    PlatformEndpoint.objects.create(platform=platform, identifier="locations", role="RECEIVER", url=base)
    Party.objects.create(
        country_code="ZZ", party_id=party_id, role="EMSP", platform=platform, business_name=name
    )
    return platform


def _throughput(base: str) -> list[str]:
    platform = _partner("bench-push-1", "P00", base)
    for n in range(MESSAGES):
        outbox_enqueue(
            push=Push(
                module="locations",
                object_key=f"ZZ/BEN/L{n}",
                method="PATCH",
                path=f"/ZZ/BEN/L{n}/E1",
                body={"status": "CHARGING", "last_updated": "2026-01-01T00:00:00Z"},
                from_party=PartyRef("ZZ", "BEN"),
            ),
            audience=[(platform, PartyRef("ZZ", "P00"))],
        )
    started = time.perf_counter()
    report = deliver_platform(platform_id=platform.pk, budget_seconds=300)
    ours = report.delivered / (time.perf_counter() - started)

    session = requests.Session()
    session.trust_env = False  # as the OCPI client does
    headers = {"Authorization": encode_token("bench"), "Content-Type": "application/json"}
    body = json.dumps({"status": "CHARGING", "last_updated": "2026-01-01T00:00:00Z"})
    started = time.perf_counter()
    for n in range(MESSAGES):
        session.patch(f"{base}/ZZ/BEN/L{n}/E1", data=body, headers=headers, timeout=10).raise_for_status()
    raw = MESSAGES / (time.perf_counter() - started)
    return [
        f"raw HTTP PATCH to a local partner: {raw:.0f} requests/s (baseline)",
        f"outbox deliveries, one worker:     {ours:.0f} deliveries/s ({report.delivered} delivered)",
        f"ratio: {ours / raw:.0%} of the raw rate (goal: at least 50%)",
    ]


def _fan_out(base: str) -> list[str]:
    platforms = [_partner(f"bench-fan-{n:02d}", f"F{n:02d}", base) for n in range(PARTNERS)]
    own = Party.objects.own().filter(role="CPO").first()
    if own is None:
        return ["fan-out: no own CPO party (run migrate)"]
    location_put(
        party=own,
        data=schemas.Location.model_validate(
            {
                "country_code": own.country_code,
                "party_id": own.party_id,
                "id": "BENCH-FANOUT",
                "publish": True,
                "address": "Street 1",
                "city": "Utrecht",
                "country": "NLD",
                "coordinates": {"latitude": "52.089400", "longitude": "5.110000"},
                "time_zone": "Europe/Amsterdam",
                "evses": [
                    {
                        "uid": "E1",
                        "status": "AVAILABLE",
                        "connectors": [
                            {
                                "id": "1",
                                "standard": "IEC_62196_T2",
                                "format": "SOCKET",
                                "power_type": "AC_3_PHASE",
                                "max_voltage": 230,
                                "max_amperage": 32,
                                "last_updated": "2026-01-01T00:00:00Z",
                            }
                        ],
                        "last_updated": "2026-01-01T00:00:00Z",
                    }
                ],
                "last_updated": "2026-01-01T00:00:00Z",
            }
        ),
    )
    ids = [p.pk for p in platforms]
    OutboxMessage.objects.filter(platform_id__in=ids).delete()  # the location's own PUT is not measured

    def deliver(platform_id: int) -> int:
        try:
            return deliver_platform(platform_id=platform_id, budget_seconds=30).delivered
        finally:
            connections.close_all()

    location = location_get(country_code=own.country_code, party_id=own.party_id, location_id="BENCH-FANOUT")
    evse = evse_get(location=location, evse_uid="E1")
    started = time.perf_counter()
    evse_patch(
        evse=evse, patch=validate_patch(schemas.EVSE, {"status": "CHARGING"}, require_last_updated=False)
    )
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        delivered = sum(pool.map(deliver, ids))
    elapsed = time.perf_counter() - started
    Location.objects.filter(party=own, ocpi_id="BENCH-FANOUT").delete()
    return [
        f"one EVSE status change to {PARTNERS} partners: {elapsed * 1000:.0f} ms "
        f"({delivered} PATCHes delivered by {WORKERS} worker threads; goal: under 2 s)"
    ]


def run() -> list[str]:
    logging.getLogger("ocpi").setLevel(logging.WARNING)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Partner)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/ocpi/emsp/2.2.1/locations"
    try:
        return _throughput(base) + _fan_out(base)
    finally:
        server.shutdown()
        Platform.objects.filter(name__startswith="bench-").delete()
