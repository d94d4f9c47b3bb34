"""Demo data for `make run`: what a new operator sees after a fresh install (idempotent)."""

from __future__ import annotations

from typing import Any

from ocpi.locations.schemas import Location
from ocpi.locations.services import location_put
from ocpi.models import Party
from ocpi.tariffs.schemas import Tariff
from ocpi.tariffs.services import tariff_put
from ocpi.tokens.services import token_put

STAMP = "2026-01-01T00:00:00Z"

CITIES = [
    ("Amsterdam", "1012 AB", "Damrak 1", "52.374030", "4.889700", "Europe/Amsterdam"),
    ("Utrecht", "3511 AA", "Stationsplein 10", "52.089400", "5.110000", "Europe/Amsterdam"),
    ("Rotterdam", "3011 AD", "Coolsingel 40", "51.922500", "4.479200", "Europe/Amsterdam"),
]


def _connector(connector_id: str, tariff_id: str, *, dc: bool) -> dict[str, Any]:
    return {
        "id": connector_id,
        "standard": "IEC_62196_T2_COMBO" if dc else "IEC_62196_T2",
        "format": "CABLE" if dc else "SOCKET",
        "power_type": "DC" if dc else "AC_3_PHASE",
        "max_voltage": 920 if dc else 400,
        "max_amperage": 200 if dc else 32,
        "max_electric_power": 150000 if dc else 22000,
        "tariff_ids": [tariff_id],
        "last_updated": STAMP,
    }


def _location(party: Party, n: int, tariff_id: str) -> dict[str, Any]:
    city, postal, address, lat, lon, tz = CITIES[n]
    evses = []
    for e in range(2):
        dc = e == 1
        evses.append(
            {
                "uid": f"DEMO{n}-{e}",
                "evse_id": f"{party.country_code}*{party.party_id}*EDEMO{n}{e}",
                "status": "AVAILABLE",
                "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
                "connectors": [_connector("1", tariff_id, dc=dc)],
                "physical_reference": str(e + 1),
                "floor_level": "0",
                "last_updated": STAMP,
            }
        )
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": f"DEMO-{n + 1}",
        "publish": True,
        "name": f"{city} demo hub",
        "address": address,
        "city": city,
        "postal_code": postal,
        "country": "NLD",
        "coordinates": {"latitude": lat, "longitude": lon},
        "parking_type": "ON_STREET",
        "evses": evses,
        "time_zone": tz,
        "opening_times": {"twentyfourseven": True},
        "last_updated": STAMP,
    }


def _tariff(party: Party) -> dict[str, Any]:
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": "DEMO-STANDARD",
        "currency": "EUR",
        "type": "REGULAR",
        "tariff_alt_text": [{"language": "en", "text": "0.35/kWh, 2.00/hour after the first 3 hours"}],
        "elements": [
            {"price_components": [{"type": "ENERGY", "price": 0.35, "vat": 21.0, "step_size": 1}]},
            {
                "price_components": [{"type": "TIME", "price": 2.00, "vat": 21.0, "step_size": 60}],
                "restrictions": {"min_duration": 10800},
            },
        ],
        "last_updated": STAMP,
    }


def _token(party: Party, n: int) -> dict[str, Any]:
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "uid": f"DEMO{n:08d}",
        "type": "RFID",
        "contract_id": f"{party.country_code}-{party.party_id}-C{n:08d}",
        "visual_number": f"DEMO-{n:04d}",
        "issuer": party.business_name[:64],
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": STAMP,
    }


def demo_load() -> list[str]:
    """Create the demo objects for our own CPO and eMSP parties and describe them, one line each."""
    lines = []
    cpo = Party.objects.own().filter(role="CPO").first()
    if cpo is not None:
        tariff = Tariff.model_validate(_tariff(cpo))
        tariff_put(party=cpo, data=tariff)
        for n in range(len(CITIES)):
            location_put(party=cpo, data=Location.model_validate(_location(cpo, n, tariff.id)))
        lines.append(
            f"locations:    {len(CITIES)} demo locations of {cpo} (2 EVSEs each), tariff {tariff.id}"
        )
    emsp = Party.objects.own().filter(role="EMSP").first()
    if emsp is not None:
        for n in range(1, 3):
            token_put(party=emsp, data=_token(emsp, n))
        lines.append(f"tokens:       2 demo RFID tokens of {emsp} (DEMO00000001, DEMO00000002)")
    return lines
