"""A site to charge at: our CPO party, a location with two EVSEs and a tariff, an eMSP's tokens, chargers.

The server tests run a real central system in-process on a free port and real OCPP clients (the
ocpp library's ChargePoint over websockets); the server works from its own threads, hence
`transactional_db`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone

from cpo.ocpp.models import ChargePoint
from cpo.ocpp.services import charge_point_onboard
from ocpi.locations import schemas as location_schemas
from ocpi.locations.models import EVSE, Location
from ocpi.locations.services import location_put
from ocpi.models import Party, Platform
from ocpi.tariffs import schemas as tariff_schemas
from ocpi.tariffs.services import tariff_put
from ocpi.tokens.models import Token
from ocpi.tokens.services import token_put

PASSWORD = "correct-horse-battery"
TARIFF = {
    "id": "T-ENERGY-PARK",
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


@dataclass
class Site:
    cpo: Party
    emsp: Party
    location: Location
    tokens: dict[str, Token]

    def evse(self, number: int) -> EVSE:
        return self.location.evses.get(uid=f"EVSE-{number}")


@pytest.fixture(autouse=True)
def _ocpp_settings(settings: Any) -> None:
    """Short timers so debounce, polling and the sweep happen within a test."""
    settings.OCPP_STATUS_DEBOUNCE_SECONDS = 0.05
    settings.OCPP_STATUS_MAX_DELAY_SECONDS = 0.3
    settings.OCPP_COMMAND_POLL_SECONDS = 0.1
    settings.OCPP_SWEEP_SECONDS = 0.2
    settings.OCPP_PASSWORD_ITERATIONS = 1000
    settings.OCPP_RESPONSE_TIMEOUT = 5
    settings.OCPP_BATCH_PROCESSES = 0  # an in-memory test database is not shared with a child process


def _location(cpo: Party, now: datetime) -> dict[str, Any]:
    def evse(number: int) -> dict[str, Any]:
        return {
            "uid": f"EVSE-{number}",
            "evse_id": f"{cpo.country_code}*{cpo.party_id}*E000{number}",
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
                    "tariff_ids": [TARIFF["id"]],
                    "last_updated": now,
                }
            ],
            "last_updated": now,
        }

    return {
        "country_code": cpo.country_code,
        "party_id": cpo.party_id,
        "id": "LOC-OCPP",
        "publish": True,
        "name": "OCPP test site",
        "address": "Stationsplein 1",
        "city": "Utrecht",
        "postal_code": "3511ED",
        "country": "NLD",
        "coordinates": {"latitude": "52.089444", "longitude": "5.110278"},
        "evses": [evse(1), evse(2)],
        "time_zone": "Europe/Amsterdam",
        "last_updated": now,
    }


def _token(uid: str, *, valid: bool = True, whitelist: str = "ALLOWED") -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "ABC",
        "uid": uid,
        "type": "RFID",
        "contract_id": f"DE-ABC-{uid}",
        "issuer": "ABC Mobility",
        "group_id": "GROUP1",
        "valid": valid,
        "whitelist": whitelist,
        "last_updated": datetime(2026, 1, 1, tzinfo=UTC),
    }


@pytest.fixture
def site(transactional_db: Any, settings: Any) -> Site:
    """Our CPO party with location LOC-OCPP (EVSE-1, EVSE-2, tariff T-ENERGY-PARK) and eMSP DE-ABC's tokens:
    RFID0001 (valid), BLOCKED01 (valid=false), NEVER001 (whitelist NEVER)."""
    cpo, _ = Party.objects.get_or_create(
        country_code=settings.OCPI_COUNTRY_CODE,
        party_id=settings.OCPI_PARTY_ID,
        role="CPO",
        platform=None,
        defaults={"business_name": "Us"},
    )
    platform = Platform.objects.create(name="abc", status=Platform.Status.REGISTERED)
    emsp = Party.objects.create(
        country_code="DE", party_id="ABC", role="EMSP", platform=platform, business_name="ABC Mobility"
    )
    now = timezone.now()
    tariff_put(
        party=cpo,
        data=tariff_schemas.Tariff.model_validate(
            {"country_code": cpo.country_code, "party_id": cpo.party_id, "last_updated": now, **TARIFF}
        ),
    )
    location, _ = location_put(party=cpo, data=location_schemas.Location.model_validate(_location(cpo, now)))
    tokens = {
        "ok": token_put(party=emsp, data=_token("RFID0001"))[0],
        "blocked": token_put(party=emsp, data=_token("BLOCKED01", valid=False))[0],
        "never": token_put(party=emsp, data=_token("NEVER001", whitelist="NEVER"))[0],
    }
    return Site(cpo=cpo, emsp=emsp, location=location, tokens=tokens)


@pytest.fixture
def charger(site: Site) -> Callable[..., ChargePoint]:
    """Register a charger at the site's location, its connectors mapped to EVSE-1, EVSE-2, ..."""

    def make(identity: str = "CP-1", connectors: int = 2) -> ChargePoint:
        return charge_point_onboard(
            identity=identity, password=PASSWORD, location_id=site.location.ocpi_id, connectors=connectors
        )

    return make
