"""CPO endpoints: Tokens Receiver, Sessions and CDRs Senders with their privacy rule, charging preferences."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ocpi.cdrs.services import cdr_create
from ocpi.core.client import _LINK_NEXT
from ocpi.locations.schemas import Location as LocationSchema
from ocpi.locations.services import location_put
from ocpi.models import Party
from ocpi.sessions.models import SessionChargingPreferences
from ocpi.sessions.services import session_put
from ocpi.tokens.models import Token
from tests.conftest import example

pytestmark = pytest.mark.django_db

BASE = "/ocpi/2.2.1/cpo"


def send(client, method, url, body):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def tnm(make_partner):
    """The eMSP partner DE-TNM that owns the example tokens."""
    return make_partner([("DE", "TNM", "EMSP")])


@pytest.fixture
def own_cpo():
    return Party.objects.own().get(role="CPO")


# --- Tokens Receiver ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["token_example_1_app_user.json", "token_example_2_full_rfid.json"])
def test_token_examples_round_trip(tnm, name):
    token = example(name)
    url = f"{BASE}/tokens/DE/TNM/{token['uid']}?type={token['type']}"
    assert send(tnm.client(), "put", url, token).status_code == 201
    assert tnm.client().get(url).json()["data"] == token


def test_token_type_defaults_to_rfid_and_patch_updates(tnm):
    token = example("token_example_2_full_rfid.json")
    send(tnm.client(), "put", f"{BASE}/tokens/DE/TNM/{token['uid']}", token)
    patch = example("token_patch_example.json")
    assert (
        send(tnm.client(), "patch", f"{BASE}/tokens/DE/TNM/{token['uid']}", patch).json()["status_code"]
        == 1000
    )
    got = tnm.client().get(f"{BASE}/tokens/DE/TNM/{token['uid']}").json()["data"]
    assert got["valid"] == patch["valid"]
    assert got["last_updated"] == patch["last_updated"]


def test_token_under_another_partys_ids_is_refused(make_partner, tnm):
    other = make_partner([("FR", "OTH", "EMSP")])
    token = example("token_example_2_full_rfid.json")
    response = send(other.client(), "put", f"{BASE}/tokens/DE/TNM/{token['uid']}", token)
    assert response.json()["status_code"] == 2001
    assert not Token.objects.exists()


def test_unknown_token_type_is_2001(tnm):
    assert tnm.client().get(f"{BASE}/tokens/DE/TNM/X?type=CARD").json()["status_code"] == 2001


def test_unknown_token_is_404(tnm):
    response = tnm.client().get(f"{BASE}/tokens/DE/TNM/nothing")
    assert response.status_code == 404
    assert response.json()["status_code"] == 2004


# --- Sessions and CDRs Senders -------------------------------------------------------------------------


def own_session(own_cpo, session_id, emsp=("DE", "TNM"), **changes):
    data = example("session_example_2_short_finished.json")
    data.update(country_code="NL", party_id="OCP", id=session_id, **changes)
    data["cdr_token"] = {**data["cdr_token"], "country_code": emsp[0], "party_id": emsp[1]}
    return session_put(party=own_cpo, data=data)[0]


def test_sessions_list_shows_only_the_callers_tokens_sessions(own_cpo, tnm, make_partner):
    other = make_partner([("FR", "OTH", "EMSP")])
    for i in range(7):
        own_session(own_cpo, f"S{i}", emsp=("DE", "TNM") if i % 2 else ("FR", "OTH"))
    mine = tnm.client().get(f"{BASE}/sessions").json()["data"]
    theirs = other.client().get(f"{BASE}/sessions").json()["data"]
    assert sorted(s["id"] for s in mine) == ["S1", "S3", "S5"]
    assert sorted(s["id"] for s in theirs) == ["S0", "S2", "S4", "S6"]


def test_cdrs_list_shows_only_the_callers_tokens_cdrs(own_cpo, tnm, make_partner):
    other = make_partner([("FR", "OTH", "EMSP")])
    cdr = {**example("cdr_example.json"), "country_code": "NL", "party_id": "OCP"}
    cdr_create(party=own_cpo, data=cdr)
    assert [c["id"] for c in tnm.client().get(f"{BASE}/cdrs").json()["data"]] == ["12345"]
    assert other.client().get(f"{BASE}/cdrs").json()["data"] == []
    response = tnm.client().get(f"{BASE}/cdrs?date_from=2030-01-01T00:00:00Z")
    assert response.json()["data"] == []
    assert response["X-Total-Count"] == "0"


# --- Charging preferences -------------------------------------------------------------------------------


@pytest.fixture
def capable_location(own_cpo):
    location = {**example("location_example.json"), "country_code": "NL", "party_id": "OCP"}
    for evse in location["evses"]:
        evse["capabilities"] = [*evse.get("capabilities", []), "CHARGING_PREFERENCES_CAPABLE"]
    location["evses"][1]["capabilities"] = ["RFID_READER"]
    location_put(party=own_cpo, data=LocationSchema.model_validate(location))
    return location


PREFS = {"profile_type": "FAST", "departure_time": "2030-01-01T18:00:00Z", "energy_need": 20}


def test_charging_preferences_are_accepted_and_stored(own_cpo, tnm, capable_location):
    evse = capable_location["evses"][0]["uid"]
    session = own_session(
        own_cpo, "S1", status="ACTIVE", location_id=capable_location["id"], evse_uid=evse, end_date_time=None
    )
    response = send(tnm.client(), "put", f"{BASE}/sessions/S1/charging_preferences", PREFS)
    assert response.json() | {"timestamp": None} == {
        "data": "ACCEPTED",
        "status_code": 1000,
        "timestamp": None,
    }
    assert SessionChargingPreferences.objects.get(session=session).data == PREFS


def test_charging_preferences_on_an_incapable_evse_is_404_2001(own_cpo, tnm, capable_location):
    evse = capable_location["evses"][1]["uid"]
    own_session(
        own_cpo, "S1", status="ACTIVE", location_id=capable_location["id"], evse_uid=evse, end_date_time=None
    )
    response = send(tnm.client(), "put", f"{BASE}/sessions/S1/charging_preferences", PREFS)
    assert response.status_code == 404
    assert response.json()["status_code"] == 2001


def test_charging_preferences_of_another_emsps_session_is_unknown(own_cpo, make_partner, capable_location):
    other = make_partner([("FR", "OTH", "EMSP")])
    evse = capable_location["evses"][0]["uid"]
    own_session(
        own_cpo, "S1", status="ACTIVE", location_id=capable_location["id"], evse_uid=evse, end_date_time=None
    )
    response = send(other.client(), "put", f"{BASE}/sessions/S1/charging_preferences", PREFS)
    assert response.status_code == 404
    assert response.json()["status_code"] == 2003


# --- Paging over a thousand sessions and CDRs ------------------------------------------------------------


def _crawl(client, url):
    seen = []
    while url:
        response = client.get(url)
        seen.extend(item["id"] for item in response.json()["data"])
        match = _LINK_NEXT.search(response.get("Link", ""))
        url = f"{urlsplit(match.group(1)).path}?{urlsplit(match.group(1)).query}" if match else None
    return seen


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).json()["status_code"] == 1000
    return len(queries)


def test_a_thousand_sessions_page_through_once_each_in_constant_queries(own_cpo, tnm):
    for i in range(1005):
        own_session(own_cpo, f"S{i:04d}")
    client = tnm.client()
    seen = _crawl(client, f"{BASE}/sessions")
    assert len(seen) == 1005
    assert len(set(seen)) == 1005
    assert _queries(client, f"{BASE}/sessions?limit=10") == _queries(client, f"{BASE}/sessions?limit=100")


def test_a_thousand_cdrs_page_through_once_each_in_constant_queries(own_cpo, tnm):
    cdr = {**example("cdr_example.json"), "country_code": "NL", "party_id": "OCP"}
    for i in range(1005):
        cdr_create(party=own_cpo, data={**cdr, "id": f"CDR{i:04d}"})
    client = tnm.client()
    seen = _crawl(client, f"{BASE}/cdrs")
    assert sorted(seen) == [f"CDR{i:04d}" for i in range(1005)]
    assert _queries(client, f"{BASE}/cdrs?limit=10") == _queries(client, f"{BASE}/cdrs?limit=100")
