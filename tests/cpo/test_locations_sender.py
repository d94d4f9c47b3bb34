"""CPO Locations and Tariffs Senders (§8.2.1, §11.2.1): paging, date filters, visibility, query count."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ocpi.core.client import _LINK_NEXT
from ocpi.core.types import format_datetime
from ocpi.locations.schemas import Location as LocationSchema
from ocpi.locations.services import location_put
from ocpi.models import Party
from ocpi.tariffs.schemas import Tariff as TariffSchema
from ocpi.tariffs.services import tariff_put
from ocpi.tokens.services import token_put
from tests.conftest import example

pytestmark = pytest.mark.django_db

BASE = "/ocpi/2.2.1/cpo"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def own_cpo():
    return Party.objects.own().get(role="CPO")


def make_location(own_cpo, n, *, evses=1, connectors=1, **changes):
    data = copy.deepcopy(example("location_example.json"))
    template = data["evses"][0]
    data["evses"] = []
    for e in range(evses):
        evse = copy.deepcopy(template)
        evse["uid"] = f"E{e}"
        evse["evse_id"] = f"NL*OCP*E{n}X{e}"
        evse["connectors"] = [
            {**copy.deepcopy(template["connectors"][0]), "id": str(c + 1)} for c in range(connectors)
        ]
        evse["last_updated"] = format_datetime(T0 + timedelta(minutes=n))
        data["evses"].append(evse)
    data.update(
        country_code="NL",
        party_id="OCP",
        id=f"LOC{n:05d}",
        last_updated=format_datetime(T0 + timedelta(minutes=n)),
    )
    data.update(changes)
    location_put(party=own_cpo, data=LocationSchema.model_validate(data))
    return data


def crawl(client, url):
    seen, pages = [], 0
    while url:
        response = client.get(url)
        body = response.json()
        assert body["status_code"] == 1000, body
        seen.extend(loc["id"] for loc in body["data"])
        pages += 1
        match = _LINK_NEXT.search(response.get("Link", ""))
        url = None
        if match:
            parts = urlsplit(match.group(1))
            url = f"{parts.path}?{parts.query}"
    return seen, pages


def test_paging_over_a_thousand_locations(partner, own_cpo):
    """Following Link visits every location once; date filters are exact; the limit is capped."""
    everything = [make_location(own_cpo, n)["id"] for n in range(1010)]
    seen, pages = crawl(partner.client(), f"{BASE}/locations")
    assert len(seen) == 1010
    assert set(seen) == set(everything)
    assert pages == 11  # server maximum 100 per page

    date_from = format_datetime(T0 + timedelta(minutes=100))
    date_to = format_datetime(T0 + timedelta(minutes=350))
    seen, _ = crawl(partner.client(), f"{BASE}/locations?date_from={date_from}&date_to={date_to}&limit=40")
    assert seen == [f"LOC{n:05d}" for n in range(100, 350)]

    response = partner.client().get(f"{BASE}/locations?limit=500")
    assert response["X-Limit"] == "100"
    assert response["X-Total-Count"] == "1010"
    assert len(response.json()["data"]) == 100


@pytest.mark.parametrize("page_size", [10, 100])
def test_a_page_is_served_in_a_constant_number_of_queries(partner, own_cpo, page_size):
    for n in range(100):
        make_location(own_cpo, n, evses=4, connectors=2)
    client = partner.client()
    client.get(f"{BASE}/locations?limit=1")  # warm caches (content types, etc.)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{BASE}/locations?limit={page_size}")
    data = response.json()["data"]
    assert len(data) == page_size
    assert all(len(loc["evses"]) == 4 and len(loc["evses"][0]["connectors"]) == 2 for loc in data)
    # auth token + caller parties + own parties for routing (x2) + count + page + EVSEs + connectors
    assert len(queries) == 9, [q["sql"] for q in queries]


def test_single_location_evse_and_connector(partner, own_cpo):
    data = make_location(own_cpo, 1, evses=2, connectors=2)
    client = partner.client()
    assert client.get(f"{BASE}/locations/LOC00001").json()["data"] == data
    assert client.get(f"{BASE}/locations/LOC00001/E1").json()["data"] == data["evses"][1]
    assert client.get(f"{BASE}/locations/LOC00001/E1/2").json()["data"] == data["evses"][1]["connectors"][1]
    for url in ("LOC9", "LOC00001/E9", "LOC00001/E1/9"):
        response = client.get(f"{BASE}/locations/{url}")
        assert (response.status_code, response.json()["status_code"]) == (404, 2003)


def test_unpublished_locations_are_shown_only_to_the_emsp_of_the_allowed_drivers(own_cpo, make_partner):
    allowed = make_partner([("DE", "TNM", "EMSP")])
    other = make_partner([("FR", "OTH", "EMSP")])
    token_put(party=allowed.parties[0], data=example("token_example_2_full_rfid.json"))
    token_put(
        party=other.parties[0],
        data={**example("token_example_1_app_user.json"), "country_code": "FR", "party_id": "OTH"},
    )
    make_location(own_cpo, 1)
    make_location(
        own_cpo,
        2,
        publish=False,
        publish_allowed_to=[{"visual_number": "DF000-2001-8999-1", "issuer": "TheNewMotion"}],
    )
    make_location(own_cpo, 3, publish=False)
    assert sorted(loc["id"] for loc in allowed.client().get(f"{BASE}/locations").json()["data"]) == [
        "LOC00001",
        "LOC00002",
    ]
    assert [loc["id"] for loc in other.client().get(f"{BASE}/locations").json()["data"]] == ["LOC00001"]
    assert other.client().get(f"{BASE}/locations/LOC00002").status_code == 404
    assert other.client().get(f"{BASE}/locations/LOC00003").status_code == 404
    assert allowed.client().get(f"{BASE}/locations/LOC00002").status_code == 200


def test_partners_locations_are_not_listed_as_ours(partner, own_cpo, make_partner):
    cpo = make_partner([("BE", "BEC", "CPO")])
    location_put(party=cpo.parties[0], data=LocationSchema.model_validate(example("location_example.json")))
    make_location(own_cpo, 1)
    assert [loc["id"] for loc in partner.client().get(f"{BASE}/locations").json()["data"]] == ["LOC00001"]


def test_tariffs_list(partner, own_cpo):
    for name in ("tariff_1_simple_2hour.json", "tariff_4_complex.json"):
        tariff_put(
            party=own_cpo,
            data=TariffSchema.model_validate({**example(name), "country_code": "NL", "party_id": "OCP"}),
        )
    data = partner.client().get(f"{BASE}/tariffs").json()["data"]
    assert sorted(t["id"] for t in data) == ["12", "14"]
    assert {t["party_id"] for t in data} == {"OCP"}


def test_version_details_list_every_endpoint_and_they_answer(partner):
    endpoints = partner.client().get("/ocpi/2.2.1").json()["data"]["endpoints"]
    listed = {(e["identifier"], e["role"]) for e in endpoints}
    assert listed == {
        ("credentials", "SENDER"),
        ("locations", "SENDER"),
        ("tariffs", "SENDER"),
        ("sessions", "SENDER"),
        ("cdrs", "SENDER"),
        ("tokens", "RECEIVER"),
        ("locations", "RECEIVER"),
        ("tariffs", "RECEIVER"),
        ("tokens", "SENDER"),
        ("sessions", "RECEIVER"),
        ("cdrs", "RECEIVER"),
    }
    for endpoint in endpoints:
        if endpoint["role"] == "SENDER":
            path = urlsplit(endpoint["url"]).path
            assert partner.client().get(path).json()["status_code"] == 1000, path
