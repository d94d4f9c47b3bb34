"""Locations services (§8.2.2 PUT/PATCH, §8.3): database round-trips, replace and patch semantics,
last_updated propagation, and no last_updated bump without a change (interop lesson 10)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ocpi.core.exceptions import InvalidParameters
from ocpi.core.patch import validate_patch
from ocpi.locations import schemas, selectors, services
from ocpi.locations.models import EVSE, Connector, Location
from tests.conftest import example
from tests.ocpi.locations.test_schemas import LOCATION_EXAMPLES

pytestmark = pytest.mark.django_db

T0 = datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)


def ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def put(party, data: dict[str, Any]) -> tuple[Location, bool]:
    return services.location_put(party=party, data=schemas.Location.model_validate(data))


@pytest.fixture
def be_partner(partner_party):
    return partner_party("BE", "BEC")


@pytest.fixture
def be_own(own_party):
    return own_party("BE", "BEC")


@pytest.fixture
def loc1() -> dict[str, Any]:
    return copy.deepcopy(example("location_example.json"))


@pytest.mark.parametrize("owner", ["own", "partner"])
@pytest.mark.parametrize("name", LOCATION_EXAMPLES)
def test_every_example_round_trips_through_the_database(name, owner, own_party, partner_party):
    data = example(name)
    party = (own_party if owner == "own" else partner_party)(data["country_code"], data["party_id"])
    location, created = put(party, data)
    assert created
    assert services.location_to_json(location) == data
    fresh = selectors.location_get(
        country_code=data["country_code"], party_id=data["party_id"], location_id=data["id"]
    )
    assert services.location_to_json(fresh) == data
    assert services.location_to_schema(fresh).to_json() == data
    for evse_data in data["evses"]:
        evse = selectors.evse_get(location=fresh, evse_uid=evse_data["uid"])
        assert services.evse_to_json(evse) == evse_data
        for connector_data in evse_data["connectors"]:
            connector = selectors.connector_get(evse=evse, connector_id=connector_data["id"])
            assert services.connector_to_json(connector) == connector_data


def test_rich_location_round_trips(be_partner, loc1):
    """Every optional field at once, including the JSON-held value objects."""
    loc1.update(
        {
            "state": "Oost-Vlaanderen",
            "related_locations": [
                {
                    "latitude": "51.047601",
                    "longitude": "3.729950",
                    "name": {"language": "nl", "text": "Ingang"},
                }
            ],
            "directions": [{"language": "en", "text": "Go left"}],
            "suboperator": {"name": "Sub", "website": "https://sub.example"},
            "owner": {
                "name": "Owner",
                "logo": {"url": "https://o.example/l.png", "category": "OWNER", "type": "png"},
            },
            "facilities": ["CAFE", "WIFI"],
            "opening_times": example("location_regularhours_example.json")["opening_times"],
            "charging_when_closed": False,
            "images": [
                {"url": "https://i.example/1.jpg", "category": "LOCATION", "type": "jpeg", "width": 800}
            ],
            "energy_mix": example("location_energymix_example_complete.json")["energy_mix"],
        }
    )
    loc1["evses"][0].update(
        {
            "status_schedule": [{"period_begin": "2024-01-01T00:00:00Z", "status": "PLANNED"}],
            "coordinates": {"latitude": "-51.1234567", "longitude": "-179.1234567"},
            "directions": [{"language": "en", "text": "Second floor"}],
            "parking_restrictions": ["EV_ONLY", "PLUGGED"],
            "images": [],
        }
    )
    loc1["evses"][0]["connectors"][0].update(
        {"max_electric_power": 22000, "terms_and_conditions": "https://t.example", "tariff_ids": []}
    )
    location, _ = put(be_partner, loc1)
    assert services.location_to_json(location) == loc1


def test_put_replaces_and_is_case_insensitive_on_ids(be_partner, loc1):
    put(be_partner, loc1)
    loc1["id"] = "loc1"
    loc1["country_code"], loc1["party_id"] = "be", "bec"
    loc1["name"] = "Gent Zuid 2"
    location, created = put(be_partner, loc1)
    assert not created
    assert Location.objects.count() == 1
    rendered = services.location_to_json(location)
    assert (rendered["id"], rendered["country_code"], rendered["party_id"], rendered["name"]) == (
        "loc1",
        "BE",
        "BEC",
        "Gent Zuid 2",
    )


def test_put_keeps_the_order_sent(be_partner, loc1):
    put(be_partner, loc1)
    loc1["evses"].reverse()
    loc1["evses"][1]["connectors"].reverse()
    location, _ = put(be_partner, loc1)
    assert services.location_to_json(location) == loc1


def test_partner_put_without_an_evse_removes_it_from_our_copy(be_partner, loc1):
    put(be_partner, loc1)
    del loc1["evses"][1]
    del loc1["evses"][0]["connectors"][1]
    location, _ = put(be_partner, loc1)
    assert services.location_to_json(location) == loc1
    assert EVSE.objects.count() == 1
    assert Connector.objects.count() == 1


def test_own_put_without_an_evse_marks_it_removed(be_own, loc1):
    """§8.1: EVSEs are never deleted; the CPO MUST set status REMOVED."""
    put(be_own, loc1)
    dropped = loc1["evses"].pop(0)
    loc1["last_updated"] = "2020-01-01T00:00:00Z"
    location, _ = put(be_own, loc1)
    rendered = services.location_to_json(location)
    assert [e["uid"] for e in rendered["evses"]] == ["3257", dropped["uid"]]
    assert rendered["evses"][1]["status"] == "REMOVED"
    assert rendered["evses"][1]["last_updated"] == "2020-01-01T00:00:00Z"
    assert rendered["last_updated"] == "2020-01-01T00:00:00Z"


def test_put_refuses_another_partys_location(be_partner, partner_party, loc1):
    other = partner_party("NL", "TNM")
    with pytest.raises(InvalidParameters):
        put(other, loc1)
    assert be_partner.locations.count() == 0
    assert not Location.objects.exists()


def test_put_refuses_duplicate_evse_uids(be_partner, loc1):
    loc1["evses"][1]["uid"] = "3256"
    with pytest.raises(InvalidParameters, match=r"evses\[1\]\.uid"):
        put(be_partner, loc1)


def test_path_checks(loc1):
    data = schemas.Location.model_validate(loc1)
    services.location_check_path(data=data, country_code="be", party_id="BEC", location_id="loc1")
    with pytest.raises(InvalidParameters, match="id"):
        services.location_check_path(data=data, country_code="BE", party_id="BEC", location_id="LOC2")
    with pytest.raises(InvalidParameters, match="party_id"):
        services.location_check_path(data=data, country_code="BE", party_id="XXX", location_id="LOC1")
    evse = schemas.EVSE.model_validate(loc1["evses"][0])
    services.evse_check_path(data=evse, evse_uid="3256")
    with pytest.raises(InvalidParameters):
        services.evse_check_path(data=evse, evse_uid="3257")
    connector = schemas.Connector.model_validate(loc1["evses"][0]["connectors"][0])
    services.connector_check_path(data=connector, connector_id="1")
    with pytest.raises(InvalidParameters):
        services.connector_check_path(data=connector, connector_id="2")


# --- EVSE / connector PUT -------------------------------------------------------------------------


def test_evse_put_adds_a_new_evse_last_and_bumps_the_location(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    new = copy.deepcopy(loc1["evses"][0])
    new.update({"uid": "3258", "evse_id": "BE*BEC*E041503003", "last_updated": "2019-06-24T12:39:09Z"})
    evse, created = services.evse_put(location=location, data=schemas.EVSE.model_validate(new))
    assert created
    assert services.evse_to_json(evse) == new
    rendered = services.location_to_json(
        selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    )
    assert [e["uid"] for e in rendered["evses"]] == ["3256", "3257", "3258"]
    assert rendered["last_updated"] == "2019-06-24T12:39:09Z"
    # The caller's location object does not keep stale prefetched EVSEs.
    assert [e.uid for e in selectors.evses_of(location)] == ["3256", "3257", "3258"]


def test_evse_put_replaces_in_place(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    replaced = copy.deepcopy(loc1["evses"][0])
    replaced["status"] = "OUTOFORDER"
    replaced["last_updated"] = "2016-01-01T00:00:00Z"
    _, created = services.evse_put(location=location, data=schemas.EVSE.model_validate(replaced))
    assert not created
    rendered = services.location_to_json(
        selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    )
    assert rendered["evses"][0] == replaced
    # The location (2015-06-29T20:39:09Z) is older than the EVSE now is: it follows the EVSE.
    assert rendered["last_updated"] == "2016-01-01T00:00:00Z"


def test_parent_last_updated_never_moves_backwards(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    older = copy.deepcopy(loc1["evses"][0])
    older["status"] = "CHARGING"
    older["last_updated"] = "2015-01-01T00:00:00Z"
    services.evse_put(location=location, data=schemas.EVSE.model_validate(older))
    location.refresh_from_db()
    assert location.last_updated == T0


def test_connector_put_bumps_evse_and_location(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    evse = selectors.evse_get(location=location, evse_uid="3257")
    new = {
        "id": "2",
        "standard": "CHADEMO",
        "format": "CABLE",
        "power_type": "DC",
        "max_voltage": 500,
        "max_amperage": 125,
        "last_updated": "2019-06-24T12:39:09Z",
    }
    connector, created = services.connector_put(evse=evse, data=schemas.Connector.model_validate(new))
    assert created
    assert services.connector_to_json(connector) == new
    fresh = selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    rendered = services.location_to_json(fresh)
    assert rendered["evses"][1]["connectors"][1] == new
    assert rendered["evses"][1]["last_updated"] == "2019-06-24T12:39:09Z"
    assert rendered["last_updated"] == "2019-06-24T12:39:09Z"


# --- PATCH ----------------------------------------------------------------------------------------


def test_location_patch_example(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    patch = validate_patch(schemas.Location, example("location_patch_example_location.json"))
    services.location_patch(location=location, patch=patch)
    rendered = services.location_to_json(
        selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    )
    assert rendered == {**loc1, "name": "Interparking Gent Zuid", "last_updated": "2019-06-24T12:39:09Z"}


def test_evse_status_patch_example_bumps_the_location(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    evse = selectors.evse_get(location=location, evse_uid="3256")
    patch = validate_patch(schemas.EVSE, example("location_patch_example_status.json"))
    patched = services.evse_patch(evse=evse, patch=patch)
    assert patched.status == "CHARGING"
    rendered = services.location_to_json(
        selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    )
    assert rendered["evses"][0]["status"] == "CHARGING"
    assert rendered["evses"][0]["last_updated"] == "2019-06-24T12:39:09Z"
    assert rendered["last_updated"] == "2019-06-24T12:39:09Z"
    assert rendered["evses"][1] == loc1["evses"][1]


def test_evse_remove_patch_example(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    evse = selectors.evse_get(location=location, evse_uid="3257")
    services.evse_patch(
        evse=evse, patch=validate_patch(schemas.EVSE, example("location_patch_example_remove_evse.json"))
    )
    assert EVSE.objects.get(uid="3257").status == "REMOVED"


def test_connector_tariff_patch_example_bumps_evse_and_location(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    connector = selectors.connector_get(
        evse=selectors.evse_get(location=location, evse_uid="3256"), connector_id="2"
    )
    patch = validate_patch(schemas.Connector, example("location_patch_example_tariff.json"))
    services.connector_patch(connector=connector, patch=patch)
    rendered = services.location_to_json(
        selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    )
    assert rendered["evses"][0]["connectors"][1]["tariff_ids"] == ["15"]
    assert rendered["evses"][0]["connectors"][1]["last_updated"] == "2019-06-24T12:39:09Z"
    assert rendered["evses"][0]["last_updated"] == "2019-06-24T12:39:09Z"
    assert rendered["last_updated"] == "2019-06-24T12:39:09Z"
    assert rendered["evses"][1]["last_updated"] == loc1["evses"][1]["last_updated"]


def test_patch_with_null_clears_an_optional_field(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    patch = validate_patch(
        schemas.Location, {"postal_code": None, "operator": None, "last_updated": "2020-01-01T00:00:00Z"}
    )
    services.location_patch(location=location, patch=patch)
    rendered = services.location_to_json(
        selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    )
    assert "postal_code" not in rendered
    assert "operator" not in rendered


def test_patch_cannot_change_ids(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    with pytest.raises(InvalidParameters, match="id"):
        services.location_patch(location=location, patch={"id": "LOC2", "last_updated": T0})
    evse = selectors.evse_get(location=location, evse_uid="3256")
    with pytest.raises(InvalidParameters, match="uid"):
        services.evse_patch(evse=evse, patch={"uid": "9999", "last_updated": T0})
    services.evse_patch(evse=evse, patch={"uid": "3256", "last_updated": T0})


def test_patch_cannot_publish_a_restricted_location(partner_party):
    data = example("location_example_uc4_limited_visibility.json")
    location, _ = put(partner_party("NL", "ALL"), data)
    with pytest.raises(InvalidParameters, match="publish_allowed_to"):
        services.location_patch(location=location, patch={"publish": True, "last_updated": T0})
    assert Location.objects.get().publish is False


def test_location_patch_with_evses_upserts_those_listed(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    changed = copy.deepcopy(loc1["evses"][1])
    changed["status"] = "AVAILABLE"
    added = copy.deepcopy(loc1["evses"][0])
    added["uid"] = "4000"
    patch = validate_patch(
        schemas.Location, {"evses": [changed, added], "last_updated": "2020-01-01T00:00:00Z"}
    )
    services.location_patch(location=location, patch=patch)
    rendered = services.location_to_json(
        selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    )
    assert [e["uid"] for e in rendered["evses"]] == ["3256", "3257", "4000"]
    assert rendered["evses"][1]["status"] == "AVAILABLE"
    assert rendered["last_updated"] == "2020-01-01T00:00:00Z"


# --- last_updated is not bumped without a change (interop lesson 10) ------------------------------


def test_own_evse_status_update_without_change_keeps_last_updated(be_own, loc1):
    location, _ = put(be_own, loc1)
    evse = selectors.evse_get(location=location, evse_uid="3256")
    services.evse_patch(evse=evse, patch={"status": schemas.Status.AVAILABLE})
    fresh = selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    assert services.location_to_json(fresh) == loc1


def test_own_evse_status_change_is_stamped_now_and_propagates(be_own, loc1):
    location, _ = put(be_own, loc1)
    evse = selectors.evse_get(location=location, evse_uid="3256")
    before = timezone.now()
    patched = services.evse_patch(evse=evse, patch={"status": schemas.Status.CHARGING})
    assert patched.last_updated >= before
    fresh = selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    assert fresh.last_updated == patched.last_updated
    untouched = selectors.evse_get(location=fresh, evse_uid="3257")
    assert untouched.last_updated == datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)


def test_own_put_of_the_same_content_with_a_newer_timestamp_changes_nothing(be_own, loc1):
    put(be_own, loc1)
    same = copy.deepcopy(loc1)
    later = ts(T0 + timedelta(days=30))
    same["last_updated"] = later
    for evse in same["evses"]:
        evse["last_updated"] = later
        for connector in evse["connectors"]:
            connector["last_updated"] = later
    location, created = put(be_own, same)
    assert not created
    assert services.location_to_json(location) == loc1


def test_own_put_changing_one_connector_bumps_only_its_branch(be_own, loc1):
    put(be_own, loc1)
    later = ts(T0 + timedelta(days=30))
    changed = copy.deepcopy(loc1)
    changed["evses"][0]["connectors"][0]["max_amperage"] = 32
    changed["evses"][0]["connectors"][0]["last_updated"] = later
    location, _ = put(be_own, changed)
    rendered = services.location_to_json(location)
    assert rendered["evses"][0]["connectors"][0]["last_updated"] == later
    assert rendered["evses"][0]["connectors"][1] == loc1["evses"][0]["connectors"][1]
    assert rendered["evses"][0]["last_updated"] == later
    assert rendered["evses"][1] == loc1["evses"][1]
    assert rendered["last_updated"] == later


def test_own_patch_without_change_keeps_last_updated_even_with_a_timestamp(be_own, loc1):
    location, _ = put(be_own, loc1)
    services.location_patch(
        location=location, patch={"name": "Gent Zuid", "last_updated": T0 + timedelta(days=1)}
    )
    assert Location.objects.get().last_updated == T0


def test_partner_last_updated_is_stored_as_given(be_partner, loc1):
    location, _ = put(be_partner, loc1)
    later = T0 + timedelta(days=1)
    services.location_patch(location=location, patch={"name": "Gent Zuid", "last_updated": later})
    assert Location.objects.get().last_updated == later
    same = copy.deepcopy(loc1)
    same["last_updated"] = "2015-06-30T00:00:00Z"
    location, _ = put(be_partner, same)
    assert services.location_to_json(location)["last_updated"] == "2015-06-30T00:00:00Z"


# --- rendering cost -------------------------------------------------------------------------------


def _bulk_locations(party, count: int) -> None:
    base = example("location_example.json")
    for n in range(count):
        data = copy.deepcopy(base)
        data["id"] = f"LOC{n:04d}"
        data["last_updated"] = ts(T0 + timedelta(minutes=n))
        evse = data["evses"][0]
        data["evses"] = []
        for e in range(4):
            item = copy.deepcopy(evse)
            item["uid"] = f"{n}-{e}"
            data["evses"].append(item)
        put(party, data)


@pytest.mark.parametrize("page_size", [10, 100])
def test_rendering_a_page_costs_a_constant_number_of_queries(own_party, django_assert_num_queries, page_size):
    _bulk_locations(own_party("BE", "BEC"), 100)
    with django_assert_num_queries(3):  # the page of locations, its EVSEs, its connectors
        page = list(selectors.locations_of_own_parties()[:page_size])
        rendered = services.locations_to_json(page)
    assert len(rendered) == page_size
    assert all(len(r["evses"]) == 4 and all(len(e["connectors"]) == 2 for e in r["evses"]) for r in rendered)
    assert [r["id"] for r in rendered] == [f"LOC{n:04d}" for n in range(page_size)]
    # Rendering from rows and from prefetched model instances gives the same JSON.
    one = selectors.location_get(country_code="BE", party_id="BEC", location_id=rendered[3]["id"])
    assert services.location_to_json(one) == rendered[3]


@pytest.mark.parametrize("page_size", [10, 100])
def test_prefetched_locations_render_without_queries(own_party, django_assert_num_queries, page_size):
    _bulk_locations(own_party("BE", "BEC"), 100)
    with django_assert_num_queries(3):  # locations, EVSEs, connectors
        page = list(
            selectors.locations_of_own_parties().prefetch_related(selectors.evses_prefetch())[:page_size]
        )
        rendered = [services.location_to_json(location) for location in page]
        assert services.locations_to_json(page) == rendered
    assert len(rendered) == page_size


def test_page_rendering_matches_the_examples(own_party):
    for name in LOCATION_EXAMPLES:
        data = example(name)
        put(own_party(data["country_code"], data["party_id"]), data)
    by_id = {r["id"]: r for r in services.locations_to_json(list(selectors.locations_of_own_parties()))}
    for name in LOCATION_EXAMPLES[:2] + LOCATION_EXAMPLES[3:]:  # uc2 and uc3 share their id
        data = example(name)
        assert by_id[data["id"]] == data


@pytest.mark.parametrize(
    "value",
    [
        datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC),
        datetime(2016, 12, 29, 17, 45, 9, 200000, tzinfo=UTC),
        datetime(2018, 1, 1, 1, 8, 1, 123000, tzinfo=UTC),
        datetime(2018, 1, 1, 1, 8, 1, 123456),
        datetime(2018, 1, 1, 3, 8, 1, tzinfo=timezone.get_fixed_timezone(120)),
    ],
)
def test_format_timestamp_matches_the_wire_type(value):
    from ocpi.core.types import format_datetime

    assert services.format_timestamp(value) == format_datetime(value)
