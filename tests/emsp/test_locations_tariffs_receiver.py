"""eMSP Locations and Tariffs Receivers over HTTP (§8.2.2, §11.2.2): every spec example round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocpi.locations.models import EVSE, Location
from ocpi.tariffs.models import Tariff
from tests.conftest import EXAMPLES, example

pytestmark = pytest.mark.django_db

LOC = "/ocpi/2.2.1/emsp/locations"
TAR = "/ocpi/2.2.1/emsp/tariffs"

LOCATION_EXAMPLES = [
    "location_example.json",
    "location_example_parking_garage_opening_hours.json",
    "location_example_uc2_destination_charger.json",
    "location_example_uc3_destination_charger_not_published.json",
    "location_example_uc4_limited_visibility.json",
    "location_example_uc5_home_charge_point.json",
]
TARIFF_EXAMPLES = sorted(
    p.name for p in Path(EXAMPLES).glob("tariff_*.json") if p.name != "tariff_put_example.json"
)  # tariff_put_example.json lacks last_updated: refused below


def send(client, method, url, body):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def owner(make_partner):
    """A registered CPO partner owning the party of whatever example is sent."""
    made = {}

    def get(cc, pid):
        if (cc, pid) not in made:
            made[cc, pid] = make_partner([(cc, pid, "CPO")])
        return made[cc, pid]

    return get


@pytest.mark.parametrize("name", LOCATION_EXAMPLES)
def test_location_examples_round_trip(owner, name):
    location = example(name)
    partner = owner(location["country_code"], location["party_id"])
    url = f"{LOC}/{location['country_code']}/{location['party_id']}/{location['id']}"
    response = send(partner.client(), "put", url, location)
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    assert partner.client().get(url).json()["data"] == location
    for evse in location.get("evses", []):
        evse_url = f"{url}/{evse['uid']}"
        assert partner.client().get(evse_url).json()["data"] == evse
        assert send(partner.client(), "put", evse_url, evse).status_code == 200
        for connector in evse["connectors"]:
            connector_url = f"{evse_url}/{connector['id']}"
            assert partner.client().get(connector_url).json()["data"] == connector
            assert send(partner.client(), "put", connector_url, connector).status_code == 200
    assert partner.client().get(url).json()["data"] == location


@pytest.mark.parametrize("name", TARIFF_EXAMPLES)
def test_tariff_examples_round_trip(owner, name):
    tariff = example(name)
    partner = owner(tariff["country_code"], tariff["party_id"])
    url = f"{TAR}/{tariff['country_code']}/{tariff['party_id']}/{tariff['id']}"
    assert send(partner.client(), "put", url, tariff).json()["status_code"] == 1000
    assert partner.client().get(url).json()["data"] == tariff


def test_tariff_delete(owner):
    tariff = example("tariff_1_simple_2hour.json")
    partner = owner("DE", "ALL")
    url = f"{TAR}/DE/ALL/{tariff['id']}"
    send(partner.client(), "put", url, tariff)
    assert partner.client().delete(url).json()["status_code"] == 1000
    assert not Tariff.objects.exists()
    assert partner.client().get(url).status_code == 404


def test_tariff_without_last_updated_is_refused(owner):
    partner = owner("DE", "ALL")
    response = send(partner.client(), "put", f"{TAR}/DE/ALL/12", example("tariff_put_example.json"))
    assert response.json()["status_code"] == 2001
    assert "last_updated: missing required field" in response.json()["status_message"]


@pytest.fixture
def stored(owner):
    location = example("location_example.json")
    partner = owner("BE", "BEC")
    send(partner.client(), "put", f"{LOC}/BE/BEC/LOC1", location)
    return partner, location


def test_evse_status_patch_updates_the_parents_last_updated(stored):
    partner, location = stored
    evse_uid = location["evses"][0]["uid"]
    patch = example("location_patch_example_status.json")
    response = send(partner.client(), "patch", f"{LOC}/BE/BEC/LOC1/{evse_uid}", patch)
    assert response.json()["status_code"] == 1000
    data = partner.client().get(f"{LOC}/BE/BEC/LOC1").json()["data"]
    assert data["evses"][0]["status"] == patch["status"]
    assert data["evses"][0]["last_updated"] == patch["last_updated"]
    assert data["last_updated"] == patch["last_updated"]


def test_patch_without_last_updated_is_2001_and_changes_nothing(stored):
    partner, location = stored
    response = send(partner.client(), "patch", f"{LOC}/BE/BEC/LOC1", {"name": "renamed"})
    assert response.json()["status_code"] == 2001
    assert partner.client().get(f"{LOC}/BE/BEC/LOC1").json()["data"] == location


def test_patch_of_unknown_objects_is_404_2003(stored):
    partner, location = stored
    body = {"status": "AVAILABLE", "last_updated": "2030-01-01T00:00:00Z"}
    for url in (
        f"{LOC}/BE/BEC/NOPE",
        f"{LOC}/BE/BEC/LOC1/NOPE",
        f"{LOC}/BE/BEC/LOC1/{location['evses'][0]['uid']}/9",
    ):
        response = send(partner.client(), "patch", url, body)
        assert (response.status_code, response.json()["status_code"]) == (404, 2003), url


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": 5}, "name"),
        ({"parking_type": "ROOFTOP"}, "parking_type"),
        ({"postal_code": "x" * 11}, "postal_code"),
        ({"coordinates": {"latitude": "91.0", "longitude": "4.0"}}, "coordinates.latitude"),
        ({"time_zone": None}, "time_zone"),
    ],
)
def test_invalid_location_is_2001_naming_the_field_and_stored_data_is_unchanged(stored, change, field):
    partner, location = stored
    response = send(partner.client(), "put", f"{LOC}/BE/BEC/LOC1", {**location, **change})
    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 2001
    assert f"{field}:" in body["status_message"]
    assert partner.client().get(f"{LOC}/BE/BEC/LOC1").json()["data"] == location


def test_missing_connector_field_deep_inside_is_named(stored):
    partner, location = stored
    broken = json.loads(json.dumps(location))
    del broken["evses"][1]["connectors"][0]["standard"]
    body = send(partner.client(), "put", f"{LOC}/BE/BEC/LOC1", broken).json()
    assert body["status_code"] == 2001
    assert "evses[1].connectors[0].standard: missing required field" in body["status_message"]


def test_path_and_body_ids_must_match(stored):
    partner, location = stored
    body = send(partner.client(), "put", f"{LOC}/BE/BEC/OTHER", location).json()
    assert body["status_code"] == 2001
    assert Location.objects.count() == 1


def test_a_partner_cannot_write_under_another_partys_ids(stored, owner):
    _, location = stored
    intruder = owner("NL", "ALF")
    response = send(intruder.client(), "put", f"{LOC}/BE/BEC/LOC1", {**location, "name": "hijacked"})
    assert response.json()["status_code"] == 2001
    assert Location.objects.get().name == location["name"]
    response = send(intruder.client(), "put", f"{LOC}/NL/ALF/LOC1", location)  # body says BE/BEC
    assert response.json()["status_code"] == 2001
    assert intruder.client().get(f"{LOC}/BE/BEC/LOC1").status_code == 404


def test_add_evse_with_put(stored):
    partner, location = stored
    evse = json.loads(json.dumps(location["evses"][0]))
    evse["uid"], evse["evse_id"] = "NEW-1", "BE*BEC*E041503099"
    response = send(partner.client(), "put", f"{LOC}/BE/BEC/LOC1/NEW-1", evse)
    assert response.status_code == 201
    assert EVSE.objects.filter(uid="NEW-1").exists()
    assert partner.client().get(f"{LOC}/BE/BEC/LOC1").json()["data"]["evses"][-1]["uid"] == "NEW-1"
