"""Locations selectors: lookups by key (case-insensitive, 2003 when unknown) and the Sender list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ocpi.core.exceptions import UnknownObject
from ocpi.locations import schemas, selectors, services
from tests.conftest import example

pytestmark = pytest.mark.django_db


def put(party, name: str, **changes):
    data = {**example(name), **changes}
    return services.location_put(party=party, data=schemas.Location.model_validate(data))[0]


def test_location_get_is_case_insensitive_and_unknown_is_2003(partner_party):
    put(partner_party("BE", "BEC"), "location_example.json")
    assert selectors.location_get(country_code="be", party_id="bec", location_id="loc1").ocpi_id == "LOC1"
    with pytest.raises(UnknownObject) as info:
        selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC2")
    assert (info.value.status_code, info.value.http_status) == (2003, 404)
    with pytest.raises(UnknownObject):
        selectors.location_get(country_code="NL", party_id="BEC", location_id="LOC1")


def test_evse_and_connector_get(partner_party, django_assert_num_queries):
    put(partner_party("BE", "BEC"), "location_example.json")
    location = selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    with django_assert_num_queries(0):  # from the prefetched lists
        evse = selectors.evse_get(location=location, evse_uid="3257")
        connector = selectors.connector_get(evse=evse, connector_id="1")
    assert (evse.evse_id, connector.max_amperage) == ("BE*BEC*E041503002", 16)
    with pytest.raises(UnknownObject):
        selectors.evse_get(location=location, evse_uid="9999")
    with pytest.raises(UnknownObject):
        selectors.connector_get(evse=evse, connector_id="2")


def test_own_location_get_ignores_partner_copies(own_party, partner_party):
    put(partner_party("BE", "BEC"), "location_example.json")
    with pytest.raises(UnknownObject):
        selectors.own_location_get(location_id="LOC1")
    own = put(own_party("NL", "OWN"), "location_example.json", country_code="NL", party_id="OWN")
    assert selectors.own_location_get(location_id="loc1").pk == own.pk


def test_own_list_has_every_own_location_published_or_not_and_no_partner_copy(own_party, partner_party):
    put(partner_party("BE", "BEC"), "location_example.json")
    put(own_party("NL", "ALF"), "location_example_uc3_destination_charger_not_published.json")
    put(own_party("NL", "ALL"), "location_example_uc4_limited_visibility.json")
    put(own_party("DE", "ALL"), "location_example_uc5_home_charge_point.json")
    listed = list(selectors.locations_of_own_parties())
    # Ordered by last_updated: uc5 (2019-04-05), uc3 (2019-07-01), uc4 (2019-09-27).
    assert [location.country_code + location.ocpi_party_id for location in listed] == [
        "DEALL",
        "NLALF",
        "NLALL",
    ]
    assert [location.publish for location in listed] == [False, False, False]
    assert selectors.locations_of_own_parties().ordered


def test_own_list_is_ordered_by_last_updated_then_pk(own_party):
    party = own_party("BE", "BEC")
    same = datetime(2020, 1, 1, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for location_id in ["B", "A", "C"]:
        put(party, "location_example.json", id=location_id, last_updated=same)
    put(party, "location_example.json", id="OLD")
    assert [location.ocpi_id for location in selectors.locations_of_own_parties()] == ["OLD", "B", "A", "C"]


def test_list_of_one_party(partner_party):
    party = partner_party("BE", "BEC")
    put(party, "location_example.json")
    assert [location.ocpi_id for location in selectors.locations_of_party(party=party)] == ["LOC1"]
