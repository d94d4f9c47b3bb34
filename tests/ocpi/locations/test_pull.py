"""Locations pull store (§8.1 Pull model): a partner CPO's list into our copies, never older over newer."""

from __future__ import annotations

import copy
import json

import pytest
import responses
from pydantic import ValidationError

from ocpi.core.exceptions import InvalidParameters
from ocpi.locations import selectors, services
from ocpi.locations.models import Location
from ocpi.locations.pull import location_store
from ocpi.models import PlatformEndpoint
from ocpi.sync import pull
from ocpi.sync.models import OutboxMessage
from tests.conftest import example

pytestmark = pytest.mark.django_db

URL = "http://cpo.test/ocpi/cpo/2.2.1/locations"


@pytest.fixture
def cpo(make_partner):
    """A partner CPO BE-BEC with a Locations Sender; an eMSP with a Receiver (which must get nothing)."""
    partner = make_partner([("BE", "BEC", "CPO")], name="cpo")
    PlatformEndpoint.objects.create(platform=partner.platform, identifier="locations", role="SENDER", url=URL)
    emsp = make_partner([("DE", "EMS", "EMSP")], name="emsp")
    PlatformEndpoint.objects.create(
        platform=emsp.platform, identifier="locations", role="RECEIVER", url="http://emsp.test/locations"
    )
    return partner


@pytest.fixture
def loc1():
    return copy.deepcopy(example("location_example.json"))


def stored() -> dict:
    location = selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    return services.location_to_json(location)


def test_registered_with_the_sync_engine():
    handler = pull._handlers["locations"]
    assert handler.store is location_store
    assert handler.page_limit == 100


def test_a_valid_location_is_stored_as_the_partners_copy(cpo, loc1):
    location_store(cpo.platform, loc1)
    assert stored() == loc1
    assert Location.objects.get().party == cpo.parties[0]
    assert not OutboxMessage.objects.exists()  # a partner's copy is never pushed


def test_a_location_of_a_party_the_partner_did_not_register_is_refused(cpo, make_partner, loc1):
    make_partner([("NL", "OTH", "CPO")], name="another")
    with pytest.raises(InvalidParameters):
        location_store(cpo.platform, {**loc1, "country_code": "NL", "party_id": "OTH"})
    emsp_role = {**loc1, "country_code": "DE", "party_id": "EMS"}  # the eMSP's codes, not a CPO of it
    with pytest.raises(InvalidParameters):
        location_store(cpo.platform, emsp_role)
    assert not Location.objects.exists()


def test_an_older_version_never_overwrites_a_newer_one(cpo, loc1):
    location_store(cpo.platform, loc1)
    older = {**copy.deepcopy(loc1), "name": "Old name", "last_updated": "2015-01-01T00:00:00Z"}
    location_store(cpo.platform, older)
    assert stored()["name"] == "Gent Zuid"
    newer = {**copy.deepcopy(loc1), "name": "New name", "last_updated": "2016-01-01T00:00:00Z"}
    location_store(cpo.platform, newer)
    assert stored()["name"] == "New name"


def test_an_invalid_location_raises_validation_error(cpo, loc1):
    with pytest.raises(ValidationError):
        location_store(cpo.platform, {**loc1, "coordinates": {"latitude": "51", "longitude": "3"}})
    assert not Location.objects.exists()


@responses.activate
def test_a_pull_stores_the_valid_ones_and_skips_the_others(cpo, loc1):
    other_party = {**copy.deepcopy(loc1), "country_code": "NL", "party_id": "OTH", "id": "LOC2"}
    invalid = {**copy.deepcopy(loc1), "id": "LOC3", "publish": "yes"}
    body = {"data": [loc1, other_party, invalid], "status_code": 1000, "timestamp": "2024-01-01T00:00:00Z"}
    responses.get(URL, body=json.dumps(body), content_type="application/json")
    run = pull.pull_module(platform=cpo.platform, module="locations")
    assert (run.outcome, run.fetched, run.stored, run.skipped) == ("OK", 3, 1, 2)
    assert "limit=100" in responses.calls[0].request.url
    assert list(Location.objects.values_list("ocpi_id", flat=True)) == ["LOC1"]
