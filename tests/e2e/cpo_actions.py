"""What a CPO operator and its chargers do, run inside a live platform (`manage.py shell`).

Each action calls the same services admin and the OCPP bridge use, so whatever they owe partners
goes through the push outbox. `snapshot()` prints a CPO party's data as partners should see it, the
same way on the CPO platform and on an eMSP platform holding its copy.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpi.cdrs.models import Cdr
from ocpi.cdrs.services import cdr_create, cdrs_to_json
from ocpi.core.patch import validate_patch
from ocpi.core.types import format_datetime
from ocpi.locations import schemas as loc_schemas
from ocpi.locations.models import Location
from ocpi.locations.selectors import evse_get, location_get
from ocpi.locations.services import evse_patch, location_put, locations_to_json
from ocpi.models import Party
from ocpi.sessions.models import Session
from ocpi.sessions.selectors import session_get
from ocpi.sessions.services import session_patch, session_put, sessions_to_json
from ocpi.tariffs.models import Tariff
from ocpi.tariffs.schemas import Tariff as TariffSchema
from ocpi.tariffs.selectors import tariff_get
from ocpi.tariffs.services import tariff_delete, tariff_put, tariff_to_json

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _cpo() -> Party:
    return Party.objects.own().get(role="CPO")


def _stamp(minutes: float) -> str:
    return format_datetime(T0 + timedelta(minutes=minutes))


def location(n: int, *, evses: int = 2) -> None:
    party = _cpo()
    connector = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "max_electric_power": 22000,
        "tariff_ids": ["T1"],
        "last_updated": _stamp(n),
    }
    data = {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": f"L{n:04d}",
        "publish": True,
        "name": f"Location {n}",
        "address": f"Street {n}",
        "city": "Utrecht",
        "postal_code": "3511 AA",
        "country": "NLD",
        "coordinates": {"latitude": "52.089400", "longitude": "5.110000"},
        "evses": [
            {
                "uid": f"L{n:04d}-E{e}",
                "evse_id": f"{party.country_code}*{party.party_id}*EL{n:04d}{e}",
                "status": "AVAILABLE",
                "capabilities": ["RFID_READER"],
                "connectors": [copy.deepcopy(connector)],
                "last_updated": _stamp(n),
            }
            for e in range(evses)
        ],
        "time_zone": "Europe/Amsterdam",
        "last_updated": _stamp(n),
    }
    location_put(party=party, data=loc_schemas.Location.model_validate(data))


def evse_status(n: int, evse: int, status: str) -> None:
    party = _cpo()
    loc = location_get(country_code=party.country_code, party_id=party.party_id, location_id=f"L{n:04d}")
    row = evse_get(location=loc, evse_uid=f"L{n:04d}-E{evse}")
    patch = validate_patch(loc_schemas.EVSE, {"status": status}, require_last_updated=False)
    evse_patch(evse=row, patch=patch)


def tariff(tariff_id: str, price: float) -> None:
    party = _cpo()
    data = {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": tariff_id,
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": price, "vat": 21.0, "step_size": 1}]}],
        "last_updated": format_datetime(datetime.now(UTC)),
    }
    tariff_put(party=party, data=TariffSchema.model_validate(data))


def tariff_remove(tariff_id: str) -> None:
    party = _cpo()
    row = tariff_get(country_code=party.country_code, party_id=party.party_id, tariff_id=tariff_id)
    tariff_delete(tariff=row)


def _cdr_token(emsp: str) -> dict[str, Any]:
    cc, pid = emsp.split("-")
    return {
        "country_code": cc,
        "party_id": pid,
        "uid": "012345678",
        "type": "RFID",
        "contract_id": f"{cc}-{pid}-C12345678",
    }


def session(session_id: str, emsp: str) -> None:
    party = _cpo()
    data = {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": session_id,
        "start_date_time": _stamp(0),
        "kwh": 0,
        "cdr_token": _cdr_token(emsp),
        "auth_method": "WHITELIST",
        "location_id": "L0001",
        "evse_uid": "L0001-E0",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": _stamp(0),
    }
    session_put(party=party, data=data)


def session_progress(session_id: str, minute: int, kwh: float) -> None:
    party = _cpo()
    row = session_get(country_code=party.country_code, party_id=party.party_id, session_id=session_id)
    period = {
        "start_date_time": _stamp(minute),
        "dimensions": [{"type": "ENERGY", "volume": kwh}, {"type": "TIME", "volume": 0.25}],
    }
    patch = {"kwh": kwh, "charging_periods": [period], "last_updated": _stamp(minute)}
    session_patch(session=row, patch=patch)


def cdr(cdr_id: str, emsp: str) -> None:
    party = _cpo()
    data = {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": cdr_id,
        "start_date_time": _stamp(0),
        "end_date_time": _stamp(60),
        "cdr_token": _cdr_token(emsp),
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "L0001",
            "address": "Street 1",
            "city": "Utrecht",
            "country": "NLD",
            "coordinates": {"latitude": "52.089400", "longitude": "5.110000"},
            "evse_uid": "L0001-E0",
            "evse_id": f"{party.country_code}*{party.party_id}*EL00010",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": "EUR",
        "charging_periods": [
            {
                "start_date_time": _stamp(0),
                "dimensions": [{"type": "ENERGY", "volume": 10}],
                "tariff_id": "T1",
            }
        ],
        "total_cost": {"excl_vat": 2.5, "incl_vat": 3.03},
        "total_energy": 10,
        "total_time": 1,
        "last_updated": _stamp(60),
    }
    cdr_create(party=party, data=data)


def snapshot(cpo: str) -> None:
    """Print the CPO party's locations, tariffs, sessions and CDRs as wire JSON, in a stable order."""
    cc, pid = cpo.split("-")
    keys = {"country_code": cc, "ocpi_party_id": pid}
    data = {
        "locations": locations_to_json(list(Location.objects.filter(**keys).order_by("ocpi_id"))),
        "tariffs": [tariff_to_json(t) for t in Tariff.objects.filter(**keys).order_by("ocpi_id")],
        "sessions": sessions_to_json(list(Session.objects.filter(**keys).order_by("ocpi_id"))),
        "cdrs": cdrs_to_json(Cdr.objects.filter(**keys).order_by("ocpi_id")),
    }
    print(json.dumps(data, sort_keys=True))
